"""decode() gives, row for row, the very events the tenant's mapper gives, only cheaper."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from msgspec.structs import replace

from domain import KPI, Cycle, KeyResult, Objective
from projections.audit import filter_audit
from projections.base import Recorded
from services import read
from services.bootstrap import System
from services.projector.decode import decode
from services.projector.registry import PROJECTIONS
from services.projector.waiting import projected_position
from services.projector.worker import Projector
from services.read import logs
from services.store.event_store import LogRecord
from services.store.transcoder import MsgspecTranscoder
from tests.domain import AUTHOR, a_cycle, a_key_result, a_kpi, an_objective
from tests.domain.test_event_evolution import event_classes

D = Decimal
AGGREGATES: list[type[Aggregate]] = [Cycle, Objective, KeyResult, KPI]


def every_topic() -> set[str]:
    """The topic of each event class the domain has."""
    return {event.TOPIC for aggregate in AGGREGATES for event in event_classes(aggregate)}


def a_full_history() -> list[Any]:
    """Every kind of domain event at least once: the pending events of one quarter."""
    cycle = a_cycle()
    company = an_objective(cycle, level="company", title="Crescere in Europa")
    objective = an_objective(cycle, parent=company)
    objective.rename(title="Efficienza operativa", cycle=cycle, author=AUTHOR)
    objective.describe(description="Meno attese", cycle=cycle, author=AUTHOR)
    objective.change_owner(owner="user-giulia", cycle=cycle, author=AUTHOR)
    objective.change_weight(weight=2, cycle=cycle, author=AUTHOR)
    objective.set_committed(committed=True, cycle=cycle, author=AUTHOR)
    objective.set_roll_up_children(roll_up_children=True, cycle=cycle, author=AUTHOR)
    objective.reparent(new_parent=None, new_parent_ancestors=[], cycle=cycle, author=AUTHOR)
    company.archive(reason="by mistake", cycle=cycle, author=AUTHOR)
    company.restore(reason="still wanted", cycle=cycle, parent=None, author=AUTHOR)
    company.archive(reason="merged", cycle=cycle, author=AUTHOR)
    kpi = a_kpi()
    measured = kpi.record_measurement(value=D("20.5"), on=date(2027, 1, 4), author=AUTHOR)
    kpi.correct_measurement(measurement_id=measured, value=D("21.5"), note="dal CRM",
                            reason="typo", author=AUTHOR)  # fmt: skip
    kpi.change_thresholds(green=D(19), red=D(23), reason="new SLA", author=AUTHOR)
    for way, green, red in (("higher_is_better", 23, 19), ("lower_is_better", 19, 23)):
        kpi.change_direction(direction=way, green=green, red=red, reason="turned", author=AUTHOR)
    kpi.rename(name="Tempo di risposta", author=AUTHOR)
    kpi.change_owner(owner="user-giulia", author=AUTHOR)
    kpi.change_frequency(frequency_days=14, author=AUTHOR)
    kr = a_key_result(cycle, objective)
    kr.link_to_kpi(kpi=kpi, cycle=cycle, author=AUTHOR)
    kpi.link_key_result(key_result_id=kr.id, author=AUTHOR)
    check_in = kr.record_check_in(
        cycle=cycle, value=D(22), on=date(2027, 1, 20), author=AUTHOR, confidence=5, note="CRM"
    )
    kr.correct_check_in(check_in_id=check_in, value=D("21.0"), reason="typo", author=AUTHOR)
    kr.revise_target(cycle=cycle, target=D(20), reason="hiring freeze", author=AUTHOR)
    kr.rename(title="Rispondere prima", cycle=cycle, author=AUTHOR)
    kr.change_weight(weight=D("1.5"), cycle=cycle, author=AUTHOR)
    kr.change_owner(owner="user-giulia", cycle=cycle, author=AUTHOR)
    kr.change_due_date(due_on=date(2027, 3, 15), cycle=cycle, author=AUTHOR)
    kr.unlink_from_kpi(cycle=cycle, author=AUTHOR)
    kpi.unlink_key_result(key_result_id=kr.id, author=AUTHOR)
    spare = a_key_result(cycle, objective, title="Ridurre i reclami")
    spare.archive(reason="duplicate", cycle=cycle, author=AUTHOR)
    kpi.archive(reason="replaced", author=AUTHOR)
    cycle.rename(name="Q1 2027 Milano", reason="two offices", author=AUTHOR)
    cycle.rename(name="Q1 2027 Roma", author=AUTHOR)
    cycle.reschedule(ends_on=date(2027, 3, 30), reason="typo", author=AUTHOR)
    mistake = a_cycle(state="planning", name="Q1 doppio")
    mistake.discard(reason="per errore", author=AUTHOR)
    cycle.close(
        key_result_scores={kr.id: kr.score, spare.id: D(0)},
        objective_scores={objective.id: D("0.5")},
        closed_by=AUTHOR,
    )
    cycle.adjust_score(item_id=kr.id, score=D("0.7"), reason="context", author=AUTHOR)
    return [
        e for a in (cycle, mistake, company, objective, kpi, kr, spare) for e in a.collect_events()
    ]


async def a_tenant_with(
    system: System, events: Sequence[Any], *, cipher: bool = False
) -> uuid.UUID:
    """A new tenant whose log holds these events, encrypted with a key of its own if told."""
    tenant_id = uuid.uuid4()
    if cipher:
        await system.repository.enable_cipher(tenant_id)
    mapper = await system.repository.mapper(tenant_id)
    stored = [mapper.to_stored_event(e) for e in events]
    await append(system, tenant_id, stored)
    return tenant_id


async def append(system: System, tenant_id: uuid.UUID, stored: list[StoredEvent]) -> None:
    await system.store.append(tenant_id, stored, actor=AUTHOR, correlation_id=uuid.uuid4())


async def by_the_mapper(system: System, rows: list[LogRecord]) -> list[Any]:
    mapper = await system.repository.mapper(rows[0].tenant_id)
    return [
        mapper.to_domain_event(StoredEvent(r.stream_id, r.version, r.topic, r.state)) for r in rows
    ]


def assert_same_events(decoded: list[Recorded], rows: list[LogRecord], events: list[Any]) -> None:
    """Same class, same state (in the same key order), and the row's facts around it."""
    assert len(decoded) == len(rows) == len(events)
    for record, row, event in zip(decoded, rows, events, strict=True):
        assert type(record) is Recorded
        assert type(record.event) is type(event)
        assert record.event.__dict__ == event.__dict__
        assert list(record.event.__dict__) == list(event.__dict__)
        for name in Recorded.__struct_fields__:
            if name != "event":
                assert getattr(record, name) == getattr(row, name)


