"""A projection that follows another (history follows progress) is folded once, not twice."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import msgspec
import pytest

from projections.base import Projection, Recorded, collect, replay
from projections.history import history_projection
from projections.progress import progress_projection
from projections.registry import PROJECTIONS
from services.projector.folding import Folding, fold_all
from services.projector.tables import Writes
from tests.projections.builders import Log, busy_tenant

FOLLOWERS = [p for p in PROJECTIONS if hasattr(p, "follows")]


@pytest.fixture(scope="module")
def records() -> list[Recorded]:
    log = Log()
    busy_tenant(log)
    return log.records


def test_history_follows_progress() -> None:
    """Without a follower the rebuild and the projector fold progress twice per event."""
    assert [p.name for p in FOLLOWERS] == ["history"]
    assert history_projection.follows == "progress"


def test_history_and_progress_checkpoint_one_state_encoded_once(records: list[Recorded]) -> None:
    """A rebuild checkpoints progress and history at each tenant's end, the same state
    object: the second checkpoint takes the first one's bytes instead of encoding the whole
    state again, and a state after it is encoded afresh, never given stale bytes."""
    half, _ = collect(progress_projection, records[: len(records) // 2])
    whole, _ = collect(progress_projection, records)
    fresh = msgspec.msgpack.Encoder(decimal_format="string", uuid_format="bytes")

    first = progress_projection.encode_state(whole)
    second = history_projection.encode_state(whole)
    other = history_projection.encode_state(half)
    again = progress_projection.encode_state(whole)

    assert second is first
    assert first == again == fresh.encode(whole)
    assert other == fresh.encode(half) != first
    assert history_projection.decode_state(second) == whole


@pytest.mark.parametrize("follower", FOLLOWERS, ids=lambda p: p.name)
def test_a_follower_takes_its_leaders_states_and_makes_its_own_rows(
    follower: Any, records: list[Recorded]
) -> None:
    """Follows' promise, event by event: the leader's fold gives the follower's state, and
    `follow` gives the rows the follower's own fold appends."""
    leader = {p.name: p for p in PROJECTIONS}[follower.follows]
    state = follower.initial()
    assert leader.initial() == state
    for record in records:
        after, rows = follower.fold(state, record)
        led, _ = leader.fold(state, record)
        assert led == after
        assert follower.follow(state, led, record) == rows
        state = after


def _writes(foldings: list[Folding], batches: list[list[Recorded]], *, together: bool) -> Writes:
    """What these foldings write over the batches, folded together or one at a time."""
    tenant_id, writes = uuid4(), Writes()
    for batch in batches:
        if together:
            fold_all(foldings, batch)
        else:
            for f in foldings:
                f.fold(batch)
        for f in foldings:
            f.finish(tenant_id, writes)
    return writes


def _rows(writes: Writes) -> dict[str, list[Any]]:
    """The writes without tenant_id (each run has its own) and without the state bytes."""
    out = {}
    for name, rows in (writes.inserts | writes.upserts).items():
        if not name.endswith("__states"):
            out[name] = [row[1:] for row in rows]
    return out


def _never_fold(monkeypatch: pytest.MonkeyPatch, projection: Projection[Any]) -> None:
    def fold(state: Any, record: Recorded) -> Any:
        raise AssertionError(f"{projection.name} folded again")

    monkeypatch.setattr(projection, "fold", fold)


