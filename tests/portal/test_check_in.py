"""Checking in from the key result page: the bar and the chart move; mistakes are explained
beside the field; a viewer cannot check in."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from domain.values import Unit, UnitKind
from services import demo_data as d
from services.i18n import Locale
from tests.portal.conftest import (
    Form,
    Opener,
    PortalServer,
    attribute_of,
    csrf,
    hidden_of,
    shot,
    sign_in,
)
from tests.portal.world import a_colleague, a_company_of_its_own, one_key_result, projected

FIRST_CONTACT = d.demo_id("kr:first-contact")
CONFIDENCE = "Fiducia (0\u201310)"


async def progress_of(page: Page) -> float:
    bar = page.locator(".kr-summary [role=progressbar]")
    return float(await attribute_of(bar, "aria-valuenow"))


async def test_a_client_member_checks_in_and_sees_the_bar_and_the_chart_move(
    open_page: Opener, portal: PortalServer
) -> None:
    """The whole point of the portal for a client: report a number, see where it leaves the
    goal. After the redirect the read model must already show the new value."""
    page = await open_page()
    await sign_in(page, d.MARCO)
    await page.goto(f"/t/{d.TENANT_ID}/kr/{FIRST_CONTACT}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("primo contatto")
    before = await progress_of(page)
    points = page.locator("svg.chart circle.point")
    count = await points.count()
    last_y = await points.last.get_attribute("cy")
    await shot(page, "key-result")

    # not after the company's day (in Rome): the server's clock, not the suite's
    rome = ZoneInfo(d.TENANT_TIME_ZONE)
    begun = {(datetime.now(rome) + timedelta(seconds=s)).date().isoformat() for s in (-60, 0)}
    assert (await page.locator("#ci-on").get_attribute("max")) in begun
    await page.get_by_label("Valore", exact=True).fill("abc")
    await page.get_by_label(CONFIDENCE).fill("12")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-value-error")).to_have_text("Scrivi un numero, per esempio 4,5.")
    await expect(page.locator("#ci-confidence-error")).to_contain_text("da 0 a 10")
    await page.get_by_label("Valore", exact=True).fill("")  # blank: said as any blank field
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-value-error")).to_have_text("Questo campo è obbligatorio.")
    await expect(page.get_by_label("Valore", exact=True)).to_have_attribute("aria-invalid", "true")
    await shot(page, "key-result-invalid")

    await page.get_by_label("Valore", exact=True).fill("53,5")
    await page.get_by_label(CONFIDENCE).fill("8")
    await page.get_by_label("Nota", exact=True).fill("nuovo script di primo contatto")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()

    await expect(page).to_have_url(re.compile(r"saved=1"))
    await expect(page.get_by_role("status")).to_have_text("Aggiornamento registrato.")
    await expect(page.get_by_role("status")).to_be_in_viewport()  # where the page landed
    await expect(page.locator(".current-value")).to_have_text("53,5\u00a0%")
    assert await progress_of(page) > before
    await expect(points).to_have_count(count + 1)
    assert float(await attribute_of(points.last, "cy")) < float(last_y or 0)
    await expect(page.locator(".check-in").first).to_contain_text("nuovo script di primo contatto")
    await expect(page.locator(".check-in").first).to_contain_text("Marco Russo")
    await shot(page, "key-result-after-check-in")

    await page.goto(f"/t/{d.TENANT_ID}?cycle={d.demo_id('cycle:quarter')}")
    row = page.locator(f"li.kr[data-kr='{FIRST_CONTACT}']")
    await expect(row.locator(".kr-value")).to_have_text("53,5\u00a0%")


async def test_a_viewer_has_no_form_and_a_forged_post_is_forbidden(
    open_page: Opener, portal: PortalServer
) -> None:
    """A viewer reads; posting a check-in anyway (with a valid CSRF token) answers 403."""
    page = await open_page()
    await sign_in(page, d.SARA)
    await page.goto(f"/t/{d.TENANT_ID}/kr/{FIRST_CONTACT}")
    await expect(page.locator("form.check-in-form")).to_have_count(0)
    token = await page.locator("form.sign-out input[name=csrf_token]").get_attribute("value")

    response = await page.request.post(
        f"/t/{d.TENANT_ID}/kr/{FIRST_CONTACT}/check-ins",
        form={"csrf_token": token or "", "value": "50", "on": "2026-01-01"},
    )
    assert response.status == 403
    assert "Azione non consentita" in await response.text()
    forged = await page.request.post(
        f"/t/{d.TENANT_ID}/kr/{FIRST_CONTACT}/check-ins", form={"value": "50"}
    )
    assert forged.status == 403


async def on_a_key_result_of_its_own(
    open_page: Opener, portal: PortalServer
) -> tuple[Page, str, date]:
    """A member of a company of its own, signed in on its key result's page ("Nuovi
    clienti", 40 → 60, in a 60-day cycle begun 30 days ago): the page, its path and the
    cycle's first day."""
    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_member")
    starts_on = portal.today - timedelta(days=30)
    _, kr = await one_key_result(
        app, ctx, starts_on, 60, "Nuovi clienti", kind="increase", start=40, target=60
    )
    page = await open_page()
    await sign_in(page, person)
    path = f"/t/{client.id}/kr/{kr}"
    await page.goto(path)
    return page, path, starts_on


