"""A consultancy's clients in the portal: a consultancy admin makes a new client company from
the portfolio, its admin changes its settings, the consultancy suspends and reactivates it.

Each test has a consultancy of its own (the portfolios other tests count stay as they are).
Every refusal is said beside its field and records nothing."""

from __future__ import annotations

import asyncio
import html
import uuid
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import APIResponse, Page, expect

from services import demo_data as d
from services import instants
from tenants.directory import (
    create_tenant,
    get_tenant,
    list_consultancy_tenants,
)
from tests.portal.conftest import Opener, PortalServer, csrf, shot, sign_in
from tests.portal.world import (
    Client,
    a_colleague,
    a_company_of_its_own,
    a_consultancy_of_its_own,
    projected,
)


async def clients_of(portal: PortalServer, consultancy: UUID) -> list[Any]:
    return await list_consultancy_tenants(portal.system.pool, consultancy)


async def fill_new_client(page: Page, **fields: str) -> None:
    """Open the portfolio's new client form and fill in the fields given, by their labels."""
    form = page.locator(".new-client form")
    if not await form.is_visible():
        await page.locator(".new-client summary").click()
    labels = {
        "name": "Nome dell'azienda",
        "cadence": "Aggiornamenti ogni (giorni)",
    }
    for field, value in fields.items():
        if field == "month":
            await form.get_by_label("L'anno fiscale inizia a").select_option(label=value)
        elif field == "language":
            await form.get_by_label("Lingua").select_option(label=value)
        elif field == "colour":
            await form.get_by_label("Colore").fill(value)
        else:
            await form.get_by_label(labels[field]).fill(value)


async def test_a_consultancy_admin_makes_a_new_client_and_lands_on_its_page(
    open_page: Opener, portal: PortalServer
) -> None:
    """The form asks what the API's tenant takes, and proposes its time zone by the API's
    rule (UTC for English, not Rome); the new company's page says what to do next, its log
    begins with who made it with which settings, the portfolio lists it."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    await expect(page.locator(".empty")).to_be_visible()  # no client yet
    await fill_new_client(
        page, name="Ferramenta Bianchi S.n.c.", colour="#0f766e", month="luglio",
        cadence="14", language="Inglese",
    )  # fmt: skip
    await shot(page, "clients-new-form")
    zone = page.locator(".new-client form").get_by_label("Fuso orario")
    await expect(zone.locator("option:checked")).to_have_text(
        "Secondo la lingua: Europe/Rome per l'italiano, UTC per le altre"
    )
    await page.get_by_role("button", name="Crea il cliente").click()

    await expect(page.locator("h1")).to_have_text("Ferramenta Bianchi S.n.c.")
    await expect(page.locator(".cycle-done")).to_contain_text("Cliente creato.")
    await expect(page.locator(".plan-cycle")).to_have_count(1)  # its first cycle, planned here
    [made] = await clients_of(portal, consultancy)
    assert page.url.endswith(f"/t/{made.id}?done=client_created")
    assert (made.name, made.slug, made.colour) == (
        "Ferramenta Bianchi S.n.c.",
        "ferramenta-bianchi-s-n-c",
        "#0f766e",
    )
    assert (made.fiscal_year_start_month, made.check_in_cadence_days, made.locale) == (7, 14, "en")
    assert made.time_zone == "UTC"  # its language's, as the API's tenant made with none
    [first] = await portal.system.store.read_log(made.id)
    assert first.topic == "okr.SettingsChange.Created" and first.actor == admin.actor

    await projected(portal.system, made.id)
    await page.goto(f"/t/{made.id}/history")
    await expect(page.locator(".timeline")).to_contain_text(
        "'Ferramenta Bianchi S.n.c.' creata da Irene Sala"
    )
    await page.goto("/portfolio")
    await expect(page.locator(f"tr[data-tenant='{made.id}'] th a")).to_have_text(
        "Ferramenta Bianchi S.n.c."
    )


async def test_a_new_client_made_encrypted_is_read_as_any_and_its_settings_say_so(
    open_page: Opener, portal: PortalServer
) -> None:
    """The box asks for the API's `encrypted`: the client is made with a key of its own,
    its pages read its encrypted log as any other's, and its settings page says its events
    are stored encrypted. A hand-made form saying the box otherwise than ticked or not is
    refused beside the box, nothing made: an encryption is never guessed at."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    hand_made = {
        "name": "Studio Dentistico Riva", "colour": "#0f766e", "fiscal_year_start_month": "1",
        "check_in_cadence_days": "7", "locale": "it", "time_zone": "Europe/Rome",
        "consultancy": str(consultancy), "id": str(uuid.uuid4()), "encrypted": "sì",
    }  # fmt: skip
    answer = await page.request.post("/portfolio/clients", form={**hand_made, **await csrf(page)})
    assert answer.status == 422, answer.status
    assert "Spunta la casella o lasciala vuota." in html.unescape(await answer.text())
    assert await clients_of(portal, consultancy) == []

    await fill_new_client(page, name="Studio Dentistico Riva")
    await page.get_by_label("Cifra i suoi eventi con una chiave propria").check()
    await page.get_by_role("button", name="Crea il cliente").click()

    await expect(page.locator("h1")).to_have_text("Studio Dentistico Riva")
    [made] = await clients_of(portal, consultancy)
    assert made.encrypted
    [first] = await portal.system.store.read_log(made.id)
    assert b"Studio Dentistico Riva" not in first.state
    await projected(portal.system, made.id)
    await page.goto(f"/t/{made.id}/history")
    await expect(page.locator(".timeline")).to_contain_text(
        "'Studio Dentistico Riva' creata da Irene Sala"
    )
    await page.goto(f"/t/{made.id}/settings")
    await expect(page.locator(".encryption")).to_have_text(
        "I suoi eventi sono salvati cifrati, con una chiave propria (scelto alla sua creazione)."
    )