@pytest.mark.parametrize("batch", [1, 7, 500])
def test_folding_together_writes_what_folding_apart_writes(
    batch: int, records: list[Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress and history from nothing, in batches: the same rows and positions as each
    folded alone, with one state between them, and history's own fold never called."""
    batches = [records[i : i + batch] for i in range(0, len(records), batch)]
    apart = _writes(
        [Folding.new(progress_projection), Folding.new(history_projection)], batches, together=False
    )
    leader, follower = Folding.new(progress_projection), Folding.new(history_projection)
    _never_fold(monkeypatch, history_projection)

    together = _writes([leader, follower], batches, together=True)

    assert _rows(together) == _rows(apart)
    assert follower.state is leader.state
    assert follower.at == leader.at == records[-1].position


def test_a_follower_that_stands_elsewhere_folds_on_its_own(
    records: list[Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    """History loaded from an older checkpoint than progress's (or with a state that is not
    progress's) is not in step: it folds its own events up to where progress stands, then
    follows from the next batch on."""
    half = len(records) // 2
    leader = Folding(
        progress_projection, half, replay(progress_projection, records[:half]), half, half, None
    )
    quarter = half // 2
    follower = Folding(
        history_projection, half, replay(history_projection, records[:quarter]), quarter, 0, None
    )
    assert not follower.in_step(leader)
    expected = _history_rows(records)

    fold_all([leader, follower], records[quarter : half + 10])  # read from the lower one

    assert follower.at == leader.at and follower.state == leader.state
    assert follower.appended["rm_history"] == expected[half : half + 10]
    _never_fold(monkeypatch, history_projection)
    writes = Writes()
    for f in (leader, follower):
        f.finish(uuid4(), writes)
    fold_all([leader, follower], records[half + 10 :])
    assert follower.state is leader.state
    assert follower.appended["rm_history"] == expected[half + 10 :]


def test_a_follower_with_another_state_is_never_given_the_leaders(records: list[Recorded]) -> None:
    """Equal positions are not enough: a state that differs (an older fold's checkpoint)
    keeps its own folds, so its rows are what its own state says."""
    at = len(records) // 2
    leader = Folding(
        progress_projection, at, replay(progress_projection, records[:at]), at, at, None
    )
    other = replay(history_projection, records[: at - 1])
    follower = Folding(history_projection, at, other, at, at, None)

    fold_all([leader, follower], records[at:])

    assert follower.state is not leader.state
    assert follower.appended["rm_history"] == _history_rows(records[at:], other)


def _history_rows(records: list[Recorded], state: Any = None) -> list[Any]:
    """The rows history's own fold appends over these records (from `state`)."""
    return collect(history_projection, records, state)[1]["rm_history"]


class _Counted:
    """A fold state that counts how often it is compared."""

    compared = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        _Counted.compared += 1
        return isinstance(other, _Counted) and self.n == other.n

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a class with __eq__ is


class _Counting:
    """A leader whose state counts its events."""

    name = "counting"
    tables: tuple[Any, ...] = ()

    def initial(self) -> _Counted:
        return _Counted(0)

    def fold(self, state: _Counted, record: Recorded) -> tuple[_Counted, Any]:
        return _Counted(state.n + 1), {}

    def rows(self, state: _Counted) -> Any:
        return {}


class _Echo(_Counting):
    """Its follower: the same state, and a row per event."""

    name = "echo"
    follows = "counting"

    def fold(self, state: _Counted, record: Recorded) -> tuple[_Counted, Any]:
        after = _Counted(state.n + 1)
        return after, self.follow(state, after, record)

    def follow(self, before: _Counted, after: _Counted, record: Recorded) -> Any:
        return {"echo": ((record.position, after.n),)}


def test_a_follower_found_unequal_is_not_compared_again(records: list[Recorded]) -> None:
    """After a fold's new version, the leader's states never equal the follower's older
    ones: a projector would compare the two whole states on every pass. It compares once,
    and the follower folds on its own, from its own state."""
    # Stand-ins of the parts of a projection Folding uses:
    leader = Folding(_Counting(), 0, _Counted(0), 0, 0, None)  # type: ignore[arg-type]
    follower = Folding(_Echo(), 0, _Counted(100), 0, 0, None)  # type: ignore[arg-type]
    _Counted.compared = 0
    for start in range(0, 30, 10):
        fold_all([leader, follower], records[start : start + 10])
        for f in (leader, follower):
            f.finish(uuid4(), Writes())

    assert _Counted.compared == 1
    assert follower.state.n == 130 and leader.state.n == 30


class _FoldOnly:
    """A wrapper that passes every attribute on and wraps `fold` alone (a metric, say)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.folds = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def fold(self, state: Any, record: Recorded) -> Any:
        self.folds += 1
        return self.inner.fold(state, record)


def test_a_wrapper_of_fold_alone_is_folded_not_bypassed(records: list[Recorded]) -> None:
    """A wrapper's `follows` comes through from history, but its class has no `follow`:
    following it would skip the wrapper's own fold. It is folded, and writes history's
    rows."""
    wrapped = _FoldOnly(history_projection)
    leader = Folding.new(progress_projection)
    follower = Folding.new(wrapped)

    fold_all([leader, follower], records)

    assert wrapped.folds == len(records)
    assert follower.appended["rm_history"] == _history_rows(records)
