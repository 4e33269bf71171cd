"""The views over HTTP: progress as of a past instant, history and audit with cursors,
CSV and JSON Lines, the chain check, diff, export, and a consultancy's portfolio."""

from __future__ import annotations

import base64
import codecs
import csv
import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import msgspec
import pytest

from services import instants
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.projector.worker import TENANT_LOCK_KEY
from services.read.people import People
from services.settings import Settings
from services.store.chain import GENESIS, event_digest
from tenants.api_keys import create_api_key
from tenants.memberships import add_consultancy_member
from tenants.models import User
from tenants.users import create_user
from tests.api.builders import SharedIds, Side, World, a_side, token_settings


async def fresh_key_result(client: httpx.AsyncClient, world: World) -> tuple[str, str]:
    """A key result of tenant A with three check-ins (and the position of the last)."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    made = await client.post(
        f"{base}/key-results",
        headers=auth,
        json={
            "objective_id": str(world.ids.objective_id), "title": "Rinnovi", "kind": "increase",
            "start": 70, "target": 85, "unit": {"kind": "percent"},
        },
    )  # fmt: skip
    kr = made.json()["id"]
    position = ""
    for day, value in (("2027-01-10", 72), ("2027-01-20", 75), ("2027-01-30", 79)):
        done = await client.post(
            f"{base}/key-results/{kr}/check-ins", headers=auth, json={"value": value, "on": day}
        )
        position = done.headers["x-okr-position"]
    return kr, position


async def an_unassigned_consultant(system: System, world: World) -> User:
    """A consultant of A's consultancy that A has not been given (no membership)."""
    unassigned = await create_user(system.pool, f"{uuid.uuid4().hex[:8]}@studio.it", "Nessuno")
    await add_consultancy_member(system.pool, world.a.consultancy.id, unassigned.id, "consultant")
    return unassigned


async def test_a_tenant_is_told_the_names_of_those_who_may_act_in_it(
    system: System, world: World
) -> None:
    """Its members, its consultancy's admins (who reach it without a membership) and its
    keys; not a consultant of its consultancy it has not been given, nor anyone else,
    unless they acted in it."""
    unassigned = await an_unassigned_consultant(system, world)
    people = People(system.pool)  # a cache of its own: filled now
    names = await people.names(world.a.tenant.id)
    for role in ("consultancy_admin", "consultant", "client_admin", "client_viewer"):
        assert f"user:{world.a.user_ids[role]}" in names, role
    assert f"user:{unassigned.id}" not in names
    assert f"user:{world.b.user_ids['client_admin']}" not in names
    acted = await people.names(world.a.tenant.id, [f"user:{unassigned.id}"])
    assert acted[f"user:{unassigned.id}"] == "Nessuno"


