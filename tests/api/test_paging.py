"""The API's lists of key results, objectives, KPIs, progress's cycles and the portfolio page
as every list does: `limit` (100 unless given, 500 at most), an opaque `cursor` of the list
and tenant that gave it, `next_cursor` null on the last page, a stable order."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from services.app import Context, OKRApplication
from services.bootstrap import System
from services.settings import Settings
from tenants.directory import create_tenant
from tests.api.builders import SharedIds, Side, a_side, token_settings
from tests.api.test_problems import assert_problem

Between = Callable[[], Awaitable[int | None]]
"""Run after the first page: adds an item, answers the position it wrote (None: none)."""


@dataclass
class Filled:
    """A tenant of its own with five of each item (its consultancy with five clients), and
    the log position its read model must have read to show them all."""

    side: Side
    ids: SharedIds
    position: int

    @property
    def base(self) -> str:
        return f"/api/v1/tenants/{self.side.tenant.id}"

    @property
    def portfolio(self) -> str:
        return f"/api/v1/consultancies/{self.side.consultancy.id}/portfolio"

    def app(self, system: System) -> tuple[OKRApplication, Context]:
        return OKRApplication(system.repository), Context(
            tenant_id=self.side.tenant.id, actor="user:builder"
        )


def high_id() -> uuid.UUID:
    """An id after every random one: an item that sorts past any cursor."""
    return uuid.UUID(f"ffffffff-ffff-4fff-bfff-{uuid.uuid4().hex[:12]}")


def low_id() -> uuid.UUID:
    """An id before every random one: an item that sorts before any cursor."""
    return uuid.UUID(f"00000000-0000-4000-8000-{uuid.uuid4().hex[:12]}")


async def a_filled_side(system: System, settings: Settings) -> Filled:
    ids = SharedIds()
    side = await a_side(system, token_settings(settings), ids, "secret-p", "21")
    filled = Filled(side, ids, 0)
    app, ctx = filled.app(system)
    written = 0
    for n in range(4):
        cycle = await app.cycles.create(
            ctx, name=f"Anno {2020 + n}", starts_on=date(2020 + n, 1, 1),
            ends_on=date(2020 + n, 12, 31),
        )  # fmt: skip
        objective = await app.objectives.create(
            ctx, cycle_id=ids.cycle_id, title=f"Obiettivo {n}", owner="user:builder"
        )
        await app.key_results.create(
            ctx, objective_id=objective.item_id, title=f"Risultato {n}", kind="increase",
            owner="user:builder", start=0, target=10,
        )  # fmt: skip
        kpi = await app.kpis.create(
            ctx, name=f"Indicatore {n}", direction="higher_is_better", green=8, red=2,
            frequency_days=7, owner="user:builder",
        )  # fmt: skip
        await create_tenant(system.pool, side.consultancy.id, f"Cliente {n}")
        written = max(written, cycle.position, kpi.position)
    filled.position = written
    return filled


async def walk(
    client: httpx.AsyncClient,
    path: str,
    auth: dict[str, str],
    params: dict[str, Any],
    items_of: Callable[[Any], list[Any]],
    between: Between | None = None,
) -> list[Any]:
    """Every page at limit 2, each with the same `params`; `between` after the first."""
    seen: list[Any] = []
    query = {**params, "limit": 2}
    while True:
        answer = await client.get(path, headers=auth, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        page = items_of(body)
        assert len(page) <= 2
        seen += page
        if body["next_cursor"] is None:
            return seen
        if between is not None and len(seen) == len(page):
            position = await between()
            if position is not None and "min_position" in params:
                params = {**params, "min_position": position}
        query = {**params, "limit": 2, "cursor": body["next_cursor"]}


def key_results(body: Any) -> list[str]:
    return [k["key_result_id"] for k in body["items"]]


def objectives(body: Any) -> list[str]:
    return [o["objective_id"] for o in body["items"]]


def kpis(body: Any) -> list[str]:
    return [k["kpi_id"] for k in body["items"]]


def cycles(body: Any) -> list[tuple[str, str]]:
    return [(c["starts_on"], c["cycle_id"]) for c in body["cycles"]]


def clients(body: Any) -> list[tuple[datetime, str]]:
    return [
        (datetime.fromisoformat(e["tenant"]["created_at"]), e["tenant"]["id"])
        for e in body["items"]
    ]


def assert_each_once_in_order(
    walked: list[Any], whole: list[Any], after: Any, before: Any = None
) -> None:
    """The walk met every item of the whole list once, in the list's order, and the one
    added after the cursor too (`after`); not the one added before it (`before`)."""
    assert len(walked) == len(set(walked)), walked
    assert walked == sorted(walked)
    assert [i for i in walked if i in whole] == whole == sorted(whole)
    assert set(walked) - set(whole) == {after}
    assert before not in walked


def two_cycles_a_page(app: OKRApplication, ctx: Context) -> Callable[[], Awaitable[int]]:
    """What a walk of cycles plans between its pages: two cycles, one to start after any
    cursor (2030 on) and one before (2000 on); the position of the second."""
    planned = iter(range(2030, 2040))

    async def two_more() -> int:
        year = next(planned)
        for starts in (date(year, 1, 1), date(2000 + year % 10, 1, 1)):
            written = await app.cycles.create(
                ctx, name=f"Ciclo {starts}", starts_on=starts, ends_on=starts.replace(month=12)
            )
        return written.position

    return two_more


async def test_key_results_page_each_once_in_order_with_items_added_meanwhile(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A walk of 2 a page meets each key result there at its start once, in id order, on
    the day `today` says; one added meanwhile after the cursor on a later page, one
    added before it on none (it is not a page of what came before)."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("client_viewer")
    params: dict[str, str | int] = {"today": "2027-02-15", "min_position": filled.position}
    path = f"{filled.base}/key-results"
    whole = key_results((await client.get(path, headers=auth, params=params)).json())
    app, ctx = filled.app(system)
    late, early = high_id(), low_id()

    async def two_more() -> int:
        for made in (late, early):
            written = await app.key_results.create(
                ctx, objective_id=filled.ids.objective_id, title="Aggiunto", kind="increase",
                owner="user:builder", start=0, target=5, key_result_id=made,
            )  # fmt: skip
        return written.position

    walked = await walk(client, path, auth, params, key_results, two_more)

    assert len(whole) == 5
    assert_each_once_in_order(walked, whole, str(late), str(early))


async def test_objectives_page_each_once_in_order_with_items_added_meanwhile(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """As the key results: each objective once, in id order, the one added after the
    cursor on a later page."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("client_viewer")
    params = {"min_position": filled.position}
    path = f"{filled.base}/objectives"
    whole = objectives((await client.get(path, headers=auth, params=params)).json())
    app, ctx = filled.app(system)
    late, early = high_id(), low_id()

    async def two_more() -> int:
        for made in (late, early):
            written = await app.objectives.create(
                ctx, cycle_id=filled.ids.cycle_id, title="Aggiunto", owner="user:builder",
                objective_id=made,
            )  # fmt: skip
        return written.position

    walked = await walk(client, path, auth, params, objectives, two_more)

    assert len(whole) == 5
    assert_each_once_in_order(walked, whole, str(late), str(early))


