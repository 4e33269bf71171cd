"""Signing in and out: clear errors, back to the page asked for, and out means out."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.async_api import expect

from services import demo_data as d
from tenants.memberships import add_membership, remove_membership
from tenants.password_links import make_password_link
from tenants.principal import Principal
from tenants.roles import Role
from tenants.users import create_user, disable_user
from tests.portal.conftest import ARTIFACTS, Opener, PortalServer, csrf, shot, sign_in


async def test_signing_in_leads_back_and_signing_out_ends_the_session(
    open_page: Opener, portal: PortalServer
) -> None:
    """A wrong password says so beside the form; the right one opens the page first asked
    for; the session cookie is HttpOnly and Lax; after signing out the pages ask again."""
    page = await open_page()
    asked = f"/t/{d.TENANT_ID}/history"
    await page.goto(asked)
    await expect(page).to_have_url(re.compile(r"/sign-in\?next="))

    await page.get_by_label("Email").fill(d.GIULIA.email)
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Accedi").click()
    await expect(page.get_by_role("alert")).to_have_text("Email o password errate.")
    await expect(page.get_by_label("Email")).to_have_value(d.GIULIA.email)
    await shot(page, "sign-in-error")

    await page.get_by_label("Password").fill(d.PASSWORD)
    await page.get_by_role("button", name="Accedi").click()
    await expect(page).to_have_url(re.compile(re.escape(asked) + "$"))
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["okr_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["expires"] > 0

    await page.get_by_role("button", name="Esci").click()
    await expect(page.get_by_role("status")).to_have_text("Sei uscito.")
    await page.goto(asked)
    await expect(page).to_have_url(re.compile(r"/sign-in\?next="))

    # A copy of the cookie, taken before signing out (another browser, a stolen one), no
    # longer signs in: the session ended on the server, not only in this browser.
    copy = {"okr_session": session["value"]}
    async with httpx.AsyncClient(base_url=portal.base_url, cookies=copy) as other:
        kept = await other.get(asked)
    assert kept.status_code == 303 and "/sign-in" in kept.headers["location"]


async def test_an_invited_person_chooses_a_password_with_their_link(
    open_page: Opener, portal: PortalServer
) -> None:
    """The link opens a page to type a password twice; a mismatch or a short one says so
    beside its field; then they are in their company, signed in. The link works once. Its
    token leaves the URL at once (the page is /welcome: no Referer, history entry, link of
    the page or server log holds it)."""
    pool = portal.system.pool
    user = await create_user(pool, f"nuova-{uuid.uuid4().hex[:6]}@esempio.example", "Nuova")
    await add_membership(pool, d.TENANT_ID, user.id, Role.CLIENT_VIEWER)
    maker = Principal(kind="user", id=d.PAOLA.id, display_name=d.PAOLA.name)  # its consultancy
    link = await make_password_link(pool, user.id, maker)
    page = await open_page()

    await page.goto(f"/welcome?token={link.token}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Scegli la tua password")
    await expect(page).to_have_url(re.compile(r"/welcome$"))
    assert link.token not in await page.content()
    await expect(page.locator(".lead")).to_contain_text(user.email)  # which account it is
    await page.get_by_label("Password (almeno 12 caratteri)").fill("corta")
    await page.get_by_label("Ripeti la password").fill("corte")
    await page.get_by_role("button", name="Salva ed entra").click()
    await expect(page.locator("#password-error")).to_have_text(
        "Scegli una password da 12 a 1024 caratteri."
    )
    await expect(page.locator("#again-error")).to_have_text("Le due password non coincidono.")
    await expect(page).to_have_url(re.compile(r"/welcome$"))  # the link's token kept, unseen
    await page.get_by_label("Password (almeno 12 caratteri)").fill("una frase abbastanza lunga")
    await page.get_by_label("Ripeti la password").fill("una frase abbastanza lunga!")
    await page.get_by_role("button", name="Salva ed entra").click()
    await expect(page.locator("#again-error")).to_have_text("Le due password non coincidono.")
    await shot(page, "welcome")
    await page.get_by_label("Password (almeno 12 caratteri)").fill("una frase abbastanza lunga")
    await page.get_by_label("Ripeti la password").fill("una frase abbastanza lunga")
    await page.get_by_role("button", name="Salva ed entra").click()
    await expect(page).to_have_url(re.compile(rf"/t/{d.TENANT_ID}$"))
    await expect(page.locator("header .who")).to_have_text("Nuova")
    await expect(page.locator(".notice")).to_have_text(
        "Password salvata: d'ora in poi entra con la tua email e questa password."
    )
    await page.reload()  # said once
    await expect(page.locator(".who")).to_have_text("Nuova")
    await expect(page.locator(".notice")).to_have_count(0)

    spent = await (await open_page()).goto(f"/welcome?token={link.token}")
    assert spent is not None and spent.status == 404
    assert "non vale più" in await spent.text()
    await page.goto(f"/welcome?token={link.token}")  # opened again by whoever used it: home
    await expect(page).to_have_url(re.compile(rf"/t/{d.TENANT_ID}$"))
    # opened by someone signed in (Giulia): told whose account it is, and her session ends
    other = await create_user(pool, f"altra-{uuid.uuid4().hex[:6]}@esempio.example", "Altra")
    await add_membership(pool, d.TENANT_ID, other.id, Role.CLIENT_VIEWER)
    second = await make_password_link(pool, other.id, maker)
    giulia = await open_page()
    await sign_in(giulia, d.GIULIA)
    kept = next(c for c in await giulia.context.cookies() if c["name"] == "okr_session")
    await giulia.goto(f"/welcome?token={second.token}")
    await expect(giulia.get_by_role("status")).to_contain_text("Sei entrato come Giulia Bianchi")
    await giulia.get_by_label("Password (almeno 12 caratteri)").fill("un'altra frase lunga")
    await giulia.get_by_label("Ripeti la password").fill("un'altra frase lunga")
    await giulia.get_by_role("button", name="Salva ed entra").click()
    await expect(giulia.locator("header .who")).to_have_text("Altra")
    copy = {"okr_session": kept["value"]}
    async with httpx.AsyncClient(base_url=portal.base_url, cookies=copy) as browserless:
        old = await browserless.get("/")
    assert old.headers["location"] == "/sign-in"  # her copy of the cookie signs nobody in
    logged = (ARTIFACTS / "server.log").read_text()
    assert link.token not in logged and second.token not in logged
    for person in (user, other):
        try:
            await remove_membership(pool, d.TENANT_ID, person.id)
        finally:
            await disable_user(pool, person.id)


async def test_a_person_changes_their_password_and_every_other_browser_is_signed_out(
    open_page: Opener, portal: PortalServer
) -> None:
    """From their name in the header to their account: a wrong current password, two new
    ones that differ, or the current one again are each said beside their field and change
    nothing; then the change: this browser stays in and says so, another browser of theirs
    (and a copy of its cookie) is signed out, and only the new password signs in."""
    pool = portal.system.pool
    person = d.Person(f"cambio-{uuid.uuid4().hex[:6]}@esempio.example", "Carla Neri", "x")
    user = await create_user(pool, person.email, person.name, password=d.PASSWORD,
                             user_id=person.id)  # fmt: skip
    await add_membership(pool, d.TENANT_ID, user.id, Role.CLIENT_MEMBER)
    page, elsewhere = await open_page(), await open_page()
    await sign_in(page, person)
    await sign_in(elsewhere, person)
    kept = next(c for c in await elsewhere.context.cookies() if c["name"] == "okr_session")
    await page.locator("header .who").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Il tuo account")
    await expect(page.locator(".account-email")).to_have_text(person.email)
    new = "una frase nuova e lunga"

    async def change(current: str, fresh: str, again: str) -> None:
        await page.get_by_label("Password attuale").fill(current)
        await page.get_by_label("Nuova password (almeno 12 caratteri)").fill(fresh)
        await page.get_by_label("Ripeti la nuova password").fill(again)
        await page.get_by_role("button", name="Cambia la password").click()

    await change("non è questa", new, new)
    await expect(page.locator("#current-error")).to_have_text(
        "Non è la tua password attuale: nulla è cambiato."
    )
    await change(d.PASSWORD, new, new + "!")
    await expect(page.locator("#again-error")).to_have_text("Le due password non coincidono.")
    await change(d.PASSWORD, d.PASSWORD, d.PASSWORD)
    await expect(page.locator("#new-error")).to_have_text(
        "È la password che hai già: scegline un'altra."
    )
    await change(d.PASSWORD, "corta", "corta")
    await expect(page.locator("#new-error")).to_contain_text("da 12 a 1024 caratteri")
    await elsewhere.reload()  # nothing changed: still in there
    await expect(elsewhere.locator("header .who")).to_have_text(person.name)
    await shot(page, "account-refused")

    await change(d.PASSWORD, new, new)
    await expect(page.get_by_role("status")).to_contain_text("Password cambiata")
    await expect(page.locator("header .who")).to_have_text(person.name)
    await elsewhere.reload()
    await expect(elsewhere).to_have_url(re.compile(r"/sign-in"))
    async with httpx.AsyncClient(base_url=portal.base_url, cookies={
        "okr_session": kept["value"]}) as browserless:  # fmt: skip
        old = await browserless.get("/")
    assert old.headers["location"] == "/sign-in"
    await sign_in(elsewhere, person)  # the old password
    await expect(elsewhere.get_by_role("alert")).to_have_text("Email o password errate.")
    await elsewhere.get_by_label("Password").fill(new)
    await elsewhere.get_by_role("button", name="Accedi").click()
    await expect(elsewhere.locator("header .who")).to_have_text(person.name)
    try:
        await remove_membership(pool, d.TENANT_ID, user.id)
    finally:
        await disable_user(pool, user.id)


async def test_a_form_s_token_is_of_its_session_alone(
    open_page: Opener, portal: PortalServer
) -> None:
    """A form's CSRF token is bound to the session it was shown in: in one browser (a shared
    computer), the token of the person who signed out before, of this person's own earlier
    session, or of another browser's person with its CSRF cookie planted here, is refused
    with the 403 page and changes nothing; the pages' own forms keep working, in two tabs
    and after signing in again."""
    page = await open_page()
    await sign_in(page, d.MARCO)
    marcos = await csrf(page)
    await page.get_by_role("button", name="Esci").click()
    await sign_in(page, d.SARA)
    saras = await csrf(page)
    assert saras != marcos
    refused = await page.request.post("/sign-out", form=marcos, max_redirects=0)
    assert refused.status == 403
    assert "Il modulo è scaduto" in await refused.text()
    await page.goto("/account")
    await expect(page.locator("header .who")).to_have_text(d.SARA.name)  # still signed in

    tab = await page.context.new_page()  # a second tab: the same session, the same token
    await tab.goto("/account")
    assert await csrf(tab) == saras
    answered = await tab.request.post(
        "/account/password",
        form={**saras, "current": "non è questa", "new": "x" * 12, "again": "x" * 12},
    )
    assert answered.status == 422  # through the CSRF check, refused for its password
    await page.get_by_role("button", name="Esci").click()
    await sign_in(page, d.SARA)  # the same person again: a new session, a new token
    assert await csrf(page) != saras
    stale = await page.request.post("/sign-out", form=saras, max_redirects=0)
    assert stale.status == 403

    planted = await open_page()  # Marco's token and his browser's CSRF cookie, in Sara's
    await sign_in(planted, d.MARCO)
    marcos = await csrf(planted)
    nonce = next(c for c in await planted.context.cookies() if c["name"] == "okr_csrf")
    # A cookie as read has the keys of one to set; Playwright types the two apart.
    await page.context.add_cookies([nonce])  # type: ignore[list-item]
    forged = await page.request.post("/sign-out", form=marcos, max_redirects=0)
    assert forged.status == 403
    await page.goto("/account")
    await expect(page.locator("header .who")).to_have_text(d.SARA.name)
    await page.get_by_role("button", name="Esci").click()  # its own form works
    await expect(page.get_by_role("status")).to_have_text("Sei uscito.")