async def test_a_key_made_since_the_names_were_kept_is_named(
    system: System, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names are kept a minute; a key made meanwhile that acts is looked up at once
    (its check-ins read "key:<uuid>" in the history), but a key the tenant never had is
    looked up once, not on every read."""
    people = People(system.pool)
    await people.names(world.a.tenant.id)
    made = await create_api_key(system.pool, world.a.tenant.id, "gestionale")
    actor, stranger = f"key:{made.key.id}", f"key:{uuid.uuid4()}"
    assert (await people.names(world.a.tenant.id, [actor]))[actor] == "gestionale"
    looked_up = 0
    tenant_names = people._tenant_names

    async def counted(tenant_id: uuid.UUID) -> dict[str, str]:
        nonlocal looked_up
        looked_up += 1
        return await tenant_names(tenant_id)

    monkeypatch.setattr(people, "_tenant_names", counted)
    for _ in range(3):
        assert stranger not in await people.names(world.a.tenant.id, [actor, stranger])
    assert looked_up == 1


async def test_history_says_who_by_name(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Lines name people, not their ids: who acted (in the text and as actor_name) and the
    owners before and after a hand-over, a consultancy's admin with no membership too; an
    owner typed as another tenant's person, or a consultant the tenant was not given, is
    "someone" (never their name), and the builder's "user:builder" (no account) "builder"."""
    kr, _ = await fresh_key_result(client, world)  # made and checked in by client_admin
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    consultant = f"user:{world.a.user_ids['consultant']}"
    handed = await client.patch(
        f"{base}/key-results/{kr}", headers=auth, json={"owner": consultant}
    )
    assert handed.status_code == 200, handed.text
    page = await client.get(
        f"{base}/history", headers=auth,
        params={"item_id": kr, "min_position": handed.headers["x-okr-position"]},
    )  # fmt: skip
    lines = page.json()["items"]
    assert {line["actor_name"] for line in lines} == {"Client_Admin"}
    assert all("Client_Admin" in line["text"] for line in lines), lines
    assert not any("user:" in line["text"] for line in lines), [ln["text"] for ln in lines]
    assert "Consultant" in lines[0]["text"] and lines[0]["actor"].startswith("user:")
    admin_of_the_consultancy = f"user:{world.a.user_ids['consultancy_admin']}"  # no membership
    someone_of_b = f"user:{world.b.user_ids['client_admin']}"
    unassigned = await an_unassigned_consultant(system, world)
    for owner in (f"user:{unassigned.id}", admin_of_the_consultancy, someone_of_b):
        handed = await client.patch(f"{base}/key-results/{kr}", headers=auth, json={"owner": owner})
        assert handed.status_code == 200, handed.text
    newest = await client.get(
        f"{base}/history", headers=auth,
        params={"item_id": kr, "limit": 3, "min_position": handed.headers["x-okr-position"]},
    )  # fmt: skip
    to_b, to_the_admin, to_unassigned = (line["text"] for line in newest.json()["items"])
    assert "→ Consultancy_Admin by" in to_the_admin, to_the_admin
    assert "Consultancy_Admin → someone by" in to_b, to_b  # B's: never told A
    assert "→ someone by" in to_unassigned and "someone →" in to_the_admin  # not given to A
    for text in (to_b, to_unassigned, to_the_admin):
        assert "user:" not in text and "Nessuno" not in text, text
    plan = await client.get(
        f"{base}/history", headers=auth, params={"item_id": str(world.ids.key_result_id)}
    )
    built = [line for line in plan.json()["items"] if line["actor"] == "user:builder"]
    assert built and all(line["actor_name"] == "builder" for line in built)
    assert all("by builder" in line["text"] for line in built), [ln["text"] for ln in built]


async def test_history_says_an_integration_and_an_import_s_author_as_the_portal_does(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The API left an actor it found no name for as it is: a key the tenant has no name
    for read "by key:<id>", an import's author "by user:anna", where the portal says "an
    integration" and "anna"; so did an owner typed so (the builder's "user:builder" handed
    over to "user:anna"). Each is said as the portal says it, in the text and as who acted
    (actor_name), a key of the tenant still by its name; the log keeps the actor."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    kr, key = str(world.ids.key_result_id), {"Authorization": f"Bearer {world.a.live_key}"}
    by_key = await client.post(
        f"{base}/key-results/{kr}/check-ins", headers=key, json={"value": 30, "on": "2027-02-20"}
    )
    assert by_key.status_code == 201, by_key.text
    handed = await client.patch(
        f"{base}/key-results/{kr}", headers=world.a.auth("client_admin"),
        json={"owner": "user:anna"},
    )  # fmt: skip
    assert handed.status_code == 200, handed.text
    app, stranger = OKRApplication(system.repository), f"key:{uuid.uuid4()}"
    for actor, name in ((stranger, "Q3 2027"), ("user:anna", "Q4 2027")):
        made = await app.cycles.create(
            Context(tenant_id=world.a.tenant.id, actor=actor), name=name,
            starts_on=date(2027, 7, 1), ends_on=date(2027, 9, 30),
        )  # fmt: skip

    answer = await client.get(
        f"{base}/history", headers=world.a.auth("client_admin"),
        params={"min_position": made.position, "limit": 4},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    said = [(line["actor"], line["actor_name"], line["text"]) for line in answer.json()["items"]]
    key_id = said[3][0]
    assert said == [
        ("user:anna", "anna", "cycle 'Q4 2027' planned from 2027-07-01 to 2027-09-30 by anna"),
        (stranger, "an integration",
         "cycle 'Q3 2027' planned from 2027-07-01 to 2027-09-30 by an integration"),
        (f"user:{world.a.user_ids['client_admin']}", "Client_Admin",
         "owner of 'Tempo di risposta' changed builder → anna by Client_Admin"),
        (key_id, "ERP sync", "'Tempo di risposta': check-in 30 for 2027-02-20 by ERP sync"),
    ]  # fmt: skip
    assert key_id.startswith("key:")


async def test_history_pages_newest_first_with_a_cursor(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every change of one item, page by page, no line twice, newest first."""
    kr, position = await fresh_key_result(client, world)
    path = f"/api/v1/tenants/{world.a.tenant.id}/history"
    auth = world.a.auth("client_viewer")
    seen: list[int] = []
    params: dict[str, str | int] = {"item_id": kr, "limit": 2, "min_position": position}
    while True:
        page = (await client.get(path, headers=auth, params=params)).json()
        seen += [line["position"] for line in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"item_id": kr, "limit": 2, "cursor": page["next_cursor"]}
    assert len(seen) == 4  # created + three check-ins
    assert seen == sorted(seen, reverse=True)
    for kind, lines in (("key_result.checked_in", 3), ("key_result", 4), ("kpi", 0)):
        page = await client.get(path, headers=auth, params={"item_id": kr, "kind": kind})
        assert len(page.json()["items"]) == lines, kind


async def test_a_kind_of_change_filters_every_sentence_of_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor asking for the check-ins gets every one: with a confidence, of a
    milestone, as well as the plain ones, and every key result added, a milestone too. The
    filter matched one sentence of each kind only (1 of the demo's 126 check-ins)."""
    kr, _ = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    await client.post(
        f"{base}/key-results/{kr}/check-ins", headers=auth,
        json={"value": 80, "on": "2027-02-10", "confidence": 7},
    )  # fmt: skip
    made = await client.post(
        f"{base}/key-results", headers=auth,
        json={"objective_id": str(world.ids.objective_id), "title": "Nuovo CRM",
              "kind": "milestone"},
    )  # fmt: skip
    milestone = made.json()["id"]
    done = await client.post(
        f"{base}/key-results/{milestone}/check-ins", headers=auth,
        json={"value": 1, "on": "2027-02-11", "confidence": 9},
    )  # fmt: skip
    position = done.headers["x-okr-position"]

    async def kinds_of(item: str, kind: str) -> list[str]:
        page = await client.get(
            f"{base}/history", headers=auth,
            params={"item_id": item, "kind": kind, "min_position": position},
        )  # fmt: skip
        assert page.status_code == 200, page.text
        return [line["template"] for line in page.json()["items"]]

    assert await kinds_of(kr, "key_result.checked_in") == [
        "key_result.checked_in_confidence", *["key_result.checked_in"] * 3,
    ]  # fmt: skip
    assert await kinds_of(milestone, "key_result.checked_in") == [
        "key_result.milestone_checked_in_confidence"
    ]
    assert await kinds_of(milestone, "key_result.created") == ["key_result.created_milestone"]
    assert await kinds_of(kr, "key_result.created") == ["key_result.created"]
    assert await kinds_of(kr, "key_result.checked_in_confidence") == [  # one sentence: itself
        "key_result.checked_in_confidence"
    ]


async def test_an_actor_is_found_whatever_the_case_of_their_id(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor pasting someone's id in upper case (as some tools print ids) is given
    their changes, in the history, the trail and its downloads: the filter compared the
    text, the log writes ids in lower case, and the answer was "nothing done by them"."""
    kr, position = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    admin = world.a.user_ids["client_admin"]
    for path in ("history", "audit", "audit.csv", "audit.jsonl"):
        found = []
        for actor in (f"user:{admin}", f"user:{str(admin).upper()}"):
            params = {"actor": actor, "item_id": kr}
            if path in ("history", "audit"):
                params["min_position"] = position
            answer = await client.get(f"{base}/{path}", headers=auth, params=params)
            assert answer.status_code == 200, answer.text
            found.append(answer.json()["items"] if "." not in path else answer.text)
        assert found[0] and found[0] == found[1], path


async def test_an_item_of_none_of_the_tenants_events_is_named(
    client: httpx.AsyncClient, world: World
) -> None:
    """Filtered by a mistyped id, or by an item of another tenant, the trail and the history
    answered an empty list, which reads as "nothing ever happened to it": 404 naming
    item_id, as for a cycle. A's key result is no item of B's (the same ids, B's own log);
    the tenant's own id is the item of the history's lines of settings and access."""
    kr, position = await fresh_key_result(client, world)
    for path in ("history", "audit", "audit.csv", "audit.jsonl"):
        for side, item in ((world.a, str(uuid.uuid4())), (world.b, kr)):
            answer = await client.get(
                f"/api/v1/tenants/{side.tenant.id}/{path}",
                headers=side.auth("client_admin"),
                params={"item_id": item},
            )
            assert answer.status_code == 404, (path, answer.text)
            assert [e["field"] for e in answer.json()["errors"]] == ["item_id"]
        mine = await client.get(
            f"/api/v1/tenants/{world.a.tenant.id}/{path}",
            headers=world.a.auth("client_admin"),
            params={"item_id": kr},
        )
        assert mine.status_code == 200, (path, mine.text)
    tenant = str(world.a.tenant.id)
    lines = await client.get(
        f"/api/v1/tenants/{tenant}/history",
        headers=world.a.auth("client_admin"),
        params={"item_id": tenant, "min_position": position},
    )
    assert lines.status_code == 200, lines.text


async def test_audit_trail_as_pages_csv_and_json_lines(
    client: httpx.AsyncClient, world: World
) -> None:
    """The same events three ways: JSON pages (oldest first), CSV, JSON Lines."""
    kr, position = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    page = await client.get(
        f"{base}/audit", headers=auth, params={"item_id": kr, "min_position": position}
    )
    entries = page.json()["items"]
    assert [e["topic"] for e in entries] == [
        "okr.KeyResult.Created",
        *["okr.KeyResult.CheckedIn"] * 3,
    ]
    assert all(len(e["hash"]) == 64 for e in entries)
    as_csv = await client.get(f"{base}/audit.csv", headers=auth, params={"item_id": kr})
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="audit-{world.a.tenant.id}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [int(r["position"]) for r in rows] == [e["position"] for e in entries]
    as_jsonl = await client.get(
        f"{base}/audit.jsonl", headers=auth, params={"topic": "okr.KeyResult.CheckedIn"}
    )
    lines = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert {e["position"] for e in entries[1:]} <= {line["position"] for line in lines}
    assert as_jsonl.headers["content-disposition"].endswith('.jsonl"')
    for download in (as_csv, as_jsonl):  # as the portal's: no cache keeps the trail
        assert download.headers["cache-control"] == "no-store"
        assert download.headers["x-content-type-options"] == "nosniff"


async def test_the_csv_opens_in_a_spreadsheet_with_its_accents(
    client: httpx.AsyncClient, world: World
) -> None:
    """The trail's CSV is for a spreadsheet (programs have its JSON): it had no BOM, so
    Excel read its UTF-8 as a legacy code page, "Qualità" as "QualitÃ ". It starts with
    one, as the portal's downloads do, once, however many pages of the log it holds."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    made = await client.post(
        f"{base}/objectives",
        headers=auth,
        json={"cycle_id": str(world.ids.cycle_id), "title": "Qualità", "owner": "Anna"},
    )
    assert made.status_code == 201, made.text
    as_csv = await client.get(
        f"{base}/audit.csv", headers=auth, params={"item_id": made.json()["id"]}
    )

    assert as_csv.content.startswith(codecs.BOM_UTF8)
    assert as_csv.content.count(codecs.BOM_UTF8) == 1
    (row,) = csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")))
    assert json.loads(row["payload"])["title"] == "Qualità"


async def test_the_csv_writes_an_instant_as_the_json_trail_does(
    client: httpx.AsyncClient, world: World
) -> None:
    """A reconciliation matches the CSV's lines to the JSON's by their instant: the CSV
    wrote 2027-01-10T09:00:00+00:00 where the pages, the JSON Lines and its own payload
    cell wrote 2027-01-10T09:00:00Z, so no instant of one equalled one of the other."""
    kr, position = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    query = {"item_id": kr}
    page = await client.get(
        f"{base}/audit", headers=auth, params={**query, "min_position": position}
    )
    as_csv = await client.get(f"{base}/audit.csv", headers=auth, params=query)
    as_jsonl = await client.get(f"{base}/audit.jsonl", headers=auth, params=query)

    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    in_json = [e["recorded_at"] for e in page.json()["items"]]
    assert [r["recorded_at"] for r in rows] == in_json
    assert [json.loads(line)["recorded_at"] for line in as_jsonl.text.splitlines()] == in_json
    assert all(at.endswith("Z") for at in in_json)


async def test_the_chain_verifies_and_the_export_recomputes_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """audit/verify says the log is intact; the export carries what it takes to check the
    chain offline: every event's stored state and hash."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    report = (await client.get(f"{base}/audit/verify", headers=auth)).json()
    assert report["ok"] is True and report["checked"] == report["head_position"] > 0
    export = await client.get(f"{base}/export", headers=auth)
    assert export.headers["content-type"].startswith("application/jsonl")
    assert export.headers["content-disposition"] == (
        f'attachment; filename="events-{world.a.tenant.id}.jsonl"'
    )
    assert export.headers["cache-control"] == "no-store"
    previous = GENESIS
    lines = [json.loads(line) for line in export.text.splitlines()]
    for line in lines:
        previous = event_digest(
            previous, world.a.tenant.id, line["position"], UUID(line["stream_id"]),
            line["version"], datetime.fromisoformat(line["recorded_at"]),
            UUID(line["correlation_id"]), line["topic"], line["actor"],
            base64.b64decode(line["state"]),
        )  # fmt: skip
        assert previous.hex() == line["hash"]
    assert [line["position"] for line in lines] == list(range(1, len(lines) + 1))
    assert world.b.secret not in export.text


async def test_progress_as_of_an_earlier_instant(client: httpx.AsyncClient, world: World) -> None:
    """What the system showed before a check-in: as_of replays the log up to that instant."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_viewer")
    kr, position = await fresh_key_result(client, world)
    audit = await client.get(
        f"{base}/audit", headers=world.a.auth("client_admin"),
        params={"item_id": kr, "min_position": position},
    )  # fmt: skip
    second = audit.json()["items"][2]  # after the second check-in (75)
    then = await client.get(
        f"{base}/progress", headers=auth, params={"as_of": second["recorded_at"]}
    )
    now = await client.get(f"{base}/progress", headers=auth, params={"min_position": position})

    def value(tree: dict[str, Any]) -> str:
        text = json.dumps(tree)
        assert kr in text
        for cycle in tree["cycles"]:
            for objective in cycle["objectives"]:
                for node in objective["key_results"]:
                    if node["key_result_id"] == kr:
                        return str(node["value"])
        raise AssertionError("key result missing")

    assert value(then.json()) == "75"
    assert value(now.json()) == "79"
    by_position = await client.get(
        f"{base}/progress", headers=auth, params={"as_of_position": second["position"]}
    )
    assert value(by_position.json()) == "75"


async def test_a_date_stands_for_its_whole_day(client: httpx.AsyncClient, world: World) -> None:
    """?as_of= and ?to= take a date as its last instant (what was known by the end of that
    day, as `okr progress --as-of` and the portal read it); ?since= and ?until= as the
    whole day, from its first instant to its last; so does a diff ?from= a day ?to= a day:
    from a day to itself is what changed that day."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    zone = world.a.tenant.zone  # a date is the tenant's day (not UTC's: from 23:00 UTC,
    for _ in range(2):  # Rome's is the next): made across its midnight once, made again
        kr, position = await fresh_key_result(client, world)
        audit = await client.get(
            f"{base}/audit", headers=auth, params={"item_id": kr, "min_position": position}
        )
        recorded = {
            datetime.fromisoformat(e["recorded_at"]).astimezone(zone).date()
            for e in audit.json()["items"]
        }
        if len(recorded) == 1:
            break
    (day,) = recorded
    before, after = (day - timedelta(days=1)).isoformat(), (day + timedelta(days=1)).isoformat()

    async def known(params: dict[str, str]) -> bool:
        tree = await client.get(f"{base}/progress", headers=auth, params=params)
        assert tree.status_code == 200, tree.text
        return kr in tree.text

    assert await known({"as_of": day.isoformat()})
    assert not await known({"as_of": before})

    async def history(since: str | None, until: str | None) -> int:
        params = {"item_id": kr, "min_position": position} | {  # (projected by then)
            k: v for k, v in (("since", since), ("until", until)) if v is not None
        }
        page = await client.get(f"{base}/history", headers=auth, params=params)
        assert page.status_code == 200, page.text
        return len(page.json()["items"])

    assert await history(day.isoformat(), day.isoformat()) == 4  # created + three check-ins
    assert await history(None, before) == 0
    assert await history(after, None) == 0
    reversed_days = await client.get(
        f"{base}/history", headers=auth, params={"since": day.isoformat(), "until": before}
    )
    assert reversed_days.status_code == 422, reversed_days.text
    assert reversed_days.json()["errors"][0]["rule"] == "range_order"

    changes = await client.get(
        f"{base}/diff", headers=auth, params={"from": before, "to": str(day)}
    )
    assert changes.status_code == 200, changes.text
    assert any(c["item_id"] == kr and c["field"] == "created" for c in changes.json())
    that_day = await client.get(
        f"{base}/diff", headers=auth, params={"from": str(day), "to": str(day)}
    )
    assert that_day.json() == changes.json()  # all made that day
    after_it = (day + timedelta(days=1)).isoformat()
    nothing = await client.get(
        f"{base}/diff", headers=auth, params={"from": after_it, "to": after_it}
    )
    # made today: the day after is still to come, of which nothing is known yet (it
    # answered an empty list, as if that day had been looked at and found quiet)
    assert nothing.status_code == 422, nothing.text
    assert nothing.json()["errors"][0]["field"] == "from"


async def test_a_tree_as_it_stood_refuses_a_min_position_past_the_log(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every read of one tenant refuses a min_position past its log (422 beyond_head: no
    write answered it); the progress as of an instant or a position took one and answered
    200, the mistyped position unsaid. It reads the log itself, so one within it is taken
    as it was."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_viewer")
    _, written = await fresh_key_result(client, world)
    position = int(written)
    for point in ({"as_of": datetime.now(UTC).isoformat()}, {"as_of_position": position}):
        past = await client.get(
            f"{base}/progress", headers=auth, params={**point, "min_position": position + 1000}
        )
        assert past.status_code == 422, past.text
        assert [(e["field"], e["rule"]) for e in past.json()["errors"]] == [
            ("min_position", "beyond_head")
        ]
        within = await client.get(
            f"{base}/progress", headers=auth, params={**point, "min_position": position}
        )
        assert within.status_code == 200, within.text


async def test_an_instant_still_to_come_is_now(client: httpx.AsyncClient, world: World) -> None:
    """as_of in the year 2999 is what is known now, with today's pace and status (not those
    of a day that has not come); a diff to then is a diff to now, and one from today's date
    (its end is to come) with no `to` is from now to now, not refused as out of order."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_viewer")
    _, position = await fresh_key_result(client, world)

    async def tree(params: dict[str, str]) -> Any:
        got = await client.get(f"{base}/progress", headers=auth, params=params)
        assert got.status_code == 200, got.text
        return got.json()

    now = await tree({"as_of_position": position})
    assert await tree({"as_of": "2999-01-01"}) == now  # a date: the tenant's day
    # an instant keeps its writer's day: UTC's here (from 23:00 UTC, not the tenant's)
    utc_today = datetime.now(UTC).date().isoformat()
    in_utc = await tree({"as_of_position": position, "today": utc_today})
    assert await tree({"as_of": "2999-01-01T00:00:00Z"}) == in_utc
    until_then = await client.get(
        f"{base}/diff", headers=auth, params={"from": "2000-01-01", "to": "2999-01-01"}
    )
    until_now = await client.get(f"{base}/diff", headers=auth, params={"from": "2000-01-01"})
    assert until_then.status_code == 200, until_then.text
    assert until_then.json() == until_now.json() != []
    today = datetime.now(world.a.tenant.zone).date().isoformat()  # its end is to come
    since_today = await client.get(f"{base}/diff", headers=auth, params={"from": today})
    assert since_today.status_code == 200, since_today.text
    read_to = datetime.fromisoformat(until_then.headers["X-OKR-Read-To"])
    assert datetime.now(UTC) - timedelta(minutes=1) < read_to <= datetime.now(UTC)


async def test_a_diff_from_a_day_still_to_come_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A diff from a day still to come answered an empty list (API, okr diff) or today's
    changes (the portal): nothing is known of such a day, so no change can be after it
    yet; it is 422 naming `from`, as okr diff and the portal refuse it too. A `to` still
    to come is read as now, and X-OKR-Read-To says the instant read."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_viewer")
    tomorrow = (datetime.now(world.a.tenant.zone) + timedelta(days=1)).date().isoformat()
    for params in ({"from": tomorrow}, {"from": "2999-01-01", "to": "2999-06-01"},
                   {"from": "2999-01-01T00:00:00Z"}):  # fmt: skip
        refused = await client.get(f"{base}/diff", headers=auth, params=params)
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["rule"]) == ("from", "in_the_future")
        assert "still to come" in error["message"]
    asked = await client.get(f"{base}/diff", headers=auth, params={"from": "2026-01-01",
                                                                   "to": "2026-01-31"})  # fmt: skip
    assert asked.headers["X-OKR-Read-To"] == (
        instants.end_of(date(2026, 1, 31), world.a.tenant.zone).astimezone(UTC).isoformat()
    )


