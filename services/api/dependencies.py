"""What handlers are given: the application, the acting context, If-Match, read-your-writes.

Also the two shapes every write answers with (``written`` / ``item``): stream version as
ETag, tenant position as X-OKR-Position.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any, TypeVar
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, QueryParameter

from projections.progress_state import ProgressView
from projections.progress_tree import ProgressTree
from projections.series import SeriesPoint
from services import instants, read
from services.api.observability import request_id_of
from services.api.openapi import READ_AS_OF
from services.api.pagination import MAX_POSITION, NOT_BELOW_ZERO
from services.api.problems import (
    BadPreconditionError,
    InvalidQueryError,
    NotFoundError,
    PreconditionFailedError,
    ReadModelBehindError,
)
from services.api.responses import Response
from services.api.runtime import ApiRuntime, runtime_of
from services.api.schemas.common import WriteResult
from services.api.security import principal_of
from services.app import Context, OKRApplication, Written
from services.app import base as app_base
from services.instants import UTC_RANGE, BeyondUTCError, Edge, instant
from services.projector.waiting import BeyondHeadError, wait_for_position
from tenants.principal import Principal

T = TypeVar("T")
POSITION = "X-OKR-Position"

RuntimeDep = NamedDependency[ApiRuntime]
OkrDep = NamedDependency[OKRApplication]
ContextDep = NamedDependency[Context]
PrincipalDep = NamedDependency[Principal]
IfMatchDep = NamedDependency[int | None]
MinPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_POSITION,
        schema_extra=NOT_BELOW_ZERO,
        description="Wait (briefly) until the view has applied this tenant position (the"
        " audit trail: until the log holds it, as it does once a command returned it);"
        " 503 if it has not in time, 422 at once for a position past the tenant's log.",
    ),
]


def provide_runtime(request: Request[Any, Any, Any]) -> ApiRuntime:
    return runtime_of(request)


def provide_okr(request: Request[Any, Any, Any]) -> OKRApplication:
    return runtime_of(request).okr


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


def provide_context(request: Request[Any, Any, Any], tenant_id: FromPath[UUID]) -> Context:
    """Who acts on which tenant; row-level security admits exactly this tenant."""
    principal = principal_of(request)
    return Context(
        tenant_id=tenant_id,
        actor=principal.actor,
        grants=(tenant_id,),
        correlation_id=request_id_of(request.scope),
    )


def provide_if_match(
    header: Annotated[
        str | None,
        HeaderParameter(
            name="If-Match",
            description='The ETag you read ("3"): the write answers 412 if the item moved on.'
            ' A weak tag (W/"3") never matches: 412.',
            max_length=64,
        ),
    ] = None,
) -> int | None:
    """The stream version of ``If-Match: "3"`` (None without the header, or for ``*``).

    If-Match compares entity tags strongly (RFC 9110, 13.1.1): a weak tag never matches, so
    one of weak tags only is 412, and of a list the strong tag is the version (two are 400:
    an item is at one). A tag is in quotes, and one of this API: 400 for anything else."""
    if header is None or header.strip() == "*":
        return None
    if not _ENTITY_TAGS.fullmatch(header):
        raise BadPreconditionError(
            'If-Match must be an ETag of this API in quotes, as ETag gives it: "3"',
            field="If-Match", rule="bad_etag",
        )  # fmt: skip
    strong = [int(tag) for weak, tag in _ENTITY_TAG.findall(header) if not weak]
    if not strong:
        raise PreconditionFailedError(
            'If-Match compares entity tags strongly: a weak one (W/"3") never matches;'
            ' send the ETag as given ("3")',
            field="If-Match", rule="weak_etag",
        )  # fmt: skip
    if len(strong) > 1:
        raise BadPreconditionError(
            "If-Match names more than one version: an item is at one, send its ETag",
            field="If-Match", rule="bad_etag",
        )  # fmt: skip
    return strong[0]


_TAG = r'(W/)?"([0-9]{1,9})"'
_ENTITY_TAG = re.compile(_TAG)
_ENTITY_TAGS = re.compile(rf"[ \t]*{_TAG}(?:[ \t]*,[ \t]*{_TAG})*[ \t]*")
"""An If-Match of entity tags of this API (a stream version in quotes, weak or not)."""


def source_of(ctx: Context) -> str:
    """Where a value came from: an integration's API key, or a person."""
    return "api" if ctx.actor.startswith("key:") else "manual"


