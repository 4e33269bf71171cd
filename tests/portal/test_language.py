"""Italian and English: the words and the numbers change together, and the choice stays."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from services import demo_data as d
from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import a_company_of_its_own

COSTS = d.demo_id("kr:costs")
RESPONSE_TIME = d.demo_id("kr:response-time")
SATISFACTION = d.demo_id("kr:satisfaction")
COSTS_KPI = d.demo_id("kpi:costs")
PINNED = """() => {
    const box = document.querySelector('.chart-scroll'), chart = box.querySelector('svg.chart');
    const moved = parseFloat((box.querySelector('.y-axis').getAttribute('transform') || '')
        .replace('translate(', '')) || 0;
    const units = chart.viewBox.baseVal.width / chart.getBoundingClientRect().width;
    return Math.abs(moved - box.scrollLeft * units) < 0.5;
}"""
"""A chart's value axis has moved with its scroll (portal.js)."""


async def test_switching_to_english_changes_words_and_number_formats(
    open_page: Opener, portal: PortalServer
) -> None:
    """An Italian browser gets Italian words and "€ 1.080.000"; the switch turns both into
    English ("€1,080,000") and is remembered on the next page."""
    page = await open_page(locale="it-IT")
    await sign_in(page, d.GIULIA)
    costs = page.locator(f"li.kr[data-kr='{COSTS}'] .kr-target")
    hours = page.locator(f"li.kr[data-kr='{RESPONSE_TIME}'] .kr-target")
    score = page.locator(f"li.kr[data-kr='{SATISFACTION}'] .kr-target")
    await expect(costs).to_have_text("€\u00a01.080.000")
    await expect(hours).to_have_text("19,2\u00a0ore")
    await expect(score).to_have_text("4,5 su 5")
    await expect(page.locator(".counts")).to_contain_text("In linea")
    await expect(page.get_by_role("heading", name="Indicatori (KPI)")).to_be_visible()

    await page.get_by_role("link", name="English").click()
    await expect(costs).to_have_text("€1,080,000")
    await expect(hours).to_have_text("19.2\u00a0hours")
    await expect(score).to_have_text("4.5 of 5")
    await expect(page.locator(".counts")).to_contain_text("On track")
    await expect(page.get_by_role("link", name="History")).to_be_visible()
    await shot(page, "dashboard-english")

    await page.goto(f"/t/{d.TENANT_ID}/kr/{RESPONSE_TIME}")
    await expect(page.get_by_role("heading", name="Check-ins")).to_be_visible()
    await expect(page.locator(".kr-summary .kr-target")).to_have_text("19.2\u00a0hours")
    await expect(page.locator(".kr-summary")).to_contain_text("31 Dec")
    await shot(page, "key-result-english")

    await page.get_by_role("link", name="Italiano").click()
    await expect(page.locator(".kr-summary .kr-target")).to_have_text("19,2\u00a0ore")


async def test_a_chart_s_axis_says_its_values_in_one_form(
    open_page: Opener, portal: PortalServer
) -> None:
    """The costs' axis read "1,05 Mln" beside "1,1 Mln" (and, over a wider span, "800k"
    beside "1 Mln"): every tick is in one scale with the same places, in each language."""
    for locale, scale in (("it-IT", "\u00a0Mln"), ("en-GB", "M")):
        page = await open_page(locale=locale)
        await sign_in(page, d.MARCO)
        for path in (f"/t/{d.TENANT_ID}/kr/{COSTS}", f"/t/{d.TENANT_ID}/kpis/{COSTS_KPI}"):
            await page.goto(path)
            ticks = await page.locator("svg.chart .y-label").all_text_contents()
            assert len(ticks) > 2 and all(tick.endswith(scale) for tick in ticks), ticks
            places = {len(tick.removesuffix(scale).partition(",." [locale == "en-GB"])[2])
                      for tick in ticks}  # fmt: skip
            assert len(places) == 1, ticks


async def test_a_chart_s_dates_are_whole_to_its_right_edge(
    open_page: Opener, portal: PortalServer
) -> None:
    """A KPI's chart ends today, where its last date stood centred on the edge and read
    "30 No" of "30 Nov": every date is wholly inside the chart, in each language."""
    for locale in ("it-IT", "en-GB"):
        page = await open_page(locale=locale)
        await sign_in(page, d.MARCO)
        for path in (f"/t/{d.TENANT_ID}/kr/{COSTS}", f"/t/{d.TENANT_ID}/kpis/{COSTS_KPI}"):
            await page.goto(path)
            chart = await page.locator("svg.chart").bounding_box()
            assert chart is not None
            for label in await page.locator("svg.chart .x-label").all():
                box = await label.bounding_box()
                assert box is not None and box["x"] + box["width"] <= chart["x"] + chart["width"]


