"""A KPI's own page: what it is, its values over time and the key results it feeds, and the
forms the API alone offered (edit, move thresholds, correct a measurement, feed or stop
feeding a key result, retire it), each to whoever may use it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from playwright.async_api import Locator, expect

from domain.values import Unit, UnitKind
from services.app import Context, OKRApplication
from services.demo_data import Person
from services.read import progress_state
from tests.portal.conftest import Opener, PortalServer, csrf, shot, sign_in
from tests.portal.world import Client, a_colleague, a_company_of_its_own, lagging, projected

NB = "\u00a0"


@dataclass(frozen=True)
class Revenue:
    """A company of its own with its admin, and its KPI and key results (see _revenue)."""

    client: Client
    admin: Person
    app: OKRApplication
    ctx: Context
    kpi: UUID
    fed: UUID
    other: UUID

    async def opened(self, open_page: Opener, who: Person | None = None, **shape: Any) -> Any:
        """The KPI's page in a new browser, signed in as `who` (its admin unless told)."""
        page = await open_page(**shape)
        await sign_in(page, who or self.admin)
        await page.goto(f"/t/{self.client.id}/kpis/{self.kpi}")
        return page


async def _revenue(portal: PortalServer) -> Revenue:
    """A company of its own whose monthly revenue KPI (higher is better, green from
    €100.000, red below €50.000) feeds one key result of an active cycle, with another key
    result it does not feed, and two measurements (the older corrected), all projected."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    cycle = (await app.cycles.create(
        ctx, name="Trimestre", starts_on=portal.today - timedelta(days=30),
        ends_on=portal.today + timedelta(days=60),
    )).item_id  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    goal = await app.objectives.create(ctx, cycle_id=cycle, title="Crescere", owner=ctx.actor)
    kpi = (await app.kpis.create(
        ctx, name="Fatturato mensile", direction="higher_is_better", green=100_000, red=50_000,
        frequency_days=31, owner=ctx.actor, unit=Unit(UnitKind.CURRENCY, "EUR"),
    )).item_id  # fmt: skip
    fed, other = [
        (await app.key_results.create(
            ctx, objective_id=goal.item_id, title=title, kind="increase", owner=ctx.actor,
            start=60_000, target=120_000, unit=Unit(UnitKind.CURRENCY, "EUR"), kpi_id=link,
        )).item_id
        for title, link in (("Fatturato a 120.000", kpi), ("Margine a 120.000", None))
    ]  # fmt: skip
    old = await app.kpis.record_measurement(
        ctx, kpi, value=70_000, on=portal.today - timedelta(days=20), note="chiusura di ottobre"
    )
    await app.kpis.correct_measurement(
        ctx, kpi, measurement_id=old.extra["measurement_id"], value=72_000,
        reason="una fattura contata tardi",
    )  # fmt: skip
    await app.kpis.record_measurement(
        ctx, kpi, value=95_000, on=portal.today - timedelta(days=2), note="chiusura di novembre"
    )
    await projected(portal.system, client.id)
    return Revenue(client, admin, app, ctx, kpi, fed, other)


async def test_an_admin_reads_a_kpi_s_page_and_edits_it_and_moves_its_thresholds(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI was a tile: its thresholds, owner and history were the API's. Its page says
    what it is, how it stands, whom it feeds, and its measurements newest first with who
    recorded them, their notes and corrections; an admin renames it, hands it to a
    colleague and has it measured weekly, and moves its thresholds, each mistake said
    beside its field (all at once), what was typed kept and nothing recorded until the
    form is right."""
    r = await _revenue(portal)
    client, kpi = r.client, r.kpi
    await a_colleague(portal.system, client, "Marta Gallo", "client_member")
    page = await r.opened(open_page)
    await page.goto(f"/t/{client.id}")
    await page.locator(f"#kpi-{kpi} h3 a").click()
    await expect(page).to_have_url(f"{portal.base_url}/t/{client.id}/kpis/{kpi}")
    await expect(page.locator("h1")).to_have_text("Fatturato mensile")
    await expect(page.locator(".kpi-value")).to_have_text(f"€{NB}95.000")
    await expect(page.locator(".kpi-now .chip")).to_have_text("Da tenere d'occhio")
    await expect(page.locator(".kpi-owner")).to_have_text("Luca Conti")
    await expect(page.locator(".kpi-direction")).to_have_text("Più alto è meglio")
    await expect(page.locator(".kpi-green")).to_have_text(f"€{NB}100.000")
    await expect(page.locator(".kpi-red")).to_have_text(f"€{NB}50.000")
    await expect(page.locator(".kpi-every")).to_have_text("ogni 31 giorni")
    await expect(page.locator(".fed-kr a")).to_have_text("Fatturato a 120.000")
    await expect(page.locator("svg.chart .threshold-green")).to_have_count(1)
    await expect(page.locator("svg.chart circle.point")).to_have_count(2)
    rows = page.locator("li.measurement")
    await expect(rows.locator(".ci-value")).to_have_text([f"€{NB}95.000", f"€{NB}72.000"])
    await expect(rows.first.locator(".ci-meta")).to_contain_text("di Luca Conti")
    await expect(rows.first.locator(".ci-note")).to_have_text("chiusura di novembre")
    await expect(rows.last.locator(".ci-original")).to_have_text(f"€{NB}70.000")
    await expect(rows.last.locator(".ci-correction")).to_contain_text("una fattura contata tardi")
    await page.locator(".fed-kr a").click()
    await expect(page.locator("h1")).to_have_text("Fatturato a 120.000")
    await page.go_back()

    await page.locator(".kpi-edit summary").click()
    form = page.locator(".kpi-edit form")
    await form.get_by_role("button", name="Salva le modifiche").click()  # nothing changed
    form = page.locator(".kpi-edit form")
    await expect(form.locator(".form-error")).to_have_text("Non hai cambiato nulla.")
    await form.get_by_label("Nome").fill("  ")
    await form.get_by_label("Ogni quanti giorni si misura").fill("ogni mese")
    await form.get_by_label("Responsabile").select_option(label="Marta Gallo")
    await form.get_by_role("button", name="Salva le modifiche").click()
    form = page.locator(".kpi-edit form")
    await expect(form.locator("#edit-name-error")).to_have_text("Questo campo è obbligatorio.")
    await expect(form.locator("#edit-frequency_days-error")).to_have_text(
        "Un numero intero di giorni, da 1 a 366."
    )
    await expect(form.get_by_label("Responsabile")).to_have_value(re.compile("^user:"))
    await expect(form.get_by_label("Responsabile").locator("option:checked")).to_have_text(
        "Marta Gallo"
    )  # what was typed is kept
    await form.get_by_label("Nome").fill("Ricavi mensili")
    await form.get_by_label("Ogni quanti giorni si misura").fill("7")
    await form.get_by_role("button", name="Salva le modifiche").click()
    await expect(page.locator(".kpi-done")).to_have_text("Modifiche salvate.")
    await expect(page.locator("h1")).to_have_text("Ricavi mensili")
    await expect(page.locator(".kpi-owner")).to_have_text("Marta Gallo")
    await expect(page.locator(".kpi-every")).to_have_text("ogni 7 giorni")
    state = await progress_state(portal.system.pool, client.id)
    assert (state.kpis[kpi].frequency_days, state.kpis[kpi].name) == (7, "Ricavi mensili")

    await page.locator(".kpi-thresholds summary").click()
    form = page.locator(".kpi-thresholds form")
    await form.get_by_label("Soglia verde").fill("tanti")
    await form.get_by_role("button", name="Salva le soglie").click()  # and no reason
    form = page.locator(".kpi-thresholds form")
    await expect(form.locator("#thresholds-green-error")).to_have_text(
        "Scrivi un numero, per esempio 4,5."
    )
    await expect(form.locator("#thresholds-reason-error")).to_have_text(
        "Questo campo è obbligatorio."
    )
    await form.get_by_label("Soglia verde").fill("40.000")  # below the red: the wrong order
    await form.get_by_label("Motivo").fill("nuovo listino")
    await form.get_by_role("button", name="Salva le soglie").click()
    form = page.locator(".kpi-thresholds form")
    await expect(form.locator("#thresholds-red-error")).to_contain_text(
        "La soglia rossa sta dalla parte peggiore della verde"
    )
    await expect(form.get_by_label("Soglia verde")).to_have_value("40.000")  # kept
    await expect(form.get_by_label("Motivo")).to_have_value("nuovo listino")
    await expect(page.locator(".kpi-green")).to_have_text(f"€{NB}100.000")  # nothing recorded
    await form.get_by_label("Soglia verde").fill("90.000")
    await form.get_by_role("button", name="Salva le soglie").click()
    await expect(page.locator(".kpi-done")).to_have_text("Soglie spostate.")
    await expect(page.locator(".kpi-green")).to_have_text(f"€{NB}90.000")
    await expect(page.locator(".kpi-now .chip")).to_have_text("In salute")
    await expect(page.locator(".threshold-move")).to_contain_text("nuovo listino")
    move = await page.locator(".threshold-move").inner_text()  # the green alone moved
    assert move.startswith(f"Verde €{NB}100.000 → €{NB}90.000, da "), move
    assert "ossa" not in move, move
    await shot(page, "kpi-page")