async def test_a_post_from_an_opaque_origin_is_forbidden(
    open_page: Opener, portal: PortalServer
) -> None:
    """A form posted from a sandboxed frame, a data: URL or a file says `Origin: null`: it
    passed the Origin check as if it came from the portal. Refused (403), as a post from
    another site is, and nothing recorded; the portal's own origin is still let through."""
    page, path, starts_on = await on_a_key_result_of_its_own(open_page, portal)
    token = await page.locator("form.sign-out input[name=csrf_token]").get_attribute("value")
    url = f"{path}/check-ins"
    form: Form = {"csrf_token": token or "", "value": "51", "on": starts_on.isoformat()}

    for origin in ("null", "https://elsewhere.example"):
        refused = await page.request.post(url, form=form, headers={"Origin": origin})
        assert refused.status == 403, origin

    await page.reload()
    await expect(page.locator(".check-in")).to_have_count(0)
    own = await page.request.post(  # a value it refuses: past the Origin check, no record
        url, form={**form, "value": "cinquanta"}, headers={"Origin": portal.base_url}
    )
    assert own.status == 422, own.status
    assert "Azione non consentita" not in await own.text()


async def test_a_confidence_in_other_digits_or_of_thousands_is_said_beside_it(
    open_page: Opener, portal: PortalServer
) -> None:
    """str.isdigit takes "²" and "٣": the first failed int() (a 500 page), the second was
    recorded as a confidence of 3; 5,000 nines failed int() too. Each is said beside the
    confidence (422) and no check-in is recorded; 7 typed as "07" still is."""
    page, path, starts_on = await on_a_key_result_of_its_own(open_page, portal)
    form = {"value": "51", "on": starts_on.isoformat(), **await csrf(page)}

    for typed in ("²", "٣", "9" * 5000, "11"):
        answer = await page.request.post(f"{path}/check-ins", form={**form, "confidence": typed})
        assert answer.status == 422, (typed[:5], answer.status)
        assert "La fiducia è un numero intero da 0 a 10." in html.unescape(await answer.text())
    await page.reload()
    await expect(page.locator(".check-in")).to_have_count(0)

    await page.request.post(f"{path}/check-ins", form={**form, "confidence": "07"})
    await page.reload()
    await expect(page.locator(".check-in .ci-confidence")).to_have_text("Fiducia: 7/10")


async def test_a_note_too_long_says_its_limit(open_page: Opener, portal: PortalServer) -> None:
    """The note takes 2,000 characters: a longer one is refused saying the limit (it said
    only "too long"), nothing recorded. The field does not stop there itself, as a browser
    counts an emoji as two characters where the server counts one."""
    page = await open_page()
    await sign_in(page, d.MARCO)
    await page.goto(f"/t/{d.TENANT_ID}/kr/{FIRST_CONTACT}")
    note = page.get_by_label("Nota", exact=True)
    count = await page.locator(".check-in").count()
    await page.get_by_label("Valore", exact=True).fill("50")
    await note.fill("x" * 2001)
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-note-error")).to_have_text(
        "Il testo è troppo lungo: al massimo 2000 caratteri."
    )
    await expect(page.locator(".check-in")).to_have_count(count)


async def test_a_value_far_from_start_and_target_is_confirmed_first(
    open_page: Opener, portal: PortalServer
) -> None:
    """ "43" on costs of €1,200,000 → €1,080,000 (a slip for 43,000 or 1,130,000): the page
    asks first, saying start and target, and records nothing; sent again as it is, it is
    recorded. A value changed meanwhile is asked about again."""
    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_member")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 300, "Costi da 1.200.000 a 1.080.000",
        kind="decrease", start=1200000, target=1080000,
    )  # fmt: skip
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    for typed in ("43", "44"):
        await page.get_by_label("Valore", exact=True).fill(typed)
        await page.get_by_role("button", name="Registra l'aggiornamento").click()
        await expect(page.locator("#ci-value-error")).to_have_text(
            f"{typed} è molto lontano dalla partenza (1.200.000) e dal traguardo (1.080.000):"
            " se è giusto, registralo di nuovo."
        )
        await expect(page.locator(".check-in")).to_have_count(0)
    await page.get_by_label("Valore", exact=True).fill("44,0")  # the same number
    await page.locator("#ci-on").fill("2099-01-01")  # refused for its day
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-on-error")).to_be_visible()
    await expect(page.locator("#ci-value-error")).to_have_count(0)  # confirmed, and kept
    await page.locator("#ci-on").fill(portal.today.isoformat())
    await page.get_by_role("button", name="Registra l'aggiornamento").click()  # yes, 44
    await expect(page.get_by_role("status")).to_have_text("Aggiornamento registrato.")
    await expect(page.locator(".check-in")).to_have_count(1)
    await expect(page.locator(".current-value")).to_have_text("44")


