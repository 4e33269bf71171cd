"""Properties every projection owes the projector: bytes round trip, pure folds, equal rebuilds."""

from __future__ import annotations

from typing import Any

import pytest

from projections.base import Projection, collect
from projections.registry import PROJECTIONS
from tests.projections.builders import Log, busy_tenant


@pytest.fixture(scope="module")
def records() -> list[Any]:
    log = Log()
    busy_tenant(log)
    return log.records


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
def test_encode_decode_round_trip_equals_the_state(
    projection: Projection[Any], records: list[Any]
) -> None:
    """The projector stores state as bytes between batches: it must come back identical."""
    state, _ = collect(projection, records)

    again = projection.decode_state(projection.encode_state(state))

    assert again == state
    assert projection.rows(again) == projection.rows(state)


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
def test_rebuild_equals_two_incremental_halves(
    projection: Projection[Any], records: list[Any]
) -> None:
    """Rebuilt tables must equal tables kept incrementally across a persisted-state boundary."""
    rebuilt, rebuilt_log = collect(projection, records)
    half = len(records) // 2
    first, first_log = collect(projection, records[:half])
    stored = projection.decode_state(projection.encode_state(first))
    second, second_log = collect(projection, records[half:], stored)

    assert projection.rows(second) == projection.rows(rebuilt)
    for table in projection.tables:
        if table.kind == "log":
            joined = first_log.get(table.name, []) + second_log.get(table.name, [])
            assert joined == rebuilt_log.get(table.name, [])


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
def test_fold_never_changes_the_state_it_is_given(
    projection: Projection[Any], records: list[Any]
) -> None:
    """Diffing rows before and after a batch, and as-of diffs, need the old state intact."""
    state = projection.initial()
    for record in records:
        before = projection.encode_state(state)
        new, _ = projection.fold(state, record)
        assert projection.encode_state(state) == before
        state = new


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
def test_rows_match_the_declared_tables(projection: Projection[Any], records: list[Any]) -> None:
    """The projector builds SQL from `tables`: every row must fit its table's columns."""
    state, appended = collect(projection, records)
    widths = {t.name: len(t.columns) for t in projection.tables}
    kinds = {t.name: t.kind for t in projection.tables}

    for name, rows in projection.rows(state).items():
        assert kinds[name] == "state"
        assert all(len(row) == widths[name] for row in rows)
    for name, rows in appended.items():
        assert kinds[name] == "log"
        assert rows and all(len(row) == widths[name] for row in rows)


def test_projection_and_table_names_are_unique() -> None:
    """Two read models writing one table would corrupt each other."""
    names = [p.name for p in PROJECTIONS]
    tables = [t.name for p in PROJECTIONS for t in p.tables]

    assert len(set(names)) == len(names)
    assert len(set(tables)) == len(tables)
    assert all(t.name.startswith("rm_") for p in PROJECTIONS for t in p.tables)


def test_state_keys_are_unique_per_table(records: list[Any]) -> None:
    """Upserts by key need one row per key in every state table."""
    for projection in PROJECTIONS:
        state, _ = collect(projection, records)
        for table in projection.tables:
            if table.kind != "state":
                continue
            names = [c.name for c in table.columns]
            index = [names.index(k) for k in table.key]
            keys = [tuple(row[i] for i in index) for row in projection.rows(state)[table.name]]
            assert len(set(keys)) == len(keys), table.name


def test_every_domain_event_has_a_fold_handler_and_a_history_line() -> None:
    """A new domain event must not slip past the read side unnoticed."""
    from eventsourcing.domain import CanMutateAggregate

    from domain import KPI, AccessChange, Cycle, KeyResult, Objective, SettingsChange
    from projections.history_lines import _DESCRIBERS, _DIRECT
    from projections.progress_fold import _HANDLERS

    events = {
        value
        for aggregate in (Cycle, Objective, KeyResult, KPI, SettingsChange, AccessChange)
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, CanMutateAggregate)
        and value.__name__ != "Event"  # the library's generic base of each aggregate
    }

    assert len(events) >= 30
    assert events == set(_HANDLERS) == set(_DESCRIBERS) | set(_DIRECT)
    assert not set(_DESCRIBERS) & set(_DIRECT)


def test_rows_worked_out_per_changed_cycle_equal_rows_worked_out_whole(
    records: list[Any],
) -> None:
    """After every event, the memoised rows (only changed cycles and KPIs worked out again)
    equal the rows of the whole state worked out from nothing, as sets per table."""
    from projections.codec import row_of
    from projections.portfolio import portfolio_facts
    from projections.progress import progress_projection, progress_rows, state_rows

    state = progress_projection.initial()
    for record in records:
        state, _ = progress_projection.fold(state, record)
        whole = {
            name: sorted(map(repr, map(row_of, rows)))
            for name, rows in progress_rows(state).items()
        } | {"rm_portfolio": [repr(row_of(portfolio_facts(state)))]}
        memoised = {name: sorted(map(repr, rows)) for name, rows in state_rows(state).items()}
        assert memoised == whole


