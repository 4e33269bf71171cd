"""What every write promises: Idempotency-Key, ETag / If-Match, X-OKR-Position."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from services.bootstrap import System
from services.projector.worker import TENANT_LOCK_KEY
from services.settings import Settings
from tests.api.asgi import asgi_transport
from tests.api.builders import World


def check_ins_path(world: World) -> str:
    return f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}/check-ins"


async def head(system: System, world: World) -> int:
    return await system.store.head(world.a.tenant.id)


async def test_a_retry_returns_the_first_answer_and_records_nothing(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Same Idempotency-Key, same body: the first status, headers and body come back, and
    the tenant's log does not move."""
    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"value": "20.5", "on": "2027-02-10", "confidence": 6}
    first = await client.post(check_ins_path(world), headers=headers, json=body)
    assert first.status_code == 201, first.text
    written = await head(system, world)
    again = await client.post(check_ins_path(world), headers=headers, json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-okr-position"] == first.headers["x-okr-position"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await head(system, world) == written
    reordered = b'{ "confidence": 6, "on": "2027-02-10", "value": "20.5" }'  # written anew
    same = await client.post(
        check_ins_path(world), headers={**headers, "content-type": "application/json"},
        content=reordered,
    )  # fmt: skip
    assert same.status_code == 201 and same.json() == first.json()  # not 422 key_reused
    for other in (b'{"value": 20.5, "on": "2027-02-10", "confidence": 6}',  # a number
                  b'{"value": "20.50", "on": "2027-02-10", "confidence": 6}'):  # fmt: skip
        refused = await client.post(
            check_ins_path(world), headers={**headers, "content-type": "application/json"},
            content=other,
        )  # fmt: skip
        assert refused.status_code == 422, other  # another body as written: another request
    numbers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4()),
               "content-type": "application/json"}  # fmt: skip
    first_number = await client.post(
        check_ins_path(world), headers=numbers, content=b'{"value": 19.2, "on": "2027-02-11"}'
    )
    assert first_number.status_code == 201
    other_number = await client.post(
        check_ins_path(world), headers=numbers, content=b'{"on": "2027-02-11", "value": 19.20}'
    )
    assert other_number.status_code == 422  # 19.20 is not 19.2 as written, though equal


