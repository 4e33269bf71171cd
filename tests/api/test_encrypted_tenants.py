"""A client tenant made encrypted: its key is stored with its making, every event of its
log is ciphertext at rest, every view still reads it, the key is never shown, and erasing
the tenant shreds the key with the rest. Its encryption is chosen once, as it is made."""

from __future__ import annotations

import uuid
from uuid import UUID

import asyncpg
import httpx
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from structlog.testing import capture_logs

from domain import SettingsChange
from services.bootstrap import System
from services.db import tenant_transaction
from services.projector import rebuild
from services.projector.registry import PROJECTIONS
from services.store.repository import Repository
from tests.api.builders import World
from tests.api.state import the_state
from tests.api.test_erase import SETTINGS_AFTER, rows_of
from tests.api.test_problems import assert_problem


def tenants_of(world: World) -> str:
    return f"/api/v1/consultancies/{world.a.consultancy.id}/tenants"


async def a_tenant(
    client: httpx.AsyncClient, world: World, name: str, **more: object
) -> httpx.Response:
    made = await client.post(
        tenants_of(world), headers=world.a.auth("consultancy_admin"), json={"name": name, **more}
    )
    assert made.status_code == 201, made.text
    return made


async def test_a_tenant_made_encrypted_stores_ciphertext_and_every_view_reads_it(
    client: httpx.AsyncClient, world: World, system: System, admin: asyncpg.Connection,
    admin_dsn: str,
) -> None:  # fmt: skip
    """The point of the option: a dump of the events table (a backup, a replica) shows none
    of the client's words, its making's settings included; the projector, the as-of
    replay, the audit trail and its export, and a process that never saw the tenant (a
    rebuild) still read it all. Once erased, its key is gone: the rows copied before
    read as nothing. The key is in no answer and no log line."""
    name, title = f"Cliente riservato {uuid.uuid4().hex[:8]}", f"Segreto {uuid.uuid4().hex}"
    auth = world.a.auth("consultancy_admin")
    with capture_logs() as logged:
        made = await a_tenant(client, world, name, encrypted=True)
        tenant = made.json()["id"]
        base = f"/api/v1/tenants/{tenant}"
        cycle = await client.post(f"{base}/cycles", headers=auth, json={
            "name": "Q1 2027", "starts_on": "2027-01-01", "ends_on": "2027-03-31"})  # fmt: skip
        objective = await client.post(f"{base}/objectives", headers=auth, json={
            "cycle_id": cycle.json()["id"], "title": title})  # fmt: skip
        head = int(objective.headers["X-OKR-Position"])
        answers = [
            made,
            await client.get(base, headers=auth),
            await client.get(f"/api/v1/tenants/{world.a.tenant.id}", headers=auth),
            await client.get(f"{base}/progress", headers=auth, params={"min_position": head}),
            await client.get(f"{base}/progress", headers=auth, params={"as_of_position": head}),
            await client.get(f"{base}/audit.csv", headers=auth),
            await client.get(f"{base}/export", headers=auth),
        ]
    assert [a.status_code for a in answers] == [201, *[200] * 6], [a.text for a in answers]
    assert answers[0].json()["encrypted"] is True and answers[1].json()["encrypted"] is True
    assert answers[2].json()["encrypted"] is False  # the world's tenant, made plain
    assert all(title in a.text for a in answers[3:]), "every view reads the encrypted log"
    assert (await client.get(f"{base}/audit/verify", headers=auth)).json()["ok"] is True

    stored = await admin.fetch(
        "SELECT stream_id, version, topic, state FROM events WHERE tenant_id = $1"
        " ORDER BY position",
        UUID(tenant),
    )
    assert len(stored) == 3  # its making, the cycle, the objective: each one ciphertext
    for row in stored:
        assert title.encode() not in row["state"] and name.encode() not in row["state"]
    key = await admin.fetchval("SELECT cipher_key FROM tenant_keys WHERE tenant_id = $1", tenant)
    assert key and all(key not in a.text for a in answers) and key not in str(logged)

    fresh = Repository(system.store)  # another process: a rebuild reads as the projector did
    assert await rebuild.verify_tenant(system.pool, fresh, PROJECTIONS, UUID(tenant)) == []

    lifecycle = f"{tenants_of(world)}/{tenant}"
    slug = (await client.post(f"{lifecycle}/suspend", headers=auth)).json()["slug"]
    erased = await client.post(f"{lifecycle}/erase", headers=auth, json={"confirm": slug})
    assert erased.status_code == 200, erased.text
    assert await rows_of(admin_dsn, UUID(tenant)) == {}
    assert (await client.get(f"{base}/progress", headers=auth)).status_code == 404
    shredded = await Repository(system.store).mapper(UUID(tenant))
    for row in stored:  # the rows as a backup taken before kept them: no key reads them
        with pytest.raises(MapperDeserialisationError):  # random bytes to MessagePack
            shredded.to_domain_event(StoredEvent(*row))


