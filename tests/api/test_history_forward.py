"""The history read forward (?after_position=): a sync that keeps where it stopped reads,
page by page, every line after it, oldest first, with the key it has. A client member's or
viewer's key may not read the audit trail (the one list that paged forward), and the
history newest first shifts under a walk as lines arrive."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from services.bootstrap import System
from services.projector.worker import TENANT_LOCK_KEY
from tests.api.builders import World
from tests.api.test_problems import assert_problem
from tests.api.test_views import fresh_key_result

Line = dict[str, Any]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def read_forward(
    client: httpx.AsyncClient, path: str, auth: dict[str, str], **params: Any
) -> list[Line]:
    """Every line a walk forward gives, as a sync reads it: the same query on each page,
    with the page's cursor, to the end (next_cursor null)."""
    lines: list[Line] = []
    cursor: dict[str, str] = {}
    while True:
        page = await client.get(path, headers=auth, params={"limit": 3, **params, **cursor})
        assert page.status_code == 200, page.text
        lines += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return lines
        cursor = {"cursor": page.json()["next_cursor"]}


async def test_a_sync_with_a_member_s_key_reads_every_line_once_while_check_ins_arrive(
    client: httpx.AsyncClient, world: World
) -> None:
    """A nightly sync with a client member's API key, which may not read the audit trail,
    reads forward from the position it kept while a writer checks in: walk after walk, each
    from the last line it saw, it sees every line after it once, in the log's order, to the
    last one written (min_position), and no line of tenant B's, whose items have the same
    ids."""
    kr, kept = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    key = bearer(world.a.live_key)
    assert (await client.get(f"{base}/audit", headers=key)).status_code == 403
    written: list[int] = []

    async def check_ins() -> None:
        for day in range(1, 13):
            done = await client.post(
                f"{base}/key-results/{kr}/check-ins", headers=world.a.auth("client_member"),
                json={"value": 70 + day, "on": f"2027-03-{day:02}"},
            )  # fmt: skip
            assert done.status_code == 201, done.text
            written.append(int(done.headers["x-okr-position"]))
            await asyncio.sleep(0.005)

    seen: list[Line] = []
    writer = asyncio.create_task(check_ins())
    while not writer.done():
        after = seen[-1]["position"] if seen else int(kept)
        seen += await read_forward(client, f"{base}/history", key, after_position=after)
        await asyncio.sleep(0.005)
    await writer
    after = seen[-1]["position"] if seen else int(kept)
    seen += await read_forward(
        client, f"{base}/history", key, after_position=after, min_position=written[-1]
    )
    positions = [line["position"] for line in seen]
    assert positions == list(range(int(kept) + 1, written[-1] + 1))  # one line an event
    assert [line["template"] for line in seen] == ["key_result.checked_in"] * 12
    assert not any(world.b.secret in line["text"] for line in seen)
    theirs = await client.get(
        f"/api/v1/tenants/{world.b.tenant.id}/history", headers=key, params={"after_position": 0}
    )
    assert theirs.status_code == 404, theirs.text


async def test_each_filter_reads_forward_the_lines_it_reads_newest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    """The item, the actor, the kind of change and a range of instants filter a walk
    forward as they filter the history newest first: the same lines, the other way round,
    with after_position a bound of its own."""
    kr, position = await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    pushed = await client.post(
        f"{base}/key-results/{kr}/check-ins", headers=bearer(world.a.live_key),
        json={"value": 80, "on": "2027-02-10"},
    )  # fmt: skip
    assert pushed.status_code == 201, pushed.text
    last = pushed.headers["x-okr-position"]
    auth = world.a.auth("client_viewer")
    mine = await read_forward(
        client, f"{base}/history", auth, item_id=kr, after_position=0, min_position=last
    )
    assert len(mine) == 5  # created, three check-ins, the key's
    by_key = mine[-1]["actor"]
    assert by_key.startswith("key:")
    filters: list[dict[str, Any]] = [
        {"item_id": kr},
        {"actor": by_key},
        {"kind": "key_result.checked_in", "item_id": kr},
        {"since": mine[1]["recorded_at"], "until": mine[3]["recorded_at"]},
        {"item_id": kr, "since": mine[2]["recorded_at"]},
    ]
    for params in filters:
        newest_first = await client.get(
            f"{base}/history", headers=auth, params={**params, "limit": 500}
        )
        assert newest_first.status_code == 200, newest_first.text
        expected = [line["position"] for line in reversed(newest_first.json()["items"])]
        forward = await read_forward(client, f"{base}/history", auth, after_position=0, **params)
        assert [line["position"] for line in forward] == expected, params
        assert expected, params
        bounded = await read_forward(
            client, f"{base}/history", auth, after_position=expected[0], **params
        )
        assert [line["position"] for line in bounded] == expected[1:], params
    kinds = await read_forward(
        client, f"{base}/history", auth, item_id=kr, kind="key_result.checked_in",
        after_position=int(position) - 2,
    )  # fmt: skip
    assert [line["position"] for line in kinds] == [int(position) - 1, int(position), int(last)]


