"""History: the tree as it stood on an older day, the timeline in words with filters, the
diff, the CSV, corrections and revisions with their reasons, and the audit trail."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import asyncpg
from playwright.async_api import expect

from services import demo_data as d
from services.app import Context, OKRApplication
from services.i18n import Locale
from services.projector.waiting import wait_for_position
from services.read import audit
from tenants.directory import create_tenant
from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import (
    NERI,
    ROSSI,
    ROSSI_KR,
    a_company_of_its_own,
    a_consultancy_of_its_own,
    one_key_result,
    projected,
)

NB = "\u00a0"
"""The space of a percentage as the pages write it ("30 %"): one that does not break."""


async def test_the_as_of_picker_shows_an_older_state(
    open_page: Opener, portal: PortalServer
) -> None:
    """ "How did we stand on that day?" must show the tree as the system knew it then, not
    today's numbers with an old date on top; and so must a key result opened from it."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    await page.goto(f"/t/{ROSSI.id}")
    value = page.locator(f"li.kr[data-kr='{ROSSI_KR}'] .kr-value")
    await expect(value).to_have_text("33 ordini")
    await expect(page.locator(f"li.kr[data-kr='{ROSSI_KR}'] .kr-weight")).to_have_text("2")
    await expect(page.locator(".o-weight")).to_have_count(0)  # a weight of 1 goes unsaid

    await page.get_by_role("link", name="Storico").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Storico")
    await page.get_by_label("Giorno", exact=True).fill(portal.days_ago(45))
    await page.get_by_role("button", name="Mostra").click()

    await expect(page).to_have_url(re.compile(rf"/as-of\?date={portal.days_ago(45)}"))
    await expect(page.locator(".banner.as-of")).to_contain_text("Com'era il")
    await expect(value).to_have_text("26 ordini")
    await expect(page.locator(f"li.kr[data-kr='{ROSSI_KR}']")).to_contain_text("40 ordini")
    await shot(page, "as-of")

    # a key result of that day's tree opens as it stood that day: its value, target and
    # check-ins known then, no later revision or correction, and no check-in form
    await page.locator(f"li.kr[data-kr='{ROSSI_KR}'] a.kr-title").click()
    await expect(page).to_have_url(re.compile(rf"/kr/{ROSSI_KR}\?date={portal.days_ago(45)}$"))
    await expect(page.locator(".banner.as-of")).to_contain_text("Com'era il")
    await expect(page.locator(".current-value")).to_have_text("26 ordini")
    await expect(page.locator(".kr-summary .kr-target")).to_contain_text("40 ordini")
    await expect(page.locator(".kr-summary")).to_contain_text("Avanzamento atteso il ")
    await expect(page.locator("ol.check-ins > li")).to_have_count(2)
    await expect(page.locator(".revision, .ci-correction")).to_have_count(0)
    await expect(page.locator("form.check-in-form")).to_have_count(0)
    await shot(page, "kr-as-of")
    await page.get_by_role("link", name="Torna a oggi").click()
    await expect(page).to_have_url(re.compile(rf"/kr/{ROSSI_KR}$"))
    await expect(page.locator(".current-value")).to_have_text("33 ordini")
    await expect(page.locator("ol.check-ins > li")).to_have_count(4)
    await expect(page.locator(".revision")).to_have_count(1)
    # a ?date= the API would refuse (the basic form, nonsense) is not a day: today's page
    for not_a_day in (portal.days_ago(45).replace("-", ""), "ieri"):
        await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}?date={not_a_day}")
        await expect(page.locator(".current-value")).to_have_text("33 ordini")
        await expect(page.locator(".banner.as-of")).to_have_count(0)
    before_it = await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}?date={portal.days_ago(250)}")
    assert before_it is not None and before_it.status == 404  # not made yet that day
    said = Locale("it").date(date.fromisoformat(portal.days_ago(250)), long=True)
    await expect(page.locator(".error-page")).to_contain_text(  # not "no such page"
        f"Questo risultato chiave non c'era ancora il {said}"
    )
    await page.get_by_role("link", name="Aprilo com'è oggi").click()
    await expect(page).to_have_url(re.compile(rf"/kr/{ROSSI_KR}$"))
    await expect(page.locator(".current-value")).to_have_text("33 ordini")

    await page.goto(f"/t/{d.TENANT_ID}/as-of?date={portal.days_ago(42)}")
    await expect(page.locator(".banner.as-of")).to_be_visible()
    await shot(page, "as-of-demo")


async def test_a_day_s_value_is_not_called_current(open_page: Opener, portal: PortalServer) -> None:
    """The tree as it stood on a day, and a key result opened from it, called the value of
    that day "Valore attuale" (current value) beside "Avanzamento atteso il …": it is the
    value on that day; today's pages still say "Valore attuale"."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    day = portal.days_ago(45)
    said = Locale("it").date(date.fromisoformat(day))
    await page.goto(f"/t/{ROSSI.id}/as-of?date={day}")
    kr = page.locator(f"li.kr[data-kr='{ROSSI_KR}']")
    await expect(kr.locator(".kr-meta")).to_contain_text(f"Valore il {said}")
    await expect(kr.locator(".kr-meta")).not_to_contain_text("Valore attuale")
    await kr.locator("a.kr-title").click()
    await expect(page.locator(".kr-summary")).to_contain_text(f"Valore il {said}")
    await expect(page.locator(".kr-summary")).not_to_contain_text("Valore attuale")
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}")
    await expect(page.locator(".kr-summary")).to_contain_text("Valore attuale")


async def test_a_key_result_s_chart_of_a_day_does_not_call_its_value_current(
    open_page: Opener, portal: PortalServer
) -> None:
    """The chart's description, what a screen reader says of it, called a day's value
    "valore attuale" on a key result's page of that day, where the page beside it says
    "Valore il …". It says the day; today's page still says "valore attuale"."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    day = portal.days_ago(45)
    said = Locale("it").date(date.fromisoformat(day))
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}?date={day}")
    description = page.locator("svg.chart desc")
    await expect(description).to_contain_text(f"valore il {said}: 26\u00a0ordini")
    await expect(description).not_to_contain_text("valore attuale")
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}")
    await expect(page.locator("svg.chart desc")).to_contain_text("valore attuale")


