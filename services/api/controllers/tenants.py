"""The tenants you can reach, one tenant's settings, its members and its API keys."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from services.api import lookups
from services.api.dependencies import (
    TENANT_DEPENDENCIES,
    ContextDep,
    OkrDep,
    PrincipalDep,
    RuntimeDep,
    with_position,
)
from services.api.openapi import ANSWERED_ONCE, LOCATION
from services.api.pagination import Cursor, Limit, paginate
from services.api.responses import Response
from services.api.schemas.common import Page, given
from services.api.schemas.tenancy import (
    ApiKeyIn,
    MemberIn,
    OptionalReasonIn,
    PersonOfTenant,
    RoleIn,
    TenantSettingsIn,
    reason_of,
)
from services.api.security import (
    requires_edit_okrs,
    requires_manage_api_keys,
    requires_manage_users,
    requires_read,
)
from tenants import api_keys, directory, memberships
from tenants.models import ApiKey, CreatedApiKey, Membership, PasswordLink, Tenant


class TenantController(Controller):
    """Client tenants: the ones you reach, and one tenant's settings."""

    path = "/tenants"
    tags = ["tenants"]

    @get("/", summary="List your tenants")
    async def list_tenants(
        self,
        principal: PrincipalDep,
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Tenant]:
        """Every tenant you hold a role in (all of them for a platform admin)."""
        if principal.is_platform_admin:
            ids = await lookups.all_tenant_ids(runtime.pool)
        else:
            ids = list(principal.grants)
        found = await lookups.tenants(runtime.pool, ids)
        return paginate(found, lambda t: (str(t.id),), cursor, limit)

    @get("/{tenant_id:uuid}", guards=[requires_read], summary="Get a tenant")
    async def get_tenant(self, tenant_id: FromPath[UUID], runtime: RuntimeDep) -> Tenant:
        return await directory.get_tenant(runtime.pool, tenant_id)

    @patch(
        "/{tenant_id:uuid}",
        guards=[requires_manage_users],
        dependencies=dict(TENANT_DEPENDENCIES),
        summary="Change tenant settings",
    )
    async def update_tenant(
        self,
        tenant_id: FromPath[UUID],
        data: JSONBody[TenantSettingsIn],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        principal: PrincipalDep,
    ) -> Response[Tenant]:
        """Name, colour, fiscal year start, check-in cadence, locale, time zone (the slug never
        changes). A setting left out stays as it is; each always has a value: null for one
        is 422 `not_clearable` naming it (a reason null: none given).

        A change is recorded in the tenant's log (event okr.SettingsChange.Created, with every
        setting before and after): the audit trail and the history show it, and views as of
        an instant before it are shown with the cadence of then. Its position is the
        X-OKR-Position; a request that changes nothing writes nothing."""
        tenant, position = await okr.settings.change(
            ctx, name=given(data.name), colour=given(data.colour),
            fiscal_year_start_month=given(data.fiscal_year_start_month),
            check_in_cadence_days=given(data.check_in_cadence_days), locale=given(data.locale),
            time_zone=given(data.time_zone), encrypted=given(data.encrypted),
            reason=data.reason, by=principal,
        )  # fmt: skip
        runtime.forget_settings(tenant_id)
        return await with_position(runtime, tenant_id, tenant, position=position)


