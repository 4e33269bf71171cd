"""A keyboard and a screen reader: a refusal is said to its field, the field gets the focus."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from services import demo_data as d
from tenants.memberships import add_consultancy_member
from tenants.users import create_user
from tests.portal.conftest import Opener, PortalServer, sign_in
from tests.portal.world import a_company_of_its_own, a_consultancy_of_its_own

T = d.TENANT_ID
CONTRAST = """el => {
    const luminance = colour => {
        const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map(c => {
            c /= 255;
            return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const text = luminance(getComputedStyle(el).color);
    const ground = luminance(getComputedStyle(el.closest('.top')).backgroundColor);
    return (Math.max(text, ground) + 0.05) / (Math.min(text, ground) + 0.05);
}"""
"""The contrast ratio (WCAG's) of an element of the header's text with the header's colour."""


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("as-of?date=2026-02-30", "as-of-date"),
        ("history?from=2026-02-30", "f-from"),
        ("audit?from=2026-02-30", "a-from"),
        ("diff?from=2026-02-30", "diff-from"),
        ("diff?to=2026-02-30", "diff-to"),
    ],
)
async def test_a_day_refused_is_said_to_its_field_which_gets_the_focus(
    open_page: Opener, portal: PortalServer, path: str, field: str
) -> None:
    """The diff's "from" and "to" said a day refused under the form, tied to no field: a
    screen reader heard it once and, on the field, nothing; the focus stayed at the top.
    Each page's day refused now marks its field invalid, described by the message, and the
    focus is put on it, as the timeline's, the trail's and the as-of's were."""
    page = await open_page(width=375, height=812)
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{T}/{path}")
    day = page.locator(f"#{field}")
    await expect(day).to_have_attribute("aria-invalid", "true")
    await expect(day).to_be_focused()
    described = await day.get_attribute("aria-describedby")
    assert described
    said = page.locator(f"[id='{described.split()[-1]}']")
    await expect(said).to_contain_text("2026-02-30")


@pytest.mark.parametrize("locale", ["it-IT", "en-GB"])
async def test_a_bar_s_pace_is_said_as_well_as_drawn(
    open_page: Opener, portal: PortalServer, locale: str
) -> None:
    """A key result's bar on the dashboard marks where the pace says it should be with a
    tick, its words only in the tick's tooltip: inside a progress bar a screen reader reads
    none of it, and a phone or a keyboard never shows it, and the dashboard writes it
    nowhere else. The bar's value now says the pace after the progress."""
    page = await open_page(locale=locale)
    await sign_in(page, d.MARCO)
    ticked = page.locator("li.kr [role=progressbar]:has(.expected)")
    assert await ticked.count() > 0
    for bar in await ticked.all():
        pace = await bar.locator(".expected").get_attribute("title")
        said = await bar.get_attribute("aria-valuetext")
        assert pace and said and said.endswith(pace.lower()), (said, pace)


async def test_the_header_reads_on_any_colour_a_company_picks(
    open_page: Opener, portal: PortalServer
) -> None:
    """The header's words are white or near-black on the company's colour, whichever reads
    better; on a mid grey (#7a7a7a) or a mid tone of its lightness both read at 4.3 to 4.4:1,
    under the 4.5:1 text needs. Its dark words are now black, which reads at 4.6:1 or more
    on any colour white reads worse on."""
    client, admin, _, _ = await a_company_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/settings")
    form = page.locator(".settings-form")
    await form.get_by_label("Colore").fill("#7a7a7a")
    await form.get_by_role("button", name="Salva le impostazioni").click()
    await expect(page.locator(".settings-done")).to_be_visible()
    for words in (".brand a", ".main-nav a", ".account .who"):
        ratio = await page.locator(words).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (words, ratio)


async def test_a_company_s_name_is_cut_on_a_phone_only_when_it_does_not_fit(
    open_page: Opener, portal: PortalServer
) -> None:
    """The header cut the company's name at 62 % of the screen, with room to spare on its
    line: every page on a phone said "Esempio Consulenza S…". It is cut now only where it
    does not fit the line (a suspended company's badge beside it), and a name longer than
    the line still never widens the page."""
    page = await open_page(width=375, height=812)
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{T}/people")
    name = page.locator(".brand a")
    cut = await name.evaluate("a => a.scrollWidth > a.clientWidth")
    assert not cut
    await name.evaluate("a => { a.textContent = 'Esempio Consulenza ' + 'S.r.l. '.repeat(20); }")
    box, swatch = await name.bounding_box(), await page.locator(".swatch").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375 - 16
    assert swatch is not None and swatch["width"] == swatch["height"]  # a round dot still
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")


async def test_an_api_key_s_cells_say_their_column_on_a_phone(
    open_page: Opener, portal: PortalServer
) -> None:
    """On a phone the keys' table is a card a key, its column names hidden: its last use
    read a bare "mai" or a bare date, and its role a bare "Sola lettura". Each says its
    column's name before it, as the portfolio's and the trail's cards do."""
    client, admin, _, _ = await a_company_of_its_own(portal.system)
    page = await open_page(width=375, height=812)
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    form = page.locator(".new-key")
    await form.locator("summary").click()
    await form.get_by_label("Nome della chiave").fill("Gestionale")
    await form.get_by_role("button").click()
    row = page.locator("table.keys tbody tr", has_text="Gestionale")
    said = await row.locator("td").evaluate_all(
        "cells => cells.slice(0, 3).map(c => getComputedStyle(c, '::before').content)"
    )
    assert said == ['"Ruolo: "', '"Creata da: "', '"Ultimo uso: "']


async def test_a_consultant_s_clients_say_their_column_on_a_phone(
    open_page: Opener, portal: PortalServer
) -> None:
    """On a phone the consultancy's people are a card a person, its column names hidden: a
    consultant of no client read a bare "Nessuno, per ora." under the role, and one of
    some clients a bare list of names. The cell says its column's name before it, as an
    API key's cells do."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    consultant = d.Person(f"{uuid.uuid4().hex[:8]}@consulenze.example", "Bruno Neri", "")
    await create_user(portal.system.pool, consultant.email, consultant.name,
                      password=d.PASSWORD, user_id=consultant.id)  # fmt: skip
    await add_consultancy_member(portal.system.pool, consultancy, consultant.id, "consultant")
    page = await open_page(width=375, height=812)
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    clients = page.locator("table.team tbody tr", has_text="Bruno Neri").locator("td.team-clients")
    await expect(clients).to_have_text("Nessuno, per ora.")
    said = await clients.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert said == '"Clienti: "'