async def test_a_view_as_of_an_instant_still_to_come_says_it_shows_now(
    client: httpx.AsyncClient, world: World
) -> None:
    """A view as of an instant still to come (progress, KPIs, a key result's and a KPI's
    series) quietly showed now, as if that instant had been read: each is read as now, as
    a diff's `to` still to come is, and X-OKR-Read-As-Of says the instant read; as of an
    instant gone by, that instant; as of a position alone, no instant, so no header."""
    tenant = world.a.tenant
    base = f"/api/v1/tenants/{tenant.id}"
    auth = world.a.auth("client_viewer")
    kr, position = await fresh_key_result(client, world)
    made = datetime.now(UTC).isoformat()  # an instant gone by: read as given
    views = ("/progress", "/kpis", f"/key-results/{kr}/series",
             f"/kpis/{world.ids.kpi_id}/series")  # fmt: skip
    for view in views:
        for as_of in ("2999-01-01", "2999-01-01T00:00:00Z"):
            to_come = await client.get(f"{base}{view}", headers=auth, params={"as_of": as_of})
            assert to_come.status_code == 200, (view, to_come.text)
            read_at = datetime.fromisoformat(to_come.headers["X-OKR-Read-As-Of"])
            assert datetime.now(UTC) - timedelta(minutes=1) < read_at <= datetime.now(UTC), view
        gone_by = await client.get(f"{base}{view}", headers=auth, params={"as_of": made})
        assert gone_by.status_code == 200, (view, gone_by.text)
        assert gone_by.headers["X-OKR-Read-As-Of"] == made, view
        at = await client.get(f"{base}{view}", headers=auth, params={"as_of_position": position})
        assert at.status_code == 200, (view, at.text)
        assert "X-OKR-Read-As-Of" not in at.headers, view


