"""The portfolio in the browser: what each client's row says to the consultancy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from playwright.async_api import Locator, Page, expect

from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import Client, a_colleague, a_company_of_its_own, projected


async def test_a_client_without_an_active_cycle_says_so(
    open_page: Opener, portal: PortalServer
) -> None:
    """A client whose cycle is still being planned (or whose last one closed) has nothing
    running: its row says so, where a bare dash and an empty bar read as a cycle with no
    progress yet, and the consultant would not see that a new cycle is due."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    await app.cycles.create(ctx, name="Q1", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31))
    page, row = await _its_row(open_page, portal, client)
    await expect(row.locator(".no-cycle")).to_have_text("nessun ciclo attivo")
    await expect(row.locator("[role=progressbar]")).to_have_count(0)
    await expect(row.locator(".next-cycle")).to_have_text("prossimo: Q1, dal 1 gen 2027")
    await expect(row.locator(".last-cycle")).to_have_count(0)  # none closed yet
    await shot(page, "portfolio-no-cycle")

    # between cycles, how the last one ended: its score (the later of two closed)
    for name, start, end, value in (
        ("Q3 2026", date(2026, 7, 1), date(2026, 9, 30), 9),
        ("Q4 2026", date(2026, 10, 1), date(2026, 12, 31), 6),
    ):
        cycle = (await app.cycles.create(ctx, name=name, starts_on=start, ends_on=end)).item_id
        await app.cycles.activate(ctx, cycle)
        goal = await app.objectives.create(ctx, cycle_id=cycle, title="Ordini", owner=ctx.actor)
        kr = await app.key_results.create(
            ctx, objective_id=goal.item_id, title="Ordini da 0 a 10", kind="increase",
            owner=ctx.actor, start=0, target=10,
        )  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=Decimal(value), on=start)
        await app.cycles.close(ctx, cycle)
    await projected(portal.system, client.id)
    await page.reload()
    await expect(row.locator(".last-cycle")).to_have_text("ultimo: Q4 2026, punteggio 0,60")
    await expect(row.locator(".next-cycle")).to_have_text("prossimo: Q1, dal 1 gen 2027")

    # one planned whose first day has come, still not started: it is due, not "next"
    await app.cycles.create(ctx, name="Recupero", starts_on=date(2026, 11, 2),
                            ends_on=date(2027, 1, 31))  # fmt: skip
    await projected(portal.system, client.id)
    await page.reload()
    await expect(row.locator(".next-cycle")).to_have_text(
        "Recupero doveva partire il 2 nov 2026: è ancora in pianificazione"
    )


async def test_a_kpi_measured_too_long_ago_is_counted_overdue(
    open_page: Opener, portal: PortalServer
) -> None:
    """A weekly KPI last measured three weeks ago may still read green: the client's
    dashboard says its measurement is overdue, and so must its row in the portfolio (it
    said '0 / 2' of a company with one KPI never measured and one left behind)."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    three_weeks_ago = datetime.now(UTC).date() - timedelta(days=21)
    for name in ("Fatturato", "Margine"):
        made = await app.kpis.create(
            ctx, name=name, direction="higher_is_better", green=100, red=50, frequency_days=7,
            owner="Anna",
        )  # fmt: skip
        if name == "Fatturato":
            await app.kpis.record_measurement(ctx, made.item_id, value=120, on=three_weeks_ago)
    page, row = await _its_row(open_page, portal, client)
    await expect(row.locator(".kpi-notes")).to_have_text(
        "(1 senza misure, 1 con la misura in ritardo)"
    )
    await page.goto(f"/t/{client.id}")  # the one made today is not overdue yet
    await expect(page.get_by_text("Misura in ritardo")).to_have_count(1)
    await expect(page.locator(".tile", has_text="Margine")).to_contain_text("Mai misurato")


async def test_a_red_kpi_with_no_recovery_okr_is_counted_until_one_is_aligned(
    open_page: Opener, portal: PortalServer
) -> None:
    """The row said how many KPIs were not green, never whether anyone was recovering
    them: a red KPI with nothing aligned to it read as one with a recovery OKR under way.
    It says how many have none, and no longer once a key result of an active cycle is fed
    by it."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    today = datetime.now(UTC).date()
    kpi = (await app.kpis.create(
        ctx, name="Reclami aperti", direction="lower_is_better", green=5, red=10,
        frequency_days=7, owner="Anna",
    )).item_id  # fmt: skip
    await app.kpis.record_measurement(ctx, kpi, value=12, on=today)
    page, row = await _its_row(open_page, portal, client)
    await expect(row.locator(".kpi-notes")).to_have_text("(1 critico, 1 senza OKR di recupero)")

    cycle = (await app.cycles.create(
        ctx, name="Trimestre", starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=80),
    )).item_id  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    goal = await app.objectives.create(ctx, cycle_id=cycle, title="Clienti", owner=ctx.actor)
    await app.key_results.create(
        ctx, objective_id=goal.item_id, title="Reclami a 4", kind="decrease", owner=ctx.actor,
        start=12, target=4, kpi_id=kpi,
    )  # fmt: skip
    await projected(portal.system, client.id)
    await page.reload()
    await expect(row.locator(".chip")).to_have_text("1 / 1")  # still red: being recovered
    await expect(row.locator(".kpi-notes")).to_have_text("(1 critico)")


