"""Schemathesis against /schema over real HTTP: a uvicorn server on its own thread and event
loop, two tenants with the same names and ids, every operation called with generated data by
their people: never a 5xx, and every answer matches the schema (status, content type, body).

Bounded: OKR_FUZZ_EXAMPLES examples per operation (default 8), so it runs in well under a
minute; raise it locally for a deeper run. POST /auth/token and /auth/password/change are
left out: failed sign-ins (and wrong current passwords) are rate-limited per IP and would
lock the other tests' sign-ins out. min_position is
dropped: no projector runs here, so a read-your-writes wait for a position in the log could
only end in its 503 (one past the log is a 422 at once).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.api import create_app
from services.bootstrap import System, bootstrap
from services.settings import Settings
from tests.api.builders import World, build_world
from tests.api.routes import path_values

EXAMPLES = int(os.environ.get("OKR_FUZZ_EXAMPLES", "8"))
MODE = GenerationMode(os.environ.get("OKR_FUZZ_MODE", "positive"))
LEFT_OUT = {("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/password/change")}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class ServerThread(threading.Thread):
    """`okr serve`'s app on uvicorn, on a thread with its own loop and its own pool."""

    def __init__(self, admin_dsn: str, app_settings: Settings) -> None:
        super().__init__(daemon=True, name="okr-fuzz-server")
        self.admin_dsn, self.app_settings = admin_dsn, app_settings
        self.ready = threading.Event()
        self.server: uvicorn.Server | None = None
        self.base_url = ""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by the fixture
            self.error = error
            self.ready.set()

    async def _serve(self) -> None:
        system: System = await bootstrap(self.app_settings, self.admin_dsn, run_migrations=False)
        try:
            app = create_app(system, self.app_settings)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
            )
            self.server = uvicorn.Server(config)
            task = asyncio.create_task(self.server.serve())
            await _started(self.server)
            port = self.server.servers[0].sockets[0].getsockname()[1]
            self.base_url = f"http://127.0.0.1:{port}"
            self.ready.set()
            await task
        finally:
            await system.close()


async def _started(server: uvicorn.Server) -> None:
    for _ in range(3000):  # uvicorn has no event to wait on: poll its flag
        if server.started:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("uvicorn did not start")


@pytest.fixture(scope="package")
def server(admin_dsn: str, api_settings: Settings, app: object) -> Iterator[ServerThread]:
    thread = ServerThread(admin_dsn, api_settings)
    thread.start()
    assert thread.ready.wait(30), "the fuzz server did not start"
    if thread.error is not None:
        raise thread.error
    yield thread
    assert thread.server is not None
    thread.server.should_exit = True
    thread.join(15)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def fuzz_world(system: System, admin_dsn: str, api_settings: Settings) -> World:
    """Two more tenants of the same name and ids, for generated writes to mess up freely."""
    return await build_world(system, admin_dsn, api_settings)


def people(world: World) -> list[tuple[str, dict[str, str], str]]:
    """(who, Authorization header, side of the URL ids)."""
    return [
        ("admin of A", world.a.auth("consultancy_admin"), "a"),
        ("viewer of A", world.a.auth("client_viewer"), "a"),
        ("admin of B on A", world.b.auth("consultancy_admin"), "a"),
        ("member of B", world.b.auth("client_member"), "b"),
        ("API key of B", {"Authorization": f"Bearer {world.b.live_key}"}, "b"),
        ("platform admin", world.admin(), "b"),
    ]


def test_the_api_keeps_its_schema(server: ServerThread, fuzz_world: World) -> None:
    """No generated request gets a 5xx; every answer is one the schema documents."""
    schema = schemathesis.openapi.from_url(f"{server.base_url}/schema/openapi.json")
    who = people(fuzz_world)
    sides = {"a": path_values(fuzz_world, fuzz_world.a), "b": path_values(fuzz_world, fuzz_world.b)}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in LEFT_OUT:
            continue
        operations += 1

        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=operation.as_strategy(MODE), person=st.sampled_from(who), known=st.booleans())
        def exercise(case: Any, person: tuple[str, dict[str, str], str], known: bool) -> None:
            _, headers, side = person
            if case.query:  # no projector here: a wait for a logged position times out
                case.query.pop("min_position", None)
            for name in case.path_parameters or {}:
                if known or name in ("tenant_id", "consultancy_id"):
                    case.path_parameters[name] = str(sides[side][name])
            response = case.call(base_url=server.base_url, headers=headers, timeout=30)
            case.validate_response(
                response, checks=CHECKS if MODE.is_positive else [not_a_server_error]
            )

        try:
            exercise()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # every operation's failures, reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert operations > 50
    assert not failures, "\n\n".join(failures)
