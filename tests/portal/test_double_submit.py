"""A form sent twice records once (services.portal.submissions): a double click the browser
let through, a resubmit after a slow answer (Back fetches the page anew, a new form: see
the module). The same form, with the same fields, sent again (one after the other, or at
once) lands where the first landed and records nothing; a refused form keeps its id until
it is right; another person's id is not theirs to replay; a form without an id runs as it
did."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any
from uuid import UUID

from playwright.async_api import APIResponse, Page, expect

from services.db import tenant_transaction
from tenants import api_keys, memberships
from tests.portal.conftest import Form, Opener, PortalServer, hidden_of, sign_in
from tests.portal.world import (
    a_client_of,
    a_colleague,
    a_company_of_its_own,
    a_consultancy_of_its_own,
    one_key_result,
)

FIELD = "submission_id"


async def post(page: Page, url: str, fields: Form) -> APIResponse:
    return await page.request.post(url, form=fields, max_redirects=0)


async def sent_twice(page: Page, url: str, fields: Form, *, at_once: bool) -> list[APIResponse]:
    """The same form sent twice: one after the other, or both at once (in flight)."""
    if at_once:
        return list(await asyncio.gather(post(page, url, fields), post(page, url, fields)))
    return [await post(page, url, fields), await post(page, url, fields)]


def landed_alike(answers: list[Any]) -> str:
    """Both answers are the same redirect: where they landed."""
    assert [a.status for a in answers] == [303, 303], [a.status for a in answers]
    first, second = (a.headers["location"] for a in answers)
    assert first == second
    return str(first)


async def events_of(portal: PortalServer, tenant_id: UUID, topic_end: str) -> int:
    async with tenant_transaction(portal.system.pool, [tenant_id]) as conn:
        return int(await conn.fetchval(
            "SELECT count(*) FROM events WHERE tenant_id = $1 AND topic LIKE $2",
            tenant_id, f"%{topic_end}",
        ))  # fmt: skip


async def people_form(page: Page, tenant_id: UUID, form: str) -> Form:
    """The hidden fields of one of the people page's forms, as rendered now."""
    await page.goto(f"/t/{tenant_id}/people")
    return await hidden_of(page.locator(form))


async def a_planned_cycle(portal: PortalServer, role: str = "client_admin") -> Any:
    client, admin, app, ctx = await a_company_of_its_own(portal.system, role)
    cycle = (await app.cycles.create(
        ctx, name="T1", starts_on=portal.today, ends_on=portal.today + timedelta(days=90)
    )).item_id  # fmt: skip
    return client, admin, cycle


async def objective_form(page: Page, tenant_id: UUID, cycle: UUID) -> tuple[str, Form]:
    """The dashboard's new-objective form: its URL and what it sends as rendered."""
    await page.goto(f"/t/{tenant_id}?cycle={cycle}")
    url = f"/t/{tenant_id}/plan/cycles/{cycle}/objectives"
    form = page.locator(f"form[action='{url}']")
    owner = await form.locator("select[name=owner]").input_value()
    fields = {"owner": owner, "level": "team", "parent": "", "weight": "1"}
    return url, {**await hidden_of(form), **fields}


async def test_every_post_form_of_a_page_carries_a_submission_id(
    open_page: Opener, portal: PortalServer
) -> None:
    """The id is put in every POST form where pages are rendered, not form by form: a form
    added to a template is protected without anyone remembering to. One id a page (the
    key is the id and the form's path), a new one at each rendering."""
    client, admin, cycle = await a_planned_cycle(portal)
    page = await open_page()
    await sign_in(page, admin)
    for path in (f"/t/{client.id}?cycle={cycle}", f"/t/{client.id}/people"):
        await page.goto(path)
        forms = page.locator("form[method=post]")
        assert await forms.count() > 1
        await expect(page.locator(f"form[method=post] input[name={FIELD}]")).to_have_count(
            await forms.count()
        )
    first = await page.locator(f"form.sign-out input[name={FIELD}]").get_attribute("value")
    await page.reload()
    again = await page.locator(f"form.sign-out input[name={FIELD}]").get_attribute("value")
    assert first and again and first != again


async def test_an_objective_sent_twice_is_added_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """Twice the same new objective, one after the other and then at once: each time one
    objective, and both answers land on the same page (the second says it is a replay)."""
    client, admin, cycle = await a_planned_cycle(portal)
    page = await open_page()
    await sign_in(page, admin)
    for title, at_once in (("Crescere", False), ("Aprire Verona", True)):
        url, fields = await objective_form(page, client.id, cycle)
        answers = await sent_twice(page, url, {**fields, "title": title}, at_once=at_once)
        landed = landed_alike(answers)
        assert sum("idempotent-replayed" in a.headers for a in answers) == 1
        await page.goto(landed)
        await expect(page.locator(".cycle-done")).to_have_text("Obiettivo aggiunto.")
        await expect(page.locator(".objective h3").filter(has_text=title)).to_have_count(1)
    assert await events_of(portal, client.id, "Objective.Created") == 2


