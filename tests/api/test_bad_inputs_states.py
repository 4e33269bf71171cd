"""Writes to items in a state that takes none: an archived key result, objective or KPI,
a closed cycle's items. Each is 409 naming the field and the rule, and nothing changed.
A check-in's correction in a closed cycle is taken (its closing is corrected with a
reason, GLOSSARY.md), so it is not among them."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from tests.api.builders import World
from tests.api.state import the_state
from tests.api.test_problems import assert_problem

Case = tuple[str, str, dict[str, Any] | None, str, str]


class Plan:
    """Items of A's made through the API for this test alone."""

    def __init__(self, client: httpx.AsyncClient, world: World) -> None:
        self.client = client
        self.base = f"/api/v1/tenants/{world.a.tenant.id}"
        self.auth = world.a.auth("consultancy_admin")

    async def made(self, path: str, body: dict[str, Any] | None = None) -> str:
        response = await self.client.post(f"{self.base}/{path}", json=body, headers=self.auth)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return str(answer.get("check_in_id") or answer.get("measurement_id") or answer["id"])

    async def cycle(self) -> str:
        name = f"Gennaio {uuid.uuid4().hex[:6]}"
        made = await self.made(
            "cycles", {"name": name, "starts_on": "2027-01-01", "ends_on": "2027-01-31"}
        )
        await self.made(f"cycles/{made}/activate")
        return made

    async def key_result(self, objective: str) -> str:
        return await self.made(
            "key-results",
            {"objective_id": objective, "title": "K", "kind": "increase", "start": "0",
             "target": "10"},
        )  # fmt: skip


async def refused(
    plan: Plan, admin: asyncpg.Connection, cases: list[Case], status: int = 409
) -> list[str]:
    """Each case sent: what was not refused as its line says (state checked after each)."""
    wrong = []
    for method, path, body, field, rule in cases:
        before = await the_state(admin)
        response = await plan.client.request(
            method, f"{plan.base}/{path}", json=body, headers=plan.auth
        )
        assert await the_state(admin) == before, f"{method} {path}: {response.text}"
        if response.status_code != status:
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            continue
        errors = assert_problem(response, status)["errors"]
        if [(e["field"], e["rule"]) for e in errors] != [(field, rule)]:
            wrong.append(f"{method} {path}: {errors}")
    return wrong


async def test_writes_to_archived_items_are_409_naming_them_and_change_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """An archived key result takes no check-in, correction, revision, edit or second
    archiving; an archived objective no edit, alignment, key result or child; an archived
    KPI no measurement, correction, edit, thresholds, direction, link or second archiving."""
    plan = Plan(client, world)
    cycle = await plan.cycle()
    live = await plan.made("objectives", {"cycle_id": cycle, "title": "Viva"})
    gone = await plan.made("objectives", {"cycle_id": cycle, "title": "Archiviata"})
    kr = await plan.key_result(live)
    check_in = await plan.made(f"key-results/{kr}/check-ins", {"value": "5", "on": "2027-01-10"})
    kpi = await plan.made(
        "kpis",
        {"name": f"K {uuid.uuid4().hex[:6]}", "direction": "higher_is_better", "green": "5",
         "red": "1"},
    )  # fmt: skip
    value = await plan.made(f"kpis/{kpi}/measurements", {"value": "5", "on": "2027-01-10"})
    for path in (f"key-results/{kr}", f"objectives/{gone}", f"kpis/{kpi}"):
        await plan.made(f"{path}/archive", {"reason": "non serve più"})
    key_result, objective = ("key_result_id", "archived"), ("objective_id", "archived")
    measured = ("kpi_id", "archived")
    cases: list[Case] = [
        ("POST", f"key-results/{kr}/check-ins", {"value": "6", "on": "2027-01-11"}, *key_result),
        ("POST", f"key-results/{kr}/check-ins/{check_in}/corrections",
         {"value": "7", "reason": "r"}, *key_result),
        ("POST", f"key-results/{kr}/target-revisions", {"target": "12", "reason": "r"},
         *key_result),
        ("PATCH", f"key-results/{kr}", {"title": "Nuovo"}, *key_result),
        ("POST", f"key-results/{kr}/archive", {"reason": "ancora"}, *key_result),
        ("PATCH", f"objectives/{gone}", {"title": "Nuova"}, *objective),
        ("PUT", f"objectives/{gone}/parent", {"parent_id": live}, *objective),
        ("POST", f"objectives/{gone}/archive", {"reason": "ancora"}, *objective),
        ("POST", "key-results",
         {"objective_id": gone, "title": "K", "kind": "milestone"}, *objective),
        ("POST", f"kpis/{kpi}/measurements", {"value": "6", "on": "2027-01-11"}, *measured),
        ("POST", f"kpis/{kpi}/measurements/{value}/corrections", {"value": "7", "reason": "r"},
         *measured),
        ("PATCH", f"kpis/{kpi}", {"name": "Nuovo"}, *measured),
        ("PUT", f"kpis/{kpi}/thresholds", {"green": "6", "red": "1", "reason": "r"}, *measured),
        ("PUT", f"kpis/{kpi}/direction",
         {"direction": "lower_is_better", "green": "1", "red": "5", "reason": "r"}, *measured),
        ("POST", f"kpis/{kpi}/key-results", {"key_result_id": str(world.ids.key_result_id)},
         *measured),
        ("POST", f"kpis/{kpi}/archive", {"reason": "ancora"}, *measured),
    ]  # fmt: skip
    try:
        assert await refused(plan, admin, cases) == []
    finally:  # A's portfolio row counts one active cycle (test_views): this one ends here
        await plan.made(f"cycles/{cycle}/close")