def test_progress_state_comes_back_from_its_item_rows(records: list[Any]) -> None:
    """Readers put the state together from rm_progress_items: the same state, same order."""
    from projections.progress import ITEMS, item_rows, progress_projection, state_of_items
    from services.projector.tables import encoded_row

    state, _ = collect(progress_projection, records)
    table = next(t for t in progress_projection.tables if t.name == ITEMS)
    stored = [encoded_row(table, row) for row in item_rows(state)]
    back = state_of_items((kind, data) for _, kind, _, data in sorted(stored, key=lambda r: r[2]))
    assert back == state
    for name in ("cycles", "objectives", "key_results", "kpis"):
        assert list(getattr(back, name)) == list(getattr(state, name))


@pytest.fixture(scope="module")
def two_cycles() -> list[Any]:
    """The busy tenant, then a second cycle whose key results move while the first is
    closed, and a KPI measured in between: changes that touch one cycle, both, or none."""
    from datetime import date

    from domain import Cycle
    from tests.projections.builders import check_in, key_result, kpi, objective

    log = Log()
    busy_tenant(log)
    cycle = Cycle.create(name="Q2 2027", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30))
    cycle.activate(author="alice")
    log.save(cycle)
    company = objective(log, cycle, "Crescere ancora", level="company", roll_up_children=True)
    team = objective(log, cycle, "Vendite", parent=company)
    krs = [
        key_result(log, cycle, team, f"KR {i}", "increase", start=100, target=200) for i in range(3)
    ]
    meter = kpi(log, "Ordini")
    for day in range(1, 20):
        check_in(log, cycle, krs[day % 3], 100 + 5 * day, date(2027, 5, day))
        if day % 4 == 0:
            meter.record_measurement(value=day, on=date(2027, 5, day), author="api")
            log.save(meter)
    team.change_weight(weight=3, cycle=cycle, author="alice")
    krs[1].archive(reason="dropped", cycle=cycle, author="alice")
    log.save(team, krs[1])
    return log.records


@pytest.fixture(scope="module")
def deep_tree() -> list[Any]:
    """Three levels that roll up (company, team, squad) and a sibling team that does not
    count, with check-ins at every level: a check-in deep down moves every level above it,
    and no other objective."""
    from datetime import date

    from tests.projections.builders import active_quarter, check_in, key_result, objective

    log = Log()
    cycle = active_quarter(log)
    company = objective(log, cycle, "Crescere", level="company", roll_up_children=True)
    team = objective(log, cycle, "Vendite", parent=company, roll_up_children=True)
    squad = objective(log, cycle, "Nord", parent=team)
    other = objective(log, cycle, "Marketing", parent=company)
    krs = [
        key_result(log, cycle, owner, f"KR {owner.title}", "increase", start=0, target=100)
        for owner in (squad, squad, team, other, company)
    ]
    for day in range(1, 26):
        check_in(log, cycle, krs[day % len(krs)], 4 * day, date(2027, 2, day))
    return log.records


@pytest.mark.parametrize("batch", [1, 2, 5, 17])
@pytest.mark.parametrize("fixture", ["records", "two_cycles", "deep_tree"])
def test_rows_written_from_changed_rows_keep_tables_equal_to_the_whole_rows(
    batch: int, fixture: str, request: pytest.FixtureRequest
) -> None:
    """A projector that upserts only the rows `changed_rows` hands back (those that differ)
    leaves, after every batch, tables equal to the whole rows of the state, row for row."""
    from uuid import uuid4

    from projections.progress import progress_projection
    from services.projector.folding import Folding
    from services.projector.tables import Writes, keyed

    records = request.getfixturevalue(fixture)
    tenant_id = uuid4()
    folding = Folding.new(progress_projection)
    tables: dict[str, dict[Any, Any]] = {t.name: {} for t in progress_projection.tables}
    incremental = 0
    for start in range(0, len(records), batch):
        folding.fold(records[start : start + batch])
        base = folding.base
        incremental += progress_projection.changed_rows(base, folding.state) is not None
        writes = Writes()
        folding.finish(tenant_id, writes)
        for table in progress_projection.tables:
            for tenant, *row in writes.upserts.get(table.name, []):
                assert tenant == tenant_id
                tables[table.name].update(keyed(table, [tuple(row)]))
            for _, *key in writes.deletes.get(table.name, []):
                del tables[table.name][tuple(key)]
        whole = _rows_from_nothing(folding.state)
        assert folding.rows is not None
        for table in progress_projection.tables:
            expected = keyed(table, whole[table.name])
            assert tables[table.name] == expected, (table.name, start)
            assert keyed(table, folding.rows[table.name]) == expected
    assert incremental >= len(records) // batch - 2  # all but the first batch, and no bail-out


