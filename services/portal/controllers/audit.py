"""The audit trail for those who may read it: every event with its hash, the chain verified,
and the whole trail as CSV.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import Stream

from projections.audit import audit_csv
from services.portal.dependencies import LocaleDep, PortalDep, TenantDep, ViewerDep
from services.portal.errors import ForbiddenError
from services.portal.views import csv_download
from services.read import audit
from services.store.chain import verify_chain
from tenants.roles import Permission

PAGE = 100


def requires_audit(viewer: ViewerDep, tenant: TenantDep) -> None:
    if not viewer.can(tenant.id, Permission.READ_AUDIT):
        raise ForbiddenError


class AuditController(Controller):
    """/t/{tenant_id}/audit and /audit.csv."""

    path = "/t/{tenant_id:str}"

    @get("/audit", name="portal:audit")
    async def trail(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        after: FromQuery[int | None] = None,
        verify: FromQuery[bool] = False,
    ) -> Response[Any]:
        requires_audit(viewer, tenant)
        entries = await audit(
            portal.system.repository, tenant.id, after_position=after, limit=PAGE + 1
        )
        report = await verify_chain(portal.system.pool, tenant.id) if verify else None
        names = await portal.people.names(tenant.id, {e.actor for e in entries})
        shown = entries[:PAGE]
        return portal.pages.render(
            request, "audit.html", locale=locale, viewer=viewer, tenant=tenant,
            section="audit", entries=shown, names=names, report=report, after=after,
            more=shown[-1].position if len(entries) > PAGE else None, can_audit=True,
        )  # fmt: skip

    @get("/audit.csv", name="portal:audit-csv")
    async def trail_csv(self, portal: PortalDep, viewer: ViewerDep, tenant: TenantDep) -> Stream:
        requires_audit(viewer, tenant)

        async def rows() -> AsyncIterator[str]:
            after: int | None = None
            first = True
            while True:
                entries = await audit(
                    portal.system.repository, tenant.id, after_position=after, limit=1000
                )
                lines = list(audit_csv(entries))
                yield "".join(lines if first else lines[1:])
                first = False
                if len(entries) < 1000:
                    return
                after = entries[-1].position

        return csv_download(rows(), tenant.slug, "audit", portal.today())