async def test_a_new_client_refused_is_said_beside_each_field_and_makes_nothing(
    open_page: Opener, portal: PortalServer
) -> None:
    """A blank name, a cadence of no days or of words: each said beside its field, what was
    typed kept; fixed and sent again, the same form makes the client, once."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    await fill_new_client(page, name="  ", cadence="0")
    await page.get_by_role("button", name="Crea il cliente").click()
    await expect(page.locator("#new-client-name-error")).to_have_text(
        "Questo campo è obbligatorio."
    )
    await expect(page.locator("#new-client-check_in_cadence_days-error")).to_have_text(
        "Un numero intero di giorni, da 1 a 90."
    )
    await fill_new_client(page, name="Cartoleria Moro", cadence="due")
    await page.get_by_role("button", name="Crea il cliente").click()
    await expect(page.locator("#new-client-check_in_cadence_days-error")).to_have_text(
        "Un numero intero di giorni, da 1 a 90."
    )
    await expect(page.locator("#new-client-name")).to_have_value("Cartoleria Moro")
    await expect(page.locator("#new-client-name-error")).to_have_count(0)
    assert await clients_of(portal, consultancy) == []

    await fill_new_client(page, cadence="10")
    await page.get_by_role("button", name="Crea il cliente").click()
    await expect(page.locator("h1")).to_have_text("Cartoleria Moro")
    [made] = await clients_of(portal, consultancy)
    assert made.check_in_cadence_days == 10


async def test_a_hand_made_new_client_with_values_the_form_does_not_offer_is_refused(
    open_page: Opener, portal: PortalServer
) -> None:
    """A colour that is not #rrggbb, a thirteenth month, a language the portal does not speak,
    a consultancy not the viewer's: each refused by name (422), nothing made."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    good = {
        "name": "Vivaio Serra", "colour": "#15803d", "fiscal_year_start_month": "1",
        "check_in_cadence_days": "7", "locale": "it", "time_zone": "Europe/Rome",
        "consultancy": str(consultancy), "id": str(uuid.uuid4()),
    }  # fmt: skip
    refusals = {
        "time_zone": ("Europe/Atlantide", "Scegli un fuso orario dell'elenco."),
        "colour": ("rosso", "Scegli un colore (#rrggbb)."),
        "fiscal_year_start_month": ("13", "Scegli un mese dell'elenco."),
        "locale": ("fr", "Scegli una lingua dell'elenco."),
        "consultancy": (
            str(d.CONSULTANCY_ID),
            "Puoi creare clienti solo delle società di consulenza che amministri.",
        ),
    }
    for field, (value, said) in refusals.items():
        answer = await page.request.post(
            "/portfolio/clients", form={**good, field: value, **await csrf(page)}
        )
        assert answer.status == 422, (field, answer.status)
        assert said in html.unescape(await answer.text()), (field, said)
    assert await clients_of(portal, consultancy) == []
    assert not [t for t in await clients_of(portal, d.CONSULTANCY_ID) if t.name == "Vivaio Serra"]


