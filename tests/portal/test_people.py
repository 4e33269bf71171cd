"""The people page holds to what the API enforces: every POST checks its CSRF token, another
company's ids are 404, every refusal is said in the reader's words beside its place."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Page, expect

from services.read import audit_entries
from tenants.api_keys import create_api_key
from tenants.memberships import list_members, remove_membership
from tenants.users import find_user_by_email
from tests.portal.conftest import Opener, PortalServer, csrf, shot, sign_in
from tests.portal.world import Client, a_colleague, a_company_of_its_own, projected


async def invite(page: Page, name: str, email: str) -> None:
    """Fill in the people page's invitation and send it."""
    await page.locator(".invite summary").click()
    form = page.locator(".invite form")
    await form.get_by_label("Nome").fill(name)
    await form.get_by_label("Email").fill(email)
    await form.get_by_role("button", name="Invita").click()


async def test_password_link_post_without_csrf_token_is_refused(
    open_page: Opener, portal: PortalServer
) -> None:
    """Every POST of the portal checks the CSRF token and the Origin (provide_form): a
    forged password-link POST from another site must be the 403 page, and make no link."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await invite(page, "Piero Verdi", f"piero-csrf-{client.slug}@x.it")
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    async with portal.system.pool.acquire() as conn:
        piero = await conn.fetchval(
            "SELECT id FROM users WHERE email = $1", f"piero-csrf-{client.slug}@x.it"
        )
    before = await portal.system.store.head(client.id)
    forged = await page.request.post(
        f"/t/{client.id}/people/{piero}/password-link",
        headers={"Origin": "https://evil.example"},
        form={},
    )
    made = await portal.system.store.head(client.id)
    assert forged.status == 403, (forged.status, (await forged.text())[:300])
    assert made == before, "a forged cross-site POST made a password link (logged)"


async def test_inviting_a_member_twice_says_change_their_role(
    open_page: Opener, portal: PortalServer
) -> None:
    """A person invited twice is told to change their role instead (it said the email was
    not valid: the field's words came before the rule's)."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    member = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await invite(page, "Marta Blu", member.email)
    await expect(page.locator("#invite-email-error")).to_have_text(
        "Questa persona ha già un ruolo qui: cambialo nella tabella."
    )


async def test_a_consultant_role_refused_is_said_in_italian(
    open_page: Opener, portal: PortalServer
) -> None:
    """The consultancy staffs its clients: a client admin's role lists do not offer
    'Consulente' (its admins' do). Given by hand to one who is not of the consultancy it is
    refused: the refusal must be in the reader's words, not the domain's English."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    marta = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await expect(row.get_by_label("Ruolo di Marta Blu").locator("option")).to_have_count(3)
    await expect(page.locator(".invite select option", has_text="Consulente")).to_have_count(0)
    refused = await page.request.post(
        f"/t/{client.id}/people/{marta.id}/role", form={**await csrf(page), "role": "consultant"}
    )
    assert refused.status == 422
    said = await refused.text()
    assert "consultant must belong" not in said
    assert "dalle persone della consulenza nel portafoglio" in said


async def test_a_removal_reason_with_a_pasted_bidi_mark_is_said_not_a_500(
    open_page: Opener, portal: PortalServer
) -> None:
    """A reason the log refuses (a bidi control pasted from elsewhere) must be said beside
    the field (422, the page), not be the 500 page; the person keeps their role."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await row.locator(".member-remove summary").click()
    await row.get_by_label("Motivo (facoltativo)").fill("ha lasciato \u202eazienda")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await row.get_by_role("button", name="Togli l'accesso a Marta Blu").click()
    status = (await answer.value).status
    assert status == 422, f"the removal answered {status}"


