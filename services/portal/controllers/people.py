"""/t/{tenant_id}/people: the company's people and API keys, for whoever manages them.

A client admin invites a person with a role, changes a role, removes one, and makes the
one-time link with which an invited person chooses a password (there is no mail: they hand
it over); makes an API key for an integration (its secret shown once, on the page that made
it) and revokes one. Every change is recorded in the tenant's log, as the API's are, with
the reason given, if any (an invitation, a change of role, a removal, a revocation may say
why), read in its history by whoever may read its audit trail. A refusal (an email of no
shape, the company's last admin stepping down, an account that reaches beyond what the
admin manages, a reason with nothing to read) is said beside its field, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import UUID

from asyncpg import Pool
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from domain import values
from domain.errors import DomainError
from services.app import Context
from services.i18n import Locale
from services.portal.controllers.key_results import domain_message
from services.portal.dependencies import (
    FormDep,
    LocaleDep,
    PortalDep,
    TenantDep,
    ViewerDep,
    parse_id,
)
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.once import Shown, forget_once, show_once, shown_once
from services.portal.planning import Planned, typed
from services.portal.portal import Portal
from services.projector.waiting import wait_for_position
from tenants import api_keys, memberships, validation
from tenants.errors import TenancyError, UnknownApiKeyError, UnknownMembershipError
from tenants.models import Membership, Tenant
from tenants.principal import Principal
from tenants.roles import Permission, Role

T = TypeVar("T")

MEMBER_ROLES = ("client_admin", "client_member", "client_viewer", "consultant")
CLIENT_ROLES = MEMBER_ROLES[:3]
"""The roles of the company's own people: those a client admin gives."""
KEY_ROLES = ("client_member", "client_viewer")
INVITE_FIELDS = ("email", "name", "role")


def read_invitation(form: FormDep, locale: LocaleDep) -> Planned:
    """An invitation's form (a company's or a consultancy's), its email, name and reason
    checked as its command checks them, all at once; its role is the caller's to choose."""
    planned = Planned("invite", "", typed(form, (*INVITE_FIELDS, "reason")), locale)
    planned.text("email", validation.email)
    planned.text("name", lambda text: validation.name(text, "display_name"))
    planned.optional("reason", values.optional_reason)
    return planned


