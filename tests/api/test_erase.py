"""Erasing a client tenant: a suspended one, confirmed by its slug, by whoever may erase in
its consultancy. Every row of it goes, in every tenant table (its log and cipher key, its
read models, members, keys); a tombstone says who erased it, when, and where its log stood.
Every refusal names its field and erases nothing; the other tenants are untouched."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from domain import SettingsChange
from services.bootstrap import System
from services.projector.registry import PROJECTIONS
from services.projector.waiting import wait_for_position
from services.read.progress import AS_OF_FOLD
from services.store.event_store import TenantErasedError
from tenants import directory
from tenants.errors import ChangedMeanwhileError
from tests.api.builders import World, an_email
from tests.api.test_tenancy import a_new_tenant

SETTINGS_AFTER = {
    "name": "X", "colour": "#000000", "fiscal_year_start_month": 1,
    "check_in_cadence_days": 7, "locale": "it", "time_zone": "Europe/Rome",
}  # fmt: skip
ADA = an_email("ada")
"""A member of one tenant only: her account goes when it is erased."""
TENANT_TABLES = """
    SELECT c.relname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attname = 'tenant_id'
       AND NOT a.attisdropped
"""


async def rows_of(admin_dsn: str, tenant: UUID) -> dict[str, int]:
    """The tenant's rows in each table that holds any (read as the owner: no RLS), and the
    platform's idempotency answers that name it."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        tables = [r["relname"] for r in await conn.fetch(TENANT_TABLES)]
        found = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant)
            for table in tables
        }
        found["tenants"] = await conn.fetchval("SELECT count(*) FROM tenants WHERE id = $1", tenant)
        found["platform_idempotency_keys"] = await conn.fetchval(
            "SELECT count(*) FROM platform_idempotency_keys WHERE position($1 IN body) > 0"
            " AND key <> $2",  # (but the erase's own answer, its tombstone: kept for a retry)
            str(tenant).encode(),
            f"erase-{tenant}",
        )
    finally:
        await conn.close()
    return {table: count for table, count in found.items() if count}


async def a_busy_tenant(client: httpx.AsyncClient, world: World, system: System) -> UUID:
    """A tenant made encrypted (every event of its log, its making's too, stored with its
    own key), with read models, a member (Ada, of no other tenant) and an API key."""
    admin = world.a.auth("consultancy_admin")
    made = await client.post(  # its answer kept for a retry, on the platform: it names it
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers={**admin, "Idempotency-Key": str(uuid4())},
        json={"name": f"Cliente {uuid4()}", "encrypted": True},
    )  # fmt: skip
    tenant = UUID(made.json()["id"])
    assert made.json()["encrypted"] is True, made.text
    base = f"/api/v1/tenants/{tenant}"
    writes = [
        client.post(f"{base}/cycles", headers=admin, json={
            "name": "Q1 2027", "starts_on": "2027-01-01", "ends_on": "2027-03-31"}),
        client.post(f"{base}/users", headers=admin, json={
            "email": ADA, "display_name": "Ada", "role": "client_member"}),
        client.post(f"{base}/api-keys", headers=admin, json={"name": "ERP"}),
    ]  # fmt: skip
    for write in writes:
        answer = await write
        assert answer.status_code == 201, answer.text
    head = int(answer.headers["X-OKR-Position"])
    seen = await client.get(f"{base}/history", headers=admin, params={"min_position": head})
    assert len(seen.json()["items"]) == 4  # its making, then these: the projector has them
    return tenant


