"""The raw audit trail: JSON-safe payloads, filters and exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import msgspec

from domain import KeyResult
from projections.audit import (
    CSV_COLUMNS,
    AuditEntry,
    audit_csv,
    audit_entry,
    audit_jsonl,
    filter_audit,
)
from tests.projections.builders import Log, busy_tenant, seed_efficiency


def _entries(log: Log) -> list[AuditEntry]:
    return [audit_entry(record) for record in log.records]


def _busy() -> tuple[Log, list[AuditEntry]]:
    log = Log()
    busy_tenant(log)
    return log, _entries(log)


def test_every_event_is_in_the_trail_with_its_transaction_facts() -> None:
    """Auditors need who, when, what and the chain hash of every single event."""
    log, entries = _busy()

    assert [e.position for e in entries] == [r.position for r in log.records]
    first, record = entries[0], log.records[0]
    assert (first.hash, first.actor, first.topic) == (
        record.hash.hex(),
        "alice",
        "okr.Cycle.Created",
    )
    assert (first.correlation_id, first.stream_id, first.version) == (
        record.correlation_id,
        record.stream_id,
        1,
    )


def test_an_event_that_is_no_dataclass_gives_its_attributes() -> None:
    """Every event of ours is a dataclass; one that is not still has a JSON-safe payload."""
    log = Log()
    busy_tenant(log)

    class Loose:
        def __init__(self) -> None:
            self.value = Decimal("19.20")
            self.on = date(2027, 1, 4)

    odd = msgspec.structs.replace(log.records[0], event=Loose())
    assert audit_entry(odd).payload == {"value": "19.20", "on": "2027-01-04"}


def test_payload_is_json_safe_with_exact_decimals() -> None:
    """Money and measured values leave as strings, never as floats that lose digits."""
    _, entries = _busy()

    revised = next(e for e in entries if e.topic == "okr.KeyResult.TargetRevised")

    assert revised.payload["target"] == "1100000"
    assert revised.payload["reason"] == "budget cut"
    assert isinstance(revised.payload["originator_id"], str)
    json.dumps([e.payload for e in entries])  # plain JSON all the way down
    closed = next(e for e in entries if e.topic == "okr.Cycle.Closed")
    assert all(isinstance(v, str) for v in closed.payload["key_result_scores"].values())


def test_a_tiny_score_leaves_in_plain_notation() -> None:
    """A key result moved a ten-millionth of its way closed with a score of 1E-7, which the
    trail, its CSV and the portal's wrote as "1E-7": a spreadsheet reads that as text, a
    person as a code. It is written 0.0000001, and every other value as recorded."""
    log = Log()
    cycle, goal, response, milestone, costs = seed_efficiency(log)
    tiny = Decimal(1) / Decimal(10_000_000)
    cycle.close(
        key_result_scores={response.id: tiny, milestone.id: Decimal(0), costs.id: Decimal("0.50")},
        objective_scores={goal.id: tiny / 3},
        closed_by="alice",
    )
    log.save(cycle)

    closed = _entries(log)[-1]
    (_, line) = list(csv.reader(io.StringIO("".join(audit_csv([closed])))))

    assert closed.payload["key_result_scores"][str(response.id)] == "0.0000001"
    assert closed.payload["objective_scores"][str(goal.id)] == f"0.0000000{'3' * 28}"
    assert "E-" not in line[-1] and "0.0000001" in line[-1]


def test_filters_by_actor_item_topic_and_time() -> None:
    """An auditor narrows the trail to one person, one item, one kind of change, one window."""
    log, entries = _busy()
    check_ins = [r for r in log.records if isinstance(r.event, KeyResult.CheckedIn)]
    some_kr = check_ins[0].stream_id
    start = log.records[10].recorded_at
    end = log.records[15].recorded_at

    assert {e.actor for e in filter_audit(entries, actor="bob")} == {"bob"}
    assert {e.stream_id for e in filter_audit(entries, stream_id=some_kr)} == {some_kr}
    assert [e.topic for e in filter_audit(entries, topic="okr.KeyResult.CheckedIn")] == [
        r.topic for r in check_ins
    ]
    assert all(e.topic.startswith("okr.KPI.") for e in filter_audit(entries, topic="okr.KPI"))
    assert not list(filter_audit(entries, topic="okr.KP"))
    window = list(filter_audit(entries, since=start, until=end))
    assert [e.position for e in window] == [11, 12, 13, 14, 15]


def test_csv_export_has_a_header_and_one_parsable_line_per_entry() -> None:
    """The CSV must open in a spreadsheet and carry the payload intact."""
    _, entries = _busy()

    parsed = list(csv.reader(io.StringIO("".join(audit_csv(entries)))))

    assert tuple(parsed[0]) == CSV_COLUMNS
    assert len(parsed) == len(entries) + 1
    assert json.loads(parsed[1][-1]) == entries[0].payload


def test_csv_export_defuses_formula_like_actors() -> None:
    """An actor named "=HYPERLINK(...)" must not run as a formula in the auditor's spreadsheet."""
    log = Log()
    busy_tenant(log)
    entry = msgspec.structs.replace(_entries(log)[0], actor="=cmd()")

    (_, line) = list(csv.reader(io.StringIO("".join(audit_csv([entry])))))

    assert line[2] == "'=cmd()"