async def test_a_kpi_opened_from_a_day_s_tree_is_shown_as_it_stood_that_day(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI tile of a past day's tree opened today's KPI page, with no word of it: its
    measurements since, its health of today. It opens as it stood that day: what was known
    of it then, and no form; a day before it was made says it was not there yet."""
    kpi = d.demo_id("kpi:response")
    page = await open_page()
    await sign_in(page, d.GIULIA)  # a client admin: today's page offers her its forms
    await page.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}")
    measurements = page.locator("ol.measurements > li")
    today_count = await measurements.count()
    await expect(page.locator("form.plan-form").first).to_be_attached()

    await page.goto(f"/t/{d.TENANT_ID}/as-of?date={portal.days_ago(42)}")
    await page.get_by_role("link", name="Tempo medio di risposta", exact=True).first.click()
    await expect(page).to_have_url(re.compile(rf"/kpis/{kpi}\?date={portal.days_ago(42)}$"))
    await expect(page.locator(".banner.as-of")).to_contain_text("Com'era il")
    then_count = await measurements.count()
    assert 0 < then_count < today_count
    await expect(page.locator("form.plan-form")).to_have_count(0)
    await page.get_by_role("link", name="Torna a oggi").click()
    await expect(measurements).to_have_count(today_count)

    before_it = await page.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}?date={portal.days_ago(400)}")
    assert before_it is not None and before_it.status == 404
    await expect(page.locator(".error-page")).to_contain_text("Questo indicatore non c'era ancora")


async def test_a_kpi_of_a_day_leads_on_to_that_day_not_to_today(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI opened as it stood on a day led back to today's dashboard (its breadcrumb) and
    on to today's key results (those it fed that day): the reader left the day unawares.
    Both keep the day, as a key result's page of a day does."""
    kpi, day = d.demo_id("kpi:response"), portal.days_ago(42)
    page = await open_page()
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}?date={day}")
    fed = page.locator("li.fed-kr a").first
    await expect(fed).to_have_attribute("href", re.compile(rf"/kr/[0-9a-f-]+\?date={day}$"))
    await fed.click()
    await expect(page.locator(".banner.as-of")).to_contain_text("Com'era il")
    await page.go_back()
    await page.locator("nav.crumbs a").click()
    await expect(page).to_have_url(re.compile(rf"/as-of\?date={day}#kpi-{kpi}$"))
    await expect(page.locator(".banner.as-of")).to_contain_text("Com'era il")


async def test_a_kpi_s_chart_of_a_day_marks_that_day_by_its_date(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI's page of a day (?date=) drew its chart to that day and labelled its line
    "oggi" (today), where a key result's chart of a day labels it with the day's date: the
    reader was told the chart ended today. It says the day; today's page still says "oggi"."""
    kpi, day = d.demo_id("kpi:response"), portal.days_ago(42)
    page = await open_page()
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}?date={day}")
    said = Locale("it").date(date.fromisoformat(day))
    await expect(page.locator("svg.chart .today-label")).to_have_text(said)
    await page.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}")
    await expect(page.locator("svg.chart .today-label")).to_have_text("oggi")


async def test_a_day_s_values_as_known_today(open_page: Opener, portal: PortalServer) -> None:
    """The tree of a day as the system knew it keeps a value corrected since; that day's
    values as known today have the correction (and today's target, as the banner says).
    A choice the page does not offer is said, and the day is shown as known then."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    await page.goto(f"/t/{ROSSI.id}/history")
    await page.get_by_label("Giorno", exact=True).fill(portal.days_ago(30))
    await page.get_by_label("Valori").select_option("now")
    await page.get_by_role("button", name="Mostra").click()
    await expect(page).to_have_url(re.compile(rf"date={portal.days_ago(30)}&known=now"))
    kr = page.locator(f"li.kr[data-kr='{ROSSI_KR}']")
    await expect(kr.locator(".kr-value")).to_have_text("29 ordini")  # corrected 29 days ago
    await expect(kr).to_contain_text("45 ordini")  # the target revised 20 days ago
    await expect(page.locator(".banner.as-of")).to_contain_text("come si sanno oggi")
    await expect(kr.locator("a.kr-title")).to_have_attribute(
        "href",
        f"/t/{ROSSI.id}/kr/{ROSSI_KR}",  # its page of today: every value by its day
    )
    await shot(page, "as-of-known-now")

    await page.get_by_label("Valori").select_option("then")
    await page.get_by_role("button", name="Mostra").click()
    await expect(kr.locator(".kr-value")).to_have_text("30 ordini")  # as it was known then
    await expect(kr).to_contain_text("40 ordini")
    await expect(page.locator(".banner.as-of")).not_to_contain_text("come si sanno oggi")

    await page.goto(f"/t/{ROSSI.id}/as-of?date={portal.days_ago(30)}&known=ieri")
    await expect(page.locator("#as-of-known-error")).to_contain_text("«ieri» non è tra le scelte")
    await expect(kr.locator(".kr-value")).to_have_text("30 ordini")


async def test_the_timeline_offers_the_corrections_of_a_kpi(
    open_page: Opener, portal: PortalServer
) -> None:
    """An auditor asking which values were corrected, and why, finds a KPI's corrected
    measurement: the kinds offered named only a key result's check-in corrections, and the
    demo's one correction (of a KPI) was in none of them."""
    page = await open_page()
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{d.TENANT_ID}/history")
    await page.get_by_label("Tipo", exact=True).select_option(
        label="Correzioni di misure degli indicatori"
    )
    await page.get_by_role("button", name="Filtra").click()
    lines = page.locator("ol.timeline li")
    await expect(lines).to_have_count(1)
    await expect(lines.first).to_contain_text("indicatore 'Soddisfazione clienti (CSAT)'")
    await expect(lines.first).to_contain_text("errore di battitura: il sondaggio riportava")