async def test_a_tenant_is_made_plain_unless_asked_and_says_so(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """Left out, `encrypted` is false: the tenant is made as before, with no key, and its
    first event is stored as it is (readable in the events table)."""
    name = f"Cliente in chiaro {uuid.uuid4().hex[:8]}"
    made = await a_tenant(client, world, name)
    tenant = UUID(made.json()["id"])
    assert made.json()["encrypted"] is False
    assert (
        await admin.fetchval("SELECT count(*) FROM tenant_keys WHERE tenant_id = $1", tenant) == 0
    )
    state = await admin.fetchval("SELECT state FROM events WHERE tenant_id = $1", tenant)
    assert name.encode() in state


async def test_a_process_that_looked_the_id_up_before_maps_the_new_tenant_with_its_key(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """An API worker or a projector that looked the id up before the tenant existed (a
    client's own id for it) must not keep a plain mapper for it: it would write plain
    events into an encrypted log, and fail to read its encrypted ones."""
    other, new_id = Repository(system.store), uuid.uuid4()
    assert (await other.mapper(new_id)).cipher is None  # no tenant, no key: plain, for now

    name = f"Cliente atteso {uuid.uuid4().hex[:8]}"
    await a_tenant(client, world, name, id=str(new_id), encrypted=True)

    assert (await other.mapper(new_id)).cipher is not None
    async with tenant_transaction(system.pool, [new_id]) as conn:
        [making] = await other.events_on(conn, new_id, [SettingsChange.Created])
    assert making.after["name"] == name


async def test_a_log_begun_before_its_tenant_is_made_is_not_made_encrypted(
    client: httpx.AsyncClient, world: World, system: System, admin: asyncpg.Connection
) -> None:
    """A log of the id with events already (one without a directory entry, as `okr demo`
    writes): a key now would leave those events plain, while processes that read them
    keep mapping the tenant plain. Refused as an id taken (409 naming `id`), nothing made."""
    new_id = uuid.uuid4()
    begun = SettingsChange.make(before=None, after=SETTINGS_AFTER, author="system:demo")
    await system.repository.save(new_id, begun, actor="system:demo")
    before = await the_state(admin)

    refused = await client.post(
        tenants_of(world), headers=world.a.auth("consultancy_admin"),
        json={"name": f"Cliente {uuid.uuid4().hex[:8]}", "id": str(new_id), "encrypted": True},
    )  # fmt: skip

    problem = assert_problem(refused, 409)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("id", "duplicate_id")]
    assert await the_state(admin) == before


@pytest.mark.parametrize("value", ["yes", None, 1, 0, "true", "false", [True], {}])
async def test_encrypted_must_be_true_or_false(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, value: object
) -> None:
    """A JSON true or false, nothing like one: 422 naming `encrypted`, nothing made (no
    tenant, no key, no event)."""
    before = await the_state(admin)
    refused = await client.post(
        tenants_of(world), headers=world.a.auth("consultancy_admin"),
        json={"name": f"Cliente {uuid.uuid4().hex[:8]}", "encrypted": value},
    )  # fmt: skip
    problem = assert_problem(refused, 422)
    assert "encrypted" in {e["field"] for e in problem["errors"]}, problem
    assert await the_state(admin) == before


@pytest.mark.parametrize("made_encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_tenant_s_encryption_is_not_switched_afterwards(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection, made_encrypted: bool
) -> None:
    """Switched on later, the events before would stay plain and every other process
    (API workers, the projector) would go on mapping the tenant plain until restarted;
    switched off, its events would become unreadable. So a PATCH asking the other is 409
    encryption_fixed naming `encrypted`, nothing changed; asking what it is changes
    nothing; null or not a boolean is 422 naming it."""
    made = await a_tenant(
        client, world, f"Cliente {uuid.uuid4().hex[:8]}", encrypted=made_encrypted
    )
    url, auth = f"/api/v1/tenants/{made.json()['id']}", world.a.auth("consultancy_admin")
    before = await the_state(admin)

    switched = await client.patch(url, headers=auth, json={"encrypted": not made_encrypted})
    problem = assert_problem(switched, 409)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("encrypted", "encryption_fixed")
    ]
    for bad in (None, "yes"):
        refused = await client.patch(url, headers=auth, json={"encrypted": bad})
        assert "encrypted" in {e["field"] for e in assert_problem(refused, 422)["errors"]}
    same = await client.patch(url, headers=auth, json={"encrypted": made_encrypted})
    assert same.status_code == 200, same.text
    assert same.json()["encrypted"] is made_encrypted
    assert await the_state(admin) == before