async def test_an_admin_feeds_a_key_result_and_stops_feeding_one(
    open_page: Opener, portal: PortalServer
) -> None:
    """Linking a KPI to a key result took the API. On its page an admin feeds one of the
    key results offered and stops feeding one; a blank choice or a key result the page
    did not offer (a hand-made POST) is said beside the field and links nothing. Only
    key results of its unit are offered, never a milestone (an hours KPI fed a euro key
    result "100 % done"; a milestone made every later measurement fail); one fed by
    another KPI says that one stops. One that decreases revenue, which would aim to make
    it worse, is refused beside the field, in Italian and in English, and not linked."""
    r = await _revenue(portal)
    client, kpi, fed, other = r.client, r.kpi, r.fed, r.other
    goal = (await r.app.key_results.get(r.ctx, other)).objective_id
    made: list[dict[str, Any]] = [
        {"title": "Clienti nuovi", "kind": "increase", "start": 0, "target": 10},
        {"title": "Listino online", "kind": "milestone", "unit": Unit(UnitKind.CURRENCY, "EUR")},
    ]
    clients, _ = [
        (await r.app.key_results.create(r.ctx, objective_id=goal, owner=r.ctx.actor, **kr)).item_id
        for kr in made
    ]
    estimate = (await r.app.kpis.create(
        r.ctx, name="Fatturato stimato", direction="higher_is_better", green=100_000,
        red=50_000, frequency_days=31, owner=r.ctx.actor, unit=Unit(UnitKind.CURRENCY, "EUR"),
    )).item_id  # fmt: skip
    await r.app.key_results.create(
        r.ctx, objective_id=goal, title="Incassi a 120.000", kind="increase", owner=r.ctx.actor,
        start=60_000, target=120_000, unit=Unit(UnitKind.CURRENCY, "EUR"), kpi_id=estimate,
    )  # fmt: skip
    costs = (await r.app.key_results.create(
        r.ctx, objective_id=goal, title="Costi a 40.000", kind="decrease", owner=r.ctx.actor,
        start=60_000, target=40_000, unit=Unit(UnitKind.CURRENCY, "EUR"),
    )).item_id  # fmt: skip
    await projected(portal.system, client.id)
    for opened, said, link in (
        (await r.opened(open_page, locale="en-GB"), "The key result goes against the KPI", "Link"),
        (await r.opened(open_page), "Il risultato chiave va contro l'indicatore", "Collega"),
    ):
        await opened.locator(".kpi-feed summary").click()
        form = opened.locator(".kpi-feed form")
        await form.locator("select").select_option(label="Costi a 40.000 — Trimestre")
        await form.get_by_role("button", name=link).click()
        form = opened.locator(".kpi-feed form")  # the page again: beside the key result
        await expect(form.locator("#feed-key_result-error")).to_contain_text(said)
    assert (await r.app.key_results.get(r.ctx, costs)).kpi_id is None
    page = opened
    await page.goto(f"/t/{client.id}/kpis/{kpi}")
    await page.locator(".kpi-feed summary").click()
    await expect(page.locator(".kpi-feed select option")).to_have_text([
        "Scegli…",
        "Costi a 40.000 — Trimestre",
        "Incassi a 120.000 — Trimestre (ora alimentato da «Fatturato stimato», che smette)",
        "Margine a 120.000 — Trimestre",
    ])  # fmt: skip
    refused = await page.request.post(
        f"/t/{client.id}/kpis/{kpi}/feed", form={**await csrf(page), "key_result": str(clients)}
    )
    assert refused.status == 422  # another unit: not offered, not linked
    await page.locator(".kpi-feed form").get_by_role("button", name="Collega").click()
    form = page.locator(".kpi-feed form")
    await expect(form.locator("#feed-key_result-error")).to_have_text(
        "Questo campo è obbligatorio."
    )
    await form.get_by_label("Risultato chiave").select_option(label="Margine a 120.000 — Trimestre")
    await form.get_by_role("button", name="Collega").click()
    await expect(page.locator(".kpi-done")).to_contain_text("Collegato")
    await expect(page.locator(".fed-kr a")).to_have_text(
        ["Fatturato a 120.000", "Margine a 120.000"]
    )
    await expect(page.locator(".kpi-feed select option")).to_have_count(3)  # and Incassi

    unknown = await page.request.post(
        f"/t/{client.id}/kpis/{kpi}/feed", form={**await csrf(page), "key_result": str(uuid4())}
    )
    assert unknown.status == 422
    assert "Scegli una voce dell&#39;elenco." in await unknown.text()

    row = page.locator(f".fed-kr[data-kr='{fed}']")
    await row.get_by_role("button", name="Smetti di alimentarlo").click()
    await expect(page.locator(".kpi-done")).to_have_text("Non alimenta più quel risultato chiave.")
    await expect(page.locator(".fed-kr a")).to_have_text(["Margine a 120.000"])
    gone = await page.request.post(
        f"/t/{client.id}/kpis/{kpi}/unfeed/{fed}", form=await csrf(page)
    )  # stopped already (a tab left open): said at the top
    assert gone.status == 422
    assert "non alimenta più quel risultato chiave" in await gone.text()
    await page.goto(f"/t/{client.id}/kr/{other}")  # it names the KPI that feeds it: a link
    await page.locator(".kr-summary").get_by_role("link", name="Fatturato mensile").click()
    await expect(page).to_have_url(f"{portal.base_url}/t/{client.id}/kpis/{kpi}")