async def test_the_timeline_filters_diffs_and_downloads(
    open_page: Opener, portal: PortalServer
) -> None:
    """Filters narrow the timeline; the diff names what moved; the CSV downloads."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    await page.goto(f"/t/{ROSSI.id}/history")
    await expect(page.locator("ol.timeline li")).to_have_count(10)
    await shot(page, "history")
    to_the_last_day = await page.goto(f"/t/{ROSSI.id}/history?to=9999-12-31")
    assert to_the_last_day is not None and to_the_last_day.status == 200  # no day after it
    await expect(page.locator("ol.timeline li")).to_have_count(10)
    await page.goto(f"/t/{ROSSI.id}/history")

    await page.get_by_label("Tipo").select_option("key_result.target_revised")
    await page.get_by_role("button", name="Filtra").click()
    lines = page.locator("ol.timeline li")
    await expect(lines).to_have_count(1)
    await expect(lines.first).to_contain_text(
        "traguardo rivisto 40 ordini → 45 ordini da Luca Conti"
    )
    await page.get_by_label("Tipo").select_option("key_result.check_in_corrected")
    await page.get_by_label("Dal giorno").fill(portal.days_ago(31))
    await page.get_by_role("button", name="Filtra").click()
    await expect(lines).to_have_count(1)
    await expect(lines.first).to_contain_text("conteggio doppio")
    async with page.expect_download() as filtered:  # the CSV is what the filters show
        await page.get_by_role("link", name="Scarica lo storico (CSV)").click()
    rows_of = (await (await filtered.value).path()).read_text(encoding="utf-8").splitlines()
    assert len(rows_of) == 2 and "conteggio doppio" in rows_of[1]
    assert ";Risultato chiave;" in rows_of[1]  # the kind in words, not a key

    # A day that is not a day is said beside its field, never silently swapped for another.
    await page.goto(f"/t/{ROSSI.id}/history?from=1/11/2026")
    await expect(page.locator("#f-from-error")).to_have_text(
        "«1/11/2026» non è una data (aaaa-mm-gg): non è stata usata."
    )
    await expect(lines).to_have_count(0)
    first, last = portal.days_ago(3), portal.days_ago(10)  # the last day before the first
    await page.goto(f"/t/{ROSSI.id}/history?from={first}&to={last}")
    said = {day: Locale("it").date(date.fromisoformat(day)) for day in (first, last)}
    await expect(page.locator("#f-to-error")).to_have_text(  # days as the page writes them
        f"{said[last]} viene prima del primo giorno ({said[first]}): nessun giorno sta tra i due."
    )
    await expect(page.locator("#f-from-error")).to_have_count(0)
    await expect(lines).to_have_count(0)
    # its download would be refused: not offered while a filter is at fault
    await expect(page.get_by_role("link", name="Scarica lo storico (CSV)")).to_have_count(0)
    to_come = await page.goto(f"/t/{ROSSI.id}/diff?from=2999-01-01&to=2998-06-01")
    assert to_come is not None  # the first day as asked, not today
    await expect(page.locator("#diff-to-error")).to_contain_text("(1 gen 2999)")
    await page.goto(f"/t/{ROSSI.id}/diff?from={first}&to={last}")  # the comparison too
    await expect(page.get_by_role("alert")).to_contain_text(
        f"Al: {said[last]} viene prima del primo giorno ({said[first]})"
    )
    await expect(page.locator("section.diff-item, p.empty")).to_have_count(0)
    await page.goto(f"/t/{ROSSI.id}/history?kind=nope&item=xyz")  # nor a kind, nor an item
    await expect(page.locator("#f-kind-error")).to_have_text(
        "«nope» non è tra le scelte: non è stato usato."
    )
    await expect(page.locator("#f-item-error")).to_contain_text("«xyz»")
    await expect(lines).to_have_count(0)
    nobody, nothing = f"user:{uuid.uuid4()}", uuid.uuid4()  # well-formed, but no one's
    await page.goto(f"/t/{ROSSI.id}/history?person={nobody}&item={nothing}")
    await expect(page.locator("#f-person-error")).to_contain_text(nobody)
    await expect(page.locator("#f-item-error")).to_contain_text(str(nothing))
    no_one = await page.goto(f"/t/{ROSSI.id}/history.csv?person={nobody}")
    assert no_one is not None and no_one.status == 400
    csv_of_a_bad_day = await page.goto(f"/t/{ROSSI.id}/history.csv?from=bad")
    assert csv_of_a_bad_day is not None and csv_of_a_bad_day.status == 400
    await expect(page.locator("ul.bad-filters li")).to_have_text(
        "Dal giorno: «bad» non è una data (aaaa-mm-gg)."
    )
    await page.goto(f"/t/{ROSSI.id}/as-of?date=abc")
    await expect(page.locator("#as-of-error")).to_contain_text("«abc» non è una data")
    await page.goto(f"/t/{ROSSI.id}/diff?from=31/10/2026&to={portal.days_ago(0)}")
    await expect(page.get_by_role("alert")).to_contain_text("«31/10/2026» non è una data")
    for hand_made in ("history?before=abc", "history?before=99999999999999999999999",
                      "audit?after=abc", f"kr/{ROSSI_KR}?saved=xyz"):  # fmt: skip
        answer = await page.goto(f"/t/{ROSSI.id}/{hand_made}")  # a page, never raw JSON
        assert answer is not None and answer.status == 400, hand_made
        await expect(page.get_by_role("heading", level=1)).to_have_text("Richiesta non valida")

    await page.goto(f"/t/{ROSSI.id}/diff?from={portal.days_ago(45)}&to={portal.days_ago(0)}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Cosa è cambiato")
    rows = page.locator("table.diff tr")
    await expect(rows.filter(has_text="valore")).to_contain_text("26 ordini33 ordini")
    await expect(rows.filter(has_text="traguardo")).to_contain_text("40 ordini45 ordini")
    await shot(page, "diff")
    # the timeline of the same days (and cycle) lists every change, who made it and why
    await page.get_by_role("link", name="Ogni modifica registrata in questi giorni").click()
    await expect(page).to_have_url(
        re.compile(
            rf"/history\?from={portal.days_ago(45)}&to={portal.days_ago(0)}&cycle=[-0-9a-f]+$"
        )
    )
    await expect(page.locator("ol.timeline li", has_text="conteggio doppio")).to_have_count(1)
    audit_link = page.locator("nav.main-nav a", has_text="Registro modifiche")
    await expect(audit_link).to_have_count(1)  # on every page of the tenant, this one too
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}")
    await expect(audit_link).to_have_count(1)

    await page.goto(f"/t/{ROSSI.id}/history")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Scarica lo storico (CSV)").click()
    download = await download_info.value
    text = (await download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeffposizione;registrato_il")  # as Italian Excel splits it
    assert "nuovo contratto quadro" in text
    fetched = await page.request.get(portal.url(f"/t/{ROSSI.id}/history.csv"))
    assert fetched.headers["content-type"] == "text/csv; charset=utf-8"  # one charset
    assert fetched.headers["content-disposition"].startswith('attachment; filename="')


async def test_the_diff_says_how_a_new_and_an_archived_key_result_stand(
    open_page: Opener, portal: PortalServer
) -> None:
    """An objective fell from 55 % to 30 % in the days compared: costs at 50 % archived,
    new clients added not yet checked in. The page said the fall, "creato" of one and
    "archiviato" of the other, and nothing a reader could work it out from; it says what
    each weighs and stands at: the new one counting 0, the archived one as it stood."""
    client, person, app, _ = await a_company_of_its_own(portal.system)

    def on(days_ago: int) -> Context:
        moment = datetime.combine(portal.today - timedelta(days=days_ago), time(10), tzinfo=UTC)
        return Context(client.id, person.actor, imported_at=moment)

    first = portal.today - timedelta(days=30)
    cycle = await app.cycles.create(on(20), name="Anno", starts_on=first,
                                    ends_on=first + timedelta(days=364))  # fmt: skip
    await app.cycles.activate(on(20), cycle.item_id)
    goal = await app.objectives.create(on(20), cycle_id=cycle.item_id, title="Efficienza",
                                       owner="Anna")  # fmt: skip
    for title, start, target, value in (("Rinnovi", 70, 85, 79), ("Costi", 100, 80, 90)):
        kr = await app.key_results.create(on(20), objective_id=goal.item_id, title=title,
                                          kind="increase" if target > start else "decrease",
                                          owner="Anna", start=start, target=target)  # fmt: skip
        await app.key_results.record_check_in(
            on(20), kr.item_id, value=Decimal(value), on=portal.today - timedelta(days=20)
        )
    await app.key_results.archive(on(3), kr.item_id, reason="fuori perimetro")
    await app.key_results.create(on(3), objective_id=goal.item_id, title="Nuovi clienti",
                                 kind="increase", owner="Anna", start=50, target=60)  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)

    await page.goto(f"/t/{client.id}/diff?from={portal.days_ago(5)}&to={portal.days_ago(0)}")

    async def rows(title: str) -> list[tuple[str, ...]]:
        item = page.locator("section.diff-item").filter(has=page.get_by_role("heading", name=title))
        return [tuple(await row.locator("th, td").all_inner_texts())
                for row in await item.locator("tbody tr").all()]  # fmt: skip

    assert ("avanzamento", f"55{NB}%", f"30{NB}%") in await rows("Obiettivo Efficienza")
    assert await rows("Risultato chiave Nuovi clienti") == [
        ("creato", "—", "Nuovi clienti"), ("peso", "—", "1"), ("partenza", "—", "50"),
        ("traguardo", "—", "60"), ("stato", "—", "Non iniziato"),
        ("conta nel totale come", "—", f"0{NB}%"),
    ]  # fmt: skip
    archived = await rows("Risultato chiave Costi")
    assert archived[0] == ("archiviato", "no", "sì")
    assert {("peso", "1", "invariato"), ("valore", "90", "invariato"),
            ("avanzamento", f"50{NB}%", "invariato")} <= set(archived)  # fmt: skip
    await shot(page, "diff-new-and-archived")


async def test_corrections_and_revisions_are_marked_with_their_reasons(
    open_page: Opener, portal: PortalServer
) -> None:
    """A corrected check-in keeps its first value visible and says who changed it and why;
    a revised target shows the original beside the new one, with the reason."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}")
    corrected = page.locator(".check-in.corrected")
    await expect(corrected).to_have_count(1)
    await expect(corrected.locator(".ci-value")).to_have_text("29 ordini")
    await expect(corrected.locator(".ci-original")).to_have_text("30 ordini")
    await expect(corrected.locator(".ci-correction")).to_contain_text("conteggio doppio")
    await expect(page.locator(".revision")).to_contain_text("da 40 ordini a 45 ordini")
    await expect(page.locator(".revision")).to_contain_text("nuovo contratto quadro")
    await expect(page.locator(".kr-summary")).to_contain_text("Traguardo iniziale")
    await expect(page.locator("svg.chart line.original")).to_have_count(1)
    await shot(page, "key-result-corrected")