async def test_every_event_type_decodes_as_the_mapper_decodes_it(system: System) -> None:
    """Each kind of event the domain records comes back identical to the mapper's object."""
    tenant_id = await a_tenant_with(system, a_full_history())
    rows = await system.store.read_log(tenant_id)

    decoded = await decode(system.repository, rows)

    assert {r.topic for r in rows} == every_topic()
    assert_same_events(decoded, rows, await by_the_mapper(system, rows))


async def test_each_tenant_decodes_with_its_own_cipher_key(system: System) -> None:
    """Two tenants with the same history and ids, one encrypted: each reads its own rows."""
    events = a_full_history()
    plain = await a_tenant_with(system, events)
    secret = await a_tenant_with(system, events, cipher=True)
    plain_rows = await system.store.read_log(plain)
    secret_rows = await system.store.read_log(secret)
    assert [r.stream_id for r in plain_rows] == [r.stream_id for r in secret_rows]
    assert all(p.state != s.state for p, s in zip(plain_rows, secret_rows, strict=True))

    for rows in (plain_rows, secret_rows):
        decoded = await decode(system.repository, rows)
        assert_same_events(decoded, rows, await by_the_mapper(system, rows))


async def test_the_audit_trail_reads_the_log_and_an_encrypted_tenant_s_too(
    system: System,
) -> None:
    """The trail is the log itself, decoded as it is read: an encrypted tenant's entries
    are those of a plain tenant with the same history, payloads in clear; its rows hold
    none of them in clear. Filters and the cursor are applied in SQL, to the log."""
    events = a_full_history()
    plain = await a_tenant_with(system, events)
    secret = await a_tenant_with(system, events, cipher=True)
    both = [await read.audit(system.repository, t, limit=1000) for t in (plain, secret)]
    facts = [[(e.position, e.stream_id, e.topic, e.payload) for e in trail] for trail in both]
    assert facts[0] == facts[1]
    assert [e.position for e in both[1]] == list(range(1, len(events) + 1))
    name = both[1][0].payload["name"].encode()  # the first cycle's
    assert any(name in r.state for r in await system.store.read_log(plain))
    assert not any(name in r.state for r in await system.store.read_log(secret))

    trail = both[1]
    for topic in ("okr.KeyResult", "okr.KeyResult.", "okr.KeyResult.CheckedIn"):
        wanted = list(filter_audit(trail, topic=topic))
        assert 0 < len(wanted) < len(trail)
        assert await read.audit(system.repository, secret, topic=topic, limit=1000) == wanted
    assert await read.audit(system.repository, secret, topic="okr.Key") == []  # not a prefix
    assert await read.audit(system.repository, secret, topic="okr._eyResult%") == []
    kr = next(e for e in trail if e.topic == "okr.KeyResult.CheckedIn").stream_id
    mine = await read.audit(system.repository, secret, stream_id=kr, limit=1000)
    assert mine == [e for e in trail if e.stream_id == kr]
    later = await read.audit(system.repository, secret, after_position=3, limit=2)
    assert [e.position for e in later] == [4, 5]
    assert await read.audit(system.repository, secret, actor="user:nobody") == []
    middle = trail[len(trail) // 2].recorded_at  # [since, until): half-open
    since = await read.audit(system.repository, secret, since=middle, limit=1000)
    until = await read.audit(system.repository, secret, until=middle, limit=1000)
    assert until + since == trail and since[0].recorded_at == middle


async def test_an_event_the_trail_cannot_decode_is_in_it_with_what_went_wrong(
    fresh: System,
) -> None:
    """A damaged row does not take the page (or the export) down with it: every fact of it
    is there, the payload says it could not be decoded, and the events around it decode."""
    cycle = a_cycle()
    tenant_id = await a_tenant_with(fresh, cycle.collect_events(), cipher=True)
    damaged = StoredEvent(cycle.id, 3, "okr.Cycle.Activated", b"\xc1 not a state")
    await append(fresh, tenant_id, [damaged])
    mapper = await fresh.repository.mapper(tenant_id)
    await append(fresh, tenant_id, [mapper.to_stored_event(e) for e in a_cycle().collect_events()])
    trail = await read.audit(fresh.repository, tenant_id)
    assert [e.position for e in trail] == [1, 2, 3, 4, 5]
    assert trail[2].payload == {read.UNDECODABLE: "MapperDeserialisationError"}
    assert (trail[2].topic, trail[2].version, trail[2].actor) == ("okr.Cycle.Activated", 3, AUTHOR)
    assert all(read.UNDECODABLE not in e.payload for e in trail[:2] + trail[3:])
    rows = await fresh.store.read_log(tenant_id)  # as the tenant's export reads them
    assert await read.audit_entries(fresh.repository, rows) == trail


async def test_the_database_failing_while_the_trail_is_decoded_is_not_a_row_s_fault(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key looked up again on a connection that breaks: the read fails (a 500, an export
    cut), rather than answering every row as undecodable."""
    tenant_id = await a_tenant_with(system, a_cycle().collect_events())

    async def broken(*_: Any) -> Any:
        raise asyncpg.InterfaceError("connection lost")

    monkeypatch.setattr(logs, "decode", broken)
    with pytest.raises(asyncpg.InterfaceError):
        await read.audit(system.repository, tenant_id)


async def test_message_pack_rows_never_fall_back_to_the_mapper(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cheap path covers every event type, encrypted or not: no row costs a mapper call."""
    events = a_full_history()
    tenants = [await a_tenant_with(system, events, cipher=c) for c in (False, True)]
    for tenant_id in tenants:
        rows = await system.store.read_log(tenant_id)
        expected = await by_the_mapper(system, rows)
        mapper = await system.repository.mapper(tenant_id)
        with monkeypatch.context() as patch:
            patch.setattr(mapper, "to_domain_event", _refuse)
            decoded = await decode(system.repository, rows)
        assert_same_events(decoded, rows, expected)


def _refuse(stored: StoredEvent) -> Any:
    raise AssertionError(f"the mapper was asked for {stored.topic}")


async def test_old_rows_are_read_and_upcast_as_the_mapper_does(system: System) -> None:
    """A v1 check-in (no source) stored as first-format JSON, and one as MessagePack."""
    cycle = a_cycle()
    kr = a_key_result(cycle)
    tenant_id = await a_tenant_with(system, kr.collect_events())
    legacy = (
        b'{"timestamp":{"#t":"2027-01-20T09:30:00+00:00"},'
        b'"check_in_id":{"#u":"1989e968-18af-4ff0-8229-fa52d41852d4"},"value":{"#d":"21.5"},'
        b'"on":{"#D":"2027-01-20"},"confidence":7,"note":"","author":"user-anna"}'
    )
    v1 = MsgspecTranscoder().encode(
        {
            "timestamp": kr.modified_on,
            "check_in_id": uuid.uuid4(),
            "value": D("20.0"),
            "on": date(2027, 1, 27),
            "confidence": None,
            "note": "a settimana",
            "author": AUTHOR,
        }
    )
    topic = "okr.KeyResult.CheckedIn"
    await append(system, tenant_id, [StoredEvent(kr.id, 2, topic, legacy)])
    await append(system, tenant_id, [StoredEvent(kr.id, 3, topic, v1)])
    rows = await system.store.read_log(tenant_id)

    decoded = await decode(system.repository, rows)

    assert_same_events(decoded, rows, await by_the_mapper(system, rows))
    assert [r.event.source for r in decoded[1:]] == ["manual", "manual"]
    assert decoded[1].event.value == D("21.5")


async def test_changes_of_access_and_settings_stored_without_reasons_decode_with_none(
    system: System,
) -> None:
    """An AccessChange of v2 and a SettingsChange of v1 (before reasons) decode as the
    mapper reads them: with no reason."""
    cycle = a_cycle()
    tenant_id = await a_tenant_with(system, cycle.collect_events())
    settings = {
        "name": "E", "colour": "#2563eb", "fiscal_year_start_month": 1,
        "check_in_cadence_days": 7, "locale": "it",
    }  # fmt: skip
    stamp = {"timestamp": cycle.modified_on}
    access_v2 = MsgspecTranscoder().encode({
        **stamp, "originator_topic": "okr.AccessChange", "subject": "tenant", "subject_id": "t",
        "name": None, "tenant": "E", "before": "active", "after": "suspended",
        "author": AUTHOR, "class_version": 2,
    })  # fmt: skip
    settings_v1 = MsgspecTranscoder().encode({
        **stamp, "originator_topic": "okr.SettingsChange", "before": settings,
        "after": {**settings, "check_in_cadence_days": 14}, "author": AUTHOR,
    })  # fmt: skip
    await append(system, tenant_id, [
        StoredEvent(uuid.uuid4(), 1, "okr.AccessChange.Created", access_v2),
        StoredEvent(uuid.uuid4(), 1, "okr.SettingsChange.Created", settings_v1),
    ])  # fmt: skip
    rows = (await system.store.read_log(tenant_id))[-2:]

    decoded = await decode(system.repository, rows)

    assert_same_events(decoded, rows, await by_the_mapper(system, rows))
    assert [r.event.reason for r in decoded] == [None, None]


async def test_string_stream_ids_are_converted_as_the_mapper_does(system: System) -> None:
    """Rows whose ids come as text get the UUID the mapper's id convertor makes of them."""
    tenant_id = await a_tenant_with(system, a_full_history())
    rows = [replace(r, stream_id=str(r.stream_id)) for r in await system.store.read_log(tenant_id)]

    decoded = await decode(system.repository, rows)

    events = await by_the_mapper(system, rows)
    assert [type(r.event.originator_id) for r in decoded] == [uuid.UUID] * len(rows)
    assert [r.event.__dict__ for r in decoded] == [e.__dict__ for e in events]


@pytest.mark.parametrize("cipher", [False, True], ids=["plain", "encrypted"])
async def test_a_damaged_row_raises_the_mappers_error(fresh: System, cipher: bool) -> None:
    """State that does not decrypt or decode fails as loudly as it does through the mapper."""
    system = fresh
    cycle = a_cycle()
    tenant_id = await a_tenant_with(system, cycle.collect_events(), cipher=cipher)
    damaged = StoredEvent(cycle.id, 3, "okr.Cycle.Activated", b"\xc1 not a state")
    await append(system, tenant_id, [damaged])
    rows = await system.store.read_log(tenant_id)

    with pytest.raises(MapperDeserialisationError, match=r"okr\.Cycle\.Activated"):
        await decode(system.repository, rows)


async def test_a_tenant_with_a_damaged_row_stops_alone(fresh: System) -> None:
    """The projector leaves a tenant whose row does not decode where it was (nothing
    skipped, tried again later) and goes on with the other tenants of the same pass."""
    cycle = a_cycle()
    damaged_tenant = await a_tenant_with(fresh, cycle.collect_events())
    before = await fresh.store.head(damaged_tenant)
    damaged = StoredEvent(cycle.id, 3, "okr.Cycle.Activated", b"\xc1 not a state")
    await append(fresh, damaged_tenant, [damaged])
    healthy = await a_tenant_with(fresh, a_full_history())
    projector = Projector(fresh.pool, fresh.repository, PROJECTIONS)

    done = await projector.project([damaged_tenant, healthy])

    assert set(done) == {healthy}
    assert projector.failures == {damaged_tenant: 1}
    assert await projected_position(fresh.pool, healthy, "progress") == await fresh.store.head(
        healthy
    )
    assert await projected_position(fresh.pool, damaged_tenant, "progress") == 0
    assert before == 2