async def test_an_admin_turns_a_kpi_made_the_wrong_way_round(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI made the wrong way round could only be retired and made again: its page turns
    it, proposing its thresholds swapped; thresholds not ordered for the new direction and
    a blank reason are said beside their fields and nothing is recorded, as is the key
    result it feeds, which increases it and would aim to make it worse (named: the page
    said only "key results", leaving the reader to find which to unlink); that one unlinked,
    turned, the page says the new direction and thresholds, and its values stay. A member
    is offered no such form."""
    r = await _revenue(portal)
    page = await r.opened(open_page)
    await page.locator(".kpi-direction-form summary").click()
    form = page.locator(".kpi-direction-form form")
    await expect(form.get_by_label("Com'è meglio")).to_have_value("lower_is_better")
    await expect(form.get_by_label("Soglia verde")).to_have_value("50.000")
    await form.get_by_label("Soglia verde").fill("100.000")
    await form.get_by_label("Soglia rossa").fill("50.000")
    await form.get_by_role("button", name="Salva la direzione").click()
    form = page.locator(".kpi-direction-form form")
    await expect(form.locator("#direction-reason-error")).to_have_text(
        "Questo campo è obbligatorio."
    )
    await form.get_by_label("Motivo").fill("creato al contrario")
    await form.get_by_role("button", name="Salva la direzione").click()
    form = page.locator(".kpi-direction-form form")
    await expect(form.locator("#direction-red-error")).to_contain_text("La soglia rossa sta")
    await expect(page.locator(".kpi-direction")).to_have_text("Più alto è meglio")  # not yet
    await form.get_by_label("Soglia verde").fill("50.000")
    await form.get_by_label("Soglia rossa").fill("100.000")
    await form.get_by_role("button", name="Salva la direzione").click()
    form = page.locator(".kpi-direction-form form")  # it feeds revenue to increase
    refused = form.locator("#direction-direction-error")
    await expect(refused).to_contain_text(
        "Alimenta risultati chiave di cicli non chiusi che, con la nuova direzione,"
    )
    await expect(refused).to_contain_text("(«Fatturato a 120.000»: un aumento")  # which
    await expect(refused).not_to_contain_text("Margine")  # (it does not feed that one)
    await expect(page.locator(".kpi-direction")).to_have_text("Più alto è meglio")  # not yet
    await r.app.key_results.unlink_kpi(r.ctx, r.fed)
    await form.get_by_role("button", name="Salva la direzione").click()
    await expect(page.locator(".kpi-done")).to_have_text(
        "Direzione cambiata: la salute delle misure segue la nuova."
    )
    await expect(page.locator(".kpi-direction")).to_have_text("Più basso è meglio")
    await expect(page.locator(".kpi-green")).to_have_text(f"€{NB}50.000")
    await expect(page.locator(".kpi-red")).to_have_text(f"€{NB}100.000")
    await expect(page.locator("li.measurement .ci-value")).to_have_text(
        [f"€{NB}95.000", f"€{NB}72.000"]
    )
    member = await a_colleague(portal.system, r.client, "Marta Blu", "client_member")
    other = await r.opened(open_page, member)
    await expect(other.locator(".kpi-direction-form")).to_have_count(0)


async def test_a_member_corrects_a_measurement_s_note(
    open_page: Opener, portal: PortalServer
) -> None:
    """A measurement's note could not be corrected (a check-in's could): its correction
    form has the note, as it stands; changed alone, it becomes the measurement's and the
    fed check-in's, and the correction says it; sent as it was, with the value as it was,
    it is said beside the value and nothing is recorded."""
    r = await _revenue(portal)
    member = await a_colleague(portal.system, r.client, "Marta Blu", "client_member")
    page = await r.opened(open_page, member)
    row = page.locator("li.measurement").first
    await row.locator("summary").click()
    form = row.locator("form.correction-form")
    await expect(form.get_by_label("Nota")).to_have_value("chiusura di novembre")
    await form.get_by_label("Motivo").fill("nulla")
    await form.get_by_role("button", name="Salva la correzione").click()
    form = page.locator("li.measurement").first.locator("form.correction-form")
    await expect(form.locator("[id$='-value-error']")).to_contain_text("È già questo il valore")
    await form.get_by_label("Nota").fill("chiusura di novembre, senza il negozio di Verona")
    await form.get_by_label("Motivo").fill("mancava una precisazione")
    await form.get_by_role("button", name="Salva la correzione").click()
    await expect(page.locator(".kpi-done")).to_have_text("Correzione registrata.")
    row = page.locator("li.measurement").first
    await expect(row.locator(".ci-note")).to_have_text(
        "chiusura di novembre, senza il negozio di Verona"
    )
    await expect(row.locator(".ci-value")).to_have_text(f"€{NB}95.000")
    await expect(row.locator(".ci-note-corrected")).to_have_text(
        "Nota ora: «chiusura di novembre, senza il negozio di Verona»"
    )
    fed = await r.app.key_results.get(r.ctx, r.fed)
    latest = max(fed.check_ins.values(), key=lambda c: c.on)
    assert latest.note == "chiusura di novembre, senza il negozio di Verona"


async def test_a_member_corrects_a_measurement_and_a_far_value_is_asked_first(
    open_page: Opener, portal: PortalServer
) -> None:
    """Whoever may check in corrects a measurement with a reason (its fed check-ins with
    it); a blank reason and a value that is no number are said together, a value far off
    the thresholds is asked about before it is kept. A member is offered no other form and a
    hand-made one is forbidden; a viewer is offered none, and a hand-made one is forbidden."""
    r = await _revenue(portal)
    client, kpi, fed = r.client, r.kpi, r.fed
    member = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    viewer = await a_colleague(portal.system, client, "Vera Neri", "client_viewer")
    page = await r.opened(open_page, member)
    for gone in (".kpi-edit", ".kpi-thresholds", ".kpi-feed", ".kpi-archive", ".unfeed-form"):
        await expect(page.locator(gone)).to_have_count(0)
    row = page.locator("li.measurement").first
    await row.locator("summary").click()
    form = row.locator("form.correction-form")
    await expect(form.get_by_label("Valore corretto")).to_have_value("95.000")
    await form.get_by_label("Valore corretto").fill("tanti")
    await form.get_by_role("button", name="Salva la correzione").click()
    form = page.locator("li.measurement").first.locator("form.correction-form")
    await expect(form.locator("[id$='-value-error']")).to_have_text(
        "Scrivi un numero, per esempio 4,5."
    )
    await expect(form.locator("[id$='-reason-error']")).to_have_text("Scrivi perché lo correggi.")
    await form.get_by_label("Valore corretto").fill("9.800.000")  # a slip? asked first
    await form.get_by_label("Motivo").fill("mancava un ordine")
    await form.get_by_role("button", name="Salva la correzione").click()
    form = page.locator("li.measurement").first.locator("form.correction-form")
    await expect(form.locator("[id$='-value-error']")).to_contain_text(
        f"€{NB}9.800.000 è molto lontano dalle soglie"
    )
    await expect(page.locator(".kpi-value")).to_have_text(f"€{NB}95.000")  # nothing yet
    await form.get_by_label("Valore corretto").fill("98.000")
    await form.get_by_role("button", name="Salva la correzione").click()
    await expect(page.locator(".kpi-done")).to_have_text("Correzione registrata.")
    row = page.locator("li.measurement").first
    await expect(row.locator(".ci-value")).to_have_text(f"€{NB}98.000")
    await expect(row.locator(".ci-original")).to_have_text(f"€{NB}95.000")
    await expect(row.locator(".ci-correction")).to_contain_text("mancava un ordine")
    forged = await page.request.post(
        f"/t/{client.id}/kpis/{kpi}/edit", form={**await csrf(page), "name": "Di nascosto"}
    )
    assert forged.status == 403

    other = await r.opened(open_page, viewer)
    await expect(other.locator(".kpi-value")).to_have_text(f"€{NB}98.000")
    await expect(other.locator("form.plan-form")).to_have_count(0)
    token = await csrf(other)
    measurement = (await other.locator("li.measurement").first.get_attribute("id") or "")[2:]
    for path, sent in (
        (f"correct/{measurement}", {"value": "1", "reason": "x"}),
        ("archive", {"reason": "x"}),
        (f"unfeed/{fed}", {}),
    ):
        answer = await other.request.post(f"/t/{client.id}/kpis/{kpi}/{path}",
                                          form={**token, **sent})  # fmt: skip
        assert answer.status == 403, path
    await other.goto(f"/t/{client.id}/kpis/{kpi}")
    await expect(other.locator(".kpi-value")).to_have_text(f"€{NB}98.000")  # nothing recorded


async def test_a_retired_kpi_says_by_whom_when_and_why_and_offers_no_forms(
    open_page: Opener, portal: PortalServer
) -> None:
    """Retiring a KPI needs a reason (said beside the field when missing); retired, its
    page says by whom, when and why, and offers no form; a form left open in another tab
    is refused at the top, as is one whose thresholds someone moved meanwhile."""
    r = await _revenue(portal)
    client, kpi, app, ctx = r.client, r.kpi, r.app, r.ctx
    page = await r.opened(open_page)

    await page.locator(".kpi-thresholds summary").click()
    form = page.locator(".kpi-thresholds form")
    await form.get_by_label("Soglia verde").fill("110.000")
    await form.get_by_label("Motivo").fill("obiettivo più alto")
    await app.kpis.change_thresholds(ctx, kpi, green=120_000, red=50_000, reason="altrove")
    await projected(portal.system, client.id)
    await form.get_by_role("button", name="Salva le soglie").click()
    form = page.locator(".kpi-thresholds form")
    await expect(form.locator(".form-error")).to_have_text(
        "Qualcun altro l'ha appena cambiato: ecco com'è ora. Riprova se serve ancora."
    )
    await expect(page.locator(".kpi-green")).to_have_text(f"€{NB}120.000")  # as it is now

    stale = await r.opened(open_page)
    await stale.locator(".kpi-edit summary").click()

    await page.locator(".kpi-archive summary").click()
    await (
        page.locator(".kpi-archive form").get_by_role("button", name="Ritira l'indicatore").click()
    )
    form = page.locator(".kpi-archive form")
    await expect(form.locator("#archive-reason-error")).to_have_text("Scrivi perché lo ritiri.")
    await form.get_by_label("Motivo").fill("sostituito dal margine")
    await form.get_by_role("button", name="Ritira l'indicatore").click()
    await expect(page.locator(".kpi-done")).to_have_text("Indicatore ritirato.")
    banner = page.locator(".kpi-is-archived")
    await expect(banner).to_contain_text("Ritirato da Luca Conti il")
    await expect(banner).to_contain_text("sostituito dal margine")
    await expect(page.locator("form.plan-form")).to_have_count(0)
    await expect(page.locator(".ci-correct")).to_have_count(0)
    await expect(page.locator("#feeds-heading")).to_have_text(
        "Risultati chiave che alimentava fino al ritiro"
    )  # it feeds them no more
    await shot(page, "kpi-retired")

    form = stale.locator(".kpi-edit form")
    await form.get_by_label("Nome").fill("Troppo tardi")
    await form.get_by_role("button", name="Salva le modifiche").click()
    await expect(stale.locator(".refusal")).to_have_text(
        "L'indicatore è stato ritirato: non cambia più."
    )
    await expect(stale.locator("h1")).to_have_text("Fatturato mensile")
    await expect(stale.locator("form.plan-form")).to_have_count(0)


async def test_another_company_s_kpi_and_an_unknown_one_are_not_found(
    open_page: Opener, portal: PortalServer
) -> None:
    """Two companies of the same name: each sees its own KPI's page, never the other's
    (the same 404 as a KPI that does not exist), by either company's address."""
    mine, theirs = await _revenue(portal), await _revenue(portal)
    assert mine.client.name == theirs.client.name
    for own, foreign in ((mine, theirs), (theirs, mine)):
        page = await own.opened(open_page)
        await expect(page.locator("h1")).to_have_text("Fatturato mensile")
        own_kpi, foreign_kpi = own.kpi, foreign.kpi
        for path in (
            f"/t/{foreign.client.id}/kpis/{foreign_kpi}",
            f"/t/{own.client.id}/kpis/{foreign_kpi}",
            f"/t/{own.client.id}/kpis/{uuid4()}",
            f"/t/{own.client.id}/kpis/not-an-id",
        ):
            answer: Any = await page.goto(path)
            assert answer.status == 404, path
            await expect(page.locator("h1")).to_have_text("Pagina non trovata")
        await page.goto(f"/t/{own.client.id}/kpis/{own_kpi}")
        forged = await page.request.post(
            f"/t/{own.client.id}/kpis/{foreign_kpi}/edit", form={**await csrf(page), "name": "X"}
        )
        assert forged.status == 404


