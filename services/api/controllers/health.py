"""Liveness, readiness (database and projector lag) and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get
from litestar.datastructures import Headers
from litestar.openapi.datastructures import ResponseSpec

from services.api.dependencies import (
    RuntimeDep,
)
from services.api.metrics import CONTENT_TYPE
from services.api.responses import Response
from services.api.schemas.common import Out
from services.api.security import PUBLIC, bearer_token
from services.db import tenant_transaction
from services.projector.registry import PROJECTIONS
from services.projector.schema import positions_table
from tenants.errors import InvalidCredentialsError


class Health(Out):
    """The process answers."""

    status: str


class Readiness(Out):
    """Whether this process should get traffic: the database answers, read models keep up.

    A tenant whose events the projector cannot decode or fold keeps failing whatever
    process serves it: taking every process out of rotation for it would take every other
    tenant down too. It is said (`failing_tenants`, status "degraded", still 200; by id in
    /metrics with OKR_METRICS_TOKEN), and its lag, which grows with its writes, is not
    held against readiness (`max_lag` is of the other tenants)."""

    status: str
    database: str
    max_lag: int | None
    lagging_tenants: int | None
    projector_running: bool
    failing_tenants: int


async def projector_lag(pool: asyncpg.Pool) -> dict[str, dict[UUID, int]]:
    """Events each projection still has to apply, per tenant with events.

    Each positions table is read in a transaction of its own, which holds no lock while a
    rebuild's swap waits: one transaction reading them in turn could deadlock with a swap
    (holding one, waiting for the next), and one sharing the swap's advisory lock would
    wait, and keep /readyz waiting, as long as the swap waits for a long verify."""
    heads = {r["tenant_id"]: r["position"] for r in await pool.fetch(
        "SELECT tenant_id, position FROM okr_tenant_positions()"
    )}  # fmt: skip
    lag: dict[str, dict[UUID, int]] = {}
    if not heads:
        return {p.name: {} for p in PROJECTIONS}
    for projection in PROJECTIONS:  # a transaction each: one table locked at a time
        async with tenant_transaction(pool, heads) as conn:
            rows = await conn.fetch(
                f"SELECT tenant_id, position FROM {positions_table(projection)}"
            )
        applied = {r["tenant_id"]: r["position"] for r in rows}
        lag[projection.name] = {t: head - applied.get(t, 0) for t, head in heads.items()}
    return lag


def worst_by_tenant(lag: dict[str, dict[UUID, int]]) -> dict[UUID, int]:
    """Per tenant, the lag of its slowest projection."""
    worst: dict[UUID, int] = {}
    for per_tenant in lag.values():
        for tenant_id, behind in per_tenant.items():
            worst[tenant_id] = max(behind, worst.get(tenant_id, 0))
    return worst


class HealthController(Controller):
    """For load balancers, orchestrators and Prometheus (no authentication)."""

    tags = ["operations"]
    opt = {PUBLIC: True}

    @get("/healthz", summary="Liveness")
    async def healthz(self) -> Health:
        """The process is up (no dependency is checked)."""
        return Health(status="ok")

    @get(
        "/readyz",
        summary="Readiness",
        responses={
            503: ResponseSpec(
                data_container=Readiness,
                description="Not ready: the database does not answer, a read model is too far"
                " behind, or the projector started with this API does not run",
                generate_examples=False,
            )
        },
    )
    async def readyz(self, runtime: RuntimeDep) -> Response[Readiness]:
        """200 when the database answers, no read model is too far behind and the projector
        started with this API (if any) runs, once it caught up what it found at its start;
        else 503. A tenant the projector keeps failing on is counted in failing_tenants
        (status "degraded", still 200), and its lag not held against readiness: it would
        fail every process alike, and so every other tenant."""
        running = runtime.projector_running
        failing = set(runtime.projector.failures) if runtime.projector else set()
        try:
            await runtime.pool.fetchval("SELECT 1")
        except (asyncpg.PostgresError, OSError):
            down = Readiness(
                status="unavailable", database="down", max_lag=None, lagging_tenants=None,
                projector_running=running, failing_tenants=len(failing),
            )  # fmt: skip
            return Response(down, status_code=503)
        try:
            worst = worst_by_tenant(await projector_lag(runtime.pool))
        except asyncpg.PostgresError:  # read-model tables not made yet
            worst = None
        judged = None if worst is None else [v for t, v in worst.items() if t not in failing]
        max_lag = max(judged, default=0) if judged is not None else None
        ready = (
            max_lag is not None
            and max_lag <= runtime.settings.ready_max_lag
            and (runtime.projector is None or running)
        )
        status = "unavailable" if not ready else "degraded" if failing else "ready"
        body = Readiness(
            status=status, database="ok", max_lag=max_lag,
            lagging_tenants=None if worst is None else sum(1 for v in worst.values() if v > 0),
            projector_running=running, failing_tenants=len(failing),
        )  # fmt: skip
        return Response(body, status_code=200 if ready else 503)

    @get("/metrics", summary="Prometheus metrics", media_type=CONTENT_TYPE)
    async def metrics(self, runtime: RuntimeDep, request: Request[Any, Any, Any]) -> str:
        """Requests by route and status, durations, and projector lag over all tenants; with
        OKR_METRICS_TOKEN set, only to `Authorization: Bearer <it>` (401 otherwise), and
        per tenant too."""
        token = runtime.settings.metrics_token
        if token is not None:
            _check_metrics_token(request.headers, token)
        try:
            lag = await projector_lag(runtime.pool)
        except (asyncpg.PostgresError, OSError):
            lag = {}
        worst = worst_by_tenant(lag)
        failures = runtime.projector.failures if runtime.projector else {}
        gauges: Gauges = {
            "okr_projector_max_lag_events": (
                "Largest lag of each read model over all tenants.",
                [({"projection": p}, float(max(v.values(), default=0))) for p, v in lag.items()],
            ),
            "okr_projector_lagging_tenants": (
                "Tenants a read model of which has events still to apply.",
                [({}, float(sum(1 for v in worst.values() if v > 0)))],
            ),
            "okr_projector_running": (
                "1 while the projector started with this API runs.",
                [({}, float(runtime.projector_running))],
            ),
            "okr_projector_failing_tenants": (
                "Tenants whose events do not decode or fold: the projector's last pass failed.",
                [({}, float(len(failures)))],
            ),
        }
        if token is not None:  # who the tenants are: to the token's holder alone
            gauges |= _per_tenant(worst, failures)
        return runtime.metrics.render(gauges)


Gauges = dict[str, tuple[str, list[tuple[dict[str, str], float]]]]


def _per_tenant(worst: dict[UUID, int], failures: dict[UUID, int]) -> Gauges:
    return {
        "okr_projector_lag_events": (
            "Events the slowest read model of the tenant has still to apply.",
            [({"tenant_id": str(t)}, float(v)) for t, v in sorted(worst.items())],
        ),
        "okr_projector_failing_attempts": (
            "Failed passes in a row of a tenant whose events do not decode or fold.",
            [({"tenant_id": str(t)}, float(n)) for t, n in sorted(failures.items())],
        ),
    }


def _check_metrics_token(headers: Headers, token: str) -> None:
    """InvalidCredentialsError (401, naming Authorization) unless the request bears it."""
    given = bearer_token(headers)
    if given is None:
        raise InvalidCredentialsError(
            "the metrics need Authorization: Bearer <OKR_METRICS_TOKEN>",
            field="Authorization", rule="missing_token",
        )  # fmt: skip
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise InvalidCredentialsError(
            "not the metrics token", field="Authorization", rule="invalid_token"
        )