async def tenant_today(runtime: ApiRuntime, tenant_id: UUID) -> date:
    """Today in the tenant's time zone: the default day of views whose status and pace
    depend on the day."""
    return instants.today(await runtime.zone(tenant_id))


DEPENDENCIES: Mapping[str, Provide] = {
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "okr": Provide(provide_okr, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "if_match": Provide(provide_if_match, sync_to_thread=False),
}
"""App-wide dependencies (``ctx`` is added on the tenant router, where tenant_id exists)."""

TENANT_DEPENDENCIES: Mapping[str, Provide] = {
    "ctx": Provide(provide_context, sync_to_thread=False),
}


Today = Annotated[
    date | None,
    QueryParameter(
        description="The day of pace and status (default: today, in the tenant's time zone):"
        " 1900-01-01 to 2199-12-31, as every business date. Not with valid_at, which is"
        " that day too."
    ),
]
ValidAt = Annotated[
    date | None,
    QueryParameter(
        description="Values of this business date, as known now (1900-01-01 on, not a day"
        " still to come); pace, status and staleness are of that day too, and the answer's"
        " `today` is it."
    ),
]
AsOf = Annotated[
    str | None,
    QueryParameter(
        description="What the system knew at this instant (ISO 8601; a date: by its end, in"
        " the tenant's time zone).",
        max_length=64,
    ),
]
AsOfPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_POSITION,
        schema_extra=NOT_BELOW_ZERO,
        description="What it knew at this tenant position, or at the last event the command"
        " of that position recorded with it (they commit together: the log never stood"
        " between them; the answer's position says where it stands). Not with as_of: one or"
        " the other.",
    ),
]


def query_instant(text: str | None, field: str, edge: Edge, zone: tzinfo = UTC) -> datetime | None:
    """A query parameter's instant (see services.instants; a date's in `zone`, the tenant's),
    or 422 naming the field."""
    if text is None:
        return None
    try:
        return instant(text, edge, zone)
    except BeyondUTCError:
        raise InvalidQueryError(
            f"{field} must be an instant {UTC_RANGE}",
            field=field,
            rule="out_of_range",
        ) from None
    except ValueError:
        form = f"{field} must be an ISO 8601 instant or date, as 2026-10-15T09:30:00Z or 2026-10-15"
        message = _plus_read_as_space(text, field) or form
        raise InvalidQueryError(message, field=field, rule="invalid_date") from None


def _plus_read_as_space(text: str, field: str) -> str | None:
    """What to say of an instant whose offset's "+" came as a space (a URL reads an unencoded
    "+" as one: `date -Ins` pasted into a URL), else None."""
    written, space, offset = text.rpartition(" ")
    if not space or not re.fullmatch(r"\d{2}(:?\d{2})?", offset):
        return None
    try:
        instant(f"{written}+{offset}", "first")
    except ValueError:
        return None
    return (
        f'{field} has a space where its offset\'s "+" goes: a URL reads an unencoded "+" as a'
        f" space, so write it %2B ({written}%2B{offset})"
    )


async def caught_up(
    runtime: ApiRuntime,
    tenant_id: UUID,
    min_position: int | None,
    projection: str | None,
    field: str | None = "min_position",
) -> None:
    """Read-your-writes: wait briefly until ``projection`` (None: the log itself) applied
    ``min_position`` (503 if not, naming ``field``: the parameter that asked for it, None
    for a wait of the server's own); 422 at once for a position past the tenant's log head,
    which no command returned."""
    if not min_position:
        return
    within = runtime.settings.read_wait_seconds
    try:
        reached = await wait_for_position(
            runtime.pool, tenant_id, min_position, projection=projection, within=within
        )
    except BeyondHeadError as beyond:
        raise InvalidQueryError(
            f"{field} {min_position} is past this tenant's log, which ends at position"
            f" {beyond.head}: use the X-OKR-Position a write answered with",
            field=field,
            rule="beyond_head",
        ) from None
    if not reached:
        raise ReadModelBehindError(
            f"the {projection or 'log'} view has not reached position {min_position} yet",
            field=field,
            rule="not_reached",
            headers={"Retry-After": "1"},
        )