async def test_a_revocation_reason_with_a_zero_width_space_is_said_not_a_500(
    open_page: Opener, portal: PortalServer
) -> None:
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await page.locator(".new-key summary").click()
    await page.locator(".new-key form").get_by_label("Nome della chiave").fill("Gestionale")
    await page.locator(".new-key form").get_by_role("button", name="Crea la chiave").click()
    row = page.locator("table.keys tr").filter(has_text="Gestionale")
    await row.locator(".key-revoke summary").click()
    await row.get_by_label("Motivo (facoltativo)").fill("\u200b")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await row.get_by_role("button", name="Revoca «Gestionale»").click()
    status = (await answer.value).status
    assert status == 422, f"the revocation answered {status}"


async def reasons(portal: PortalServer, client: Client, after: int) -> list[tuple[Any, ...]]:
    """Whose access each access change of the company's log after `after` changed, to
    what, and why."""
    rows = await portal.system.store.read_log(client.id, after)
    return [
        (e.payload["subject_id"], e.payload["after"], e.payload["reason"])
        for e in await audit_entries(portal.system.repository, rows)
    ]


async def test_an_invitation_and_a_change_of_role_may_say_why(
    open_page: Opener, portal: PortalServer
) -> None:
    """The API took a reason for inviting a person and changing their role, the company's
    page did not (its removal did): both forms now take one, with a hint that says where it
    is kept and who reads it, and it is said in the company's history. A reason with
    nothing to read is refused beside its field, and nothing is added, changed or recorded,
    even where the same role again would record nothing."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    marta = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    before = await portal.system.store.head(client.id)

    email = f"piero-{client.slug}@x.it"
    form = page.locator(".invite form")
    await page.locator(".invite summary").click()
    await expect(form.get_by_label("Motivo (facoltativo)")).to_have_accessible_description(
        re.compile("Resta nello storico dell'azienda, dove lo legge chi può leggerne il registro")
    )
    await form.get_by_label("Nome").fill("Piero Verdi")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Motivo (facoltativo)").fill("\u200b")
    await form.get_by_role("button", name="Invita").click()
    await expect(page.locator("#invite-reason-error")).to_contain_text("nulla da leggere")
    assert await find_user_by_email(portal.system.pool, email) is None
    assert await portal.system.store.head(client.id) == before
    await form.get_by_label("Motivo (facoltativo)").fill("Nuovo in magazzino")
    await form.get_by_role("button", name="Invita").click()
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    piero = await find_user_by_email(portal.system.pool, email)
    assert piero is not None
    assert await reasons(portal, client, before) == [
        (str(piero.id), "client_member", "Nuovo in magazzino")
    ]

    before = await portal.system.store.head(client.id)
    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await row.get_by_label("Motivo del cambio per Marta Blu").fill("\u200b")  # the same role
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await row.get_by_role("button", name="Cambia").click()
    assert (await answer.value).status == 422
    await expect(page.locator(f"#member-{marta.id}-role-reason-error")).to_contain_text(
        "nulla da leggere"
    )
    await shot(page, "people-role-reason-refused")
    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await row.get_by_label("Ruolo di Marta Blu").select_option(label="Amministratore")
    await row.get_by_label("Motivo del cambio per Marta Blu").fill("\u200b")
    await row.get_by_role("button", name="Cambia").click()
    await expect(page.locator(f"#member-{marta.id}-role-reason-error")).to_contain_text(
        "nulla da leggere"
    )
    roles = {m.user_id: str(m.role) for m in await list_members(portal.system.pool, client.id)}
    assert roles[marta.id] == "client_member"
    assert await portal.system.store.head(client.id) == before
    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await row.get_by_label("Motivo del cambio per Marta Blu").fill("Guida il negozio")
    await row.get_by_role("button", name="Cambia").click()
    await expect(page.locator(".people-done")).to_have_text("Ruolo cambiato.")
    assert await reasons(portal, client, before) == [
        (str(marta.id), "client_admin", "Guida il negozio")
    ]

    await projected(portal.system, client.id)
    await page.goto(f"/t/{client.id}/history?kind=access")
    said = page.locator("ol.timeline li")
    await expect(said.nth(0)).to_contain_text("Marta Blu")
    await expect(said.nth(0)).to_contain_text("motivo: 'Guida il negozio'")
    await expect(said.nth(1)).to_contain_text("Piero Verdi")
    await expect(said.nth(1)).to_contain_text("motivo: 'Nuovo in magazzino'")


async def test_role_change_buttons_say_whose_role(open_page: Opener, portal: PortalServer) -> None:
    """Each row's submit says, to a screen reader, whom it acts on (as 'make link' and
    'remove' do): a list of identical 'Cambia' buttons does not."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    buttons = page.locator("form.member-role button")
    names = [await b.evaluate("b => b.textContent") for b in await buttons.all()]
    assert len(set(names)) == len(names), names


