"""Who is acting, and with which role in each tenant. Pure: resolving one needs the database
(tenants.users.resolve_user_principal, tenants.api_keys.authenticate_api_key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal
from uuid import UUID

from tenants.errors import PermissionDeniedError, UnknownTenantError
from tenants.roles import ROLE_PERMISSIONS, Permission, Role, refusal

PrincipalKind = Literal["user", "api_key"]


@dataclass(frozen=True, eq=False)
class Principal:
    """A user or an API key, with its grants resolved once per request.

    ``grants`` holds every tenant it may act on (consultancy-admin reach included) with its
    strongest role there; a platform admin acts on every tenant without being listed.
    """

    kind: PrincipalKind
    id: UUID
    display_name: str
    is_platform_admin: bool = False
    grants: Mapping[UUID, Role] = field(default_factory=dict)
    consultancy_roles: Mapping[UUID, Role] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grants", MappingProxyType(dict(self.grants)))
        object.__setattr__(
            self, "consultancy_roles", MappingProxyType(dict(self.consultancy_roles))
        )

    @property
    def tenant_ids(self) -> frozenset[UUID]:
        """The tenants granted explicitly or through a consultancy (not platform-wide reach)."""
        return frozenset(self.grants)

    @property
    def actor(self) -> str:
        """How the event log names this principal: ``user:<uuid>`` or ``key:<uuid>``."""
        return f"{'user' if self.kind == 'user' else 'key'}:{self.id}"

    def role_in(self, tenant_id: UUID) -> Role | None:
        """The role here, or None: then the tenant must answer 404, never 403."""
        if self.is_platform_admin:
            return Role.PLATFORM_ADMIN
        return self.grants.get(tenant_id)

    def can(self, tenant_id: UUID, permission: Permission) -> bool:
        """Whether this principal may do ``permission`` in this tenant."""
        role = self.role_in(tenant_id)
        return role is not None and permission in ROLE_PERMISSIONS[role]

    def consultancy_role(self, consultancy_id: UUID) -> Role | None:
        """The role in this consultancy (platform admins hold every consultancy)."""
        if self.is_platform_admin:
            return Role.PLATFORM_ADMIN
        return self.consultancy_roles.get(consultancy_id)

    def can_in_consultancy(self, consultancy_id: UUID, permission: Permission) -> bool:
        """Consultancy-level rights (create_tenants, manage_users of the consultancy...).

        A consultant reaches only its assigned tenants: at consultancy level it may read the
        consultancy, nothing more, whatever its per-tenant permissions are.
        """
        role = self.consultancy_role(consultancy_id)
        if role == Role.CONSULTANT:
            return permission == Permission.READ
        return role is not None and permission in ROLE_PERMISSIONS[role]


def require(principal: Principal, tenant_id: UUID, permission: Permission) -> Role:
    """The principal's role in the tenant if it may do ``permission`` there.

    No role there: UnknownTenantError (answer 404, never 403: no existence oracle).
    A role without the permission: PermissionDeniedError (403).
    """
    role = principal.role_in(tenant_id)
    if role is None:
        raise UnknownTenantError(f"no tenant {tenant_id}", field="tenant_id")
    if permission not in ROLE_PERMISSIONS[role]:
        raise PermissionDeniedError(refusal(role, permission), rule=f"requires_{permission}")
    return role