async def test_an_english_browser_starts_in_english_and_fits_a_phone(
    open_page: Opener, portal: PortalServer
) -> None:
    """Accept-Language picks the language; a phone-sized screen needs no sideways scrolling."""
    page = await open_page(locale="en-GB", width=390, height=844)
    await page.goto("/sign-in")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    await shot(page, "sign-in-phone")
    await sign_in(page, d.MARCO)
    await expect(page.locator(".counts")).to_contain_text("On track")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await shot(page, "dashboard-phone")
    await shot(page, "dashboard-phone-screen", full_page=False)
    await page.goto(f"/t/{d.TENANT_ID}/kr/{RESPONSE_TIME}")
    await shot(page, "key-result-phone-screen", full_page=False)


async def test_a_day_picker_s_label_stays_with_its_field_on_a_phone(
    open_page: Opener, portal: PortalServer
) -> None:
    """On a phone, "Al" ended the line of the "Dal" field and its own field began the next
    (so did "Valori" and its choice): every label of the history's and the diff's day
    pickers is beside its field, or right above it, in each language."""
    for locale in ("it-IT", "en-GB"):
        page = await open_page(locale=locale, width=390, height=844)
        await sign_in(page, d.LUCA)
        for path in ("history", f"diff?from={portal.days_ago(30)}&to={portal.days_ago(0)}",
                     f"as-of?date={portal.days_ago(30)}"):  # fmt: skip
            await page.goto(f"/t/{d.TENANT_ID}/{path}")
            labels = page.locator("form.panel label, form.toolbar label")
            assert await labels.count() > 1, path
            for label in await labels.all():
                field = page.locator(f"[id='{await label.get_attribute('for')}']")
                at, of = await label.bounding_box(), await field.bounding_box()
                assert at is not None and of is not None
                beside = of["y"] <= at["y"] + at["height"] / 2 <= of["y"] + of["height"]
                above = at["y"] + at["height"] <= of["y"] + 1 and abs(at["x"] - of["x"]) < 2
                assert beside or above, (path, await label.text_content())


async def test_the_wide_tables_fit_a_phone_as_cards(
    open_page: Opener, portal: PortalServer
) -> None:
    """The portfolio's and the trail's rows become cards on a phone, each cell named: the
    progress and what changed were off the screen, in a table scrolled sideways."""
    page = await open_page(width=375, height=812)
    await sign_in(page, d.PAOLA)
    await page.goto("/portfolio")
    for selector in ("table.portfolio .progress-cell", "table.portfolio tbody th"):
        box = await page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375, selector
    await shot(page, "portfolio-phone")
    await page.goto(f"/t/{d.TENANT_ID}/audit")
    said = page.locator("table.audit td.said").first
    await expect(said).to_be_visible()
    box = await said.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
    wide = await page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].some(w => w.scrollWidth > w.clientWidth)"
    )
    assert not wide
    await shot(page, "audit-phone", full_page=False)


async def test_a_long_word_or_name_never_widens_a_page(
    open_page: Opener, portal: PortalServer
) -> None:
    """A note of one 340-letter word, a 200-letter name in the header: they wrap, or are
    cut with an ellipsis, where they made the page 2,600 px wide; and a chart wider than a
    phone opens with today in view, its legend below it on screen."""
    page = await open_page(width=375, height=812)
    await sign_in(page, d.MARCO)
    await page.goto(f"/t/{d.TENANT_ID}/kr/{RESPONSE_TIME}")
    await page.evaluate(
        """() => {
            document.querySelector('.ci-note, .ci-meta').textContent = 'x'.repeat(340);
            document.querySelector('h1').textContent = 'Ridurre' + 'y'.repeat(200);
            document.querySelector('header .who').textContent = 'نور الهدى 🚀 ' + 'z'.repeat(190);
        }"""
    )
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    scrolled = await page.evaluate("document.querySelector('.chart-scroll').scrollLeft")
    assert scrolled > 0
    today = await page.locator("line.today").bounding_box()
    box = await page.locator(".chart-scroll").bounding_box()
    assert today is not None and box is not None
    assert box["x"] <= today["x"] <= box["x"] + box["width"]  # today in view, sideways
    for item in await page.locator(".legend span").all():  # the legend stays on screen
        box = await item.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375


async def test_a_chart_scrolled_on_a_phone_keeps_its_value_axis_in_view(
    open_page: Opener, portal: PortalServer
) -> None:
    """A chart wider than a phone opens scrolled to today, which took its value axis off
    the screen ("5 Mln" of "1,25 Mln" was left): its words stay whole at the left edge, as
    it opens and wherever it is scrolled, in each language, on a key result and a KPI."""
    for locale in ("it-IT", "en-GB"):
        page = await open_page(locale=locale, width=390, height=844)
        await sign_in(page, d.MARCO)
        for path in (f"/t/{d.TENANT_ID}/kr/{COSTS}", f"/t/{d.TENANT_ID}/kpis/{COSTS_KPI}"):
            await page.goto(path)
            box = page.locator(".chart-scroll")
            for scrolled in (None, 60, 0):
                if scrolled is not None:
                    await box.evaluate("(box, left) => { box.scrollLeft = left; }", scrolled)
                    await page.wait_for_function(PINNED)  # the scroll event has moved it
                edge = await box.bounding_box()
                assert edge is not None
                for label in await page.locator("svg.chart .y-label").all():
                    seen = await label.bounding_box()
                    assert seen is not None and seen["x"] >= edge["x"], (path, scrolled)
            assert await box.evaluate("box => box.scrollWidth > box.clientWidth")
            cover = await page.locator("svg.chart .y-axis-bg").bounding_box()
            dates = await page.locator("svg.chart .x-label").first.bounding_box()
            assert cover is not None and dates is not None  # the first date, not half of it
            assert cover["y"] + cover["height"] <= dates["y"]
        await shot(page, f"kpi-chart-phone-{locale}", full_page=False)