async def test_kpis_page_each_once_in_order_with_items_added_meanwhile(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """As the key results: each KPI once, in id order, as valid at a past day."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("client_viewer")
    params: dict[str, str | int] = {"valid_at": "2027-02-10", "min_position": filled.position}
    path = f"{filled.base}/kpis"
    whole = kpis((await client.get(path, headers=auth, params=params)).json())
    app, ctx = filled.app(system)
    late, early = high_id(), low_id()

    async def two_more() -> int:
        for made in (late, early):
            written = await app.kpis.create(
                ctx, name=f"Aggiunto {made}", direction="higher_is_better", green=8, red=2,
                frequency_days=7, owner="user:builder", kpi_id=made,
            )  # fmt: skip
        return written.position

    walked = await walk(client, path, auth, params, kpis, two_more)

    assert len(whole) == 5
    assert_each_once_in_order(walked, whole, str(late), str(early))


async def test_progress_pages_its_cycles_oldest_start_first(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Without cycle_id, /progress answered every cycle of the tenant in one tree: it pages
    them now, oldest start first, the tree's day and position on each page; a cycle planned
    meanwhile to start after the cursor's comes on a later page, one to start before it on
    none; as of a position, each page is of that position (no cycle planned after it)."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("client_viewer")
    path = f"{filled.base}/progress"
    params: dict[str, Any] = {"valid_at": "2027-02-10", "min_position": filled.position}
    first = (await client.get(path, headers=auth, params=params)).json()
    whole = cycles(first)
    assert len(whole) == 5
    assert first["next_cursor"] is None  # 100 unless given: every cycle, as before paging
    two_more = two_cycles_a_page(*filled.app(system))

    walked = await walk(client, path, auth, params, cycles, two_more)

    [late] = [c for c in walked if c not in whole]
    assert late[0] == "2030-01-01"
    assert_each_once_in_order(walked, whole, late)
    as_of: dict[str, str | int] = {"as_of_position": filled.position, "valid_at": "2027-02-10"}
    then = await walk(client, path, auth, as_of, cycles, two_more)
    assert then == whole  # as of the position: not the four cycles planned since
    page = (await client.get(path, headers=auth, params={**as_of, "limit": 1})).json()
    assert (page["valid_at"], page["position"]) == ("2027-02-10", filled.position)


async def test_the_objective_tree_pages_its_cycles_as_progress_does(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """Without cycle_id, /objectives/tree answered every cycle's tree in one answer,
    unpaged (and refused limit): it pages its cycles now as /progress does, oldest start
    first, 100 unless asked (every cycle, next_cursor null, for a tenant of 100 or fewer),
    each page on the day `today` says; a cycle planned meanwhile to start after the cursor's
    comes on a later page, one to start before it on none."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("client_viewer")
    path = f"{filled.base}/objectives/tree"
    params: dict[str, Any] = {"today": "2027-02-15", "min_position": filled.position}
    first = (await client.get(path, headers=auth, params=params)).json()
    whole = cycles(first)
    assert len(whole) == 5
    assert (first["next_cursor"], first["today"]) == (None, "2027-02-15")
    two_more = two_cycles_a_page(*filled.app(system))

    walked = await walk(client, path, auth, params, cycles, two_more)

    [late] = [c for c in walked if c not in whole]
    assert late[0] == "2030-01-01"
    assert_each_once_in_order(walked, whole, late)
    page = (await client.get(path, headers=auth, params={**params, "limit": 1})).json()
    assert page["today"] == "2027-02-15" and len(page["cycles"]) == 1


@pytest.mark.parametrize("listed", ("progress", "objectives/tree"))
async def test_one_cycle_s_tree_is_whole_and_refuses_limit_and_cursor(
    client: httpx.AsyncClient, system: System, api_settings: Settings, listed: str
) -> None:
    """With cycle_id the answer is that one cycle's tree, whole: /progress took limit and
    cursor there and did nothing with them, so a client paging by them was answered as if
    they had been heard. Each is refused now, 422 naming it (rule not_with_cycle_id), and
    the tree without them is answered as before, next_cursor null."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("client_viewer")
    path = f"{filled.base}/{listed}"
    wait: dict[str, str | int] = {"min_position": filled.position}
    paged = await client.get(path, headers=auth, params={**wait, "limit": 1})
    cursor = paged.json()["next_cursor"]
    one = {**wait, "cycle_id": str(filled.ids.cycle_id)}
    for name, value in (("limit", 1), ("limit", 500), ("cursor", cursor)):
        refused = await client.get(path, headers=auth, params={**one, name: value})
        problem = assert_problem(refused, 422)
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            (name, "not_with_cycle_id")
        ], problem
    whole = await client.get(path, headers=auth, params=one)
    assert whole.status_code == 200, whole.text
    assert [c["cycle_id"] for c in whole.json()["cycles"]] == [str(filled.ids.cycle_id)]
    assert whole.json()["next_cursor"] is None


async def test_the_portfolio_pages_its_clients_oldest_first(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A consultancy of hundreds of clients had every one in one answer, a bare array: the
    portfolio is a page now, as every list, oldest client first, a client made meanwhile
    on a later page, each once; on the day `today` says."""
    filled = await a_filled_side(system, api_settings)
    auth = filled.side.auth("consultancy_admin")
    params = {"today": "2027-02-15"}
    whole = clients((await client.get(filled.portfolio, headers=auth, params=params)).json())
    made: list[str] = []

    async def one_more() -> None:
        tenant = await create_tenant(system.pool, filled.side.consultancy.id, "Nuovo cliente")
        made.append(str(tenant.id))

    walked = await walk(client, filled.portfolio, auth, params, clients, one_more)

    assert len(whole) == 5
    assert_each_once_in_order(walked, whole, walked[-1])
    assert walked[-1][1] == made[0]


LISTS = ("key-results", "objectives", "kpis", "progress", "objectives/tree", "portfolio")


@pytest.mark.parametrize("listed", LISTS)
async def test_a_bad_limit_or_cursor_is_refused_naming_it(
    client: httpx.AsyncClient, system: System, api_settings: Settings, listed: str
) -> None:
    """A limit out of 1..500 or not a number, a cursor the API never made, another list's
    cursor and the same list's of another tenant (or consultancy): 422 naming the
    parameter, where the list's own cursor turns its page."""
    a = await a_filled_side(system, api_settings)
    b = await a_filled_side(system, api_settings)

    def route(side: Filled) -> tuple[str, dict[str, str], dict[str, int]]:
        """The list's path in a side, whom to ask, and what to wait for (the portfolio
        reads across tenants: no position)."""
        if listed == "portfolio":
            return side.portfolio, side.side.auth("consultancy_admin"), {}
        wait = {"min_position": side.position}
        return f"{side.base}/{listed}", side.side.auth("client_admin"), wait

    async def cursor_of(path: str, auth: dict[str, str], wait: dict[str, int]) -> str:
        answer = await client.get(path, headers=auth, params={**wait, "limit": 1})
        assert answer.status_code == 200, answer.text
        cursor: str = answer.json()["next_cursor"]
        assert cursor
        return cursor

    path, auth, wait = route(a)
    if listed == "portfolio":
        other = await cursor_of(f"/api/v1/consultancies/{a.side.consultancy.id}/tenants", auth, {})
    else:
        other = await cursor_of(f"{a.base}/cycles", auth, wait)
    theirs = await cursor_of(*route(b))
    ours = await cursor_of(path, auth, wait)
    for params, field, rules in (
        ({"limit": 0}, "limit", {"out_of_range"}),
        ({"limit": 501}, "limit", {"out_of_range"}),
        ({"limit": "ten"}, "limit", {"wrong_type"}),
        ({"limit": "1.0"}, "limit", {"wrong_type"}),
        ({"cursor": "not-ours"}, "cursor", {"bad_cursor"}),
        ({"cursor": other}, "cursor", {"bad_cursor"}),
        ({"cursor": theirs}, "cursor", {"bad_cursor"}),
        ({"cursor": "x" * 513}, "cursor", {"too_long"}),
    ):
        refused = await client.get(path, headers=auth, params=params)
        problem = assert_problem(refused, 422)
        assert [e["field"] for e in problem["errors"]] == [field], (params, problem)
        assert problem["errors"][0]["rule"] in rules, problem
    turned = await client.get(path, headers=auth, params={"cursor": ours, "limit": 500})
    assert turned.status_code == 200, turned.text


async def test_a_page_of_key_results_is_the_tree_s_key_results_field_for_field(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A page of key results makes only its own key results (a page of 100 of 500 made all
    500): each is the progress tree's, field for field, on the same day, with the cycle
    and objective filters; of a child objective, of one under an archived objective (it
    moves up), and none of an archived objective or archived itself."""
    filled = await a_filled_side(system, api_settings)
    app, ctx = filled.app(system)
    top = filled.ids.objective_id
    child = await app.objectives.create(
        ctx, cycle_id=filled.ids.cycle_id, title="Figlio", owner="user:builder", parent_id=top
    )
    gone = await app.objectives.create(
        ctx, cycle_id=filled.ids.cycle_id, title="Archiviato", owner="user:builder"
    )
    orphan = await app.objectives.create(
        ctx, cycle_id=filled.ids.cycle_id, title="Orfano", owner="user:builder",
        parent_id=gone.item_id,
    )  # fmt: skip
    made = {}
    for name, objective in (("child", child), ("gone", gone), ("orphan", orphan), ("old", child)):
        kr = await app.key_results.create(
            ctx, objective_id=objective.item_id, title=name, kind="increase",
            owner="user:builder", start=0, target=10,
        )  # fmt: skip
        made[name] = str(kr.item_id)
        await app.key_results.record_check_in(
            ctx, kr.item_id, value="4", on=date(2027, 2, 1), confidence=6
        )
    await app.objectives.archive(ctx, gone.item_id, reason="superato")
    archived = await app.key_results.archive(ctx, uuid.UUID(made["old"]), reason="superato")
    auth = filled.side.auth("client_viewer")
    today: dict[str, str | int] = {"today": "2027-02-20", "min_position": archived.position}

    async def both(**only: str) -> tuple[list[Any], list[Any]]:
        tree = await client.get(f"{filled.base}/progress", headers=auth, params=today)
        wanted, cycle = only.get("objective_id"), only.get("cycle_id")
        in_tree = [
            kr for c in tree.json()["cycles"] if cycle is None or c["cycle_id"] == cycle
            for o in _objectives(c["objectives"]) for kr in o["key_results"]
            if wanted is None or kr["objective_id"] == wanted
        ]  # fmt: skip
        listed = await client.get(
            f"{filled.base}/key-results", headers=auth, params={**today, **only, "limit": 500}
        )
        assert listed.status_code == 200, listed.text
        return listed.json()["items"], sorted(in_tree, key=lambda k: k["key_result_id"])

    listed, in_tree = await both()
    assert listed == in_tree
    shown = {k["title"] for k in listed}
    assert {"child", "orphan"} <= shown and not {"gone", "old"} & shown
    assert all(k["value"] == "4" for k in listed if k["title"] in ("child", "orphan"))
    for only in ({"cycle_id": str(filled.ids.cycle_id)}, {"objective_id": str(top)},
                 {"objective_id": str(child.item_id)}):  # fmt: skip
        listed, in_tree = await both(**only)
        assert listed == in_tree and listed, only
    unknown = await client.get(
        f"{filled.base}/key-results", headers=auth, params={"cycle_id": str(uuid.uuid4())}
    )
    assert [e["field"] for e in assert_problem(unknown, 404)["errors"]] == ["cycle_id"]


def _objectives(nodes: list[Any]) -> list[Any]:
    """Every objective of these and under them."""
    return [o for node in nodes for o in (node, *_objectives(node["children"]))]


UNDER_OTHER_FILTERS: tuple[tuple[str, dict[str, str], dict[str, str], str], ...] = (
    # (list, the filters of the page that gave the cursor, those it is given under, which differ)
    ("key-results", {}, {"cycle_id": "mine"}, "cycle_id"),
    ("key-results", {"cycle_id": "mine"}, {"cycle_id": "other"}, "cycle_id"),
    ("key-results", {}, {"objective_id": "objective"}, "objective_id"),
    ("key-results", {"today": "2027-02-15"}, {"today": "2027-02-16"}, "today"),
    ("key-results", {"today": "2027-02-15"}, {}, "today"),
    ("objectives", {"cycle_id": "mine"}, {}, "cycle_id"),
    ("objectives", {}, {"parent_id": "objective"}, "parent_id"),
    ("kpis", {"valid_at": "2027-02-10"}, {"valid_at": "2027-02-11"}, "valid_at"),
    ("kpis", {}, {"today": "2027-02-15"}, "today"),
    ("progress", {"valid_at": "2027-02-10"}, {"valid_at": "2027-02-11"}, "valid_at"),
    ("progress", {"as_of_position": "head"}, {"as_of_position": "1"}, "as_of_position"),
    ("progress", {"as_of": "2027-02-10"}, {}, "as_of"),
    ("progress", {"today": "2027-02-15"}, {"today": "2027-02-14"}, "today"),
    ("objectives/tree", {"today": "2027-02-15"}, {}, "today"),
    ("history", {}, {"kind": "key_result"}, "kind"),
    ("audit", {"topic": "okr.KPI"}, {"topic": "okr.Cycle"}, "topic"),
    ("portfolio", {"today": "2027-02-15"}, {"today": "2027-02-16"}, "today"),
)


@pytest.mark.parametrize(("listed", "made", "used", "differs"), UNDER_OTHER_FILTERS)
async def test_a_cursor_is_taken_only_under_the_filters_that_made_it(
    client: httpx.AsyncClient,
    system: System,
    api_settings: Settings,
    listed: str,
    made: dict[str, str],
    used: dict[str, str],
    differs: str,
) -> None:
    """A cursor of a walk under cycle_id=A was taken under cycle_id=B (or another day, or
    none) and went on by id there: a page of another list, said to be the next one, and
    the items before the cursor never shown. It is refused now, 422 naming cursor and the
    filter that differs, and changes nothing; under the same filters (an id in another
    case is the same id, and min_position may move on) it turns the page."""
    filled = await a_filled_side(system, api_settings)
    app, ctx = filled.app(system)
    other = await app.cycles.create(
        ctx, name="Altro", starts_on=date(2028, 1, 1), ends_on=date(2028, 12, 31)
    )
    for n in range(2):
        await app.key_results.create(
            ctx, objective_id=filled.ids.objective_id, title=f"Altro {n}", kind="increase",
            owner="user:builder", start=0, target=10,
        )  # fmt: skip
        written = await app.objectives.create(
            ctx, cycle_id=other.item_id, title=f"Altro {n}", owner="user:builder",
            parent_id=None,
        )  # fmt: skip
    values = {
        "mine": str(filled.ids.cycle_id), "other": str(other.item_id),
        "objective": str(filled.ids.objective_id), "head": str(written.position),
    }  # fmt: skip

    def given(filters: dict[str, str]) -> dict[str, str]:
        return {name: values.get(value, value) for name, value in filters.items()}

    if listed == "portfolio":
        path, auth, wait = filled.portfolio, filled.side.auth("consultancy_admin"), {}
    else:
        path, auth = f"{filled.base}/{listed}", filled.side.auth("client_admin")
        wait = {"min_position": written.position}
    first = await client.get(path, headers=auth, params={**wait, **given(made), "limit": 1})
    assert first.status_code == 200, first.text
    cursor = first.json()["next_cursor"]
    assert cursor

    refused = await client.get(path, headers=auth, params={**given(used), "cursor": cursor})

    problem = assert_problem(refused, 422)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("cursor", "other_filters")]
    assert differs in problem["errors"][0]["message"], problem
    same = {k: v.upper() if k.endswith("_id") else v for k, v in given(made).items()}
    turned = await client.get(path, headers=auth, params={**same, "cursor": cursor})
    assert turned.status_code == 200, turned.text


async def test_a_page_of_objectives_is_the_tree_s_objectives_field_for_field(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A page of objectives works out only what its own objectives say (a page of 100 made
    the node of every key result of the tenant, pace and status included, to say none of
    it): each is still the progress tree's objective, field for field, with the cycle and
    parent filters: a child rolled up into its parent, one measured and one not, one under
    an archived objective (it moves up), one whose key result is archived, a closed
    cycle's with its scores; none archived; and so on pages of two, a parent's progress
    without its children on the page."""
    filled = await a_filled_side(system, api_settings)
    app, ctx = filled.app(system)
    cycle, top = filled.ids.cycle_id, filled.ids.objective_id

    async def objective(title: str, parent: uuid.UUID | None, **more: Any) -> uuid.UUID:
        made = await app.objectives.create(
            ctx, cycle_id=cycle, title=title, owner="user:builder", parent_id=parent, **more
        )
        return made.item_id

    async def key_result(objective_id: uuid.UUID, value: str | None) -> uuid.UUID:
        kr = await app.key_results.create(
            ctx, objective_id=objective_id, title="kr", kind="increase", owner="user:builder",
            start=0, target=10,
        )  # fmt: skip
        if value is not None:
            await app.key_results.record_check_in(ctx, kr.item_id, value=value, on=date(2027, 2, 1))
        return kr.item_id

    rolled = await objective("Somma", None, roll_up_children=True)
    measured, unmeasured = await objective("Misurato", rolled), await objective("Muto", rolled)
    await key_result(measured, "4")
    await key_result(unmeasured, None)
    quiet = await objective("Somma muta", None, roll_up_children=True)
    await key_result(await objective("Figlio muto", quiet), None)
    gone = await objective("Archiviato", None)
    orphan = await objective("Orfano", gone)
    await key_result(orphan, "7")
    emptied = await objective("Svuotato", top)
    await app.key_results.archive(ctx, await key_result(emptied, "9"), reason="superato")
    await app.objectives.archive(ctx, gone, reason="superato")
    old = await app.cycles.create(
        ctx, name="Chiuso", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    await app.cycles.activate(ctx, old.item_id)
    scored = await app.objectives.create(
        ctx, cycle_id=old.item_id, title="Chiuso", owner="user:builder"
    )
    kr = await app.key_results.create(
        ctx, objective_id=scored.item_id, title="kr", kind="increase", owner="user:builder",
        start=0, target=10,
    )  # fmt: skip
    await app.key_results.record_check_in(ctx, kr.item_id, value="6", on=date(2026, 6, 1))
    closed = await app.cycles.close(ctx, old.item_id)
    auth = filled.side.auth("client_viewer")
    wait = {"min_position": closed.position}
    tree = await client.get(f"{filled.base}/progress", headers=auth, params=wait)
    in_tree = [
        {
            "objective_id": o["objective_id"], "cycle_id": c["cycle_id"],
            "parent_id": o["parent_id"], "title": o["title"], "owner": o["owner"],
            "level": o["level"], "committed": o["committed"], "weight": o["weight"],
            "archived": o["archived"], "progress": o["progress"], "score": o["score"],
            "key_results": len(o["key_results"]),
        }
        for c in tree.json()["cycles"] for o in _objectives(c["objectives"])
    ]  # fmt: skip

    async def listed(**only: str) -> list[Any]:
        answer = await client.get(
            f"{filled.base}/objectives", headers=auth, params={**wait, **only, "limit": 500}
        )
        assert answer.status_code == 200, answer.text
        items: list[Any] = answer.json()["items"]
        return items

    def of_tree(cycle_id: str | None = None, parent_id: str | None = None) -> list[Any]:
        return sorted(
            (
                o for o in in_tree
                if (cycle_id is None or o["cycle_id"] == cycle_id)
                and (parent_id is None or o["parent_id"] == parent_id)
            ),
            key=lambda o: o["objective_id"],
        )  # fmt: skip

    everything = await listed()
    assert everything == of_tree()
    path = f"{filled.base}/objectives"
    by_two = await walk(client, path, auth, wait, lambda body: list(body["items"]))
    assert by_two == everything  # each page works out its own: a parent without its children
    said = {o["title"]: o for o in everything}
    assert "Archiviato" not in said
    assert said["Somma"]["progress"] and said["Misurato"]["progress"] == "0.4"
    assert said["Muto"]["progress"] is None and said["Somma muta"]["progress"] is None
    assert said["Orfano"]["parent_id"] == str(gone) and said["Orfano"]["progress"] == "0.7"
    assert said["Svuotato"]["key_results"] == 0 and said["Svuotato"]["progress"] is None
    assert said["Chiuso"]["score"] is not None
    for only in (
        {"cycle_id": str(cycle)}, {"cycle_id": str(old.item_id)},
        {"parent_id": str(rolled)}, {"parent_id": str(top)},
        {"cycle_id": str(cycle), "parent_id": str(gone)},
    ):  # fmt: skip
        assert await listed(**only) == of_tree(**only), only
        assert await listed(**only), only
    unknown = await client.get(
        f"{filled.base}/objectives", headers=auth, params={"cycle_id": str(uuid.uuid4())}
    )
    assert [e["field"] for e in assert_problem(unknown, 404)["errors"]] == ["cycle_id"]


async def test_the_schema_says_how_each_list_pages(client: httpx.AsyncClient) -> None:
    """A client generated from the document learns each list's limit (1 to 500, 100 by
    default: the trees' too, where the signature's None only tells given from not) and that
    a cursor is taken under its page's filters alone; the trees' that limit and cursor are
    not taken with cycle_id."""
    schema = (await client.get("/schema/openapi.json")).json()
    lists = 0
    for path, item in schema["paths"].items():
        query = {p["name"]: p for p in item.get("get", {}).get("parameters", [])}
        if "cursor" not in query:
            continue
        lists += 1
        limit = query["limit"]["schema"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 100), path
        assert "other_filters" in query["cursor"]["description"], path
        if path.endswith(("/progress", "/objectives/tree")):
            for name in ("limit", "cursor"):
                assert "Not with cycle_id" in query[name]["description"], (path, name)
    assert lists >= 18
