"""An invited person chooses their password with a one-time link made for them: whoever
manages them makes it, within what they manage, and it works once, within a week."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import httpx

from services.bootstrap import System
from tenants.tokens import issue_access_token
from tenants.users import disable_user
from tests.api.builders import World, an_email
from tests.api.test_tenancy import a_new_tenant, bearer

PASSWORD = "a long enough passphrase"


async def invite(
    client: httpx.AsyncClient, tenant: str, auth: dict[str, str], name: str, role: str
) -> tuple[str, str]:
    """A new member's id and email."""
    email = an_email(name)
    made = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=auth,
        json={"email": email, "display_name": name, "role": role},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()["user_id"], email


async def link_for(
    client: httpx.AsyncClient, tenant: str, auth: dict[str, str], user_id: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tenants/{tenant}/users/{user_id}/password-link", headers=auth
    )


async def set_password(client: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/password", json={"token": token, "password": password})


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> int:
    answer = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    return answer.status_code


def refusal(answer: httpx.Response) -> tuple[int, Any, Any]:
    error = answer.json()["errors"][0]
    return answer.status_code, error["field"], error["rule"]


async def test_an_invited_member_chooses_a_password_with_a_link_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """Invited, they cannot sign in; with the link they choose a password and can. The link
    works once; a password refused keeps it; a new link replaces the last."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    marta, email = await invite(client, tenant, admin, "marta", "client_member")
    assert await sign_in(client, email, PASSWORD) == 401

    first = await link_for(client, tenant, admin, marta)
    assert first.status_code == 201, first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["user_id"] == marta
    made = await link_for(client, tenant, admin, marta)  # the first one stops working
    token = made.json()["token"]
    assert token.startswith("okrpw_") and token != first.json()["token"]
    assert refusal(await set_password(client, first.json()["token"], PASSWORD)) == (
        422, "token", "invalid_link"
    )  # fmt: skip

    short = await set_password(client, token, "short")
    assert refusal(short) == (422, "password", "password_length")  # the link stays
    done = await set_password(client, token, PASSWORD)
    assert done.status_code == 204, done.text
    assert await sign_in(client, email, PASSWORD) == 200
    again = await set_password(client, token, "another long passphrase")
    assert refusal(again) == (422, "token", "invalid_link")
    assert await sign_in(client, email, "another long passphrase") == 401
    has_one = await link_for(client, tenant, admin, marta)
    assert refusal(has_one) == (409, "user_id", "has_password")


async def test_a_link_is_made_only_within_what_its_maker_manages(
    client: httpx.AsyncClient, world: World
) -> None:
    """A client admin makes links for its own tenant's people, not for a person who also
    reaches another tenant (they could take over that account), nor for anyone of another
    tenant; a viewer makes none. The consultancy's admin, who manages both, may."""
    tenant, other = await a_new_tenant(client, world), await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    boss, _ = await invite(client, tenant, admin, "boss", "client_admin")
    viewer, _ = await invite(client, tenant, admin, "vi", "client_viewer")
    boss_auth = bearer(issue_access_token(world.tokens, boss))
    viewer_auth = bearer(issue_access_token(world.tokens, viewer))
    both, email = await invite(client, tenant, admin, "both", "client_member")
    await client.post(
        f"/api/v1/tenants/{other}/users", headers=admin,
        json={"email": email, "display_name": "both", "role": "client_viewer"},
    )  # fmt: skip

    assert refusal(await link_for(client, tenant, boss_auth, both)) == (
        409, "user_id", "reaches_elsewhere"
    )  # fmt: skip
    assert (await link_for(client, tenant, boss_auth, viewer)).status_code == 201
    assert (await link_for(client, tenant, viewer_auth, boss)).status_code == 403
    stranger = world.b.user_ids["client_member"]
    assert refusal(await link_for(client, tenant, boss_auth, str(stranger))) == (
        404, "user_id", "unknown_membership"
    )  # fmt: skip
    assert (await link_for(client, other, boss_auth, both)).status_code == 404  # not its tenant
    assert (await link_for(client, tenant, admin, both)).status_code == 201


async def test_a_link_of_a_disabled_or_expired_account_sets_nothing(
    client: httpx.AsyncClient, world: World, system: System, admin_dsn: str
) -> None:
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    late, late_email = await invite(client, tenant, admin, "late", "client_viewer")
    gone, _ = await invite(client, tenant, admin, "gone", "client_viewer")
    expiring = (await link_for(client, tenant, admin, late)).json()["token"]
    disabled = (await link_for(client, tenant, admin, gone)).json()["token"]
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(
            "UPDATE password_links SET expires_at = now() - interval '1 second' WHERE user_id = $1",
            UUID(late),
        )
    finally:
        await conn.close()
    await disable_user(system.pool, UUID(gone))

    for token in (expiring, disabled, "okrpw_made-up", "not even a link"):
        assert refusal(await set_password(client, token, PASSWORD)) == (
            422, "token", "invalid_link"
        ), token  # fmt: skip
    assert await sign_in(client, late_email, PASSWORD) == 401
    assert refusal(await link_for(client, tenant, admin, gone)) == (404, "user_id", "unknown_user")


async def test_a_consultancy_member_added_without_a_password_gets_a_link(
    client: httpx.AsyncClient, world: World
) -> None:
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    admin = world.a.auth("consultancy_admin")
    email = an_email("rita")
    made = await client.post(
        members, headers=admin, json={"email": email, "display_name": "Rita", "role": "consultant"}
    )
    rita = made.json()["user_id"]
    link = await client.post(f"{members}/{rita}/password-link", headers=admin)
    assert link.status_code == 201, link.text
    assert (await set_password(client, link.json()["token"], PASSWORD)).status_code == 204
    assert await sign_in(client, email, PASSWORD) == 200
    outsider = world.b.user_ids["consultant"]
    assert (
        await client.post(f"{members}/{outsider}/password-link", headers=admin)
    ).status_code == 404
    elsewhere = f"/api/v1/consultancies/{world.b.consultancy.id}/members/{rita}/password-link"
    assert (await client.post(elsewhere, headers=admin)).status_code == 404


async def test_a_retried_link_is_not_shown_again(client: httpx.AsyncClient, world: World) -> None:
    """Like an API key's plaintext, a link's token is never kept by the Idempotency-Key
    layer: a retry is told it was made."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    ines, _ = await invite(client, tenant, admin, "ines", "client_viewer")
    once = {**admin, "Idempotency-Key": f"link-{ines}"}
    first = await link_for(client, tenant, once, ines)
    assert first.status_code == 201, first.text
    again = await link_for(client, tenant, once, ines)
    assert again.status_code == 409, again.text
    assert first.json()["token"] not in again.text
