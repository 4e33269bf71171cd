"""Who sees what: a client viewer sees its tenant only; a consultant sees exactly its tenants."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from services import demo_data as d
from tenants import directory
from tenants.memberships import add_membership, remove_membership
from tenants.roles import Role
from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import NERI, NERI_CLOSED_KR, ROSSI, VERDI


async def test_a_client_viewer_sees_only_its_own_tenant(
    open_page: Opener, portal: PortalServer
) -> None:
    """A client company's people must never see another company: an URL guessed or leaked
    answers the same "not found" page as an id that does not exist (no existence oracle)."""
    page = await open_page()
    await sign_in(page, d.SARA)

    await expect(page).to_have_url(re.compile(rf"/t/{d.TENANT_ID}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(d.TENANT_NAME)
    await page.keyboard.press("Tab")
    await expect(page.locator(":focus")).to_have_text("Vai al contenuto")
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await expect(page.get_by_role("link", name="Portafoglio clienti")).to_have_count(0)
    first_cycle = page.get_by_label("Ciclo").locator("option").first  # named with its days
    await expect(first_cycle).to_contain_text(re.compile(r"\(1 \w+ \d{4} \u2013 \d+ \w+ \d{4}\)"))
    await shot(page, "dashboard-viewer")
    await page.goto("/portfolio")  # no portfolio for one company's people: home instead
    await expect(page).to_have_url(re.compile(rf"/t/{d.TENANT_ID}$"))

    other = await page.goto(f"/t/{ROSSI.id}")
    assert other is not None and other.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pagina non trovata")
    await expect(page.get_by_text(ROSSI.name)).to_have_count(0)
    await shot(page, "not-found")
    missing = await page.goto(f"/t/{uuid.uuid4()}")
    assert missing is not None and missing.status == 404
    unknown_page = await page.locator("main").inner_html()
    assert unknown_page == await _main_of(page, f"/t/{ROSSI.id}")
    no_route = await page.goto(f"/t/{d.TENANT_ID}/no-such-page")
    assert no_route is not None and no_route.status == 404
    assert await page.locator("main").inner_html() == unknown_page

    await page.goto(f"/t/{d.TENANT_ID}/kr/{d.demo_id('kr:first-contact')}")
    await expect(page.get_by_role("heading", name="Nuovo aggiornamento")).to_have_count(0)


async def _main_of(page: Page, path: str) -> str:
    await page.goto(path)
    return str(await page.locator("main").inner_html())


async def test_a_consultant_sees_exactly_the_tenants_it_serves(
    open_page: Opener, portal: PortalServer
) -> None:
    """The portfolio lists the clients the consultant is assigned to, and nothing of another
    consultancy's clients nor of its own consultancy's clients it does not serve."""
    page = await open_page()
    await sign_in(page, d.LUCA)

    await expect(page).to_have_url(re.compile(r"/portfolio$"))
    rows = page.locator("table.portfolio tbody tr")
    await expect(rows).to_have_count(2)
    names = sorted(await rows.locator("th a").all_inner_texts())
    assert names == sorted([d.TENANT_NAME, ROSSI.name])
    for hidden in (NERI, VERDI):
        await expect(page.get_by_text(hidden.name)).to_have_count(0)
    demo = rows.filter(has_text=d.TENANT_NAME)  # its year and its quarter run together
    await expect(demo.locator(".cycles-note")).to_have_text(
        "di 2 cicli attivi, insieme: i loro obiettivi principali, pesati"
    )
    await expect(rows.filter(has_text=ROSSI.name).locator(".cycles-note")).to_have_count(0)
    await shot(page, "portfolio")

    await page.get_by_role("link", name=re.compile("Avanzamento")).click()
    await expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")

    await page.get_by_role("link", name=ROSSI.name).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(ROSSI.name)
    neri = await page.goto(f"/t/{NERI.id}")
    assert neri is not None and neri.status == 404


async def test_a_consultancy_admin_sees_every_client_of_its_consultancy(
    open_page: Opener, portal: PortalServer
) -> None:
    """The consultancy admin reaches all its consultancy's clients, never another's."""
    page = await open_page()
    await sign_in(page, d.PAOLA)

    rows = page.locator("table.portfolio tbody tr th a")
    await expect(rows).to_have_count(3)
    assert sorted(await rows.all_inner_texts()) == sorted([d.TENANT_NAME, ROSSI.name, NERI.name])

    # A suspended client says so, in the portfolio and on its pages (its admins still manage it)
    await directory.suspend_tenant(portal.system.pool, NERI.id)
    try:
        await page.reload()
        badge = page.locator(f"tr[data-tenant='{NERI.id}'] .badge.suspended")
        await expect(badge).to_have_text("Sospesa")
        await expect(page.locator("table.portfolio .badge.suspended")).to_have_count(1)
        await page.goto(f"/t/{NERI.id}")
        await expect(page.locator("header.top .badge.suspended")).to_have_text("Sospesa")
    finally:
        await directory.reactivate_tenant(portal.system.pool, NERI.id)
    await page.goto("/portfolio")
    await expect(page.locator(".badge.suspended")).to_have_count(0)

    # A closed quarter shows each key result's closing score, on the tree and on its page
    # (where a pace "expected today" no longer means anything), and no status: judged
    # against the pace of its end, a key result scored a green 0.7 read "off track" beside it
    closed = d.demo_id(f"cycle:{NERI.slug}:closed")
    await page.goto(f"/t/{NERI.id}?cycle={closed}")
    kr = page.locator(f"li.kr[data-kr='{NERI_CLOSED_KR}']")
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,50")
    await expect(kr.locator(".kr-chips .chip")).to_have_count(1)
    await expect(kr.locator(".kr-progress .band-amber")).to_have_count(1)  # its bar: the score's
    await expect(page.locator("ul.counts")).to_have_count(0)  # nor counts of statuses
    await kr.locator("a.kr-title").click()
    await expect(page.locator(".kr-summary .kr-score")).to_have_text("Punteggio 0,50")
    await expect(page.locator(".kr-summary .chip")).to_have_count(1)
    await expect(page.get_by_text("Avanzamento atteso")).to_have_count(0)


async def test_a_client_whose_company_is_suspended_is_told_so(
    open_page: Opener, portal: PortalServer
) -> None:
    """Its people are not shown "page not found" for their own company: they land on a
    page of their companies with a notice naming it (beside any other company of theirs),
    and its pages say it is suspended, signed in as they are. Another company's pages stay
    "not found" (no existence oracle)."""
    page = await open_page()
    pool = portal.system.pool
    await directory.suspend_tenant(pool, d.TENANT_ID)
    try:
        await sign_in(page, d.SARA)
        await expect(page).to_have_url(re.compile(r"/portfolio$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Le tue aziende")
        notice = page.locator(".suspended-notice")
        await expect(notice).to_have_count(1)
        await expect(notice).to_contain_text(f"L'accesso a '{d.TENANT_NAME}' è sospeso")
        await expect(page.get_by_text("Nessuna azienda cliente da mostrare.")).to_have_count(0)
        own = await page.goto(f"/t/{d.TENANT_ID}/history")
        assert own is not None and own.status == 403
        await expect(page.get_by_role("heading", level=1)).to_have_text("Azienda sospesa")
        await expect(page.locator("main")).to_contain_text(d.TENANT_NAME)
        await expect(page.locator("header .who")).to_have_text(d.SARA.name)  # signed in
        await shot(page, "suspended")
        other = await page.goto(f"/t/{ROSSI.id}")
        assert other is not None and other.status == 404

        # one of her two companies suspended: she lands where she sees both, said
        await add_membership(pool, ROSSI.id, d.SARA.id, Role.CLIENT_VIEWER)
        try:
            await page.goto("/")
            await expect(page).to_have_url(re.compile(r"/portfolio$"))
            rows = page.locator("table.portfolio tbody tr th a")
            await expect(rows).to_have_text([ROSSI.name])
            await expect(notice).to_contain_text(d.TENANT_NAME)
        finally:
            await remove_membership(pool, ROSSI.id, d.SARA.id)
    finally:
        await directory.reactivate_tenant(pool, d.TENANT_ID)
    back = await page.goto("/")
    assert back is not None and back.status == 200
    await expect(page).to_have_url(re.compile(rf"/t/{d.TENANT_ID}$"))
