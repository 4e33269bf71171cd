"""A cycle's days set right on the dashboard: the wrong end date typed at planning is no
longer there for good."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from services.read import progress_state
from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import a_company_of_its_own, one_key_result, projected


async def test_a_cycle_s_days_are_set_right_and_its_key_result_due_by_the_end_follows(
    open_page: Opener, portal: PortalServer
) -> None:
    """Whoever may edit OKRs opens "Cambia le date" beside a running cycle, its days filled
    in: a last day before the first is said beside it and changes nothing; the right end,
    with a reason, moves the cycle, its key result due by its end, and its history says
    it. A closed cycle offers no such form (its days are locked)."""
    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    starts = portal.today - timedelta(days=30)
    cycle, kr = await one_key_result(
        app, ctx, starts, 59, "Contratti", kind="increase", start=0, target=100
    )
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}?cycle={cycle}")
    fid = f"#cycle-dates-{cycle}"

    await page.locator(".plan-cycle-dates summary").click()
    form = page.locator(".plan-cycle-dates form")
    await expect(form.get_by_label("Primo giorno")).to_have_value(starts.isoformat())
    typo_end = starts + timedelta(days=59)
    await expect(form.get_by_label("Ultimo giorno")).to_have_value(typo_end.isoformat())
    await form.get_by_label("Ultimo giorno").fill((starts - timedelta(days=1)).isoformat())
    await form.get_by_role("button", name="Salva le date").click()
    form = page.locator(".plan-cycle-dates form")
    await expect(form.locator(f"{fid}-ends_on-error")).to_have_text(
        "L'ultimo giorno non può venire prima del primo."
    )
    await shot(page, "cycle-dates")
    state = await progress_state(portal.system.pool, client.id)
    assert state.cycles[cycle].ends_on == typo_end

    right_end = starts + timedelta(days=89)
    await form.get_by_label("Ultimo giorno").fill(right_end.isoformat())
    await form.get_by_label("Motivo (facoltativo)").fill("refuso")
    await form.get_by_role("button", name="Salva le date").click()
    await expect(page.locator(".banner.ok")).to_have_text("Date del ciclo cambiate.")
    state = await progress_state(portal.system.pool, client.id)
    assert (state.cycles[cycle].ends_on, state.cycles[cycle].period) == (right_end, "quarter")
    assert state.key_results[kr].due_on == right_end
    await page.goto(f"/t/{client.id}/history")
    await expect(page.locator("main")).to_contain_text("ciclo 'Ciclo' date cambiate")

    await app.cycles.close(ctx, cycle)
    await projected(portal.system, client.id)
    await page.goto(f"/t/{client.id}?cycle={cycle}")
    await expect(page.locator(".plan-cycle-rename")).to_have_count(1)
    await expect(page.locator(".plan-cycle-dates")).to_have_count(0)