async def test_a_month_or_a_cadence_of_thousands_of_digits_is_said_beside_its_field(
    open_page: Opener, portal: PortalServer
) -> None:
    """int() refuses a number of more than 4,300 digits: a fiscal year's month or a cadence
    of 5,000 nines, sent to the new client's form or to a company's settings, answered a 500
    page. Each is refused beside its field (422), and nothing is made or changed."""
    nines = "9" * 5000
    said = {
        "fiscal_year_start_month": "Scegli un mese dell'elenco.",
        "check_in_cadence_days": "Un numero intero di giorni, da 1 a 90.",
    }
    consultancy, consultancy_admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, consultancy_admin)
    await page.goto("/portfolio")
    new_client = {
        "name": "Vivaio Serra", "colour": "#15803d", "fiscal_year_start_month": "1",
        "check_in_cadence_days": "7", "locale": "it", "time_zone": "Europe/Rome",
        "consultancy": str(consultancy), "id": str(uuid.uuid4()),
    }  # fmt: skip
    for field, message in said.items():
        answer = await page.request.post(
            "/portfolio/clients", form={**new_client, field: nines, **await csrf(page)}
        )
        assert answer.status == 422, (field, answer.status)
        assert message in html.unescape(await answer.text()), field
    assert await clients_of(portal, consultancy) == []

    client, admin, _, _ = await a_company_of_its_own(portal.system)
    theirs = await open_page()
    await sign_in(theirs, admin)
    await theirs.goto(f"/t/{client.id}/settings")
    head = await portal.system.store.head(client.id)
    settings = {
        "name": client.name, "colour": client.colour, "fiscal_year_start_month": "1",
        "check_in_cadence_days": "7", "locale": "it", "time_zone": "Europe/Rome",
    }  # fmt: skip
    for field, message in said.items():
        answer = await theirs.request.post(
            f"/t/{client.id}/settings", form={**settings, field: nines, **await csrf(theirs)}
        )
        assert answer.status == 422, (field, answer.status)
        assert message in html.unescape(await answer.text()), field
    assert await portal.system.store.head(client.id) == head


async def test_a_new_client_form_sent_twice_makes_one_client(
    open_page: Opener, portal: PortalServer
) -> None:
    """The form carries the new company's id: sent again (after it answered, or at once),
    it lands on the company the first made."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    form = page.locator(".new-client form")
    fields = {
        "name": "Pescheria Lago", "colour": "#1d4ed8", "fiscal_year_start_month": "1",
        "check_in_cadence_days": "7", "locale": "it", "time_zone": "Europe/Rome",
        "consultancy": str(consultancy),
        "id": await form.locator("input[name=id]").get_attribute("value") or "",
        **await csrf(page),
    }  # fmt: skip

    async def send() -> APIResponse:
        return await page.request.post("/portfolio/clients", form=fields, max_redirects=0)

    answers = [await send(), *await asyncio.gather(send(), send())]
    [made] = await clients_of(portal, consultancy)
    for answer in answers:
        assert answer.status == 303
        assert answer.headers["location"] == f"/t/{made.id}?done=client_created"


async def test_a_client_named_as_another_of_the_consultancy_is_refused_beside_its_name(
    open_page: Opener, portal: PortalServer
) -> None:
    """Two clients of one name told apart by slug alone in the portfolio: a new client
    named as another (case and spaces aside), or one renamed so in its settings, is said
    beside the name, and nothing is made or recorded. A name whose slug another client's
    has already (the person never typed one) makes the next free slug."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    await create_tenant(portal.system.pool, consultancy, "Bottega Riva")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    await fill_new_client(page, name="  bottega  RIVA ")
    await page.get_by_role("button", name="Crea il cliente").click()
    said = "Un altro cliente della consulenza ha già questo nome: dagliene uno che lo distingua."
    await expect(page.locator("#new-client-name-error")).to_have_text(said)
    assert len(await clients_of(portal, consultancy)) == 1

    await fill_new_client(page, name="Bottega Riva!")
    await page.get_by_role("button", name="Crea il cliente").click()
    await expect(page.locator(".cycle-done")).to_contain_text("Cliente creato.")
    clients = {t.slug: t for t in await clients_of(portal, consultancy)}
    assert sorted(clients) == ["bottega-riva", "bottega-riva-2"]

    renamed = clients["bottega-riva-2"]
    head = await portal.system.store.head(renamed.id)
    await page.goto(f"/t/{renamed.id}/settings")
    form = page.locator(".settings-form")
    await form.get_by_label("Nome dell'azienda").fill("Bottega Riva")
    await form.get_by_role("button", name="Salva le impostazioni").click()
    await expect(page.locator("#settings-name-error")).to_have_text(said)
    assert (await get_tenant(portal.system.pool, renamed.id)).name == "Bottega Riva!"
    assert await portal.system.store.head(renamed.id) == head


