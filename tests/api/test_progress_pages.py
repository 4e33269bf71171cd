"""A page of /progress, /objectives/tree and /cycles makes the trees of its own cycles
alone (it made every cycle's tree of the tenant, then kept a page of them): each page says
what the whole tree said of its cycles, as of now or of a position, on any day."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import msgspec

from projections.progress_tree import progress_tree
from services import read
from services.api.schemas.views import CycleSummary, by_start
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.projector.waiting import wait_for_position
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings

DAYS = [{"today": "2027-02-15"}, {"valid_at": "2027-03-01"}]


async def more_cycles(system: System, side: Side, ids: SharedIds) -> None:
    """Beside the side's Q1 2027: Q1 bis of the same start, its objectives aligned and
    rolled up, the parent then archived; Q4 2026 closed with its scores, one adjusted; Q2
    2027 planned; a key result archived, a late check-in, one fed by the KPI."""
    app, ctx = OKRApplication(system.repository), Context(side.tenant.id, actor="user:builder")
    bis = await app.cycles.create(
        ctx, name="Q1 bis", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31)
    )
    await app.cycles.activate(ctx, bis.item_id)
    top = await app.objectives.create(
        ctx, cycle_id=bis.item_id, title="Crescere", owner="user:builder", roll_up_children=True
    )
    child = await app.objectives.create(
        ctx, cycle_id=bis.item_id, title="Nord", owner="user:builder", parent_id=top.item_id,
        weight=2,
    )  # fmt: skip
    deals = await app.key_results.create(
        ctx, objective_id=child.item_id, title="Contratti", kind="increase",
        owner="user:builder", start=0, target=40,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, deals.item_id, value=12, on=date(2027, 2, 1))
    await app.key_results.record_check_in(ctx, deals.item_id, value=9, on=date(2027, 1, 20))
    fed = await app.key_results.create(
        ctx, objective_id=top.item_id, title="Tempo", kind="decrease", owner="user:builder",
        start=30, target=20, kpi_id=ids.kpi_id,
    )  # fmt: skip
    await app.key_results.archive(ctx, fed.item_id, reason="doppione")
    await app.objectives.archive(ctx, top.item_id, reason="riorganizzazione")
    q4 = await app.cycles.create(
        ctx, name="Q4 2026", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)
    )
    await app.cycles.activate(ctx, q4.item_id)
    old = await app.objectives.create(ctx, cycle_id=q4.item_id, title="Chiudere", owner="u:b")
    done = await app.key_results.create(
        ctx, objective_id=old.item_id, title="Consegne", kind="increase", owner="user:builder",
        start=0, target=10,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, done.item_id, value=7, on=date(2026, 12, 1))
    await app.cycles.close(ctx, q4.item_id)
    await app.cycles.adjust_score(
        ctx, q4.item_id, item_id=done.item_id, score=Decimal("0.8"), reason="contesto",
        shown=Decimal("0.7"),
    )  # fmt: skip
    await app.cycles.create(
        ctx, name="Q2 2027", starts_on=date(2027, 4, 1), ends_on=date(2027, 6, 30)
    )


async def walk(client: httpx.AsyncClient, side: Side, path: str, size: int, **params: Any) -> Any:
    """Every page of `size` cycles, in order: their cycles (items), and the rest of each."""
    pages, cursor = [], None
    while True:
        asked = {**params, "limit": str(size), **({"cursor": cursor} if cursor else {})}
        answer = await client.get(
            f"/api/v1/tenants/{side.tenant.id}/{path}", headers=side.auth("client_viewer"),
            params=asked,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def _json(value: Any) -> Any:
    return json.loads(msgspec.json.encode(value))


async def whole(system: System, side: Side, position: int | None, **days: str) -> Any:
    """What the whole tree says, as every cycle's tree was made for a page: the read
    model's whole state (or the log's, as of `position`), every cycle, oldest start first."""
    on = {k: date.fromisoformat(v) for k, v in days.items()}
    valid_at = on.get("valid_at")
    today = on["today"] if "today" in on else on["valid_at"]  # (a valid_at's: today does not count)
    cadence = await read.cadence_days(system.pool, side.tenant.id)
    if position is None:
        state = await read.progress_state(system.pool, side.tenant.id)
        tree = progress_tree(state, cadence_days=cadence, today=today, valid_at=valid_at)
    else:
        tree = await read.progress_as_of(
            system.repository, side.tenant.id, position=position, cadence_days=cadence,
            today=today, valid_at=valid_at,
        )  # fmt: skip
    return tree, sorted(tree.cycles, key=by_start)


async def test_each_page_of_cycles_says_what_the_whole_tree_said_of_them(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Pages of 1, 2, 3 and 500 cycles of A's four (two of one start, one closed with an
    adjusted score, one planned, archived items), now and as of a position, on two days:
    their cycles, in order, are the whole tree's, and the rest of each page (day,
    position, activity) the whole tree's too; /objectives/tree the same, /cycles the
    whole tree's summaries. B, same ids and names, pages its own one cycle alone."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-pages-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-pages-b", "21")
    await more_cycles(system, a, ids)
    heads = {}
    for side in (a, b):  # (the whole read model's state is read as it stands)
        heads[side.secret] = await system.store.head(side.tenant.id)
        assert await wait_for_position(system.pool, side.tenant.id, heads[side.secret], within=30)
    for side, cycles in ((a, 4), (b, 1)):
        assert len((await whole(system, side, None, **DAYS[0]))[1]) == cycles
        for days in DAYS:
            for as_of in (None, heads[side.secret] - 4):
                tree, expected = await whole(system, side, as_of, **days)
                more = dict(days)
                if as_of is not None:
                    more["as_of_position"] = str(as_of)
                for size in (1, 2, 3, 500):
                    pages = await walk(client, side, "progress", size, **more)
                    said = [c for page in pages for c in page["cycles"]]
                    assert said == _json(expected), (side.secret, days, as_of, size)
                    rest = _json(tree) | {"cycles": None, "next_cursor": None}
                    assert all(p | {"cycles": None, "next_cursor": None} == rest for p in pages)
                    assert len(pages) == max(1, -(-len(expected) // size))
                    if as_of is None and "valid_at" not in days:  # (the tree takes neither)
                        trees = await walk(client, side, "objectives/tree", size, **more)
                        cursors = {"next_cursor": None}  # (each list's own)
                        assert [p | cursors for p in trees] == [p | cursors for p in pages]
        summaries = [CycleSummary.of(c) for c in (await whole(system, side, None, **DAYS[0]))[1]]
        for size in (1, 2, 500):
            listed = await walk(client, side, "cycles", size)
            assert [c for page in listed for c in page["items"]] == _json(summaries)
