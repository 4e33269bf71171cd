"""The portal for everyone (WCAG 2.1 AA): screen readers, keyboard only, zoomed text, a phone.

The walk opens every kind of page a consultancy admin reaches from the portfolio, in both
languages, and asserts on each what a screen reader or a keyboard needs of it; the contrast
test reads the stylesheet's own colours.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Page, expect

from domain.values import Unit, UnitKind
from projections.progress_tree import kpi_board
from services import demo_data as d
from services.i18n import Locale
from services.portal.views import kpi_tiles
from tests.portal.conftest import Opener, PortalServer, sign_in
from tests.portal.world import (
    NERI,
    ROSSI,
    ROSSI_KR,
    a_company_of_its_own,
    one_key_result,
    projected,
)
from tests.projections.builders import Log, fold_all, kpi

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NOT_PAGES = re.compile(r"\.(csv|jsonl)$|^/lang/|^/static/")

CONTROLS = "input:not([type=hidden]):not([hidden]), select, textarea"
PROBLEMS = """() => {
  const problems = [];
  const say = (what, el) => problems.push(what + (el ? ': ' + el.outerHTML.slice(0, 160) : ''));
  const byId = (id) => document.getElementById(id);
  const text = (ids) => ids.split(/\\s+/).map((id) => byId(id)?.textContent.trim() ?? '').join('');
  const named = (el) => (el.labels && [...el.labels].some((l) => l.textContent.trim()))
    || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') && text(el.getAttribute('aria-labelledby')))
    || (el.getAttribute('title') || '').trim();
  if (!document.documentElement.lang) say('no lang on <html>');
  const h1s = document.querySelectorAll('h1');
  if (h1s.length !== 1) say(h1s.length + ' h1 elements');
  let level = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const now = Number(h.tagName[1]);
    if (now > level + 1) say('heading h' + now + ' after h' + level, h);
    level = now;
  }
  for (const landmark of ['header', 'nav', 'main']) {
    if (!document.querySelector(landmark)) say('no <' + landmark + '>');
  }
  const first = document.querySelector('a[href], button, CONTROLS');
  if (!first || first.getAttribute('href') !== '#main' || !byId('main')) say('no skip link first');
  for (const el of document.querySelectorAll('CONTROLS')) {
    if (!named(el)) say('control without a name', el);
  }
  for (const el of document.querySelectorAll('button, a[href], summary')) {
    if (!el.textContent.trim() && !named(el)) say('button or link without words', el);
  }
  for (const el of document.querySelectorAll('[aria-describedby], [aria-labelledby], label[for]')) {
    const ids = (el.getAttribute('aria-describedby') || '') + ' '
      + (el.getAttribute('aria-labelledby') || '') + ' ' + (el.getAttribute('for') || '');
    for (const id of ids.trim().split(/\\s+/)) if (!byId(id)) say('points to no #' + id, el);
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) if (n > 1) say(n + ' elements of id ' + id);
  for (const el of document.querySelectorAll('[role=progressbar], [role=img], svg')) {
    if (el.closest('[aria-hidden=true]')) continue;
    if (el.getAttribute('role') === null && el.tagName === 'svg') say('svg without a role', el);
    else if (!named(el)) say(el.getAttribute('role') + ' without a name', el);
  }
  const unnamed = 'del, ins, span:not([role]), p:not([role]), div:not([role])';
  for (const el of document.querySelectorAll(unnamed)) {  // ARIA forbids them a name
    if (el.hasAttribute('aria-label')) say('an aria-label no screen reader reads', el);
  }
  for (const th of document.querySelectorAll('th')) {
    if (!th.getAttribute('scope')) say('th without scope', th);
  }
  for (const chip of document.querySelectorAll('.chip, .badge')) {
    if (!chip.textContent.trim()) say('a colour without words', chip);
  }
  return problems;
}""".replace("CONTROLS", CONTROLS)


def said(failures: dict[str, list[str]]) -> str:
    """Each page's problems, a line each (pytest would cut a dict short)."""
    return "\n".join(f"{page}: {problem}" for page, found in failures.items() for problem in found)


async def problems_of(page: Page) -> list[str]:
    """What a screen reader or a keyboard would miss on the page open."""
    found: list[str] = await page.evaluate(PROBLEMS)
    return found


SIDEWAYS = """(width) => {
  const over = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (over <= 0) return '';
  const past = [...document.querySelectorAll('main *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1).pop();  // the innermost
  return 'the page scrolls ' + over + ' px sideways at ' + width + ' px'
    + (past ? ', past its edge: ' + past.outerHTML.slice(0, 120) : '');
}"""


