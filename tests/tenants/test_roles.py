"""The permission table and the Principal that asks it: pure, no database."""

from __future__ import annotations

import uuid

import pytest

from tenants.errors import PermissionDeniedError, UnknownTenantError
from tenants.principal import Principal, require
from tenants.roles import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    permission_table_markdown,
    refusal,
)

P = Permission


def holding(role: Role) -> tuple[Principal, uuid.UUID]:
    tenant = uuid.uuid4()
    return Principal(kind="user", id=uuid.uuid4(), display_name="A", grants={tenant: role}), tenant


def test_a_viewer_reads_but_cannot_check_in() -> None:
    """Viewers watch progress; letting them record values would be a silent privilege leak."""
    viewer, tenant = holding(Role.CLIENT_VIEWER)
    assert viewer.can(tenant, P.READ)
    assert not viewer.can(tenant, P.CHECK_IN)


def test_a_member_checks_in_but_cannot_edit_okrs() -> None:
    """Members report progress on their KRs; shaping the OKRs is for admins and consultants."""
    member, tenant = holding(Role.CLIENT_MEMBER)
    assert member.can(tenant, P.CHECK_IN)
    assert not member.can(tenant, P.EDIT_OKRS)
    assert not member.can(tenant, P.REVISE_TARGETS)


def test_client_admin_manages_its_company_but_not_cycles_or_erasure() -> None:
    """A client admin runs its own people and keys; closing cycles and erasing belong upstream."""
    admin, tenant = holding(Role.CLIENT_ADMIN)
    assert {P.MANAGE_USERS, P.MANAGE_API_KEYS, P.EDIT_OKRS, P.EXPORT} <= ROLE_PERMISSIONS[
        Role.CLIENT_ADMIN
    ]
    assert not admin.can(tenant, P.CLOSE_CYCLES)
    assert not admin.can(tenant, P.ERASE)
    assert not admin.can(tenant, P.CREATE_TENANTS)


def test_consultant_runs_the_okr_process_but_manages_nobody() -> None:
    """Consultants close cycles and revise targets for clients, but a client's users are its own."""
    consultant, tenant = holding(Role.CONSULTANT)
    assert consultant.can(tenant, P.CLOSE_CYCLES)
    assert consultant.can(tenant, P.REVISE_TARGETS)
    assert not consultant.can(tenant, P.MANAGE_USERS)
    assert not consultant.can(tenant, P.MANAGE_API_KEYS)
    assert not consultant.can(tenant, P.ERASE)


def test_only_platform_and_consultancy_admins_erase_and_create_tenants() -> None:
    """Erasure is irreversible and tenants cost money: only the top two roles may do either."""
    for permission in (P.ERASE, P.CREATE_TENANTS):
        holders = {r for r, perms in ROLE_PERMISSIONS.items() if permission in perms}
        assert holders == {Role.PLATFORM_ADMIN, Role.CONSULTANCY_ADMIN}


def test_every_role_has_a_row_and_reads() -> None:
    """A role missing from the table would crash or deny at request time; every role can read."""
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert all(P.READ in perms for perms in ROLE_PERMISSIONS.values())


def test_no_grant_means_no_role_and_a_404() -> None:
    """Without a grant the tenant must look absent (404), not forbidden (403): no oracle."""
    viewer, tenant = holding(Role.CLIENT_VIEWER)
    other = uuid.uuid4()
    assert viewer.role_in(other) is None
    assert not viewer.can(other, P.READ)
    with pytest.raises(UnknownTenantError):
        require(viewer, other, P.READ)
    with pytest.raises(PermissionDeniedError) as denied:
        require(viewer, tenant, P.CHECK_IN)
    assert denied.value.rule == "requires_check_in"
    assert require(viewer, tenant, P.READ) == Role.CLIENT_VIEWER


def test_a_platform_admin_may_do_anything_anywhere() -> None:
    """The operator must reach any tenant (support, erasure) without being a member of it."""
    root = Principal(kind="user", id=uuid.uuid4(), display_name="Ops", is_platform_admin=True)
    anywhere = uuid.uuid4()
    assert root.role_in(anywhere) == Role.PLATFORM_ADMIN
    assert all(root.can(anywhere, p) for p in Permission)
    assert root.can_in_consultancy(uuid.uuid4(), P.CREATE_TENANTS)


def test_a_consultant_has_no_consultancy_wide_rights() -> None:
    """A consultant reaches its assigned clients only: it may not create tenants or manage staff."""
    firm = uuid.uuid4()
    consultant = Principal(
        kind="user", id=uuid.uuid4(), display_name="C", consultancy_roles={firm: Role.CONSULTANT}
    )
    assert consultant.can_in_consultancy(firm, P.READ)
    assert not consultant.can_in_consultancy(firm, P.CREATE_TENANTS)
    assert not consultant.can_in_consultancy(firm, P.CHECK_IN)
    assert not consultant.can_in_consultancy(uuid.uuid4(), P.READ)


def test_actor_names_user_and_key_for_the_event_log() -> None:
    """The audit trail must say who acted, and whether a person or an integration."""
    ident = uuid.uuid4()
    assert Principal(kind="user", id=ident, display_name="A").actor == f"user:{ident}"
    assert Principal(kind="api_key", id=ident, display_name="K").actor == f"key:{ident}"


def test_a_principal_cannot_be_changed_after_resolution() -> None:
    """Grants resolved once per request must not be widened by code further down the request."""
    viewer, tenant = holding(Role.CLIENT_VIEWER)
    with pytest.raises(TypeError):
        viewer.grants[uuid.uuid4()] = Role.CLIENT_ADMIN  # type: ignore[index]  # read-only: the point
    assert viewer.tenant_ids == frozenset({tenant})


def test_permission_table_renders_every_role_and_permission() -> None:
    """The README table is generated from ROLE_PERMISSIONS, so docs never drift from the code."""
    table = permission_table_markdown()
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(Permission)
    assert all(role in lines[0] for role in Role)
    viewer_column = list(Role).index(Role.CLIENT_VIEWER)
    check_in = next(line for line in lines if line.startswith("| check_in |"))
    assert check_in.strip("|").split("|")[1 + viewer_column].strip() == ""


def test_a_refusal_says_the_role_and_the_permission_in_words() -> None:
    """A 403 says what a person can read, not identifiers ("client_member may not
    manage_users"); every permission has its words."""
    principal, tenant = holding(Role.CLIENT_MEMBER)
    with pytest.raises(PermissionDeniedError) as refused:
        require(principal, tenant, P.MANAGE_USERS)
    assert refused.value.message == "a client member may not manage its people and settings"
    assert refused.value.rule == "requires_manage_users"
    assert [refusal(Role.CONSULTANT, p) for p in (P.EDIT_OKRS, P.ERASE)] == [
        "a consultant may not edit OKRs", "a consultant may not erase tenants",
    ]  # fmt: skip
    assert all("_" not in refusal(r, p) for r in Role for p in Permission)
