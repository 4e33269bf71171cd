"""What the API needs at run time, wired once by create_app and kept on app.state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from litestar.types import Scope

from services.api.metrics import Metrics
from services.app import OKRApplication
from services.bootstrap import System
from services.read.people import People
from services.settings import Settings
from tenants.directory import get_tenant
from tenants.models import Tenant
from tenants.ratelimit import LoginRateLimiter
from tenants.tokens import TokenSettings

CADENCE_TTL = 60.0


class RunningProjector(Protocol):
    """A projector the API was started with: in a child process (okr serve), or a task
    beside the app (tests)."""

    @property
    def running(self) -> bool: ...

    @property
    def failures(self) -> dict[UUID, int]:
        """Tenants whose events do not decode or fold: failed passes in a row each."""
        ...


class MissingSecretError(RuntimeError):
    """The API cannot sign tokens: no JWT secret was configured."""


@dataclass
class ApiRuntime:
    """The wired parts the handlers, guards and middleware use."""

    system: System
    settings: Settings
    okr: OKRApplication
    tokens: TokenSettings
    limiter: LoginRateLimiter
    people: People
    """Names of the actors in history lines (a tenant's cached for a minute)."""
    metrics: Metrics = field(default_factory=Metrics)
    projector: RunningProjector | None = None
    """The projector this API was started with (okr serve's child process), if any."""
    _settings: dict[UUID, tuple[float, Tenant]] = field(default_factory=dict)

    @property
    def pool(self) -> asyncpg.Pool:
        return self.system.pool

    @property
    def projector_running(self) -> bool:
        """Whether the projector started with this API runs now."""
        return self.projector is not None and self.projector.running

    async def cadence_days(self, tenant_id: UUID) -> int:
        """The tenant's check-in cadence (staleness), cached for a minute."""
        return (await self._tenant(tenant_id)).check_in_cadence_days

    async def zone(self, tenant_id: UUID) -> ZoneInfo:
        """The tenant's time zone (where its days begin), cached for a minute."""
        return (await self._tenant(tenant_id)).zone

    async def language(self, tenant_id: UUID) -> str:
        """The tenant's language ("it", "en": its locale's, without a region), cached so."""
        return (await self._tenant(tenant_id)).locale.partition("-")[0]

    async def _tenant(self, tenant_id: UUID) -> Tenant:
        now = time.monotonic()
        cached = self._settings.get(tenant_id)
        if cached is None or now - cached[0] > CADENCE_TTL:
            cached = (now, await get_tenant(self.pool, tenant_id))
            self._settings[tenant_id] = cached
        return cached[1]

    def forget_settings(self, tenant_id: UUID) -> None:
        self._settings.pop(tenant_id, None)

    def forget_tenant(self, tenant_id: UUID) -> None:
        """Keep nothing of an erased tenant in this process: its settings, its people's
        names (its cipher key: AccessCommands.erase_tenant)."""
        self.forget_settings(tenant_id)
        self.people.forget(tenant_id)

    @classmethod
    def wire(
        cls, system: System, settings: Settings, projector: RunningProjector | None = None
    ) -> ApiRuntime:
        if not settings.jwt_secret:
            raise MissingSecretError("set OKR_JWT_SECRET (32 bytes or more) to serve the API")
        tokens = TokenSettings(
            secret=settings.jwt_secret,
            access_ttl=timedelta(minutes=settings.access_token_minutes),
            refresh_ttl=timedelta(days=settings.refresh_token_days),
            refresh_reuse=timedelta(seconds=settings.refresh_reuse_seconds),
        )
        return cls(
            system=system,
            settings=settings,
            okr=OKRApplication(system.repository),
            tokens=tokens,
            limiter=LoginRateLimiter(system.pool),
            people=People(system.pool),
            projector=projector,
        )


def runtime_of(scope: Scope | Any) -> ApiRuntime:
    """The runtime of the app serving this connection (a scope or a Request)."""
    app = scope["app"] if isinstance(scope, dict) else scope.app
    runtime: ApiRuntime = app.state.okr_runtime
    return runtime