async def test_an_owner_typed_as_another_company_s_person_is_not_named(
    open_page: Opener, portal: PortalServer
) -> None:
    """An owner is anyone's to type (the API takes any text): typed as the id of a person of
    another company, the KPI's page showed that person's name, so a company's admin could
    read the name behind any account's id. It is "someone", as on the other pages."""
    mine, theirs = await _revenue(portal), await _revenue(portal)
    stranger = await a_colleague(portal.system, theirs.client, "Zeno Forestiero", "client_viewer")
    await mine.app.kpis.edit(mine.ctx, mine.kpi, owner=stranger.actor)
    await projected(portal.system, mine.client.id)
    page = await mine.opened(open_page)
    await expect(page.locator(".kpi-owner")).to_have_text("qualcuno")
    await expect(page.locator("main")).not_to_contain_text("Zeno Forestiero")


async def test_a_refusal_speaks_english_and_the_page_fits_a_phone(
    open_page: Opener, portal: PortalServer
) -> None:
    """An English reader is told in English; on a phone the page needs no sideways
    scrolling (the chart scrolls in its own box, as the key result's)."""
    page = await (await _revenue(portal)).opened(open_page, locale="en-GB", width=390, height=844)
    await page.locator(".kpi-thresholds summary").click()
    form = page.locator(".kpi-thresholds form")
    await form.get_by_label("Green threshold").fill("40,000")
    await form.get_by_label("Reason").fill("new price list")
    await form.get_by_role("button", name="Save the thresholds").click()
    form = page.locator(".kpi-thresholds form")
    await expect(form.locator("#thresholds-red-error")).to_contain_text(
        "The red threshold lies on the worse side of the green"
    )
    await page.locator(".kpi-archive summary").click()
    await page.locator(".kpi-archive form").get_by_role("button", name="Retire the KPI").click()
    await expect(page.locator("#archive-reason-error")).to_have_text("Say why you retire it.")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await shot(page, "kpi-phone")