async def test_a_value_typed_as_the_form_s_example_with_its_unit_is_recorded(
    open_page: Opener, portal: PortalServer
) -> None:
    """The form says "Per esempio 19,2 ore": typed so, it was refused ("Scrivi un numero")
    though the page writes every value so. The unit's words are read past, a far-off value
    so written is asked about and, sent again, recorded; another word is still refused."""
    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_member")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 300, "Risposte da 24 a 19,2 ore",
        kind="decrease", start=24, target=Decimal("19.2"), unit=Unit(UnitKind.HOURS),
    )  # fmt: skip
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await expect(page.locator("#ci-value-hint")).to_have_text("Per esempio 19,2\u00a0ore")
    value = page.get_by_label("Valore", exact=True)
    await value.fill("22 minuti")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-value-error")).to_have_text("Scrivi un numero, per esempio 4,5.")
    await value.fill("400 ore")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-value-error")).to_contain_text("400\u00a0ore è molto lontano")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()  # yes, 400
    await expect(page.get_by_role("status")).to_have_text("Aggiornamento registrato.")
    await value.fill("22,5 ore")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.get_by_role("status")).to_have_text("Aggiornamento registrato.")
    await expect(page.locator(".check-in")).to_have_count(2)
    await expect(page.locator(".current-value")).to_have_text("22,5\u00a0ore")


