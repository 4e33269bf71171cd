"""A portal session that is not one opens no company page: expired, signed with another
key, or altered to name someone else; each goes to the sign-in page, as no session does."""

from __future__ import annotations

import time

import httpx
from litestar import Litestar

from services.portal.config import PortalSettings
from services.portal.sessions import SESSION_COOKIE, Signer
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World

PAGES = ("", "/history", "/people", "/settings", "/audit.csv")


async def test_an_expired_forged_or_altered_session_opens_nothing(
    app: Litestar, world: World, api_settings: Settings
) -> None:
    """A session past its end, one signed with a key not the server's, and one whose
    person was swapped for another's: every page of A answers the sign-in page (303), with
    nothing of A in it. The same cookie made right opens the pages (the test's control)."""
    portal = PortalSettings.derive(api_settings)
    admin = world.a.user_ids["client_admin"]
    right = Signer(portal.secret, portal.session_ttl)
    expired, _ = right.issue(admin, now=time.time() - portal.session_ttl.total_seconds() - 60)
    forged, _ = Signer(b"x" * 32, portal.session_ttl).issue(admin)
    good, _ = right.issue(admin)
    other = world.a.user_ids["client_viewer"].hex
    altered = good.replace(admin.hex, other)
    assert altered != good
    transport = asgi_transport(app)
    for name, cookie in (("good", good), ("expired", expired), ("forged", forged),
                         ("altered", altered)):  # fmt: skip
        async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as browser:
            browser.cookies.set(SESSION_COOKIE, cookie)
            for path in PAGES:
                answer = await browser.get(f"/t/{world.a.tenant.id}{path}")
                if name == "good":
                    assert answer.status_code == 200, (name, path)
                    continue
                assert answer.status_code == 303, (name, path, answer.status_code)
                assert answer.headers["location"].startswith("/sign-in"), (name, path)
                assert world.a.secret not in answer.text