async def test_a_measurement_or_thresholds_changed_meanwhile_are_not_overwritten(
    open_page: Opener, portal: PortalServer
) -> None:
    """Two tabs correct the same measurement: the second was taken as a correction of the
    first's value with a reason written about the value it showed (an acceptance test's
    finding). Now a form says what it showed: the second is refused at the top, as the
    thresholds' and the edit's are. And where the page's view lags behind the log, the
    command checks what the form showed on the KPI itself (a review's finding)."""
    r = await _revenue(portal)
    client, kpi, app, ctx = r.client, r.kpi, r.app, r.ctx
    page = await r.opened(open_page)
    newest = (await progress_state(portal.system.pool, client.id)).kpis[kpi].latest
    assert newest is not None
    row = page.locator("li.measurement").first
    await row.locator("summary").click()
    form = row.locator("form.correction-form")
    await form.get_by_label("Valore corretto").fill("97.000")
    await form.get_by_label("Motivo").fill("scritto su 95.000")
    await app.kpis.correct_measurement(
        ctx, kpi, measurement_id=newest.measurement_id, value=96_000, reason="altra scheda"
    )
    await projected(portal.system, client.id)
    await form.get_by_role("button", name="Salva la correzione").click()
    await expect(page.locator("li.measurement").first.locator(".form-error")).to_have_text(
        "Qualcun altro l'ha appena cambiato: ecco com'è ora. Riprova se serve ancora."
    )
    await expect(page.locator(".kpi-value")).to_have_text(f"€{NB}96.000")

    await page.goto(f"/t/{client.id}/kpis/{kpi}")  # shows 96.000 and the thresholds
    row = page.locator("li.measurement").first
    await row.locator("summary").click()
    await page.locator(".kpi-thresholds summary").click()
    async with lagging(portal.system, client.id):
        await app.kpis.correct_measurement(
            ctx, kpi, measurement_id=newest.measurement_id, value=99_000, reason="di nuovo"
        )
        await app.kpis.change_thresholds(ctx, kpi, green=110_000, red=50_000, reason="altrove")
        form = row.locator("form.correction-form")
        await form.get_by_label("Valore corretto").fill("97.000")
        await form.get_by_label("Motivo").fill("scritto su 96.000")
        await form.get_by_role("button", name="Salva la correzione").click()
        await expect(page.locator("li.measurement").first.locator(".form-error")).to_have_text(
            "Qualcun altro l'ha appena cambiato: ecco com'è ora. Riprova se serve ancora."
        )
        form = page.locator(".kpi-thresholds form")
        await page.locator(".kpi-thresholds summary").click()
        await form.get_by_label("Soglia verde").fill("120.000")
        await form.get_by_label("Motivo").fill("scritto su 100.000")
        await form.get_by_role("button", name="Salva le soglie").click()
        await expect(page.locator(".kpi-thresholds .form-error")).to_have_text(
            "Qualcun altro l'ha appena cambiato: ecco com'è ora. Riprova se serve ancora."
        )
    now = await app.kpis.get(ctx, kpi)
    assert (now.measurements[newest.measurement_id].value, now.green) == (
        Decimal(99_000),
        Decimal(110_000),
    )