async def test_a_cursor_is_taken_only_the_way_its_walk_went(
    client: httpx.AsyncClient, world: World
) -> None:
    """A cursor of a walk forward given without after_position would page newest first
    before it (the lines it had read, again), and one of a walk newest first given with
    after_position would page forward after it (skipping every line between): each is
    refused, 422 naming cursor and saying after_position; a position past the log, which
    no line had (another tenant's, a mistyped one), is refused naming after_position, and
    so is one that is no position."""
    _, written = await fresh_key_result(client, world)
    head = int(written)
    path = f"/api/v1/tenants/{world.a.tenant.id}/history"
    auth = world.a.auth("client_member")
    forward = await client.get(path, headers=auth, params={"after_position": 0, "limit": 1})
    newest = await client.get(path, headers=auth, params={"limit": 1})
    forward_cursor, newest_cursor = (r.json()["next_cursor"] for r in (forward, newest))
    assert forward_cursor and newest_cursor
    for params in (
        {"cursor": forward_cursor},
        {"cursor": newest_cursor, "after_position": 0},
    ):
        refused = assert_problem(await client.get(path, headers=auth, params=params), 422)
        assert [(e["field"], e["rule"]) for e in refused["errors"]] == [("cursor", "wrong_way")]
        assert "after_position" in refused["detail"], refused["detail"]
    for after, rule in ((head + 1000, "beyond_head"), (-1, None), ("one", "wrong_type")):
        refused = assert_problem(
            await client.get(path, headers=auth, params={"after_position": after}), 422
        )
        assert [e["field"] for e in refused["errors"]] == ["after_position"], refused
        assert rule is None or refused["errors"][0]["rule"] == rule, refused
    turned = await client.get(
        path, headers=auth, params={"after_position": 0, "cursor": forward_cursor, "limit": 1}
    )
    assert turned.status_code == 200, turned.text
    assert turned.json()["items"][0]["position"] == forward.json()["items"][0]["position"] + 1
    at_head = await client.get(
        path, headers=auth, params={"after_position": head, "min_position": head}
    )
    assert at_head.status_code == 200, at_head.text
    assert at_head.json() == {
        "items": [],
        "next_cursor": None,
        "through_position": head,
        "head_position": head,
    }


async def test_a_walk_forward_says_where_the_history_stands_while_it_is_behind_the_log(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The history is a read model. While it was behind the log, a walk forward ended on a
    last page (next_cursor null) that said nothing of the events past it: a sync took the
    end of what the history held for the end of the log, and one with a filter kept its
    last line's position, to read every line since again. Now each page says the position
    the history holds every line through and the log's head; after through_position, once
    the history caught up, come the lines it did not have, each once."""
    kr, _ = await fresh_key_result(client, world)
    tenant = world.a.tenant.id
    base = f"/api/v1/tenants/{tenant}"
    auth = world.a.auth("client_member")
    caught_up = await client.get(f"{base}/history", headers=auth, params={"limit": 1})
    stands = caught_up.json()["head_position"]
    caught_up = await client.get(
        f"{base}/history", headers=auth, params={"limit": 1, "min_position": stands}
    )
    assert caught_up.json()["through_position"] == stands == caught_up.json()["head_position"]
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        async with admin.transaction():  # the tenant's projector lock: the history waits
            await admin.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", tenant)
            late = await client.post(
                f"{base}/key-results/{kr}/check-ins", headers=auth,
                json={"value": 81, "on": "2027-02-02"},
            )  # fmt: skip
            assert late.status_code == 201, late.text
            written = int(late.headers["x-okr-position"])
            page = await client.get(
                f"{base}/history", headers=auth, params={"after_position": stands - 1}
            )
    finally:
        await admin.close()
    assert page.status_code == 200, page.text
    said = page.json()
    assert [line["position"] for line in said["items"]] == [stands]
    assert said["next_cursor"] is None
    assert (said["through_position"], said["head_position"]) == (stands, written)
    rest = await client.get(
        f"{base}/history", headers=auth,
        params={"after_position": said["through_position"], "min_position": written},
    )  # fmt: skip
    assert [line["position"] for line in rest.json()["items"]] == [written]
    assert rest.json()["through_position"] == written


async def test_a_page_of_a_walk_forward_holds_every_line_through_its_through_position(
    client: httpx.AsyncClient, world: World
) -> None:
    """through_position is where a sync resumes: every line up to it is in the pages read so
    far. A page with more after it said the history's own standing (the log's head, caught
    up), whose lines were on the pages still to come: a sync that stopped there and
    resumed after it skipped them. Such a page now says its last line's position, and the
    walk resumed from any page's through_position reads each line once."""
    await fresh_key_result(client, world)
    base = f"/api/v1/tenants/{world.a.tenant.id}/history"
    auth = world.a.auth("client_member")
    head = (await client.get(base, headers=auth, params={"limit": 1})).json()["head_position"]
    start = head - 3
    seen: list[int] = []
    after = start
    while True:
        page = await client.get(
            base, headers=auth, params={"after_position": after, "limit": 2, "min_position": head}
        )
        said = page.json()
        seen += [line["position"] for line in said["items"]]
        assert said["through_position"] == seen[-1]
        if said["next_cursor"] is None:
            break
        after = said["through_position"]  # a sync stopped here and resumed later
    assert seen == list(range(start + 1, head + 1))
