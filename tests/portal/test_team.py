"""The consultancy's own people in the portal: its admin invites a consultant or an admin,
makes their password link, changes their role, removes them; each change is recorded in the
log of every client whose reach by the person it changes, as the API's are.

Each test has a consultancy of its own (the portfolios other tests count stay as they are).
Every refusal is said beside its field and records nothing; a consultant or a client's
person gets the 403 page, anyone else the 404 page, as for a consultancy that does not exist.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from uuid import UUID

from playwright.async_api import Locator, Page, expect

from services import demo_data as d
from services.read import audit_entries
from tenants.memberships import add_consultancy_member, add_membership, list_consultancy_people
from tenants.users import create_user, find_user_by_email
from tests.conftest import consultancy_roles_failing
from tests.portal.conftest import Opener, PortalServer, csrf, shot, sign_in
from tests.portal.world import Client, a_client_of, a_consultancy_of_its_own, projected

NEW_PASSWORD = "una frase abbastanza lunga"


async def a_person(portal: PortalServer, name: str) -> d.Person:
    """An account that signs in with the demo password, of nothing yet."""
    person = d.Person(f"{uuid.uuid4().hex[:8]}@consulenze.example", name, "")
    await create_user(portal.system.pool, person.email, person.name, password=d.PASSWORD,
                      user_id=person.id)  # fmt: skip
    return person


async def a_consultant(
    portal: PortalServer, consultancy: UUID, name: str, *clients: Client
) -> d.Person:
    """A consultant of the consultancy who signs in, assigned to `clients`."""
    person = await a_person(portal, name)
    await add_consultancy_member(portal.system.pool, consultancy, person.id, "consultant")
    for client in clients:
        await add_membership(portal.system.pool, client.id, person.id, "consultant")
    return person


async def heads(portal: PortalServer, *clients: Client) -> list[int]:
    return [await portal.system.store.head(c.id) for c in clients]


async def access_changes(portal: PortalServer, client: Client, after: int) -> list[tuple[Any, ...]]:
    """What each access change of the client's log after `after` was about: its subject,
    whom, the role before and after, and who changed it."""
    rows = await portal.system.store.read_log(client.id, after)
    return [
        (e.payload["subject"], e.payload["subject_id"], e.payload["before"], e.payload["after"],
         e.actor)
        for e in await audit_entries(portal.system.repository, rows)
    ]  # fmt: skip


async def roles_in(portal: PortalServer, consultancy: UUID) -> dict[str, str]:
    """By email, each member's role in the consultancy."""
    people = await list_consultancy_people(portal.system.pool, consultancy)
    return {p.email: str(p.role) for p in people}


def row_of(page: Page, name: str) -> Locator:
    return page.locator("table.team tbody tr").filter(has_text=name)


async def invite(page: Page, name: str, email: str, role: str | None = None) -> None:
    """Fill in the page's invitation (a company's or the consultancy's) and send it."""
    form = page.locator(".invite form")
    if not await form.is_visible():
        await page.locator(".invite summary").click()
    await form.get_by_label("Nome").fill(name)
    await form.get_by_label("Email").fill(email)
    if role is not None:
        await form.get_by_label("Ruolo").select_option(label=role)
    await form.get_by_role("button", name="Invita").click()