async def sideways(page: Page) -> list[str]:
    """Whether the whole page scrolls sideways at 320 CSS pixels (a phone; 1280 at 400 %) or
    at 640 (1280 at 200 %: the widest of the phone's layout, or the narrowest of the other)."""
    found = []
    for width in (320, 640, 641):
        await page.set_viewport_size({"width": width, "height": 800})
        overflow: str = await page.evaluate(SIDEWAYS, width)
        found += [overflow] if overflow else []
    await page.set_viewport_size({"width": 1280, "height": 900})
    return found


async def title_problems(page: Page) -> list[str]:
    """A company's page is titled with what the page is and the company's name."""
    brand = page.locator("header .brand a")  # a company's name, or the portal's
    title = await page.title()
    if (await brand.get_attribute("href") or "").startswith("/t/"):
        company = (await brand.inner_text()).strip()
        if company not in title or len(title.split(" · ")) < 3:
            return [f"the title {title!r} does not say the page and {company!r}"]
    return []


def kind_of(path: str) -> str:
    """A page's kind: its path with its ids taken away, and the names of its query."""
    split = urlsplit(path)
    names = sorted(part.split("=")[0] for part in split.query.split("&") if part)
    return UUID.sub("{id}", split.path) + ("?" + "&".join(names) if names else "")


async def links_of(page: Page) -> list[str]:
    hrefs: list[str] = await page.eval_on_selector_all(
        "main a[href^='/'], header a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h.split("#")[0] for h in hrefs if h and not NOT_PAGES.search(h.split("?")[0])]


async def walk(page: Page, starts: list[str], limit: int = 60) -> dict[str, str]:
    """One page of each kind reachable from `starts` by following links: kind -> path."""
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if kind_of(path) in seen:
            continue
        await page.goto(path)
        seen[kind_of(path)] = path
        queue += [link for link in await links_of(page) if kind_of(link) not in seen]
    return seen


async def test_every_page_names_its_controls_and_has_its_landmarks(
    portal: PortalServer, open_page: Opener
) -> None:
    """A screen reader hears each field's label, finds one h1, headings in order, the main
    content past a skip link, tables with their headers and charts said in words; the page is
    in the reader's language and, at 320 px (a phone, or 1280 px at 400 %) and 640 px (200 %),
    does not scroll
    sideways as a whole. Every page a consultancy admin reaches, in Italian and in English."""
    for locale, language in (("it-IT", "it"), ("en-GB", "en")):
        page = await open_page(locale=locale)
        await sign_in(page, d.PAOLA)
        pages = await walk(page, [
            f"/t/{ROSSI.id}/kr/{ROSSI_KR}",  # a key result with a corrected check-in
            "/portfolio", f"/t/{d.TENANT_ID}", f"/t/{NERI.id}",
            f"/t/{d.TENANT_ID}/as-of?date={portal.days_ago(30)}",
            f"/t/{d.TENANT_ID}/diff?from={portal.days_ago(30)}&to={portal.days_ago(1)}",
            f"/t/{d.TENANT_ID}/no-such-page", "/account",
        ])  # fmt: skip
        assert len(pages) >= 12, sorted(pages)
        failures: dict[str, list[str]] = {}
        for kind, path in pages.items():
            await page.goto(path)
            found = await problems_of(page)
            if await page.locator("html").get_attribute("lang") != language:
                found.append(f"<html lang> is not {language}")
            found += await sideways(page)
            found += await title_problems(page)
            if found:
                failures[kind] = found
        assert not failures, said(failures)


async def test_the_signed_out_pages_are_as_accessible(open_page: Opener) -> None:
    """Sign-in, the password link's page and an error page, before anyone signs in."""
    for locale in ("it-IT", "en-GB"):
        page = await open_page(locale=locale)
        failures = {}
        for path in ("/sign-in", "/welcome?token=not-a-token", "/no-such-page"):
            await page.goto(path)
            found = await problems_of(page)
            found += await sideways(page)
            if found:
                failures[path] = found
        assert not failures, said(failures)


FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    what: el.outerHTML.slice(0, 120),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    seen: box.width > 0 && box.height > 0,
  };
}"""


async def tab_stops(page: Page, most: int = 120) -> list[str]:
    """Tab from where the focus is to the page's last stop: each stop, asserting it shows a
    focus ring, is on the screen and is not the one before (a trap)."""
    stops: list[str] = []
    for _ in range(most):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused["what"].startswith("<body"):
            break  # past the page's last stop: out to the browser's own
        assert focused["ring"] and focused["seen"], f"{page.url}: {focused['what']}"
        stuck = stops[-4:] == [focused["what"]] * 4  # a date field's day, month, year, picker
        assert not stuck, f"{page.url}: the tab stuck on {focused['what']}"
        stops.append(focused["what"])
    return stops


async def test_every_page_s_tab_stops_show_their_focus(
    portal: PortalServer, open_page: Opener
) -> None:
    """On a phone, where the header wraps and tables turn into cards, every stop of every
    kind of page shows its focus ring, is on the screen, and the tab never sticks."""
    page = await open_page(width=360, height=740)
    await sign_in(page, d.PAOLA)
    for path in (await walk(page, ["/portfolio", f"/t/{d.TENANT_ID}"], limit=30)).values():
        await page.goto(path)
        assert await tab_stops(page, most=400), path


async def test_the_keyboard_reaches_every_control_with_a_visible_focus(
    portal: PortalServer, open_page: Opener
) -> None:
    """Tab from the top of a dashboard full of forms: the skip link comes first and lands on
    the main content, each stop after it shows a focus ring and is on the screen, the tab
    never sticks nor leaves the page early, and a folded form opens with Enter and its field
    is the next stop."""
    page = await open_page()
    await sign_in(page, d.PAOLA)
    await page.goto(f"/t/{d.TENANT_ID}")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    assert len(await tab_stops(page)) >= 20
    summary = page.locator("details.plan summary").first
    await summary.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("details.plan").first).to_have_attribute("open", "")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.closest('details.plan') !== null")


async def test_a_chart_wider_than_a_phone_scrolls_by_keyboard(
    portal: PortalServer, open_page: Opener
) -> None:
    """On a phone a key result's chart scrolls sideways in its box: a keyboard reaches the
    box (named as the chart) and its arrow keys scroll it, as a finger would."""
    page = await open_page(width=320, height=700)
    await sign_in(page, d.PAOLA)
    await page.goto(f"/t/{d.TENANT_ID}")
    await page.locator("a.kr-title").first.click()
    box = page.get_by_role("group", name="Andamento nel tempo")
    await page.keyboard.press("Tab")  # into the page from its top: its first stop, then on
    for _ in range(40):
        if await box.evaluate("box => box === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    before = await box.evaluate("box => box.scrollLeft")
    await page.keyboard.press("ArrowLeft" if before > 0 else "ArrowRight")
    await page.wait_for_timeout(300)  # a smooth scroll takes its time
    assert await box.evaluate("box => box.scrollLeft") != before


STYLESHEET = Path(__file__).parents[2] / "services" / "portal" / "static" / "portal.css"
GROUNDS = ("--paper", "--wash")
"""The page's own backgrounds, under any text whose rule names no background of its own."""
STATUS_FILLS = ("--on-track", "--at-risk", "--off-track", "--done", "--not-started", "--objective")