async def test_a_suspended_tenant_is_erased_row_by_row_and_a_tombstone_kept(
    client: httpx.AsyncClient, world: World, system: System, admin_dsn: str
) -> None:
    tenant = await a_busy_tenant(client, world, system)
    admin = world.a.auth("consultancy_admin")
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    slug = (await client.post(f"{lifecycle}/suspend", headers=admin)).json()["slug"]
    held = await rows_of(admin_dsn, tenant)
    assert {
        "events", "tenant_heads", "tenant_keys", "memberships", "api_keys",
        "platform_idempotency_keys",
    } <= held.keys()  # fmt: skip
    assert any(table.startswith("rm_") for table in held)
    verified = await client.get(f"/api/v1/tenants/{tenant}/audit/verify", headers=admin)
    head = verified.json()["head_position"]
    other_head = await system.store.head(world.a.tenant.id)

    key = {**admin, "Idempotency-Key": f"erase-{tenant}"}
    erased = await client.post(f"{lifecycle}/erase", headers=key, json={"confirm": slug})

    assert erased.status_code == 200, erased.text
    retried = await client.post(f"{lifecycle}/erase", headers=key, json={"confirm": slug})
    assert (retried.status_code, retried.json()) == (200, erased.json())  # its first answer
    assert retried.headers["idempotent-replayed"] == "true"
    tombstone = erased.json()
    conn = await asyncpg.connect(admin_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM erased_tenants WHERE id = $1",
                                   tenant) == 1  # fmt: skip
    finally:
        await conn.close()
    assert (tombstone["tenant_id"], tombstone["slug"], tombstone["events"]) == (
        str(tenant), slug, head
    )  # fmt: skip
    assert tombstone["erased_by"] == f"user:{world.a.user_ids['consultancy_admin']}"
    assert len(tombstone["head_hash"]) == 64 and tombstone["head_hash"] != "0" * 64
    assert tombstone["people"] == 1  # Ada, of this tenant alone; the consultancy's stay
    assert await rows_of(admin_dsn, tenant) == {}
    conn = await asyncpg.connect(admin_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE email = $1", ADA) == 0
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM users WHERE id = $1", world.a.user_ids["consultancy_admin"]
            )
            == 1
        )
    finally:
        await conn.close()
    # a write that comes after (it raced the erase) adds nothing to the erased tenant's log
    with pytest.raises(TenantErasedError):
        await system.repository.save(tenant, SettingsChange.make(
            before=None, after=SETTINGS_AFTER, author="user:late"), actor="user:late")  # fmt: skip
    assert await rows_of(admin_dsn, tenant) == {}
    assert (await client.get(f"/api/v1/tenants/{tenant}", headers=admin)).status_code == 404
    listed = await client.get(
        f"/api/v1/consultancies/{world.a.consultancy.id}/erased-tenants", headers=admin
    )
    assert tombstone in listed.json()["items"]
    again = await client.post(f"{lifecycle}/erase", headers=admin, json={"confirm": slug})
    assert again.status_code == 404
    reused = await client.post(
        f"/api/v1/consultancies/{world.a.consultancy.id}/tenants",
        headers=admin, json={"name": "Nuovo", "id": str(tenant)},
    )  # fmt: skip
    assert reused.status_code == 409, reused.text
    assert reused.json()["errors"][0]["field"] == "id"
    assert await rows_of(admin_dsn, tenant) == {}

    # the others are untouched: their log, its chain, their read models
    assert await system.store.head(world.a.tenant.id) == other_head
    others = f"/api/v1/tenants/{world.a.tenant.id}"
    assert (await client.get(f"{others}/audit/verify", headers=admin)).json()["ok"] is True
    assert (await client.get(f"{others}/progress", headers=admin)).status_code == 200


