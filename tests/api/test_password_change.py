"""A person changes their own password, giving the one they have: whoever knew the old one
is signed out everywhere, its tokens and refresh tokens; each bad input changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import httpx
from argon2 import PasswordHasher
from litestar import Litestar

from services.bootstrap import System
from tenants.memberships import add_membership
from tenants.passwords import hash_password
from tenants.users import create_user, replace_password
from tests.api.asgi import asgi_transport
from tests.api.builders import World, an_email
from tests.api.test_tenancy import bearer
from tests.conftest import until_a_backend_waits_for_a_lock

OLD, NEW = "the old passphrase, long", "a brand new passphrase"
CHANGE = "/api/v1/auth/password/change"


async def a_member(system: System, world: World) -> tuple[str, UUID]:
    """A client member of tenant A who signs in with OLD: their email and id."""
    email = an_email("anna")
    user = await create_user(system.pool, email, "Anna", password=OLD)
    await add_membership(system.pool, world.a.tenant.id, user.id, "client_member")
    return email, user.id


async def signed_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def tokens(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    answer = await signed_in(client, email, password)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def works(client: httpx.AsyncClient, pair: dict[str, Any]) -> tuple[int, int]:
    """What the pair's access token and refresh token are answered (the refresh token is
    spent only if nothing else was: a 200 there stands for a working pair)."""
    me = await client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    return me.status_code, refreshed.status_code


async def test_a_changed_password_signs_out_every_other_device(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """The device it is changed on gets a new pair, not kept by any cache; the tokens of
    every sign-in before it, this device's too, open nothing and refresh nothing; the old
    password no longer signs in, the new one does."""
    email, _ = await a_member(system, world)
    here, there = await tokens(client, email, OLD), await tokens(client, email, OLD)

    changed = await client.post(
        CHANGE, headers=bearer(here["access_token"]),
        json={"current_password": OLD, "new_password": NEW},
    )  # fmt: skip

    assert changed.status_code == 200, changed.text
    assert changed.headers["cache-control"] == "no-store"
    assert await works(client, changed.json()) == (200, 200)
    assert await works(client, here) == (401, 401)
    assert await works(client, there) == (401, 401)
    assert (await signed_in(client, email, OLD)).status_code == 401
    assert (await signed_in(client, email, NEW)).status_code == 200


async def test_a_password_change_refused_changes_nothing(
    app: Litestar, client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Each refusal names the field at fault, and the password and every sign-in stay: a
    current password that is not it (422, current_password, counted as a failed sign-in:
    429 after five), a new one too short or the current one again (422, new_password), a
    field missing, an API key (403: it has no password)."""
    email, _ = await a_member(system, world)
    pair = await tokens(client, email, OLD)
    auth = bearer(pair["access_token"])

    async def refused(body: dict[str, Any], headers: dict[str, str] = auth) -> tuple[Any, ...]:
        answer = await client.post(CHANGE, headers=headers, json=body)
        error = answer.json()["errors"][0]
        return answer.status_code, error["field"], error["rule"]

    assert await refused({"current_password": OLD, "new_password": "short"}) == (
        422, "new_password", "password_length",
    )  # fmt: skip
    assert await refused({"current_password": OLD, "new_password": OLD}) == (
        422, "new_password", "unchanged",
    )  # fmt: skip
    assert await refused({"new_password": NEW}) == (422, "current_password", "required")
    assert await refused(
        {"current_password": OLD, "new_password": NEW}, bearer(world.a.live_key)
    ) == (403, "Authorization", "permission_denied")

    transport = asgi_transport(app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as guesser:
        guesses = [
            await guesser.post(CHANGE, headers=auth, json={
                "current_password": f"a guess number {i}", "new_password": NEW,
            })
            for i in range(6)
        ]  # fmt: skip
    assert [g.status_code for g in guesses] == [422] * 5 + [429]
    assert guesses[0].json()["errors"][0]["field"] == "current_password"
    assert guesses[0].json()["errors"][0]["rule"] == "wrong_password"
    assert int(guesses[-1].headers["retry-after"]) > 0

    me = await client.get("/api/v1/auth/me", headers=auth)
    assert me.status_code == 200  # still signed in, with the same password
    assert (await signed_in(client, email, OLD)).status_code == 200
    assert (await signed_in(client, email, NEW)).status_code == 401


async def test_the_change_documents_its_answers(client: httpx.AsyncClient) -> None:
    """A wrong current password is limited as a sign-in is: the schema says 429 too."""
    schema = (await client.get("/schema/openapi.json")).json()
    answers = schema["paths"][CHANGE]["post"]["responses"]
    assert {"200", "401", "403", "422", "429"} <= answers.keys()


T = TypeVar("T")


async def changed_during(system: System, user_id: UUID, running: Awaitable[T]) -> T:
    """What `running` answers, started while another transaction holds the person's row and
    caught waiting for it (a sign-in storing its refresh token, or upgrading its hash): the
    password is changed to NEW in that transaction, whose commit lets it go on."""
    async with system.pool.acquire() as held, held.transaction():
        await held.execute("SELECT FROM users WHERE id = $1 FOR UPDATE", user_id)
        task = asyncio.ensure_future(running)
        await until_a_backend_waits_for_a_lock(system, task)
        await replace_password(held, user_id, NEW)
    return await task


async def test_a_sign_in_with_the_old_password_under_way_during_a_change_opens_nothing(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Whoever keeps signing in with the old password has a sign-in under way when its owner
    changes it: checked against the old password, it must not be given tokens of the new
    epoch (a review's attacker signing in in a loop kept access after 4 changes of 4)."""
    email, user_id = await a_member(system, world)

    late = await changed_during(system, user_id, signed_in(client, email, OLD))

    if late.status_code == 200:  # checked before the change: its tokens must open nothing
        assert await works(client, late.json()) == (401, 401)
    assert (await signed_in(client, email, NEW)).status_code == 200


async def test_an_old_hash_upgraded_during_a_change_does_not_bring_the_old_password_back(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """A sign-in with the old password upgrades a hash made with older argon2 parameters:
    under way while its owner changes the password, it must not write the old password's
    hash over the new one (the old password would sign in again, the new one not)."""
    email, user_id = await a_member(system, world)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    await system.pool.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1", user_id, hash_password(OLD, weak)
    )

    await changed_during(system, user_id, signed_in(client, email, OLD))

    assert (await signed_in(client, email, OLD)).status_code == 401
    assert (await signed_in(client, email, NEW)).status_code == 200


async def test_a_refresh_token_the_change_did_not_revoke_refreshes_nothing(
    client: httpx.AsyncClient, world: World, system: System, admin: asyncpg.Connection
) -> None:
    """A refresh under way when the password changes stores its new refresh token after
    the change revoked the person's tokens, where the change cannot see it (a review saw a
    client refreshing in a loop keep access in 2 changes of 4). Such a token, issued in
    the epoch before the change, must refresh nothing, revoked or not."""
    email, user_id = await a_member(system, world)
    pair = await tokens(client, email, OLD)
    await replace_password(system.pool, user_id, NEW)
    await admin.execute(  # what the race leaves: the token was stored after the revocation
        "UPDATE refresh_tokens SET revoked_at = NULL WHERE user_id = $1", user_id
    )

    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )

    assert refreshed.status_code == 401


async def test_a_change_sent_again_with_its_key_says_to_sign_in_with_the_new_password(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Its answer held tokens, shown once and kept nowhere. Sent again with the token it was
    sent with, it is 401: that sign-in ended, as it says. Sent again with the same
    Idempotency-Key once signed in with the new password, it is told it was done (409),
    and what to do if its answer was lost (it spoke of a password link); nothing changes
    more."""
    email, _ = await a_member(system, world)
    pair = await tokens(client, email, OLD)
    body = {"current_password": OLD, "new_password": NEW}
    key = {"Idempotency-Key": "cambio-1"}
    first = await client.post(CHANGE, headers={**bearer(pair["access_token"]), **key}, json=body)
    assert first.status_code == 200, first.text

    again = await client.post(CHANGE, headers={**bearer(pair["access_token"]), **key}, json=body)
    assert again.status_code == 401
    assert "password changed" in again.json()["detail"]
    anew = await tokens(client, email, NEW)
    replayed = await client.post(CHANGE, headers={**bearer(anew["access_token"]), **key}, json=body)

    assert replayed.status_code == 409, replayed.text
    assert replayed.json()["errors"][0]["rule"] == "secret_shown_once"
    assert "sign in with the new password" in replayed.json()["detail"]
    assert "password link" not in replayed.json()["detail"]
    assert await works(client, anew) == (200, 200)