class PeopleController(Controller):
    """The people and keys of a tenant."""

    path = "/t/{tenant_id:str}/people"

    @get("/", name="portal:people")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        done: FromQuery[str | None] = None,
        shown: FromQuery[str | None] = None,
    ) -> Response[Any]:
        _may_see(viewer, tenant)
        said = done if done in _DONE else None
        once = shown_once(request, portal, viewer, tenant.id)
        if once is None and shown in ("key", "link"):  # shown already (a reload, a replay)
            said = f"{shown}_shown_before"
        response = await _page(request, portal, locale, viewer, tenant, said=said, shown=once)
        forget_once(request, portal, _path(tenant), response)
        return response

    @post("/invite", name="portal:invite")
    async def invite(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        form: FormDep,
    ) -> Response[Any]:
        """Give a person a role here (an account without a password is made if new), with a
        reason if given."""
        _may(viewer, tenant, Permission.MANAGE_USERS)
        planned = read_invitation(form, locale)
        role = planned.choice("role", MEMBER_ROLES)
        if not planned.errors:
            inviter = viewer.id if viewer.kind == "user" else None
            done = await run_access_change(
                portal, planned, tenant.id,
                portal.app.access.invite(
                    _ctx(tenant, viewer), planned.typed["email"], planned.typed["name"], role,
                    planned.typed["reason"] or None, inviter=inviter,
                ),
                {"email": "email", "display_name": "name", "role": "role", "reason": "reason"},
            )  # fmt: skip
            if done is not None:
                return _done(tenant, "invited")
        return await _page(request, portal, locale, viewer, tenant, planned=planned, status=422)

    @post("/{user_id:str}/role", name="portal:member-role")
    async def change_role(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        user_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Give a member another role (the same one changes nothing), with a reason if
        given."""
        _may(viewer, tenant, Permission.MANAGE_USERS)
        member = parse_id(user_id)
        planned = Planned("role", str(member), typed(form, ("role", "reason")), locale)
        role = planned.choice("role", MEMBER_ROLES)
        if not planned.errors:
            done = await run_access_change(
                portal, planned, tenant.id,
                portal.app.access.change_role(
                    _ctx(tenant, viewer), member, role, planned.typed["reason"] or None
                ),
                {"role": "role", "reason": "reason"},
            )  # fmt: skip
            if done is not None:
                return _done(tenant, "role_changed" if done[1] else "role_same")
        return await _page(request, portal, locale, viewer, tenant, planned=planned, status=422)

    @post("/{user_id:str}/remove", name="portal:member-remove")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        user_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Take a member's role away (their account stays), with a reason if given."""
        _may(viewer, tenant, Permission.MANAGE_USERS)
        member = parse_id(user_id)
        planned = Planned("remove", str(member), typed(form, ("reason",)), locale)
        done = await run_access_change(
            portal, planned, tenant.id,
            positioned(portal.app.access.remove(
                _ctx(tenant, viewer), member, planned.typed["reason"] or None
            )),
            {"reason": "reason"},
        )  # fmt: skip
        if done is not None:
            return _done(tenant, "removed")
        return await _page(request, portal, locale, viewer, tenant, planned=planned, status=422)

    @post("/{user_id:str}/password-link", name="portal:password-link")
    async def password_link(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        user_id: FromPath[str],
        form: FormDep,  # (the CSRF token and the Origin, checked as for every POST)
    ) -> Response[Any]:
        """A one-time link with which an invited member chooses a password, shown on this
        page only (valid 7 days; a new one replaces it): hand it to them."""
        _may(viewer, tenant, Permission.MANAGE_USERS)
        member = parse_id(user_id)
        planned = Planned("link", str(member), {}, locale)
        made = await run_access_change(
            portal, planned, tenant.id,
            portal.app.access.make_password_link(_ctx(tenant, viewer), member, viewer), {},
        )  # fmt: skip
        if made is None:
            return await _page(request, portal, locale, viewer, tenant, planned=planned, status=409)
        link = f"{request.base_url}welcome?token={made[0].token}"
        return show_once(portal, viewer, _path(tenant), tenant.id, Shown("link", link))

    @post("/keys", name="portal:key-create")
    async def create_key(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        form: FormDep,
    ) -> Response[Any]:
        """A new API key for an integration; its secret shown on this page only."""
        _may(viewer, tenant, Permission.MANAGE_API_KEYS)
        planned = Planned("key", "", typed(form, ("name", "role")), locale)
        planned.text("name")
        role = planned.choice("role", KEY_ROLES)
        if not planned.errors:
            creator = viewer.id if viewer.kind == "user" else None
            made = await run_access_change(
                portal, planned, tenant.id,
                portal.app.access.create_key(
                    _ctx(tenant, viewer), planned.typed["name"], role, creator
                ),
                {"name": "name", "role": "role"},
            )  # fmt: skip
            if made is not None:
                key = Shown("key", made[0].plaintext)
                return show_once(portal, viewer, _path(tenant), tenant.id, key)
        return await _page(request, portal, locale, viewer, tenant, planned=planned, status=422)

    @post("/keys/{key_id:str}/revoke", name="portal:key-revoke")
    async def revoke_key(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        key_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Revoke a key: it stops authenticating at once."""
        _may(viewer, tenant, Permission.MANAGE_API_KEYS)
        key = parse_id(key_id)
        planned = Planned("revoke", str(key), typed(form, ("reason",)), locale)
        done = await run_access_change(
            portal, planned, tenant.id,
            portal.app.access.revoke_key(
                _ctx(tenant, viewer), key, planned.typed["reason"] or None
            ),
            {"reason": "reason"},
        )  # fmt: skip
        if done is not None:
            return _done(tenant, "revoked")
        return await _page(request, portal, locale, viewer, tenant, planned=planned, status=422)


_DONE = frozenset({"invited", "role_changed", "role_same", "removed", "revoked"})


def _path(tenant: Tenant) -> str:
    return f"/t/{tenant.id}/people"


def _done(tenant: Tenant, said: str) -> Redirect:
    """The page again, saying what was done (a reload repeats nothing)."""
    return Redirect(path=f"{_path(tenant)}?done={said}", status_code=303)


def _may_see(viewer: Principal, tenant: Tenant) -> None:
    if not (
        viewer.can(tenant.id, Permission.MANAGE_USERS)
        or viewer.can(tenant.id, Permission.MANAGE_API_KEYS)
    ):
        raise ForbiddenError


def _may(viewer: Principal, tenant: Tenant, permission: Permission) -> None:
    if not viewer.can(tenant.id, permission):
        raise ForbiddenError


def _ctx(tenant: Tenant, viewer: Principal) -> Context:
    return Context(tenant.id, viewer.actor)


async def positioned(position: Awaitable[int]) -> tuple[None, int]:
    """A command that answers only its position, as one that answers what it made too."""
    return None, await position


async def run_access_change(
    portal: Portal,
    planned: Planned,
    log_of: UUID | None,
    command: Awaitable[tuple[T, int]],
    fields: dict[str, str],
    words: Callable[[Locale, TenancyError | DomainError], str] = domain_message,
) -> tuple[T, int] | None:
    """Run a change of a tenant's people, keys, settings or access (a consultancy's people:
    `log_of` None) and wait until its history line is in the tenant `log_of`'s; its result
    and its position (0: it changed nothing, or no one tenant's), or None and its refusal
    said, in `words`, beside the form's field (`fields` maps the refusal's field to it; else
    the form's own). A person or key not of here is the 404 page."""
    try:
        result, position = await command
    except (UnknownMembershipError, UnknownApiKeyError):
        raise PageNotFoundError from None
    except (TenancyError, DomainError) as error:  # (a reason the log's event refuses)
        field = fields.get(error.field or "", "form")
        planned.errors[field] = words(planned.locale, error)
        return None
    if log_of is None:
        portal.people.forget_every()  # a consultancy's people: named in each of its clients
    elif position:
        portal.people.forget(log_of)
    if position and log_of is not None:
        await wait_for_position(
            portal.system.pool, log_of, position, projection="history",
            within=portal.read_wait_seconds,
        )  # fmt: skip
    return result, position


def _last_admin(viewer: Principal, members: list[Membership]) -> UUID | None:
    """The viewer, where they are the company's last client admin who can sign in: their
    own role and access are not offered to change (the change is refused: nobody there
    could manage its people any more)."""
    admins = [m for m in members if m.role == Role.CLIENT_ADMIN and m.has_password]
    alone = len(admins) == 1 and admins[0].user_id == viewer.id
    return viewer.id if alone and viewer.kind == "user" else None


async def _consultancy_rule(
    pool: Pool, viewer: Principal, tenant: Tenant, members: list[Membership]
) -> tuple[frozenset[UUID], tuple[str, ...]]:
    """The members the viewer may not change nor remove, and the roles it may give: unless
    the viewer is one of the consultancy's admins, its people here are kept from them
    (memberships.may_manage_member, the rule the command enforces) and the consultant role
    is not offered (the consultancy staffs its clients: given by anyone else, it is refused
    whoever it is given to). Neither is offered, so neither is refused."""
    if await memberships.manages_consultancy_people(pool, tenant.id, viewer.actor):
        return frozenset(), MEMBER_ROLES
    return frozenset(m.user_id for m in members if m.of_consultancy), CLIENT_ROLES


async def _page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    tenant: Tenant,
    *,
    planned: Planned | None = None,
    said: str | None = None,
    shown: Shown | None = None,
    status: int = 200,
) -> Response[Any]:
    """The page: members (for whoever manages people), keys (for whoever manages keys),
    with what was just done, or the form that failed, or a link or a key shown once."""
    people = viewer.can(tenant.id, Permission.MANAGE_USERS)
    keys = viewer.can(tenant.id, Permission.MANAGE_API_KEYS)
    pool = portal.system.pool
    members = await memberships.list_members(pool, tenant.id) if people else []
    kept, roles = await _consultancy_rule(pool, viewer, tenant, members)
    listed = (
        await api_keys.list_api_keys(portal.system.pool, tenant.id, include_revoked=True)
        if keys
        else []
    )
    response = portal.pages.render(
        request, "people.html", locale=locale, viewer=viewer, tenant=tenant, section="people",
        status=status, members=sorted(members, key=lambda m: m.display_name.casefold()),
        keys=sorted(listed, key=lambda k: (k.revoked_at is not None, k.name.casefold())),
        can_people=people, can_keys=keys, planned=planned, said=said, shown=shown,
        last_admin=_last_admin(viewer, members),
        consultancy_kept=kept, member_roles=[(r, locale.t(f"role.{r}")) for r in roles],
        key_roles=[(r, locale.t(f"role.{r}")) for r in KEY_ROLES],
    )  # fmt: skip
    if shown is not None:  # shown once: kept by no cache
        response.headers["Cache-Control"] = "no-store"
    return response
