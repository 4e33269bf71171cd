"""Signing in and out: clear errors, back to the page asked for, and out means out."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import expect

from services import demo_data as d
from tests.portal.conftest import Opener, PortalServer, shot


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
    async with httpx.AsyncClient(base_url=portal.base_url) as other:
        kept = await other.get(asked, cookies={"okr_session": session["value"]})
    assert kept.status_code == 303 and "/sign-in" in kept.headers["location"]