async def test_a_check_in_dated_outside_its_cycle_says_which_days_it_may_have(
    open_page: Opener, portal: PortalServer
) -> None:
    """A check-in for a day before its cycle said "La data deve cadere tra l'inizio del
    ciclo e 31 giorni dopo la sua fine.", leaving the reader to find the days. It says them,
    the date field offers none before the cycle's first, and nothing is recorded."""
    page, _, starts_on = await on_a_key_result_of_its_own(open_page, portal)
    await expect(page.locator("#ci-on")).to_have_attribute("min", starts_on.isoformat())
    await page.get_by_label("Valore", exact=True).fill("45")
    await page.locator("#ci-on").fill((starts_on - timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    it = Locale("it")
    last = starts_on + timedelta(days=60 + 31)
    await expect(page.locator("#ci-on-error")).to_have_text(
        f"Un aggiornamento di questo ciclo è di un giorno dal {it.date(starts_on)} al"
        f" {it.date(last)} (31 giorni dopo la sua fine)."
    )
    await expect(page.get_by_label("Valore", exact=True)).to_have_value("45")
    await expect(page.locator(".check-in")).to_have_count(0)


async def test_a_check_in_s_day_outside_its_cycle_is_said_with_the_form_s_other_mistakes(
    open_page: Opener, portal: PortalServer
) -> None:
    """A value that is no number and a day before the cycle: only the value was said (the
    day was the command's to refuse, once the rest was right), and the day in a second
    round. Both are said at once, beside their fields, and nothing is recorded."""
    page, _, starts_on = await on_a_key_result_of_its_own(open_page, portal)
    await page.get_by_label("Valore", exact=True).fill("molti")
    await page.locator("#ci-on").fill((starts_on - timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-value-error")).to_have_text("Scrivi un numero, per esempio 4,5.")
    await expect(page.locator("#ci-on-error")).to_contain_text(
        f"Un aggiornamento di questo ciclo è di un giorno dal {Locale('it').date(starts_on)}"
    )
    await expect(page.locator(".check-in")).to_have_count(0)


async def test_each_correction_button_names_the_check_in_it_corrects(
    open_page: Opener, portal: PortalServer
) -> None:
    """A key result's page has a "Salva la correzione" button per check-in: to a screen
    reader listing buttons they were a dozen alike (the KPI page's named their measurement,
    though with no pause: "Salva la correzione la misura del …"). Each names its own."""
    page = await open_page()
    await sign_in(page, d.MARCO)
    pages = {
        f"/t/{d.TENANT_ID}/kr/{FIRST_CONTACT}": "Salva la correzione — l'aggiornamento del ",
        f"/t/{d.TENANT_ID}/kpis/{d.demo_id('kpi:csat')}": ("Salva la correzione — la misura del "),
    }
    for path, said in pages.items():
        await page.goto(path)
        buttons = await page.locator("form.correction-form button[type=submit]").all()
        names = [
            await b.evaluate("e => e.textContent.replace(/\\s+/g, ' ').trim()") for b in buttons
        ]
        assert len(names) > 1 and len(set(names)) == len(names), path  # none alike
        assert all(name.startswith(said) for name in names), names


async def test_a_guardrail_value_far_from_its_threshold_is_confirmed_first(
    open_page: Opener, portal: PortalServer
) -> None:
    """ "9.500" on on-time deliveries of at least 92 % (a slip for 95,00): a guardrail has
    no start, and the value was saved at once as 9.500 %, met. The page asks first, saying
    the threshold, and records nothing; sent again as it is, it is recorded. A correction
    to such a value is asked about too."""
    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_member")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 300, "Consegne puntuali almeno al 92 %",
        kind="stay_above", target=92, unit=Unit(UnitKind.PERCENT),
    )  # fmt: skip
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    # met or not at each check-in: no pace to keep, so none is drawn nor said (its line lay
    # on the threshold's, called "Andamento atteso" beside an "Avanzamento atteso oggi")
    await expect(page.locator("svg.chart line.pace")).to_have_count(0)
    await expect(page.locator(".legend")).not_to_contain_text("Andamento atteso")
    await expect(page.locator(".legend")).to_contain_text("Soglia")
    await expect(page.locator(".kr-summary")).not_to_contain_text("Avanzamento atteso")
    await expect(page.locator(".kr-summary .bar .expected")).to_have_count(0)
    await page.get_by_label("Valore", exact=True).fill("9.500")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator("#ci-value-error")).to_have_text(
        "9.500\u00a0% è molto lontano dalla soglia (92\u00a0%): se è giusto, registralo di nuovo."
    )
    await expect(page.locator(".check-in")).to_have_count(0)
    await page.get_by_label("Valore", exact=True).fill("95")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.get_by_role("status")).to_have_text("Aggiornamento registrato.")

    await page.locator("details.ci-correct summary").first.click()
    correction = page.locator("form.correction-form").first
    await correction.get_by_label("Valore corretto").fill("9.600")
    await correction.get_by_label("Motivo").fill("il reparto 2")
    await correction.get_by_role("button", name="Salva la correzione").click()
    await expect(page.locator("form.correction-form .field-error").first).to_contain_text(
        "è molto lontano dalla soglia (92\u00a0%)"
    )
    await expect(page.locator(".current-value")).to_have_text("95\u00a0%")


async def test_a_key_result_fed_by_a_retired_kpi_says_so(
    open_page: Opener, portal: PortalServer
) -> None:
    """Its linked KPI is named with a "retired" badge once archived (it read as live)."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 90, "Risposte entro un giorno",
        kind="increase", start=0, target=10,
    )  # fmt: skip
    kpi = (await app.kpis.create(ctx, name="Risposte", direction="higher_is_better", green=8,
                                 red=4, frequency_days=7, owner="Anna")).item_id  # fmt: skip
    await app.key_results.link_kpi(ctx, kr, kpi_id=kpi)
    await app.kpis.archive(ctx, kpi, reason="misurato altrove")
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await expect(page.locator(".facts .badge.retired")).to_have_text("ritirato")


async def test_an_owner_who_left_is_said_to_have_left(
    open_page: Opener, portal: PortalServer
) -> None:
    """A key result's owner removed from the company still owns it, by name, and nobody
    could tell: the tree and the key result's page say they are no longer a member; an
    owner who stays is named as before."""

    client, person, app, ctx = await a_company_of_its_own(portal.system)
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Nuovi clienti",
        kind="increase", start=0, target=10,
    )  # fmt: skip
    gone, _ = await app.access.invite(ctx, f"a-{client.slug}@gialli.example", "Anna Verdi",
                                      "client_member")  # fmt: skip
    await app.key_results.edit(ctx, kr, owner=f"user:{gone.user_id}")
    await app.access.remove(ctx, gone.user_id)
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}")
    owner = page.locator(".kr dd").filter(has_text="Anna Verdi")
    await expect(owner).to_have_text("Anna Verdi (non più membro)")
    await expect(page.locator("span.left")).to_have_count(1)  # not the objective's "Anna"
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await expect(page.locator("dd").filter(has_text="Anna Verdi")).to_have_text(
        "Anna Verdi (non più membro)"
    )
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("dd").filter(has_text="Anna Verdi")).to_have_text(
        "Anna Verdi (no longer a member)"
    )


async def test_a_correction_is_said_to_every_place_it_changed(
    open_page: Opener, portal: PortalServer
) -> None:
    """12,951 % corrected to 12,954 % read "from 12,95 % to 12,95 %" on the key result's
    page, its value and the one struck out alike: each is said as it was given."""

    client, person, app, ctx = await a_company_of_its_own(portal.system)
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Conversione",
        kind="increase", start=10, target=15, unit=Unit(UnitKind.PERCENT),
    )  # fmt: skip
    made = await app.key_results.record_check_in(
        ctx, kr, value=Decimal("12.951"), on=portal.today - timedelta(days=1)
    )
    await app.key_results.correct_check_in(
        ctx, kr, check_in_id=made.extra["check_in_id"], value=Decimal("12.954"), reason="r"
    )
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    nbsp = "\u00a0"
    await expect(page.locator(".ci-correction")).to_contain_text(f"12,951{nbsp}% a 12,954{nbsp}%")
    await expect(page.locator(".ci-value")).to_have_text(f"12,954{nbsp}%")
    await expect(page.locator(".ci-original")).to_have_text(f"12,951{nbsp}%")


async def test_a_check_in_s_note_corrected_is_said_under_it_and_in_the_history(
    open_page: Opener, portal: PortalServer
) -> None:
    """A correction that changed a check-in's note (through the API, or fed by a KPI's)
    said only its value, under the check-in and in the history: both now say the note it
    left, or that it was taken away, as a measurement's correction does."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Contratti firmati",
        kind="increase", start=0, target=100,
    )  # fmt: skip
    for days, note in ((2, "stima"), (1, "dal CRM")):
        made = await app.key_results.record_check_in(
            ctx, kr, value=40 + days, on=portal.today - timedelta(days=days), note=note
        )
        await app.key_results.correct_check_in(
            ctx, kr, check_in_id=made.extra["check_in_id"], value=40 + days,
            note="dal gestionale" if note == "stima" else "", reason=f"fonte {days}",
        )  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    latest, earlier = page.locator(".check-in").nth(0), page.locator(".check-in").nth(1)
    await expect(earlier.locator(".ci-note")).to_have_text("dal gestionale")
    await expect(earlier.locator(".ci-note-corrected")).to_have_text("Nota ora: «dal gestionale»")
    await expect(latest.locator(".ci-note")).to_have_count(0)
    await expect(latest.locator(".ci-note-corrected")).to_have_text("Nota tolta.")
    await shot(page, "key-result-note-corrected")
    await page.goto(f"/t/{client.id}/history?kind=key_result.check_in_corrected")
    said = page.locator("ol.timeline li")
    await expect(said.nth(0)).to_contain_text("corretto 41 → 41, nota tolta, da")
    await expect(said.nth(1)).to_contain_text("corretto 42 → 42, nota 'dal gestionale', da")


