"""A tenant's time zone: a setting like the others (made with, changed through PATCH,
recorded in its log, refused by name when bad), and the zone its days follow."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services import instants
from services.app import Context, OKRApplication
from services.app import base as app_base
from services.bootstrap import System
from tenants.directory import create_tenant
from tenants.models import Tenant
from tests.api.builders import SharedIds, Side, World, a_plan

HALF_PAST_MIDNIGHT_IN_ROME = datetime(2027, 2, 14, 23, 30, tzinfo=UTC)
"""00:30 of 15 February in Rome (CET, UTC+1): still the 14th in UTC."""
ZONES = ("Europe/Rome", "UTC")


async def a_tenant(client: httpx.AsyncClient, world: World, **given: Any) -> dict[str, Any]:
    """A new tenant of consultancy A, made through the API with these settings."""
    made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=world.a.auth("consultancy_admin"),
        json={"name": f"Officina {uuid.uuid4().hex[:8]}", **given},
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def history_texts(client: httpx.AsyncClient, world: World, tenant: str, at: str) -> list[str]:
    lines = await client.get(
        f"/api/v1/tenants/{tenant}/history",
        headers=world.a.auth("consultancy_admin"),
        params={"min_position": at},
    )
    return [line["text"] for line in lines.json()["items"]]


async def test_a_new_tenant_s_zone_is_its_languages_unless_given(
    client: httpx.AsyncClient, world: World
) -> None:
    """An Italian client's days are Rome's without anyone saying so; a tenant of another
    language gets UTC (its language says nothing of where it is); a zone given is kept."""
    assert (await a_tenant(client, world))["time_zone"] == "Europe/Rome"
    assert (await a_tenant(client, world, locale="en"))["time_zone"] == "UTC"
    given = await a_tenant(client, world, locale="en", time_zone="America/New_York")
    assert given["time_zone"] == "America/New_York"


async def test_a_change_of_zone_is_recorded_with_before_and_after(
    client: httpx.AsyncClient, world: World
) -> None:
    """PATCH changes the zone as it changes the other settings: the tenant answers with it,
    and its log, audit trail and history say who changed it from what to what."""
    tenant = (await a_tenant(client, world, locale="en"))["id"]
    admin = world.a.auth("consultancy_admin")
    changed = await client.patch(
        f"/api/v1/tenants/{tenant}", headers=admin, json={"time_zone": "Europe/Rome"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Europe/Rome"
    at = changed.headers["X-OKR-Position"]
    trail = await client.get(f"/api/v1/tenants/{tenant}/audit", headers=admin)
    last = trail.json()["items"][-1]["payload"]
    assert (last["before"]["time_zone"], last["after"]["time_zone"]) == ("UTC", "Europe/Rome")
    said = f"settings of '{changed.json()['name']}' changed by Consultancy_Admin:"
    assert f"{said} time zone UTC → Europe/Rome" in await history_texts(client, world, tenant, at)
    read = await client.get(f"/api/v1/tenants/{tenant}", headers=admin)
    assert read.json()["time_zone"] == "Europe/Rome"


async def test_a_bad_zone_is_refused_by_name_and_changes_nothing(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A zone zoneinfo does not know (a typo, an offset, the server's own "localtime") is
    refused 422 naming time_zone, in a change and in a new tenant: nothing is written."""
    made = await a_tenant(client, world)
    tenant, admin = made["id"], world.a.auth("consultancy_admin")
    head = await system.store.head(uuid.UUID(tenant))
    for bad in ("Europe/Roma", "+01:00", "localtime", "", 1):
        refused = await client.patch(
            f"/api/v1/tenants/{tenant}", headers=admin, json={"time_zone": bad, "name": "Altro"}
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == ["time_zone"]
    assert await system.store.head(uuid.UUID(tenant)) == head
    after = (await client.get(f"/api/v1/tenants/{tenant}", headers=admin)).json()
    assert (after["name"], after["time_zone"]) == (made["name"], "Europe/Rome")
    not_made = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=admin,
        json={"name": "Officina Bianchi", "time_zone": "Europe/Roma"},
    )
    assert not_made.status_code == 422
    assert [e["field"] for e in not_made.json()["errors"]] == ["time_zone"]


