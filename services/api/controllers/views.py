"""The views: progress (now, as of, valid at), history, audit trail, chain check, diff, export."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.datastructures import ResponseHeader
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter
from litestar.response import Stream

from projections.audit import BOM, AuditEntry, audit_csv, audit_jsonl, json_line
from projections.codec import json_bytes
from projections.history import line_actors
from projections.history_text import KINDS as HISTORY_KINDS
from projections.history_text import LANGUAGES
from projections.progress_tree import ProgressTree
from projections.timetravel import Change
from services import instants, read
from services.api.dependencies import (
    AsOf,
    AsOfPosition,
    MinPosition,
    PrincipalDep,
    RuntimeDep,
    Today,
    ValidAt,
    as_of_moment,
    caught_up,
    not_known_at,
    progress_tree_of,
    query_instant,
    read_as_of,
    refuse_a_day_to_come,
    within_head,
)
from services.api.negotiation import accepted_language
from services.api.openapi import READ_AS_OF_HEADER
from services.api.pagination import (
    FORWARD,
    MAX_POSITION,
    NOT_BELOW_ZERO,
    Cursor,
    CycleCursor,
    CycleLimit,
    Limit,
    one_cycle_whole,
    position_after,
    position_cursor,
    position_key,
)
from services.api.problems import InvalidQueryError, NotFoundError
from services.api.responses import Response
from services.api.schemas.common import Page
from services.api.schemas.views import (
    ChainReportOut,
    CyclePage,
    DirectoryOut,
    HistoryPage,
    Person,
    ProgressPage,
)
from services.api.security import requires_export, requires_read, requires_read_audit
from services.history_words import Units, in_language, units_of
from services.instants import not_after_now
from services.projector.waiting import standing
from services.store.chain import verify_chain
from tenants import api_keys, directory, memberships
from tenants.roles import Permission

_BATCH = 1000
READ_TO = "X-OKR-Read-To"
"""The instant a diff's later side was read at: its `to`, or now for one still to come."""
JSON_LINES = "application/jsonl"
CSV = "text/csv"
"""Litestar adds "; charset=utf-8" to a text type itself."""

Since = Annotated[
    str | None,
    QueryParameter(
        description="Recorded at or after this instant (ISO 8601; a date: from its start, in"
        " the tenant's time zone).",
        max_length=64,
    ),
]
Until = Annotated[
    str | None,
    QueryParameter(
        description="Recorded before this instant (ISO 8601; a date: to its end, in the"
        " tenant's time zone).",
        max_length=64,
    ),
]
_PRINTABLE = r"^[^\x00-\x1f\x7f]+\Z"  # \Z: "$" would let a last line break through
Actor = Annotated[
    str | None,
    QueryParameter(
        description='Who, as the log writes it: "user:<uuid>", "key:<uuid>" (an id in any'
        ' case) or "system:<what>" ("system:operator": a password reset by an operator).',
        min_length=1,
        max_length=200,
        pattern=_PRINTABLE,
    ),
]
Topic = Annotated[
    str | None,
    QueryParameter(
        description="An event's topic, or a dotted prefix of topics (okr.KeyResult).",
        min_length=1,
        max_length=200,
        pattern=_PRINTABLE,
    ),
]
"""A filter is never empty (an empty one would match nothing, and say nothing of why),
nor holds a control character (a NUL failed the query, mid-download)."""
AfterPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_POSITION,
        schema_extra=NOT_BELOW_ZERO,
        description="Read forward: the lines after this position of the tenant's log, oldest"
        " first (0: from the first), for a sync that must see every change: a line added"
        " meanwhile comes after every line before it, on a later page. Give it again with"
        " each page's cursor; at the end (next_cursor null) keep the last line's position"
        " and read after it next time. A position past the log is refused.",
    ),
]