async def refuse_a_day_to_come(
    runtime: ApiRuntime, tenant_id: UUID, valid_at: date | None, today: date | None = None
) -> None:
    """422 for a ?valid_at= still to come where the tenant's days begin: no value is of such
    a day (a check-in for it is refused, see services.app.base.Commands.today), and a view
    of it says every item is stale; and for ?today= beside it, which would not be used
    (valid_at is the day of pace, status and staleness too)."""
    if valid_at is not None and valid_at > await _commands_today(runtime, tenant_id):
        raise InvalidQueryError(
            f"valid_at {valid_at} is a day still to come", field="valid_at", rule="in_the_future"
        )
    if valid_at is not None and today is not None:
        raise InvalidQueryError(
            "give today or valid_at, not both: valid_at is the day of pace and status too",
            field="today", rule="with_valid_at",
        )  # fmt: skip


async def _commands_today(runtime: ApiRuntime, tenant_id: UUID) -> date:
    """The tenant's day by the commands' clock: the last a value may be of."""
    return app_base.now().astimezone(await runtime.zone(tenant_id)).date()


async def within_log(
    runtime: ApiRuntime, tenant_id: UUID, as_of_position: int | None, as_of: str | None
) -> None:
    """422 for an as_of_position past the tenant's log (as for min_position): the log never
    stood there, and answering its head would pass a mistyped position for a real one; and
    for both as_of and as_of_position, two points in time (one was quietly not used)."""
    if as_of_position is None:
        return
    if as_of is not None:
        raise InvalidQueryError(
            "give as_of or as_of_position, not both: each is a point in the log's time",
            field="as_of_position",
            rule="one_point_in_time",
        )
    await within_head(runtime, tenant_id, as_of_position, "as_of_position")


async def within_head(runtime: ApiRuntime, tenant_id: UUID, position: int, field: str) -> None:
    """422 naming ``field`` for a position past the tenant's log: the log never stood there
    (a mistyped position, another tenant's)."""
    head = await runtime.system.store.head(tenant_id)
    if position > head:
        raise InvalidQueryError(
            f"{field} {position} is past this tenant's log, which ends at position {head}",
            field=field,
            rule="beyond_head",
        )


async def as_of_moment(
    runtime: ApiRuntime,
    tenant_id: UUID,
    as_of: str | None,
    as_of_position: int | None,
    min_position: int | None,
) -> tuple[tzinfo, datetime | None]:
    """For a view as of an instant (`as_of`, not past now) and/or a position of the log: its
    tenant's zone and the instant, once both are found in the log (else 422 naming them)
    and `min_position` is (the view is read from the log)."""
    await within_log(runtime, tenant_id, as_of_position, as_of)
    await caught_up(runtime, tenant_id, min_position, None)
    zone = await runtime.zone(tenant_id)
    return zone, as_of_instant(as_of, zone)


def as_of_instant(as_of: str | None, zone: tzinfo) -> datetime | None:
    """The instant an `as_of` reads (a date: its last instant, in the tenant's zone), not
    past now: one still to come is read as now (read_as_of says which)."""
    moment = query_instant(as_of, "as_of", "last", zone)
    return None if moment is None else instants.not_after_now(moment)


def read_as_of(moment: datetime | None) -> dict[str, str]:
    """The X-OKR-Read-As-Of header of a view read as of `moment` (not past now); none for a
    view of now or of a position alone."""
    return {} if moment is None else {READ_AS_OF: moment.astimezone(UTC).isoformat()}


async def series_of(
    runtime: ApiRuntime,
    tenant_id: UUID,
    item_id: UUID,
    item_kind: str,
    min_position: int | None,
    as_of: str | None,
    as_of_position: int | None,
) -> tuple[ProgressView, list[SeriesPoint], dict[str, str]]:
    """A key result's or KPI's points, with the progress state that gives its pace line and
    thresholds: now (once both views applied ``min_position``; the points the state has
    seen), or as they stood at an instant and/or position (the points recorded by then,
    which the view must have applied, and the state replayed to there), and the headers
    saying the instant read (read_as_of)."""
    moment = None
    if as_of is None and as_of_position is None:
        await caught_up(runtime, tenant_id, min_position, "progress")
        state = await read.item_progress(runtime.pool, tenant_id, item_id)
        upto = state.last_position  # and the series view there too (being refilled, maybe)
        await caught_up(
            runtime, tenant_id, upto, "series", "min_position" if min_position else None
        )
    else:
        await within_log(runtime, tenant_id, as_of_position, as_of)
        await caught_up(runtime, tenant_id, min_position, "series")
        moment = as_of_instant(as_of, await runtime.zone(tenant_id))
        upto = await read.known_position(
            runtime.pool, tenant_id, position=as_of_position, recorded_at=moment
        )
        field = "as_of" if as_of is not None else "as_of_position"
        await caught_up(runtime, tenant_id, upto, "series", field)
        state = await read.state_as_of(runtime.system.repository, tenant_id, position=upto)
    points = await read.series(runtime.pool, tenant_id, item_id, item_kind, upto)
    return state, points, read_as_of(moment)


