"""Who is calling and what they may do: bearer authentication once per request, then guards.

The middleware turns ``Authorization: Bearer <JWT or okr_ API key>`` into a Principal with its
grants (read now, never from the token) and puts it on the connection. Guards then ask the
one permission table: a tenant without a grant is 404 (UnknownTenantError), a role without
the permission is 403 (PermissionDeniedError), and so is a person's own tenant while it is
suspended (TenantSuspendedError: they are told, not that it does not exist). Handlers
marked ``opt={"public": True}`` skip authentication (sign-in, health, the schema).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import structlog
from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from services.api.runtime import runtime_of
from tenants.auth import authenticate_bearer
from tenants.directory import get_consultancy, get_tenant
from tenants.errors import (
    InvalidCredentialsError,
    PermissionDeniedError,
    UnknownConsultancyError,
    UnknownTenantError,
)
from tenants.memberships import refuse_if_suspended
from tenants.principal import Principal, require
from tenants.roles import Permission, refusal
from tenants.tokens import AUTHORIZATION

PUBLIC = "public"
"""Handler opt key: no authentication."""
SCHEMA_PATH = "/schema"

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def bearer_token(headers: Headers) -> str | None:
    """The credential of ``Authorization: Bearer <token>``, or None (InvalidCredentialsError,
    naming the header, for another scheme or none after Bearer)."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidCredentialsError(
            "use Authorization: Bearer <token>", field=AUTHORIZATION, rule="invalid_scheme"
        )
    return token.strip()


def is_schema_path(scope: Scope) -> bool:
    """The OpenAPI document and its docs pages are public."""
    path: str = scope["path"]
    return path == SCHEMA_PATH or path.startswith(SCHEMA_PATH + "/")


def is_public_scope(scope: Scope) -> bool:
    """No bearer needed: the schema pages, and OPTIONS (it lists methods, never data)."""
    return scope.get("method") == "OPTIONS" or is_schema_path(scope)


class BearerAuthMiddleware(ASGIMiddleware):
    """Resolve the principal once per request (401 when there is none)."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = PUBLIC
    should_bypass_for_scope = staticmethod(is_public_scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        runtime = runtime_of(scope)
        token = bearer_token(Headers.from_scope(scope))
        if token is None:
            raise InvalidCredentialsError(
                "authentication required", field=AUTHORIZATION, rule="missing_token"
            )
        principal = await authenticate_bearer(runtime.pool, runtime.tokens, token)
        scope["user"] = principal
        scope["auth"] = principal.kind
        structlog.contextvars.bind_contextvars(actor=principal.actor)
        await next_app(scope, receive, send)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated principal of this connection."""
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise InvalidCredentialsError(
            "authentication required", field=AUTHORIZATION, rule="missing_token"
        )
    return principal


def requires(permission: Permission) -> Guard:
    """A guard: the caller may do ``permission`` in the URL's tenant (404 / 403 otherwise)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        tenant_id: UUID = connection.path_params["tenant_id"]
        try:
            require(principal, tenant_id, permission)
        except UnknownTenantError:  # one of theirs, suspended: they are told so
            await refuse_if_suspended(runtime_of(connection).pool, principal, tenant_id)
            raise
        if tenant_id not in principal.grants:  # platform-wide reach: the tenant must exist
            await get_tenant(runtime_of(connection).pool, tenant_id)

    guard.__name__ = f"requires_{permission.value}"
    guard.permission = permission  # type: ignore[attr-defined]
    return guard


def requires_in_consultancy(permission: Permission) -> Guard:
    """A guard: the caller may do ``permission`` in the URL's consultancy (404 / 403)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        consultancy_id: UUID = connection.path_params["consultancy_id"]
        role = principal.consultancy_role(consultancy_id)
        if role is None:
            raise UnknownConsultancyError("not found", field="consultancy_id")
        if not principal.can_in_consultancy(consultancy_id, permission):
            raise PermissionDeniedError(refusal(role, permission), rule=f"requires_{permission}")
        if consultancy_id not in principal.consultancy_roles:
            await get_consultancy(runtime_of(connection).pool, consultancy_id)

    guard.__name__ = f"requires_consultancy_{permission.value}"
    guard.permission = permission  # type: ignore[attr-defined]
    return guard


async def requires_platform_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A guard: only a platform admin (creating consultancies)."""
    if not principal_of(connection).is_platform_admin:
        raise PermissionDeniedError(
            "only a platform admin may do this", rule="requires_platform_admin"
        )


requires_platform_admin.permission = Permission.CREATE_TENANTS  # type: ignore[attr-defined]

requires_read = requires(Permission.READ)
requires_check_in = requires(Permission.CHECK_IN)
requires_edit_okrs = requires(Permission.EDIT_OKRS)
requires_revise_targets = requires(Permission.REVISE_TARGETS)
requires_close_cycles = requires(Permission.CLOSE_CYCLES)
requires_manage_users = requires(Permission.MANAGE_USERS)
requires_manage_api_keys = requires(Permission.MANAGE_API_KEYS)
requires_read_audit = requires(Permission.READ_AUDIT)
requires_export = requires(Permission.EXPORT)
requires_consultancy_read = requires_in_consultancy(Permission.READ)
requires_consultancy_create_tenants = requires_in_consultancy(Permission.CREATE_TENANTS)
requires_consultancy_manage_users = requires_in_consultancy(Permission.MANAGE_USERS)
requires_consultancy_erase = requires_in_consultancy(Permission.ERASE)


def route_permission(handler: BaseRouteHandler) -> Permission | None:
    """The permission a route's guard asks for (None for routes any principal may call)."""
    for guard in handler.resolve_guards():
        permission = getattr(guard, "permission", None)
        if isinstance(permission, Permission):
            return permission
    return None
