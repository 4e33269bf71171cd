"""PATCH a cycle's days: the wrong end date typed at planning is set right, and what
depends on it follows; a refusal names its field and writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from tests.api.builders import World
from tests.api.state import the_state
from tests.api.test_problems import assert_problem

TYPO = {"starts_on": "2027-04-01", "ends_on": "2027-05-30"}
"""Q2 2027 as typed: May 30 for June 30 (60 days: a custom period)."""


class Tenant:
    """One tenant's view of the test's cycle, its objective and two key results."""

    def __init__(self, client: httpx.AsyncClient, world: World, side: str) -> None:
        tenant = world.a if side == "a" else world.b
        self.client = client
        self.base = f"/api/v1/tenants/{tenant.tenant.id}"
        self.auth = tenant.auth("client_admin")

    async def post(self, path: str, body: dict[str, Any]) -> str:
        made = await self.client.post(f"{self.base}/{path}", headers=self.auth, json=body)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    async def get(self, path: str) -> dict[str, Any]:
        got = await self.client.get(f"{self.base}/{path}", headers=self.auth)
        assert got.status_code == 200, got.text
        answer: dict[str, Any] = got.json()
        return answer

    async def plan(self, ids: dict[str, str], name: str) -> None:
        """The cycle in planning, an objective, a key result due by its end, one due on a
        day someone chose (May 15)."""
        await self.post("cycles", {"name": name, "id": ids["cycle"], **TYPO})
        await self.post("objectives", {"cycle_id": ids["cycle"], "title": "Crescere",
                                       "id": ids["objective"]})  # fmt: skip
        kr = {"objective_id": ids["objective"], "kind": "increase", "start": "0", "target": "10"}
        await self.post("key-results", {**kr, "title": "Per la fine", "id": ids["by_end"]})
        await self.post("key-results", {**kr, "title": "A metà", "id": ids["chosen"],
                                        "due_on": "2027-05-15"})  # fmt: skip


async def test_a_cycle_s_end_is_set_right_and_its_key_results_due_by_the_end_follow(
    client: httpx.AsyncClient, world: World
) -> None:
    """PATCH with ends_on under If-Match: the cycle's days and period (worked out from
    the length, as at planning) change, the key result due by the end is due on the new
    end, the one due on a chosen day stays; its list and history follow. Tenant B's
    cycle, of the same id and name, keeps its days."""
    ids = {k: str(uuid.uuid4()) for k in ("cycle", "objective", "by_end", "chosen")}
    name = f"Q2 {ids['cycle'][:8]}"
    a, b = Tenant(client, world, "a"), Tenant(client, world, "b")
    for side in (a, b):
        await side.plan(ids, name)
    path = f"{a.base}/cycles/{ids['cycle']}"
    etag = (await client.get(path, headers=a.auth)).headers["etag"]

    changed = await client.patch(
        path, headers={**a.auth, "If-Match": etag},
        json={"ends_on": "2027-06-30", "reason": "refuso"},
    )  # fmt: skip

    assert changed.status_code == 200, changed.text
    cycle = await a.get(f"cycles/{ids['cycle']}")
    assert (cycle["starts_on"], cycle["ends_on"], cycle["period"], cycle["name"]) == (
        "2027-04-01", "2027-06-30", "quarter", name
    )  # fmt: skip
    assert (await a.get(f"key-results/{ids['by_end']}"))["due_on"] == "2027-06-30"
    assert (await a.get(f"key-results/{ids['chosen']}"))["due_on"] == "2027-05-15"
    position = {"min_position": changed.headers["x-okr-position"]}
    listed = await client.get(f"{a.base}/cycles", headers=a.auth, params=position)
    (summary,) = [c for c in listed.json()["items"] if c["cycle_id"] == ids["cycle"]]
    assert (summary["ends_on"], summary["period"]) == ("2027-06-30", "quarter")
    asked = {"kind": "cycle.rescheduled", **position}
    history = await client.get(f"{a.base}/history", headers=a.auth, params=asked)
    (line,) = [i for i in history.json()["items"] if i["item_id"] == ids["cycle"]]
    assert line["text"].startswith(
        f"cycle '{name}' dates changed 2027-04-01 \u2013 2027-05-30 → 2027-04-01 \u2013 2027-06-30"
    )
    assert line["reason"] == "refuso"
    in_b = await b.get(f"cycles/{ids['cycle']}")
    assert (in_b["ends_on"], in_b["period"]) == ("2027-05-30", "custom")
    assert (await b.get(f"key-results/{ids['by_end']}"))["due_on"] == "2027-05-30"


async def test_a_rename_and_new_days_go_together_and_a_name_shown_unchanged_is_let_be(
    client: httpx.AsyncClient, world: World
) -> None:
    """A form sends the name it shows beside the new days: the days change, no rename is
    recorded; a new name and new days in one PATCH are both kept."""
    ids = {k: str(uuid.uuid4()) for k in ("cycle", "objective", "by_end", "chosen")}
    name = f"Q2 {ids['cycle'][:8]}"
    a = Tenant(client, world, "a")
    await a.plan(ids, name)
    path = f"{a.base}/cycles/{ids['cycle']}"
    same = await client.patch(path, headers=a.auth, json={"name": name, "ends_on": "2027-06-30"})
    assert same.status_code == 200, same.text
    both = await client.patch(
        path, headers=a.auth, json={"name": f"{name} bis", "starts_on": "2027-03-31"}
    )
    assert both.status_code == 200, both.text
    cycle = await a.get(f"cycles/{ids['cycle']}")
    assert (cycle["name"], cycle["starts_on"], cycle["ends_on"], cycle["version"]) == (
        f"{name} bis", "2027-03-31", "2027-06-30", 4
    )  # fmt: skip


async def test_new_days_leaving_a_chosen_due_date_outside_are_409_and_write_nothing(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """A due date someone chose is not moved behind their back: an end before it, or a
    start after it, is 409 naming that day, with the key result's title, and nothing
    anywhere changed (nor the rename sent with it)."""
    ids = {k: str(uuid.uuid4()) for k in ("cycle", "objective", "by_end", "chosen")}
    a = Tenant(client, world, "a")
    await a.plan(ids, f"Q2 {ids['cycle'][:8]}")
    path = f"{a.base}/cycles/{ids['cycle']}"
    for body, field in (
        ({"ends_on": "2027-05-10"}, "ends_on"),
        ({"starts_on": "2027-05-20", "name": "Altro"}, "starts_on"),
    ):
        before = await the_state(admin)
        refused = await client.patch(path, headers=a.auth, json=body)
        problem = assert_problem(refused, 409)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            (field, "key_results_due_outside")
        ]
        assert "A metà" in problem["errors"][0]["message"]
        assert await the_state(admin) == before
