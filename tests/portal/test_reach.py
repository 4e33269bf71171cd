"""Every page and form of a company, tried by whoever may not use it: a client viewer's
hand-made writes, a person removed from the company while signed in, one signed out, and
a person of another company. Each is refused (403 for a role without the right, 404
where there is no role: the same page as a company that does not exist, sign-in where
there is no session), and the company's log does not move."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tenants.memberships import list_members, remove_membership
from tests.portal.conftest import Opener, PortalServer, csrf, sign_in
from tests.portal.world import a_colleague, a_company_of_its_own, one_key_result, projected

PAGES = (
    "", "/history", "/as-of", "/diff", "/history.csv", "/audit", "/audit.csv", "/people",
    "/settings", "/kr/{kr}", "/kpis/{kpi}",
)  # fmt: skip
"""The company's pages (under /t/{id})."""
FORMS: tuple[tuple[str, dict[str, str]], ...] = (
    ("/settings", {"name": "Presa"}), ("/settings/suspend", {}),
    ("/cycles/{cycle}/close", {}), ("/cycles/{cycle}/activate", {}),
    ("/kr/{kr}/check-ins", {"value": "5", "confidence": "7"}), ("/kr/{kr}/target", {}),
    ("/kr/{kr}/edit", {"title": "Preso"}), ("/kr/{kr}/archive", {}),
    ("/kpis/{kpi}/edit", {"name": "Preso"}), ("/kpis/{kpi}/thresholds", {}),
    ("/kpis/{kpi}/archive", {}), ("/people/invite", {"email": "x@x.it", "name": "X"}),
    ("/people/{member}/role", {"role": "client_admin"}), ("/people/{member}/remove", {}),
    ("/people/{member}/password-link", {}), ("/people/keys", {"name": "K"}),
    ("/plan/cycles", {"name": "Preso"}), ("/plan/cycles/{cycle}/rename", {"name": "Preso"}),
    ("/plan/cycles/{cycle}/objectives", {"title": "Preso"}),
    ("/plan/objectives/{objective}/key-results", {"title": "Preso"}),
    ("/plan/objectives/{objective}/edit", {"title": "Preso"}),
    ("/plan/objectives/{objective}/archive", {}), ("/plan/kpis", {"name": "Preso"}),
    ("/plan/kpis/{kpi}/measurements", {"value": "5"}), ("/scores/{kr}", {"score": "0.5"}),
)  # fmt: skip
"""The company's forms (under /t/{id}), with fields that would do something."""


async def a_company(portal: PortalServer) -> tuple[Any, dict[str, str]]:
    """A company of its own with a cycle, an objective, a key result, a KPI and a member."""
    client, _, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    cycle, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Nuovi clienti",
        kind="increase", start=0, target=10,
    )  # fmt: skip
    objective = (await app.key_results.get(ctx, kr)).objective_id
    kpi = await app.kpis.create(
        ctx, name="Tempo", direction="lower_is_better", green=20, red=24, frequency_days=7,
        owner="Anna",
    )  # fmt: skip
    member = await a_colleague(portal.system, client, "Marta Blu", "client_member")
    await projected(portal.system, client.id)
    ids = {"cycle": str(cycle), "kr": str(kr), "kpi": str(kpi.item_id),
           "objective": str(objective), "member": str(member.id)}  # fmt: skip
    return client, ids


def under(client: Any, path: str, ids: dict[str, str]) -> str:
    return f"/t/{client.id}{path.format(**ids)}"


async def tried(page: Any, client: Any, ids: dict[str, str]) -> dict[str, int]:
    """Every page and form of the company, by the page's browser: the status of each."""
    answers = {}
    for path in PAGES:
        answer = await page.request.get(under(client, path, ids), max_redirects=0)
        answers[f"GET {path}"] = answer.status
    token = await csrf(page) if await page.locator("form.sign-out").count() else {}
    for path, form in FORMS:
        answer = await page.request.post(
            under(client, path, ids), form={**token, **form}, max_redirects=0
        )
        said = await answer.text()
        assert "Il modulo è scaduto" not in said, path  # refused for its role, not its token
        answers[f"POST {path}"] = answer.status
    return answers


async def test_a_client_viewer_s_hand_made_forms_are_refused_and_record_nothing(
    open_page: Opener, portal: PortalServer
) -> None:
    """A viewer reads the company and writes nothing: each form of the company, made by
    hand with the viewer's own CSRF token, answers 403 (its pages those it may read: 200,
    the rest 403), and the log and the people stay as they were."""
    client, ids = await a_company(portal)
    viewer = await a_colleague(portal.system, client, "Sara Galli", "client_viewer")
    head = await portal.system.store.head(client.id)
    members = await list_members(portal.system.pool, client.id)
    page = await open_page()
    await sign_in(page, viewer)
    await page.goto(f"/t/{client.id}")
    answers = await tried(page, client, ids)
    readable = {"GET ", "GET /history", "GET /as-of", "GET /diff", "GET /history.csv",
                "GET /kr/{kr}", "GET /kpis/{kpi}"}  # fmt: skip
    wrong = {
        what: status for what, status in answers.items()
        if status != (200 if what in readable else 403)
    }  # fmt: skip
    assert wrong == {}
    assert await portal.system.store.head(client.id) == head
    assert await list_members(portal.system.pool, client.id) == members


async def test_a_person_removed_while_signed_in_reaches_nothing_of_the_company(
    open_page: Opener, portal: PortalServer
) -> None:
    """Removed from the company with a session still open: every page and form of it
    answers 404, as a company that does not exist (grants are read at each request, not
    kept in the session), and nothing is recorded. Signed out, the session's cookie copied
    beforehand opens nothing either (the sign-in page)."""
    client, ids = await a_company(portal)
    admin = await a_colleague(portal.system, client, "Rita Neri", "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    await page.goto(f"/t/{client.id}")
    await remove_membership(portal.system.pool, client.id, admin.id)
    head = await portal.system.store.head(client.id)
    answers = await tried(page, client, ids)
    assert {what: s for what, s in answers.items() if s != 404} == {}
    assert await portal.system.store.head(client.id) == head


async def test_a_signed_out_session_and_another_company_s_person_reach_nothing(
    open_page: Opener, portal: PortalServer
) -> None:
    """A cookie copied before signing out sends every page and form to the sign-in page
    (303); a person of another company, signed in, gets 404 for each, and nothing is
    recorded."""
    client, ids = await a_company(portal)
    _, stranger, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    head = await portal.system.store.head(client.id)
    page = await open_page()
    await sign_in(page, stranger)
    answers = await tried(page, client, ids)
    assert {what: s for what, s in answers.items() if s != 404} == {}

    session = {c["name"]: c["value"] for c in await page.context.cookies()}
    await page.goto("/")
    await page.locator("form.sign-out button").click()
    async with httpx.AsyncClient(base_url=portal.base_url, cookies=session) as copied:
        for path in PAGES:
            answer = await copied.get(under(client, path, ids))
            assert answer.status_code == 303, path
            assert "/sign-in" in answer.headers["location"], path
    assert await portal.system.store.head(client.id) == head