def luminance(colour: str) -> float:
    """WCAG's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def stylesheet_rules() -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """The stylesheet's colour variables, and each rule's selector with its declarations."""
    css = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.S)
    variables = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\b", css))
    rules = [
        (selector.strip(), dict(re.findall(r"([\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", body)))
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    ]
    return variables, rules


def test_text_and_status_colours_have_the_contrast_wcag_asks() -> None:
    """Text at 4.5:1 on its background (a rule's own, else the page's white or grey), muted
    grey and the status colours included; a progress bar's status fill at 3:1 on its track.
    Computed from the stylesheet, so a colour changed there is checked at once."""
    variables, rules = stylesheet_rules()

    def colour(value: str | None) -> str | None:
        if value is None:
            return None
        named = re.fullmatch(r"var\((--[\w-]+)\)", value)
        found = variables.get(named[1]) if named else value
        return found if found and re.fullmatch(r"#[0-9a-fA-F]{6}", found) else None

    weak = []
    for selector, said in rules:
        ink = colour(said.get("color")) or (
            colour(said.get("fill")) if "text" in selector else None
        )
        ground = colour(said.get("background") or said.get("background-color"))
        for under in [ground] if ground else [variables[g] for g in GROUNDS]:
            if ink and contrast(ink, under) < 4.5:
                weak.append(f"{selector}: {ink} on {under} is {contrast(ink, under):.2f}:1")
    track = next(colour(said["background"]) for selector, said in rules if selector == ".bar")
    assert track is not None
    for fill in STATUS_FILLS:
        if contrast(variables[fill], track) < 3:
            weak.append(f"{fill} on the bar's {track}: {contrast(variables[fill], track):.2f}:1")
    assert len(rules) > 100 and not weak, "\n".join(weak)


BLANKED = """form => {
  const folded = form.closest('details');
  if (folded) folded.open = true;
  for (const field of form.querySelectorAll('input:not([type=hidden]), textarea')) {
    if (!['checkbox', 'radio', 'color'].includes(field.type)) field.value = '';
  }
}"""
ANNOUNCED = """() => {
  const el = document.activeElement;
  const said = (el.getAttribute('aria-describedby') || '').split(/\\s+/)
    .map((id) => document.getElementById(id)).filter((e) => e && e.matches('.field-error'));
  if (el.getAttribute('aria-invalid') === 'true' && said.length && said[0].textContent.trim())
    return '';
  if (el.matches('.form-error, [role=alert]') && el.textContent.trim()) return '';
  return 'focus on ' + el.outerHTML.slice(0, 120);
}"""


async def test_a_form_sent_blank_says_what_is_wrong_where_the_focus_lands(
    portal: PortalServer, open_page: Opener
) -> None:
    """Each form of a company's admin sent with its text fields blank comes back with the
    focus on the first field in error, marked aria-invalid and described by its error (a
    screen reader reads both out at once), or on the form's own error: never a silent page
    whose error only the eye finds."""
    client, person, app, ctx = await a_company_of_its_own(portal.system)
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=30), 60, "Nuovi clienti", kind="increase",
        start=40, target=60,
    )  # fmt: skip
    await projected(portal.system, client.id)
    page = await open_page()
    await sign_in(page, person)
    home = f"/t/{client.id}"
    forms = [
        (f"{home}/kr/{kr}", a) for a in ("/check-ins", "/target", "/edit")
    ] + [
        (home, a) for a in ("/plan/cycles", "/objectives", "/key-results", "/plan/kpis")
    ] + [
        (f"{home}/settings", "/settings"), (f"{home}/people", "/invite"),
        (f"{home}/people", "/keys"), ("/account", "/account/password"),
    ]  # fmt: skip
    silent = []
    for path, action in forms:
        await page.goto(path)
        form = page.locator(f"form[method=post][action$='{action}']").first
        await form.evaluate(BLANKED)
        async with page.expect_navigation():
            await form.locator("button[type=submit]").last.click()
        if said := await page.evaluate(ANNOUNCED):
            silent.append(f"{path} {action}: {said}")
    assert not silent, "\n".join(silent)


def test_a_kpi_tile_s_trend_is_said_in_words() -> None:
    """A tile's sparkline shows which way a KPI went; a screen reader heard only "Andamento
    di Soddisfazione". It hears the first and the last value it draws, in its language."""
    log = Log()
    meter = kpi(log, "Soddisfazione", unit=Unit(UnitKind.PERCENT))
    for value, on in ((Decimal("82.5"), date(2027, 1, 4)), (Decimal(90), date(2027, 1, 11))):
        meter.record_measurement(value=value, on=on, author="alice")
    log.save(meter)
    state = fold_all(log.records)
    board = kpi_board(state, today=date(2027, 1, 11))

    for language, said in (
        ("it", "Andamento di Soddisfazione, ultime 2 misure: da 82,5\u00a0% a 90\u00a0%"),
        ("en", "Trend of Soddisfazione, last 2 measurements: from 82.5% to 90%"),
    ):
        (tile,) = kpi_tiles(state, board, Locale(language))
        assert f'aria-label="{said}"' in str(tile.spark)


async def test_what_a_company_wrote_is_marked_in_its_language(open_page: Opener) -> None:
    """The demo company writes in Italian: on an English page a screen reader read its
    objectives and key results with English sounds. Their names carry lang="it" there, and
    nothing extra on an Italian page."""
    page = await open_page(locale="en-GB")
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{d.TENANT_ID}")
    for named in ("section.objective h3", "a.kr-title", "section.cycle h2", ".tile h3"):
        await expect(page.locator(named).first).to_have_attribute("lang", "it")
    await page.locator("a.kr-title").first.click()
    await expect(page.locator("h1")).to_have_attribute("lang", "it")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    italian = await open_page(locale="it-IT")
    await sign_in(italian, d.GIULIA)
    await italian.goto(f"/t/{d.TENANT_ID}")
    assert await italian.locator("main [lang]").count() == 0