async def test_the_downloads_are_kept_in_no_cache(open_page: Opener, portal: PortalServer) -> None:
    """Every page is no-store, so that a tenant's figures are kept in no cache (a shared
    computer's browser, a proxy); the downloads of its timeline and audit trail, the whole
    log decrypted, were not, and said nothing of their type's sniffing either."""
    page = await open_page()
    await sign_in(page, d.GIULIA)
    for download in ("history.csv", "audit.csv", "audit.jsonl"):
        fetched = await page.request.get(portal.url(f"/t/{d.TENANT_ID}/{download}"))
        assert fetched.status == 200, download
        assert fetched.headers.get("cache-control") == "no-store", download
        assert fetched.headers.get("x-content-type-options") == "nosniff", download


async def test_an_auditor_sees_hashes_and_verifies_the_chain(
    open_page: Opener, portal: PortalServer
) -> None:
    """Those who may read the audit trail see each event's hash and can have the chain
    recomputed; a viewer may not open the trail at all."""
    page = await open_page()
    await sign_in(page, d.GIULIA)
    await page.get_by_role("link", name="Registro modifiche").click()
    await expect(page.locator("code.hash").first).to_be_visible()
    await page.get_by_role("button", name="Verifica la catena").click()
    await expect(page.locator(".chain-result")).to_contain_text("Catena integra")
    await shot(page, "audit")
    await page.goto(f"/t/{d.TENANT_ID}/audit?topic=okr.AccessChange&from=2026-01-01")
    await page.get_by_role("button", name="Verifica la catena").click()  # filters stay
    await expect(page.locator(".chain-result")).to_contain_text("Catena integra")
    await expect(page.get_by_label("Dal giorno")).to_have_value("2026-01-01")
    assert "topic=okr.AccessChange" in page.url
    await page.get_by_role("link", name="Registro modifiche").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Scarica il registro (CSV)").click()
    download = await download_info.value
    assert download.suggested_filename.startswith(f"{d.TENANT_SLUG}-audit-")
    text = (await download.path()).read_text(encoding="utf-8")
    assert text.startswith("\ufeffposizione;registrato_il;autore;descrizione;tipo_evento;")
    assert text.count("\n") > 100  # every event of the demo, one line each
    rows_of = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    marco = [r for r in rows_of if r[5] == d.MARCO.actor]  # by name, what changed in words
    assert marco and all(r[2] == "Marco Russo" and r[3] for r in marco)
    assert any("aggiornamento" in r[3] and "da Marco Russo" in r[3] for r in marco)
    assert all(json.loads(r[10]) for r in marco)  # and every fact the API's CSV has

    # Filtered as an auditor asks: Marco's check-ins of one week; the downloads and the
    # next page keep the filters, and the JSON Lines say the same events.
    await page.get_by_label("Persona").select_option(label="Marco Russo")
    await page.get_by_label("Tipo di evento").select_option("okr.KeyResult")
    await page.get_by_role("button", name="Filtra").click()
    rows = page.locator("table.audit tbody tr")
    await expect(rows.first).to_be_visible()
    shown = await rows.count()
    assert 0 < shown < 100
    assert set(await rows.locator("td:nth-child(3)").all_inner_texts()) == {"Marco Russo"}
    said = await rows.locator("td:nth-child(5)").all_inner_texts()  # what each one changed
    assert all(said), said
    assert any("aggiornamento" in text and "da Marco Russo" in text for text in said), said
    async with page.expect_download() as jsonl_info:
        await page.get_by_role("link", name="Scarica il registro (JSON Lines)").click()
    lines = (await (await jsonl_info.value).path()).read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == shown and {e["actor"] for e in events} == {d.MARCO.actor}
    assert all(e["topic"].startswith("okr.KeyResult.") for e in events)
    await page.goto(f"/t/{d.TENANT_ID}/audit?from=ieri")
    await expect(page.locator("#a-from-error")).to_contain_text("«ieri» non è una data")
    for page_name in ("audit", "history"):  # a NUL is nobody either (it was a 500)
        nul = await page.goto(f"/t/{d.TENANT_ID}/{page_name}?person=user:%00")
        assert nul is not None and nul.status == 200, page_name
        await expect(page.locator(".field-error").first).to_be_visible()
    await page.goto(f"/t/{d.TENANT_ID}/audit?person=bogus")  # nobody the list offers
    await expect(page.locator("#a-person-error")).to_contain_text("«bogus»")
    await page.goto(f"/t/{d.TENANT_ID}/audit?person={d.MARCO.actor}")  # somebody: no message
    await expect(page.locator("#a-person-error")).to_have_count(0)
    await page.goto(f"/t/{d.TENANT_ID}/audit?topic=okr.Nope")  # shown as not used, not ignored
    await expect(page.locator("#a-topic-error")).to_contain_text("«okr.Nope» non è tra le scelte")
    await expect(rows).to_have_count(0)
    refused = await page.goto(f"/t/{d.TENANT_ID}/audit.jsonl?to=2026-02-30&topic=okr.Nope")
    assert refused is not None and refused.status == 400  # a page naming both, not a 404
    await expect(page.locator("ul.bad-filters li")).to_have_count(2)
    await expect(page.locator("ul.bad-filters li").nth(1)).to_contain_text("Tipo di evento: «okr")
    reversed_days = f"from={portal.days_ago(1)}&to={portal.days_ago(2)}"
    await page.goto(f"/t/{d.TENANT_ID}/audit?{reversed_days}")
    await expect(page.locator("#a-to-error")).to_contain_text("viene prima del primo giorno")
    await expect(rows).to_have_count(0)
    await expect(page.get_by_role("link", name=re.compile("Scarica il registro"))).to_have_count(0)
    refused = await page.goto(f"/t/{d.TENANT_ID}/audit.csv?{reversed_days}")
    assert refused is not None and refused.status == 400
    two_days_ago = Locale("it").date(date.fromisoformat(portal.days_ago(2)))
    await expect(page.locator("ul.bad-filters li")).to_contain_text(
        f"Al giorno: {two_days_ago} viene prima del primo giorno"
    )
    await expect(page.locator("header .who")).to_have_count(1)  # still signed in, said

    viewer = await open_page()
    await sign_in(viewer, d.SARA)
    await expect(viewer.get_by_role("link", name="Registro modifiche")).to_have_count(0)
    response = await viewer.goto(f"/t/{d.TENANT_ID}/audit")
    assert response is not None and response.status == 403
    await expect(viewer.get_by_role("heading", level=1)).to_have_text("Azione non consentita")
    await shot(viewer, "forbidden")