def test_the_alignment_memo_keeps_one_entry_per_tenant_as_objectives_change() -> None:
    """Each objective change gives the state a new objectives dict; the memo of their
    alignment forgets the dict a batch replaced, so it does not grow with every edit."""
    from uuid import uuid4

    from projections import progress
    from services.projector.folding import Folding
    from services.projector.tables import Writes
    from tests.projections.builders import active_quarter, objective

    log = Log()
    cycle = active_quarter(log)
    goal = objective(log, cycle, "Crescere")
    for i in range(30):
        goal.rename(title=f"Crescere {i}", cycle=cycle, author="alice")
        log.save(goal)
    folding, tenant_id = Folding.new(progress.progress_projection), uuid4()
    folding.fold(log.records[:2])
    folding.finish(tenant_id, Writes())
    before = len(progress._aligned_memo)
    for record in log.records[2:]:
        folding.fold([record])
        folding.finish(tenant_id, Writes())
    assert len(progress._aligned_memo) <= before + 1


def test_a_full_memo_drops_its_oldest_entries_first() -> None:
    """The row memos are bounded: past their size the least recently put entry goes, and
    putting a key again makes it the newest."""
    from collections import OrderedDict

    from projections.progress import _remember

    memo: OrderedDict[int, str] = OrderedDict()
    for key in range(5):
        _remember(memo, key, f"v{key}", size=3)
    assert list(memo.items()) == [(2, "v2"), (3, "v3"), (4, "v4")]
    _remember(memo, 2, "again", size=3)
    _remember(memo, 5, "v5", size=3)
    assert list(memo.items()) == [(4, "v4"), (2, "again"), (5, "v5")]


def _rows_from_nothing(state: Any) -> dict[str, list[Any]]:
    """Every progress row of the state worked out with no memo (progress_rows): the oracle
    for rows that the projector works out from memos and changes."""
    from projections.codec import row_of
    from projections.portfolio import portfolio_facts
    from projections.progress import ITEMS, item_rows, progress_rows

    rows = {name: [row_of(r) for r in rs] for name, rs in progress_rows(state).items()}
    return rows | {"rm_portfolio": [row_of(portfolio_facts(state))], ITEMS: item_rows(state)}


def test_changed_rows_bail_out_when_an_item_went_away(records: list[Any]) -> None:
    """The fold never drops an item; if a state ever did, only the whole rows are right."""
    from msgspec.structs import replace

    from projections.progress import progress_projection

    state, _ = collect(progress_projection, records)
    first = next(iter(state.key_results))
    fewer = replace(state, key_results={k: v for k, v in state.key_results.items() if k != first})

    assert progress_projection.changed_rows(state, fewer) is None
    assert progress_projection.changed_rows(state, state) is not None


@pytest.mark.parametrize("direction", ["aligned_after", "aligned_before"])
def test_changed_rows_take_the_long_way_across_cycles(
    two_cycles: list[Any], direction: str
) -> None:
    """An objective aligned to one of another cycle (the domain forbids it; an old log may
    hold it) rolls up across cycles: leaving or making that alignment changes the other
    cycle's rows too, so the rows kept from changed_rows must still equal the whole rows."""
    from msgspec.structs import replace

    from projections.progress import progress_projection
    from services.projector.tables import keyed

    state, _ = collect(progress_projection, two_cycles)
    first, second = list(state.cycles)
    company = next(
        o for o in state.objectives.values() if o.cycle_id == first and o.roll_up_children
    )
    team = next(o for o in state.objectives.values() if o.cycle_id == second and o.parent_id)
    across = replace(
        state,
        objectives={
            **state.objectives,
            team.objective_id: replace(team, parent_id=company.objective_id),
        },
    )
    before, after = (across, state) if direction == "aligned_after" else (state, across)

    tables = {
        t.name: keyed(t, progress_projection.rows(before)[t.name])
        for t in progress_projection.tables
    }
    changed = progress_projection.changed_rows(before, after)
    whole = progress_projection.rows(after)
    for table in progress_projection.tables:
        if changed is None:
            kept = keyed(table, whole[table.name])
        else:
            kept = tables[table.name] | keyed(table, changed.get(table.name, []))
        assert kept == keyed(table, whole[table.name]), table.name


def test_a_change_of_settings_or_access_is_not_the_tenant_s_activity() -> None:
    """Last activity is the OKRs' and KPIs': a new consultancy admin, recorded in every
    client, made them all look active at once (an audit's finding). The position moves."""
    from domain import AccessChange, SettingsChange
    from tests.projections.builders import Log, active_quarter, fold_all

    log = Log()
    active_quarter(log)
    worked = log.records[-1].recorded_at
    settings = {"name": "A", "colour": "#000000", "fiscal_year_start_month": 1,
                "check_in_cadence_days": 7, "locale": "it", "time_zone": "UTC"}  # fmt: skip
    log.save(SettingsChange.make(before=settings, after={**settings, "name": "B"}, author="x"))
    log.save(AccessChange.make(subject="member", subject_id="u", tenant="B", before=None,
                               after="client_viewer", author="x"))  # fmt: skip

    state = fold_all(log.records)

    assert (state.last_activity, state.last_position) == (worked, len(log.records))
