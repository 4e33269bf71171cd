"""GLOSSARY.md's arithmetic on the portal's pages: at the boundaries where rounding could
move a status or a band, the page says what the API and `okr progress` say."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from playwright.async_api import expect

from services import demo_data as d
from services.app import Context, OKRApplication
from services.projector.registry import PROJECTIONS
from services.projector.waiting import wait_for_position
from tenants.directory import create_tenant
from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import a_consultancy_of_its_own


async def a_client_on_the_edges(
    portal: PortalServer,
) -> tuple[uuid.UUID, uuid.UUID, d.Person]:
    """A client of a consultancy of its own (the portfolios other tests count stay as they
    are) with Q1 2026 (89 days): a key result 0 → 89 at
    76, exactly 0.95 of its pace on 22 March; and Q4 2025, closed, with an objective whose
    key results stand at 1/5, 21/22 and 1/22: exactly 0.4. Its id, Q4 2025's and the
    consultancy's admin."""
    system = portal.system
    consultancy, admin = await a_consultancy_of_its_own(system)
    tenant = await create_tenant(system.pool, consultancy, f"Bordi {uuid.uuid4().hex[:6]}")
    app, ctx = OKRApplication(system.repository), Context(tenant.id, "user:builder")
    for name, starts, ends in (
        ("Q4 2025", date(2025, 10, 1), date(2025, 12, 31)),
        ("Q1 2026", date(2026, 1, 1), date(2026, 3, 31)),
    ):
        cycle = await app.cycles.create(ctx, name=name, starts_on=starts, ends_on=ends)
        await app.cycles.activate(ctx, cycle.item_id)
        goal = await app.objectives.create(
            ctx, cycle_id=cycle.item_id, title=f"Crescere {name}", owner="anna"
        )
        parts = ((89, 76),) if name == "Q1 2026" else ((5, 1), (22, 21), (22, 1))
        for target, value in parts:
            kr = await app.key_results.create(
                ctx, objective_id=goal.item_id, title=f"{value} di {target}", owner="anna",
                kind="increase", start=0, target=Decimal(target),
            )  # fmt: skip
            await app.key_results.record_check_in(
                ctx, kr.item_id, value=Decimal(value), on=starts.replace(day=20)
            )
        if name == "Q4 2025":
            await app.cycles.close(ctx, cycle.item_id)
            closed = cycle.item_id
    head = await system.store.head(tenant.id)
    for projection in PROJECTIONS:
        assert await wait_for_position(
            system.pool, tenant.id, head, projection=projection.name, within=60
        )
    return tenant.id, closed, admin


async def test_the_page_says_a_status_and_a_band_exactly_on_their_edges(
    open_page: Opener, portal: PortalServer
) -> None:
    """76 of 89 on 22 March is on track that day, at risk the next, as the API says; the
    objective closed at exactly 0.4 shows 0,40 in amber. The page said "A rischio" on the
    day and 0,39 in red (a rounded expected progress, a mean summed at 28 digits)."""
    tenant, closed, admin = await a_client_on_the_edges(portal)
    page = await open_page()
    await sign_in(page, admin)

    for day, said in (("2026-03-22", "In linea"), ("2026-03-23", "A rischio")):
        await page.goto(f"/t/{tenant}/as-of?date={day}&known=now")
        await expect(page.locator(".kr", has_text="76 di 89").locator(".chip")).to_have_text(said)
    await shot(page, "status-on-the-pace")

    await page.goto(f"/t/{tenant}?cycle={closed}")
    score = page.locator(".objective-progress .chip")
    await expect(score).to_have_text("Punteggio 0,40")
    await expect(score).to_have_class("chip band-amber")
    await expect(page.locator(".objective-progress .pct")).to_have_text("40\u00a0%")
    await shot(page, "score-on-the-band-edge")


async def test_a_progress_not_reached_is_never_shown_as_100_percent(
    open_page: Opener, portal: PortalServer
) -> None:
    """9996 of 10000 is 0.9996 of the way: the dashboard said "100 %" and its bar 100.0,
    as for a key result done, and so did the objective's and the cycle's. Each says
    99,9 % (the stored and answered progress stay 0.9996)."""
    system = portal.system
    consultancy, admin = await a_consultancy_of_its_own(system)
    tenant = await create_tenant(system.pool, consultancy, f"Quasi {uuid.uuid4().hex[:6]}")
    app, ctx = OKRApplication(system.repository), Context(tenant.id, "user:builder")
    cycle = await app.cycles.create(
        ctx, name="Q1 2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 31)
    )
    await app.cycles.activate(ctx, cycle.item_id)
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title="Quasi", owner="anna")
    kr = await app.key_results.create(
        ctx, objective_id=goal.item_id, title="Contratti", owner="anna", kind="increase",
        start=0, target=Decimal(10000),
    )  # fmt: skip
    written = await app.key_results.record_check_in(
        ctx, kr.item_id, value=Decimal(9996), on=date(2026, 1, 20)
    )
    for projection in PROJECTIONS:
        assert await wait_for_position(
            system.pool, tenant.id, written.position, projection=projection.name, within=60
        )
    page = await open_page()
    await sign_in(page, admin)

    await page.goto(f"/t/{tenant.id}?cycle={cycle.item_id}")

    await expect(page.locator(".kr .pct")).to_have_text("99,9\u00a0%")
    await expect(page.locator(".objective-progress .pct")).to_have_text("99,9\u00a0%")
    await expect(page.locator(".cycle-progress .pct")).to_have_text("99,9\u00a0%")
    bar = page.locator(".kr [role=progressbar]")
    await expect(bar).to_have_attribute("aria-valuenow", "99.9")
