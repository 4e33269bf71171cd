"""A form's own address answers a POST only: a form sent once its session has ended leads
to signing in again and back to the page the form was on, and the address opened as a page
says, as a page, that it is not one."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from litestar import Litestar

from services.bootstrap import System
from services.portal.config import PortalSettings
from services.portal.sessions import CSRF_FIELD, SESSION_COOKIE, SUBMISSION_FIELD, Signer
from services.portal.sessions import sign_out as end_session
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World


async def test_a_form_sent_after_its_session_ended_comes_back_to_its_page(
    app: Litestar, system: System, world: World, api_settings: Settings
) -> None:
    """A check-in sent from a browser whose session ended meanwhile (signed out there, or
    everywhere by a password change on another device) went to the sign-in page with the
    form's own address to come back to; once signed in, the browser asked that address
    for a page and got a 405 in JSON. It comes back to the key result's page, the page
    the form was on (its Referer), and that page answers."""
    portal = PortalSettings.derive(api_settings)
    signer = Signer(portal.secret, portal.session_ttl)
    cookie, session = signer.issue(world.a.user_ids["client_member"])
    page = f"/t/{world.a.tenant.id}/kr/{world.ids.key_result_id}"
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        shown = await browser.get(page)
        assert shown.status_code == 200, shown.text
        hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', shown.text))
        await end_session(system.pool, session)
        sent = await browser.post(
            f"{page}/check-ins",
            data={CSRF_FIELD: hidden[CSRF_FIELD], SUBMISSION_FIELD: hidden[SUBMISSION_FIELD],
                  "value": "23", "on": "2027-02-14", "confidence": "6", "note": ""},
            headers={"referer": f"http://okr.test{page}"},
        )  # fmt: skip
        assert sent.status_code == 303, sent.text
        where = urlsplit(sent.headers["location"])
        assert (where.path, parse_qs(where.query)["next"]) == ("/sign-in", [page])
        browser.cookies.set(SESSION_COOKIE, signer.issue(world.a.user_ids["client_member"])[0])
        assert (await browser.get(page)).status_code == 200


async def test_a_form_s_address_opened_as_a_page_answers_a_page(
    app: Litestar, world: World, api_settings: Settings
) -> None:
    """After a refused form the address bar holds the form's address; opened again (a new
    tab, Enter in the address bar, a bookmark) it answered a 405 in JSON, "Method Not
    Allowed", to a person. A browser gets the portal's page saying the page does not accept
    this action, in the reader's language, with Allow; the API's 405 stays a problem."""
    portal = PortalSettings.derive(api_settings)
    cookie, _ = Signer(portal.secret, portal.session_ttl).issue(world.a.user_ids["client_member"])
    form = f"/t/{world.a.tenant.id}/kr/{world.ids.key_result_id}/check-ins"
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        opened = await browser.get(form, headers={"accept": "text/html", "accept-language": "en"})
        api = await browser.get(
            f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}/archive",
            headers={"accept": "text/html,*/*", **world.a.auth("client_member")},
        )
    assert opened.status_code == 405
    assert opened.headers["content-type"].startswith("text/html")
    assert "This page does not accept this action." in opened.text
    assert "POST" in opened.headers["allow"]
    assert (api.status_code, api.headers["content-type"]) == (405, "application/problem+json")
