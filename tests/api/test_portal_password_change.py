"""What the portal says of a password check the sign-in limits hold back: on the account
page as on the sign-in page, why, and for how long in words one reads at a glance."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from services.bootstrap import System
from services.portal.config import PortalSettings
from services.portal.sessions import CSRF_FIELD, SESSION_COOKIE, SUBMISSION_FIELD, Signer
from services.settings import Settings
from tenants.ratelimit import LoginRateLimiter
from tenants.users import create_user
from tests.api.asgi import asgi_transport
from tests.api.builders import an_email

PASSWORD = "a long enough passphrase"
CLIENT_IP = "127.0.0.1"
"""The address httpx's ASGI transport says its requests come from."""


async def test_a_change_while_others_are_checked_is_not_told_of_failures(
    app: Litestar, system: System, api_settings: Settings
) -> None:
    """While as many sign-ins of the account as its limit allows are being checked, a
    change of its password waits a second, as a sign-in does: nothing has failed. The
    account page said "Too many failed attempts: try again in 1 seconds", as if its
    password were being guessed, where the sign-in page says it is being checked."""
    email = an_email("anna")
    user = await create_user(system.pool, email, "Anna", password=PASSWORD)
    limiter = LoginRateLimiter(system.pool)
    checked = [await limiter.attempt(email, CLIENT_IP) for _ in range(5)]  # none settled yet
    portal = PortalSettings.derive(api_settings)
    cookie, _ = Signer(portal.secret, portal.session_ttl).issue(user.id)
    try:
        async with httpx.AsyncClient(
            transport=asgi_transport(app), base_url="http://okr.test",
            headers={"accept-language": "en"},
        ) as browser:  # fmt: skip
            browser.cookies.set(SESSION_COOKIE, cookie)
            page = await browser.get("/account")
            hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
            sent = await browser.post("/account/password", data={
                CSRF_FIELD: hidden[CSRF_FIELD], SUBMISSION_FIELD: hidden[SUBMISSION_FIELD],
                "current": PASSWORD, "new": "another long passphrase",
                "again": "another long passphrase",
            })  # fmt: skip
    finally:
        for attempt in checked:
            await limiter.succeeded(attempt)
    assert sent.status_code == 429, sent.text
    assert "Signing in is being checked: try again in a second." in sent.text
    assert "failed attempts" not in sent.text


async def sign_in_page(browser: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await browser.get("/sign-in")
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    return await browser.post("/sign-in", data={
        CSRF_FIELD: hidden[CSRF_FIELD], SUBMISSION_FIELD: hidden[SUBMISSION_FIELD],
        "email": email, "password": password, "next": "",
    })  # fmt: skip


async def test_a_sign_in_locked_out_for_a_quarter_of_an_hour_is_told_in_minutes(
    app: Litestar,
) -> None:
    """Five wrong passwords lock an email out from an address for a quarter of an hour:
    the sign-in page said "try again in 900 seconds", a sum to work out; it says 15
    minutes (in Italian too)."""
    transport = asgi_transport(app, client=("198.51.100.23", 40000))
    email = an_email("locked")
    said = {}
    for language in ("en", "it"):
        async with httpx.AsyncClient(
            transport=transport, base_url="http://okr.test",
            headers={"accept-language": language},
        ) as browser:  # fmt: skip
            for _ in range(5 if language == "en" else 0):
                assert (await sign_in_page(browser, email, "wrong password!")).status_code == 401
            held = await sign_in_page(browser, email, "wrong password!")
        assert held.status_code == 429, held.text
        said[language] = re.findall(r"(?:try again in|riprova tra) [^.<]*", held.text)
    assert said == {"en": ["try again in 15 minutes"], "it": ["riprova tra 15 minuti"]}