async def test_a_broken_chain_is_said_in_the_reader_s_language(
    open_page: Opener, portal: PortalServer
) -> None:
    """An auditor who has the chain verified and finds it broken is told what is wrong in
    their language: the Italian page said "(hash mismatch)" and "(the log ends at position
    3, its head says 4)", the API's English, in the middle of its sentence."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    await one_key_result(app, ctx, date(2026, 1, 1), 89, "Fatturato", kind="increase",
                         start=Decimal(0), target=Decimal(10))  # fmt: skip
    admin = await asyncpg.connect(portal.system.admin_dsn)
    try:
        await admin.execute(
            "UPDATE events SET actor = 'mallory' WHERE tenant_id = $1 AND position = 2", client.id
        )
        italian, english = await open_page(), await open_page(locale="en-GB")
        for page in (italian, english):
            await sign_in(page, person)
            await page.goto(f"/t/{client.id}/audit?verify=true")
        said = italian.locator(".chain-result")
        await expect(said).to_have_text(
            "Catena interrotta alla posizione 2 (l'impronta non corrisponde all'evento) dopo 1"
            " evento integro."  # one, in the singular
        )
        await expect(english.locator(".chain-result")).to_contain_text("(hash mismatch)")
        await admin.execute(  # the edit undone, the last event lost
            "UPDATE events SET actor = $2 WHERE tenant_id = $1 AND position = 2",
            client.id, person.actor,
        )  # fmt: skip
        await admin.execute("DELETE FROM events WHERE tenant_id = $1 AND position = 4", client.id)
        await italian.reload()
        await expect(said).to_contain_text(
            "(il registro finisce alla posizione 3, ma ne risultano registrati 4)"
        )
    finally:
        await admin.close()


async def test_a_first_day_at_the_calendar_s_start_reads_from_the_first_event(
    open_page: Opener, portal: PortalServer
) -> None:
    """A first day as early as the calendar goes (0001-01-01, a typo's year) is every event
    from the first. In Rome that day began before year 1 in UTC, which the database cannot
    be asked of: the trail, the timeline and the comparison of two days answered "the page
    did not understand", and the downloads broke off with nothing said."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    await app.settings.change(ctx, time_zone="Europe/Rome")
    await one_key_result(app, ctx, date(2026, 1, 1), 89, "Fatturato", kind="increase",
                         start=Decimal(0), target=Decimal(10))  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    for name, lines in (("audit", "table.audit tbody tr"), ("history", "ol.timeline li")):
        everything = await page.request.get(portal.url(f"/t/{client.id}/{name}.csv"))
        from_the_start = await page.request.get(
            portal.url(f"/t/{client.id}/{name}.csv?from=0001-01-01")
        )
        assert (from_the_start.status, await from_the_start.text()) == (
            200, await everything.text(),
        )  # fmt: skip
        shown = await page.goto(f"/t/{client.id}/{name}?from=0001-01-01")
        assert shown is not None and shown.status == 200, name
        await expect(page.locator(lines).filter(has_text="Fatturato").first).to_be_visible()
    compared = await page.goto(f"/t/{client.id}/diff?from=0001-01-01")  # since nothing was
    assert compared is not None and compared.status == 200
    await expect(page.locator("section.diff-item h2", has_text="Fatturato")).to_have_count(1)


async def test_the_trail_follows_one_item_chosen_by_its_title(
    open_page: Opener, portal: PortalServer
) -> None:
    """An auditor following one key result through the trail: the API filtered the trail
    by item_id, the page did not, so its events had to be picked out of every other one.
    The item is chosen by its title, under its kind, as on the history page; its filter
    stays in the page's links and downloads; an item of none of this company's items
    (mistyped, or another company's) is said beside its field, listing nothing."""
    kr_events = await audit(portal.system.repository, ROSSI.id, stream_id=ROSSI_KR, limit=1000)
    page = await open_page()
    await sign_in(page, d.LUCA)
    await page.goto(f"/t/{ROSSI.id}/audit")
    item = page.get_by_label("Elemento")
    await expect(item.locator("optgroup[label='Risultati chiave'] option")).to_have_text(
        ["Ordini ripetuti da 20 a 40"]
    )
    await item.select_option(label="Ordini ripetuti da 20 a 40")
    await page.get_by_role("button", name="Filtra").click()
    rows = page.locator("table.audit tbody tr")
    await expect(rows).to_have_count(len(kr_events))  # its making, check-ins, revision...
    kinds = await rows.locator("td:nth-child(4) code").all()
    events = [await kind.get_attribute("title") or "" for kind in kinds]
    assert all(f" · {ROSSI_KR} v" in event for event in events), events
    await expect(item).to_have_value(str(ROSSI_KR))
    await page.get_by_role("link", name="Dal primo evento").click()  # the pager keeps it
    assert f"item={ROSSI_KR}" in page.url
    await expect(rows).to_have_count(len(kr_events))
    await page.get_by_role("button", name="Verifica la catena").click()  # so does verifying
    await expect(rows).to_have_count(len(kr_events))
    async with page.expect_download() as csv_info:
        await page.get_by_role("link", name="Scarica il registro (CSV)").click()
    text = (await (await csv_info.value).path()).read_text(encoding="utf-8")
    sheet = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert {row[6] for row in sheet[1:]} == {str(ROSSI_KR)} and len(sheet) == len(kr_events) + 1
    async with page.expect_download() as jsonl_info:
        await page.get_by_role("link", name="Scarica il registro (JSON Lines)").click()
    lines = (await (await jsonl_info.value).path()).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["position"] for line in lines] == [e.position for e in kr_events]

    others = d.demo_id(f"kr:{NERI.slug}")  # a key result of Studio Neri's: not one of here
    for given in (str(uuid.uuid4()), str(others), "xyz"):
        await page.goto(f"/t/{ROSSI.id}/audit?item={given}")
        await expect(page.locator("#a-item-error")).to_contain_text(f"«{given}» non è tra")
        await expect(rows).to_have_count(0)
        await expect(page.locator("p.empty")).to_have_count(0)  # not "nothing happened"
        await expect(page.get_by_role("link", name=re.compile("Scarica il"))).to_have_count(0)
        refused = await page.goto(f"/t/{ROSSI.id}/audit.jsonl?item={given}")
        assert refused is not None and refused.status == 400
        await expect(page.locator("ul.bad-filters li")).to_have_text(
            f"Elemento: «{given}» non è tra le scelte della pagina."
        )


