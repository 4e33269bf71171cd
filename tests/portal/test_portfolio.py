"""The portfolio in the browser: what each client's row says to the consultancy."""

from __future__ import annotations

from datetime import date

from playwright.async_api import expect

from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import a_colleague, a_company_of_its_own, projected


async def test_a_client_without_an_active_cycle_says_so(
    open_page: Opener, portal: PortalServer
) -> None:
    """A client whose cycle is still being planned (or whose last one closed) has nothing
    running: its row says so, where a bare dash and an empty bar read as a cycle with no
    progress yet, and the consultant would not see that a new cycle is due."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    await app.cycles.create(ctx, name="Q1", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31))
    consultant = await a_colleague(portal.system, client, "Bruno Galli", "consultant")
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, consultant)

    row = page.locator(f"tr[data-tenant='{client.id}']")
    await expect(row.locator(".no-cycle")).to_have_text("nessun ciclo attivo")
    await expect(row.locator("[role=progressbar]")).to_have_count(0)
    await shot(page, "portfolio-no-cycle")
