"""Stored events stay readable: stable topics, plain types, replay, and v1 -> v2 upcasting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate, Snapshot
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic, resolve_topic

from domain import KPI, CheckInSource, Cycle, KeyResult, Objective
from tests.domain import AUTHOR, a_cycle, a_key_result, a_kpi, an_objective

D = Decimal
AGGREGATES: list[type[Aggregate]] = [Cycle, Objective, KeyResult, KPI]


class DateAsISO(Transcoding):
    """Business dates as ISO strings (the library ships datetime, not date)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Encode a date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Decode a date."""
        return date.fromisoformat(data)


def a_mapper() -> Mapper[Any]:
    """A strict JSON mapper: only UUID, Decimal, date and datetime beyond JSON's own types."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def event_classes(aggregate: type[Aggregate]) -> list[type[Any]]:
    """The concrete event classes nested in an aggregate."""
    return [
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate) and name != "Event"
    ]


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.__name__)
def test_every_event_has_an_explicit_stable_topic(aggregate: type[Aggregate]) -> None:
    """Stored topics must survive module renames, so none may be an import path."""
    topic: str = getattr(aggregate, "TOPIC", "")  # each of ours sets it; Aggregate has none
    prefix = f"{topic}."
    assert get_topic(aggregate) == topic
    for event_class in event_classes(aggregate):
        assert prefix + event_class.__name__ == event_class.TOPIC
        assert get_topic(event_class) == event_class.TOPIC
        assert resolve_topic(event_class.TOPIC) is event_class


def history() -> list[Aggregate]:
    """Every kind of event at least once, across the four aggregates."""
    cycle = a_cycle()
    parent = an_objective(cycle, level="company")
    objective = an_objective(cycle, parent=parent, committed=True)
    objective.reparent(new_parent=None, new_parent_ancestors=[], cycle=cycle, author=AUTHOR)
    kpi = a_kpi()
    measured = kpi.record_measurement(value=D("20.5"), on=date(2027, 1, 4), author=AUTHOR)
    kpi.correct_measurement(measurement_id=measured, value=D("21.5"), reason="r", author=AUTHOR)
    kpi.change_thresholds(green=D(19), red=D(23), reason="new SLA", author=AUTHOR)
    kr = a_key_result(cycle, objective, kpi=kpi)
    check_in = kr.record_check_in(
        cycle=cycle, value=D(22), on=date(2027, 1, 20), author=AUTHOR, confidence=5
    )
    kr.correct_check_in(check_in_id=check_in, value=D(21), reason="typo", author=AUTHOR)
    kr.revise_target(cycle=cycle, target=D(20), reason="hiring freeze", author=AUTHOR)
    kr.change_due_date(due_on=date(2027, 3, 15), cycle=cycle, author=AUTHOR)
    cycle.close(
        key_result_scores={kr.id: kr.score},
        objective_scores={objective.id: D("0.5")},
        closed_by=AUTHOR,
    )
    cycle.adjust_score(item_id=kr.id, score=D("0.7"), reason="context", author=AUTHOR)
    return [cycle, parent, objective, kpi, kr]


def replay(events: Sequence[Any]) -> Aggregate:
    """Rebuild an aggregate from its events, as the store will."""
    aggregate = None
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    assert isinstance(aggregate, Aggregate)
    return aggregate


def test_events_hold_plain_types_and_replay_to_the_same_state() -> None:
    """Events go through a strict JSON mapper and come back as the very same aggregate."""
    mapper = a_mapper()
    for original in history():
        stored = [mapper.to_stored_event(e) for e in original.collect_events()]
        rebuilt = replay([mapper.to_domain_event(s) for s in stored])
        assert rebuilt == original
        assert rebuilt.version == original.version


