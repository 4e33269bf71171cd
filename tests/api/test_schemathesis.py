"""Schemathesis against /schema over real HTTP: a uvicorn server on its own thread and event
loop, two tenants with the same names and ids, every operation called with generated data by
their people: never a 5xx, every answer one the schema documents (status, content type,
headers, body), every request the schema does not allow refused, and every refusal of an
input a problem naming the field at fault.

Bounded: OKR_FUZZ_EXAMPLES examples per operation (default 8), so it runs in well under a
minute; raise it locally for a deeper run. OKR_FUZZ_MODE: positive (default: data the schema
allows), negative (data it does not) or all (both); the checks are the same in each mode.
POST /auth/token and /auth/password/change are left out: failed sign-ins (and wrong current
passwords) are rate-limited per IP and would lock the other tests' sign-ins out. min_position
is dropped: no projector runs here, so a read-your-writes wait for a position in the log could
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
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.api import create_app
from services.bootstrap import System, bootstrap
from services.settings import Settings
from tests.api.builders import World, build_world
from tests.api.routes import path_values

EXAMPLES = int(os.environ.get("OKR_FUZZ_EXAMPLES", "8"))
MODES = GenerationMode.from_choice(os.environ.get("OKR_FUZZ_MODE", "positive"))
STATEFUL = os.environ.get("OKR_FUZZ_STATEFUL", "0") == "1"
LEFT_OUT = {("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/password/change")}
REFUSALS = {400, 404, 406, 412, 413, 415, 422}
"""The statuses of an input refused: the problem names the field at fault (401, 403, 409
and 429 are about who asks or the item's state, not a field)."""


@schemathesis.check
def problem_names_its_field(ctx: Any, response: Any, case: Any) -> None:
    """A refusal of an input is problem+json whose errors each name the field at fault."""
    if response.status_code not in REFUSALS:
        return
    kind = response.headers.get("content-type", [""])[0]
    assert kind.startswith("application/problem+json"), f"a {response.status_code} as {kind}"
    errors = response.json().get("errors") or []
    unnamed = [e for e in errors if e.get("field") is None]
    assert errors and not unnamed, f"a {response.status_code} not naming its field: {errors}"


OWN_HEADERS = (
    "location", "etag", "x-okr-position", "retry-after", "idempotent-replayed",
    "www-authenticate", "x-okr-read-to", "x-okr-read-as-of",
)  # fmt: skip
"""The headers this API sets for a client to act on: each one an answer carries is in the
document for that answer, or a generated client never exposes it."""


@schemathesis.check
def headers_it_sends_are_documented(ctx: Any, response: Any, case: Any) -> None:
    """Every header of OWN_HEADERS an answer carries is documented for its status."""
    found = case.operation.responses.find_by_status_code(response.status_code)
    if found is None:  # an undocumented status: status_code_conformance says so
        return
    documented = {name.lower() for name, _ in (found.headers.items() if found.headers else [])}
    sent = [name for name in OWN_HEADERS if name in response.headers]
    missing = [name for name in sent if name not in documented]
    assert not missing, f"a {response.status_code} sends {missing}, not in its document"


CHECKS = [
    problem_names_its_field,
    headers_it_sends_are_documented,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
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
    """No generated request gets a 5xx; every answer is one the schema documents; every
    request it does not allow is refused; every refused input is named (REFUSALS: a 401,
    403, 409 or 429 is about who asks or the item's state, and names no field). In negative
    mode alone an operation with nothing to make invalid (no parameter, no body: /healthz,
    /readyz, /metrics) has no case, and is passed over rather than failed. The bearer goes
    in the case's own headers, so the checks judge the request that was sent."""
    schema = schemathesis.openapi.from_url(f"{server.base_url}/schema/openapi.json")
    who = people(fuzz_world)
    sides = {"a": path_values(fuzz_world, fuzz_world.a), "b": path_values(fuzz_world, fuzz_world.b)}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # an operation the schema cannot load
        operation = result.ok()
        if (operation.method.upper(), operation.path) in LEFT_OUT:
            continue
        operations += 1

        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(
            case=st.one_of(*(operation.as_strategy(m) for m in MODES)),
            person=st.sampled_from(who),
            known=st.booleans(),
        )
        def exercise(case: Any, person: tuple[str, dict[str, str], str], known: bool) -> None:
            _, headers, side = person
            if case.query:  # no projector here: a wait for a logged position times out
                case.query.pop("min_position", None)
            for name in case.path_parameters or {}:
                if known or name in ("tenant_id", "consultancy_id"):
                    case.path_parameters[name] = str(sides[side][name])
            case.headers = {**(case.headers or {}), **headers}  # what was sent, as checked
            response = case.call(base_url=server.base_url, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Unsatisfiable as error:  # negative only: nothing to make invalid, no case
            if GenerationMode.POSITIVE in MODES:  # (no parameter, no body: /healthz)
                failures.append(f"{operation.method.upper()} {operation.path}: {error}")
        except BaseException as error:  # every operation's failures, reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert operations > 50
    assert not failures, "\n\n".join(failures)


def test_the_api_keeps_its_schema_across_calls(server: ServerThread, fuzz_world: World) -> None:
    """Schemathesis's stateful run: sequences of calls by the consultancy admin of A, each
    taking ids from the answers before it (the links Schemathesis infers from the document:
    a key result made, then checked in...), with the same checks as above. By default two
    sequences of up to 4 calls, derandomized (the same each run): a deep run takes over a
    minute even at 8, so OKR_FUZZ_STATEFUL=1 asks for it (OKR_FUZZ_EXAMPLES sequences of up
    to 10 calls)."""
    schema: BaseSchema = schemathesis.openapi.from_url(f"{server.base_url}/schema/openapi.json")
    schema = schema.exclude(path_regex="^/api/v1/auth/(token|password/change)$")  # see LEFT_OUT
    values = path_values(fuzz_world, fuzz_world.a)
    headers = fuzz_world.a.auth("consultancy_admin")
    machine = schema.as_state_machine()

    class Calls(machine):  # type: ignore[misc, valid-type]  # a class made from the schema
        def before_call(self, case: Any) -> None:
            if case.query:
                case.query.pop("min_position", None)
            for name in ("tenant_id", "consultancy_id"):
                if name in (case.path_parameters or {}):
                    case.path_parameters[name] = str(values[name])
            case.headers = {**(case.headers or {}), **headers}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": server.base_url, "timeout": 30}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    bounds = settings(
        max_examples=EXAMPLES if STATEFUL else 2, stateful_step_count=10 if STATEFUL else 4,
        deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    Calls.run(settings=bounds)