async def _a_red_kpi(app: OKRApplication, ctx: Context, portal: PortalServer) -> UUID:
    """A weekly KPI, lower is better (green 5, red 10), measured 12 yesterday: red."""
    kpi = (await app.kpis.create(
        ctx, name="Reclami aperti", direction="lower_is_better", green=5, red=10,
        frequency_days=7, owner=ctx.actor,
    )).item_id  # fmt: skip
    await app.kpis.record_measurement(ctx, kpi, value=12, on=portal.today - timedelta(days=1))
    return kpi


async def test_a_red_kpi_with_no_recovery_okr_says_so_and_offers_one(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI turned red said so on its tile and page, and nothing more: whether a recovery
    OKR was aligned to it took opening each key result it fed, and making one took finding
    the new key result form and choosing the KPI in it. Its tile and page now say it has
    none (in English too); the page's link opens the dashboard with the KPI chosen in each
    new key result form, the way better set as the KPI's; once one is added, the page lists
    it with its status, objective and cycle, and neither says it has none."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    cycle = (await app.cycles.create(
        ctx, name="Trimestre", starts_on=portal.today - timedelta(days=30),
        ends_on=portal.today + timedelta(days=60),
    )).item_id  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    goal = (await app.objectives.create(
        ctx, cycle_id=cycle, title="Clienti contenti", owner=ctx.actor
    )).item_id  # fmt: skip
    kpi = await _a_red_kpi(app, ctx, portal)
    await projected(portal.system, client.id)

    english = await open_page(locale="en-GB")
    await sign_in(english, admin)
    await english.goto(f"/t/{client.id}/kpis/{kpi}")
    await expect(english.locator(".no-recovery")).to_contain_text(
        "No recovery OKR: the KPI is not green and feeds no key result of an active cycle."
    )
    await expect(english.locator(".recovery-add")).to_have_text("Add a key result fed by the KPI")

    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}")
    await expect(page.locator(f"#kpi-{kpi} .no-recovery")).to_have_text("Senza OKR di recupero")
    await page.locator(f"#kpi-{kpi} h3 a").click()
    await expect(page.locator(".no-recovery")).to_contain_text(
        "Nessun OKR di recupero: l'indicatore non è verde e non alimenta alcun risultato"
        " chiave di un ciclo attivo."
    )
    await page.locator(".recovery-add").click()
    await expect(page.locator(".recovery-kpi")).to_contain_text("«Reclami aperti»")
    fid = f"#new-kr-{goal}"
    await expect(page.locator(f"{fid}-kpi")).to_have_value(str(kpi))
    await expect(page.locator(f"{fid}-kind")).to_have_value("decrease")
    form = page.locator(f"form[action='/t/{client.id}/plan/objectives/{goal}/key-results']")
    await page.locator(".plan-key-result", has=form).locator("summary").click()
    await page.locator(f"{fid}-title").fill("Reclami aperti a 4")
    await page.locator(f"{fid}-start").fill("12")
    await page.locator(f"{fid}-target").fill("4")
    await form.get_by_role("button", name="Aggiungi il risultato chiave").click()
    await expect(page.locator(".cycle-done")).to_have_text("Risultato chiave aggiunto.")
    await expect(page.locator(f"#kpi-{kpi} .no-recovery")).to_have_count(0)

    await page.goto(f"/t/{client.id}/kpis/{kpi}")
    row = page.locator(".fed-kr")
    await expect(row.locator("a")).to_have_text("Reclami aperti a 4")
    await expect(row.locator(".chip")).to_have_text("Fuori rotta")  # 12 taken at once: 0 %
    await expect(row.locator(".fed-where")).to_have_text("Clienti contenti · Trimestre · attivo")
    await expect(page.locator(".no-recovery")).to_have_count(0)