def test_csv_export_runs_no_formula_in_a_spreadsheet_that_splits_on_semicolons() -> None:
    """A spreadsheet set to Italian (Excel's list separator there) splits the file on
    semicolons: a note "ok;=cmd|' /C calc'!A0;" made a cell of its own that ran as a
    formula. The payload says it as a JSON escape there, and reads back the same."""
    note = "ok;=cmd|' /C calc'!A0;-2+3;@SUM(A1)"
    entry = msgspec.structs.replace(_busy()[1][0], payload={"note": note, "tags": ["a;+b"]})
    text = "".join(audit_csv([entry]))

    split_on_semicolons = [cell for row in csv.reader(io.StringIO(text), delimiter=";")
                           for cell in row]  # fmt: skip
    assert not [c for c in split_on_semicolons if c.startswith(("=", "+", "-", "@"))]
    (_, line) = list(csv.reader(io.StringIO(text)))
    assert json.loads(line[-1]) == {"note": note, "tags": ["a;+b"]}


def test_jsonl_export_round_trips_each_entry() -> None:
    """JSON Lines is the machine export: each line decodes back to the same entry."""
    _, entries = _busy()

    lines = list(audit_jsonl(entries))

    assert all(line.endswith(b"\n") for line in lines)
    assert [msgspec.json.decode(line, type=AuditEntry) for line in lines] == entries


def test_filter_window_is_half_open() -> None:
    """[since, until): consecutive windows never count an event twice."""
    log, entries = _busy()
    moment = log.records[5].recorded_at

    before = list(filter_audit(entries, until=moment))
    after = list(filter_audit(entries, since=moment))

    assert len(before) + len(after) == len(entries)
    assert after[0].recorded_at == moment
    assert not list(filter_audit(entries, since=moment + timedelta(days=3650)))
    assert date(2027, 1, 1) <= entries[0].recorded_at.date()


def test_jsonl_export_keeps_each_entry_on_one_line_for_any_reader() -> None:
    """A note or a title may hold U+2028 (a line separator) or U+2029 (and NEL, which JSON
    leaves raw too): written raw, a reader that splits on every Unicode line end (Python's
    splitlines, as many scripts read a file) cut the entry in two, and neither half was
    JSON. They are JSON escapes now: one line an entry, and the same payload read back."""
    note = "primo\u2028secondo\u2029terzo\x85quarto"
    entry = msgspec.structs.replace(_busy()[1][0], payload={"note": note})

    lines = b"".join(audit_jsonl([entry, entry])).decode().splitlines()

    assert [json.loads(line)["payload"] for line in lines] == [{"note": note}] * 2