async def test_a_check_in_s_confidence_corrected_is_said_under_it_and_in_the_history(
    open_page: Opener, portal: PortalServer
) -> None:
    """A correction that changed only a check-in's confidence read "corretto 41 → 41", under
    the check-in and in the history: both now say the confidence it left (the history from
    what), beside a note it changed too."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Contratti firmati",
        kind="increase", start=0, target=100,
    )  # fmt: skip
    for days, note in ((2, None), (1, "dal CRM")):
        made = await app.key_results.record_check_in(
            ctx, kr, value=40 + days, on=portal.today - timedelta(days=days), confidence=6
        )
        await app.key_results.correct_check_in(
            ctx, kr, check_in_id=made.extra["check_in_id"], value=40 + days,
            confidence=8 + days, note=note, reason=f"rivista {days}",
        )  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    latest, earlier = page.locator(".check-in").nth(0), page.locator(".check-in").nth(1)
    await expect(earlier.locator(".ci-confidence-corrected")).to_have_text("Fiducia ora: 10/10.")
    await expect(earlier.locator(".ci-note-corrected")).to_have_count(0)
    await expect(latest.locator(".ci-correction")).to_contain_text(
        "Fiducia ora: 9/10. Nota ora: «dal CRM»"
    )
    await expect(latest.locator(".ci-confidence")).to_have_text("Fiducia: 9/10")
    await shot(page, "key-result-confidence-corrected")
    await page.goto(f"/t/{client.id}/history?kind=key_result.check_in_corrected")
    said = page.locator("ol.timeline li")
    await expect(said.nth(0)).to_contain_text(
        "corretto 41 → 41, fiducia 6/10 → 9/10, nota 'dal CRM', da"
    )
    await expect(said.nth(1)).to_contain_text("corretto 42 → 42, fiducia 6/10 → 10/10, da")


async def test_a_member_corrects_a_check_in_with_a_reason(
    open_page: Opener, portal: PortalServer
) -> None:
    """A slip recorded (43 for 43.000) could be corrected through the API only. On the key
    result's page each check-in can be corrected by whoever may check in: without a
    reason, or with a value that is no number or the one it has, the form says so beside
    the field and records nothing; corrected, the page shows the new value, the original
    struck out and the reason, and the bar moves. A viewer is offered no correction."""

    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_member")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 300, "Fatturato nuovi clienti",
        kind="increase", start=0, target=100000, unit=Unit(UnitKind.CURRENCY, "EUR"),
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr, value=43, on=portal.today - timedelta(days=2))
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    before = await progress_of(page)
    row = page.locator(".check-in").first
    await row.locator("summary").click()
    form = row.locator("form.correction-form")
    await expect(form.get_by_label("Valore corretto")).to_have_value("43")
    await form.get_by_role("button", name="Salva la correzione").click()  # no reason
    row = page.locator(".check-in").first
    form = row.locator("form.correction-form")
    await expect(form.locator(".field-error")).to_have_text("Scrivi perché lo correggi.")
    await expect(form.get_by_label("Motivo")).to_have_attribute("aria-invalid", "true")
    await form.get_by_label("Motivo").fill("mancavano tre zeri")
    await form.get_by_role("button", name="Salva la correzione").click()  # the same value
    form = page.locator(".check-in").first.locator("form.correction-form")
    await expect(form.locator(".field-error")).to_contain_text("È già questo il valore")
    await expect(form.get_by_label("Motivo")).to_have_value("mancavano tre zeri")  # kept
    await form.get_by_label("Valore corretto").fill("430.000")  # a slip too? asked first
    await form.get_by_role("button", name="Salva la correzione").click()
    form = page.locator(".check-in").first.locator("form.correction-form")
    await expect(form.locator(".field-error")).to_contain_text("€\u00a0430.000 è molto lontano")
    await form.get_by_role("button", name="Salva la correzione").click()  # sent again: kept
    await expect(page.locator(".correction-saved")).to_have_text("Correzione registrata.")
    row = page.locator(".check-in").first
    await expect(row.locator(".ci-value")).to_have_text("€\u00a0430.000")
    await expect(row.locator(".ci-original")).to_have_text("€\u00a043")
    await expect(row.locator(".ci-correction")).to_contain_text("mancavano tre zeri")
    assert await progress_of(page) > before
    await shot(page, "key-result-corrected")

    viewer = await a_colleague(portal.system, client, "Sara Verdi", "client_viewer")
    other = await open_page()
    await sign_in(other, viewer)
    await other.goto(f"/t/{client.id}/kr/{kr}")
    await expect(other.locator(".check-in")).to_have_count(1)
    await expect(other.locator(".ci-correct")).to_have_count(0)


async def test_a_client_admin_revises_a_target_with_a_reason(
    open_page: Opener, portal: PortalServer
) -> None:
    """Moving a target took the API. Whoever may revise targets finds it on the key
    result's page: without a reason, or to the target it has, the form says so and records
    nothing; revised, the page shows the new target beside the original, and the reason.
    A member, who may check in but not revise, is offered no such form."""

    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 300, "Nuovi clienti",
        kind="increase", start=40, target=60,
    )  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await page.locator(".kr-revise summary").click()
    form = page.locator("form.revision-form")
    await expect(form.get_by_label("Nuovo traguardo")).to_have_value("60")
    await form.get_by_role("button", name="Salva il nuovo traguardo").click()
    form = page.locator("form.revision-form")
    await expect(form.locator(".field-error")).to_have_text("Scrivi perché lo sposti.")
    await form.get_by_label("Motivo").fill("il mercato si è ristretto")
    await form.get_by_role("button", name="Salva il nuovo traguardo").click()
    form = page.locator("form.revision-form")
    await expect(form.locator(".field-error")).to_have_text(
        "Il traguardo è già questo: una revisione lo sposta."
    )
    await form.get_by_label("Nuovo traguardo").fill("6.000")  # a slip for 60? asked first
    await form.get_by_role("button", name="Salva il nuovo traguardo").click()
    form = page.locator("form.revision-form")
    await expect(form.locator(".field-error")).to_have_text(
        "6.000 è molto lontano dalla partenza (40) e dal traguardo di oggi (60): se è giusto,"
        " salvalo di nuovo."
    )
    await form.get_by_label("Nuovo traguardo").fill("55")
    await form.get_by_role("button", name="Salva il nuovo traguardo").click()
    await expect(page.locator(".target-revised")).to_have_text("Traguardo rivisto.")
    await expect(page.locator(".kr-target")).to_contain_text("55")
    await expect(page.locator("li.revision")).to_contain_text("il mercato si è ristretto")
    await expect(page.locator(".kr-summary del")).to_have_text("60")  # the original target

    member = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    other = await open_page()
    await sign_in(other, member)
    await other.goto(f"/t/{client.id}/kr/{kr}")
    await expect(other.locator(".kr-target")).to_contain_text("55")
    await expect(other.locator(".kr-revise")).to_have_count(0)

    # archived meanwhile: the form that failed is no longer on the page, which says why
    await page.locator(".kr-revise summary").click()
    await app.key_results.archive(ctx, kr, reason="obiettivo cambiato")
    form = page.locator("form.revision-form")
    await form.get_by_label("Nuovo traguardo").fill("6.000")  # far off: but archived is why
    await form.get_by_label("Motivo").fill("ancora")
    await form.get_by_role("button", name="Salva il nuovo traguardo").click()
    await expect(page.locator(".refusal")).to_have_text("Il risultato chiave è archiviato.")
    await expect(page.locator(".kr-revise")).to_have_count(0)


async def test_a_consultant_starts_and_closes_a_cycle_from_the_dashboard(
    open_page: Opener, portal: PortalServer
) -> None:
    """Starting a quarter and closing it, which grades every key result, took the API. On
    the dashboard, whoever may edit OKRs starts a cycle in planning, and whoever may close
    cycles closes an active one after reading what it does; the page then shows the scores.
    Closed by someone else meanwhile, the refusal is said; a client admin, who may not
    close cycles, is offered no such button."""

    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    consultant = await a_colleague(portal.system, client, "Carlo Rossi", "consultant")
    cycle, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 60, "Nuovi clienti",
        kind="increase", start=40, target=60,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr, value=55, on=portal.today)
    planned = (await app.cycles.create(
        ctx, name="Prossimo trimestre", starts_on=portal.today + timedelta(days=31),
        ends_on=portal.today + timedelta(days=120),
    )).item_id  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, consultant)
    await page.goto(f"/t/{client.id}?cycle={planned}")
    await page.get_by_role("button", name="Avvia il ciclo").click()
    await expect(page.locator(".cycle-done")).to_have_text("Ciclo avviato.")
    await expect(page.locator(".cycle-head .chip").first).to_have_text("attivo")

    await page.goto(f"/t/{client.id}?cycle={cycle}")
    await page.locator(".cycle-close summary").click()
    await expect(page.locator(".cycle-close")).to_contain_text("non si registrano più")
    await page.get_by_role("button", name="Chiudi e fissa i punteggi").click()
    await expect(page.locator(".cycle-done")).to_have_text("Ciclo chiuso: i punteggi sono fissati.")
    await expect(page.locator(".cycle-head .chip").first).to_have_text("chiuso")
    await expect(page.locator(".cycle-progress .chip")).to_have_count(1)  # its score
    await expect(page.locator(".cycle-close")).to_have_count(0)

    await page.goto(f"/t/{client.id}?cycle={planned}")  # active now: closed meanwhile
    await page.locator(".cycle-close summary").click()
    await app.cycles.close(ctx, planned)
    await page.get_by_role("button", name="Chiudi e fissa i punteggi").click()
    await expect(page.locator(".cycle-refused")).to_have_text(
        "Il ciclo non è attivo: è già chiuso, o non è ancora avviato."
    )
    await page.get_by_role("link", name="English").click()  # from the page the form was on
    await expect(page.locator(".cycle-head .chip").first).to_have_text("closed")  # not a 405
    assert page.url.endswith(f"/t/{client.id}?cycle={planned}")

    third = await app.cycles.create(
        ctx, name="Terzo", starts_on=portal.today, ends_on=portal.today + timedelta(days=90)
    )
    await app.cycles.activate(ctx, third.item_id)
    other = await open_page()
    await sign_in(other, admin)
    await other.goto(f"/t/{client.id}?cycle={third.item_id}")
    await expect(other.locator(".cycle-head")).to_contain_text("attivo")
    await expect(other.locator(".cycle-close")).to_have_count(0)


async def test_starting_one_cycle_from_many_tabs_at_once_answers_pages(
    open_page: Opener, portal: PortalServer
) -> None:
    """Eight starts of one cycle sent at once (tabs, a double click): one starts it, the
    others are told it started meanwhile, each on a page; two were answered the API's JSON
    problem (a concurrent change the page did not catch)."""

    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    planned = (await app.cycles.create(
        ctx, name="Prossimo", starts_on=portal.today, ends_on=portal.today + timedelta(days=90),
    )).item_id  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}?cycle={planned}")
    token = page.locator("form.cycle-action input[name=csrf_token]")
    name, value = await token.get_attribute("name"), await token.get_attribute("value")
    assert name and value
    url = f"/t/{client.id}/cycles/{planned}/activate"
    answers = await asyncio.gather(*(
        page.request.post(url, form={name: value}, max_redirects=0) for _ in range(8)
    ))  # fmt: skip
    statuses = sorted(a.status for a in answers)
    assert statuses.count(303) == 1 and set(statuses) == {303, 409}, statuses
    assert all(a.headers["content-type"].startswith("text/html") for a in answers
               if a.status == 409)  # fmt: skip


async def test_a_client_admin_edits_a_key_result_s_title_owner_weight_and_due_date(
    open_page: Opener, portal: PortalServer
) -> None:
    """Renaming a key result, giving it to a colleague, weighting it, moving its due date
    took the API. On its page, whoever may edit OKRs does it in one form: a blank title,
    a weight that is no number, a due date past its cycle are said beside their field and
    change nothing; saved, the page and the history show each change. An owner is chosen
    among the company's people by name. A member is offered no such form."""

    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Nuovi clienti",
        kind="increase", start=40, target=60,
    )  # fmt: skip
    member = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await page.locator(".kr-edit summary").click()
    form = page.locator("form.edit-form")
    await expect(form.get_by_label("Titolo")).to_have_value("Nuovi clienti")
    await form.get_by_label("Titolo").fill("   ")
    await form.get_by_label("Peso").fill("due")
    await form.get_by_role("button", name="Salva le modifiche").click()
    form = page.locator("form.edit-form")
    await expect(form.locator("#edit-title-error")).to_have_text("Questo campo è obbligatorio.")
    await expect(form.locator("#edit-weight-error")).to_be_visible()
    await form.get_by_label("Titolo").fill("Nuovi clienti acquisiti")
    await form.get_by_label("Peso").fill("2")
    await form.get_by_label("Scadenza").fill("2099-01-01")  # past its cycle's end
    await form.get_by_role("button", name="Salva le modifiche").click()
    form = page.locator("form.edit-form")
    await expect(form.locator("#edit-due-error")).to_be_visible()
    await expect(page.locator("h1")).to_contain_text("Nuovi clienti")  # nothing changed
    await form.get_by_label("Scadenza").fill((portal.today + timedelta(days=30)).isoformat())
    await form.get_by_label("Responsabile").select_option(label="Marta Blu")
    await form.get_by_role("button", name="Salva le modifiche").click()
    await expect(page.locator(".kr-edited")).to_have_text("Modifiche salvate.")
    await expect(page.locator("h1")).to_contain_text("Nuovi clienti acquisiti")
    await expect(page.locator(".kr-weight")).to_have_text("2")
    await expect(page.locator("dd").filter(has_text="Marta Blu")).to_have_count(1)
    await page.goto(f"/t/{client.id}/history")
    await expect(page.locator("ol.timeline")).to_contain_text("Nuovi clienti acquisiti")
    await expect(page.locator("ol.timeline")).to_contain_text("Marta Blu")

    other = await open_page()
    await sign_in(other, member)
    await other.goto(f"/t/{client.id}/kr/{kr}")
    await expect(other.locator("h1")).to_contain_text("Nuovi clienti acquisiti")
    await expect(other.locator(".kr-edit")).to_have_count(0)

    # A form left open saves only what it changed: the owner given meanwhile stays.
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await page.locator(".kr-edit summary").click()
    await app.key_results.edit(ctx, kr, owner=admin.actor)
    form = page.locator("form.edit-form")
    await form.get_by_label("Titolo").fill("Clienti nuovi")
    await form.get_by_role("button", name="Salva le modifiche").click()
    await expect(page.locator(".kr-edited")).to_be_visible()
    await expect(page.locator("dd").filter(has_text=admin.name)).to_have_count(1)  # kept
    await page.locator(".kr-edit summary").click()
    await page.locator("form.edit-form").get_by_role("button", name="Salva le modifiche").click()
    await expect(page.locator("form.edit-form .form-error")).to_have_text("Non hai cambiato nulla.")

    # By hand-made POST: what the form would not send is refused beside its field.
    sent = await hidden_of(page.locator("form.edit-form"))
    shown = {"title": "Clienti nuovi", "owner": admin.actor, "weight": "2",
             "due_on": (portal.today + timedelta(days=30)).isoformat()}  # fmt: skip
    url = f"/t/{client.id}/kr/{kr}/edit"
    for change, said in (
        ({"owner": "chiunque"}, "Scegli una persona"),
        ({"title": "x" * 201}, "al massimo 200 caratteri"),
        ({"weight": "0"}, "Il peso è un numero maggiore di 0, fino a 1000."),
    ):
        answer = await page.request.post(url, form={**sent, **shown, **change})
        assert answer.status == 422, change
        assert said in await answer.text(), change


