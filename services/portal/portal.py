"""The portal's parts, wired once from the running system (its composition root)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services import instants
from services.app import OKRApplication
from services.bootstrap import System
from services.portal.config import PortalSettings
from services.portal.pages import Pages
from services.portal.sessions import Signer
from services.projector.waiting import wait_for_position
from services.read.people import People
from tenants.models import Tenant
from tenants.ratelimit import LoginRateLimiter


@dataclass
class Portal:
    """Everything a portal handler needs besides the request."""

    system: System
    settings: PortalSettings
    signer: Signer
    pages: Pages
    people: People
    limiter: LoginRateLimiter
    app: OKRApplication
    read_wait_seconds: float = 2.0

    @classmethod
    def wire(cls, system: System, settings: Any, people: People | None = None) -> Portal:
        """The portal of a running system; ``settings`` are the application's Settings;
        ``people``: the API's names, one cache per process (a change of a tenant's people
        made through either is seen by both at once)."""
        own = PortalSettings.derive(settings)
        signer = Signer(own.secret, own.session_ttl)
        return cls(
            system=system,
            settings=own,
            signer=signer,
            pages=Pages(signer, secure_cookies=own.secure_cookies),
            people=people or People(system.pool),
            limiter=LoginRateLimiter(system.pool),
            app=OKRApplication(system.repository),
            read_wait_seconds=float(getattr(settings, "read_wait_seconds", 2.0)),
        )

    async def shows(self, tenant_id: UUID, position: int) -> None:
        """Wait (at most read_wait_seconds) until the views a page reads, its values and
        its history lines, stand at `position` of the tenant's log."""
        for projection in ("progress", "history"):
            await wait_for_position(
                self.system.pool, tenant_id, position, projection=projection,
                within=self.read_wait_seconds,
            )  # fmt: skip

    async def caught_up(self, tenant_id: UUID) -> None:
        """`shows` the tenant's log head: a form refused because another change came first
        shows it, and the value it says it showed is that one (else every retry is refused
        while the view lags)."""
        await self.shows(tenant_id, await self.system.store.head(tenant_id))

    @staticmethod
    def today(tenant: Tenant) -> date:
        """The business day the pages compute pace and status for: the tenant's, in its
        time zone."""
        return instants.today(tenant.zone)