async def test_an_invited_consultant_chooses_a_password_and_sees_the_clients_assigned(
    open_page: Opener, portal: PortalServer
) -> None:
    """The portal had no page for the consultancy's own people: a client's admin could give
    the role consultant only to one its consultancy's admin had added through the API. From
    the portfolio, the admin invites a consultant (an email of no shape said beside it, no
    one added), assigns them to a client on its people page, makes their password link,
    shown once; with it they choose a password, sign in, and see that client only. A new
    consultant reaches nothing, so nothing is in any log until they are assigned; the link
    is then recorded in that client's log, as the API records it."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    ferramenta = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    vetreria = await a_client_of(portal.system, consultancy, "Vetreria Blu")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto("/portfolio")
    await page.get_by_role("link", name=re.compile("^Le persone di Consulenze")).click()
    await expect(page.locator("h1")).to_have_text(re.compile("^Le persone di Consulenze"))
    assert page.url.endswith(f"/consultancies/{consultancy}/people")
    await expect(row_of(page, admin.name)).to_contain_text("Tutti i clienti")

    email = f"piero-{consultancy.hex[:8]}@consulenze.example"
    await invite(page, "Piero Verdi", "piero@", "Consulente")
    await expect(page.locator("#invite-email-error")).to_have_text(
        "Scrivi un indirizzo email valido."
    )
    await expect(page.locator("table.team tbody tr")).to_have_count(1)  # nothing added
    await page.locator(".invite form").get_by_label("Email").fill(email)
    await page.locator(".invite form").get_by_role("button", name="Invita").click()
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    piero = row_of(page, "Piero Verdi")
    await expect(piero).to_contain_text("Non ha ancora una password.")
    await expect(piero).to_contain_text("Nessuno, per ora.")
    assert await heads(portal, ferramenta, vetreria) == [0, 0]  # he reaches no client yet
    assert (await roles_in(portal, consultancy))[email] == "consultant"

    await page.goto(f"/t/{ferramenta.id}/people")  # assigned where a client's people are
    await invite(page, "Piero Verdi", email, "Consulente")
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    await page.goto(f"/consultancies/{consultancy}/people")
    clients = row_of(page, "Piero Verdi").locator(".team-clients a")
    await expect(clients).to_have_text(["Ferramenta Rossa"])
    assert await clients.get_attribute("href") == f"/t/{ferramenta.id}/people"

    before = await heads(portal, ferramenta, vetreria)
    await (
        row_of(page, "Piero Verdi")
        .get_by_role("button", name="Crea il link per la password")
        .click()
    )
    link = await page.locator(".shown-once input").input_value()
    assert "/welcome?token=" in link
    await shot(page, "team-link-shown")
    piero_id = str(
        next(p.user_id for p in await list_consultancy_people(portal.system.pool, consultancy)
             if p.email == email)
    )  # fmt: skip
    assert await access_changes(portal, ferramenta, before[0]) == [
        ("password_link", piero_id, None, "made", admin.actor)
    ]
    assert await heads(portal, vetreria) == [before[1]]
    await page.reload()  # shown once: a reload makes no other link
    await expect(page.locator(".shown-once")).to_have_count(0)
    await expect(page.locator(".people-done")).to_contain_text("mostrato una volta sola")
    assert await heads(portal, ferramenta) == [before[0] + 1]

    welcome = await open_page()
    await welcome.goto(link)
    await welcome.get_by_label("Password (almeno 12 caratteri)").fill(NEW_PASSWORD)
    await welcome.get_by_label("Ripeti la password").fill(NEW_PASSWORD)
    await welcome.get_by_role("button", name="Salva ed entra").click()
    await expect(welcome.locator("header .who")).to_have_text("Piero Verdi")
    await welcome.get_by_role("button", name="Esci").click()
    await welcome.goto("/sign-in")
    await welcome.get_by_label("Email").fill(email)
    await welcome.get_by_label("Password").fill(NEW_PASSWORD)
    await welcome.get_by_role("button", name="Accedi").click()
    await welcome.goto("/portfolio")
    await expect(welcome.locator("table.portfolio tbody tr")).to_have_count(1)
    await expect(welcome.locator(f"tr[data-tenant='{ferramenta.id}'] th a")).to_have_text(
        "Ferramenta Rossa"
    )
    await expect(welcome.locator(".team-link")).to_have_count(0)  # not an admin's
    await page.goto(f"/consultancies/{consultancy}/people")
    await expect(row_of(page, "Piero Verdi")).to_contain_text("Può accedere.")


async def test_a_consultant_s_clients_are_every_client_they_reach_with_their_role_there(
    open_page: Opener, portal: PortalServer
) -> None:
    """A consultant who is also a client's admin reaches that client, but the clients column
    listed only assignments as consultant, and said "None yet" of one who was a client's
    admin and assigned nowhere. It lists every client of the consultancy the person holds a
    role in, with that role, in the reader's language; none of another consultancy's, and
    an admin still reaches every client."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    ferramenta = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    vetreria = await a_client_of(portal.system, consultancy, "Vetreria Blu")
    await a_client_of(portal.system, consultancy, "Zincheria Gialla")  # reached by neither
    elsewhere, _ = await a_consultancy_of_its_own(portal.system)
    other = await a_client_of(portal.system, elsewhere, "Altrove Srl")
    carla = await a_consultant(portal, consultancy, "Carla Neri", ferramenta)
    await add_membership(portal.system.pool, vetreria.id, carla.id, "client_admin")
    dario = await a_consultant(portal, consultancy, "Dario Sala")
    await add_membership(portal.system.pool, vetreria.id, dario.id, "client_viewer")
    await add_membership(portal.system.pool, other.id, dario.id, "client_member")

    for locale, consultant, client_admin, viewer, every in (
        ("it-IT", "Consulente", "Amministratore", "Lettore", "Tutti i clienti"),
        ("en-GB", "Consultant", "Admin", "Viewer", "Every client"),
    ):
        page = await open_page(locale=locale)
        await sign_in(page, admin)
        await page.goto(f"/consultancies/{consultancy}/people")
        carla_s = row_of(page, "Carla Neri").locator(".team-clients li")
        await expect(carla_s).to_have_text(
            [f"Ferramenta Rossa ({consultant})", f"Vetreria Blu ({client_admin})"]
        )
        await expect(row_of(page, "Carla Neri").locator(".team-clients a")).to_have_text(
            ["Ferramenta Rossa", "Vetreria Blu"]
        )
        await expect(row_of(page, "Dario Sala").locator(".team-clients li")).to_have_text(
            [f"Vetreria Blu ({viewer})"]
        )
        await expect(row_of(page, admin.name).locator(".team-clients")).to_have_text(every)


