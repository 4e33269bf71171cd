"""Roles, permissions, and the one table that joins them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """What a principal is, platform-wide, in a consultancy, or in one tenant."""

    PLATFORM_ADMIN = "platform_admin"
    CONSULTANCY_ADMIN = "consultancy_admin"
    CONSULTANT = "consultant"
    CLIENT_ADMIN = "client_admin"
    CLIENT_MEMBER = "client_member"
    CLIENT_VIEWER = "client_viewer"


class Permission(StrEnum):
    """What a principal may do in a tenant."""

    READ = "read"
    CHECK_IN = "check_in"
    EDIT_OKRS = "edit_okrs"
    REVISE_TARGETS = "revise_targets"
    CLOSE_CYCLES = "close_cycles"
    MANAGE_USERS = "manage_users"
    MANAGE_API_KEYS = "manage_api_keys"
    CREATE_TENANTS = "create_tenants"
    READ_AUDIT = "read_audit"
    EXPORT = "export"
    ERASE = "erase"


P = Permission

DOING: Mapping[Permission, str] = MappingProxyType(
    {
        P.READ: "read this tenant",
        P.CHECK_IN: "check in",
        P.EDIT_OKRS: "edit OKRs",
        P.REVISE_TARGETS: "revise targets",
        P.CLOSE_CYCLES: "close cycles",
        P.MANAGE_USERS: "manage its people and settings",
        P.MANAGE_API_KEYS: "manage its API keys",
        P.CREATE_TENANTS: "create tenants",
        P.READ_AUDIT: "read the audit trail",
        P.EXPORT: "export",
        P.ERASE: "erase tenants",
    }
)
"""Each permission in words, for a refusal a person reads ("a client member may not ...")."""


def refusal(role: Role, permission: Permission) -> str:
    """Why a 403: "a client member may not manage its people and settings" (the role in
    words; the settings are the people's managers' too)."""
    return f"a {role.value.replace('_', ' ')} may not {DOING[permission]}"


_VIEWER = frozenset({P.READ})
_MEMBER = _VIEWER | {P.CHECK_IN}
_CLIENT_ADMIN = _MEMBER | {
    P.EDIT_OKRS, P.REVISE_TARGETS, P.MANAGE_USERS, P.MANAGE_API_KEYS, P.READ_AUDIT, P.EXPORT,
}  # fmt: skip
_CONSULTANT = _MEMBER | {P.EDIT_OKRS, P.REVISE_TARGETS, P.CLOSE_CYCLES, P.READ_AUDIT, P.EXPORT}
_EVERYTHING = frozenset(Permission)

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.PLATFORM_ADMIN: _EVERYTHING,
        Role.CONSULTANCY_ADMIN: _EVERYTHING,
        Role.CONSULTANT: _CONSULTANT,
        Role.CLIENT_ADMIN: _CLIENT_ADMIN,
        Role.CLIENT_MEMBER: _MEMBER,
        Role.CLIENT_VIEWER: _VIEWER,
    }
)
"""The single source of who may do what. Everything else asks it."""

MEMBERSHIP_ROLES = frozenset(
    {Role.CONSULTANT, Role.CLIENT_ADMIN, Role.CLIENT_MEMBER, Role.CLIENT_VIEWER}
)
"""Roles a user can hold in one tenant (memberships.role)."""

CONSULTANCY_ROLES = frozenset({Role.CONSULTANCY_ADMIN, Role.CONSULTANT})
"""Roles a user can hold in a consultancy (consultancy_members.role)."""

API_KEY_ROLES = frozenset({Role.CLIENT_VIEWER, Role.CLIENT_MEMBER})
"""Roles an API key can carry: integrations read and push values, never manage anything."""


def permission_table_markdown() -> str:
    """ROLE_PERMISSIONS as a Markdown table (permissions down, roles across), for the README."""
    roles = list(Role)
    lines = [
        "| permission | " + " | ".join(roles) + " |",
        "|---|" + "|".join(":-:" for _ in roles) + "|",
    ]
    for permission in Permission:
        marks = ("✓" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| {permission} | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"