def test_check_in_v1_without_source_upcasts_to_manual() -> None:
    """Check-ins stored before 'source' existed still load, as typed by people."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    (created,) = kr.collect_events()
    mapper = a_mapper()
    check_in_id = uuid4()
    v1_state = {
        "timestamp": created.timestamp,
        "check_in_id": check_in_id,
        "value": D(21),
        "on": date(2027, 1, 20),
        "confidence": 7,
        "note": "",
        "author": AUTHOR,
    }
    stored_v1 = StoredEvent(
        originator_id=kr.id,
        originator_version=2,
        topic="okr.KeyResult.CheckedIn",
        state=mapper.transcoder.encode(v1_state),
    )
    upcast = mapper.to_domain_event(stored_v1)
    assert isinstance(upcast, KeyResult.CheckedIn)
    assert upcast.source == "manual"
    rebuilt = replay([mapper.to_domain_event(mapper.to_stored_event(created)), upcast])
    assert isinstance(rebuilt, KeyResult)
    assert rebuilt.check_ins[check_in_id].source is CheckInSource.MANUAL
    assert rebuilt.progress == D("0.625")


def test_measurement_correction_v1_without_note_keeps_the_measurement_s_note() -> None:
    """Corrections stored before they could restate a note still load, and leave the
    note as it was; new ones are stored as version 2, with the note."""
    kpi = a_kpi()
    measured = kpi.record_measurement(value=D(190), on=date(2027, 1, 4), author=AUTHOR,
                                      note="dal CRM")  # fmt: skip
    mapper = a_mapper()
    stored = [mapper.to_stored_event(e) for e in kpi.collect_events()]
    v1_state = {
        "timestamp": kpi.modified_on,
        "measurement_id": measured,
        "value": D(19),
        "reason": "x10",
        "author": AUTHOR,
    }
    stored_v1 = StoredEvent(
        originator_id=kpi.id,
        originator_version=kpi.version + 1,
        topic="okr.KPI.MeasurementCorrected",
        state=mapper.transcoder.encode(v1_state),
    )
    upcast = mapper.to_domain_event(stored_v1)
    assert isinstance(upcast, KPI.MeasurementCorrected)
    assert upcast.note is None
    rebuilt = replay([*(mapper.to_domain_event(s) for s in stored), upcast])
    assert isinstance(rebuilt, KPI)
    assert (rebuilt.measurements[measured].value, rebuilt.measurements[measured].note) == (
        D(19), "dal CRM",
    )  # fmt: skip
    rebuilt.correct_measurement(measurement_id=measured, value=D(19), note="", reason="r",
                                author=AUTHOR)  # fmt: skip
    (v2,) = rebuilt.collect_events()
    assert mapper.transcoder.decode(mapper.to_stored_event(v2).state)["class_version"] == 2


def test_upcaster_adds_source_only_when_missing() -> None:
    """The v1 -> v2 step is pure and leaves v2 data alone."""
    state: dict[str, Any] = {"value": D(1)}
    KeyResult.CheckedIn.upcast_v1_v2(state)
    assert state == {"value": D(1), "source": "manual"}
    v2: dict[str, Any] = {"source": "api"}
    KeyResult.CheckedIn.upcast_v1_v2(v2)
    assert v2 == {"source": "api"}


def test_new_check_ins_are_stored_as_version_2() -> None:
    """The stored state says which shape it has, so future upcasters know where to start."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    kr.collect_events()
    kr.record_check_in(cycle=cycle, value=D(21), on=date(2027, 1, 20), author=AUTHOR)
    mapper = a_mapper()
    (checked_in,) = kr.collect_events()
    stored = mapper.to_stored_event(checked_in)
    assert mapper.transcoder.decode(stored.state)["class_version"] == 2