async def test_a_check_in_sent_twice_is_recorded_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """A check-in sent twice (a slow answer, a second click) is one check-in."""
    client, admin, app, ctx = await a_company_of_its_own(portal.system, "client_admin")
    _, kr = await one_key_result(
        app, ctx, portal.today - timedelta(days=10), 90, "Clienti", kind="increase",
        start=0, target=100,
    )  # fmt: skip
    page = await open_page()
    await sign_in(page, admin)
    for value, at_once in (("10", False), ("20", True)):
        await page.goto(f"/t/{client.id}/kr/{kr}")
        form = page.locator("form.check-in-form")
        fields = {**await hidden_of(form), "value": value, "on": portal.today.isoformat(),
                  "confidence": "7", "note": ""}  # fmt: skip
        url = f"/t/{client.id}/kr/{kr}/check-ins"
        landed_alike(await sent_twice(page, url, fields, at_once=at_once))
    assert await events_of(portal, client.id, "KeyResult.CheckedIn") == 2


async def test_an_api_key_sent_twice_is_made_once_and_its_secret_shown_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """A new API key sent twice is one key; its secret travels with the first answer only
    (in its sealed cookie): the replay lands on the same page without it, which says the
    key was shown once, and never makes or shows another."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    for name, at_once in (("Gestionale", False), ("Magazzino", True)):
        fields = await people_form(page, client.id, ".new-key form")
        url = f"/t/{client.id}/people/keys"
        answers = await sent_twice(
            page, url, {**fields, "name": name, "role": "client_member"}, at_once=at_once
        )
        landed = landed_alike(answers)
        cookies = ["okr_once=" in a.headers.get("set-cookie", "") for a in answers]
        assert sorted(cookies) == [False, True]
        await page.goto(landed)  # the first answer's cookie: the secret, once
        await expect(page.locator(".shown-once input")).to_have_value(re.compile("^okr_"))
        await page.goto(landed)  # as the replay lands: no secret, said so
        await expect(page.locator(".shown-once")).to_have_count(0)
        await expect(page.locator(".people-done")).to_contain_text("mostrata una volta sola")
    keys = await api_keys.list_api_keys(portal.system.pool, client.id, include_revoked=True)
    assert sorted(k.name for k in keys) == ["Gestionale", "Magazzino"]


async def test_an_invitation_and_a_password_link_sent_twice_are_made_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """An invitation sent twice lands both times on 'Person invited.' (the second was
    refused as 'already a member' before), and invites once; a password link sent twice
    is one link (a second one would have killed the first, on screen)."""
    client, admin, _, _ = await a_company_of_its_own(portal.system, "client_admin")
    page = await open_page()
    await sign_in(page, admin)
    for who, at_once in (("piero", False), ("paola", True)):
        fields = await people_form(page, client.id, ".invite form")
        invited = {"email": f"{who}-{client.slug}@x.it", "name": who, "role": "client_member"}
        url = f"/t/{client.id}/people/invite"
        landed = landed_alike(await sent_twice(page, url, {**fields, **invited}, at_once=at_once))
        assert landed.endswith("?done=invited")
    members = await memberships.list_members(portal.system.pool, client.id)
    assert sorted(m.display_name for m in members) == ["Luca Conti", "paola", "piero"]

    piero = next(m.user_id for m in members if m.display_name == "piero")
    fields = await people_form(page, client.id, f"form[action$='/{piero}/password-link']")
    head = await portal.system.store.head(client.id)
    url = f"/t/{client.id}/people/{piero}/password-link"
    landed = landed_alike(await sent_twice(page, url, fields, at_once=True))
    assert await portal.system.store.head(client.id) == head + 1  # one link, not two
    await page.goto(landed)
    await expect(page.locator(".shown-once input")).to_have_value(re.compile("welcome"))


async def test_a_refused_form_keeps_its_id_and_runs_once_fixed(
    open_page: Opener, portal: PortalServer
) -> None:
    """A refusal records nothing, so it does not spend the id: the form comes back with the
    same one, runs once it is right, and is a replay after that. Sent again with other
    values (a page kept open, changed, sent), it is told the form was sent, and records
    nothing."""
    client, admin, cycle = await a_planned_cycle(portal)
    page = await open_page()
    await sign_in(page, admin)
    url, fields = await objective_form(page, client.id, cycle)
    refused = await post(page, url, {**fields, "title": ""})
    assert refused.status == 422
    assert f'name="{FIELD}" value="{fields[FIELD]}"' in await refused.text()
    fixed = await post(page, url, {**fields, "title": "Crescere"})
    again = await post(page, url, {**fields, "title": "Crescere"})
    assert landed_alike([fixed, again])
    changed = await post(page, url, {**fields, "title": "Crescere di più"})
    assert changed.status == 409
    assert "già stato inviato" in await changed.text()
    assert await events_of(portal, client.id, "Objective.Created") == 1


async def test_another_person_cannot_replay_an_id(open_page: Opener, portal: PortalServer) -> None:
    """An id is one person's in one tenant: a colleague sending the same id and fields gets
    no replay of the first person's answer; theirs runs as their own."""
    client, admin, cycle = await a_planned_cycle(portal)
    colleague = await a_colleague(portal.system, client, "Marta Blu", "client_admin")
    page, other = await open_page(), await open_page()
    await sign_in(page, admin)
    await sign_in(other, colleague)
    url, fields = await objective_form(page, client.id, cycle)
    first = await post(page, url, {**fields, "title": "Crescere"})
    _, theirs = await objective_form(other, client.id, cycle)
    replayed = await post(
        other, url, {**fields, "csrf_token": theirs["csrf_token"], "title": "Crescere"}
    )
    assert first.status == replayed.status == 303
    assert "idempotent-replayed" not in replayed.headers
    assert await events_of(portal, client.id, "Objective.Created") == 2


