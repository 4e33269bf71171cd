"""Cursor pagination: a cursor is the opaque sort key of the last item of the previous page.

Keys are tuples of plain values (text, integers) so a walk never skips or repeats an item
that was there when it began, whatever is added meanwhile: the next page is "after this
key", not "from offset n". An item added meanwhile shows on a later page if it sorts after
the cursor, not if before (a value recorded late for an earlier day, in a list by business
date): a sync that must see every change reads the history after a position instead
(?after_position=, oldest first: a line added meanwhile has a position past every line
there before it, so a walk forward meets it on a later page).
A cursor also names its list (the path it was made on, its tenant's id in it: `listing`):
another list's, or another tenant's, is refused, where it gave a page of the wrong items
or an empty one a client took for the end. And the filters it was made under (cycle_id,
today, as_of...: every query parameter of the list but those of NOT_FILTERS), each as a
digest: one given under other filters is refused naming them, where it went on by its key
in another list, a page said to be the next one with the items before the key never shown.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from typing import Annotated, Any, Protocol, TypeVar
from uuid import UUID

import msgspec
from litestar.params import QueryParameter

from services.api.problems import InvalidQueryError
from services.api.schemas.common import Page

T = TypeVar("T")
Key = tuple[Any, ...]

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_POSITION = 2**62
"""Larger than any tenant position will be, small enough for a bigint."""
NOT_BELOW_ZERO = {"minimum": 0}
"""The schema_extra of a query parameter that takes ge=0: Litestar's document leaves a bound
of 0 out (it copies only the bounds that are true), so it is said again."""

Limit = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page (1..500)."),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        description="next_cursor of the previous page, with the filters that page had (the"
        " same values, or left out alike; min_position may move on): under others, 422"
        " other_filters naming the cursor and them.",
        max_length=512,
    ),
]


NOT_FILTERS = frozenset({"cursor", "limit", "min_position", "after_position"})
"""The query parameters of a list that do not choose its items: the page's own, how long to
wait for the read model, and where the history read forward begins (given again with each
cursor, its cursor bound to that way already: see views._history_walk)."""
CycleLimit = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=MAX_LIMIT,
        description="Cycles per page (1..500, 100 unless given). Not with cycle_id, whose"
        " one tree is answered whole (422 naming limit).",
        schema_extra={"default": DEFAULT_LIMIT},  # (None in the signature: given or not)
    ),
]
CycleCursor = Annotated[
    str | None,
    QueryParameter(
        description="next_cursor of the previous page, with the filters that page had (the"
        " same values, or left out alike; min_position may move on): under others, 422"
        " other_filters. Not with cycle_id, whose one tree is answered whole (422 naming"
        " cursor).",
        max_length=512,
    ),
]


def one_cycle_whole(cycle_id: object | None, cursor: str | None, limit: int | None) -> int:
    """The number of cycles a page of a tree holds (100 unless given); 422 naming limit or
    cursor given with cycle_id, whose one cycle's tree is answered whole: they paged
    nothing there, and a client that sent them was answered as if heard."""
    if cycle_id is not None:
        for name, given in (("limit", limit), ("cursor", cursor or None)):
            if given is not None:
                raise InvalidQueryError(
                    f"{name}: not with cycle_id, which answers that one cycle's tree whole"
                    f" ({name} pages the cycles of the tree without cycle_id)",
                    field=name, rule="not_with_cycle_id",
                )  # fmt: skip
    return DEFAULT_LIMIT if limit is None else limit


_LIST: ContextVar[tuple[str, tuple[tuple[str, str | None], ...]]] = ContextVar(
    "okr_list", default=("", ())
)
"""The list the request reads (its path) and its filters, set before its handler runs
(listing)."""


def listing(path: str, filters: Mapping[str, str | None] | None = None) -> None:
    """Say which list this request reads, and under which filters (by name, each the list
    takes: its value as its parameter reads it, None when not given): its cursors are made
    for it, and taken from it under the same filters alone."""
    _LIST.set((path, tuple(sorted((filters or {}).items()))))


def _list_tag() -> str:
    return hashlib.sha256(_LIST.get()[0].encode()).hexdigest()[:12]


_MARK = re.compile(r"[0-9a-f]{8}")


def _filter_marks() -> list[str]:
    """A digest of each filter of the list, in its names' order (opaque: no value in it)."""
    return [hashlib.sha256(msgspec.json.encode(pair)).hexdigest()[:8] for pair in _LIST.get()[1]]