async def twins(system: System, world: World, ids: SharedIds) -> dict[str, tuple[Tenant, Side]]:
    """Two tenants of the same name whose items have the same ids (tests.api.builders.a_plan:
    Q1 2027, a key result and a KPI checked on 1 February), one in Rome, one in UTC, each
    with the consultancy (and people) of one side of the world."""
    made, name = {}, f"Gemelli {uuid.uuid4().hex[:8]}"
    for zone, side in zip(ZONES, (world.a, world.b), strict=True):
        tenant = await create_tenant(system.pool, side.consultancy.id, name, time_zone=zone)
        await a_plan(system, tenant.id, ids, f"secret-{zone}", "21")
        made[zone] = (tenant, side)
    return made


async def test_a_value_given_without_a_date_is_of_the_tenant_s_day(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 00:30 in Rome on 15 February (23:30 of the 14th in UTC) a check-in and a
    measurement sent without a date are of the 15th for the tenant in Rome (they were of
    the 14th: UTC's day), and of the 14th for its twin in UTC, as before."""
    ids = SharedIds()
    tenants = await twins(system, world, ids)
    monkeypatch.setattr(app_base, "now", lambda: HALF_PAST_MIDNIGHT_IN_ROME)
    days = {}
    for zone, (tenant, side) in tenants.items():
        base, auth = f"/api/v1/tenants/{tenant.id}", side.auth("consultancy_admin")
        checked = await client.post(
            f"{base}/key-results/{ids.key_result_id}/check-ins", headers=auth, json={"value": 20}
        )
        measured = await client.post(
            f"{base}/kpis/{ids.kpi_id}/measurements", headers=auth, json={"value": 20}
        )
        assert (checked.status_code, measured.status_code) == (201, 201), checked.text
        check_ins = await client.get(
            f"{base}/key-results/{ids.key_result_id}/check-ins", headers=auth
        )
        measurements = await client.get(f"{base}/kpis/{ids.kpi_id}/measurements", headers=auth)
        days[zone] = (
            {c["on"] for c in check_ins.json()["items"]
             if c["id"] == checked.json()["check_in_id"]},
            {m["on"] for m in measurements.json()["items"]
             if m["id"] == measured.json()["measurement_id"]},
        )  # fmt: skip
    assert days == {
        "Europe/Rome": ({"2027-02-15"}, {"2027-02-15"}),
        "UTC": ({"2027-02-14"}, {"2027-02-14"}),
    }


async def test_a_value_of_a_day_still_to_come_for_the_tenant_is_refused(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 23:30 of 14 February in UTC a measurement and a check-in dated the 15th were
    taken from the tenant in UTC too (the 15th had begun somewhere, in UTC+14): its KPI's
    value became tomorrow's, its health and chart with it. The 15th is taken from the
    tenant in Rome, where it has begun, and refused to its twin in UTC, 422 naming on,
    nothing written."""
    ids = SharedIds()
    tenants = await twins(system, world, ids)
    monkeypatch.setattr(app_base, "now", lambda: HALF_PAST_MIDNIGHT_IN_ROME)
    said, dated = {}, {"value": 20, "on": "2027-02-15"}
    for zone, (tenant, side) in tenants.items():
        base, auth = f"/api/v1/tenants/{tenant.id}", side.auth("consultancy_admin")
        head = await system.store.head(tenant.id)
        answers = [
            await client.post(f"{base}/{path}", headers=auth, json=dated)
            for path in (f"kpis/{ids.kpi_id}/measurements",
                         f"key-results/{ids.key_result_id}/check-ins")
        ]  # fmt: skip
        said[zone] = [
            (a.status_code, [(e["field"], e["rule"]) for e in a.json().get("errors", [])])
            for a in answers
        ]
        if zone == "UTC":
            assert await system.store.head(tenant.id) == head
    assert said == {
        "Europe/Rome": [(201, []), (201, [])],
        "UTC": [(422, [("on", "in_the_future")])] * 2,
    }


async def test_a_valid_at_still_to_come_for_the_tenant_is_refused(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 23:30 of 14 February in UTC, ?valid_at=2027-02-15 was taken from the tenant in UTC
    (the 15th had begun somewhere, in UTC+14) though no value of its may be of that day yet:
    its tree and KPIs said pace and staleness of a day still to come. As a value of the 15th,
    it is taken from the tenant in Rome, where the 15th has begun, and refused to its twin
    in UTC, 422 naming valid_at, on the tree and on the KPIs alike."""
    ids = SharedIds()
    tenants = await twins(system, world, ids)
    monkeypatch.setattr(app_base, "now", lambda: HALF_PAST_MIDNIGHT_IN_ROME)
    said = {}
    for zone, (tenant, side) in tenants.items():
        base, auth = f"/api/v1/tenants/{tenant.id}", side.auth("consultancy_admin")
        answers = [
            await client.get(f"{base}/{path}", headers=auth, params={"valid_at": "2027-02-15"})
            for path in ("progress", "kpis")
        ]
        said[zone] = [
            (a.status_code, [(e["field"], e["rule"]) for e in a.json().get("errors", [])])
            for a in answers
        ]
    assert said == {
        "Europe/Rome": [(200, []), (200, [])],
        "UTC": [(422, [("valid_at", "in_the_future")])] * 2,
    }


async def test_pace_and_staleness_are_of_the_tenant_s_day(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Viewed at 00:30 in Rome on 15 February, with the last values of the 7th: the tenant
    in Rome sees the 15th (its key result and KPI eight days without a value, past their
    weekly cadence: stale; the pace of the 15th); its twin in UTC the 14th, as before
    (seven days: not stale yet)."""
    ids = SharedIds()
    tenants = await twins(system, world, ids)
    app = OKRApplication(system.repository)
    for tenant, _ in tenants.values():
        ctx = Context(tenant_id=tenant.id, actor="user:builder")
        on = date(2027, 2, 7)
        await app.key_results.record_check_in(ctx, ids.key_result_id, value=21, on=on)
        made = await app.kpis.record_measurement(ctx, ids.kpi_id, value=21, on=on)
    monkeypatch.setattr(instants, "now", lambda: HALF_PAST_MIDNIGHT_IN_ROME)
    seen = {}
    for zone, (tenant, side) in tenants.items():
        base, auth = f"/api/v1/tenants/{tenant.id}", side.auth("consultancy_admin")
        tree = await client.get(
            f"{base}/progress", headers=auth, params={"min_position": made.position}
        )
        kpis = await client.get(f"{base}/kpis", headers=auth)
        [cycle] = tree.json()["cycles"]
        [objective] = cycle["objectives"]
        [kr] = objective["key_results"]
        [kpi] = kpis.json()["items"]
        seen[zone] = (tree.json()["today"], Decimal(kr["expected_progress"]), kr["stale"],
                      kpi["stale"])  # fmt: skip
    # Q1 2027 (1 January to 31 March, 89 days): 45 days gone on the 15th, 44 on the 14th
    assert seen["Europe/Rome"] == ("2027-02-15", Decimal(45) / 89, True, True)
    assert seen["UTC"] == ("2027-02-14", Decimal(44) / 89, False, False)


async def test_as_of_a_day_is_by_that_day_s_end_in_the_tenant_s_zone(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A check-in made at 23:30 UTC on 9 November 2026 was made at 00:30 on the 10th in
    Rome: there it is of the 10th, and "as it stood on 9 November" is without it; in UTC
    it is of the 9th, and that day's view has it, as before."""
    ids, name = SharedIds(), f"Storici {uuid.uuid4().hex[:8]}"
    late = datetime(2026, 11, 9, 23, 30, tzinfo=UTC)
    seen = {}
    for zone, side in zip(ZONES, (world.a, world.b), strict=True):
        tenant = await create_tenant(system.pool, side.consultancy.id, name, time_zone=zone)
        await a_history(system, tenant.id, ids, checked_at=late)
        base, auth = f"/api/v1/tenants/{tenant.id}", side.auth("consultancy_admin")
        tree = await client.get(f"{base}/progress", headers=auth, params={"as_of": "2026-11-09"})
        [kr] = tree.json()["cycles"][0]["objectives"][0]["key_results"]
        check_ins = await client.get(
            f"{base}/key-results/{ids.key_result_id}/check-ins", headers=auth
        )
        seen[zone] = (kr["value"], [c["on"] for c in check_ins.json()["items"]])
    assert seen == {"Europe/Rome": (None, ["2026-11-10"]), "UTC": ("79", ["2026-11-09"])}


async def a_history(
    system: System, tenant_id: uuid.UUID, ids: SharedIds, *, checked_at: datetime
) -> None:
    """Imported as it happened: Q4 2026 with a key result made on 1 October, and a check-in
    without a date made at `checked_at`."""
    app = OKRApplication(system.repository)
    made = Context(tenant_id, "user:builder", imported_at=datetime(2026, 10, 1, 9, tzinfo=UTC))
    await app.cycles.create(
        made, name="Q4 2026", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31),
        cycle_id=ids.cycle_id,
    )  # fmt: skip
    await app.cycles.activate(made, ids.cycle_id)
    await app.objectives.create(
        made, cycle_id=ids.cycle_id, title="Clienti fedeli", owner="user:builder",
        objective_id=ids.objective_id,
    )  # fmt: skip
    await app.key_results.create(
        made, objective_id=ids.objective_id, title="Rinnovi", kind="increase",
        owner="user:builder", start=70, target=85, key_result_id=ids.key_result_id,
    )  # fmt: skip
    checked = Context(tenant_id, "user:builder", imported_at=checked_at)
    await app.key_results.record_check_in(checked, ids.key_result_id, value=79)


async def test_a_range_to_the_calendar_s_edge_is_every_line(
    client: httpx.AsyncClient, world: World
) -> None:
    """since=0001-01-01, from the very start: in Rome that day began in year 0 in UTC, and
    the trail refused it as not "an ISO 8601 instant or date", which it was (so was
    until=9999-12-31 in New York, ending in year 10000). Such a day stands for as much of it
    as UTC holds: every line (the history takes its range alike; an instant written past
    UTC's, refused, see test_the_first_and_last_days_are_taken_in_every_zone)."""
    rome = await a_tenant(client, world)
    new_york = await a_tenant(client, world, locale="en", time_zone="America/New_York")
    auth = world.a.auth("consultancy_admin")
    for tenant, edge in ((rome["id"], {"since": "0001-01-01"}),
                         (new_york["id"], {"until": "9999-12-31"})):  # fmt: skip
        for path in ("audit", "audit.jsonl"):
            url = f"/api/v1/tenants/{tenant}/{path}"
            everything, ranged = (
                await client.get(url, headers=auth),
                await client.get(url, headers=auth, params=edge),
            )
            assert (ranged.status_code, ranged.text) == (200, everything.text)


async def test_openapi_says_the_zone_a_new_tenant_gets_when_none_is_given(
    client: httpx.AsyncClient,
) -> None:
    """The rule was in a docstring OpenAPI does not show: an integrator could not tell that
    an English client made without a zone lives in UTC."""
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    said = schema["TenantIn"]["properties"]["time_zone"]["description"]
    assert "Europe/Rome for locale `it`, UTC for any other" in said


async def test_the_first_and_last_days_are_taken_in_every_zone(
    client: httpx.AsyncClient, world: World
) -> None:
    """?as_of=9999-12-31 (what is known, for good) answered a tenant in New York 422,
    "must be an ISO 8601 instant or date", where a tenant in Rome got its tree: that day's
    end in New York is past the last instant UTC holds. So was ?from=0001-01-01 in Rome.
    Each now stands for as much of its day as UTC holds; an instant written past it is
    refused saying so, not as if it were not an instant."""
    for zone, edges in (
        ("America/New_York", {"as_of": "9999-12-31", "to": "9999-12-31"}),
        ("Europe/Rome", {"from": "0001-01-01", "as_of": "0001-01-01"}),
    ):
        tenant = await a_tenant(client, world, locale="en", time_zone=zone)
        base, auth = f"/api/v1/tenants/{tenant['id']}", world.a.auth("consultancy_admin")
        tree = await client.get(f"{base}/progress", headers=auth, params={"as_of": edges["as_of"]})
        changes = await client.get(f"{base}/diff", headers=auth, params={
            "from": edges.get("from", "2026-01-01"), "to": edges.get("to", "2026-01-01"),
        })  # fmt: skip
        assert (tree.status_code, changes.status_code) == (200, 200), tree.text + changes.text
        assert changes.json() == []  # its log: its settings only, of no item
    beyond = await client.get(
        f"{base}/progress", headers=auth, params={"as_of": "0001-01-01T00:00:00+01:00"}
    )
    assert beyond.status_code == 422
    assert beyond.json()["errors"] == [{
        "field": "as_of", "rule": "out_of_range",
        "message": "as_of must be an instant from 0001-01-01T00:00:00Z to"
                   " 9999-12-31T23:59:59.999999Z",
    }]  # fmt: skip
