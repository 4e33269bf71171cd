"""Every error page under a company speaks its language to a reader who chose none and
whose browser asks for neither of the portal's: a company's error pages are its pages."""

from __future__ import annotations

import uuid

import httpx
from litestar import Litestar

from services.portal.config import PortalSettings
from services.portal.sessions import SESSION_COOKIE, Signer
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World, an_email


async def test_each_error_page_under_an_english_company_is_in_english(
    app: Litestar, world: World, api_settings: Settings, client: httpx.AsyncClient
) -> None:
    """An id that is not one (404), an address no page has (404), a form with a stale
    CSRF token (403), a page the role may not open (403) and a filter that is not one
    (400): each in English at an English-speaking company, for a browser asking Japanese."""
    admin = world.a.auth("consultancy_admin")
    made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants", headers=admin,
        json={"name": f"Company {uuid.uuid4().hex[:8]}", "locale": "en"},
    )  # fmt: skip
    tenant = made.json()["id"]
    member = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=admin,
        json={"email": an_email("mia"), "display_name": "Mia", "role": "client_member"},
    )  # fmt: skip
    portal = PortalSettings.derive(api_settings)
    signer = Signer(portal.secret, portal.session_ttl)
    cases = (
        (world.a.user_ids["consultancy_admin"], "GET", f"/t/{tenant}/kr/not-an-id", 404),
        (world.a.user_ids["consultancy_admin"], "GET", f"/t/{tenant}/nope/at/all", 404),
        (world.a.user_ids["consultancy_admin"], "POST", f"/t/{tenant}/people/invite", 403),
        (uuid.UUID(member.json()["user_id"]), "GET", f"/t/{tenant}/people", 403),
        (world.a.user_ids["consultancy_admin"], "GET", f"/t/{tenant}/history?before=abc", 400),
    )
    transport = asgi_transport(app)
    said = {}
    for user, method, path, status in cases:
        cookie, _ = signer.issue(user)
        async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as browser:
            browser.cookies.set(SESSION_COOKIE, cookie)
            answer = await browser.request(
                method, path, headers={"accept": "text/html", "accept-language": "ja"},
                data={"csrf_token": "wrong"} if method == "POST" else None,
            )  # fmt: skip
        assert answer.status_code == status, (path, answer.status_code)
        said[path] = '<html lang="en"' in answer.text
    assert [path for path, english in said.items() if not english] == []