async def test_writes_to_a_closed_cycle_s_items_are_409_naming_it_and_change_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """A closed cycle takes no check-in, revision, edit, alignment, archiving, new
    objective or key result, link to a KPI, is neither activated nor closed again, and
    keeps its days (its key results were graded on them), even beside a rename."""
    plan = Plan(client, world)
    cycle = await plan.cycle()
    objective = await plan.made("objectives", {"cycle_id": cycle, "title": "Chiusa"})
    kr = await plan.key_result(objective)
    await plan.made(f"key-results/{kr}/check-ins", {"value": "5", "on": "2027-01-10"})
    await plan.made(f"cycles/{cycle}/close")
    closed = ("cycle_id", "cycle_closed")
    cases: list[Case] = [
        ("POST", f"key-results/{kr}/check-ins", {"value": "6", "on": "2027-01-11"}, *closed),
        ("POST", f"key-results/{kr}/target-revisions", {"target": "12", "reason": "r"}, *closed),
        ("PATCH", f"key-results/{kr}", {"weight": 3}, *closed),
        ("POST", f"key-results/{kr}/archive", {"reason": "r"}, *closed),
        ("POST", "key-results",
         {"objective_id": objective, "title": "K", "kind": "milestone"}, *closed),
        ("POST", "objectives", {"cycle_id": cycle, "title": "Tardi"}, *closed),
        ("PATCH", f"objectives/{objective}", {"title": "Nuova"}, *closed),
        ("PUT", f"objectives/{objective}/parent", {"parent_id": str(world.ids.objective_id)},
         *closed),
        ("POST", f"objectives/{objective}/archive", {"reason": "r"}, *closed),
        ("POST", f"kpis/{world.ids.kpi_id}/key-results", {"key_result_id": kr}, *closed),
        ("POST", f"cycles/{cycle}/activate", None, "state", "cycle_not_planning"),
        ("POST", f"cycles/{cycle}/close", None, "state", "cycle_not_active"),
        ("PATCH", f"cycles/{cycle}", {"ends_on": "2027-02-28"}, "ends_on", "cycle_closed"),
        ("PATCH", f"cycles/{cycle}", {"starts_on": "2026-12-01", "name": "Dicembre"},
         "starts_on", "cycle_closed"),
    ]  # fmt: skip
    assert await refused(plan, admin, cases) == []