async def test_a_closed_key_result_shows_how_its_score_changed(
    open_page: Opener, portal: PortalServer
) -> None:
    """A score changed after the close is said on the key result's page, with who, when
    and why (it was only in the history); a check-in corrected after the close is said to
    leave the score as it was given; the key result's timeline says the score its close
    gave it, which the changes start from (it said none)."""
    system = portal.system
    client, baker, app, ctx = await a_company_of_its_own(system)
    start = portal.today - timedelta(days=120)
    cycle, kr = await one_key_result(
        app, ctx, start, 89, "Forni al giorno da 0 a 10", kind="increase", start=0, target=10
    )
    done = await app.key_results.record_check_in(ctx, kr, value=Decimal(5), on=start)
    await app.cycles.close(ctx, cycle)
    await app.cycles.adjust_score(
        ctx, cycle, item_id=kr, score=Decimal("0.7"), reason="accordo firmato dopo"
    )
    await app.key_results.correct_check_in(
        ctx, kr, check_in_id=done.extra["check_in_id"], value=Decimal(6), reason="contati male"
    )

    async def projected() -> None:  # the page reads the history the projector keeps
        head = await system.store.head(client.id)
        assert await wait_for_position(system.pool, client.id, head, projection="history",
                                       within=30)  # fmt: skip

    await projected()
    page = await open_page()
    await sign_in(page, baker)
    await page.goto(f"/t/{client.id}/kr/{kr}")
    adjusted = page.locator(".score-adjustment")
    await expect(adjusted).to_contain_text("Punteggio portato da 0,50 a 0,70 da Luca Conti")
    await expect(adjusted.locator(".reason")).to_have_text("accordo firmato dopo")
    await expect(page.locator(".corrected-after-close")).to_contain_text("resta quello dato")
    await expect(page.locator(".kr-summary .kr-weight")).to_have_text("1")
    await shot(page, "key-result-rescored")
    await app.cycles.adjust_score(ctx, cycle, item_id=kr, score=Decimal("0.6"), reason="rivisto")
    await projected()
    await page.reload()  # the score was changed after the correction: no more to say of it
    await expect(adjusted).to_have_count(2)
    await expect(page.locator(".corrected-after-close")).to_have_count(0)
    await page.goto(f"/t/{client.id}/history")  # the score changes, filtered, in Italian
    await page.get_by_label("Tipo", exact=True).select_option(label="Punteggi modificati")
    await page.get_by_role("button", name="Filtra").click()
    lines = page.locator("ol.timeline li")
    await expect(lines).to_have_count(4)  # the key result's twice, its objective's following
    await expect(lines.filter(has_text="segue i punteggi di cui è fatto")).to_have_count(2)
    await expect(lines.filter(has_text="follows the scores")).to_have_count(0)
    # the objective followed, and the cycle's score with it: its lines say the cycle's too
    await expect(lines.filter(has_text="segue i punteggi di cui è fatto").first).to_contain_text(
        "(ciclo: punteggio 0,70 → 0,60)"
    )
    await page.goto(f"/t/{client.id}/history?item={kr}")  # its own timeline: its close too
    await expect(lines.filter(has_text="chiuso e valutato")).to_have_text(
        re.compile(r"questo risultato chiave ha ottenuto 0,50 \(ciclo: punteggio 0,50\)")
    )