async def test_a_kpi_to_recover_with_no_cycle_to_plan_in_says_to_plan_one_first(
    open_page: Opener, portal: PortalServer
) -> None:
    """A red KPI of a company whose only cycle is closed said it had no recovery OKR and
    linked the dashboard, where no new key result form is (a closed cycle takes none), the
    banner saying each had the KPI chosen. It now says to plan a cycle first, in both
    languages, and links the new cycle form, unfolded (it landed on it folded, one more
    click to find); once a cycle is planned, the link adds a key result again."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    cycle = (await app.cycles.create(
        ctx, name="Trimestre passato", starts_on=portal.today - timedelta(days=120),
        ends_on=portal.today - timedelta(days=30),
    )).item_id  # fmt: skip
    await app.cycles.activate(ctx, cycle)
    await app.cycles.close(ctx, cycle)
    kpi = await _a_red_kpi(app, ctx, portal)
    await projected(portal.system, client.id)

    english = await open_page(locale="en-GB")
    await sign_in(english, admin)
    await english.goto(f"/t/{client.id}/kpis/{kpi}")
    await expect(english.locator(".no-recovery")).to_contain_text(
        "No cycle is active or in planning: plan a cycle first, then add a key result fed"
        " by the KPI."
    )
    await expect(english.locator(".recovery-plan")).to_have_text("Plan a cycle")

    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/kpis/{kpi}")
    await expect(page.locator(".no-recovery")).to_contain_text(
        "Nessun ciclo è attivo o in pianificazione: pianifica prima un ciclo, poi aggiungi un"
        " risultato chiave alimentato dall'indicatore."
    )
    await expect(page.locator(".recovery-add")).to_have_count(0)
    await page.locator(".recovery-plan").click()
    await expect(page.locator("#plan-cycle")).to_have_attribute("open", "")  # not folded
    await expect(page.locator("#plan-cycle input[name=name]")).to_be_visible()
    await expect(page.locator(".recovery-kpi")).to_contain_text("pianifica prima un ciclo")
    await page.goto(f"/t/{client.id}")  # no KPI to recover: the form folded as ever
    await expect(page.locator("#plan-cycle")).not_to_have_attribute("open", "")

    await app.cycles.create(
        ctx, name="Trimestre nuovo", starts_on=portal.today,
        ends_on=portal.today + timedelta(days=90),
    )  # fmt: skip
    await projected(portal.system, client.id)
    await page.goto(f"/t/{client.id}/kpis/{kpi}")
    await expect(page.locator(".recovery-plan")).to_have_count(0)
    await expect(page.locator(".recovery-add")).to_have_count(1)


async def test_a_daily_kpi_is_measured_every_day_in_both_languages(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI measured daily read "ogni 1 giorni" on its page ("every 1 days" in English):
    it says ogni giorno, every day."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    kpi = (await app.kpis.create(
        ctx, name="Ordini evasi", direction="higher_is_better", green=50, red=30,
        frequency_days=1, owner=ctx.actor,
    )).item_id  # fmt: skip
    await projected(portal.system, client.id)
    for locale, said in (("it-IT", "ogni giorno"), ("en-GB", "every day")):
        page = await open_page(locale=locale)
        await sign_in(page, admin)
        await page.goto(f"/t/{client.id}/kpis/{kpi}")
        await expect(page.locator(".kpi-every")).to_have_text(said)


async def test_a_kpi_of_many_measurements_holds_few_forms_and_corrects_any(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI measured hundreds of times had a correction form for each measurement on its
    page. It now lists every one with its value, holds the forms of the newest 20, and an
    older one's 'Correggi' opens the page with its own form, which corrects it."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    kpi = (await app.kpis.create(
        ctx, name="Visite", direction="higher_is_better", green=50, red=30,
        frequency_days=1, owner=ctx.actor,
    )).item_id  # fmt: skip
    for days_ago in range(30, 0, -1):
        on = portal.today - timedelta(days=days_ago)
        await app.kpis.record_measurement(ctx, kpi, value=31 - days_ago, on=on)
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/kpis/{kpi}")
    await expect(page.locator("li.measurement")).to_have_count(30)
    await expect(page.locator("form.correction-form")).to_have_count(20)
    oldest = page.locator("li.measurement").last
    await expect(oldest.locator(".ci-value")).to_have_text("1")
    await oldest.get_by_role("link", name="Correggi").click()
    form = page.locator("li.measurement").last.locator("form.correction-form")
    await expect(form.get_by_label("Valore corretto")).to_be_visible()  # open
    await form.get_by_label("Valore corretto").fill("2")
    await form.get_by_label("Motivo").fill("contate male")
    await form.get_by_role("button", name="Salva la correzione").click()
    await expect(page.locator(".kpi-done")).to_have_text("Correzione registrata.")
    await expect(page.locator("li.measurement").last.locator(".ci-value")).to_have_text("2")


async def test_a_kpi_s_chart_draws_its_thresholds_as_they_stood(
    open_page: Opener, portal: PortalServer
) -> None:
    """Green was moved from 50 to 80 ten days ago. The chart drew 80 over its whole range,
    as if the values of a month ago had been judged against it; the API's series, as of
    any day, says the thresholds of then. It draws 50 up to the move, 80 from it, joined
    by a step on that day (two stretches at two heights read as two thresholds)."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")

    def on(days_ago: int) -> Context:
        moment = datetime.combine(portal.today - timedelta(days=days_ago), time(10), tzinfo=UTC)
        return Context(client.id, ctx.actor, imported_at=moment)

    kpi = (await app.kpis.create(
        on(40), name="Visite", direction="higher_is_better", green=50, red=30,
        frequency_days=7, owner=ctx.actor,
    )).item_id  # fmt: skip
    for days_ago in (35, 28, 21, 14, 10, 7):
        if days_ago == 10:
            await app.kpis.change_thresholds(on(10), kpi, green=80, red=30, reason="più alti")
            continue
        await app.kpis.record_measurement(
            on(days_ago), kpi, value=60, on=portal.today - timedelta(days=days_ago)
        )
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/kpis/{kpi}")

    async def ends(lines: Locator) -> list[dict[str, float]]:
        return [
            {k: float(await line.get_attribute(k) or "nan") for k in ("x1", "y1", "x2", "y2")}
            for line in await lines.all()
        ]

    green = page.locator("svg.chart line.threshold-green:not(.threshold-joint)")
    await expect(green).to_have_count(2)
    before, after = await ends(green)
    assert before["y1"] == before["y2"] > after["y1"] == after["y2"]  # 50, then 80 (higher)
    assert before["x2"] == after["x1"]  # the step on the day of the move
    [joint] = await ends(page.locator("svg.chart line.threshold-green.threshold-joint"))
    assert joint == {"x1": before["x2"], "y1": before["y2"], "x2": after["x1"], "y2": after["y1"]}
    red = page.locator("svg.chart line.threshold-red")
    await expect(red).to_have_count(1)  # not moved: one line, no joint
    await shot(page, "kpi-thresholds-as-they-stood")