async def test_a_role_changed_and_a_member_removed_are_in_each_client_s_log(
    open_page: Opener, portal: PortalServer
) -> None:
    """A consultant made admin reaches every client: each client's log records it, from
    what to what, by whom; the same role again records nothing and says so; removed, the
    person reaches none of them (each log records it, with the reason given, which a client's
    history says: a reason with nothing to read is refused beside its field, changing
    nothing), and their assignment grants nothing."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    ferramenta = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    vetreria = await a_client_of(portal.system, consultancy, "Vetreria Blu")
    carla = await a_consultant(portal, consultancy, "Carla Neri", ferramenta)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    await expect(row_of(page, "Carla Neri").locator(".team-clients a")).to_have_text(
        ["Ferramenta Rossa"]
    )

    before = await heads(portal, ferramenta, vetreria)
    row = row_of(page, "Carla Neri")
    await row.get_by_label("Ruolo di Carla Neri").select_option(
        label="Amministratore della consulenza"
    )
    await row.get_by_role("button", name="Cambia").click()
    await expect(page.locator(".people-done")).to_have_text("Ruolo cambiato.")
    await expect(row_of(page, "Carla Neri")).to_contain_text("Tutti i clienti")
    who = str(carla.id)
    assert await access_changes(portal, ferramenta, before[0]) == [
        ("member", who, "consultant", "consultancy_admin", admin.actor)
    ]
    assert await access_changes(portal, vetreria, before[1]) == [
        ("member", who, None, "consultancy_admin", admin.actor)
    ]

    before = await heads(portal, ferramenta, vetreria)
    await row_of(page, "Carla Neri").get_by_role("button", name="Cambia").click()  # the same
    await expect(page.locator(".people-done")).to_have_text(
        "Aveva già quel ruolo: non è cambiato nulla."
    )
    assert await heads(portal, ferramenta, vetreria) == before

    row = row_of(page, "Carla Neri")
    await row.locator(".member-remove summary").click()
    await row.get_by_label("Motivo (facoltativo)").fill("\u200b")  # nothing to read: refused
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await row.get_by_role("button", name="Togli Carla Neri dalla consulenza").click()
    assert (await answer.value).status == 422
    await expect(page.locator(f"#member-{carla.id}-reason-error")).to_contain_text(
        "nulla da leggere"
    )
    assert await heads(portal, ferramenta, vetreria) == before
    row = row_of(page, "Carla Neri")
    await row.get_by_label("Motivo (facoltativo)").fill("Passa a un altro studio")
    await row.get_by_role("button", name="Togli Carla Neri dalla consulenza").click()
    await expect(page.locator(".people-done")).to_have_text("Accesso tolto.")
    await expect(row_of(page, "Carla Neri")).to_have_count(0)
    assert await access_changes(portal, ferramenta, before[0]) == [
        ("member", who, "consultancy_admin", None, admin.actor)
    ]
    assert await access_changes(portal, vetreria, before[1]) == [
        ("member", who, "consultancy_admin", None, admin.actor)
    ]
    await projected(portal.system, ferramenta.id)
    await page.goto(f"/t/{ferramenta.id}/history?kind=access")
    await expect(page.locator("ol.timeline li").first).to_contain_text("accesso tolto a Carla Neri")
    await expect(page.locator("ol.timeline li").first).to_contain_text(
        "motivo: 'Passa a un altro studio'"
    )
    assert carla.email not in await roles_in(portal, consultancy)
    gone = await open_page()
    await sign_in(gone, carla)
    shown = await gone.goto(f"/t/{ferramenta.id}")
    assert shown is not None and shown.status == 404  # her assignment grants nothing


async def reasons(portal: PortalServer, client: Client, after: int) -> list[tuple[Any, ...]]:
    """Whose access each access change of the client's log after `after` changed, to
    what, and why."""
    rows = await portal.system.store.read_log(client.id, after)
    return [
        (e.payload["subject_id"], e.payload["after"], e.payload["reason"])
        for e in await audit_entries(portal.system.repository, rows)
    ]


async def test_an_invitation_and_a_change_of_role_may_say_why(
    open_page: Opener, portal: PortalServer
) -> None:
    """Inviting a person to the consultancy and changing their role took no reason, where
    removing them did: both forms now take one, kept in the log of each client whose reach
    the change changes and said in its history; a reason with nothing to read is refused
    beside its field, and nothing is added, changed or recorded."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    ferramenta = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    carla = await a_consultant(portal, consultancy, "Carla Neri", ferramenta)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    before = await heads(portal, ferramenta)

    email = f"nora-{consultancy.hex[:8]}@consulenze.example"
    form = page.locator(".invite form")
    await page.locator(".invite summary").click()
    await form.get_by_label("Nome").fill("Nora Blu")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Ruolo").select_option(label="Amministratore della consulenza")
    await form.get_by_label("Motivo (facoltativo)").fill("\u200b")
    await form.get_by_role("button", name="Invita").click()
    await expect(page.locator("#invite-reason-error")).to_contain_text("nulla da leggere")
    assert await find_user_by_email(portal.system.pool, email) is None
    await form.get_by_label("Motivo (facoltativo)").fill("Nuova socia")
    await form.get_by_role("button", name="Invita").click()
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    nora = await find_user_by_email(portal.system.pool, email)
    assert nora is not None
    assert await reasons(portal, ferramenta, before[0]) == [
        (str(nora.id), "consultancy_admin", "Nuova socia")
    ]

    before = await heads(portal, ferramenta)
    row = row_of(page, "Carla Neri")
    await row.get_by_label("Ruolo di Carla Neri").select_option(
        label="Amministratore della consulenza"
    )
    await row.get_by_label("Motivo del cambio per Carla Neri").fill("\u200b")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await row.get_by_role("button", name="Cambia").click()
    assert (await answer.value).status == 422
    await expect(page.locator(f"#member-{carla.id}-role-reason-error")).to_contain_text(
        "nulla da leggere"
    )
    await shot(page, "team-role-reason-refused")
    assert (await roles_in(portal, consultancy))[carla.email] == "consultant"
    assert await heads(portal, ferramenta) == before
    row = row_of(page, "Carla Neri")
    await row.get_by_label("Motivo del cambio per Carla Neri").fill("Guida lo studio di Milano")
    await row.get_by_role("button", name="Cambia").click()
    await expect(page.locator(".people-done")).to_have_text("Ruolo cambiato.")
    assert await reasons(portal, ferramenta, before[0]) == [
        (str(carla.id), "consultancy_admin", "Guida lo studio di Milano")
    ]

    await projected(portal.system, ferramenta.id)
    await page.goto(f"/t/{ferramenta.id}/history?kind=access")
    said = page.locator("ol.timeline li")
    await expect(said.nth(0)).to_contain_text("motivo: 'Guida lo studio di Milano'")
    await expect(said.nth(1)).to_contain_text("Nora Blu")
    await expect(said.nth(1)).to_contain_text("motivo: 'Nuova socia'")