def test_key_result_snapshot_round_trips_through_the_mapper() -> None:
    """Aggregate state is plain data too, so long check-in streams can be snapshotted."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    check_in = kr.record_check_in(cycle=cycle, value=D(22), on=date(2027, 1, 20), author=AUTHOR)
    kr.correct_check_in(check_in_id=check_in, value=D(21), reason="typo", author=AUTHOR)
    kr.revise_target(cycle=cycle, target=D(20), reason="hiring freeze", author=AUTHOR)
    kr.collect_events()
    mapper = a_mapper()
    stored = mapper.to_stored_event(KeyResult.Snapshot.take(kr))
    snapshot = mapper.to_domain_event(stored)
    assert isinstance(snapshot, Snapshot)
    restored = snapshot.mutate(None)
    assert restored == kr
    assert isinstance(restored, KeyResult) and restored.progress == D("0.75")


def leaves(value: Any) -> int:
    """How many scalars a decoded state holds (what a transcoder turns into objects)."""
    if isinstance(value, dict):
        return sum(leaves(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(leaves(v) for v in value)
    return 1


def test_snapshots_do_not_grow_in_objects_with_the_check_ins() -> None:
    """A snapshot holds the check-ins and measurements as a few packed strings, not one
    object per field per item, so a long history decodes as fast as a short one."""
    cycle = a_cycle()
    kpi = a_kpi()
    short, long = a_key_result(cycle, kpi=kpi), a_key_result(cycle, kpi=kpi)
    for kr, n in ((short, 2), (long, 300)):
        for i in range(n):
            day = date(2027, 1, 1) + timedelta(days=i % 80)
            kr.record_check_in(cycle=cycle, value=D(i), on=day, author=AUTHOR, note=f"n{i}")
            kpi.record_measurement(value=D(i), on=day, author=AUTHOR)
        kr.collect_events()
    state = KeyResult.Snapshot.take(long).state
    assert leaves(state) == leaves(KeyResult.Snapshot.take(short).state)
    assert all(type(column) is str for column in state["_check_ins"].values())
    assert state["class_version"] == 2
    kpi_state = KPI.Snapshot.take(kpi).state
    assert all(type(column) is str for column in kpi_state["_measurements"].values())
    assert kpi_state["class_version"] == 2


def v1_snapshot(aggregate: Aggregate, field: str, records: dict[str, Any]) -> Snapshot:
    """A snapshot as stored before v2: per-item dicts keyed by id, no class_version."""
    state = dict(Snapshot.take(aggregate).state)
    del state["class_version"]
    state[field] = records
    return Snapshot(
        originator_id=aggregate.id,
        originator_version=aggregate.version,
        timestamp=Snapshot.create_timestamp(),
        topic=get_topic(type(aggregate)),
        state=state,
    )


def test_key_result_snapshot_v1_upcasts_to_the_same_state() -> None:
    """Snapshots stored before check-ins were packed still load, corrections included."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    first = kr.record_check_in(
        cycle=cycle, value=D(22), on=date(2027, 1, 20), author=AUTHOR, confidence=5, note="a"
    )
    second = kr.record_check_in(
        cycle=cycle, value=D("20.5"), on=date(2027, 1, 10), author="key:1", source="api"
    )
    kr.correct_check_in(check_in_id=first, value=D(21), reason="typo", author=AUTHOR, note="b")
    events = kr.collect_events()
    recorded = {e.check_in_id: e.timestamp for e in events if isinstance(e, KeyResult.CheckedIn)}
    records = {
        str(first): {
            "value": D(21), "on": date(2027, 1, 20), "confidence": 5, "note": "b",
            "author": AUTHOR, "source": "manual", "original_value": D(22), "corrected": True,
            "recorded_at": recorded[first], "seq": 0,
        },
        str(second): {
            "value": D("20.5"), "on": date(2027, 1, 10), "confidence": None, "note": "",
            "author": "key:1", "source": "api", "original_value": D("20.5"),
            "corrected": False, "recorded_at": recorded[second], "seq": 1,
        },
    }  # fmt: skip
    mapper = a_mapper()
    stored = mapper.to_stored_event(v1_snapshot(kr, "_check_ins", records))
    snapshot = mapper.to_domain_event(stored)
    assert isinstance(snapshot, Snapshot)
    restored = snapshot.mutate(None)
    assert restored == kr
    assert isinstance(restored, KeyResult)
    assert restored.check_ins[first].original_value == D(22)
    assert restored.current_value == D(21)
    assert restored.check_ins[second].recorded_at == recorded[second]


def test_kpi_snapshot_v1_upcasts_to_the_same_state() -> None:
    """Snapshots stored before measurements were packed still load."""
    kpi = a_kpi()
    measured = kpi.record_measurement(value=D(190), on=date(2027, 1, 4), author=AUTHOR, note="x")
    kpi.correct_measurement(measurement_id=measured, value=D(19), reason="x10", author=AUTHOR)
    (_, recorded, _) = kpi.collect_events()
    records = {
        str(measured): {
            "value": D(19), "on": date(2027, 1, 4), "author": AUTHOR, "source": "manual",
            "note": "x", "original_value": D(190), "corrected": True,
            "recorded_at": recorded.timestamp, "seq": 0,
        }
    }  # fmt: skip
    mapper = a_mapper()
    stored = mapper.to_stored_event(v1_snapshot(kpi, "_measurements", records))
    snapshot = mapper.to_domain_event(stored)
    assert isinstance(snapshot, Snapshot)
    restored = snapshot.mutate(None)
    assert restored == kpi
    assert isinstance(restored, KPI)
    assert restored.latest_value == D(19)