async def test_an_erased_tenant_leaves_no_as_of_state_in_the_process(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A view as of a point keeps the tenant's state there in the process (its titles, its
    notes), for the next: erased, the tenant leaves none behind."""
    tenant = await a_busy_tenant(client, world, system)
    admin = world.a.auth("consultancy_admin")
    head = await system.store.head(tenant)
    seen = await client.get(
        f"/api/v1/tenants/{tenant}/progress", headers=admin, params={"as_of_position": head}
    )
    assert seen.status_code == 200, seen.text
    kept = system.repository.fold_states
    assert kept.latest(tenant, AS_OF_FOLD, head) is not None
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    slug = (await client.post(f"{lifecycle}/suspend", headers=admin)).json()["slug"]

    erased = await client.post(f"{lifecycle}/erase", headers=admin, json={"confirm": slug})

    assert erased.status_code == 200, erased.text
    assert kept.latest(tenant, AS_OF_FOLD, head) is None


async def test_an_erasure_that_is_refused_erases_nothing(
    client: httpx.AsyncClient, world: World, system: System, admin_dsn: str
) -> None:
    tenant = await a_busy_tenant(client, world, system)
    admin = world.a.auth("consultancy_admin")
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    slug = (await client.get(f"/api/v1/tenants/{tenant}", headers=admin)).json()["slug"]

    not_suspended = await client.post(f"{lifecycle}/erase", headers=admin, json={"confirm": slug})
    assert not_suspended.status_code == 409, not_suspended.text
    assert not_suspended.json()["errors"][0]["field"] == "status"
    await client.post(f"{lifecycle}/suspend", headers=admin)
    head = await system.store.head(tenant)
    for projection in PROJECTIONS:  # the suspension's lines in: what follows moves nothing
        assert await wait_for_position(
            system.pool, tenant, head, projection=projection.name, within=60
        )
    moved = head - 1  # as if the log moved after it was read
    with pytest.raises(ChangedMeanwhileError):
        await directory.erase_tenant(system.pool, tenant, slug, "user:paola", (), moved)
    held = await rows_of(admin_dsn, tenant)
    refusals = [
        (admin, {"confirm": slug.upper()}, 422, "confirm"),
        (admin, {"confirm": ""}, 422, "confirm"),
        (admin, {}, 422, "confirm"),  # no confirmation at all
        (admin, {"confirm": slug, "force": True}, 422, "force"),
        (world.a.auth("consultant"), {"confirm": slug}, 403, None),  # may not erase
        (world.a.auth("client_admin"), {"confirm": slug}, 404, None),  # not its consultancy's
    ]
    for who, body, status, field in refusals:
        answer = await client.post(f"{lifecycle}/erase", headers=who, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert field in {e["field"] for e in answer.json()["errors"]}, answer.text
    elsewhere = f"/api/v1/consultancies/{world.b.consultancy.id}/tenants/{tenant}/erase"
    other_admin = world.b.auth("consultancy_admin")
    answer = await client.post(elsewhere, headers=other_admin, json={"confirm": slug})
    assert answer.status_code == 404  # another consultancy's tenant is no tenant of its own
    assert await rows_of(admin_dsn, tenant) == held


async def test_who_is_who_is_exported_before_an_erase(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The log names people by id only: the directory export says who they are (members,
    admins, keys, everyone who acted, by name), for whoever may export."""
    tenant = await a_busy_tenant(client, world, system)
    admin = world.a.auth("consultancy_admin")
    answer = await client.get(f"/api/v1/tenants/{tenant}/export/directory", headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="directory-{tenant}.json"'
    )
    assert answer.headers["cache-control"] == "no-store"
    exported = answer.json()
    assert exported["tenant"]["id"] == str(tenant)
    assert [(m["email"], m["display_name"], m["role"]) for m in exported["members"]] == [
        (ADA, "Ada", "client_member")
    ]
    assert [k["name"] for k in exported["api_keys"]] == ["ERP"]
    admin_actor = f"user:{world.a.user_ids['consultancy_admin']}"
    assert {"actor": admin_actor, "name": "Consultancy_Admin"} in exported["people"]
    assert {"actor": admin_actor, "name": "Consultancy_Admin"} in exported["consultancy_admins"]
    viewer = world.a.auth("client_viewer")  # may read its tenant, not export it
    home = f"/api/v1/tenants/{world.a.tenant.id}/export/directory"
    assert (await client.get(home, headers=viewer)).status_code == 403
    elsewhere = world.b.auth("consultancy_admin")  # another consultancy's: not found
    answer = await client.get(f"/api/v1/tenants/{tenant}/export/directory", headers=elsewhere)
    assert answer.status_code == 404