async def test_diff_between_two_instants(client: httpx.AsyncClient, world: World) -> None:
    """Before -> after per field, between ?from and ?to."""
    before = datetime.now(UTC).isoformat()
    kr, _ = await fresh_key_result(client, world)
    changes = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/diff",
        headers=world.a.auth("client_viewer"),
        params={"from": before},
    )
    assert changes.status_code == 200, changes.text
    mine = [c for c in changes.json() if c["item_id"] == kr]
    assert {"field": "created", "before": None, "after": "Rinnovi"}.items() <= mine[0].items()
    backwards = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/diff",
        headers=world.a.auth("client_viewer"),
        params={"from": datetime.now(UTC).isoformat(), "to": before},
    )
    assert backwards.status_code == 422


async def test_the_diff_says_how_a_new_and_an_archived_key_result_stand(
    client: httpx.AsyncClient, world: World
) -> None:
    """The diff said "created" of a key result added and "archived" of one retired, not
    what either weighs and stands at, so the change of their objective's progress could
    not be worked out from it. A new one says its weight, start, target, status and what
    it counts as in its objective's progress (0: no check-in yet); an archived one, each
    of these as it stood, before equal to after (unchanged)."""
    retired, _ = await fresh_key_result(client, world)  # 70 % → 85 %, at 79 %: 0.6
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    since = datetime.now(UTC).isoformat()
    made = await client.post(f"{base}/key-results", headers=auth, json={
        "objective_id": str(world.ids.objective_id), "title": "Nuovi clienti",
        "kind": "increase", "start": 50, "target": 60, "weight": 2,
    })  # fmt: skip
    archived = await client.post(
        f"{base}/key-results/{retired}/archive", headers=auth, json={"reason": "doppione"}
    )
    assert made.status_code == 201 and archived.status_code == 200, made.text + archived.text

    changes = await client.get(f"{base}/diff", headers=auth, params={"from": since})

    assert changes.status_code == 200, changes.text

    def said(item: str) -> dict[str, tuple[str | None, str | None]]:
        return {
            c["field"]: (c["before"], c["after"]) for c in changes.json() if c["item_id"] == item
        }

    assert said(made.json()["id"]) == {
        "created": (None, "Nuovi clienti"), "weight": (None, "2"), "start": (None, "50"),
        "target": (None, "60"), "status": (None, "not_started"), "counted_progress": (None, "0"),
    }  # fmt: skip
    stood = said(retired)
    del stood["status"]  # said: as it stood, or as it moved with the day
    assert stood == {
        "archived": ("false", "true"), "start": ("70", "70"), "target": ("85", "85"),
        "weight": ("1", "1"), "value": ("79", "79"), "raw_progress": ("0.6", "0.6"),
    }  # fmt: skip


async def test_the_diff_names_an_earlier_day_s_value_recorded_late_or_corrected(
    client: httpx.AsyncClient, world: World
) -> None:
    """A check-in for a day before the latest, and a correction of an older one, leave the
    latest value as it was: each is a change of the value in force for its day (before
    the late one, 75 of Jan 20, as valid_at reads it and the history says), with
    `valid_on`. A check-in for a later day is the value's change (no `valid_on`)."""
    kr, _ = await fresh_key_result(client, world)  # 72 on Jan 10, 75 on Jan 20, 79 on Jan 30
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    since = datetime.now(UTC).isoformat()
    series = await client.get(f"{base}/key-results/{kr}/series", headers=auth)
    first = series.json()["values"][0]
    assert first["valid_on"] == "2027-01-10"
    for path, body in (
        (f"check-ins/{first['point_id']}/corrections", {"value": 71, "reason": "letto male"}),
        ("check-ins", {"value": 77, "on": "2027-01-25"}),  # late, for a day before the latest
        ("check-ins", {"value": 80, "on": "2027-02-03"}),  # new
    ):
        done = await client.post(f"{base}/key-results/{kr}/{path}", headers=auth, json=body)
        assert done.status_code == 201, done.text

    changes = await client.get(f"{base}/diff", headers=auth, params={"from": since})

    assert changes.status_code == 200, changes.text
    values = [
        (c["before"], c["after"], c["valid_on"])
        for c in changes.json()
        if c["item_id"] == kr and c["field"] == "value"
    ]
    assert values == [("79", "80", None), ("72", "71", "2027-01-10"), ("75", "77", "2027-01-25")]