async def test_a_new_api_key_is_never_kept_for_a_retry(
    client: httpx.AsyncClient, world: World, system: System, admin_dsn: str
) -> None:
    """A key's plaintext is shown once: the answer kept for a retry holds no secret, and the
    retry is told the key was made (409, its Location), not given it again, nor another."""
    keys = f"/api/v1/tenants/{world.a.tenant.id}/api-keys"
    idempotency = str(uuid.uuid4())
    headers = {**world.a.auth("client_admin"), "Idempotency-Key": idempotency}
    made = await client.post(keys, headers=headers, json={"name": "Gestionale"})
    assert made.status_code == 201, made.text
    plaintext, key_id = made.json()["plaintext"], made.json()["key"]["id"]
    assert made.headers["cache-control"] == "no-store"
    assert made.headers["location"].endswith(f"/api-keys/{key_id}")
    conn = await asyncpg.connect(admin_dsn)
    try:
        kept = await conn.fetchval("SELECT body FROM idempotency_keys WHERE key = $1", idempotency)
    finally:
        await conn.close()
    assert kept is not None and plaintext.encode() not in kept
    assert plaintext.split("_", 2)[2].encode() not in kept  # nor its secret part

    again = await client.post(keys, headers=headers, json={"name": "Gestionale"})

    assert again.status_code == 409, again.text
    assert again.json()["errors"][0]["rule"] == "secret_shown_once"
    assert plaintext not in again.text
    assert (again.headers["location"], again.headers["x-okr-position"]) == (
        made.headers["location"], made.headers["x-okr-position"]
    )  # fmt: skip
    listed = await client.get(keys, headers=world.a.auth("client_admin"))
    assert [k["id"] for k in listed.json()["items"]].count(key_id) == 1
    assert [k["name"] for k in listed.json()["items"]].count("Gestionale") == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Reusing a key for a different request is a client bug: 422, nothing recorded."""
    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(
        check_ins_path(world), headers=headers, json={"value": 20, "on": "2027-02-11"}
    )
    assert first.status_code == 201
    written = await head(system, world)
    other = await client.post(
        check_ins_path(world), headers=headers, json={"value": 19, "on": "2027-02-11"}
    )
    assert other.status_code == 422
    assert other.json()["errors"][0] == {
        "field": "Idempotency-Key",
        "rule": "key_reused",
        "message": "this Idempotency-Key was used for another request",
    }
    assert await head(system, world) == written


async def test_a_retry_that_writes_an_id_in_another_case_is_the_same_request(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The route reads an id of the path written in any case ("ABCD…" is "abcd…"), and so
    does the key: a retry that wrote the tenant's or the key result's id otherwise was
    refused key_reused, as if it were another request. It gets the first answer back and
    nothing is recorded; a path to another key result is still another request."""
    tenant, kr = world.a.tenant.id, world.ids.key_result_id
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    made = await client.post(
        f"{base}/key-results", headers=world.a.auth("client_admin"),
        json={"objective_id": str(world.ids.objective_id), "title": "Altro", "kind": "increase",
              "start": 0, "target": 10, "unit": {"kind": "count"}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"value": 21, "on": "2027-02-14"}
    shouting = f"/api/v1/tenants/{str(tenant).upper()}/key-results/{str(kr).upper()}/check-ins"
    first = await client.post(shouting, headers=headers, json=body)
    assert first.status_code == 201, first.text
    written = await head(system, world)
    for path in (check_ins_path(world), check_ins_path(world).replace(str(kr), kr.hex)):
        again = await client.post(path, headers=headers, json=body)
        assert again.status_code == 201, (path, again.text)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
    assert await head(system, world) == written
    other = check_ins_path(world).replace(str(kr), made.json()["id"])
    refused = await client.post(other, headers=headers, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["rule"] == "key_reused"
    assert await head(system, world) == written


async def test_a_key_claimed_with_its_path_as_it_came_is_still_its_request(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A key claimed before paths were read as routed kept the hash of the path as it came:
    its retry, written the same way, is still its request (here still running: 409, its
    lock held as its request would), not another (422)."""
    from services.api.idempotency import request_hash
    from services.session_locks import lock_id

    key = str(uuid.uuid4())
    body = {"value": 23, "on": "2027-02-15"}
    path = check_ins_path(world).replace(str(world.ids.key_result_id), world.ids.key_result_id.hex)
    digest = request_hash("POST", path, b"", json.dumps(body).encode())
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        await admin.execute(
            "INSERT INTO idempotency_keys (tenant_id, actor, key, request_hash)"
            " VALUES ($1, $2, $3, $4)",
            world.a.tenant.id, f"user:{world.a.user_ids['client_member']}", key, digest,
        )  # fmt: skip
    finally:
        await admin.close()
    headers = {**world.a.auth("client_member"), "Idempotency-Key": key}
    assert system.key_locks is not None
    running = lock_id(
        "idempotency_keys", str(world.a.tenant.id), f"user:{world.a.user_ids['client_member']}",
        key,
    )  # fmt: skip
    assert await system.key_locks.try_hold(running)
    try:
        retried = await client.post(path, headers=headers, json=body)
    finally:
        await system.key_locks.let_go(running)
    assert retried.status_code == 409, retried.text
    assert retried.json()["errors"][0]["rule"] == "in_progress"


async def test_a_retry_is_still_running_while_its_first_runs_elsewhere_and_runs_once_it_died(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The first request of a key runs in another process (its lock held on a session of
    its own, its claim made): a retry here is told 409 "still running". Once that process
    is gone (its session closed, the lock with it), the retry runs at once, not two minutes
    on: the claim's request died."""
    from services.api.idempotency import request_hash
    from services.session_locks import SessionLocks, lock_id

    key = str(uuid.uuid4())
    body = {"value": "23.5", "on": "2027-02-15", "note": f"elsewhere {uuid.uuid4().hex}"}
    path = check_ins_path(world)
    actor = f"user:{world.a.user_ids['client_member']}"
    digest = request_hash("POST", path, b"", json.dumps(body).encode())
    elsewhere = SessionLocks(system.app_dsn, answer_within=10)
    assert await elsewhere.try_hold(lock_id("idempotency_keys", str(world.a.tenant.id), actor, key))
    await a_claim_made_elsewhere(system, world, actor, key, digest)
    headers = {**world.a.auth("client_member"), "Idempotency-Key": key}
    before = await head(system, world)
    running = await client.post(path, headers=headers, json=body)
    assert running.status_code == 409, running.text
    assert running.json()["errors"][0]["rule"] == "in_progress"
    await elsewhere.close()  # its process dies
    retried = await client.post(path, headers=headers, json=body)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await head(system, world) == before + 1


async def a_claim_made_elsewhere(
    system: System, world: World, actor: str, key: str, digest: bytes
) -> None:
    """The claim of the key's first request, made in tenant A by another process and not
    answered (yet)."""
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        await admin.execute(
            "INSERT INTO idempotency_keys (tenant_id, actor, key, request_hash)"
            " VALUES ($1, $2, $3, $4)",
            world.a.tenant.id, actor, key, digest,
        )  # fmt: skip
    finally:
        await admin.close()


async def test_a_failed_write_can_be_retried_with_its_key(
    client: httpx.AsyncClient, world: World
) -> None:
    """Only successes are kept: a refused request did nothing, so its key stays usable."""
    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    bad = await client.post(
        check_ins_path(world), headers=headers, json={"value": "NaN", "on": "2027-02-12"}
    )
    assert bad.status_code == 422
    good = await client.post(
        check_ins_path(world), headers=headers, json={"value": "NaN", "on": "2027-02-12"}
    )
    assert good.status_code == 422
    assert "idempotent-replayed" not in good.headers


async def test_keys_belong_to_one_principal(client: httpx.AsyncClient, world: World) -> None:
    """Another person using the same key string gets its own fresh write, never a replay."""
    key = str(uuid.uuid4())
    body = {"value": 20, "on": "2027-02-13"}
    mine = await client.post(
        check_ins_path(world),
        headers={**world.a.auth("client_member"), "Idempotency-Key": key},
        json=body,
    )
    theirs = await client.post(
        check_ins_path(world),
        headers={**world.a.auth("client_admin"), "Idempotency-Key": key},
        json=body,
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["check_in_id"] != theirs.json()["check_in_id"]


async def test_creating_a_tenant_is_idempotent_too(client: httpx.AsyncClient, world: World) -> None:
    """Outside any tenant (a new client company), a retry still makes one tenant."""
    path = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants"
    headers = {**world.a.auth("consultancy_admin"), "Idempotency-Key": "onboard-1"}
    body = {"name": f"Cliente {uuid.uuid4().hex[:6]}"}
    first = await client.post(path, headers=headers, json=body)
    again = await client.post(path, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get(path, headers=world.a.auth("consultancy_admin"))
    assert [t["name"] for t in listed.json()["items"]].count(body["name"]) == 1


async def test_items_carry_their_version_and_if_match_guards_writes(
    client: httpx.AsyncClient, world: World
) -> None:
    """ETag is the stream version; a write with a stale If-Match answers 412 and changes
    nothing; with the current one it goes through and answers the next version."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/objectives/{world.ids.objective_id}"
    auth = world.a.auth("client_admin")
    read = await client.get(path, headers=auth)
    etag = read.headers["etag"]
    assert etag == f'"{read.json()["version"]}"'
    stale = f'"{read.json()["version"] - 1}"'
    refused = await client.patch(
        path, headers={**auth, "If-Match": stale}, json={"description": "mai scritto"}
    )
    assert refused.status_code == 412
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["etag"] == etag
    accepted = await client.patch(
        path, headers={**auth, "If-Match": etag}, json={"description": f"v{uuid.uuid4().hex}"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["etag"] == f'"{read.json()["version"] + 1}"'
    again = await client.patch(
        path, headers={**auth, "If-Match": etag}, json={"description": "troppo tardi"}
    )
    assert again.status_code == 412
    assert (await client.get(path, headers=auth)).json()["description"] != "troppo tardi"


async def test_if_match_on_a_check_in(client: httpx.AsyncClient, world: World) -> None:
    """Appends (check-ins) honour If-Match as well; a malformed one is 400."""
    auth = world.a.auth("client_member")
    body = {"value": 21, "on": "2027-02-14"}
    stale = await client.post(check_ins_path(world), headers={**auth, "If-Match": '"1"'}, json=body)
    assert stale.status_code == 412
    malformed = await client.post(
        check_ins_path(world), headers={**auth, "If-Match": "yesterday"}, json=body
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["field"] == "If-Match"


@pytest.mark.parametrize(
    ("if_match", "status", "rule"),
    [
        ('W/"{v}"', 412, "weak_etag"),  # the item is at v: a weak tag matches it not
        ('W/"{v}", W/"{w}"', 412, "weak_etag"),
        ("{v}", 400, "bad_etag"),  # not in quotes: no entity tag
        ('"{v}", "{w}"', 400, "bad_etag"),  # two versions: an item is at one
        ('w/"{v}"', 400, "bad_etag"),  # W/ is written in capitals
        ('W/"{v}", "{v}"', 200, None),  # the strong one is compared
        ('"{v}"', 200, None),
        ("*", 200, None),
    ],
)
async def test_a_weak_entity_tag_in_if_match_never_matches(
    client: httpx.AsyncClient,
    world: World,
    system: System,
    if_match: str,
    status: int,
    rule: str | None,
) -> None:
    """If-Match compares entity tags strongly (RFC 9110, 13.1.1): a weak tag never matches.
    W/"3" was read as "3" and the edit applied; now it is 412 naming If-Match, and nothing
    is written, though the item is at version 3. An unquoted 3 (taken for "3"), or two
    versions, are 400; "3" and * go through as ever."""
    path = f"/api/v1/tenants/{world.a.tenant.id}/objectives/{world.ids.objective_id}"
    auth = world.a.auth("client_admin")
    version = (await client.get(path, headers=auth)).json()["version"]
    before = await head(system, world)
    sent = if_match.format(v=version, w=version + 1)
    description = f"v{uuid.uuid4().hex}"
    answer = await client.patch(
        path, headers={**auth, "If-Match": sent}, json={"description": description}
    )
    assert answer.status_code == status, answer.text
    if rule is None:
        assert answer.headers["etag"] == f'"{version + 1}"'
        return
    assert answer.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [("If-Match", rule)]
    assert await head(system, world) == before
    assert (await client.get(path, headers=auth)).json()["version"] == version


async def test_if_match_lets_one_of_simultaneous_check_ins_through(
    client: httpx.AsyncClient, world: World
) -> None:
    """Six check-ins sent at once over the version the caller read: one is recorded, the
    others are 412 (each was checked on arrival only, then retried past the others, and
    all six were recorded). Without If-Match all six are, as ever."""
    auth = world.a.auth("client_member")
    item = f"/api/v1/tenants/{world.a.tenant.id}/key-results/{world.ids.key_result_id}"
    etag = (await client.get(item, headers=auth)).headers["etag"]

    async def check_in(value: int, headers: dict[str, str]) -> int:
        body = {"value": value, "on": "2027-02-14"}
        return (await client.post(check_ins_path(world), headers=headers, json=body)).status_code

    guarded = await asyncio.gather(*(check_in(v, {**auth, "If-Match": etag}) for v in range(6)))
    assert sorted(guarded) == [201, 412, 412, 412, 412, 412]
    free = await asyncio.gather(*(check_in(v, auth) for v in range(6)))
    assert free == [201] * 6


async def test_a_write_that_records_nothing_answers_where_the_log_stands(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """PATCH {} (a merge patch of no member, RFC 7396) or of the values an item has records
    nothing, and is no mistake: a client syncing fields sends it when none differ. The
    tenant's settings answered it with the tenant and the log's head; an objective, a key
    result or a KPI with "position": 0 and X-OKR-Position: 0, a position no log has (the
    same for a re-parenting under the parent it has). Now each answers 200 with the item's
    version as ETag and the log's head as its position, and the log does not move; a stale
    If-Match is 412 all the same."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    items = [f"{base}/{kind}/{item_id}" for kind, item_id in (
        ("objectives", world.ids.objective_id), ("key-results", world.ids.key_result_id),
        ("kpis", world.ids.kpi_id),
    )]  # fmt: skip
    objective = (await client.get(items[0], headers=auth)).json()
    calls: list[tuple[str, str, dict[str, Any]]] = [("PATCH", path, {}) for path in [*items, base]]
    calls += [
        ("PATCH", items[0], {"title": objective["title"], "committed": objective["committed"]}),
        ("PUT", f"{items[0]}/parent", {"parent_id": objective["parent_id"]}),
    ]
    for method, path, body in calls:
        before = await head(system, world)
        etag = (await client.get(path.removesuffix("/parent"), headers=auth)).headers.get("etag")
        answer = await client.request(method, path, headers=auth, json=body)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["x-okr-position"] == str(before), path
        if path != base:
            assert answer.headers["etag"] == etag, path
            assert answer.json()["position"] == before, path
        assert await head(system, world) == before, path
    stale = await client.patch(items[0], headers={**auth, "If-Match": '"1000"'}, json={})
    assert stale.status_code == 412, stale.text


async def test_every_write_answers_its_position_and_reads_wait_for_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """X-OKR-Position on the write; the same number as min_position makes the read show it."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    title = f"Obiettivo {uuid.uuid4().hex[:8]}"
    made = await client.post(
        f"{base}/objectives",
        headers=auth,
        json={"cycle_id": str(world.ids.cycle_id), "title": title},
    )
    position = made.headers["x-okr-position"]
    listed = await client.get(
        f"{base}/objectives", headers=auth, params={"min_position": position, "limit": 500}
    )
    assert title in [o["title"] for o in listed.json()["items"]]
    member = await client.post(
        f"{base}/users",
        headers=auth,
        json={
            "email": f"{uuid.uuid4().hex[:8]}@example.it",
            "display_name": "Neo",
            "role": "client_viewer",
        },
    )
    assert member.status_code == 201
    assert int(member.headers["x-okr-position"]) >= int(position)


async def test_a_position_the_view_has_not_applied_in_time_answers_503(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """A write the projector cannot apply yet (another holds the tenant's lock, as a rebuild
    of it would): a read with its position waits read_wait_seconds, then answers 503 with
    Retry-After, never stale data passed off as fresh; the audit trail, the log itself, has
    it at once; once the lock is let go, the same read shows it."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    title = f"Obiettivo {uuid.uuid4().hex[:8]}"
    async with admin.transaction():
        await admin.execute(f"SELECT pg_advisory_xact_lock({TENANT_LOCK_KEY})", world.a.tenant.id)
        made = await client.post(
            f"{base}/objectives",
            headers=auth,
            json={"cycle_id": str(world.ids.cycle_id), "title": title},
        )
        position: dict[str, str | int] = {
            "min_position": made.headers["x-okr-position"],
            "limit": 500,
        }
        behind = await client.get(f"{base}/objectives", headers=auth, params=position)
        assert behind.status_code == 503, behind.text
        assert behind.headers["retry-after"] == "1"
        problem = behind.json()
        assert (problem["errors"][0]["field"], problem["errors"][0]["rule"]) == (
            "min_position",
            "not_reached",
        )
        trail = await client.get(f"{base}/audit", headers=auth, params=position)
        assert trail.status_code == 200, trail.text
    listed = await client.get(f"{base}/objectives", headers=auth, params=position)
    assert listed.status_code == 200, listed.text
    assert title in [o["title"] for o in listed.json()["items"]]


async def test_a_position_past_the_log_answers_422_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """Asking to read a position the tenant's log has not got: no command returned it (a
    command's position is in the log when it answers), so no wait would see it: 422 at once,
    naming min_position and the log's head, for a view and for the audit trail alike (a
    wait would hold the request for read_wait_seconds, then 503). Heads are per tenant: a
    position B's log has is past A's all the same."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auditor = world.a.auth("client_admin")
    made = await client.post(
        f"{base}/objectives",
        headers=auditor,
        json={"cycle_id": str(world.ids.cycle_id), "title": f"Obiettivo {uuid.uuid4().hex[:8]}"},
    )
    head = int(made.headers["x-okr-position"])  # the tests write one at a time
    for path, auth in (("history", world.a.auth("client_viewer")), ("audit", auditor)):
        response = await client.get(
            f"{base}/{path}", headers=auth, params={"min_position": head + 1}
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"][0]["field"] == "min_position"
        assert problem["errors"][0]["rule"] == "beyond_head"
        assert f"ends at position {head}" in problem["detail"]
    for path in ("history", "audit"):
        reached = await client.get(f"{base}/{path}", headers=auditor, params={"min_position": head})
        assert reached.status_code == 200, path
    b_base = f"/api/v1/tenants/{world.b.tenant.id}"
    b_auth = world.b.auth("client_admin")
    ahead = 0
    while ahead <= head:  # B's log past A's head
        b_made = await client.post(
            f"{b_base}/objectives",
            headers=b_auth,
            json={"cycle_id": str(world.ids.cycle_id), "title": f"O {uuid.uuid4().hex[:8]}"},
        )
        assert b_made.status_code == 201, b_made.text
        ahead = int(b_made.headers["x-okr-position"])
    for tenant_base, auth, status in ((base, auditor, 422), (b_base, b_auth, 200)):
        read = await client.get(
            f"{tenant_base}/audit", headers=auth, params={"min_position": ahead}
        )
        assert read.status_code == status, read.text


async def sent_halfway(
    app: Litestar, method: str, path: str, headers: dict[str, str], body: bytes, part: int
) -> list[Any]:
    """A request whose client goes away after `part` bytes of its `body`: what the app sent."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": raw, "client": ("127.0.0.1", 5000),
        "server": ("okr.test", 80),
    }  # fmt: skip
    arrived = [{"type": "http.request", "body": body[:part], "more_body": True}] if part else []
    sent: list[Any] = []

    async def receive() -> Any:
        return arrived.pop(0) if arrived else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]  # plain dicts, as a server sends
    return sent


async def test_a_client_gone_mid_upload_claims_and_runs_nothing(
    app: Litestar, client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A client that times out halfway through sending its body, then retries with the same
    Idempotency-Key: the part that came was claimed and run as the request (a key revoked
    without its reason, its body not yet sent), and the whole retry was refused 422
    key_reused, its write lost. Now the part claims and runs nothing, and the retry is the
    request."""
    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4()),
               "content-type": "application/json"}  # fmt: skip
    body = b'{"value": "21.5", "on": "2027-02-12", "note": "dal gestionale"}'
    before = await head(system, world)
    sent = await sent_halfway(app, "POST", check_ins_path(world), headers, body, 20)
    assert not [m for m in sent if m["type"] == "http.response.start"]  # nobody to answer
    assert await head(system, world) == before
    retried = await client.post(check_ins_path(world), headers=headers, content=body)
    assert retried.status_code == 201, retried.text
    assert await head(system, world) == before + 1

    admin = {**world.a.auth("client_admin"), "content-type": "application/json"}
    keys = f"/api/v1/tenants/{world.a.tenant.id}/api-keys"
    made = await client.post(keys, headers=admin, json={"name": "sync notturno"})
    assert made.status_code == 201, made.text
    key_id = made.json()["key"]["id"]
    revoke = f"{keys}/{key_id}"
    keyed = {**admin, "Idempotency-Key": str(uuid.uuid4())}
    reason = b'{"reason": "rotated after a leak"}'
    await sent_halfway(app, "DELETE", revoke, keyed, reason, 0)  # none of its body came
    listed = (await client.get(keys, headers=admin)).json()["items"]
    assert [k["revoked_at"] for k in listed if k["id"] == key_id] == [None]  # not revoked
    revoked = await client.request("DELETE", revoke, headers=keyed, content=reason)
    assert revoked.status_code == 200, revoked.text  # not 422 key_reused
    assert revoked.json()["revoked_at"] is not None


async def test_if_match_on_a_write_that_does_not_check_it_is_refused(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A tenant's settings, a KPI's link to a key result: If-Match, stale or garbage, was
    ignored and the write applied, where the client meant "only if nothing changed". It is
    refused (400 naming If-Match) and nothing is written; without it the write is taken."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("consultancy_admin")
    before = await head(system, world)
    cadence = (await client.get(base, headers=auth)).json()["check_in_cadence_days"]
    for if_match in ('"1"', "garbage"):
        refused = await client.patch(
            base, headers={**auth, "If-Match": if_match}, json={"check_in_cadence_days": 9}
        )
        assert refused.status_code == 400, refused.text
        error = refused.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("If-Match", "if_match_not_taken")
    assert await head(system, world) == before
    taken = await client.patch(base, headers=auth, json={"check_in_cadence_days": cadence + 1})
    assert taken.status_code == 200, taken.text
    await client.patch(base, headers=auth, json={"check_in_cadence_days": cadence})  # as it was
    stale = await client.post(  # a route that checks it still answers 412 when stale
        check_ins_path(world), headers={**world.a.auth("client_member"), "If-Match": '"1"'},
        json={"value": "20", "on": "2027-02-13"},
    )  # fmt: skip
    assert stale.status_code == 412, stale.text


async def test_a_keyed_write_whose_answer_is_lost_records_nothing_and_runs_again(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: Any
) -> None:
    """A write's events and its kept answer commit together. Its connection lost between
    the two (a crash, a terminated session), the events were in the log without the answer:
    the retry, once the claim was taken for abandoned, wrote them again. Now nothing is
    committed, the client is told 503 with Retry-After (it was a bare 500), and the retry
    records the check-in once."""
    from services.api import idempotency

    keep = idempotency.KeyStore.answer

    async def lost(self: Any, *args: Any, **kwargs: Any) -> bool:
        conn = args[-1] if args else kwargs["conn"]
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return await keep(self, *args, **kwargs)

    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"value": "21.5", "on": "2027-02-12", "note": f"lost {uuid.uuid4().hex}"}
    before = await head(system, world)
    monkeypatch.setattr(idempotency.KeyStore, "answer", lost)
    refused = await client.post(check_ins_path(world), headers=headers, json=body)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert await head(system, world) == before  # nothing committed
    monkeypatch.setattr(idempotency.KeyStore, "answer", keep)
    retried = await client.post(check_ins_path(world), headers=headers, json=body)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    again = await client.post(check_ins_path(world), headers=headers, json=body)
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get(check_ins_path(world), headers=world.a.auth("client_member"))
    notes = [c["note"] for c in listed.json()["items"]]
    assert notes.count(body["note"]) == 1
    assert await head(system, world) == before + 1


async def test_an_abandoned_key_is_taken_over_by_one_retry_of_many(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A claim left unanswered for longer than ABANDONED_AFTER (its request died before its
    commit) is taken over by a retry. Four retries arriving at once each saw it abandoned
    and all took it over: two of them wrote the check-in. Now one takes it over and writes;
    the others are told the first is still running (409), or, come after it ended, get its
    answer (a replay)."""
    from services.api.idempotency import ABANDONED_AFTER, request_hash

    key = str(uuid.uuid4())
    headers = {**world.a.auth("client_member"), "Idempotency-Key": key}
    body = {"value": "22.5", "on": "2027-02-13", "note": f"taken {uuid.uuid4().hex}"}
    path = check_ins_path(world)
    digest = request_hash("POST", path, b"", json.dumps(body).encode())
    actor = f"user:{world.a.user_ids['client_member']}"
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        await admin.execute(
            "INSERT INTO idempotency_keys (tenant_id, actor, key, request_hash, created_at)"
            " VALUES ($1, $2, $3, $4, now() - $5::interval - interval '1 second')",
            world.a.tenant.id, actor, key, digest, ABANDONED_AFTER,
        )  # fmt: skip
    finally:
        await admin.close()
    before = await head(system, world)
    answers = await asyncio.gather(
        *(client.post(path, headers=headers, json=body) for _ in range(4))
    )
    said = sorted((a.status_code, a.headers.get("idempotent-replayed", "")) for a in answers)
    written = [s for s in said if s == (201, "")]
    assert len(written) == 1 and set(said) <= {(201, ""), (201, "true"), (409, "")}, said
    assert await head(system, world) == before + 1
    replay = await client.post(path, headers=headers, json=body)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"


async def test_a_claim_taken_over_is_neither_answered_nor_released_by_its_first_request(
    system: System, world: World
) -> None:
    """A request so slow that a retry took its key over must not keep its answer (its
    events roll back with it) nor forget the retry's claim."""
    from datetime import timedelta

    from services.api.idempotency import ABANDONED_AFTER, Claimed, KeyStore

    store = KeyStore(system.pool, world.a.tenant.id, "user:slow", timedelta(hours=1))
    first = await store.claim("k", b"\x01" * 32)
    assert isinstance(first, Claimed)
    admin = await asyncpg.connect(system.admin_dsn)
    try:
        await admin.execute(
            "UPDATE idempotency_keys SET created_at = created_at - $1::interval"
            " - interval '1 second' WHERE actor = 'user:slow'",
            ABANDONED_AFTER,
        )
    finally:
        await admin.close()
    second = await store.take_over("k", b"\x01" * 32)
    assert second is not None and second != first
    assert await store.take_over("k", b"\x01" * 32) is None  # taken already
    joined = store.joined()
    assert not await store.answer("k", first, 201, [], b"first", await joined.connection())
    await joined.end(commit=False)
    await store.release("k", first)
    assert await store.answer("k", second, 201, [], b"second", await joined.connection())
    await joined.end(commit=True)
    found = await store.claim("k", b"\x01" * 32)
    assert not isinstance(found, Claimed) and found.body == b"second"


async def test_keyed_writes_that_fill_the_pool_all_go_through(
    world: World, admin_dsn: str, api_settings: Settings
) -> None:
    """A keyed write holds a connection from its first append to its commit. Taken when the
    request began, requests filling the pool would each wait for another to load what they
    change; taken at the append, twelve keyed check-ins through a pool of two all land."""
    from dataclasses import replace

    from services.api import create_app
    from services.bootstrap import bootstrap

    small = await bootstrap(replace(api_settings, pool_min=1, pool_max=2), admin_dsn)
    try:
        transport = asgi_transport(create_app(small, api_settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as c:
            before = await small.store.head(world.a.tenant.id)
            answers = await asyncio.wait_for(asyncio.gather(*(
                c.post(check_ins_path(world), json={"value": f"{30 + n}", "on": "2027-02-14"},
                       headers={**world.a.auth("client_member"),
                                "Idempotency-Key": str(uuid.uuid4())})
                for n in range(12)
            )), timeout=60)  # fmt: skip
            assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
            assert await small.store.head(world.a.tenant.id) == before + 12
    finally:
        await small.close()


async def test_a_request_whose_claim_was_taken_over_is_told_409_and_writes_nothing(
    app: Litestar, world: World, system: System, monkeypatch: Any
) -> None:
    """The first request of a key runs so long that a retry takes its claim over: its late
    answer is not kept and its events roll back, and it is told 409 with Retry-After (the
    refusal, raised after its answer was made and held, was a bare 500)."""
    from datetime import timedelta

    from services.api import idempotency
    from services.api.idempotency import ABANDONED_AFTER, KeyStore

    keep = idempotency.KeyStore.answer
    actor = f"user:{world.a.user_ids['client_member']}"

    async def overtaken(self: Any, key: str, claim: Any, *args: Any, **kwargs: Any) -> bool:
        admin = await asyncpg.connect(system.admin_dsn)
        try:  # two minutes pass...
            await admin.execute(
                "UPDATE idempotency_keys SET created_at = created_at - $1::interval"
                " - interval '1 second' WHERE actor = $2 AND key = $3",
                ABANDONED_AFTER, actor, key,
            )  # fmt: skip
        finally:
            await admin.close()
        retry = KeyStore(system.pool, world.a.tenant.id, actor, timedelta(hours=24))
        assert await retry.take_over(key, b"\x02" * 32) is not None  # ...and a retry comes
        return await keep(self, key, claim, *args, **kwargs)

    monkeypatch.setattr(idempotency.KeyStore, "answer", overtaken)
    transport = asgi_transport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as client:
        headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
        body = {"value": "21.5", "on": "2027-02-12", "note": f"slow {uuid.uuid4().hex}"}
        before = await head(system, world)
        answer = await client.post(check_ins_path(world), headers=headers, json=body)
    assert await head(system, world) == before
    assert answer.status_code == 409, (answer.status_code, answer.text)
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_a_keyed_tenancy_write_whose_answer_is_lost_records_nothing(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: Any
) -> None:
    """A tenancy write (an API key: a directory row and its event) joins the request's
    transaction too: its answer lost, nothing is committed and the 503's "try again" holds;
    the key and its event were committed on a connection of their own, and the retry made
    a second key."""
    from services.api import idempotency

    keep = idempotency.KeyStore.answer

    async def lost(self: Any, *args: Any, **kwargs: Any) -> bool:
        conn = args[-1] if args else kwargs["conn"]
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return await keep(self, *args, **kwargs)

    keys = f"/api/v1/tenants/{world.a.tenant.id}/api-keys"
    auth = world.a.auth("client_admin")
    name = f"Gestionale {uuid.uuid4().hex[:6]}"
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    before = await head(system, world)
    monkeypatch.setattr(idempotency.KeyStore, "answer", lost)
    refused = await client.post(keys, headers=headers, json={"name": name})
    assert refused.status_code == 503, refused.text
    monkeypatch.setattr(idempotency.KeyStore, "answer", keep)
    assert await head(system, world) == before
    retried = await client.post(keys, headers=headers, json={"name": name})
    assert retried.status_code == 201, retried.text
    listed = await client.get(keys, headers=auth)
    assert [k["name"] for k in listed.json()["items"]].count(name) == 1


async def test_a_keyed_write_refused_503_whose_claim_could_not_be_released_runs_again_soon(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: Any
) -> None:
    """A keyed write whose database was out of reach is told 503 "try again in a moment";
    its claim is released so that the retry runs. When the release failed too (the
    server restarting, the pool's other sessions terminated as well), the claim stayed,
    and for two minutes every retry was told 409 "the first request is still running",
    of a request that had died. Now the release is tried again shortly, and the retry
    runs."""
    from services.api import idempotency

    keep_answer, keep_release = idempotency.KeyStore.answer, idempotency.KeyStore.release
    failed: list[object] = []

    async def lost(self: Any, *args: Any, **kwargs: Any) -> bool:
        conn = args[-1] if args else kwargs["conn"]
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return await keep_answer(self, *args, **kwargs)

    async def out_of_reach_once(self: Any, *args: Any, **kwargs: Any) -> None:
        if not failed:
            failed.append(args)
            raise asyncpg.ConnectionDoesNotExistError("connection was closed")
        await keep_release(self, *args, **kwargs)

    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"value": "23.5", "on": "2027-02-12", "note": f"unreleased {uuid.uuid4().hex}"}
    monkeypatch.setattr(idempotency.KeyStore, "release", out_of_reach_once)
    monkeypatch.setattr(idempotency.KeyStore, "answer", lost)
    refused = await client.post(check_ins_path(world), headers=headers, json=body)
    assert refused.status_code == 503, refused.text
    assert failed
    monkeypatch.setattr(idempotency.KeyStore, "answer", keep_answer)
    before = await head(system, world)
    await asyncio.sleep(1)  # the 503's Retry-After
    retried = await client.post(check_ins_path(world), headers=headers, json=body)
    assert retried.status_code == 201, retried.text
    assert await head(system, world) == before + 1


async def test_a_keyed_write_whose_connection_is_lost_in_its_append_answers_503(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: Any
) -> None:
    """A keyed write appends in a savepoint of the request's transaction. Its connection
    lost in the append (the server restarting), the savepoint's rollback on the closed
    connection raised InterfaceError in place of the loss, and the client was told 500
    "internal error" of what was the database out of reach: now 503 with Retry-After,
    nothing recorded, and the retry records the check-in."""

    async def lost(conn: asyncpg.Connection) -> None:
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    await a_keyed_check_in_cut_off_is_503_and_its_retry_records_it(
        client, world, system, monkeypatch, lost
    )


async def test_a_keyed_write_whose_session_the_server_ended_for_idling_answers_503(
    client: httpx.AsyncClient, world: World, system: System, monkeypatch: Any
) -> None:
    """A keyed write's transaction left idle past idle_in_transaction_session_timeout (its
    request stuck before its append) has its session ended by the server: asyncpg then
    says only "connection is closed", which was told 500 as a bug. It is the database out
    of reach for the request: 503 with Retry-After, nothing recorded, and the retry
    records the check-in."""
    await a_keyed_check_in_cut_off_is_503_and_its_retry_records_it(
        client, world, system, monkeypatch, idled_out
    )


async def idled_out(conn: asyncpg.Connection) -> None:
    """Leave the transaction of `conn` idle until the server ends its session for it
    (idle_in_transaction_session_timeout, made short here)."""
    ended = asyncio.Event()
    conn.add_termination_listener(lambda _conn: ended.set())
    await conn.execute("SET LOCAL idle_in_transaction_session_timeout = 50")
    await asyncio.wait_for(ended.wait(), 30)  # (a hang guard, not a bound)


async def a_keyed_check_in_cut_off_is_503_and_its_retry_records_it(
    client: httpx.AsyncClient,
    world: World,
    system: System,
    monkeypatch: Any,
    cut: Callable[[asyncpg.Connection], Awaitable[None]],
) -> None:
    """A keyed check-in whose connection `cut` ends before its append is told 503 with
    Retry-After in problem+json, recording nothing; its retry records it once."""
    from services.store.event_store import EventStore

    keep = EventStore.append

    async def cut_off(self: Any, *args: Any, **kwargs: Any) -> Any:
        await cut(kwargs["conn"])
        return await keep(self, *args, **kwargs)

    headers = {**world.a.auth("client_member"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"value": "24.5", "on": "2027-02-12", "note": f"cut {uuid.uuid4().hex}"}
    before = await head(system, world)
    monkeypatch.setattr(EventStore, "append", cut_off)
    refused = await client.post(check_ins_path(world), headers=headers, json=body)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    monkeypatch.setattr(EventStore, "append", keep)
    assert await head(system, world) == before
    retried = await client.post(check_ins_path(world), headers=headers, json=body)
    assert retried.status_code == 201, retried.text
    assert await head(system, world) == before + 1


async def test_a_release_retried_in_the_background_that_fails_otherwise_is_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim released again in the background stops at an error other than the database
    out of reach, and says so in the log: no one awaits the task to hear of it (it ended as
    an exception never retrieved)."""
    from structlog.testing import capture_logs

    from services.api import idempotency

    class Broken:
        async def release(self, key: str, claim: object) -> None:
            raise RuntimeError("a bug, not the database")

    monkeypatch.setattr(idempotency, "RELEASE_AGAIN", (0,))
    with capture_logs() as logs:
        # A stand-in of the claims, of the one method the retry calls:
        await idempotency._release_again(Broken(), "k", None)  # type: ignore[arg-type]
    assert [(e["event"], e["key"]) for e in logs] == [("idempotency.release_failed", "k")]
    assert "a bug, not the database" in logs[0]["error"]


async def test_a_key_result_made_fed_by_a_kpi_is_measured_in_its_unit(
    client: httpx.AsyncClient, world: World
) -> None:
    """Given no unit, a key result made fed by a KPI takes the KPI's (it took a count, which
    a KPI of hours refused: unit_mismatch); a unit given that is not the KPI's is refused by
    name, and nothing is made."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    kpi = await client.post(
        f"{base}/kpis", headers=auth,
        json={"name": "Ore di fermo", "direction": "lower_is_better", "green": "10",
              "red": "20", "unit": {"kind": "hours"}},
    )  # fmt: skip
    assert kpi.status_code == 201, kpi.text
    body = {
        "objective_id": str(world.ids.objective_id), "title": "Meno fermi", "kind": "decrease",
        "start": "20", "target": "8", "kpi_id": kpi.json()["id"],
    }  # fmt: skip
    refused = await client.post(
        f"{base}/key-results", headers=auth, json={**body, "unit": {"kind": "count"}}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "kpi_id"
    made = await client.post(f"{base}/key-results", headers=auth, json=body)
    assert made.status_code == 201, made.text
    got = (await client.get(made.headers["location"], headers=auth)).json()
    assert (got["unit"]["kind"], got["kpi_id"]) == ("hours", kpi.json()["id"])


async def test_a_measurement_s_correction_restates_its_note_and_its_check_ins(
    client: httpx.AsyncClient, world: World
) -> None:
    """A measurement's note could not be corrected, a check-in's could: a correction may
    now carry a note, which becomes the measurement's, and that of the check-in it fed;
    without one the note stays. A note too long is refused naming it, nothing written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_member")
    kpi = await client.post(
        f"{base}/kpis", headers=world.a.auth("client_admin"),
        json={"name": "Ore di attesa", "direction": "lower_is_better", "green": "10",
              "red": "20", "unit": {"kind": "hours"}},
    )  # fmt: skip
    kpi_id = kpi.json()["id"]
    kr = await client.post(
        f"{base}/key-results", headers=world.a.auth("client_admin"),
        json={"objective_id": str(world.ids.objective_id), "title": "Meno attesa",
              "kind": "decrease", "start": "20", "target": "8", "kpi_id": kpi_id},
    )  # fmt: skip
    measurement_id = str(uuid.uuid4())
    measured = await client.post(
        f"{base}/kpis/{kpi_id}/measurements", headers=auth,
        json={"value": "15", "on": "2027-02-01", "note": "dal gestionale", "id": measurement_id},
    )  # fmt: skip
    assert measured.status_code == 201, measured.text
    corrections = f"{base}/kpis/{kpi_id}/measurements/{measurement_id}/corrections"
    head = (await client.get(f"{base}/audit/verify", headers=world.a.auth("client_admin"))).json()
    refused = await client.post(
        corrections, headers=auth, json={"value": "15", "note": "x" * 2001, "reason": "fonte"}
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["note"]
    after = (await client.get(f"{base}/audit/verify", headers=world.a.auth("client_admin"))).json()
    assert after["head_position"] == head["head_position"]

    noted = await client.post(
        corrections, headers=auth, json={"value": "15", "note": "dal CRM", "reason": "fonte"}
    )
    assert noted.status_code == 201, noted.text
    kept = await client.post(corrections, headers=auth, json={"value": "14", "reason": "conto"})
    assert kept.status_code == 201, kept.text
    listed = (await client.get(f"{base}/kpis/{kpi_id}/measurements", headers=auth)).json()
    assert [(m["value"], m["note"]) for m in listed["items"]] == [("14", "dal CRM")]
    check_ins = (
        await client.get(f"{base}/key-results/{kr.json()['id']}/check-ins", headers=auth)
    ).json()["items"]
    assert [(c["value"], c["note"]) for c in check_ins] == [("14", "dal CRM")]


async def test_a_kpi_made_the_wrong_way_round_turns_with_a_reason_and_keeps_its_unit(
    client: httpx.AsyncClient, world: World
) -> None:
    """A KPI made "lower is better" by mistake could only be retired and made again, its
    measurements and links lost: its direction turns with thresholds ordered for it and
    a reason, each refusal naming its field and writing nothing; its health follows. Its
    unit does not change (its values were measured in it): refused, saying so."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    made = await client.post(
        f"{base}/kpis", headers=auth,
        json={"name": "Soddisfazione", "direction": "lower_is_better", "green": "60",
              "red": "80", "unit": {"kind": "percent"}},
    )  # fmt: skip
    kpi = made.headers["location"]
    await client.post(f"{kpi}/measurements", headers=auth, json={"value": "85", "on": "2027-02-01"})
    head = (await client.get(f"{base}/audit/verify", headers=auth)).json()["head_position"]
    turned = {"direction": "higher_is_better", "green": "80", "red": "60", "reason": "al contrario"}
    for change, field, rule in (
        ({"green": "60", "red": "80"}, "red", "threshold_order"),
        ({"reason": ""}, "reason", "reason_required"),
        ({"direction": "lower_is_better", "green": "60", "red": "80"}, "direction", "unchanged"),
    ):
        refused = await client.put(f"{kpi}/direction", headers=auth, json={**turned, **change})
        assert refused.status_code == 422, refused.text
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [(field, rule)]
    unit = await client.patch(kpi, headers=auth, json={"unit": {"kind": "count"}})
    assert unit.status_code == 422, unit.text
    assert [(e["field"], e["rule"]) for e in unit.json()["errors"]] == [("unit", "unit_fixed")]
    assert "measured in percent" in unit.json()["errors"][0]["message"]
    same = await client.patch(kpi, headers=auth, json={"unit": {"kind": "percent"}})
    assert same.status_code == 200, same.text
    assert (await client.get(f"{base}/audit/verify", headers=auth)).json()["head_position"] == head

    done = await client.put(f"{kpi}/direction", headers=auth, json=turned)
    assert done.status_code == 200, done.text
    got = (await client.get(kpi, headers=auth)).json()
    assert (got["direction"], got["green"], got["red"]) == ("higher_is_better", "80", "60")
    assert got["health"] == "green"
    position = done.headers["x-okr-position"]
    history = await client.get(
        f"{base}/history", headers=auth,
        params={"kind": "kpi.direction_changed", "min_position": position},
    )  # fmt: skip
    (line,) = history.json()["items"]
    assert line["text"].startswith("KPI 'Soddisfazione' turned: higher is better")
    assert line["reason"] == "al contrario"


async def test_a_cycle_is_renamed_with_if_match_and_each_refusal_names_its_field(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A typo in a cycle's name, or a name two cycles shared, had no fix: PATCH renames it,
    with a reason if given, guarded by If-Match; a blank, too long or unchanged name, one
    another cycle has, or an empty reason, is refused naming its field, and nothing is
    written; one who may not edit OKRs is 403. Its history line and its list follow."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    tag = uuid.uuid4().hex[:8]
    q2 = {"starts_on": "2027-04-01", "ends_on": "2027-06-30"}
    made = await client.post(f"{base}/cycles", headers=auth, json={"name": f"Q2 {tag} typo", **q2})
    cycle = made.headers["location"]
    await client.post(f"{base}/cycles", headers=auth, json={"name": f"Q2 {tag} Roma", **q2})
    etag = (await client.get(cycle, headers=auth)).headers["etag"]
    before = await head(system, world)
    for change, status, field, rule in (
        ({"name": " "}, 422, "name", "empty"),
        ({"name": "Q" * 201}, 422, "name", "too_long"),
        ({"name": f" Q2 {tag} typo "}, 422, "name", "unchanged"),
        ({"name": f"q2 {tag}  roma"}, 409, "name", "duplicate_name"),
        ({"name": f"Q2 {tag}", "reason": ""}, 422, "reason", "empty"),
        ({"reason": "no name"}, 422, "name", "required"),
    ):
        refused = await client.patch(cycle, headers={**auth, "If-Match": etag}, json=change)
        assert refused.status_code == status, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [(field, rule)]
    stale = await client.patch(cycle, headers={**auth, "If-Match": '"0"'}, json={"name": "x"})
    assert stale.status_code == 412, stale.text
    member = await client.patch(cycle, headers=world.a.auth("client_member"), json={"name": "x"})
    assert member.status_code == 403, member.text
    assert await head(system, world) == before

    renamed = await client.patch(
        cycle, headers={**auth, "If-Match": etag}, json={"name": f"Q2 {tag}", "reason": "typo"}
    )
    assert renamed.status_code == 200, renamed.text
    got = await client.get(cycle, headers=auth)
    assert got.json()["name"] == f"Q2 {tag}"
    assert got.headers["etag"] == f'"{int(etag.strip(chr(34))) + 1}"'
    position = renamed.headers["x-okr-position"]
    listed = await client.get(f"{base}/cycles", headers=auth, params={"min_position": position})
    names = [c["name"] for c in listed.json()["items"]]
    assert f"Q2 {tag}" in names and f"Q2 {tag} typo" not in names
    asked = {"kind": "cycle.renamed", "min_position": position}
    history = await client.get(f"{base}/history", headers=auth, params=asked)
    (line,) = [i for i in history.json()["items"] if i["item_id"] == cycle.rsplit("/", 1)[1]]
    assert line["text"].startswith(f"cycle renamed 'Q2 {tag} typo' → 'Q2 {tag}' by ")
    assert line["reason"] == "typo"


async def test_two_cycles_renamed_at_once_to_one_name_through_the_api_rename_one(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Two requests at once (two tabs, two people) give two cycles one name: one is
    renamed, the other is told 409 naming name, and one rename is written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    tag = uuid.uuid4().hex[:8]
    q3 = {"starts_on": "2027-07-01", "ends_on": "2027-09-30"}
    cycles = [
        (await client.post(f"{base}/cycles", headers=auth,
                           json={"name": f"Q3 {tag} {n}", **q3})).headers["location"]
        for n in range(4)
    ]  # fmt: skip
    before = await head(system, world)
    answers = await asyncio.gather(
        *(client.patch(c, headers=auth, json={"name": f"Q3 {tag}"}) for c in cycles)
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    for refused in (a for a in answers if a.status_code == 409):
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
            ("name", "duplicate_name")
        ]
    assert await head(system, world) == before + 1


async def test_thresholds_put_where_they_stand_are_refused_and_write_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """PUT …/thresholds with the green and red a KPI has answered 200 and wrote a move, its
    reason with it, that the trail and the history said as a decision ("20 → 20"): it is
    422 naming green (rule unchanged, as a direction already held), and nothing is written."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    made = await client.post(
        f"{base}/kpis", headers=auth,
        json={"name": "Tempo di consegna", "direction": "lower_is_better", "green": "2",
              "red": "5"},
    )  # fmt: skip
    kpi = made.headers["location"]
    head = (await client.get(f"{base}/audit/verify", headers=auth)).json()["head_position"]
    same = {"green": "2.0", "red": "5", "reason": "confermate"}
    refused = await client.put(f"{kpi}/thresholds", headers=auth, json=same)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("green", "unchanged")]
    assert (await client.get(f"{base}/audit/verify", headers=auth)).json()["head_position"] == head