async def test_two_erases_sharing_a_person_take_their_account(
    client: httpx.AsyncClient, world: World, system: System, admin_dsn: str
) -> None:
    """A person of two tenants only, both erased at once: the second erase waits for the
    first (their account's row), then finds them in no tenant and takes their account.
    Each alone saw the other's membership still there, and both left the account."""
    admin = world.a.auth("consultancy_admin")
    shared = an_email("viola")
    slugs: dict[UUID, str] = {}
    for _ in range(2):
        tenant = UUID(await a_new_tenant(client, world))
        invited = await client.post(f"/api/v1/tenants/{tenant}/users", headers=admin, json={
            "email": shared, "display_name": "Viola", "role": "client_viewer"})  # fmt: skip
        assert invited.status_code == 201, invited.text
        lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
        slugs[tenant] = (await client.post(f"{lifecycle}/suspend", headers=admin)).json()["slug"]

    erased = await asyncio.gather(*(
        directory.erase_tenant(system.pool, tenant, slug, "user:paola")
        for tenant, slug in slugs.items()
    ))  # fmt: skip

    assert sorted(e.people for e in erased) == [0, 1]
    conn = await asyncpg.connect(admin_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE email = $1", shared) == 0
    finally:
        await conn.close()


async def test_a_member_removed_before_the_erase_is_named_by_the_export_and_erased(
    client: httpx.AsyncClient, world: World, admin_dsn: str
) -> None:
    """The log names a member removed earlier only in its payloads: the directory export
    says who they were, and the erase takes their account, as they reach nothing else."""
    tenant = UUID(await a_new_tenant(client, world))
    admin = world.a.auth("consultancy_admin")
    mario = an_email("mario")
    invited = await client.post(f"/api/v1/tenants/{tenant}/users", headers=admin, json={
        "email": mario, "display_name": "Mario", "role": "client_admin"})  # fmt: skip
    mario_id = invited.json()["user_id"]
    removed = await client.delete(f"/api/v1/tenants/{tenant}/users/{mario_id}", headers=admin)
    assert removed.status_code == 204
    exported = await client.get(f"/api/v1/tenants/{tenant}/export/directory", headers=admin)
    assert {"actor": f"user:{mario_id}", "name": "Mario"} in exported.json()["people"]
    assert exported.json()["members"] == []
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenant}"
    slug = (await client.post(f"{lifecycle}/suspend", headers=admin)).json()["slug"]

    erased = await client.post(f"{lifecycle}/erase", headers=admin, json={"confirm": slug})

    assert erased.json()["people"] == 1  # Mario; the consultancy's admin, who acted, stays
    conn = await asyncpg.connect(admin_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE email = $1", mario) == 0
    finally:
        await conn.close()


async def test_an_erase_keeps_an_account_another_tenant_reached(
    client: httpx.AsyncClient, world: World, admin_dsn: str
) -> None:
    """A person two companies had, both of which removed them: erasing one took their
    account, though the other's history names them (it then shows "someone", and its
    email was anyone's to take). The erase keeps it; the other company invites it again."""
    admin = world.a.auth("consultancy_admin")
    nina = an_email("nina")
    tenants = [UUID(await a_new_tenant(client, world)) for _ in range(2)]
    for tenant in tenants:
        invited = await client.post(f"/api/v1/tenants/{tenant}/users", headers=admin, json={
            "email": nina, "display_name": "Nina", "role": "client_member"})  # fmt: skip
        nina_id = invited.json()["user_id"]
        removed = await client.delete(f"/api/v1/tenants/{tenant}/users/{nina_id}", headers=admin)
        assert removed.status_code == 204
    lifecycle = f"/api/v1/consultancies/{world.a.consultancy.id}/tenants/{tenants[0]}"
    slug = (await client.post(f"{lifecycle}/suspend", headers=admin)).json()["slug"]

    erased = await client.post(f"{lifecycle}/erase", headers=admin, json={"confirm": slug})

    assert erased.status_code == 200, erased.text
    assert erased.json()["people"] == 0
    again = await client.post(f"/api/v1/tenants/{tenants[1]}/users", headers=admin, json={
        "email": nina, "display_name": "Nina", "role": "client_member"})  # fmt: skip
    assert again.json()["user_id"] == nina_id