class PeopleController(Controller):
    """Whom the tenant's objectives, key results and KPIs may be given to: for those who
    edit them (a consultant who serves the tenant too), who do not manage its people and
    so may not list its members (`/users`, with emails and roles)."""

    path = "/people"
    tags = ["users"]
    guards = [requires_edit_okrs]

    @get("/", summary="List the people items may be given to")
    async def list_people(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[PersonOfTenant]:
        """Its members and its consultancy's admins, by name, with the id an owner is
        given as: who the portal offers as an owner, no more (no email, no role)."""
        names = await runtime.people.names(tenant_id)
        found = [PersonOfTenant(user_id=UUID(a.removeprefix("user:")), display_name=n)
                 for a, n in names.people()]  # fmt: skip
        return paginate(found, lambda p: (p.display_name.casefold(), str(p.user_id)), cursor, limit)


class UserController(Controller):
    """People of one tenant: invite, change role, remove. Each change is recorded in the
    tenant's log (okr.AccessChange.Created, subject "member"): the audit trail and the
    history show who gave whom which role, and when; the X-OKR-Position is its position."""

    path = "/users"
    tags = ["users"]
    guards = [requires_manage_users]

    @get("/", summary="List members")
    async def list_users(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Membership]:
        """Its members, each with `of_consultancy`: whether they are of its consultancy,
        whose admins alone change or end their role here."""
        found = await memberships.list_members(runtime.pool, tenant_id)
        return paginate(found, lambda m: (m.email, str(m.user_id)), cursor, limit)

    @post("/", summary="Invite a member")
    async def invite_user(
        self,
        tenant_id: FromPath[UUID],
        data: JSONBody[MemberIn],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        principal: PrincipalDep,
    ) -> Response[Membership]:
        """Give a person (made without a password if new) a role in this tenant. An email
        whose account reaches more than you manage (another client's person, another
        consultancy's; one that reaches nothing now, as a person removed: all it ever
        reached) is refused 409 `beyond`, the same answer for any: a platform admin, or
        whoever manages all it reaches, adds it."""
        inviter = principal.id if principal.kind == "user" else None
        member, position = await okr.access.invite(
            ctx, data.email, data.display_name, data.role, data.reason, inviter=inviter
        )
        return await with_position(runtime, tenant_id, member, HTTP_201_CREATED, position)

    @patch("/{user_id:uuid}", summary="Change a member's role")
    async def set_user_role(
        self,
        tenant_id: FromPath[UUID],
        user_id: FromPath[UUID],
        data: JSONBody[RoleIn],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
    ) -> Response[Membership]:
        """The same role again changes nothing and writes nothing. A client admin may not
        give up their own role as the company's last client admin (409 `last_admin`), nor
        change the role of the consultancy's people, which its admins manage (403
        `consultancy_person` naming `user_id`)."""
        member, position = await okr.access.change_role(ctx, user_id, data.role, data.reason)
        return await with_position(runtime, tenant_id, member, position=position)

    @delete(
        "/{user_id:uuid}",
        summary="Remove a member",
        responses={204: ResponseSpec(data_container=None, description="Removed")},
    )
    async def remove_user(
        self,
        tenant_id: FromPath[UUID],
        user_id: FromPath[UUID],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        data: JSONBody[OptionalReasonIn | None] = None,
    ) -> Response[None]:
        """The person loses their role here at once (its account stays). The body may say
        why: `{"reason": "..."}`, kept with the change in the log. A client admin may not
        remove themselves as the company's last client admin (409 `last_admin`), nor one
        of the consultancy's people (403 `consultancy_person` naming `user_id`)."""
        position = await okr.access.remove(ctx, user_id, reason_of(data))
        return await with_position(runtime, tenant_id, None, HTTP_204_NO_CONTENT, position)

    @post(
        "/{user_id:uuid}/password-link",
        opt={ANSWERED_ONCE: True},
        summary="Make a password link",
    )
    async def user_password_link(
        self,
        tenant_id: FromPath[UUID],
        user_id: FromPath[UUID],
        principal: PrincipalDep,
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
    ) -> Response[PasswordLink]:
        """A one-time link (its token shown in this answer only, valid 7 days) with which an
        invited member, whose account has no password yet, chooses one: hand it to them.
        A new link replaces the last. Recorded in the tenant's log (okr.AccessChange.Created,
        subject "password_link"): its maker could use it. Refused (409) for an account that
        has a password, or that reaches beyond what you manage."""
        link, position = await okr.access.make_password_link(ctx, user_id, principal)
        headers = {"Cache-Control": "no-store"}
        return await with_position(runtime, tenant_id, link, HTTP_201_CREATED, position, headers)


class ApiKeyController(Controller):
    """Tenant-scoped API keys for integrations (shown once, stored hashed). Making and
    revoking one is recorded in the tenant's log (okr.AccessChange.Created, subject
    "api_key")."""

    path = "/api-keys"
    tags = ["api-keys"]
    guards = [requires_manage_api_keys]

    @get("/", summary="List API keys")
    async def list_keys(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        include_revoked: FromQuery[bool] = False,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[ApiKey]:
        """The tenant's keys, never their secrets. A key is the tenant's and keeps working
        when the person who made it leaves or loses the right to manage keys; then its
        `creator_active` is false (they saw its secret): revoke it and make another."""
        found = await api_keys.list_api_keys(
            runtime.pool, tenant_id, include_revoked=include_revoked
        )
        return paginate(found, lambda k: (str(k.id),), cursor, limit)

    @get("/{key_id:uuid}", summary="Get an API key")
    async def get_key(
        self, tenant_id: FromPath[UUID], key_id: FromPath[UUID], runtime: RuntimeDep
    ) -> ApiKey:
        """One key as the list shows it, revoked or not, never its secret: where a new
        key's Location points."""
        return await api_keys.get_api_key(runtime.pool, tenant_id, key_id)

    @post(
        "/",
        opt={ANSWERED_ONCE: True},
        response_headers=[LOCATION],
        summary="Create an API key",
    )
    async def create_key(
        self,
        tenant_id: FromPath[UUID],
        data: JSONBody[ApiKeyIn],
        principal: PrincipalDep,
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
    ) -> Response[CreatedApiKey]:
        """The plaintext key is in this answer and nowhere else: keep it. (A retry with the
        same Idempotency-Key is told the key was made, 409, and never given it again.)"""
        creator = principal.id if principal.kind == "user" else None
        created, position = await okr.access.create_key(
            ctx, data.name, data.role, creator, data.reason
        )
        headers = {
            "Cache-Control": "no-store",
            "Location": f"/api/v1/tenants/{tenant_id}/api-keys/{created.key.id}",
        }
        return await with_position(runtime, tenant_id, created, HTTP_201_CREATED, position, headers)

    @delete("/{key_id:uuid}", status_code=200, summary="Revoke an API key")
    async def revoke_key(
        self,
        tenant_id: FromPath[UUID],
        key_id: FromPath[UUID],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        data: JSONBody[OptionalReasonIn | None] = None,
    ) -> Response[ApiKey]:
        """The key stops authenticating at once (revoking it again changes nothing). The
        body may say why: `{"reason": "..."}`."""
        revoked, position = await okr.access.revoke_key(ctx, key_id, reason_of(data))
        return await with_position(runtime, tenant_id, revoked, position=position)