async def test_refusals_are_said_beside_their_field_and_change_nothing(
    open_page: Opener, portal: PortalServer
) -> None:
    """A person of the consultancy already, a name with nothing to read, and the last admin
    stepping down or leaving (not offered: said on their row; hand-made): each refused in
    the reader's words, nothing recorded."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    ferramenta = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    carla = await a_consultant(portal, consultancy, "Carla Neri", ferramenta)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    before = await heads(portal, ferramenta)
    roles = await roles_in(portal, consultancy)

    await invite(page, "Carla Neri", carla.email, "Amministratore della consulenza")
    await expect(page.locator("#invite-email-error")).to_have_text(
        "Questa persona ha già un ruolo qui: cambialo nella tabella."
    )
    await invite(page, "\u200b", f"nuova-{consultancy.hex[:8]}@consulenze.example")
    await expect(page.locator("#invite-name-error")).to_have_count(1)
    assert "has nothing to read" not in await page.locator("#invite-name-error").inner_text()

    me = row_of(page, admin.name)  # the last admin: not offered to step down or leave
    await expect(me.locator(".last-admin")).to_contain_text("È l'ultimo amministratore")
    await expect(me.get_by_label(f"Ruolo di {admin.name}")).to_have_count(0)
    await expect(me.locator(".member-remove")).to_have_count(0)
    token = await csrf(page)  # hand-made, each is refused all the same
    base = f"/consultancies/{consultancy}/people/{admin.id}"
    stepped = await page.request.post(f"{base}/role", form={**token, "role": "consultant"})
    assert stepped.status == 422
    assert (
        "ultimo amministratore della consulenza che può accedere: nomina prima un altro"
        " amministratore (chi è invitato deve aver scelto la password)."
    ) in await stepped.text()
    left = await page.request.post(f"{base}/remove", form=token)
    assert left.status == 422 and "ultimo amministratore" in await left.text()

    assert await roles_in(portal, consultancy) == roles
    assert await heads(portal, ferramenta) == before
    async with portal.system.pool.acquire() as conn:
        made = await conn.fetchval(
            "SELECT count(*) FROM users WHERE email = $1",
            f"nuova-{consultancy.hex[:8]}@consulenze.example",
        )
    assert made == 0


async def test_a_consultant_and_a_client_admin_get_the_403_page_and_change_nothing(
    open_page: Opener, portal: PortalServer
) -> None:
    """Only who manages the consultancy's people has the page: its consultant and a client's
    admin see no link to it, get the 403 page, and their hand-made POSTs (CSRF token and
    all) change nothing; a forged cross-site POST is refused too."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    ferramenta = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    carla = await a_consultant(portal, consultancy, "Carla Neri", ferramenta)
    gina = await a_person(portal, "Gina Bassi")
    await add_membership(portal.system.pool, ferramenta.id, gina.id, "client_admin")
    base = f"/consultancies/{consultancy}/people"
    before, roles = await heads(portal, ferramenta), await roles_in(portal, consultancy)
    for person in (carla, gina):
        page = await open_page()
        await sign_in(page, person)
        await page.goto("/portfolio")  # (a client's admin lands on their company's page)
        await expect(page.locator(".team-link")).to_have_count(0)
        token = await csrf(page)
        answer = await page.goto(base)
        assert answer is not None and answer.status == 403, person.email
        # (not "your role in this company": the page is the consultancy's)
        await expect(page.locator("main")).to_contain_text("Il tuo ruolo non permette")
        invited = {"name": "X", "email": f"x-{person.id.hex}@x.it", "role": "consultancy_admin"}
        for path, form in (
            (f"{base}/invite", invited),
            (f"{base}/{carla.id}/role", {"role": "consultancy_admin"}),
            (f"{base}/{admin.id}/remove", {}),
            (f"{base}/{admin.id}/password-link", {}),
        ):  # fmt: skip
            posted = await page.request.post(path, form={**token, **form}, max_redirects=0)
            assert posted.status == 403, (person.email, path, posted.status)

    page = await open_page()
    await sign_in(page, admin)
    await page.goto(base)
    forged = await page.request.post(
        f"{base}/invite", headers={"Origin": "https://evil.example"},
        form={**await csrf(page), "name": "X", "email": "x-forged@x.it", "role": "consultant"},
    )  # fmt: skip
    assert forged.status == 403
    assert await roles_in(portal, consultancy) == roles
    assert await heads(portal, ferramenta) == before