def not_known_at(field: str, what: str, position: int) -> NotFoundError:
    """404 for an item that is (or was) in the log, not in the view at this position: asked
    as of a point before it was made, or before the view applied it."""
    return NotFoundError(
        f"no such {what} in the view as it stands at position {position}",
        field=field,
        rule="not_yet",
    )


def filters_in_view(
    state: ProgressView, cycle_id: UUID | None, **objective_ids: UUID | None
) -> None:
    """404 naming the filter of a list (`cycle_id`, or an objective's: `objective_id`,
    `parent_id`) that names a cycle or objective the tenant does not have: an empty page
    would say nothing of why (a mistyped id, another tenant's)."""
    if cycle_id is not None and cycle_id not in state.cycles:
        raise NotFoundError(f"no cycle {cycle_id} in this tenant", field="cycle_id")
    for field, objective_id in objective_ids.items():
        if objective_id is not None and objective_id not in state.objectives:
            raise NotFoundError(f"no objective {objective_id} in this tenant", field=field)


async def progress_tree_of(
    runtime: ApiRuntime,
    tenant_id: UUID,
    min_position: int | None,
    *,
    today: date | None,
    cycle_id: UUID | None,
    valid_at: date | None = None,
    pick: read.Pick | None = None,
) -> ProgressTree:
    """The progress read model, once it applied ``min_position``, on ``today`` (default:
    the tenant's today), of the cycles `pick` picks (by default ``cycle_id``, or every
    one); 404 naming cycle_id for a cycle the tenant does not have (an empty tree would
    say nothing of why)."""
    await caught_up(runtime, tenant_id, min_position, "progress")
    tree = await read.progress_tree(
        runtime.pool, tenant_id, today=today or await tenant_today(runtime, tenant_id),
        cycle_id=cycle_id, pick=pick,
        valid_at=valid_at, cadence_days=await runtime.cadence_days(tenant_id),
    )  # fmt: skip
    if cycle_id is not None and not tree.cycles:
        raise NotFoundError(f"no cycle {cycle_id} in this tenant", field="cycle_id")
    return tree


async def written(
    okr: OKRApplication,
    ctx: Context,
    result: Written,
    *,
    status_code: int = 200,
    location: str | None = None,
) -> Response[WriteResult]:
    """A write's answer: what it recorded, ETag = new version, X-OKR-Position = position.
    One that recorded nothing (PATCH {}, the values the item has, the parent it has)
    answers the item's version and the log's head, as a tenancy write does (with_position):
    a position to read from, not 0, which no log has."""
    if not result.position:
        head = await okr.repository.store.head(ctx.tenant_id)
        result = dataclasses.replace(result, positions=[head])  # (the answer's, not written)
    headers = {"ETag": f'"{result.version}"', POSITION: str(result.position)}
    if location is not None:
        headers["Location"] = location
    return Response(WriteResult.of(result), status_code=status_code, headers=headers)


def item(content: T, version: int) -> Response[T]:
    """An item read from its stream, with its version as ETag."""
    return Response(content, headers={"ETag": f'"{version}"'})


async def with_position(
    runtime: ApiRuntime,
    tenant_id: UUID,
    content: T,
    status_code: int = 200,
    position: int = 0,
    headers: Mapping[str, str] | None = None,
) -> Response[T]:
    """A tenancy write (settings, members, keys, status) at the log's `position` of the
    change it recorded (the tenant's names are read again: its people may have changed);
    one that changed nothing (0) answers the tenant's head."""
    if position:
        runtime.people.forget(tenant_id)
    else:
        position = await runtime.system.store.head(tenant_id)
    return Response(
        content, status_code=status_code, headers={**(headers or {}), POSITION: str(position)}
    )
