"""The portal's forms kept by their submission id (services.portal.submissions), driven
in-process: a form's first submission running in another process, or dead there."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from services.api.idempotency import request_hash
from services.bootstrap import System
from services.portal import submissions
from services.portal.config import PortalSettings
from services.portal.sessions import CSRF_FIELD, SESSION_COOKIE, SUBMISSION_FIELD, Signer
from services.session_locks import SessionLocks, lock_id
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World
from tests.api.test_writes import a_claim_made_elsewhere


@pytest.fixture
async def browser(
    app: Litestar, world: World, api_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in to the portal as A's client member (its own cookies)."""
    portal = PortalSettings.derive(api_settings)
    cookie, _ = Signer(portal.secret, portal.session_ttl).issue(world.a.user_ids["client_member"])
    async with httpx.AsyncClient(
        transport=asgi_transport(app), base_url="http://okr.test"
    ) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        yield browser


async def check_in_form(browser: httpx.AsyncClient, world: World) -> tuple[str, dict[str, str]]:
    """The key result page's check-in form: where it is sent, and its fields as typed."""
    path = f"/t/{world.a.tenant.id}/kr/{world.ids.key_result_id}/check-ins"
    page = await browser.get(f"/t/{world.a.tenant.id}/kr/{world.ids.key_result_id}/")
    assert page.status_code == 200, page.text
    form = re.search(rf'<form[^>]*action="{re.escape(path)}".*?</form>', page.text, re.S)
    assert form is not None
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    note = f"kept {uuid.uuid4().hex}"
    return path, {CSRF_FIELD: hidden[CSRF_FIELD], SUBMISSION_FIELD: hidden[SUBMISSION_FIELD],
                  "value": "26", "on": "2027-02-16", "confidence": "7", "note": note}  # fmt: skip


async def claimed_elsewhere(
    system: System, world: World, path: str, fields: dict[str, str]
) -> tuple[str, str]:
    """The claim of the form's first submission, made by another process (unanswered):
    its key and its actor."""
    key = f"form {path} {fields[SUBMISSION_FIELD]}"
    actor = f"user:{world.a.user_ids['client_member']}"
    sent = sorted((k, v) for k, v in fields.items() if k not in (CSRF_FIELD, SUBMISSION_FIELD))
    digest = request_hash("POST", path, b"", urlencode(sent).encode(), raw=True)
    await a_claim_made_elsewhere(system, world, actor, key, digest)
    return key, actor


async def test_a_form_whose_first_submission_died_runs_at_once(
    browser: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form sent again while its first submission still runs in another process (its
    key's lock held there) is told it is still being recorded. Once that process is gone,
    its lock with it, the form sent again runs at once, as a keyed API request does: it
    waited IN_FLIGHT_WAIT (15 s) for a first submission known dead before taking it over."""
    path, fields = await check_in_form(browser, world)
    key, actor = await claimed_elsewhere(system, world, path, fields)
    elsewhere = SessionLocks(system.app_dsn, answer_within=10)
    assert await elsewhere.try_hold(lock_id("idempotency_keys", str(world.a.tenant.id), actor, key))
    monkeypatch.setattr(submissions, "IN_FLIGHT_WAIT", 0.0)
    running = await browser.post(path, data=fields)
    assert running.status_code == 409, running.text
    await elsewhere.close()  # its process dies
    monkeypatch.setattr(submissions, "IN_FLIGHT_WAIT", 3600.0)  # (not waited for: dead)
    sent = await asyncio.wait_for(browser.post(path, data=fields), 30)  # (a hang guard)
    assert sent.status_code == 303, sent.text
    assert "idempotent-replayed" not in sent.headers
    again = await browser.post(path, data=fields)
    assert again.status_code == 303 and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == sent.headers["location"]


async def test_a_form_sent_twice_at_once_lands_both_on_the_first_answer(
    browser: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click: the first submission is held up as it starts, the second runs
    meanwhile. The key was claimed before its lock was taken, so the second found the
    first's claim with its lock free, took it for dead and took it over, and the first,
    going on, ran as well (or was told 409: CI saw [409, 303]). The lock is taken first:
    the first, held up before it, claims nothing; the second runs; the first, let go,
    finds its answer and lands where it landed, the check-in recorded once."""
    path, fields = await check_in_form(browser, world)
    held, let_go = asyncio.Event(), asyncio.Event()
    assert system.key_locks is not None
    try_hold = system.key_locks.try_hold

    async def first_held_up(lock: int) -> bool:
        if not held.is_set():
            held.set()
            await let_go.wait()
        return await try_hold(lock)

    monkeypatch.setattr(system.key_locks, "try_hold", first_held_up)
    first = asyncio.ensure_future(browser.post(path, data=fields))
    await held.wait()
    second = await asyncio.wait_for(browser.post(path, data=fields), 30)  # (a hang guard)
    let_go.set()
    answers = [await asyncio.wait_for(first, 30), second]
    assert [a.status_code for a in answers] == [303, 303], [a.text for a in answers]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert answers[0].headers["idempotent-replayed"] == "true"
    history = await browser.get(f"/t/{world.a.tenant.id}/kr/{world.ids.key_result_id}/")
    assert history.text.count(fields["note"]) == 1, "recorded once"