async def test_a_key_result_of_an_archived_objective_offers_no_check_in(
    open_page: Opener, portal: PortalServer
) -> None:
    """Its objective archived while the page was open, the key result's check-in form sent
    the value on (and it was taken, counted nowhere): the page says why, records nothing,
    and offers neither the form nor corrections any more."""
    client, person, app, ctx = await a_company_of_its_own(portal.system, "client_member")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 300, "Nuovi clienti",
        kind="increase", start=40, target=60,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr, value=45, on=portal.today - timedelta(days=1))
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await expect(page.locator(".ci-correct")).to_have_count(1)
    goal = (await app.key_results.get(ctx, kr)).objective_id
    await app.objectives.archive(ctx, goal, reason="non più una priorità")
    await projected(portal.system, client.id)
    head = await portal.system.store.head(client.id)
    await page.get_by_label("Valore", exact=True).fill("50")
    await page.get_by_role("button", name="Registra l'aggiornamento").click()
    await expect(page.locator(".refusal")).to_have_text(
        "L'obiettivo di questo risultato chiave è archiviato."
    )
    await expect(page.locator("form.check-in-form")).to_have_count(0)
    await expect(page.locator(".ci-correct")).to_have_count(0)
    assert await portal.system.store.head(client.id) == head


async def test_a_title_of_emoji_at_the_limit_is_saved_from_the_edit_form(
    open_page: Opener, portal: PortalServer
) -> None:
    """A title takes 200 characters, as the server counts them; the form's field counted
    them as the browser does, an emoji as two, so a title of 200 emoji the API took was cut
    to 100 when typed (or the field was too long to take a keystroke). The field now takes
    what the server takes: 200 emoji are saved whole, and 201 are refused beside it."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "\U0001f3af" * 200,
        kind="increase", start=40, target=60,
    )  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await page.locator(".kr-edit summary").click()
    form = page.locator("form.edit-form")
    await form.get_by_label("Titolo").fill("\U0001f680" * 200)
    await form.get_by_role("button", name="Salva le modifiche").click()
    await expect(page.locator(".kr-edited")).to_have_text("Modifiche salvate.")
    assert (await app.key_results.get(ctx, kr)).title == "\U0001f680" * 200

    await page.locator(".kr-edit summary").click()
    form = page.locator("form.edit-form")
    await form.get_by_label("Titolo").fill("\U0001f3af" * 201)
    await form.get_by_role("button", name="Salva le modifiche").click()
    await expect(page.locator("#edit-title-error")).to_have_text(
        "Il testo è troppo lungo: al massimo 200 caratteri."
    )
    assert (await app.key_results.get(ctx, kr)).title == "\U0001f680" * 200


async def test_a_key_result_of_many_check_ins_holds_few_forms_and_corrects_any(
    open_page: Opener, portal: PortalServer
) -> None:
    """A key result checked in 310 times made a page of 670 KiB: each check-in had its
    correction form. The page now lists every check-in with its value, holds the forms of
    the newest 20, and an older one's 'Correggi' opens the page with its own form, which
    corrects it as any other."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=40), 90, "Visite",
        kind="increase", start=0, target=100,
    )  # fmt: skip
    for days_ago in range(30, 0, -1):
        on = portal.today - timedelta(days=days_ago)
        await app.key_results.record_check_in(ctx, kr, value=Decimal(31 - days_ago), on=on)
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    await expect(page.locator("li.check-in")).to_have_count(30)
    await expect(page.locator("form.correction-form")).to_have_count(20)
    oldest = page.locator("li.check-in").last
    await expect(oldest.locator(".ci-value")).to_have_text("1")
    await oldest.get_by_role("link", name="Correggi").click()
    oldest = page.locator("li.check-in").last
    form = oldest.locator("form.correction-form")
    await expect(form.get_by_label("Valore corretto")).to_be_visible()  # open
    await form.get_by_label("Valore corretto").fill("2")
    await form.get_by_role("button", name="Salva la correzione").click()  # no reason
    form = page.locator("li.check-in").last.locator("form.correction-form")
    await expect(form.locator(".field-error")).to_be_visible()  # said beside it, still open
    await form.get_by_label("Motivo").fill("contate male")
    await form.get_by_role("button", name="Salva la correzione").click()
    await expect(page.locator(".correction-saved")).to_be_visible()
    await expect(page.locator("li.check-in").last.locator(".ci-value")).to_have_text("2")