async def test_switching_language_keeps_what_was_typed(
    open_page: Opener, portal: PortalServer
) -> None:
    """A note and a confidence typed on a key result's page are there after switching to
    English (they were lost); a value is not carried over, as each language writes numbers
    its own way."""
    page = await open_page()
    await sign_in(page, d.MARCO)
    await page.goto(f"/t/{d.TENANT_ID}/kr/{RESPONSE_TIME}")
    await page.get_by_label("Valore", exact=True).fill("1.250")
    await page.get_by_label("Nota", exact=True).fill("da rivedere con Anna")
    await page.locator("#ci-confidence").fill("7")
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_label("Note", exact=True)).to_have_value("da rivedere con Anna")
    await expect(page.locator("#ci-confidence")).to_have_value("7")
    await expect(page.get_by_label("Value", exact=True)).to_have_value("")
    await page.reload()  # once only
    await expect(page.get_by_label("Note", exact=True)).to_have_value("")


async def test_switching_language_after_a_form_refused_twice_comes_back_to_its_page(
    open_page: Opener, portal: PortalServer
) -> None:
    """A refused form's page is answered at the form's own URL, which takes a POST only.
    Refused once, the switch led back to the KPI's page; refused twice, it led to that URL
    (the page the second was sent from), and Method Not Allowed, in JSON. Each form now
    says the page it was on."""
    page = await open_page()
    await sign_in(page, d.LUCA)
    kpi_page = f"/t/{d.TENANT_ID}/kpis/{d.demo_id('kpi:csat')}"
    await page.goto(kpi_page)
    await page.locator(".kpi-thresholds summary").click()
    for _ in range(2):
        form = page.locator(".kpi-thresholds form")
        await form.get_by_label("Soglia verde").fill("tanti")
        await form.get_by_role("button", name="Salva le soglie").click()
        await expect(page.locator("#thresholds-green-error")).to_be_visible()
    await page.get_by_role("link", name="English").click()
    await expect(page).to_have_url(f"{portal.base_url}{kpi_page}")
    await expect(page.locator(".kpi-thresholds summary")).to_have_text("Move the thresholds")


async def test_a_company_s_pages_speak_its_language_to_a_browser_that_asks_for_neither(
    open_page: Opener, portal: PortalServer
) -> None:
    """A company's language is "for whoever has not chosen one" (its settings say), yet the
    pages never asked it: a Japanese browser at an English-speaking company read Italian.
    With no language remembered and none of the browser's offered, a company's pages are
    in its language."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    await app.settings.change(ctx, locale="en")
    page = await open_page(locale="ja-JP")
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/history")
    await expect(page.locator("h1")).to_have_text("History")


async def test_a_company_s_error_page_speaks_its_language_as_its_other_pages_do(
    open_page: Opener, portal: PortalServer
) -> None:
    """The company's language reached its pages, not its error pages: a reader whose browser
    asks for neither language, at an English-speaking company, read its pages in English
    and a key result no longer there said "Pagina non trovata". It says "Page not found"."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    await app.settings.change(ctx, locale="en")
    page = await open_page(locale="ja-JP")
    await sign_in(page, admin)
    answer = await page.goto(f"/t/{client.id}/kr/{uuid.uuid4()}")
    assert answer is not None and answer.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")


async def test_an_address_no_page_has_under_a_company_speaks_its_language(
    open_page: Opener, portal: PortalServer
) -> None:
    """An unknown path under an English-speaking company (a mistyped link) said "Pagina non
    trovata": no route matched it, so no company was read. It says "Page not found", as
    the company's other error pages do (so does a form's address opened as a page, 405); its
    pages still open; and a company the reader
    does not reach answers as one that does not exist, in no language of its."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    await app.settings.change(ctx, locale="en")
    other, *_ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page(locale="ja-JP")
    await sign_in(page, admin)
    for path in ("nope", "kr/extra/parts", "people/invite/more"):
        answer = await page.goto(f"/t/{client.id}/{path}")
        assert answer is not None and answer.status == 404, path
        await expect(page.locator("h1")).to_have_text("Page not found")
    answer = await page.goto(f"/t/{client.id}/people/invite")  # a form's address, as a page
    assert answer is not None and answer.status == 405
    await expect(page.locator("h1")).to_have_text("Not available")
    answer = await page.goto(f"/t/{client.id}/history")
    assert answer is not None and answer.status == 200
    await expect(page.locator("h1")).to_have_text("History")
    for tenant in (other.id, uuid.uuid4()):
        answer = await page.goto(f"/t/{tenant}/nope")
        assert answer is not None and answer.status == 404
        await expect(page.locator("h1")).to_have_text("Pagina non trovata")