async def test_only_a_consultancy_admin_makes_clients(
    open_page: Opener, portal: PortalServer
) -> None:
    """A consultant and a client admin are offered no form; one they make by hand is the 403
    page, and makes nothing."""
    consultancy, _ = await a_consultancy_of_its_own(portal.system)
    for person in (d.LUCA, d.GIULIA):
        page = await open_page()
        await sign_in(page, person)
        await page.goto("/portfolio")
        await expect(page.locator(".new-client")).to_have_count(0)
        answer = await page.request.post(
            "/portfolio/clients",
            form={"name": "Abusivo", "consultancy": str(d.CONSULTANCY_ID), **await csrf(page)},
        )
        assert answer.status == 403, (person.email, answer.status)
    assert await clients_of(portal, consultancy) == []
    assert not [t for t in await clients_of(portal, d.CONSULTANCY_ID) if t.name == "Abusivo"]


async def test_a_client_admin_changes_the_company_settings_saying_why(
    open_page: Opener, portal: PortalServer
) -> None:
    """Saved: the header says the new name, the history the change and its reason; saved
    unchanged: nothing recorded; a bad cadence: said beside it, nothing recorded."""
    client, admin, _, _ = await a_company_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}")
    await page.get_by_role("link", name="Impostazioni").click()
    await expect(page.locator(".tenant-status")).to_have_count(0)  # the consultancy's
    form = page.locator(".settings-form")
    await expect(form.get_by_label("Nome dell'azienda")).to_have_value(client.name)
    await form.get_by_label("Nome dell'azienda").fill("Forno Gialli & Figli")
    await form.get_by_label("Aggiornamenti ogni (giorni)").fill("14")
    await expect(form.get_by_label("Fuso orario")).to_have_value("Europe/Rome")
    await form.get_by_label("Fuso orario").select_option("Europe/Lisbon")
    await form.get_by_label("Motivo (facoltativo)").fill("nuovo socio, aggiornamenti ogni due")
    await form.get_by_role("button", name="Salva le impostazioni").click()
    await expect(page.locator(".settings-done")).to_have_text("Impostazioni salvate.")
    await expect(page.locator(".brand a")).to_have_text("Forno Gialli & Figli")
    changed = await get_tenant(portal.system.pool, client.id)
    assert (changed.name, changed.check_in_cadence_days, changed.time_zone) == (
        "Forno Gialli & Figli",
        14,
        "Europe/Lisbon",
    )
    head = await portal.system.store.head(client.id)
    await shot(page, "clients-settings")

    await page.get_by_role("button", name="Salva le impostazioni").click()
    await expect(page.locator(".settings-done")).to_have_text(
        "Nulla è cambiato: non è stato registrato nulla."
    )
    await form.get_by_label("Aggiornamenti ogni (giorni)").fill("365")
    await form.get_by_role("button", name="Salva le impostazioni").click()
    await expect(page.locator("#settings-check_in_cadence_days-error")).to_have_text(
        "Un numero intero di giorni, da 1 a 90."
    )
    await expect(form.get_by_label("Aggiornamenti ogni (giorni)")).to_have_value("365")
    assert await portal.system.store.head(client.id) == head

    await page.goto(f"/t/{client.id}/history")
    await expect(page.locator(".timeline")).to_contain_text(
        "cadenza degli aggiornamenti 7 → 14 giorni"
    )
    await expect(page.locator(".timeline")).to_contain_text(
        "fuso orario Europe/Rome → Europe/Lisbon"
    )
    await expect(page.locator(".timeline")).to_contain_text("nuovo socio, aggiornamenti ogni due")