async def test_another_consultancy_s_page_is_404_as_one_that_does_not_exist(
    open_page: Opener, portal: PortalServer
) -> None:
    """A consultancy one is not in answers the 404 page, as an id no consultancy has: no
    existence oracle; its people's ids in a POST to one's own page are 404 too, changing
    nothing. A platform admin has every consultancy's page, in either language."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    other, other_admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    for path in (f"/consultancies/{other}/people", f"/consultancies/{uuid.uuid4()}/people",
                 "/consultancies/not-an-id/people"):  # fmt: skip
        answer = await page.goto(path)
        assert answer is not None and answer.status == 404, path
    await page.goto(f"/consultancies/{consultancy}/people")
    token = await csrf(page)
    theirs = await roles_in(portal, other)
    invited = {"name": "X", "email": "x-404@x.it", "role": "consultant"}
    for path, form in (
        (f"/consultancies/{other}/people/invite", invited),
        (f"/consultancies/{consultancy}/people/{other_admin.id}/role", {"role": "consultant"}),
        (f"/consultancies/{consultancy}/people/{other_admin.id}/remove", {}),
        (f"/consultancies/{consultancy}/people/{other_admin.id}/password-link", {}),
    ):  # fmt: skip
        posted = await page.request.post(path, form={**token, **form}, max_redirects=0)
        assert posted.status == 404, (path, posted.status)
    assert await roles_in(portal, other) == theirs

    for locale in ("it-IT", "en-GB"):
        platform = await open_page(locale=locale)
        await sign_in(platform, d.ADMIN)
        answer = await platform.goto(f"/consultancies/{other}/people")
        assert answer is not None and answer.status == 200, locale
    await expect(platform.locator("h1")).to_have_text(re.compile("'s people$"))


async def test_an_admin_who_steps_down_lands_home_not_on_a_403(
    open_page: Opener, portal: PortalServer
) -> None:
    """With another admin who can sign in, an admin may become a consultant: the page is
    theirs no more, so they land on their home, not on the 403 page; the other admin sees
    the change."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    bruno = await a_person(portal, "Bruno Galli")
    await add_consultancy_member(portal.system.pool, consultancy, bruno.id, "consultancy_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    me = row_of(page, admin.name)
    await me.get_by_label(f"Ruolo di {admin.name}").select_option(label="Consulente")
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await me.get_by_role("button", name="Cambia").click()
    assert (await answer.value).status == 303
    await expect(page.locator("h1")).to_have_text("Portafoglio clienti")
    assert (await roles_in(portal, consultancy))[admin.email] == "consultant"


async def test_an_invitation_that_fails_leaves_no_account_behind(
    open_page: Opener, portal: PortalServer
) -> None:
    """The invited person's account was made and kept before their role was given: a
    failure in between (forced here by a trigger) left an account with no role. Made in one
    transaction, it goes with the role: the error page, and nothing left; sent again once
    the failure is gone, the invitation makes both."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    email = f"doomed-{consultancy.hex[:8]}@consulenze.example"
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    async with consultancy_roles_failing(portal.system.admin_dsn, "doomed-"):
        async with page.expect_response(lambda r: r.request.method == "POST") as answer:
            await invite(page, "Dora Persa", email, "Consulente")
        assert (await answer.value).status == 500
    assert await find_user_by_email(portal.system.pool, email) is None
    assert email not in await roles_in(portal, consultancy)

    await page.goto(f"/consultancies/{consultancy}/people")
    await invite(page, "Dora Persa", email, "Consulente")
    await expect(page.locator(".people-done")).to_have_text("Persona invitata.")
    assert (await roles_in(portal, consultancy))[email] == "consultant"


async def test_the_last_admin_is_not_offered_to_step_down_and_another_is(
    open_page: Opener, portal: PortalServer
) -> None:
    """The consultancy's last admin who can sign in was offered "Consulente" and "Togli …
    dalla consulenza" on their row, each then refused. Their row says why instead; once
    another admin can sign in, both are offered on both rows."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/consultancies/{consultancy}/people")
    me = row_of(page, admin.name)
    await expect(me.locator(".last-admin")).to_have_text(
        "È l'ultimo amministratore della consulenza che può accedere: per cambiarne il ruolo"
        " o toglierlo, nomina prima amministratore un'altra persona (con la sua password)."
    )
    await expect(me.locator(".member-remove")).to_have_count(0)

    other = d.Person(f"bis-{consultancy.hex[:8]}@consulenze.example", "Ugo Bis", "")
    await create_user(portal.system.pool, other.email, other.name, password=d.PASSWORD,
                      user_id=other.id)  # fmt: skip
    await add_consultancy_member(portal.system.pool, consultancy, other.id, "consultancy_admin")
    await page.goto(f"/consultancies/{consultancy}/people")
    await expect(page.locator(".last-admin")).to_have_count(0)
    for name in (admin.name, other.name):
        row = row_of(page, name)
        await expect(row.get_by_label(f"Ruolo di {name}")).to_have_value("consultancy_admin")
        await expect(row.locator(".member-remove")).to_have_count(1)
