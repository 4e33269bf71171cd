"""The store's transcoder keeps every value exactly, and still reads its first format."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from services.store.transcoder import MsgspecTranscoder

TRANSCODER = MsgspecTranscoder()
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False) | st.uuids() | st.dates()
    | st.datetimes(timezones=st.just(UTC)) | st.datetimes(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(st.dictionaries(st.text(), VALUES, max_size=6))
def test_any_event_state_round_trips_exactly(state: dict[str, Any]) -> None:
    """Decimals keep every digit, ids stay UUIDs, dates stay dates: a replay sees what was saved."""
    assert TRANSCODER.decode(TRANSCODER.encode(state)) == state


def test_types_survive_not_just_values() -> None:
    """A Decimal must not come back as a str or a float, nor a date as a str."""
    state = {
        "value": Decimal("19.200"), "id": uuid4(), "on": date(2027, 1, 1),
        "at": datetime(2027, 1, 1, 9, tzinfo=timezone(timedelta(hours=1))),
        "pair": (1, "a"), "tags": {"x", "y"},
    }  # fmt: skip
    back = TRANSCODER.decode(TRANSCODER.encode(state))
    assert back == state
    assert [type(back[k]) for k in state] == [type(state[k]) for k in state]
    assert str(back["value"]) == "19.200"


def test_rows_of_the_first_json_format_still_decode() -> None:
    """Events stored before the MessagePack format keep loading."""
    legacy = (
        b'{"value":{"#d":"21.5"},"id":{"#u":"1989e968-18af-4ff0-8229-fa52d41852d4"},'
        b'"on":{"#D":"2026-11-28"},"at":{"#t":"2026-11-28T01:42:03+00:00"},"n":1}'
    )
    assert TRANSCODER.decode(legacy) == {
        "value": Decimal("21.5"),
        "id": __import__("uuid").UUID("1989e968-18af-4ff0-8229-fa52d41852d4"),
        "on": date(2026, 11, 28),
        "at": datetime(2026, 11, 28, 1, 42, 3, tzinfo=UTC),
        "n": 1,
    }


def test_a_zero_logged_with_an_absurd_exponent_reads_as_zero() -> None:
    """Such a zero was taken before the validators wrote numbers plainly, and no projector
    could store it (asyncpg: "exponent is too large"): it is read as 0, the same number;
    a zero of a few places, and every other value, as logged."""
    for absurd in ("0E+99999999999", "0E-99999999999", "-0E+70"):
        back = TRANSCODER.decode(TRANSCODER.encode({"value": Decimal(absurd)}))["value"]
        assert (back, back.as_tuple().exponent) == (0, 0), absurd
    legacy = TRANSCODER.decode(b'{"value": {"#d": "0E+99999999999"}}')["value"]  # first format
    assert (legacy, legacy.as_tuple().exponent) == (0, 0)
    for kept in ("0.000000", "0E+2", "1E-70", "19.200"):
        back = TRANSCODER.decode(TRANSCODER.encode({"value": Decimal(kept)}))["value"]
        assert str(back) == kept