async def test_a_zone_changed_in_the_portal_is_the_api_s_at_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """The API keeps a company's zone and cadence for a minute, and forgets them when its
    PATCH changes them: a change saved on the settings page is the API's at once too (its
    today, the days of its as_of, since and until), where for a minute it kept cutting the
    company's days in the zone of before."""
    client, admin, _, _ = await a_company_of_its_own(portal.system)
    zone = a_zone_of_another_day_than("Europe/Rome")
    async with httpx.AsyncClient(base_url=portal.base_url) as api:
        signed = await api.post(
            "/api/v1/auth/token", json={"email": admin.email, "password": d.PASSWORD}
        )
        auth = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        progress = f"/api/v1/tenants/{client.id}/progress"
        assert (await api.get(progress, headers=auth)).status_code == 200  # (kept now)
        page = await open_page()
        await sign_in(page, admin)
        await page.goto(f"/t/{client.id}/settings")
        await page.locator(".settings-form").get_by_label("Fuso orario").select_option(zone)
        await page.get_by_role("button", name="Salva le impostazioni").click()
        await expect(page.locator(".settings-done")).to_have_text("Impostazioni salvate.")
        days = {instants.today(ZoneInfo(zone)).isoformat()}
        tree = await api.get(progress, headers=auth)
        days.add(instants.today(ZoneInfo(zone)).isoformat())  # (its midnight passed meanwhile)
    assert tree.json()["today"] in days


def a_zone_of_another_day_than(zone: str) -> str:
    """A zone whose day is not `zone`'s now: the day begins 14 hours before UTC's in one,
    11 hours after it in the other."""
    theirs = instants.today(ZoneInfo(zone))
    ahead, behind = "Pacific/Kiritimati", "Pacific/Pago_Pago"
    return ahead if instants.today(ZoneInfo(ahead)) != theirs else behind


async def test_a_member_has_no_settings_page(open_page: Opener, portal: PortalServer) -> None:
    client, _, _, _ = await a_company_of_its_own(portal.system)
    member = await a_colleague(portal.system, client, "Nadia Fo", "client_member")
    page = await open_page()
    await sign_in(page, member)
    await page.goto(f"/t/{client.id}")
    await expect(page.get_by_role("link", name="Impostazioni")).to_have_count(0)
    token = await csrf(page)
    answer = await page.goto(f"/t/{client.id}/settings")
    assert answer is not None and answer.status == 403
    forged = await page.request.post(
        f"/t/{client.id}/settings",
        form={"name": "Preso", "colour": "#000000", "fiscal_year_start_month": "1",
              "check_in_cadence_days": "7", "locale": "it", "time_zone": "UTC", **token},
    )  # fmt: skip
    assert forged.status == 403
    assert (await get_tenant(portal.system.pool, client.id)).name == client.name


async def test_the_consultancy_suspends_a_client_and_reactivates_it(
    open_page: Opener, portal: PortalServer
) -> None:
    """Suspended, its admin is told so on every page of it; reactivated, they reach it again.
    Its own admin may neither (403, nothing recorded)."""
    consultancy, irene = await a_consultancy_of_its_own(portal.system)
    made = await create_tenant(portal.system.pool, consultancy, "Tessitura Bassi",
                               slug=f"tessitura-{uuid.uuid4().hex[:6]}")  # fmt: skip
    client = Client(made.id, made.name, made.slug, made.colour, consultancy)
    their_admin = await a_colleague(portal.system, client, "Ugo Gialli", "client_admin")

    theirs = await open_page()
    await sign_in(theirs, their_admin)
    forged = await theirs.request.post(
        f"/t/{client.id}/settings/suspend", form={"reason": "", **await csrf(theirs)}
    )
    assert forged.status == 403

    page = await open_page()
    await sign_in(page, irene)
    await page.goto(f"/t/{client.id}/settings")
    status = page.locator(".tenant-status")
    await status.get_by_label("Motivo (facoltativo)").fill("fatture non pagate")
    await status.get_by_role("button", name=f"Sospendi '{client.name}'").click()
    await expect(page.locator(".settings-done")).to_have_text(
        "Azienda sospesa: le sue persone e chiavi non vi accedono più."
    )
    answer = await theirs.goto(f"/t/{client.id}")
    assert answer is not None and answer.status == 403
    await expect(theirs.locator("main")).to_contain_text("L'accesso a 'Tessitura Bassi' è sospeso")

    await status.get_by_role("button", name=f"Riattiva '{client.name}'").click()
    await expect(page.locator(".settings-done")).to_have_text(
        "Azienda riattivata: le sue persone e chiavi vi accedono di nuovo."
    )
    answer = await theirs.goto(f"/t/{client.id}")
    assert answer is not None and answer.status == 200
    await page.goto(f"/t/{client.id}/history")
    await expect(page.locator(".timeline")).to_contain_text("fatture non pagate")
