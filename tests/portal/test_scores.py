"""A closed cycle's scores on the dashboard, and changing one: what a consultant does at an
end-of-quarter review (it took the API). Scores are shown as everywhere in the portal, from
0 to 1, two places rounded down, in their band's colour; a change says from what, by whom,
when and why, and the objectives it is part of follow."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import pytest
from playwright.async_api import Locator, Page, expect

from services.app import Context, OKRApplication
from services.demo_data import Person
from tests.portal.conftest import Opener, PortalServer, csrf, shot, sign_in
from tests.portal.world import (
    Client,
    a_colleague,
    a_company_of_its_own,
    lagging,
    one_key_result,
    projected,
)

REASON = "Firmato a fine trimestre, dopo l'ultimo aggiornamento"


class Quarter(NamedTuple):
    cycle: UUID
    objective: UUID
    new: UUID
    """Scored 0.5."""
    renewals: UUID
    """Scored 0.8."""
    archived: UUID
    """Archived before the close: not scored."""


async def a_closed_quarter(portal: PortalServer, app: OKRApplication, ctx: Context) -> Quarter:
    """A quarter ended, one objective of two key results scored 0.5 and 0.8 (the objective
    0.65) and one archived, closed."""
    start = portal.today - timedelta(days=120)
    cycle = (await app.cycles.create(ctx, name="Trimestre passato", starts_on=start,
                                     ends_on=start + timedelta(days=89))).item_id  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    goal = (await app.objectives.create(ctx, cycle_id=cycle, title="Più clienti",
                                        owner=ctx.actor)).item_id  # fmt: skip
    krs = []
    for title, value in (("Nuovi clienti da 0 a 10", 5), ("Rinnovi da 0 a 10", 8), ("Tolto", 1)):
        kr = await app.key_results.create(ctx, objective_id=goal, title=title, owner=ctx.actor,
                                          kind="increase", start=0, target=10)  # fmt: skip
        await app.key_results.record_check_in(ctx, kr.item_id, value=Decimal(value), on=start)
        krs.append(kr.item_id)
    await app.key_results.archive(ctx, krs[2], reason="non si misura più")
    await app.cycles.close(ctx, cycle)
    await projected(portal.system, ctx.tenant_id)
    return Quarter(cycle, goal, *krs)


class Review(NamedTuple):
    client: Client
    app: OKRApplication
    ctx: Context
    quarter: Quarter
    page: Page
    """The dashboard of the quarter, for its consultant."""
    consultant: Person


async def at_the_review(open_page: Opener, portal: PortalServer, **opened: Any) -> Review:
    """A company's closed quarter on the dashboard of its consultant (`opened`: the page's
    size, language)."""
    client, _, app, ctx = await a_company_of_its_own(portal.system)
    consultant = await a_colleague(portal.system, client, "Carlo Rossi", "consultant")
    quarter = await a_closed_quarter(portal, app, ctx)
    page = await open_page(**opened)
    await sign_in(page, consultant)
    await page.goto(f"/t/{client.id}?cycle={quarter.cycle}")
    return Review(client, app, ctx, quarter, page, consultant)


async def change_score(place: Locator, score: str, reason: str) -> None:
    """Open the score form of a key result or an objective (`place`), type, and send."""
    if not await place.locator(".plan-score[open]").count():
        await place.locator(".plan-score summary").click()
    await place.get_by_label("Nuovo punteggio, da 0 a 1").fill(score)
    await place.get_by_label("Motivo").fill(reason)
    await place.get_by_role("button", name="Modifica il punteggio").click()


SAID_DONE = (
    "Punteggio modificato: gli obiettivi di cui fa parte lo seguono, tranne quelli modificati"
    " a mano."
)


async def test_a_consultant_sees_the_scores_and_changes_one_its_objective_following(
    open_page: Opener, portal: PortalServer
) -> None:
    """At the review, each key result's and objective's closing score is on the dashboard
    in its band's colour; a consultant changes one with a reason, the objective follows, and
    the change says from what, by whom, when and why, there and in the history, in both
    languages. An objective set by hand (typed as a percentage) then no longer follows."""
    review = await at_the_review(open_page, portal)
    client, page, consultant = review.client, review.page, review.consultant
    cycle, goal, new, renewals, _ = review.quarter
    kr = page.locator(f"li.kr[data-kr='{new}']")
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,50")
    await expect(kr.locator(".kr-score")).to_have_class("chip kr-score band-amber")
    await expect(page.locator(f"li.kr[data-kr='{renewals}'] .kr-score")).to_have_class(
        "chip kr-score band-green"
    )
    await expect(kr.locator(".bar")).to_have_class(re.compile(r"\bband-amber\b"))
    await page.goto(f"/t/{client.id}/kr/{new}")  # its page's bar: the score's colour too
    await expect(page.locator(".kr-summary .bar")).to_have_class(re.compile(r"\bband-amber\b"))
    await page.goto(f"/t/{client.id}?cycle={cycle}")
    objective_score = page.locator(".objective-progress .chip")
    await expect(objective_score).to_have_text("Punteggio 0,65")

    await kr.locator(".plan-score summary").click()
    await expect(kr.locator(f"#score-{new}-score-hint")).to_contain_text("Ora è 0,50")
    await change_score(kr, "0,9", REASON)
    await expect(page.locator(".cycle-done")).to_have_text(SAID_DONE)
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,90")
    await expect(kr.locator(".kr-score")).to_have_class("chip kr-score band-green")
    await expect(objective_score).to_have_text("Punteggio 0,85")  # (0.9 + 0.8) / 2
    await expect(kr.locator(".score-adjustment")).to_contain_text(
        "Punteggio portato da 0,50 a 0,90 da Carlo Rossi"
    )
    await expect(kr.locator(".score-adjustment .reason")).to_have_text(REASON)
    followed = page.locator(f"#score-{goal} .score-adjustment")
    await expect(followed).to_contain_text("Punteggio portato da 0,65 a 0,85")
    await expect(followed.locator(".reason")).to_have_text(
        "segue i punteggi di cui è fatto ('Nuovi clienti da 0 a 10' è stato rivalutato)"
    )
    await shot(page, "scores-changed")

    head = page.locator(f"#score-{goal}")  # the objective by hand, as a percentage
    await change_score(head, "70 %", "Il cliente principale vale di più")
    await expect(objective_score).to_have_text("Punteggio 0,70")
    other = page.locator(f"li.kr[data-kr='{renewals}']")
    await change_score(other, "1", "Rinnovato anche l'ultimo")
    await expect(other.locator(".kr-score")).to_have_text("Punteggio 1,00")
    await expect(page.locator(".cycle-done")).to_have_text(SAID_DONE)  # (it said they follow)
    await expect(objective_score).to_have_text("Punteggio 0,70")  # set by hand: it stays

    await page.goto(f"/t/{client.id}/history")
    lines = page.locator("ol.timeline li")
    await expect(lines.filter(has_text=REASON)).to_contain_text(
        "punteggio di 'Nuovi clienti da 0 a 10' modificato 0,50 → 0,90 da Carlo Rossi"
    )
    english = await open_page(locale="en-GB")
    await sign_in(english, consultant)
    await english.goto(f"/t/{client.id}/history")
    lines = english.locator("ol.timeline li")
    await expect(lines.filter(has_text=REASON)).to_contain_text(
        "score of 'Nuovi clienti da 0 a 10' adjusted 0.50 → 0.90 by Carlo Rossi"
    )
    await expect(lines.filter(has_text="follows the scores it is made of").first).to_contain_text(
        "score of 'Più clienti' adjusted 0.65 → 0.85"
    )
    await english.goto(f"/t/{client.id}?cycle={cycle}")
    changed = english.locator(f"li.kr[data-kr='{new}'] .score-adjustment")
    await expect(changed).to_contain_text("Score changed from 0.50 to 0.90 by Carlo Rossi")


async def test_a_score_change_that_cannot_be_made_says_why_beside_its_field(
    open_page: Opener, portal: PortalServer
) -> None:
    """A blank score or reason, a score that is no number or not from 0 to 1 (each said as a
    score: "Scrivi un numero, per esempio 4,5" offered one that is none), a reason too
    long, the score it has already, a score changed by someone else meanwhile: each said
    beside its field, all at once, what was typed kept, nothing recorded. A hand-made POST
    for a cycle not closed or an item archived is refused on the page; another company's
    item is not found."""
    client, app, ctx, (cycle, _, new, _, archived), page, _ = await at_the_review(open_page, portal)
    kr = page.locator(f"li.kr[data-kr='{new}']")
    score, reason = f"#score-{new}-score", f"#score-{new}-reason"

    async def send(typed: str, why: str) -> None:
        if not await kr.locator(".plan-score[open]").count():
            await kr.locator(".plan-score summary").click()
        await change_score(kr, typed, why)

    await send("", "")
    await expect(kr.locator(f"{score}-error")).to_have_text("Questo campo è obbligatorio.")
    await expect(kr.locator(f"{reason}-error")).to_have_text("Scrivi un motivo.")
    out_of_range = "Un punteggio va da 0 a 1 (per esempio 0,7), oppure da 0 a 100 %."
    await send("70 %%", REASON)  # (it said "Scrivi un numero, per esempio 4,5.": no score)
    await expect(kr.locator(f"{score}-error")).to_have_text(out_of_range)
    await send("molto", "\u200b")
    await expect(kr.locator(f"{score}-error")).to_have_text(out_of_range)
    await expect(kr.locator(f"{reason}-error")).to_have_text("Scrivi un motivo.")
    await send("1,5", "x" * 1001)
    await expect(kr.locator(f"{score}-error")).to_have_text(out_of_range)
    await expect(kr.locator(f"{reason}-error")).to_have_text(
        "Il testo è troppo lungo: al massimo 1000 caratteri."
    )
    await expect(kr.locator(score)).to_have_value("1,5")  # what was typed, kept
    await expect(kr.locator(score)).to_have_attribute("aria-invalid", "true")
    await send("0,5", REASON)
    await expect(kr.locator(f"{score}-error")).to_have_text(
        "Il punteggio è già 0,50: scrivine un altro."
    )
    await expect(kr.locator(reason)).to_have_value(REASON)
    await shot(page, "score-refused")

    await kr.locator(score).fill("0,6")  # another person changes it, the form still open
    await app.cycles.adjust_score(ctx, cycle, item_id=new, score=Decimal("0.8"), reason="io")
    await projected(portal.system, client.id)
    await kr.get_by_role("button", name="Modifica il punteggio").click()
    await expect(kr.locator(f"{score}-error")).to_have_text(
        "Qualcun altro ha appena modificato questo punteggio: ora è 0,80. Riprova se serve ancora."
    )
    await expect(kr.locator(score)).to_have_value("0,6")
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,80")  # nothing of ours
    await expect(kr.locator(".score-adjustment")).to_have_count(1)
    await kr.get_by_role("button", name="Modifica il punteggio").click()  # sent again: kept
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,60")

    token = await csrf(page)
    sent = {**token, "score": "0,7", "reason": REASON, "was": "0.5"}
    _, running = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 60, "In corso", kind="increase",
        start=0, target=10,
    )  # fmt: skip
    await projected(portal.system, client.id)
    answer = await page.request.post(f"/t/{client.id}/scores/{running}", form=sent)
    assert answer.status == 422
    assert "Il ciclo &#39;Ciclo&#39; non è chiuso" in await answer.text()
    answer = await page.request.post(f"/t/{client.id}/scores/{archived}", form=sent)
    assert answer.status == 422
    assert "È archiviato: il suo punteggio non si modifica." in await answer.text()
    _, _, other_app, other_ctx = await a_company_of_its_own(portal.system)
    theirs = (await a_closed_quarter(portal, other_app, other_ctx)).new
    for item in (theirs, "non-un-id"):
        answer = await page.request.post(f"/t/{client.id}/scores/{item}", form=sent)
        assert answer.status == 404, item
    before = await portal.system.store.head(client.id)
    unsigned = {k: v for k, v in sent.items() if k not in token} | {"was": "0.6"}
    answer = await page.request.post(f"/t/{client.id}/scores/{new}", form=unsigned)
    assert answer.status == 403  # no CSRF token: as every form of the portal
    assert await portal.system.store.head(client.id) == before
    await page.goto(f"/t/{client.id}?cycle={cycle}")
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,60")  # nothing recorded


async def test_who_may_not_close_cycles_sees_the_scores_without_the_form(
    open_page: Opener, portal: PortalServer
) -> None:
    """A viewer, a member and a client admin (none may close cycles) see the scores and
    their changes, no form; a hand-made POST is forbidden and records nothing."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    cycle, _, new, _, _ = await a_closed_quarter(portal, app, ctx)
    await app.cycles.adjust_score(ctx, cycle, item_id=new, score=Decimal("0.7"), reason=REASON)
    await projected(portal.system, client.id)
    viewer = await a_colleague(portal.system, client, "Vera Bianchi", "client_viewer")
    member = await a_colleague(portal.system, client, "Mario Verdi", "client_member")
    for person in (viewer, member, admin):
        page = await open_page()
        await sign_in(page, person)
        await page.goto(f"/t/{client.id}?cycle={cycle}")
        kr = page.locator(f"li.kr[data-kr='{new}']")
        await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,70")
        await expect(kr.locator(".score-adjustment .reason")).to_have_text(REASON)
        await expect(page.locator(".plan-score")).to_have_count(0)
        forged = await page.request.post(
            f"/t/{client.id}/scores/{new}",
            form={**await csrf(page), "score": "1", "reason": "di nascosto", "was": "0.7"},
        )
        assert forged.status == 403, person.role
    await page.reload()
    await expect(page.locator(f"li.kr[data-kr='{new}'] .kr-score")).to_have_text("Punteggio 0,70")