async def test_whether_a_kpi_is_critical_is_written_not_only_coloured(
    open_page: Opener, portal: PortalServer
) -> None:
    """The count of KPIs not green was a red chip when one of them was critical and an
    amber one when none was: to a reader who does not tell red from amber, or hears the
    page, '2 / 2' said nothing of it. The row writes how many are critical."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    today = datetime.now(UTC).date()
    for name, value in (("Reclami aperti", 12), ("Resi", 7)):  # critical; to watch
        made = await app.kpis.create(
            ctx, name=name, direction="lower_is_better", green=5, red=10, frequency_days=7,
            owner="Anna",
        )  # fmt: skip
        await app.kpis.record_measurement(ctx, made.item_id, value=value, on=today)
    _, row = await _its_row(open_page, portal, client)
    await expect(row.locator(".chip.health-red")).to_have_text("2 / 2")
    await expect(row.locator(".kpi-notes")).to_have_text("(1 critico, 2 senza OKR di recupero)")


async def test_the_counts_beside_the_statuses_agree_in_number(
    open_page: Opener, portal: PortalServer
) -> None:
    """Two key results done and two not started read '+2 completati' and '2 non iniziati'
    in Italian (they read '+2 completato', '2 non iniziato'), one of each in the singular."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    today = datetime.now(UTC).date()
    cycle = await app.cycles.create(
        ctx, name="Ciclo", starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=80)
    )
    await app.cycles.activate(ctx, cycle.item_id)
    goal = await app.objectives.create(ctx, cycle_id=cycle.item_id, title="Obiettivo", owner="Anna")
    for n in range(4):
        kr = await app.key_results.create(
            ctx, objective_id=goal.item_id, title=f"Tappa {n}", kind="milestone", owner="Anna"
        )
        if n < 2:
            await app.key_results.record_check_in(ctx, kr.item_id, value=1, on=today)
    page, row = await _its_row(open_page, portal, client)
    await expect(row.locator("td[data-label='In linea']")).to_have_text("0 (+2 completati)")
    await expect(row.locator("td[data-label='Aggiornamenti in ritardo']")).to_have_text(
        "0 (2 non iniziati)"
    )
    await app.key_results.record_check_in(ctx, kr.item_id, value=1, on=today)
    await projected(portal.system, client.id)
    await page.reload()
    await expect(row.locator("td[data-label='In linea']")).to_have_text("0 (+3 completati)")
    await expect(row.locator("td[data-label='Aggiornamenti in ritardo']")).to_have_text(
        "0 (1 non iniziato)"
    )


async def _its_row(open_page: Opener, portal: PortalServer, client: Client) -> tuple[Page, Locator]:
    """The portfolio signed in as a consultant given the client, and the client's row, once
    its views show what was made."""
    consultant = await a_colleague(portal.system, client, "Bruno Galli", "consultant")
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, consultant)
    return page, page.locator(f"tr[data-tenant='{client.id}']")