async def test_a_day_not_shown_as_asked_is_said(open_page: Opener, portal: PortalServer) -> None:
    """A ?date= still to come shows today, and says so; one that is not a day shows today's
    key result or KPI, and says that too (all were silent); so does a diff's `to` still to come,
    and a diff's `from` still to come is refused beside its field."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    await page.goto(f"/t/{ROSSI.id}/as-of?date=2999-01-01")
    await expect(page.locator(".date-note")).to_have_text(
        "Il 1 gennaio 2999 deve ancora venire: ecco come sta oggi."
    )
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}?date=junk")
    await expect(page.locator(".date-note")).to_contain_text("«junk» non è una data")
    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}?date={portal.days_ago(40)}")
    await expect(page.locator(".date-note")).to_have_count(0)
    # so does a KPI's page (it showed today's, or a day still to come as today, unsaid)
    kpi, her = d.demo_id("kpi:response"), await open_page()
    await sign_in(her, d.GIULIA)
    await her.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}?date=2999-01-01")
    await expect(her.locator(".date-note")).to_have_text(
        "Il 1 gennaio 2999 deve ancora venire: ecco come sta oggi."
    )
    await her.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}?date=junk")
    await expect(her.locator(".date-note")).to_contain_text("«junk» non è una data")
    await her.goto(f"/t/{d.TENANT_ID}/kpis/{kpi}?date={portal.days_ago(40)}")
    await expect(her.locator(".date-note")).to_have_count(0)
    # the comparison of days still to come compares today's, and says so (it was silent:
    # "what changed from today to today", as if that had been asked)
    await page.goto(f"/t/{ROSSI.id}/diff?from={portal.days_ago(3)}&to=2999-06-01")
    await expect(page.locator(".date-note")).to_have_text(
        ["Al: il 1 giugno 2999 deve ancora venire: al suo posto c'è oggi."]
    )
    # one from a day still to come showed today's changes: nothing is known of it yet, so
    # nothing can have changed since; refused beside its field, as the API and okr diff do
    await page.goto(f"/t/{ROSSI.id}/diff?from=2999-01-01&to=2999-06-01")
    await expect(page.locator("#diff-from-error")).to_have_text(
        "Dal: il 1 gennaio 2999 deve ancora venire: non se ne sa ancora nulla, quindi nulla"
        " può essere cambiato da allora."
    )
    await expect(page.locator(".date-note")).to_have_count(0)
    await expect(page.locator("section.diff-item, p.empty")).to_have_count(0)
    await page.goto(f"/t/{ROSSI.id}/diff?from={portal.days_ago(3)}&to={portal.days_ago(0)}")
    await expect(page.locator(".date-note")).to_have_count(0)


async def test_a_diff_of_a_cycle_not_made_by_its_last_day_says_so(
    open_page: Opener, portal: PortalServer
) -> None:
    """The comparison of two days before a cycle was made, of that cycle, showed its KPIs'
    changes as if the cycle had had none (the API answered an empty list, okr diff refused
    it "by --to"): all three say it was made after the last day; and of an id no cycle of
    the company has, that it is none of its cycles (the picker's "not one of the choices")."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    cycle = d.demo_id("cycle:officina-rossi")  # made 200 days ago
    first, last = portal.days_ago(260), portal.days_ago(250)
    await page.goto(f"/t/{ROSSI.id}/diff?from={first}&to={last}&cycle={cycle}")
    said = Locale("it").date(date.fromisoformat(last), long=True)
    await expect(page.locator("#diff-cycle-error")).to_contain_text(
        f"è stato creato dopo il {said}: fino ad allora non c'era."
    )
    await expect(page.locator("section.diff-item, p.empty")).to_have_count(0)
    nothing = uuid.uuid4()
    await page.goto(f"/t/{ROSSI.id}/diff?from={first}&to={last}&cycle={nothing}")
    await expect(page.locator("#diff-cycle-error")).to_have_text(
        f"«{nothing}» non è un ciclo di questa azienda."
    )
    await page.goto(f"/t/{ROSSI.id}/diff?from={first}&to={portal.days_ago(0)}&cycle={cycle}")
    await expect(page.locator("#diff-cycle-error")).to_have_count(0)
    await expect(page.locator("section.diff-item").first).to_be_visible()


async def test_a_day_s_tree_carries_the_company_s_name_of_that_day(
    open_page: Opener, portal: PortalServer
) -> None:
    """The tree of a past day was headed with the company's name of now, though it was
    called otherwise then: it carries the name of that day, as okr progress --as-of does;
    today's dashboard, and that day's values as known now, the name of now."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    then = datetime.combine(portal.today - timedelta(days=10), time(10), tzinfo=UTC)
    await app.cycles.create(
        Context(client.id, person.actor, imported_at=then), name="Trimestre",
        starts_on=portal.today - timedelta(days=20), ends_on=portal.today + timedelta(days=70),
    )  # fmt: skip
    renamed = f"Forno Gialli & Figli {client.slug}"  # no other client's (test_clients)
    await app.settings.change(ctx, name=renamed)
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    heading = page.get_by_role("heading", level=1)
    await page.goto(f"/t/{client.id}/as-of?date={portal.days_ago(5)}")
    await expect(heading).to_have_text("Forno Gialli")
    await page.goto(f"/t/{client.id}/as-of?date={portal.days_ago(5)}&known=now")
    await expect(heading).to_have_text(renamed)
    await page.goto(f"/t/{client.id}")
    await expect(heading).to_have_text(renamed)


async def test_the_trail_says_each_event_in_words_and_keeps_its_topic(
    open_page: Opener, portal: PortalServer
) -> None:
    """The trail's "Evento" column said `KeyResult.CheckedIn`, the code's name for it: it
    says "Aggiornamento registrato" ("Check-in recorded" in English), the topic an auditor
    filters the API's trail by still beside it, whole in its title."""
    for locale, made, checked_in in (
        ("it-IT", "Risultato chiave creato", "Aggiornamento registrato"),
        ("en-GB", "Key result created", "Check-in recorded"),
    ):
        page = await open_page(locale=locale)
        await sign_in(page, d.LUCA)
        await page.goto(f"/t/{ROSSI.id}/audit?item={ROSSI_KR}&after=0")
        first = page.locator("table.audit tbody tr").first
        await expect(first.locator(".event-kind")).to_have_text(made)
        check_in = page.locator("table.audit tbody tr").filter(has_text="KeyResult.CheckedIn")
        await expect(check_in.first.locator(".event-kind")).to_have_text(checked_in)
        topic = check_in.first.locator("td:nth-child(4) code")
        await expect(topic).to_have_text("KeyResult.CheckedIn")
        assert (await topic.get_attribute("title") or "").startswith("okr.KeyResult.CheckedIn · ")


async def test_a_chain_of_one_event_is_said_in_the_singular(
    open_page: Opener, portal: PortalServer
) -> None:
    """A company with one event in its log, its first cycle: verifying its chain read
    "Catena integra: 1 eventi verificati" ("1 events checked")."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    client = await create_tenant(portal.system.pool, consultancy, f"Nuova {uuid.uuid4().hex[:6]}")
    await OKRApplication(portal.system.repository).cycles.create(
        Context(client.id, "user:builder"), name="Q1", starts_on=portal.today,
        ends_on=portal.today + timedelta(days=90),
    )  # fmt: skip
    assert await portal.system.store.head(client.id) == 1
    for locale, said in (
        ("it-IT", "Catena integra: 1 evento verificato, fino alla posizione 1."),
        ("en-GB", "Chain intact: 1 event checked, up to position 1."),
    ):
        page = await open_page(locale=locale)
        await sign_in(page, admin)
        await page.goto(f"/t/{client.id}/audit?verify=true")
        await expect(page.locator(".chain-result")).to_have_text(said)


async def test_the_trail_opens_on_its_latest_events(
    open_page: Opener, portal: PortalServer
) -> None:
    """Newest first, a hundred at a time, earlier ones a click away (it opened on the first
    event, months back, and today's changes were pages away); from the first event on
    request, oldest first as before."""
    page = await open_page()
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{d.TENANT_ID}/audit")
    numbers = page.locator("table.audit tbody td:first-child")

    async def shown() -> list[int]:
        return [int(n) for n in await numbers.all_inner_texts()]

    latest = await shown()
    assert len(latest) == 100 and latest == sorted(latest, reverse=True)
    head = await portal.system.store.head(d.TENANT_ID)
    assert latest[0] == head
    await page.get_by_role("link", name="Eventi precedenti").click()
    earlier = await shown()
    assert earlier[0] == latest[-1] - 1 and earlier == sorted(earlier, reverse=True)
    await page.get_by_role("link", name="Ai più recenti").click()
    assert (await shown())[0] == head
    await page.get_by_role("link", name="Dal primo evento").click()
    assert (await shown())[:3] == [1, 2, 3]
    await page.get_by_role("button", name="Verifica la catena").click()  # stays on its page
    assert (await shown())[:3] == [1, 2, 3]
    await page.goto(f"/t/{d.TENANT_ID}/audit?before=1")  # an empty page has a way back
    await expect(numbers).to_have_count(0)
    await page.get_by_role("link", name="Ai più recenti").click()
    assert (await shown())[0] == head


async def test_a_day_s_tree_and_a_diff_show_one_cycle_chosen_by_a_link(
    open_page: Opener, portal: PortalServer
) -> None:
    """The tree of a day and the diff of two days showed every cycle at once (815 KiB for a
    client of 10,000 events). They show one, the active one unless the reader picks
    another, in a link that opens the same page again; the KPIs, of no cycle, show on
    each; a cycle that is not one of the company's is said beside the picker."""
    client, person, app, _ = await a_company_of_its_own(portal.system)

    def on(days_ago: int) -> Context:
        moment = datetime.combine(portal.today - timedelta(days=days_ago), time(10), tzinfo=UTC)
        return Context(client.id, person.actor, imported_at=moment)

    made: dict[str, uuid.UUID] = {}
    for name, starts, days in (("Anno", 60, 364), ("Trimestre", 30, 90)):
        first = portal.today - timedelta(days=starts)
        cycle = await app.cycles.create(on(40), name=name, starts_on=first,
                                        ends_on=first + timedelta(days=days))  # fmt: skip
        await app.cycles.activate(on(40), cycle.item_id)
        goal = await app.objectives.create(on(40), cycle_id=cycle.item_id,
                                           title=f"Obiettivo {name}", owner="Anna")  # fmt: skip
        kr = await app.key_results.create(
            on(40), objective_id=goal.item_id, title=f"KR {name}", kind="increase",
            owner="Anna", start=0, target=100,
        )  # fmt: skip
        made[name], made[f"kr {name}"] = cycle.item_id, kr.item_id
    kpi = (await app.kpis.create(
        on(40), name="Visite", direction="higher_is_better", green=50, red=30,
        frequency_days=7, owner="Anna",
    )).item_id  # fmt: skip
    for name in ("Anno", "Trimestre"):
        await app.key_results.record_check_in(
            on(3), made[f"kr {name}"], value=Decimal(40), on=portal.today - timedelta(days=3)
        )
    await app.kpis.record_measurement(on(3), kpi, value=45, on=portal.today - timedelta(days=3))
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)

    day = portal.days_ago(10)
    await page.goto(f"/t/{client.id}/as-of?date={day}")
    await expect(page.locator("section.cycle")).to_have_count(1)
    await expect(page.locator("section.cycle h2")).to_have_text("Anno")  # the first active
    await expect(page.locator(".tile")).to_have_count(1)  # the KPI
    await page.get_by_label("Ciclo", exact=True).select_option(str(made["Trimestre"]))
    await page.get_by_role("button", name="Mostra").click()
    await expect(page).to_have_url(
        re.compile(rf"/as-of\?date={day}&known=then&cycle={made['Trimestre']}$")
    )
    await expect(page.locator("section.cycle")).to_have_count(1)
    await expect(page.locator("section.cycle h2")).to_have_text("Trimestre")
    await page.get_by_role("link", name="KR Trimestre").click()  # and back, by the crumbs
    await page.locator("nav.crumbs").get_by_role("link", name="Trimestre").click()
    await expect(page.locator("section.cycle h2")).to_have_text("Trimestre")
    await expect(page.locator(".banner.as-of")).to_contain_text("Com'era il")
    shared = await open_page()  # the link, opened by another reader
    await sign_in(shared, person)
    await shared.goto(page.url)
    await expect(shared.locator("section.cycle h2")).to_have_text("Trimestre")

    await page.goto(f"/t/{client.id}/diff?from={portal.days_ago(5)}&to={portal.days_ago(0)}")
    headings = page.locator("section.diff-item h2")
    await expect(headings.filter(has_text="KR Anno")).to_have_count(1)
    await expect(headings.filter(has_text="KR Trimestre")).to_have_count(0)
    await expect(headings.filter(has_text="Visite")).to_have_count(1)
    await page.get_by_label("Ciclo", exact=True).select_option(str(made["Trimestre"]))
    await page.get_by_role("button", name="Confronta").click()
    await expect(page).to_have_url(re.compile(rf"&cycle={made['Trimestre']}$"))
    await expect(headings.filter(has_text="KR Trimestre")).to_have_count(1)
    await expect(headings.filter(has_text="KR Anno")).to_have_count(0)
    await expect(headings.filter(has_text="Visite")).to_have_count(1)
    await page.get_by_role("link", name="Ogni modifica registrata in questi giorni").click()
    await expect(page).to_have_url(re.compile(rf"/history\?.*&cycle={made['Trimestre']}$"))
    await expect(page.get_by_label("Ciclo", exact=True)).to_have_value(str(made["Trimestre"]))
    timeline = page.locator("ol.timeline li")
    await expect(timeline).to_have_count(1)  # its key result's check-in: no other cycle's
    await expect(timeline).to_contain_text("KR Trimestre")
    await page.goto(f"/t/{client.id}/history?cycle=abc")
    await expect(page.locator("#f-cycle-error")).to_contain_text("«abc» non è tra le scelte")

    await page.goto(f"/t/{client.id}/diff?from={portal.days_ago(3)}&to={portal.days_ago(3)}")
    said = Locale("it").date(portal.today - timedelta(days=3), long=True)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Cosa è cambiato il {said}")
    await expect(headings.filter(has_text="KR Anno")).to_have_count(1)  # that day's check-in

    await page.goto(f"/t/{client.id}/diff?cycle={ROSSI_KR}")  # not a cycle, nor of this company
    await expect(page.locator("#diff-cycle-error")).to_contain_text(  # as the API says it
        "non è un ciclo di questa azienda"
    )
    await expect(page.get_by_label("Ciclo", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("section.diff-item")).to_have_count(0)
    await page.goto(f"/t/{client.id}/as-of?date={day}&cycle=abc")
    await expect(page.locator("#as-of-cycle-error")).to_contain_text("«abc» non è tra le scelte")
    await page.goto(f"/t/{client.id}/as-of?date={portal.days_ago(50)}&cycle={made['Trimestre']}")
    await expect(page.locator(".cycle-note")).to_contain_text(  # a link's day changed: no error
        "Il ciclo «Trimestre» non c'era ancora il"
    )
    await expect(page.locator("#as-of-cycle-error")).to_have_count(0)
