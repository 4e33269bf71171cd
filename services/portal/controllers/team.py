"""/consultancies/{consultancy_id}/people: the consultancy's own people, for its admins.

As a company's people page (services.portal.controllers.people), through the API's own
commands: a consultancy admin (or a platform admin) invites a person as a consultancy admin
or a consultant, changes their role, removes them, and makes the one-time link with which
one invited chooses a password (shown once). Each change is recorded in the log of every
client whose reach by the person it changes (services.app.access._in_consultancy), with
the reason given, if any, as a company's changes of access may say why. A consultant reaches
only the clients where they hold a membership (assigned as consultant on the client's people
page, or one of the client's own people there): the page lists them, each with that role,
and every one of them ends when the person leaves the consultancy.
A refusal (an email of no shape, a person of the consultancy already, its last admin
leaving) is said beside its field, and changes nothing.

A consultant of the consultancy, or a person of one of its clients, gets the 403 page; anyone
else the 404 page, as for a consultancy that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from domain.errors import DomainError
from services.i18n import Locale
from services.portal.controllers.key_results import domain_message
from services.portal.controllers.people import read_invitation, run_access_change
from services.portal.dependencies import FormDep, LocaleDep, PortalDep, ViewerDep, parse_id
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.once import Shown, forget_once, show_once, shown_once
from services.portal.planning import Planned, typed
from services.portal.portal import Portal
from tenants import memberships
from tenants.directory import get_consultancy, list_consultancy_tenants
from tenants.errors import TenancyError, UnknownConsultancyError
from tenants.models import Consultancy, ConsultancyPerson, Tenant
from tenants.principal import Principal
from tenants.roles import Permission, Role

T = TypeVar("T")

_ADMIN = "consultancy_admin"
TEAM_ROLES = (_ADMIN, "consultant")


async def provide_consultancy(
    consultancy_id: FromPath[str], viewer: ViewerDep, portal: PortalDep
) -> Consultancy:
    """The consultancy of the URL if the viewer manages its people; the 403 page for its
    consultants and its clients' people; else the same 404 as no consultancy."""
    cid = parse_id(consultancy_id)
    try:
        consultancy = await get_consultancy(portal.system.pool, cid)
    except UnknownConsultancyError:
        raise PageNotFoundError from None
    if viewer.can_in_consultancy(cid, Permission.MANAGE_USERS):
        return consultancy
    if viewer.consultancy_role(cid) is not None:
        raise ForbiddenError
    served = await list_consultancy_tenants(portal.system.pool, cid)
    if viewer.tenant_ids & {t.id for t in served}:
        raise ForbiddenError
    raise PageNotFoundError


ConsultancyDep = NamedDependency[Consultancy]