def query_range(
    since: str | None, until: str | None, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """?since= and ?until= as [first, after): a date's whole day (in the tenant's `zone`) is
    in, an empty range is not refused, a reversed one is (422 naming since)."""
    first = query_instant(since, "since", "first", zone)
    _in_order(first, query_instant(until, "until", "last", zone))
    return first, query_instant(until, "until", "after", zone)


def _check_topic(topic: str | None) -> None:
    """422 for a topic filter that names no kind of event (a typo would read as "nothing
    happened")."""
    if topic is not None and not read.known_topic(topic):
        raise InvalidQueryError(
            f"topic must be an event's topic or a dotted prefix of some (okr.KeyResult),"
            f" not {topic[:200]!r}",
            field="topic",
            rule="unknown_topic",
        )


def _actor(actor: str | None) -> str | None:
    """An actor filter as the log writes actors: "user:" or "key:" and a UUID (of any case:
    the log writes it in lower case, where an upper-case one matched nothing), or
    "system:<what>"; 422 naming actor for anything else (an email or a name matched nothing,
    which read as "this person did nothing here")."""
    if actor is None or actor.startswith("system:"):
        return actor
    kind, _, ident = actor.partition(":")
    try:
        if kind in ("user", "key"):
            return f"{kind}:{UUID(ident)}"
    except ValueError:
        pass
    raise InvalidQueryError(
        f'actor must be "user:<uuid>", "key:<uuid>" or "system:<what>", as the trail\'s'
        f" actor column writes them, not {actor[:200]!r}",
        field="actor",
        rule="not_an_actor",
    )


async def _check_item(
    runtime: RuntimeDep, tenant_id: UUID, item_id: UUID | None, *, tenant_lines: bool = False
) -> None:
    """404 naming item_id for an item of none of the tenant's events (a mistyped or another
    tenant's id read as "nothing happened to it"); the history's lines of settings and
    access have the tenant's own id (`tenant_lines`)."""
    if item_id is None or (tenant_lines and item_id == tenant_id):
        return
    if not await read.item_in_log(runtime.pool, tenant_id, item_id):
        raise NotFoundError(f"no item {item_id} in this tenant's log", field="item_id")


class AuditFilters(msgspec.Struct, frozen=True, kw_only=True):
    actor: str | None
    stream_id: UUID | None
    topic: str | None
    since: datetime | None
    until: datetime | None


async def _audit_filters(
    runtime: RuntimeDep,
    tenant_id: UUID,
    actor: str | None,
    item_id: UUID | None,
    topic: str | None,
    since: str | None,
    until: str | None,
) -> AuditFilters:
    """The trail's filters as its page and its downloads take them, each checked (the one at
    fault named), days in the tenant's time zone."""
    first, after = query_range(since, until, await runtime.zone(tenant_id))
    _check_topic(topic)
    actor = _actor(actor)
    await _check_item(runtime, tenant_id, item_id)
    return AuditFilters(actor=actor, stream_id=item_id, topic=topic, since=first, until=after)


async def _progress_tree(
    runtime: RuntimeDep,
    tenant_id: UUID,
    page: CyclePage,
    today: date | None,
    valid_at: date | None,
    as_of: str | None,
    as_of_position: int | None,
    min_position: int | None,
) -> tuple[ProgressTree, dict[str, str]]:
    """The tree of the cycles of a page of /progress: now, or as of an instant or a
    position; and the headers saying the instant read (read_as_of)."""
    cycle_id = page.cycle_id
    await refuse_a_day_to_come(runtime, tenant_id, valid_at, today)
    if as_of is not None or as_of_position is not None:
        zone, moment = await as_of_moment(runtime, tenant_id, as_of, as_of_position, min_position)
        tree = await read.progress_as_of(
            runtime.system.repository, tenant_id, today=today, zone=zone,
            position=as_of_position, recorded_at=moment, valid_at=valid_at,
            cycle_id=cycle_id, pick=page, cadence_days=await runtime.cadence_days(tenant_id),
        )  # fmt: skip
        if cycle_id is not None and not tree.cycles:  # none then: none at all, or not yet
            await progress_tree_of(runtime, tenant_id, None, today=None, cycle_id=cycle_id)
            raise not_known_at("cycle_id", "cycle", tree.position)
        return tree, read_as_of(moment)
    return await progress_tree_of(
        runtime, tenant_id, min_position, today=today, cycle_id=cycle_id, valid_at=valid_at,
        pick=page,
    ), {}  # fmt: skip


class ViewController(Controller):
    """What a tenant's log says: now, at any past instant, and how it got there."""

    tags = ["views"]

    @get(
        "/progress",
        guards=[requires_read],
        summary="Progress",
        response_headers=[READ_AS_OF_HEADER],
    )
    async def progress(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        cycle_id: FromQuery[UUID | None] = None,
        today: Today = None,
        valid_at: ValidAt = None,
        as_of: AsOf = None,
        as_of_position: AsOfPosition = None,
        min_position: MinPosition = None,
        cursor: CycleCursor = None,
        limit: CycleLimit = None,
    ) -> Response[ProgressPage]:
        """Cycles -> objectives -> key results with value, progress, pace, status, confidence.
        The cycles are paged as any list (`limit`: 100 unless given, 500 at most), oldest
        start first, `next_cursor` beside them (null: the last page); each page with the
        same `as_of`, `as_of_position`, `valid_at` and `today` shows the same instant's
        tree (as_of_position: the same log position whatever is added meanwhile), and a
        cursor is taken under those alone. A tenant of 100 cycles or fewer gets them all,
        as before paging, and `next_cursor` null. With `cycle_id`, that one cycle's tree,
        whole (`next_cursor` null): `limit` and `cursor` page nothing there and are refused
        (422 naming each, rule not_with_cycle_id). An `as_of` still to come is read as now,
        and the X-OKR-Read-As-Of header says the instant read."""
        page = CyclePage(cycle_id, cursor, one_cycle_whole(cycle_id, cursor, limit))
        tree, headers = await _progress_tree(
            runtime, tenant_id, page, today, valid_at, as_of, as_of_position, min_position
        )
        return Response(page.of(tree), headers=headers)

    @get(
        "/history",
        guards=[requires_read],
        summary="History",
        response_headers=[
            ResponseHeader(
                name="Content-Language",
                description="The language of each line's text and actor_name: it or en.",
                documentation_only=True,
            ),
            ResponseHeader(name="Vary", value="Accept-Language", documentation_only=True),
        ],
    )
    async def history(
        self,
        tenant_id: FromPath[UUID],
        principal: PrincipalDep,
        runtime: RuntimeDep,
        accept_language: Annotated[
            str | None,
            HeaderParameter(
                name="Accept-Language",
                description="The language of each line's text and actor_name: it or en (en-GB"
                " is en; q weights them). Admitting neither, or not given: the tenant's language.",
            ),
        ] = None,
        item_id: FromQuery[UUID | None] = None,
        cycle_id: Annotated[
            UUID | None,
            QueryParameter(
                description="Only the lines of this cycle, its objectives and its key results"
                " (the portal's timeline filter by cycle).",
            ),
        ] = None,
        actor: Actor = None,
        kind: Annotated[
            str | None,
            QueryParameter(
                description="A kind of item (key_result) or of change (key_result.checked_in:"
                " every check-in, with a confidence, of a milestone or fed by a KPI too); with"
                " item_id, the close that scored the item as that kind of item too.",
                min_length=1,
                max_length=100,
                pattern=_PRINTABLE,
            ),
        ] = None,
        since: Since = None,
        until: Until = None,
        after_position: AfterPosition = None,
        min_position: MinPosition = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Response[HistoryPage]:
        """Every change in words, newest first, or oldest first after a position of the log
        (after_position): who, what, before -> after, why (the reason of a change of access
        only to those who may read the audit trail). Each filter applies either way. Each
        line's text and actor_name are in the language Accept-Language asks for (it or en),
        else in the tenant's: in Italian, numbers, units and days as the portal says them
        ("19,2 ore", "1 feb 2027"); in English, as stored ("19.2", "2027-02-01"). Template
        and params are the same in either.

        The history is a read model, which may stand behind the log: each page says the
        position it holds every line through (through_position) and the log's head
        (head_position). A last page (next_cursor null) with through_position under
        head_position is the end of what it holds now, not of the log: a sync resumes
        after through_position (not after its last line: its filters may have left the
        lines up to through_position out), or waits for the rest with min_position."""
        if kind is not None and kind not in HISTORY_KINDS:
            raise InvalidQueryError(
                f"kind must be a kind of change or item: {', '.join(sorted(HISTORY_KINDS))}",
                field="kind",
                rule="unknown_choice",
            )
        actor = _actor(actor)
        first, after = query_range(since, until, await runtime.zone(tenant_id))
        before, beyond = _history_walk(cursor, after_position)
        if after_position is not None:
            await within_head(runtime, tenant_id, after_position, "after_position")
        await _check_item(runtime, tenant_id, item_id, tenant_lines=True)
        await caught_up(runtime, tenant_id, min_position, "history")
        items = None  # read only for a cycle asked for or an Italian text: a read of its own
        if cycle_id is not None:
            items = await read.item_names(runtime.pool, tenant_id)
            if cycle_id not in items.cycles:
                raise NotFoundError(f"no cycle {cycle_id} in this tenant", field="cycle_id")
        through, head = await standing(runtime.pool, tenant_id, "history")  # (before the
        lines = await read.history(  # lines: every line through it is in them)
            runtime.pool, tenant_id, item_id=item_id, cycle_id=cycle_id, actor=actor, kind=kind,
            since=first, until=after, before_position=before, after_position=beyond,
            oldest_first=after_position is not None, limit=limit + 1,
            access_reasons=principal.can(tenant_id, Permission.READ_AUDIT),
        )  # fmt: skip
        names = await runtime.people.names(tenant_id, line_actors(lines))
        language = accepted_language(accept_language, LANGUAGES) or await runtime.language(
            tenant_id
        )
        units: Units = {}
        if language == "it":
            units = units_of(items or await read.item_names(runtime.pool, tenant_id))
        named = in_language(lines, names, language, units)
        page = _page(named, limit, FORWARD if after_position is not None else None)
        if after_position is not None and page.next_cursor is not None:
            through = min(through, page.items[-1].position)  # the rest: on the next pages
        said = HistoryPage(
            items=page.items, next_cursor=page.next_cursor, through_position=through,
            head_position=head,
        )  # fmt: skip
        return Response(said, headers={"Content-Language": language, "Vary": "Accept-Language"})

    @get("/audit", guards=[requires_read_audit], summary="Audit trail")
    async def audit(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        actor: Actor = None,
        item_id: FromQuery[UUID | None] = None,
        topic: Topic = None,
        since: Since = None,
        until: Until = None,
        min_position: MinPosition = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[AuditEntry]:
        """Every event as recorded (hash, actor, correlation id, payload), oldest first."""
        filters = await _audit_filters(runtime, tenant_id, actor, item_id, topic, since, until)
        await caught_up(runtime, tenant_id, min_position, None)  # the trail is the log
        entries = await read.audit(
            runtime.system.repository, tenant_id, actor=filters.actor,
            stream_id=filters.stream_id, topic=filters.topic, since=filters.since,
            until=filters.until, after_position=position_after(cursor), limit=limit + 1,
        )  # fmt: skip
        return _page(entries, limit)

    @get("/audit.csv", guards=[requires_read_audit], media_type=CSV, summary="Audit trail as CSV")
    async def audit_as_csv(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        actor: Actor = None,
        item_id: FromQuery[UUID | None] = None,
        topic: Topic = None,
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        """The whole filtered trail for a spreadsheet, one CSV line per event (formula cells
        defused), after a UTF-8 BOM (Excel reads the file as UTF-8 then; a program reads
        it as utf-8-sig, or takes the JSON Lines)."""
        filters = await _audit_filters(runtime, tenant_id, actor, item_id, topic, since, until)
        headers = _attachment(f"audit-{tenant_id}.csv")
        return Stream(_csv(runtime, tenant_id, filters), media_type=CSV, headers=headers)

    @get(
        "/audit.jsonl",
        guards=[requires_read_audit],
        media_type=JSON_LINES,
        summary="Audit trail as JSON Lines",
    )
    async def audit_as_jsonl(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        actor: Actor = None,
        item_id: FromQuery[UUID | None] = None,
        topic: Topic = None,
        since: Since = None,
        until: Until = None,
    ) -> Stream:
        """The whole filtered trail, one JSON object per line."""
        filters = await _audit_filters(runtime, tenant_id, actor, item_id, topic, since, until)
        headers = _attachment(f"audit-{tenant_id}.jsonl")
        return Stream(_jsonl(runtime, tenant_id, filters), media_type=JSON_LINES, headers=headers)

    @get("/audit/verify", guards=[requires_read_audit], summary="Verify the hash chain")
    async def verify_audit_chain(
        self, tenant_id: FromPath[UUID], runtime: RuntimeDep
    ) -> ChainReportOut:
        """Recompute every hash of the tenant's log; name the first position that breaks."""
        report = await verify_chain(runtime.pool, tenant_id)
        return ChainReportOut(
            tenant_id=report.tenant_id, ok=report.ok, checked=report.checked,
            head_position=report.head_position, first_bad_position=report.first_bad_position,
            problem=report.problem,
        )  # fmt: skip

    @get(
        "/diff",
        guards=[requires_read],
        summary="What changed between two instants",
        response_headers=[
            ResponseHeader(
                name=READ_TO,
                description="The instant (UTC) the later side was read at: `to` (a date: its"
                " end), or now where that is still to come, as nothing later is known yet.",
                documentation_only=True,
            ),
        ],
    )
    async def diff(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        since: Annotated[
            str,
            QueryParameter(
                name="from",
                description="The earlier instant (a date: from its start, in the tenant's"
                " time zone).",
                max_length=64,
            ),
        ],
        until: Annotated[
            str | None,
            QueryParameter(
                name="to",
                description="The later instant (a date: its end, in the tenant's time zone;"
                " default: now).",
                max_length=64,
            ),
        ] = None,
        cycle_id: Annotated[
            UUID | None,
            QueryParameter(
                description="Only this cycle's changes (its own, its objectives' and key"
                " results') and the KPIs', as the portal's comparison of two days shows them.",
            ),
        ] = None,
    ) -> Response[list[Change]]:
        """Per cycle, objective, key result and KPI: each field that differs, before -> after.
        An item made, removed, archived or restored between them also says what explains
        its part in the roll-ups, as it stands where it counts: its weight, start, target,
        value, progress and status, and `counted_progress` where its progress is none but
        it counts (0: a key result not yet checked in); before equal to after: unchanged.
        A `from` still to come is refused (422 naming it: no change can be after it yet); a
        `to` still to come is read as now, and the X-OKR-Read-To header says so."""
        zone = await runtime.zone(tenant_id)
        start = query_instant(since, "from", "before", zone)
        end = query_instant(until, "to", "last", zone)
        assert start is not None
        # as given (a day from its first instant)
        _in_order(query_instant(since, "from", "first", zone), end, names=("from", "to"))
        if instants.still_to_come(start):
            raise InvalidQueryError(
                f"from {since} is still to come: nothing is known of it yet, so nothing can"
                " have changed since (a to still to come is read as now)",
                field="from",
                rule="in_the_future",
            )
        end = not_after_now(end or instants.now().astimezone(zone))
        try:
            changes = await read.diff(
                runtime.system.repository, tenant_id, since=start, until=end, cycle_id=cycle_id
            )
        except read.CycleNotMadeError as error:
            raise _not_made(error) from None
        return Response(changes, headers={READ_TO: end.astimezone(UTC).isoformat()})

    @get(
        "/export",
        guards=[requires_export],
        media_type=JSON_LINES,
        summary="Export the tenant's events",
    )
    async def export(self, tenant_id: FromPath[UUID], runtime: RuntimeDep) -> Stream:
        """Every event of the tenant's log with its hash and stored state, as JSON Lines.

        With the stored state (base64) and the hash, the chain can be recomputed offline.
        """
        headers = _attachment(f"events-{tenant_id}.jsonl")
        return Stream(_export(runtime, tenant_id), media_type=JSON_LINES, headers=headers)

    @get("/export/directory", guards=[requires_export], summary="Export who is who")
    async def export_directory(
        self, tenant_id: FromPath[UUID], runtime: RuntimeDep
    ) -> Response[DirectoryOut]:
        """The tenant's settings, members, consultancy admins and API keys, and the names of
        everyone who acted in its log: the log names people by id only, so an export taken
        before an erase needs this to be read (with the trail's JSON Lines, /audit.jsonl,
        whose payloads are decrypted; /export keeps the stored bytes, to check the chain)."""
        pool = runtime.pool
        named = await read.named_people(runtime.system.repository, tenant_id)
        names = await runtime.people.names(tenant_id, named)
        admins = await memberships.consultancy_admins(pool, tenant_id)
        found = DirectoryOut(
            tenant=await directory.get_tenant(pool, tenant_id),
            members=await memberships.list_members(pool, tenant_id),
            consultancy_admins=[Person(actor=f"user:{i}", name=name) for i, name in admins],
            api_keys=await api_keys.list_api_keys(pool, tenant_id, include_revoked=True),
            people=[Person(actor=actor, name=names.get(actor)) for actor in named],
        )
        return Response(found, headers=_attachment(f"directory-{tenant_id}.json"))


def _not_made(error: read.CycleNotMadeError) -> NotFoundError:
    """404 naming cycle_id for a diff of a cycle the log had not made by `to`: later (as a
    view as of a point before it, rule not_yet), or never; okr diff and the portal say it
    alike."""
    if error.later:
        return NotFoundError(
            f"cycle {error.cycle_id} was made after to: the tenant had no such cycle by then",
            field="cycle_id",
            rule="not_yet",
        )
    return NotFoundError(f"no cycle {error.cycle_id} in this tenant", field="cycle_id")


def _attachment(filename: str) -> dict[str, str]:
    """A download's headers: saved under this name (ASCII: a tenant id and a suffix); kept
    by no cache and read as its type only, as every answer of the API (app.not_stored,
    app.no_sniffing)."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _in_order(
    since: datetime | None, until: datetime | None, names: tuple[str, str] = ("since", "until")
) -> None:
    """A range's start may not come after its end (422 naming the start)."""
    if since is not None and until is not None and since > until:
        raise InvalidQueryError(
            f"{names[0]} must not be after {names[1]}", field=names[0], rule="range_order"
        )


def _page(items: list[Any], limit: int, mark: str | None = None) -> Page[Any]:
    page = items[:limit]
    more = len(items) > limit and bool(page)
    return Page(items=page, next_cursor=position_cursor(page[-1].position, mark) if more else None)


def _history_walk(cursor: str | None, after_position: int | None) -> tuple[int | None, int | None]:
    """The bounds of a page of the history: before the cursor's position (newest first), or,
    read forward, after it and `after_position` both. A cursor is taken only the way its
    walk went (422 naming cursor): the other way, it would have begun a page on the wrong
    side of the line it ended at, and skipped every line before it, or read them twice."""
    key = position_key(cursor)
    forward = after_position is not None
    if key is not None and (key[1] == FORWARD) != forward:
        raise InvalidQueryError(
            "a cursor of the history read forward: give it with after_position, as the walk"
            " that gave it was read"
            if key[1] == FORWARD
            else "a cursor of the history read newest first: give it without after_position"
            " (which reads forward, oldest first)",
            field="cursor",
            rule="wrong_way",
        )
    position = None if key is None else key[0]
    if after_position is None:
        return position, None
    return None, max(after_position, position or 0)


async def _audit_batches(
    runtime: RuntimeDep, tenant_id: FromPath[UUID], filters: AuditFilters
) -> AsyncIterator[list[AuditEntry]]:
    after = None
    while True:
        batch = await read.audit(
            runtime.system.repository, tenant_id, actor=filters.actor, stream_id=filters.stream_id,
            topic=filters.topic, since=filters.since, until=filters.until,
            after_position=after, limit=_BATCH,
        )  # fmt: skip
        if batch:
            yield batch
        if len(batch) < _BATCH:
            return
        after = batch[-1].position


async def _csv(
    runtime: RuntimeDep, tenant_id: FromPath[UUID], filters: AuditFilters
) -> AsyncIterator[str]:
    """audit_csv's lines, after a BOM: the CSV is the trail for a spreadsheet (programs have
    its JSON pages and JSON Lines), and Excel read its UTF-8 without one as a legacy code
    page ("Qualità" as "QualitÃ ")."""
    yield BOM
    header = True
    async for batch in _audit_batches(runtime, tenant_id, filters):
        lines = audit_csv(batch)
        if not header:
            next(lines)
        header = False
        yield "".join(lines)
    if header:
        yield next(audit_csv([]))


async def _jsonl(
    runtime: RuntimeDep, tenant_id: FromPath[UUID], filters: AuditFilters
) -> AsyncIterator[bytes]:
    async for batch in _audit_batches(runtime, tenant_id, filters):
        yield b"".join(audit_jsonl(batch))


async def _export(runtime: RuntimeDep, tenant_id: FromPath[UUID]) -> AsyncIterator[bytes]:
    store, repository = runtime.system.store, runtime.system.repository
    after = 0
    while True:
        stored = await store.read_log(tenant_id, after, limit=_BATCH)
        lines = []
        for row, audited in zip(stored, await read.audit_entries(repository, stored), strict=True):
            entry = msgspec.structs.asdict(audited)
            entry["state"] = base64.b64encode(row.state).decode()
            lines.append(json_line(json_bytes(entry)))
        if lines:
            yield b"".join(lines)
        if len(stored) < _BATCH:
            return
        after = stored[-1].position