async def test_a_form_without_an_id_runs_as_it_did(open_page: Opener, portal: PortalServer) -> None:
    """A page opened before the id was deployed sends none: its form still runs (its CSRF
    token is checked as ever), unprotected: sent twice, it records twice."""
    client, admin, cycle = await a_planned_cycle(portal)
    page = await open_page()
    await sign_in(page, admin)
    url, fields = await objective_form(page, client.id, cycle)
    del fields[FIELD]
    answers = await sent_twice(page, url, {**fields, "title": "Vecchia pagina"}, at_once=False)
    assert [a.status for a in answers] == [303, 303]
    assert await events_of(portal, client.id, "Objective.Created") == 2


async def test_the_consultancy_s_people_forms_sent_twice_change_once(
    open_page: Opener, portal: PortalServer
) -> None:
    """The consultancy's people page had no protection, where a company's forms have it: an
    invitation sent twice was refused 'already a person of the consultancy' the second
    time, a removal sent twice the 404 page, a password link sent twice two links (the
    second killing the first, on screen). Now each lands both times where the first
    landed, changing once; the same id with other fields is told the form was sent."""
    consultancy, admin = await a_consultancy_of_its_own(portal.system)
    client = await a_client_of(portal.system, consultancy, "Ferramenta Rossa")
    base = f"/consultancies/{consultancy}/people"
    page = await open_page()
    await sign_in(page, admin)

    async def form_of(selector: str) -> Form:
        await page.goto(base)
        return await hidden_of(page.locator(selector))

    for who, at_once in (("piero", False), ("paola", True)):
        fields = await form_of(".invite form")
        invited = {"email": f"{who}-{consultancy.hex[:8]}@x.it", "name": who,
                   "role": "consultancy_admin"}  # fmt: skip
        answers = await sent_twice(page, f"{base}/invite", {**fields, **invited}, at_once=at_once)
        assert landed_alike(answers).endswith("?done=invited")
        assert sum("idempotent-replayed" in a.headers for a in answers) == 1
    people = await memberships.list_consultancy_people(portal.system.pool, consultancy)
    assert sorted(p.display_name for p in people) == sorted([admin.name, "paola", "piero"])
    assert await events_of(portal, client.id, "AccessChange.Created") == 2  # one each

    piero = next(p.user_id for p in people if p.display_name == "piero")
    head = await portal.system.store.head(client.id)
    fields = await form_of(f"form[action$='/{piero}/password-link']")
    landed = landed_alike(
        await sent_twice(page, f"{base}/{piero}/password-link", fields, at_once=True)
    )
    assert await portal.system.store.head(client.id) == head + 1  # one link, not two
    await page.goto(landed)
    await expect(page.locator(".shown-once input")).to_have_value(re.compile("welcome"))

    fields = await form_of(f"form[action$='/{piero}/remove']")
    url = f"{base}/{piero}/remove"
    answers = await sent_twice(page, url, {**fields, "reason": "ha cambiato studio"},
                               at_once=False)  # fmt: skip
    assert landed_alike(answers).endswith("?done=removed")
    assert await portal.system.store.head(client.id) == head + 2  # removed once
    changed = await post(page, url, {**fields, "reason": "un altro motivo"})
    assert changed.status == 409
    assert "già stato inviato" in await changed.text()
    assert await portal.system.store.head(client.id) == head + 2