def encode_cursor(key: Key) -> str:
    """The opaque cursor of a sort key, on the list this request reads, under its filters."""
    tagged = [_list_tag(), ".".join(_filter_marks()), *key]
    return base64.urlsafe_b64encode(msgspec.json.encode(tagged)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Key | None:
    """The sort key of a cursor (None for the first page); 422 for a cursor we never made,
    made for another list (another route's, another tenant's) or under other filters."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = msgspec.json.decode(raw)
    except (ValueError, msgspec.DecodeError):
        raise InvalidQueryError(
            "not a cursor of this API", field="cursor", rule="bad_cursor"
        ) from None
    if not isinstance(key, list) or not all(isinstance(v, str | int) for v in key) or not key:
        raise InvalidQueryError("not a cursor of this API", field="cursor", rule="bad_cursor")
    if key[0] != _list_tag():
        raise InvalidQueryError(
            "a cursor of another list: a cursor is taken only by the list that gave it",
            field="cursor", rule="bad_cursor",
        )  # fmt: skip
    if len(key) < 2 or not isinstance(key[1], str):
        raise InvalidQueryError("not a cursor of this list", field="cursor", rule="bad_cursor")
    _same_filters(key[1])
    return tuple(key[2:])


def _same_filters(marks: str) -> None:
    """422 naming the filters a cursor was made under other values of (or given, or not)."""
    names = [name for name, _ in _LIST.get()[1]]
    made = marks.split(".") if marks else []
    if len(made) != len(names) or not all(_MARK.fullmatch(m) for m in made):
        raise InvalidQueryError("not a cursor of this list", field="cursor", rule="bad_cursor")
    changed = [
        name for name, was, now in zip(names, made, _filter_marks(), strict=True) if was != now
    ]
    if changed:
        raise InvalidQueryError(
            f"a cursor made under other filters: {', '.join(changed)} not as on the page that"
            " gave it. A cursor goes on with the walk it was made in: give each page the"
            f" filters of the first ({', '.join(names)}: the same, or left out alike), or"
            " begin a new walk without cursor",
            field="cursor", rule="other_filters",
        )  # fmt: skip


def paginate(
    items: Iterable[T], key: Callable[[T], Key], cursor: str | None, limit: int
) -> Page[T]:
    """One page of ``items`` in key order, after the cursor's key, with the next cursor."""
    after = decode_cursor(cursor)
    ordered = sorted(items, key=key)
    if after is not None:
        try:
            ordered = [item for item in ordered if key(item) > after]
        except TypeError:
            raise InvalidQueryError(
                "not a cursor of this list", field="cursor", rule="bad_cursor"
            ) from None
    page = ordered[:limit]
    more = len(ordered) > limit
    return Page(items=page, next_cursor=encode_cursor(key(page[-1])) if more and page else None)


class Dated(Protocol):
    """A value recorded for a business date (a check-in, a measurement)."""

    @property
    def on(self) -> date: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def id(self) -> UUID: ...


def by_business_date(value: Dated) -> Key:
    """The order of recorded values: business date, then when recorded, then id."""
    return (value.on.isoformat(), value.recorded_at.isoformat(), str(value.id))


FORWARD = "forward"
"""The mark of a position cursor of the history read forward (oldest first), where it is
read newest first unless asked: a cursor is taken only the way the walk that gave it went."""


def position_cursor(position: int, mark: str | None = None) -> str:
    """The cursor of a page that ends at this log position, of a walk `mark`ed (FORWARD)."""
    return encode_cursor((position,) if mark is None else (position, mark))


def position_key(cursor: str | None) -> tuple[int, str | None] | None:
    """The log position a position cursor names and its walk's mark (None: unmarked), or
    None for the first page."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if not key:  # its list's mark alone: no position
        raise InvalidQueryError("not a cursor of this list", field="cursor", rule="bad_cursor")
    position, *mark = key
    if (
        not isinstance(position, int)
        or not 0 <= position <= MAX_POSITION
        or mark not in ([], [FORWARD])
    ):
        raise InvalidQueryError("not a cursor of this list", field="cursor", rule="bad_cursor")
    return position, mark[0] if mark else None


def position_after(cursor: str | None) -> int | None:
    """The log position a position cursor of an unmarked walk names (None for the first
    page)."""
    key = position_key(cursor)
    if key is not None and key[1] is not None:
        raise InvalidQueryError("not a cursor of this list", field="cursor", rule="bad_cursor")
    return None if key is None else key[0]
