"""Packed tables: rows stay aligned, ids are found only as ids, reads see a fixed state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from domain import columns


def a_table(*notes: str) -> tuple[columns.Table, list[UUID]]:
    """A table of (id, on, note) rows, one per note, all on the same day."""
    table = columns.empty("id", "on", "note")
    ids = [uuid4() for _ in notes]
    for row_id, note in zip(ids, notes, strict=True):
        columns.add(table, {"id": row_id.hex, "on": "2027-01-20", "note": note})
    return table, ids


def test_rows_read_back_in_recording_order() -> None:
    """Each row keeps its cells, whatever the other rows hold."""
    table, ids = a_table("first", "", "third")
    assert columns.count(table) == 3
    assert [columns.find(table, i) for i in ids] == [0, 1, 2]
    assert columns.find(table, uuid4()) is None
    assert columns.items(table["note"]) == ["first", "", "third"]
    assert columns.row(table, 1) == {"id": ids[1].hex, "on": "2027-01-20", "note": ""}
    columns.update(table, 1, {"note": "second"})
    assert [r["note"] for r in columns.rows(table)] == ["first", "second", "third"]


def test_a_nul_in_text_cannot_shift_the_rows() -> None:
    """The separator is refused by validation; should one arrive anyway, it is replaced."""
    table, ids = a_table("a\x00b", "c")
    assert columns.items(table["note"]) == ["a\ufffdb", "c"]
    assert columns.find(table, ids[1]) == 1


def test_a_row_must_give_every_column() -> None:
    """A missing cell would shift every later row of that column."""
    table, _ = a_table()
    with pytest.raises(ValueError, match="columns"):
        columns.add(table, {"id": uuid4().hex, "on": "2027-01-20"})
    with pytest.raises(KeyError):
        columns.add(table, {"id": uuid4().hex, "on": "2027-01-20", "nope": ""})
    with pytest.raises(ValueError, match="id column"):
        columns.empty("on")


def test_last_max_takes_the_greatest_then_the_last_recorded() -> None:
    """Latest by date, ties to the one recorded last (ISO dates sort as dates do)."""
    assert columns.last_max("") is None
    assert columns.last_max("2027-02-01\x002027-01-10\x002027-02-01\x00") == 2
    assert columns.last_max("2027-02-01\x002027-01-10\x00") == 0


def test_instants_round_trip_to_the_microsecond() -> None:
    """Recording times keep their instant, whatever zone they were given in."""
    moment = datetime(2027, 1, 20, 9, 30, 1, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert columns.instant(columns.instant_text(moment)) == moment
    assert columns.instant(columns.instant_text(moment)).tzinfo is UTC
    naive = datetime(1969, 12, 31, 23, 59, 59, 999999)
    assert columns.instant(columns.instant_text(naive)) == naive.replace(tzinfo=UTC)


def test_rows_mapping_is_a_fixed_view() -> None:
    """len and `in` read the ids; later rows do not show through a view already made."""
    table, ids = a_table("a", "b")
    view = columns.Rows(table, lambda row_id, cells: (row_id, cells["note"]))
    columns.add(table, {"id": uuid4().hex, "on": "2027-01-21", "note": "later"})
    assert len(view) == 2
    assert ids[0] in view and "not a uuid" not in view and uuid4() not in view
    assert list(view) == ids
    assert list(view.values()) == [(ids[0], "a"), (ids[1], "b")]
    assert view[ids[1]] == (ids[1], "b")
    assert list(view) == ids
    assert dict(view.items()) == {ids[0]: (ids[0], "a"), ids[1]: (ids[1], "b")}