class TeamController(Controller):
    """The people of a consultancy."""

    path = "/consultancies/{consultancy_id:str}/people"
    dependencies = {"consultancy": Provide(provide_consultancy)}

    @get("/", name="portal:team")
    async def show(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        consultancy: ConsultancyDep,
        done: FromQuery[str | None] = None,
        shown: FromQuery[str | None] = None,
    ) -> Response[Any]:
        said = done if done in _DONE else None
        once = shown_once(request, portal, viewer, consultancy.id)
        if once is None and shown == "link":  # shown already (a reload, a replay)
            said = "link_shown_before"
        response = await _page(request, portal, locale, viewer, consultancy, said=said, shown=once)
        forget_once(request, portal, _path(consultancy), response)
        return response

    @post("/invite", name="portal:team-invite")
    async def invite(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        consultancy: ConsultancyDep,
        form: FormDep,
    ) -> Response[Any]:
        """Make a person a consultancy admin or a consultant (an account without a password
        is made if new), with a reason if given, in the log of each client they reach."""
        planned = read_invitation(form, locale)
        role = planned.choice("role", TEAM_ROLES)
        if not planned.errors:
            done = await run_access_change(
                portal, planned, None,
                _unpositioned(portal.app.access.invite_consultancy_member(
                    consultancy.id, planned.typed["email"], planned.typed["name"], role, viewer,
                    planned.typed["reason"] or None,
                )),
                {"email": "email", "display_name": "name", "role": "role", "reason": "reason"},
                _words,
            )  # fmt: skip
            if done is not None:
                return _done(consultancy, "invited")
        return await _page(
            request, portal, locale, viewer, consultancy, planned=planned, status=422
        )

    @post("/{user_id:str}/role", name="portal:team-role")
    async def change_role(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        consultancy: ConsultancyDep,
        user_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Make a member an admin or a consultant (the same role changes nothing), with a
        reason if given, in the log of each client whose reach it changes."""
        member = parse_id(user_id)
        planned = Planned("role", str(member), typed(form, ("role", "reason")), locale)
        role = planned.choice("role", TEAM_ROLES)
        if not planned.errors:
            before = await _role_of(portal, consultancy, member)
            done = await run_access_change(
                portal, planned, None,
                _unpositioned(portal.app.access.change_consultancy_role(
                    consultancy.id, member, role, viewer.actor, planned.typed["reason"] or None
                )),
                {"role": "role", "reason": "reason"}, _words,
            )  # fmt: skip
            if done is not None:
                said = "role_same" if before == role else "role_changed"
                return _done(consultancy, said, left=member == viewer.id and role != _ADMIN)
        return await _page(
            request, portal, locale, viewer, consultancy, planned=planned, status=422
        )

    @post("/{user_id:str}/remove", name="portal:team-remove")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        consultancy: ConsultancyDep,
        user_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Take a member out of the consultancy: they reach none of its clients any more
        (their assignments stay, granting nothing); their account stays. A reason, if
        given, is in the log of each client whose reach it changes."""
        member = parse_id(user_id)
        planned = Planned("remove", str(member), typed(form, ("reason",)), locale)
        done = await run_access_change(
            portal, planned, None,
            _unpositioned(portal.app.access.remove_consultancy_member(
                consultancy.id, member, viewer.actor, planned.typed["reason"] or None
            )),
            {"reason": "reason"}, _words,
        )  # fmt: skip
        if done is None:
            return await _page(
                request, portal, locale, viewer, consultancy, planned=planned, status=422
            )
        return _done(consultancy, "removed", left=member == viewer.id)

    @post("/{user_id:str}/password-link", name="portal:team-password-link")
    async def password_link(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        consultancy: ConsultancyDep,
        user_id: FromPath[str],
        form: FormDep,  # (the CSRF token and the Origin, checked as for every POST)
    ) -> Response[Any]:
        """A one-time link with which an invited member chooses a password, shown on this
        page only (valid 7 days; a new one replaces it): hand it to them."""
        member = parse_id(user_id)
        planned = Planned("link", str(member), {}, locale)
        made = await run_access_change(
            portal, planned, None,
            _unpositioned(portal.app.access.make_consultancy_password_link(
                consultancy.id, member, viewer
            )),
            {}, _words,
        )  # fmt: skip
        if made is None:
            return await _page(
                request, portal, locale, viewer, consultancy, planned=planned, status=409
            )
        link = f"{request.base_url}welcome?token={made[0].token}"
        return show_once(portal, viewer, _path(consultancy), consultancy.id, Shown("link", link))


_DONE = frozenset({"invited", "role_changed", "role_same", "removed"})


def _path(consultancy: Consultancy) -> str:
    return f"/consultancies/{consultancy.id}/people"


def _done(consultancy: Consultancy, said: str, *, left: bool = False) -> Redirect:
    """The page again, saying what was done (a reload repeats nothing); the viewer's home
    when they `left` its admins (the page is theirs no more)."""
    if left:
        return Redirect(path="/", status_code=303)
    return Redirect(path=f"{_path(consultancy)}?done={said}", status_code=303)


async def _unpositioned(command: Awaitable[T]) -> tuple[T, int]:
    """A consultancy's change, written in its clients' logs (no one position to wait for)."""
    return await command, 0


def _kept_admins(people: list[ConsultancyPerson]) -> set[UUID]:
    """The admins who may neither be made consultants nor removed (their change is refused,
    so not offered): the last admin, and the last who can sign in."""
    admins = [p for p in people if p.role == Role.CONSULTANCY_ADMIN]
    kept = set()
    for admin in admins:
        others = [o for o in admins if o.user_id != admin.user_id]
        if not others or (admin.has_password and not any(o.has_password for o in others)):
            kept.add(admin.user_id)
    return kept


def _words(locale: Locale, error: TenancyError | DomainError) -> str:
    """A refusal in the reader's words; its last admin leaving is the consultancy's."""
    if error.rule == "last_admin":
        return locale.t("team.last_admin")
    return domain_message(locale, error)


async def _role_of(portal: Portal, consultancy: Consultancy, member: UUID) -> str | None:
    people = await memberships.list_consultancy_people(portal.system.pool, consultancy.id)
    return next((str(p.role) for p in people if p.user_id == member), None)


def _clients_of(
    person: ConsultancyPerson, tenants: list[Tenant], held: dict[UUID, dict[UUID, Role]]
) -> list[tuple[Tenant, Role]] | None:
    """The clients a consultant reaches through a membership, by name, each with the role
    they hold there: assigned as consultant, or one of the client's own people (None: an
    admin, who reaches all as the consultancy's admin)."""
    if person.role != Role.CONSULTANT:
        return None
    mine = held.get(person.user_id, {})
    reached = sorted((t for t in tenants if t.id in mine), key=lambda t: t.name.casefold())
    return [(t, mine[t.id]) for t in reached]


async def _page(
    request: Request[Any, Any, Any],
    portal: Portal,
    locale: Locale,
    viewer: Principal,
    consultancy: Consultancy,
    *,
    planned: Planned | None = None,
    said: str | None = None,
    shown: Shown | None = None,
    status: int = 200,
) -> Response[Any]:
    """The page: the members, each consultant's clients (with their role there), with what
    was just done, or the form that failed, or a password link shown once."""
    pool = portal.system.pool
    people = await memberships.list_consultancy_people(pool, consultancy.id)
    tenants = await list_consultancy_tenants(pool, consultancy.id)
    held = await memberships.membership_roles(pool, [t.id for t in tenants])
    members = [(p, _clients_of(p, tenants, held))
               for p in sorted(people, key=lambda p: p.display_name.casefold())]  # fmt: skip
    response = portal.pages.render(
        request, "team.html", locale=locale, viewer=viewer, consultancy=consultancy,
        section="team", status=status, members=members, planned=planned, said=said,
        shown=shown, member_roles=[(r, locale.t(f"role.{r}")) for r in TEAM_ROLES],
        kept=_kept_admins(people),
    )  # fmt: skip
    if shown is not None:  # shown once: kept by no cache
        response.headers["Cache-Control"] = "no-store"
    return response
