"""Consultancies, their client tenants (create, list, suspend), members and portfolio."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from projections.portfolio import PortfolioRow
from services import instants, read
from services.api import lookups
from services.api.dependencies import (
    POSITION,
    TENANT_DEPENDENCIES,
    ContextDep,
    OkrDep,
    PrincipalDep,
    RuntimeDep,
    Today,
    with_position,
)
from services.api.idempotency import PLATFORM
from services.api.openapi import LOCATION, POSITION_WRITTEN
from services.api.pagination import Cursor, Limit, paginate
from services.api.responses import Response
from services.api.runtime import ApiRuntime
from services.api.schemas.common import Out, Page
from services.api.schemas.tenancy import (
    ConsultancyIn,
    ConsultancyMemberIn,
    ConsultancyRoleIn,
    EraseIn,
    OptionalReasonIn,
    TenantIn,
    reason_of,
)
from services.api.security import (
    requires_consultancy_create_tenants,
    requires_consultancy_erase,
    requires_consultancy_manage_users,
    requires_consultancy_read,
    requires_platform_admin,
)
from services.app import Context, OKRApplication
from tenants import directory, memberships
from tenants.errors import UnknownTenantError
from tenants.models import (
    Consultancy,
    ConsultancyMember,
    ConsultancyPerson,
    ErasedTenant,
    PasswordLink,
    Tenant,
)
from tenants.principal import Principal

V1 = "/api/v1"


class PortfolioEntry(Out):
    """One client of the consultancy on a day: the tenant and its summary."""

    tenant: Tenant
    summary: PortfolioRow


class ConsultancyController(Controller):
    """Consultancies and the client tenants they run."""

    path = "/consultancies"
    tags = ["consultancies"]

    @get("/", summary="List consultancies")
    async def list_consultancies(
        self,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Consultancy]:
        """The consultancies you belong to (every one for a platform admin)."""
        ids = None if principal.is_platform_admin else list(principal.consultancy_roles)
        found = await lookups.consultancies(runtime.pool, ids)
        return paginate(found, lambda c: (str(c.id),), cursor, limit)

    @post(
        "/",
        guards=[requires_platform_admin],
        response_headers=[LOCATION],
        summary="Create a consultancy",
    )
    async def create_consultancy(
        self, data: JSONBody[ConsultancyIn], runtime: RuntimeDep
    ) -> Response[Consultancy]:
        """A new consultancy (platform admins only)."""
        made = await directory.create_consultancy(runtime.pool, data.name, consultancy_id=data.id)
        location = f"{V1}/consultancies/{made.id}"
        return Response(made, status_code=HTTP_201_CREATED, headers={"Location": location})

    @get("/{consultancy_id:uuid}", guards=[requires_consultancy_read], summary="Get a consultancy")
    async def get_consultancy(
        self, consultancy_id: FromPath[UUID], runtime: RuntimeDep
    ) -> Consultancy:
        return await directory.get_consultancy(runtime.pool, consultancy_id)

    @get(
        "/{consultancy_id:uuid}/tenants",
        guards=[requires_consultancy_read],
        summary="List the consultancy's tenants",
    )
    async def list_consultancy_tenants(
        self,
        consultancy_id: FromPath[UUID],
        principal: PrincipalDep,
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Tenant]:
        """Its client tenants you can reach (a consultant: the ones it is assigned to)."""
        mine = await _reachable_tenants(runtime, principal, consultancy_id)
        return paginate(mine, lambda t: (str(t.id),), cursor, limit)

    @post(
        "/{consultancy_id:uuid}/tenants",
        guards=[requires_consultancy_create_tenants],
        response_headers=[LOCATION, POSITION_WRITTEN],
        summary="Create a client tenant",
    )
    async def create_tenant(
        self,
        consultancy_id: FromPath[UUID],
        data: JSONBody[TenantIn],
        principal: PrincipalDep,
        okr: OkrDep,
    ) -> Response[Tenant]:
        """Its log begins with who made it, with which settings (okr.SettingsChange.Created
        with no settings before): X-OKR-Position is that event's. With `encrypted: true`
        every event of its log, that first one too, is stored encrypted with a key of its
        own (the answer's `encrypted` says which; never the key)."""
        tenant, position = await okr.settings.create_tenant(
            consultancy_id, data.name, principal.actor, slug=data.slug, colour=data.colour,
            fiscal_year_start_month=data.fiscal_year_start_month,
            check_in_cadence_days=data.check_in_cadence_days, locale=data.locale,
            time_zone=data.time_zone, tenant_id=data.id, encrypted=data.encrypted,
        )  # fmt: skip
        headers = {"Location": f"{V1}/tenants/{tenant.id}", POSITION: str(position)}
        return Response(tenant, status_code=HTTP_201_CREATED, headers=headers)

    @post(
        "/{consultancy_id:uuid}/tenants/{tenant_id:uuid}/suspend",
        guards=[requires_consultancy_create_tenants],
        dependencies=dict(TENANT_DEPENDENCIES),
        status_code=200,
        response_headers=[POSITION_WRITTEN],
        summary="Suspend a tenant",
    )
    async def suspend_tenant(
        self,
        consultancy_id: FromPath[UUID],
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        data: JSONBody[OptionalReasonIn | None] = None,
    ) -> Response[Tenant]:
        """Its members and API keys lose access at once; its data stays. Recorded in its
        log (okr.AccessChange.Created, subject "tenant"), with the reason if the body gives
        one; once suspended, nothing more."""
        return await _set_status(runtime, okr, ctx, consultancy_id, data, suspended=True)

    @post(
        "/{consultancy_id:uuid}/tenants/{tenant_id:uuid}/reactivate",
        guards=[requires_consultancy_create_tenants],
        dependencies=dict(TENANT_DEPENDENCIES),
        status_code=200,
        response_headers=[POSITION_WRITTEN],
        summary="Reactivate a tenant",
    )
    async def reactivate_tenant(
        self,
        consultancy_id: FromPath[UUID],
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        data: JSONBody[OptionalReasonIn | None] = None,
    ) -> Response[Tenant]:
        """Its members and API keys reach it again (recorded in its log, as a suspension)."""
        return await _set_status(runtime, okr, ctx, consultancy_id, data, suspended=False)

    @post(
        "/{consultancy_id:uuid}/tenants/{tenant_id:uuid}/erase",
        guards=[requires_consultancy_erase],
        opt={"idempotency": PLATFORM},  # its tenant's keys go with it
        status_code=200,
        summary="Erase a suspended tenant for good",
    )
    async def erase_tenant(
        self,
        consultancy_id: FromPath[UUID],
        tenant_id: FromPath[UUID],
        data: JSONBody[EraseIn],
        principal: PrincipalDep,
        runtime: RuntimeDep,
        okr: OkrDep,
    ) -> ErasedTenant:
        """Every row of the tenant goes, in every table: its log (the events, their hash
        chain, its cipher key), its read models, its members and API keys. It cannot be
        undone: export the tenant first if its data is wanted. Only a suspended tenant, and
        `confirm` must be its slug. The answer, also kept in the consultancy's list of erased
        tenants, says who erased it, when, and where its log stood (events, last hash)."""
        await _tenant_of(runtime, consultancy_id, tenant_id)
        erased = await okr.access.erase_tenant(tenant_id, data.confirm, principal.actor)
        runtime.forget_tenant(tenant_id)
        return erased

    @get(
        "/{consultancy_id:uuid}/erased-tenants",
        guards=[requires_consultancy_erase],
        summary="List the consultancy's erased tenants",
    )
    async def list_erased_tenants(
        self,
        consultancy_id: FromPath[UUID],
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[ErasedTenant]:
        """Which of its tenants were erased, by whom and when, the earliest first."""
        found = await directory.erased_tenants(runtime.pool, consultancy_id)
        return paginate(found, lambda e: (e.erased_at.isoformat(), str(e.tenant_id)), cursor, limit)

    @get(
        "/{consultancy_id:uuid}/members",
        guards=[requires_consultancy_manage_users],
        summary="List consultancy members",
    )
    async def list_members(
        self,
        consultancy_id: FromPath[UUID],
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[ConsultancyPerson]:
        """Its admins and consultants, each with who they are (email and name), as a
        tenant's member list says them."""
        found = await memberships.list_consultancy_people(runtime.pool, consultancy_id)
        return paginate(found, lambda m: (str(m.user_id),), cursor, limit)

    @post(
        "/{consultancy_id:uuid}/members",
        guards=[requires_consultancy_manage_users],
        summary="Add a consultancy member",
    )
    async def add_member(
        self,
        consultancy_id: FromPath[UUID],
        data: JSONBody[ConsultancyMemberIn],
        principal: PrincipalDep,
        okr: OkrDep,
        runtime: RuntimeDep,
    ) -> Response[ConsultancyPerson]:
        """Make a person (invited by email if new) a consultancy admin or a consultant (the
        answer says who they are, as the member list does). An
        admin reaches every client tenant of the consultancy: it is recorded in each one's
        log (okr.AccessChange.Created), as any other change of who reaches it, with the
        body's `reason` if given (as a removal's: read there by whoever may read its audit
        trail)."""
        member = await okr.access.invite_consultancy_member(
            consultancy_id, data.email, data.display_name, data.role, principal, data.reason
        )
        runtime.people.forget_every()  # an admin is named in each client at once
        return Response(await _person(runtime, member), status_code=HTTP_201_CREATED)

    @patch(
        "/{consultancy_id:uuid}/members/{user_id:uuid}",
        guards=[requires_consultancy_manage_users],
        summary="Change a consultancy member's role",
    )
    async def set_member_role(
        self,
        consultancy_id: FromPath[UUID],
        user_id: FromPath[UUID],
        data: JSONBody[ConsultancyRoleIn],
        principal: PrincipalDep,
        okr: OkrDep,
        runtime: RuntimeDep,
    ) -> ConsultancyPerson:
        """An admin made a consultant, or the other way: each client tenant whose reach by
        the person changes records it in its log, with the body's `reason` if given (as a
        removal's). The consultancy's last admin stays one."""
        member = await okr.access.change_consultancy_role(
            consultancy_id, user_id, data.role, principal.actor, data.reason
        )
        runtime.people.forget_every()
        return await _person(runtime, member)

    @delete(
        "/{consultancy_id:uuid}/members/{user_id:uuid}",
        guards=[requires_consultancy_manage_users],
        summary="Remove a consultancy member",
        responses={204: ResponseSpec(data_container=None, description="Removed")},
    )
    async def remove_member(
        self,
        consultancy_id: FromPath[UUID],
        user_id: FromPath[UUID],
        principal: PrincipalDep,
        okr: OkrDep,
        runtime: RuntimeDep,
        data: JSONBody[OptionalReasonIn | None] = None,
    ) -> None:
        """The person leaves the consultancy: an admin's reach of every client ends, and so
        does every role they hold in its clients, a client admin's too (each change
        recorded in that tenant's log).
        Their account stays. The consultancy's last admin cannot be removed. The body may
        say why: `{"reason": "..."}`, kept with the change in the log of each client whose
        reach it changes, read there by whoever may read its audit trail."""
        await okr.access.remove_consultancy_member(
            consultancy_id, user_id, principal.actor, reason_of(data)
        )
        runtime.people.forget_every()

    @post(
        "/{consultancy_id:uuid}/members/{user_id:uuid}/password-link",
        guards=[requires_consultancy_manage_users],
        summary="Make a password link for a consultancy member",
    )
    async def member_password_link(
        self,
        consultancy_id: FromPath[UUID],
        user_id: FromPath[UUID],
        principal: PrincipalDep,
        okr: OkrDep,
    ) -> Response[PasswordLink]:
        """As for a tenant's member (POST /tenants/{id}/users/{user_id}/password-link): a
        one-time link with which a consultancy member added without a password chooses one,
        recorded in the log of each client they reach."""
        link = await okr.access.make_consultancy_password_link(consultancy_id, user_id, principal)
        return Response(link, status_code=HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @get(
        "/{consultancy_id:uuid}/portfolio",
        guards=[requires_consultancy_read],
        summary="Portfolio of the consultancy's clients",
    )
    async def portfolio(
        self,
        consultancy_id: FromPath[UUID],
        principal: PrincipalDep,
        runtime: RuntimeDep,
        today: Today = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[PortfolioEntry]:
        """Each client you reach: progress, key results by status, KPIs needing attention;
        a page of them as every list of the API (100 unless `limit` says, 500 at most; the
        rest after `next_cursor`), oldest client first. (It answered every client in a bare
        array: a client that reads an array now fails on the page, rather than miss the
        clients past the first hundred.) A client made meanwhile comes on a later page."""
        mine = await _reachable_tenants(runtime, principal, consultancy_id)
        page = paginate(mine, _oldest_first, cursor, limit)
        rows = await read.portfolio(
            runtime.pool, [t.id for t in page.items],
            today=today or {t.id: instants.today(t.zone) for t in page.items},
            cadence_days={t.id: t.check_in_cadence_days for t in page.items},
        )  # fmt: skip
        entries = [PortfolioEntry(tenant=t, summary=rows[t.id]) for t in page.items]
        return Page(items=entries, next_cursor=page.next_cursor)


def _oldest_first(tenant: Tenant) -> tuple[str, str]:
    """The portfolio's order (the directory's): when made, then id."""
    return tenant.created_at.isoformat(timespec="microseconds"), str(tenant.id)


async def _set_status(
    runtime: ApiRuntime,
    okr: OKRApplication,
    ctx: Context,
    consultancy_id: UUID,
    data: OptionalReasonIn | None,
    *,
    suspended: bool,
) -> Response[Tenant]:
    await _tenant_of(runtime, consultancy_id, ctx.tenant_id)
    reason = reason_of(data)
    tenant, position = await okr.access.set_status(ctx, suspended=suspended, reason=reason)
    return await with_position(runtime, ctx.tenant_id, tenant, position=position)


async def _tenant_of(runtime: ApiRuntime, consultancy_id: UUID, tenant_id: UUID) -> Tenant:
    tenant = await directory.get_tenant(runtime.pool, tenant_id)
    if tenant.consultancy_id != consultancy_id:
        raise UnknownTenantError("not found", field="tenant_id")
    return tenant


async def _reachable_tenants(
    runtime: ApiRuntime, principal: Principal, consultancy_id: UUID
) -> list[Tenant]:
    """The consultancy's client tenants the principal holds a role in."""
    found = await directory.list_consultancy_tenants(runtime.pool, consultancy_id)
    return [t for t in found if principal.role_in(t.id) is not None]


async def _person(runtime: ApiRuntime, member: ConsultancyMember) -> ConsultancyPerson:
    """The member just added or changed, with who they are (email and name)."""
    [person] = await memberships.list_consultancy_people(
        runtime.pool, member.consultancy_id, member.user_id
    )
    return person
