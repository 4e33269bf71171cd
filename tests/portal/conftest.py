"""Browser tests: Debian's Chromium, driven by Playwright, against `okr serve` started as a
subprocess on a free port, with DATABASE_URL pointing to a fresh database of the test server.

No browser: the tests skip, naming the Debian package `chromium`; with CI set they fail.
Screenshots of every page land in test-artifacts/portal/.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Locator, Page

from projections.registry import PROJECTIONS
from services import demo_data as d
from services.bootstrap import System, bootstrap
from services.projector.waiting import wait_for_position
from services.settings import PROJECT_ROOT, Settings
from tests.conftest import DatabaseFactory
from tests.portal.world import build_world

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "portal"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
MISSING = "Chromium not found: install the Debian package `chromium` (apt-get install -y chromium)"


def find_chromium() -> str | None:
    """Debian's chromium binary (or OKR_CHROMIUM's), if installed."""
    chosen = os.environ.get("OKR_CHROMIUM")
    candidates = [chosen] if chosen else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser's path; skip without one, fail without one in CI."""
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(MISSING + " — CI must run the browser tests, not skip them")
        pytest.skip(MISSING)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(port: int) -> list[str]:
    """`okr serve` on localhost: the API, the portal and the projector in one process."""
    return [sys.executable, "-m", "services.cli", "serve", "--host", "127.0.0.1", "--port",
            str(port)]  # fmt: skip


@dataclass
class PortalServer:
    """The running portal and a connection to its database."""

    base_url: str
    system: System
    heads: dict[UUID, int]
    today: date
    """The day the world was built on, in its tenants' zone (Rome: the portal's today for
    them): its histories are dated back from it."""

    def url(self, path: str) -> str:
        return self.base_url + path

    def days_ago(self, days: int) -> str:
        """The ISO day `days` before the world's day (not before the clock's: a run that
        passes UTC midnight still asks for the days the world has)."""
        return (self.today - timedelta(days=days)).isoformat()


async def _wait_until_up(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                tail = (await asyncio.to_thread(log.read_text))[-4000:]
                pytest.fail(f"the portal server exited:\n{tail}")
            try:
                if (await client.get(url, timeout=2)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    tail = (await asyncio.to_thread(log.read_text))[-4000:]
    pytest.fail(f"the portal server did not answer in 60 s:\n{tail}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        process.kill()
        await process.wait()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def portal(chromium: str, databases: DatabaseFactory) -> AsyncIterator[PortalServer]:
    """The portal on a fresh database with the demo and the other tenants, projected."""
    dsn = await databases.create()
    system = await bootstrap(Settings(), dsn)
    today = datetime.now(ZoneInfo(d.TENANT_TIME_ZONE)).date()
    heads = await build_world(system, dsn, today)
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "server.log"
    env = {
        **os.environ, "DATABASE_URL": dsn, "OKR_JWT_SECRET": secrets.token_urlsafe(32),
        "OKR_PROJECTOR_POLL": "0.2", "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *serve_command(port), cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(base + "/sign-in", process, log)
        for tenant_id, head in heads.items():
            for projection in PROJECTIONS:
                reached = await wait_for_position(
                    system.pool, tenant_id, head, projection=projection.name, within=60
                )
                assert reached, f"{projection.name} of {tenant_id} did not reach {head}"
        yield PortalServer(base, system, heads, today)
    finally:
        await _stop(process)
        await system.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


class Opener(Protocol):
    """open_page: a page in a fresh browser context of its own."""

    async def __call__(
        self, *, locale: str = "it-IT", width: int = 1280, height: int = 900
    ) -> Page: ...


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(browser: Browser, portal: PortalServer) -> AsyncIterator[Opener]:
    """Opens pages in fresh browser contexts (Italian unless told), closed after the test."""
    contexts: list[BrowserContext] = []

    async def opener(*, locale: str = "it-IT", width: int = 1280, height: int = 900) -> Page:
        context = await browser.new_context(
            locale=locale, viewport={"width": width, "height": height}, base_url=portal.base_url
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield opener
    for context in contexts:
        await context.close()


Form = dict[str, str | float | bool]
"""A form's fields, as Playwright's page.request.post takes them."""


async def csrf(page: Page) -> Form:
    """The CSRF field of the signed-in page (its sign-out form's), for a hand-made POST."""
    token = page.locator("form.sign-out input[name=csrf_token]")
    name, value = await token.get_attribute("name"), await token.get_attribute("value")
    assert name and value
    return {name: value}


async def hidden_of(form: Locator) -> Form:
    """The hidden fields of a rendered form (its CSRF token, its submission id)."""
    fields: Form = {}
    for hidden in await form.locator("input[type=hidden]").all():
        name, value = await hidden.get_attribute("name"), await hidden.get_attribute("value")
        assert name is not None and value is not None
        fields[name] = value
    return fields


async def attribute_of(element: Locator, name: str) -> str:
    """The value of an attribute the element has (Playwright's None: it has none)."""
    value = await element.get_attribute(name)
    assert value is not None, f"no {name}"
    return value


async def sign_in(page: Page, person: d.Person) -> None:
    """Sign in through the form, as a person would."""
    await page.goto("/sign-in")
    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill(d.PASSWORD)
    await (
        page.get_by_role("button", name="Accedi")
        .or_(page.get_by_role("button", name="Sign in"))
        .first.click()
    )
    await page.wait_for_load_state("networkidle")


async def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot (the whole page unless told) in test-artifacts/portal/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