async def test_ids_of_another_tenant_are_404_and_change_nothing(
    open_page: Opener, portal: PortalServer
) -> None:
    """A user id or key id of another company in a POST is the 404 page, changing nothing."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    other, other_admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    victim = await a_colleague(portal.system, other, "Vittima", "client_member")
    key, _ = await app.access.create_key(ctx, "altrui", "client_member", None)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    token = await csrf(page)
    base = f"/t/{client.id}/people"
    for path, form in (
        (f"{base}/{victim.id}/role", {"role": "client_admin"}),
        (f"{base}/{victim.id}/remove", {"reason": "x"}),
        (f"{base}/{victim.id}/password-link", {}),
        (f"{base}/{other_admin.id}/role", {"role": "client_viewer"}),
        (f"{base}/keys/{key.key.id}/revoke", {}),
    ):
        answer = await page.request.post(path, form={**token, **form},
                                         max_redirects=0)  # fmt: skip
        assert answer.status == 404, (path, answer.status)
    from tenants import api_keys, memberships

    members = await memberships.list_members(portal.system.pool, other.id)
    keys = await api_keys.list_api_keys(portal.system.pool, other.id, include_revoked=True)
    assert {m.user_id: str(m.role) for m in members}[victim.id] == "client_member"
    assert [k.revoked_at for k in keys if k.id == key.key.id] == [None]


async def test_a_link_refused_as_beyond_is_said_in_the_reader_s_words(
    open_page: Opener, portal: PortalServer
) -> None:
    """An invited person (no password) who is also another company's: the link is refused
    (409, as the API's); the refusal must be in Italian on an Italian page."""
    from tenants.memberships import add_membership
    from tenants.users import create_user

    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    other, _, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    twice = await create_user(portal.system.pool, f"doppio-{client.slug}@x.it", "Dino Doppio")
    await add_membership(portal.system.pool, client.id, twice.id, "client_member")
    await add_membership(portal.system.pool, other.id, twice.id, "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    row = page.locator("table.people tr").filter(has_text="Dino Doppio")
    await row.get_by_role("button", name="Crea il link per la password").click()
    refused = page.locator(".people-refused")
    await expect(refused).to_have_count(1)
    assert "beyond what you manage" not in await refused.inner_text()


async def test_the_page_renders_for_every_role_that_may_see_it(
    open_page: Opener, portal: PortalServer
) -> None:
    """The page renders (StrictUndefined) for a platform admin, a consultancy admin and a
    client admin, in both languages; a consultant, member and viewer get the 403 page."""
    from services import demo_data as d

    for person, status in ((d.ADMIN, 200), (d.PAOLA, 200), (d.GIULIA, 200), (d.LUCA, 403),
                           (d.MARCO, 403), (d.SARA, 403)):  # fmt: skip
        for locale in ("it-IT", "en-GB"):
            page = await open_page(locale=locale)
            await sign_in(page, person)
            answer = await page.goto(f"/t/{d.TENANT_ID}/people")
            assert answer is not None and answer.status == status, (person.email, locale)


async def test_a_name_with_nothing_to_read_is_said_in_the_reader_s_words(
    open_page: Opener, portal: PortalServer
) -> None:
    """A name of only a zero-width space: refused (nothing to read); said in Italian."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await invite(page, "\u200b", f"vuoto-{client.slug}@x.it")
    error = page.locator("#invite-name-error")
    await expect(error).to_have_count(1)
    assert "has nothing to read" not in await error.inner_text()


async def test_a_reload_after_a_key_or_a_link_was_shown_makes_none_again(
    open_page: Opener, portal: PortalServer
) -> None:
    """A key or a password link is shown once, on the page the form's redirect lands on: a
    reload shows it no more and makes nothing (answered on the POST itself, a reload sent the
    form again: a second key, and a new link that killed the one on screen). Giving a
    person the role they have says that nothing changed; a reason with nothing to read is
    said so beside its field."""
    from tenants import api_keys

    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await page.locator(".new-key summary").click()
    await page.locator(".new-key form").get_by_label("Nome della chiave").fill("Gestionale")
    await page.locator(".new-key form").get_by_role("button", name="Crea la chiave").click()
    secret = await page.locator(".shown-once input").input_value()
    assert secret.startswith("okr_")
    await page.reload()
    await expect(page.locator(".shown-once")).to_have_count(0)
    keys = await api_keys.list_api_keys(portal.system.pool, client.id, include_revoked=True)
    assert [k.name for k in keys].count("Gestionale") == 1

    await invite(page, "Piero Verdi", f"piero-once-{client.slug}@x.it")
    row = page.locator("table.people tr").filter(has_text="Piero Verdi")
    await row.get_by_role("button", name="Crea il link per la password").click()
    link = await page.locator(".shown-once input").input_value()
    head = await portal.system.store.head(client.id)
    await page.reload()
    await expect(page.locator(".shown-once")).to_have_count(0)
    assert await portal.system.store.head(client.id) == head  # no new link made
    other = await open_page()
    await other.goto(link)
    await expect(other.locator("form")).to_contain_text("Password")  # the link still works

    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await row.get_by_role("button", name="Cambia").click()  # the role she has
    await expect(page.locator(".people-done")).to_have_text(
        "Aveva già quel ruolo: non è cambiato nulla."
    )
    row = page.locator("table.people tr").filter(has_text="Marta Blu")
    await row.locator(".member-remove summary").click()
    await row.get_by_label("Motivo (facoltativo)").fill("\u200b")
    await row.get_by_role("button", name="Togli l'accesso a Marta Blu").click()
    await expect(page.locator("[id$='-reason-error']")).to_contain_text("nulla da leggere")


async def test_a_client_admin_manages_the_company_s_people_and_api_keys(
    open_page: Opener, portal: PortalServer
) -> None:
    """People and keys took the API. On "Persone e chiavi", a client admin invites a person
    with a role, makes the link with which they choose a password, changes their role,
    removes them; makes an API key, shown once, and revokes it. An email of no shape and
    the company's last admin stepping down are refused, changing nothing; a member has no
    such page."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    member = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}")
    await page.get_by_role("link", name="Persone e chiavi").click()
    await expect(page.locator("h1")).to_have_text("Persone e chiavi API")

    await invite(page, "Piero Verdi", "piero@")
    await expect(page.locator("#invite-email-error")).to_have_text(
        "Scrivi un indirizzo email valido."
    )
    await expect(page.locator("table.people tbody tr")).to_have_count(2)  # nothing added
    await page.locator(".invite form").get_by_label("Email").fill(f"piero-{client.slug}@x.it")
    await page.locator(".invite form").get_by_label("Ruolo").select_option(label="Lettore")
    await page.locator(".invite form").get_by_role("button", name="Invita").click()
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    row = page.locator("table.people tr").filter(has_text="Piero Verdi")
    await expect(row).to_contain_text("Non ha ancora una password.")
    await row.get_by_role("button", name="Crea il link per la password").click()
    link = await page.locator(".shown-once input").input_value()
    assert "/welcome?token=" in link

    row = page.locator("table.people tr").filter(has_text="Piero Verdi")
    await row.get_by_label("Ruolo di Piero Verdi").select_option(label="Membro")
    await row.get_by_role("button", name="Cambia").click()
    await expect(page.locator(".people-done")).to_have_text("Ruolo cambiato.")
    row = page.locator("table.people tr").filter(has_text="Piero Verdi")
    await expect(row.get_by_label("Ruolo di Piero Verdi")).to_have_value("client_member")
    await row.locator(".member-remove summary").click()
    await row.get_by_role("button", name="Togli l'accesso a Piero Verdi").click()
    await expect(page.locator(".people-done")).to_have_text("Accesso tolto.")
    await expect(page.locator("table.people tr").filter(has_text="Piero Verdi")).to_have_count(0)

    me = page.locator("table.people tr").filter(has_text=admin.name)  # not offered: said
    await expect(me.locator(".last-admin")).to_contain_text("Sei l'ultimo amministratore")
    stepped_down = await page.request.post(  # (a hand-made one is refused all the same)
        f"/t/{client.id}/people/{admin.id}/role", form={**await csrf(page), "role": "client_member"}
    )
    assert stepped_down.status == 422 and "ultimo amministratore" in await stepped_down.text()
    await page.goto(f"/t/{client.id}/people")
    me = page.locator("table.people tr").filter(has_text=admin.name)
    await expect(me).to_contain_text("Amministratore")

    await page.locator(".new-key summary").click()
    await page.locator(".new-key form").get_by_label("Nome della chiave").fill("Gestionale")
    await page.locator(".new-key form").get_by_role("button", name="Crea la chiave").click()
    secret = await page.locator(".shown-once input").input_value()
    assert len(secret) > 20
    row = page.locator("table.keys tr").filter(has_text="Gestionale")
    await row.locator(".key-revoke summary").click()
    await row.get_by_role("button", name="Revoca «Gestionale»").click()
    await expect(page.locator(".people-done")).to_have_text("Chiave revocata.")
    await expect(page.locator("table.keys tr.revoked")).to_contain_text("Gestionale")

    other = await open_page()
    await sign_in(other, member)
    await other.goto(f"/t/{client.id}")
    await expect(other.get_by_role("link", name="Persone e chiavi")).to_have_count(0)
    answer = await other.goto(f"/t/{client.id}/people")
    assert answer is not None and answer.status == 403


async def test_an_invitation_says_every_field_at_fault_at_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """An email of no shape with a reason too long: only the reason was said (the command
    refused it first), and the email only once it was mended. Both are said at once,
    beside their fields, and no one is invited."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await page.locator(".invite summary").click()
    form = page.locator(".invite form")
    await form.get_by_label("Nome").fill("Marta Blu")
    await form.get_by_label("Email").fill("marta.blu")
    reason = form.get_by_label("Motivo (facoltativo)")
    await reason.fill("x" * 1001)
    await form.get_by_role("button", name="Invita").click()
    await expect(page.locator("#invite-email-error")).to_have_text(
        "Scrivi un indirizzo email valido."
    )
    await expect(page.locator("#invite-reason-error")).to_have_text(
        "Il testo è troppo lungo: al massimo 1000 caratteri."
    )
    assert len(await list_members(portal.system.pool, client.id)) == 1


async def test_the_last_admin_is_not_offered_to_step_down_and_another_is(
    open_page: Opener, portal: PortalServer
) -> None:
    """The company's last admin who can sign in was offered to change their own role and to
    remove their own access, and each was refused ("È l'ultimo amministratore"). Their row
    says why instead of the forms; once another admin can sign in, both are offered."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page(locale="en-GB")
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    await expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser's
    me = page.locator("table.people tr").filter(has_text=admin.name)
    await expect(me.locator(".last-admin")).to_have_text(
        "You are the company's last admin: to change your role or give up your access,"
        " first make another person admin (one who has chosen a password)."
    )
    await expect(me.get_by_label(f"Role of {admin.name}")).to_have_count(0)
    await expect(me.locator(".member-remove")).to_have_count(0)

    await a_colleague(portal.system, client, "Marta Blu", "client_admin")
    await page.goto(f"/t/{client.id}/people")
    me = page.locator("table.people tr").filter(has_text=admin.name)
    await expect(me.get_by_label(f"Role of {admin.name}")).to_have_value("client_admin")
    await expect(me.locator(".member-remove")).to_have_count(1)
    await expect(page.locator(".last-admin")).to_have_count(0)


async def test_a_person_just_invited_may_own_at_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """An admin invites a person, then goes to plan with them: the forms' owner lists, read
    from names kept a minute, left them out for up to that minute (and a key result given
    to them was refused). A change of the company's people now takes effect at once."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}")  # the names of its people, kept
    await page.goto(f"/t/{client.id}/people")
    await invite(page, "Nora Neri", f"nora-{client.slug}@x.it")
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    await page.goto(f"/t/{client.id}")
    owners = page.locator(".plan-kpi select[name=owner] option")
    await expect(owners.filter(has_text="Nora Neri")).to_have_count(1)


async def test_a_key_whose_maker_left_says_so_until_revoked(
    open_page: Opener, portal: PortalServer
) -> None:
    """A key is the company's: it keeps working when the admin who made it is removed, but
    the keys' table says who made each, and of one whose maker no longer manages the
    company's keys (they saw its secret) that it should be revoked and made again; revoked,
    it says so no more."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    gone = await a_colleague(portal.system, client, "Marta Blu", "client_admin")
    pool = portal.system.pool
    await create_api_key(pool, client.id, "Gestionale", created_by=gone.id)
    await create_api_key(pool, client.id, "CRM", created_by=admin.id)
    await remove_membership(pool, client.id, gone.id)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    theirs = page.locator("table.keys tr").filter(has_text="Gestionale")
    await expect(theirs.locator(".key-maker")).to_have_text(
        "Marta Blu (non gestisce più le chiavi dell'azienda e ne ha visto il segreto:"
        " revocala e creane un'altra)"
    )
    ours = page.locator("table.keys tr").filter(has_text="CRM")
    await expect(ours.locator(".key-maker")).to_have_text(admin.name)
    await shot(page, "people-key-maker-gone")
    await theirs.locator(".key-revoke summary").click()
    await theirs.get_by_role("button", name="Revoca «Gestionale»").click()
    await expect(page.locator(".people-done")).to_have_text("Chiave revocata.")
    revoked = page.locator("table.keys tr.revoked")
    await expect(revoked.locator(".key-maker")).to_have_text("Marta Blu")


async def test_a_client_admin_is_not_offered_to_change_the_consultancy_s_people(
    open_page: Opener, portal: PortalServer
) -> None:
    """The consultancy's consultant is its admins' to manage: a client admin sees their
    role and why it is not theirs to change, with no form; a hand-made POST is refused
    in the reader's words and changes nothing. The company's own people keep their forms."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    consultant = await a_colleague(portal.system, client, "Carla Rizzi", "consultant")
    await a_colleague(portal.system, client, "Marta Blu", "client_member")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}/people")
    carla = page.locator("table.people tr").filter(has_text="Carla Rizzi")
    await expect(carla.locator(".consultancy-kept")).to_contain_text("società di consulenza")
    await expect(carla.locator("form")).to_have_count(0)
    marta = page.locator("table.people tr").filter(has_text="Marta Blu")
    await expect(marta.locator("form.member-role")).to_have_count(1)

    token = await csrf(page)
    base = f"/t/{client.id}/people/{consultant.id}"
    for path, form in ((f"{base}/role", {"role": "client_viewer"}), (f"{base}/remove", {})):
        refused = await page.request.post(path, form={**token, **form})
        assert refused.status == 422, (path, refused.status)
        assert "ne cambiano il ruolo, o lo tolgono, i suoi amministratori" in await refused.text()
    roles = {m.user_id: m.role for m in await list_members(portal.system.pool, client.id)}
    assert roles[consultant.id] == "consultant"