async def test_a_series_as_it_stood(client: httpx.AsyncClient, world: World) -> None:
    """?as_of_position= and ?as_of= give the values recorded by then: a later correction is
    not among them (nor is the value it superseded marked), and a position past the log's
    head gives the series as it is; the pace line and target are those of then (a target
    revised since is not). A date before the key result, or position 0 for a KPI: 404 with
    rule not_yet (there was no such item then)."""
    kr, position = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{kr}"
    auth = world.a.auth("client_admin")
    first = await client.get(f"{base}/series", headers=auth, params={"min_position": position})
    check_in_id = first.json()["values"][0]["point_id"]
    corrected = await client.post(
        f"{base}/check-ins/{check_in_id}/corrections",
        headers=auth,
        json={"value": 71, "reason": "letto male"},
    )
    assert corrected.status_code == 201, corrected.text
    revised = await client.post(
        f"{base}/target-revisions", headers=auth, json={"target": 90, "reason": "più clienti"}
    )
    assert revised.status_code in (200, 201), revised.text

    async def chart(params: dict[str, str | int]) -> Any:
        got = await client.get(f"{base}/series", headers=auth, params=params)
        assert got.status_code == 200, got.text
        return got.json()

    async def values(params: dict[str, str | int]) -> list[tuple[str, bool, bool]]:
        return [
            (p["value"], p["corrected"], p["superseded"]) for p in (await chart(params))["values"]
        ]

    three = [("72", False, False), ("75", False, False), ("79", False, False)]
    assert await values({"as_of_position": int(position)}) == three
    assert (await chart({"as_of_position": int(position)}))["target"] == "85"
    assert await values({"as_of_position": int(position) - 1}) == three[:2]
    now = await values({"min_position": revised.headers["x-okr-position"]})
    assert now == [("72", False, True), ("71", True, False), *three[1:]]  # by date
    latest = await chart({"min_position": revised.headers["x-okr-position"]})
    assert (latest["target"], latest["original_target"]) == ("90", "85")
    assert latest["pace"][1]["value"] == "90"
    for path in (f"{base}/series", f"/api/v1/tenants/{world.a.tenant.id}/progress"):
        past = await client.get(path, headers=auth, params={"as_of_position": 2**62})
        assert past.status_code == 422, past.text  # the log never stood there: not "now"
        assert past.json()["errors"][0]["rule"] == "beyond_head"
    recorded = sorted(latest["values"], key=lambda p: p["position"])  # in log order
    assert await values({"as_of": recorded[1]["recorded_at"]}) == three[:2]
    day = datetime.fromisoformat(recorded[0]["recorded_at"]).date()
    kpi = f"/api/v1/tenants/{world.a.tenant.id}/kpis/{world.ids.kpi_id}/series"
    assert (await client.get(kpi, headers=auth)).json()["values"]
    for path, params in (
        (f"{base}/series", {"as_of": (day - timedelta(days=1)).isoformat()}),
        (kpi, {"as_of_position": 0}),
    ):
        before = await client.get(path, headers=auth, params=params)
        assert before.status_code == 404, before.text
        assert before.json()["errors"][0]["rule"] == "not_yet"
    for params, field in (({"as_of": "soon"}, "as_of"), ({"as_of_position": -1}, "as_of_position")):
        refused = await client.get(f"{base}/series", headers=auth, params=params)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field


async def test_series_of_a_key_result_and_a_kpi_and_404_for_an_unknown_or_other_item(
    client: httpx.AsyncClient, world: World
) -> None:
    """A key result's values in log order, a KPI's measurements; an id that is no key
    result (unknown, or a KPI's) is 404 under /key-results, and likewise under /kpis."""
    kr, position = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_viewer")
    got = await client.get(
        f"{base}/key-results/{kr}/series", headers=auth, params={"min_position": position}
    )
    assert got.status_code == 200, got.text
    chart = got.json()
    assert [(p["valid_on"], p["value"]) for p in chart["values"]] == [
        ("2027-01-10", "72"), ("2027-01-20", "75"), ("2027-01-30", "79"),
    ]  # fmt: skip
    assert {p["item_kind"] for p in chart["values"]} == {"key_result"}
    assert (chart["key_result_id"], chart["kind"], chart["target"]) == (kr, "increase", "85")
    assert chart["pace"] == [  # from the cycle's start at the start to the due date at the target
        {"on": "2027-01-01", "value": "70"}, {"on": "2027-03-31", "value": "85"},
    ]  # fmt: skip
    assert chart["position"] >= int(position)
    measured = (await client.get(f"{base}/kpis/{world.ids.kpi_id}/series", headers=auth)).json()
    assert str(world.ids.measurement_id) in {p["point_id"] for p in measured["values"]}
    assert {p["item_kind"] for p in measured["values"]} == {"kpi"}
    assert (measured["direction"], measured["green"], measured["red"]) == (
        "lower_is_better", "20", "24",
    )  # fmt: skip

    missing = "00000000-0000-4000-8000-000000000000"
    for path, field in (
        (f"key-results/{missing}", "key_result_id"),
        (f"key-results/{world.ids.kpi_id}", "key_result_id"),
        (f"kpis/{missing}", "kpi_id"),
        (f"kpis/{kr}", "kpi_id"),
    ):
        refused = await client.get(f"{base}/{path}/series", headers=auth)
        assert refused.status_code == 404, (path, refused.text)
        assert refused.json()["errors"][0]["field"] == field


async def test_a_consultancy_sees_its_portfolio(client: httpx.AsyncClient, world: World) -> None:
    """The consultancy's people see each client's summary; B's clients are not among them."""
    response = await client.get(
        f"/api/v1/consultancies/{world.a.consultancy.id}/portfolio",
        headers=world.a.auth("consultancy_admin"),
        params={"today": "2027-02-15"},
    )
    assert response.status_code == 200
    entries = {e["tenant"]["id"]: e["summary"] for e in response.json()["items"]}
    assert str(world.a.tenant.id) in entries
    assert str(world.b.tenant.id) not in entries
    assert entries[str(world.a.tenant.id)]["active_cycles"] == 1
    assert Decimal(entries[str(world.a.tenant.id)]["progress"]) >= 0