async def test_a_score_is_changed_on_a_phone(open_page: Opener, portal: PortalServer) -> None:
    """At a review on a phone, the scores, their changes and the form fit the screen."""
    review = await at_the_review(open_page, portal, width=375, height=812)
    page, new = review.page, review.quarter.new
    kr = page.locator(f"li.kr[data-kr='{new}']")
    await change_score(kr, "0,75", REASON)
    await expect(kr.locator(".kr-score")).to_have_text("Punteggio 0,75")
    await kr.locator(".plan-score summary").click()
    await shot(page, "scores-phone")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


async def test_a_score_changed_while_the_view_lags_is_not_overwritten(
    open_page: Opener, portal: PortalServer
) -> None:
    """Another person changed the score to 0.8, and the dashboard's view had not caught up:
    it still showed 0.5, so a form showing 0.5 passed its check and overwrote the 0.8
    unseen (a review's finding). The command checks what the form showed on the cycle
    itself: refused beside the score, which it says is 0.8, and nothing recorded. The page
    then waits for its view, so the form shows 0.8 and is sent again as it should be (it
    was refused again and again while it showed 0.5)."""
    client, app, ctx, quarter, page, _ = await at_the_review(open_page, portal)
    kr = page.locator(f"li.kr[data-kr='{quarter.new}']")
    async with lagging(portal.system, client.id):
        await app.cycles.adjust_score(
            ctx, quarter.cycle, item_id=quarter.new, score=Decimal("0.8"), reason="prima io"
        )
        sending = asyncio.create_task(change_score(kr, "0,6", "dal modulo che mostrava 0,5"))
        await asyncio.sleep(0.5)  # the view catches up while the refusal is made
    await sending
    await expect(kr.locator(f"#score-{quarter.new}-score-error")).to_have_text(
        "Qualcun altro ha appena modificato questo punteggio: ora è 0,80. Riprova se serve ancora."
    )
    cycle = await app.cycles.get(ctx, quarter.cycle)
    assert cycle.key_result_scores[quarter.new] == Decimal("0.8")
    await expect(kr.locator("input[name=was]")).to_have_value("0.8")
    await change_score(kr, "0,6", "ora su 0,8")
    await expect(page.locator(f"#score-{quarter.new}")).to_contain_text("0,6")
    cycle = await app.cycles.get(ctx, quarter.cycle)
    assert cycle.key_result_scores[quarter.new] == Decimal("0.6")


async def test_every_score_change_of_a_cycle_is_found_however_many_came_after(
    portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard read the tenant's newest 1,000 score changes, of every cycle: an
    older cycle's changes went missing under later ones (a review's finding). It reads
    page after page (here pages of two lines)."""
    from projections.progress_tree import progress_tree
    from services.portal import scores
    from services.read import progress_state

    client, _, app, ctx = await a_company_of_its_own(portal.system)
    quarter = await a_closed_quarter(portal, app, ctx)
    for score in ("0.6", "0.7", "0.9"):
        await app.cycles.adjust_score(
            ctx, quarter.cycle, item_id=quarter.new, score=Decimal(score), reason=f"a {score}"
        )
    await projected(portal.system, client.id)
    state = await progress_state(portal.system.pool, client.id)
    monkeypatch.setattr(scores, "_CHANGES_PAGE", 2)
    (shown,) = progress_tree(state, today=portal.today, cycle_id=quarter.cycle).cycles
    changes = await scores.score_changes(portal.system.pool, client.id, state, shown)
    assert [line.reason for line in changes[quarter.new]] == ["a 0.9", "a 0.7", "a 0.6"]