async def test_the_portfolio_leaves_out_an_archived_objective_s_key_results(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Archiving an objective takes its key results out of the client's tree: the
    portfolio counted them still (its key results, statuses and overdue check-ins), so a
    consultancy read an off-track key result its client's own page no longer showed."""
    side = await a_side(system, token_settings(api_settings), SharedIds(), "secret-x", "21")
    base, auth = f"/api/v1/tenants/{side.tenant.id}", side.auth("client_admin")
    cycle = (await client.get(f"{base}/cycles", headers=auth)).json()["items"][0]["cycle_id"]
    made = await client.post(
        f"{base}/objectives", headers=auth, json={"cycle_id": cycle, "title": "Abbandonato"}
    )
    objective = made.json()["id"]
    kr = await client.post(
        f"{base}/key-results", headers=auth,
        json={"objective_id": objective, "title": "Mai", "kind": "increase", "start": 0,
              "target": 100},
    )  # fmt: skip
    await client.post(
        f"{base}/key-results/{kr.json()['id']}/check-ins", headers=auth,
        json={"value": 1, "on": "2027-01-05"},
    )  # fmt: skip
    archived = await client.post(
        f"{base}/objectives/{objective}/archive", headers=auth, json={"reason": "superato"}
    )
    assert archived.status_code in (200, 201), archived.text
    params = {"today": "2027-02-15", "min_position": archived.headers["x-okr-position"]}
    tree = (await client.get(f"{base}/progress", headers=auth, params=params)).json()
    shown = [k for c in tree["cycles"] for o in c["objectives"] for k in o["key_results"]]

    portfolio = await client.get(
        f"/api/v1/consultancies/{side.consultancy.id}/portfolio",
        headers=side.auth("consultancy_admin"), params={"today": "2027-02-15"},
    )  # fmt: skip

    [summary] = [e["summary"] for e in portfolio.json()["items"]]
    statuses = ("not_started", "on_track", "at_risk", "off_track", "done")
    assert summary["key_results"] == len(shown) == 1
    assert {s: summary[s] for s in statuses} == {
        s: sum(k["status"] == s for k in shown) for s in statuses
    }
    assert summary["stale_key_results"] == sum(k["stale"] for k in shown) == 1
    assert summary["progress"] == tree["cycles"][0]["progress"]


async def test_lists_page_with_cursors(client: httpx.AsyncClient, world: World) -> None:
    """Key results one by one: each page after the last, none twice, then the end."""
    await fresh_key_result(client, world)
    path = f"/api/v1/tenants/{world.a.tenant.id}/key-results"
    auth = world.a.auth("client_viewer")
    ids: list[str] = []
    params: dict[str, str | int] = {"limit": 1}
    while True:
        page = (await client.get(path, headers=auth, params=params)).json()
        ids += [kr["key_result_id"] for kr in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 1, "cursor": page["next_cursor"]}
    assert len(ids) == len(set(ids)) >= 2
    bad = await client.get(path, headers=auth, params={"cursor": "not-ours"})
    assert bad.status_code == 422


async def stale_in_each_tree(client: httpx.AsyncClient, side: Side, position: int) -> list[bool]:
    """The one key result's staleness on 12 Feb 2027 (11 days after its check-in), as the
    progress tree, the objective tree and the key-result list each report it."""
    base = f"/api/v1/tenants/{side.tenant.id}"
    params: dict[str, str | int] = {"today": "2027-02-12", "min_position": position}
    auth = side.auth("client_viewer")
    trees = [
        (await client.get(f"{base}/{path}", headers=auth, params=params)).json()
        for path in ("progress", "objectives/tree")
    ]
    listed = await client.get(f"{base}/key-results", headers=auth, params=params)
    return [
        *(kr["stale"] for t in trees for c in t["cycles"] for o in c["objectives"]
          for kr in o["key_results"]),
        *(kr["stale"] for kr in listed.json()["items"]),
    ]  # fmt: skip


async def test_staleness_follows_each_tenant_cadence(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Eleven days without a check-in is overdue for a weekly tenant, not for a fortnightly
    one with the same ids: every tree the API serves applies the tenant's own cadence, and
    the cycle list agrees with the tree it is drawn from."""
    tokens, ids = token_settings(api_settings), SharedIds()
    weekly = await a_side(system, tokens, ids, "secret-weekly", "21")
    fortnightly = await a_side(system, tokens, ids, "secret-fortnightly", "21")
    changed = await client.patch(
        f"/api/v1/tenants/{fortnightly.tenant.id}",
        headers=fortnightly.auth("client_admin"),
        json={"check_in_cadence_days": 14},
    )
    assert changed.status_code == 200, changed.text
    head = {s.tenant.id: await system.store.head(s.tenant.id) for s in (weekly, fortnightly)}

    assert await stale_in_each_tree(client, fortnightly, head[fortnightly.tenant.id]) == [False] * 3
    assert await stale_in_each_tree(client, weekly, head[weekly.tenant.id]) == [True] * 3
    for side in (weekly, fortnightly):
        base = f"/api/v1/tenants/{side.tenant.id}"
        auth = side.auth("client_viewer")
        cycles = (await client.get(f"{base}/cycles", headers=auth)).json()["items"]
        tree = (await client.get(f"{base}/progress", headers=auth)).json()
        assert [(c["cycle_id"], c["progress"]) for c in cycles] == [
            (c["cycle_id"], c["progress"]) for c in tree["cycles"]
        ]


async def test_a_change_of_cadence_is_in_the_log_and_the_past_keeps_its_own(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A change of settings is an event of the tenant's log, with who made it and every
    setting before and after: the trail and the history show it, and a view as of an
    instant before it is shown with the cadence of then, not the directory's latest. A
    change to what is already set writes nothing; a refused one changes nothing."""
    side = await a_side(system, token_settings(api_settings), SharedIds(), "secret-cad", "21")
    base = f"/api/v1/tenants/{side.tenant.id}"
    admin, viewer = side.auth("client_admin"), side.auth("client_viewer")
    planned = await system.store.head(side.tenant.id)

    async def stale(**params: str | int) -> bool:
        tree = await client.get(
            f"{base}/progress", headers=viewer, params={"today": "2027-02-12", **params}
        )
        assert tree.status_code == 200, tree.text
        said: bool = next(
            kr["stale"] for c in tree.json()["cycles"] for o in c["objectives"]
            for kr in o["key_results"]
        )  # fmt: skip
        return said

    fortnightly = await client.patch(base, headers=admin, json={"check_in_cadence_days": 14})
    assert fortnightly.status_code == 200, fortnightly.text
    first = int(fortnightly.headers["X-OKR-Position"])
    assert first == planned + 1 == await system.store.head(side.tenant.id)
    renamed = await client.patch(
        base, headers=admin, json={"name": "Acme 2027", "check_in_cadence_days": 30}
    )
    second = int(renamed.headers["X-OKR-Position"])
    assert second == first + 1

    # Eleven days after the check-in: overdue weekly, not fortnightly nor monthly.
    assert await stale(min_position=second) is False
    assert await stale(as_of_position=planned) is True  # before any change: weekly
    assert await stale(as_of_position=first) is False

    trail = await client.get(
        f"{base}/audit", headers=admin, params={"topic": "okr.SettingsChange.Created"}
    )
    changes = trail.json()["items"]
    assert [c["position"] for c in changes] == [first, second]
    assert changes[1]["actor"] == f"user:{side.user_ids['client_admin']}"
    assert changes[1]["payload"]["before"]["check_in_cadence_days"] == 14
    assert changes[1]["payload"]["after"] == {
        "name": "Acme 2027", "colour": side.tenant.colour, "fiscal_year_start_month": 1,
        "check_in_cadence_days": 30, "locale": side.tenant.locale,
        "time_zone": side.tenant.time_zone,
    }  # fmt: skip
    lines = await client.get(
        f"{base}/history", headers=viewer, params={"kind": "tenant", "min_position": second}
    )
    texts = [line["text"] for line in lines.json()["items"]]
    assert texts[0].startswith("settings of 'Acme 2027' changed by ")
    assert texts[0].endswith(": name 'Acme Servizi' → 'Acme 2027', check-in cadence 14 → 30 days")
    assert texts[1].endswith(": check-in cadence 7 → 14 days")
    assert [c["field"] for c in lines.json()["items"][0]["changes"]] == [
        "name", "check_in_cadence_days"
    ]  # fmt: skip

    same = await client.patch(base, headers=admin, json={"check_in_cadence_days": 30})
    assert same.status_code == 200
    assert int(same.headers["X-OKR-Position"]) == second == await system.store.head(side.tenant.id)
    for bad in ({"check_in_cadence_days": 0}, {"name": "Acme", "colour": "blue"}):
        refused = await client.patch(base, headers=admin, json=bad)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == next(reversed(bad))
    assert await system.store.head(side.tenant.id) == second
    kept = await client.get(base, headers=admin)
    assert (kept.json()["name"], kept.json()["check_in_cadence_days"]) == ("Acme 2027", 30)


async def test_the_trail_filters_by_a_topic_or_a_dotted_prefix_of_topics(
    client: httpx.AsyncClient, world: World
) -> None:
    base = f"/api/v1/tenants/{world.a.tenant.id}/audit"
    auth = world.a.auth("client_admin")
    everything = (await client.get(base, headers=auth, params={"limit": 500})).json()["items"]
    for topic in ("okr", "okr.KeyResult", "okr.KeyResult.", "okr.KeyResult.CheckedIn"):
        found = await client.get(base, headers=auth, params={"topic": topic, "limit": 500})
        assert found.status_code == 200, (topic, found.text)
        wanted = topic.rstrip(".")
        assert [e["position"] for e in found.json()["items"]] == [
            e["position"] for e in everything
            if e["topic"] == wanted or e["topic"].startswith(wanted + ".")
        ]  # fmt: skip


async def test_a_value_written_with_an_absurd_exponent_reaches_the_read_models(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "0E+99999999999" is zero: it is logged as 0, so the projector can store it and the
    series shows it (logged as written, no projector could, and the tenant's read models
    stopped for good); one that says more than six decimal places is refused."""
    kr, _ = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{kr}"
    auth = world.a.auth("client_admin")
    done = await client.post(
        f"{base}/check-ins", headers=auth, json={"value": "0E+99999999999", "on": "2027-02-01"}
    )
    assert done.status_code == 201, done.text
    after = {"min_position": done.headers["x-okr-position"]}
    series = await client.get(f"{base}/series", headers=auth, params=after)
    assert series.status_code == 200, series.text
    assert series.json()["values"][-1]["value"] == "0"
    refused = await client.post(
        f"{base}/check-ins", headers=auth, json={"value": "1E-99999999999", "on": "2027-02-02"}
    )
    assert refused.status_code == 422
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("value", "too_precise")]


async def test_a_series_says_a_value_as_it_was_written(
    client: httpx.AsyncClient, world: World
) -> None:
    """110000 checked in is 110000 in the series, as in the check-ins (the series read it
    back from numeric as "1.1E+5")."""
    kr, _ = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{kr}"
    auth = world.a.auth("client_admin")
    done = await client.post(
        f"{base}/check-ins", headers=auth, json={"value": "110000", "on": "2027-02-01"}
    )
    after = {"min_position": done.headers["x-okr-position"]}
    series = await client.get(f"{base}/series", headers=auth, params=after)
    assert [p["value"] for p in series.json()["values"]] == ["72", "75", "79", "110000"]


async def test_a_kpi_can_be_renamed_and_retired(client: httpx.AsyncClient, world: World) -> None:
    """There was no route for either (a retired KPI stayed on every dashboard and fed its
    key results): renamed, then archived with a reason, it leaves the list of live KPIs,
    takes no more measurements (409), and the history says both."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/kpis"
    auth = world.a.auth("client_admin")
    made = await client.post(base, headers=auth, json={
        "name": "Da ritirare", "direction": "higher_is_better", "green": 5, "red": 1,
    })  # fmt: skip
    kpi = made.json()["id"]
    renamed = await client.patch(f"{base}/{kpi}", headers=auth, json={"name": "Ritirato presto"})
    assert renamed.status_code == 200, renamed.text
    for same in ("Ritirato presto", "Ritirato presto "):  # the same name, as it is kept
        again = await client.patch(f"{base}/{kpi}", headers=auth, json={"name": same})
        assert again.headers["x-okr-position"] == renamed.headers["x-okr-position"], same
        assert again.headers["etag"] == renamed.headers["etag"], same  # nothing written
    retired = await client.post(f"{base}/{kpi}/archive", headers=auth,
                                json={"reason": "non serve più"})  # fmt: skip
    assert retired.status_code == 200, retired.text
    after = {"min_position": retired.headers["x-okr-position"]}
    listed = await client.get(base, headers=auth, params=after)
    assert kpi not in {k["kpi_id"] for k in listed.json()["items"]}
    measured = await client.post(
        f"{base}/{kpi}/measurements", headers=auth, json={"value": 3, "on": "2027-02-02"}
    )
    assert measured.status_code == 409
    lines = await client.get(
        f"/api/v1/tenants/{world.a.tenant.id}/history", headers=auth,
        params={"item_id": kpi, **after},
    )  # fmt: skip
    said = [line["text"] for line in lines.json()["items"]]
    assert any("archived" in t and "non serve più" in t for t in said), said
    assert any("Ritirato presto" in t for t in said), said


async def test_the_kpis_as_they_stood_at_a_past_point(
    client: httpx.AsyncClient, world: World
) -> None:
    """/kpis had no "as of" (the portal's as-of page shows the KPI tiles as known then; an
    API user had each KPI's series alone): as of a position or an instant it lists the
    KPIs as the log stood there, with their latest value and health then; a KPI made
    later is not there, one archived later still is; a position past the log is 422."""
    base = f"/api/v1/tenants/{world.a.tenant.id}/kpis"
    auth = world.a.auth("client_admin")
    made = await client.post(base, headers=auth, json={
        "name": "Rinnovi", "direction": "higher_is_better", "green": 80, "red": 60,
    })  # fmt: skip
    kpi = made.json()["id"]
    first = await client.post(
        f"{base}/{kpi}/measurements", headers=auth, json={"value": 70, "on": "2027-02-02"}
    )
    then = first.headers["x-okr-position"]
    await client.post(
        f"{base}/{kpi}/measurements", headers=auth, json={"value": 85, "on": "2027-02-09"}
    )
    later = await client.post(base, headers=auth, json={
        "name": "Nuovo", "direction": "higher_is_better", "green": 5, "red": 1,
    })  # fmt: skip
    retired = await client.post(
        f"{base}/{kpi}/archive", headers=auth, json={"reason": "non serve più"}
    )

    def shown(page: httpx.Response) -> dict[str, tuple[str, str]]:
        assert page.status_code == 200, page.text
        return {  # (the world's own KPI aside)
            k["name"]: (k["value"], k["health"])
            for k in page.json()["items"]
            if k["name"] in ("Rinnovi", "Nuovo")
        }

    now = {"min_position": retired.headers["x-okr-position"]}
    assert set(shown(await client.get(base, headers=auth, params=now))) == {"Nuovo"}
    asked = {"as_of_position": then, "today": "2027-02-10"}
    assert shown(await client.get(base, headers=auth, params=asked)) == {"Rinnovi": ("70", "amber")}
    at_made = {"as_of_position": later.headers["x-okr-position"], "today": "2027-02-10"}
    assert shown(await client.get(base, headers=auth, params=at_made)) == {
        "Rinnovi": ("85", "green"), "Nuovo": (None, None),
    }  # fmt: skip
    past = await client.get(base, headers=auth, params={"as_of_position": 10**9})
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "as_of_position"


@pytest.mark.parametrize(
    "damage", ["state = set_byte(state, 0, 193)", "topic = topic || 'X'"]
)  # its bytes, or a topic no class answers to
async def test_as_of_past_a_damaged_row_says_where_the_log_cannot_be_read(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, damage: str
) -> None:
    """A row of the log damaged on disk: a view "as of" a point past it answered a bare
    500 (the CLI a traceback). It is a 500 that says the log cannot be read there, at
    which position; a point before it, and the current view, still answer."""
    from tests.api.test_tenancy import a_new_tenant

    tenant = await a_new_tenant(client, world)
    auth, base = world.a.auth("consultancy_admin"), f"/api/v1/tenants/{tenant}"
    made = await client.post(
        f"{base}/cycles", headers=auth,
        json={"name": "Q3 2027", "starts_on": "2027-07-01", "ends_on": "2027-09-30"},
    )  # fmt: skip
    damaged = int(made.headers["x-okr-position"])
    shown = await client.get(f"{base}/progress", headers=auth, params={"min_position": damaged})
    assert shown.status_code == 200, shown.text
    await admin.execute(
        f"UPDATE events SET {damage} WHERE tenant_id = $1 AND position = $2",
        UUID(tenant), damaged,
    )  # fmt: skip
    past = await client.get(f"{base}/progress", headers=auth, params={"as_of_position": damaged})
    assert past.status_code == 500
    problem = past.json()
    assert problem["type"] == "/problems/log-unreadable"
    assert f"at position {damaged}" in problem["detail"]
    assert problem["errors"][0]["rule"] == "log_unreadable"
    before = await client.get(
        f"{base}/progress", headers=auth, params={"as_of_position": damaged - 1}
    )
    assert before.status_code == 200, before.text
    assert (await client.get(f"{base}/progress", headers=auth)).status_code == 200


async def test_a_cursor_is_taken_only_by_the_list_that_gave_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """A check-ins cursor on the key results gave 15 of 19; a users cursor on the API keys
    an empty page a sync took for the end; tenant B's cursor read tenant A's list. Each is
    refused 422 naming the cursor; the list's own cursor still turns its page."""
    a, b = world.a, world.b
    base = f"/api/v1/tenants/{a.tenant.id}"
    auth = a.auth("client_admin")
    check_ins_path = f"{base}/key-results/{world.ids.key_result_id}/check-ins"
    for day in ("2027-02-20", "2027-02-21"):  # two at least, whatever ran before
        made = await client.post(check_ins_path, headers=a.auth("client_member"),
                                 json={"value": "21", "on": day})  # fmt: skip
        assert made.status_code == 201, made.text
    check_ins = await client.get(
        f"{base}/key-results/{world.ids.key_result_id}/check-ins", headers=auth,
        params={"limit": 1},
    )  # fmt: skip
    history = await client.get(f"{base}/history", headers=auth, params={"limit": 1})
    theirs = await client.get(
        f"/api/v1/tenants/{b.tenant.id}/history", headers=b.auth("client_admin"),
        params={"limit": 1},
    )  # fmt: skip
    cursors = [r.json()["next_cursor"] for r in (check_ins, history, theirs)]
    assert all(cursors), cursors
    for path, cursor in (
        (f"{base}/key-results", cursors[0]),  # another list's
        (f"{base}/audit", cursors[1]),  # another list's, of positions as well
        (f"{base}/history", cursors[2]),  # another tenant's
    ):
        refused = await client.get(path, headers=auth, params={"cursor": cursor})
        assert refused.status_code == 422, (path, refused.text)
        error = refused.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("cursor", "bad_cursor")
    turned = await client.get(f"{base}/history", headers=auth, params={"cursor": cursors[1]})
    assert turned.status_code == 200, turned.text


async def test_a_position_cursor_edited_to_name_no_position_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A cursor of the history or the trail edited down to its list's mark, with no position
    after it, answered 500 (nothing to unpack); so did one of the forward walk. Each is 422
    naming the cursor, as any other cursor the API did not make."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    for path, params in (("history", {}), ("audit", {}), ("history", {"after_position": 0})):
        page = await client.get(f"{base}/{path}", headers=auth, params={**params, "limit": 1})
        cursor = page.json()["next_cursor"]
        mark = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[0]
        edited = base64.urlsafe_b64encode(msgspec.json.encode([mark])).decode().rstrip("=")
        refused = await client.get(
            f"{base}/{path}", headers=auth, params={**params, "cursor": edited}
        )
        assert refused.status_code == 422, (path, refused.text)
        error = refused.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("cursor", "bad_cursor")


async def another_cycle_and_objective(
    client: httpx.AsyncClient, world: World
) -> tuple[str, str, str]:
    """A cycle of 2027 beside the world's, with an objective: their ids, and the position
    of the objective's making."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    other = await client.post(f"{base}/cycles", headers=auth, json={
        "name": f"Altro {uuid.uuid4().hex[:6]}", "starts_on": "2027-01-01",
        "ends_on": "2027-06-30",
    })  # fmt: skip
    assert other.status_code == 201, other.text
    other_id = other.headers["location"].rsplit("/", 1)[-1]
    goal = await client.post(f"{base}/objectives", headers=auth, json={
        "cycle_id": other_id, "title": "Altro obiettivo",
    })  # fmt: skip
    assert goal.status_code == 201, goal.text
    return other_id, goal.json()["id"], goal.headers["x-okr-position"]


async def test_the_diff_of_one_cycle_as_the_portal_shows_it(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """The portal compares two days cycle by cycle; the API's diff had no such choice, so
    a report of one cycle read every cycle's changes and could not tell them apart (a
    change names its item, not its cycle). ?cycle_id= gives that cycle's own, its
    objectives' and key results', and the KPIs' (of no cycle); a cycle the tenant does not
    have is 404 naming cycle_id, as the progress answers. The diff is of the log: a cycle
    and an objective the projector has not applied yet (another holds the tenant's lock)
    are placed in their cycle all the same (the read model placed them, and an item it did
    not know went into every cycle's diff: it failed so in CI), and the cycle is no 404."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    since = datetime.now(UTC).isoformat()
    mine, _ = await fresh_key_result(client, world)  # of the world's cycle

    async def items(cycle: str) -> set[str]:
        answer = await client.get(
            f"{base}/diff", headers=auth, params={"from": since, "cycle_id": cycle}
        )
        assert answer.status_code == 200, answer.text
        return {c["item_id"] for c in answer.json()}

    async with admin.transaction():  # the projector waits: the read model stands still
        await admin.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", world.a.tenant.id)
        other_id, goal_id, _ = await another_cycle_and_objective(client, world)
        renamed = await client.patch(
            f"{base}/kpis/{world.ids.kpi_id}", headers=auth, json={"name": "Tempo di risposta"}
        )
        assert renamed.status_code == 200, renamed.text
        of_world = await items(str(world.ids.cycle_id))
        assert {mine, str(world.ids.kpi_id)} <= of_world
        assert not {other_id, goal_id} & of_world
        of_other = await items(other_id)
        assert {other_id, goal_id, str(world.ids.kpi_id)} <= of_other
        assert mine not in of_other
    unknown = await client.get(
        f"{base}/diff", headers=auth, params={"from": since, "cycle_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "cycle_id"
    assert await items(other_id) == of_other  # applied since: the same answer


async def test_a_diff_of_a_cycle_made_after_its_end_says_so_as_okr_diff_does(
    client: httpx.AsyncClient, world: World
) -> None:
    """A diff of a cycle asked of a span that ended before the cycle was made answered an
    empty list here (the log made it, later), where okr diff refused it "by --to" and the
    portal limited it to its picker: all three now say that it was made after `to` (404
    not_yet, as a view as of a point before it says), and of an id the tenant never made,
    that it has no such cycle."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_viewer")
    before_it = datetime.now(UTC).isoformat()
    other_id, _, _ = await another_cycle_and_objective(client, world)
    span = {"from": "2020-01-01", "to": before_it}

    late = await client.get(f"{base}/diff", headers=auth, params={**span, "cycle_id": other_id})
    assert late.status_code == 404, late.text
    (error,) = late.json()["errors"]
    assert (error["field"], error["rule"]) == ("cycle_id", "not_yet")
    assert error["message"] == (
        f"cycle {other_id} was made after to: the tenant had no such cycle by then"
    )
    nobody_s = str(uuid.uuid4())
    never = await client.get(f"{base}/diff", headers=auth, params={**span, "cycle_id": nobody_s})
    assert never.status_code == 404, never.text
    (error,) = never.json()["errors"]
    assert (error["field"], error["message"]) == ("cycle_id", f"no cycle {nobody_s} in this tenant")
    from_before = {"from": before_it, "cycle_id": other_id}
    since = await client.get(f"{base}/diff", headers=auth, params=from_before)
    assert since.status_code == 200, since.text
    assert {c["field"] for c in since.json() if c["item_id"] == other_id} >= {"created"}


async def test_the_history_of_one_cycle_as_the_portal_filters_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """The portal's timeline lists one cycle's changes (?cycle=); the API's history had
    only item_id, which for a cycle gives its own lines, not its objectives' and key
    results'. ?cycle_id= gives all three, and no other cycle's nor a KPI's; a cycle the
    tenant does not have is 404 naming cycle_id."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    mine, _ = await fresh_key_result(client, world)  # of the world's cycle
    other_id, goal_id, position = await another_cycle_and_objective(client, world)

    async def items(cycle: str) -> set[tuple[str, str]]:
        answer = await client.get(f"{base}/history", headers=auth, params={
            "cycle_id": cycle, "min_position": position, "limit": 500,
        })  # fmt: skip
        assert answer.status_code == 200, answer.text
        return {(line["item_kind"], line["item_id"]) for line in answer.json()["items"]}

    of_world = await items(str(world.ids.cycle_id))
    assert {("cycle", str(world.ids.cycle_id)), ("objective", str(world.ids.objective_id)),
            ("key_result", mine)} <= of_world  # fmt: skip
    assert {kind for kind, _ in of_world} <= {"cycle", "objective", "key_result"}
    assert await items(other_id) == {("cycle", other_id), ("objective", goal_id)}
    unknown = await client.get(
        f"{base}/history", headers=auth, params={"cycle_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "cycle_id"
