"""An invited person chooses their password with a one-time link made for them: whoever
manages them makes it, within what they manage, and it works once, within a week."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from litestar import Litestar

from services.bootstrap import System
from tenants import users
from tenants.tokens import issue_access_token
from tenants.users import disable_user, make_platform_admin
from tests.api.asgi import asgi_transport
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


async def a_tenant_with_a_client_admin(
    client: httpx.AsyncClient, world: World
) -> tuple[str, dict[str, str], dict[str, str]]:
    """A new tenant, its consultancy admin's auth, and a client admin's of it."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    boss, _ = await invite(client, tenant, admin, "boss", "client_admin")
    return tenant, admin, bearer(issue_access_token(world.tokens, UUID(boss)))


async def onboarding(
    client: httpx.AsyncClient, tenant: str, auth: dict[str, str], user_id: str
) -> tuple[bool, bool]:
    """What the member list says of someone: a password, and a link pending."""
    listed = await client.get(f"/api/v1/tenants/{tenant}/users", headers=auth)
    member = next(m for m in listed.json()["items"] if m["user_id"] == user_id)
    return member["has_password"], member["password_link_expires_at"] is not None


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
    assert await onboarding(client, tenant, admin, marta) == (False, False)

    first = await link_for(client, tenant, admin, marta)
    assert first.status_code == 201, first.text
    assert await onboarding(client, tenant, admin, marta) == (False, True)  # a link pending
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["user_id"] == marta
    at = first.headers["X-OKR-Position"]
    made_by = await client.get(  # its maker could have used it: the trail says who made it
        f"/api/v1/tenants/{tenant}/history", headers=admin,
        params={"kind": "access.password_link_made", "min_position": at},
    )  # fmt: skip
    assert [line["text"] for line in made_by.json()["items"]] == [
        "password link for marta made by Consultancy_Admin"
    ]
    made = await link_for(client, tenant, admin, marta)  # the first one stops working
    token = made.json()["token"]
    assert token.startswith("okrpw_") and token != first.json()["token"]
    assert refusal(await set_password(client, first.json()["token"], PASSWORD)) == (
        422, "token", "invalid_link"
    )  # fmt: skip

    short = await set_password(client, token, "short")
    assert refusal(short) == (422, "password", "password_length")  # the link stays
    for nothing in (" " * 12, "\x00" * 12):  # twelve spaces, twelve NULs: no password
        assert refusal(await set_password(client, token, nothing)) == (
            422, "password", "password_characters"
        )  # fmt: skip
    done = await set_password(client, token, PASSWORD)
    assert done.status_code == 204, done.text
    assert await sign_in(client, email, PASSWORD) == 200
    assert await onboarding(client, tenant, admin, marta) == (True, False)
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
    boss_auth = bearer(issue_access_token(world.tokens, UUID(boss)))
    viewer_auth = bearer(issue_access_token(world.tokens, UUID(viewer)))
    both, email = await invite(client, tenant, admin, "both", "client_member")
    await client.post(
        f"/api/v1/tenants/{other}/users", headers=admin,
        json={"email": email, "display_name": "both", "role": "client_viewer"},
    )  # fmt: skip

    assert refusal(await link_for(client, tenant, boss_auth, both)) == (409, "user_id", "beyond")
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
    assert refusal(await link_for(client, tenant, admin, gone)) == (409, "user_id", "beyond")


async def test_a_consultancy_member_added_without_a_password_gets_a_link(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    admin = world.a.auth("consultancy_admin")
    email = an_email("rita")
    made = await client.post(
        members, headers=admin, json={"email": email, "display_name": "Rita", "role": "consultant"}
    )
    rita = made.json()["user_id"]
    tenant = await a_new_tenant(client, world)  # a client she serves, and one she does not
    elsewhere_tenant = await a_new_tenant(client, world)
    await invite_email(client, tenant, admin, email, "consultant")
    heads = {t: await system.store.head(UUID(t)) for t in (tenant, elsewhere_tenant)}
    link = await client.post(f"{members}/{rita}/password-link", headers=admin)
    assert link.status_code == 201, link.text
    assert await system.store.head(UUID(tenant)) == heads[tenant] + 1  # recorded where she
    assert await system.store.head(UUID(elsewhere_tenant)) == heads[elsewhere_tenant]  # reaches
    said = await client.get(
        f"/api/v1/tenants/{tenant}/history", headers=admin,
        params={"kind": "access", "limit": 1, "min_position": heads[tenant] + 1},
    )  # fmt: skip
    assert said.json()["items"][0]["text"] == "password link for Rita made by Consultancy_Admin"
    assert (await set_password(client, link.json()["token"], PASSWORD)).status_code == 204
    assert await sign_in(client, email, PASSWORD) == 200
    listed = (await client.get(members, headers=admin)).json()["items"]
    assert [m["has_password"] for m in listed if m["user_id"] == rita] == [True]
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
    assert "make another (a password link replaces the last)" in again.json()["detail"]


async def test_an_account_whose_password_came_by_link_stays_where_its_maker_manages(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """The maker of a link could have used it: a client admin who invites someone else's
    email and sets its password must not gain what another consultancy later gives that
    email. The account is bound to its maker's scope: given access beyond it, refused
    (409, naming the email), whatever holds it; so is making it a platform admin."""
    tenant, consultancy_admin, boss_auth = await a_tenant_with_a_client_admin(client, world)
    victim, email = await invite(client, tenant, boss_auth, "ceo", "client_viewer")
    token = (await link_for(client, tenant, boss_auth, victim)).json()["token"]
    assert (await set_password(client, token, PASSWORD)).status_code == 204

    other = world.b.auth("consultancy_admin")
    refused = await client.post(
        f"/api/v1/tenants/{world.b.tenant.id}/users", headers=other,
        json={"email": email, "display_name": "CEO", "role": "client_admin"},
    )  # fmt: skip
    assert refusal(refused) == (409, "email", "beyond")  # it manages none of its reach
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    as_consultant = await client.post(  # beyond a client admin's scope too
        members, headers=consultancy_admin,
        json={"email": email, "display_name": "CEO", "role": "consultant"},
    )  # fmt: skip
    assert refusal(as_consultant) == (409, "email", "bound_elsewhere")
    me = await client.get(
        "/api/v1/auth/me", headers=bearer(issue_access_token(world.tokens, UUID(victim)))
    )
    assert [g["id"] for g in me.json()["tenants"]] == [tenant]  # nothing more
    with pytest.raises(asyncpg.CheckViolationError):
        await make_platform_admin(admin, UUID(victim))


async def test_a_link_whose_maker_lost_the_right_sets_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """A client admin makes a link for a colleague, then is demoted or removed: the link
    dies with their right (a removed admin could otherwise keep a hold on the tenant)."""
    tenant, admin, boss_auth = await a_tenant_with_a_client_admin(client, world)
    colleague, email = await invite(client, tenant, boss_auth, "co", "client_admin")
    token = (await link_for(client, tenant, boss_auth, colleague)).json()["token"]
    me = await client.get("/api/v1/auth/me", headers=boss_auth)
    boss = me.json()["id"]
    removed = await client.delete(f"/api/v1/tenants/{tenant}/users/{boss}", headers=admin)
    assert removed.status_code == 204
    assert refusal(await set_password(client, token, PASSWORD)) == (422, "token", "invalid_link")
    assert await sign_in(client, email, PASSWORD) == 401


async def test_a_pending_link_is_void_once_the_account_reaches_further(
    client: httpx.AsyncClient, world: World
) -> None:
    """A link made by a client admin, and the account then made a consultancy admin: the
    link would hand the consultancy to the client admin. Any change of reach voids it."""
    tenant, admin, boss_auth = await a_tenant_with_a_client_admin(client, world)
    rising, email = await invite(client, tenant, boss_auth, "rising", "client_viewer")
    token = (await link_for(client, tenant, boss_auth, rising)).json()["token"]
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    promoted = await client.post(
        members, headers=admin,
        json={"email": email, "display_name": "rising", "role": "consultancy_admin"},
    )  # fmt: skip
    assert promoted.status_code == 201, promoted.text
    assert refusal(await set_password(client, token, PASSWORD)) == (422, "token", "invalid_link")
    assert refusal(await link_for(client, tenant, boss_auth, rising)) == (409, "user_id", "beyond")


async def test_no_link_for_a_consultant_or_a_platform_admin_from_a_client_admin(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    tenant, consultancy_admin, boss_auth = await a_tenant_with_a_client_admin(client, world)
    members = f"/api/v1/consultancies/{world.a.consultancy.id}/members"
    tea = {"email": an_email("tea"), "display_name": "Tea", "role": "consultant"}
    await client.post(members, headers=consultancy_admin, json=tea)
    tea_id, _ = await invite_email(client, tenant, consultancy_admin, tea["email"], "consultant")
    op, _ = await invite(client, tenant, consultancy_admin, "op", "client_viewer")
    await make_platform_admin(admin, UUID(op))

    for user_id in (tea_id, op):
        assert refusal(await link_for(client, tenant, boss_auth, user_id)) == (
            409, "user_id", "beyond"
        )  # fmt: skip
    assert (await link_for(client, tenant, consultancy_admin, tea_id)).status_code == 201
    assert refusal(await link_for(client, tenant, consultancy_admin, op)) == (
        409, "user_id", "beyond"
    )  # fmt: skip


async def test_a_link_sets_one_password_once_even_at_once(
    client: httpx.AsyncClient, world: World, system: System
) -> None:
    """Two requests with one link at the same moment: one sets the password, the other is
    refused before any hash; a password set meanwhile by other means spends the link."""
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    twin, email = await invite(client, tenant, admin, "twin", "client_viewer")
    token = (await link_for(client, tenant, admin, twin)).json()["token"]
    answers = await asyncio.gather(
        set_password(client, token, PASSWORD), set_password(client, token, "the other phrase!")
    )
    assert sorted(a.status_code for a in answers) == [204, 422]
    won = PASSWORD if answers[0].status_code == 204 else "the other phrase!"
    assert await sign_in(client, email, won) == 200

    late, _ = await invite(client, tenant, admin, "late", "client_viewer")
    token = (await link_for(client, tenant, admin, late)).json()["token"]
    await users.set_password(system.pool, UUID(late), "set by an operator")
    assert refusal(await set_password(client, token, PASSWORD)) == (422, "token", "invalid_link")


async def invite_email(
    client: httpx.AsyncClient, tenant: str, auth: dict[str, str], email: str, role: str
) -> tuple[str, str]:
    made = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=auth,
        json={"email": email, "display_name": "again", "role": role},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()["user_id"], email


async def test_a_member_removed_before_using_their_link_cannot_use_it(
    client: httpx.AsyncClient, world: World
) -> None:
    tenant = await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    elena, email = await invite(client, tenant, admin, "elena", "client_viewer")
    token = (await link_for(client, tenant, admin, elena)).json()["token"]
    removed = await client.delete(f"/api/v1/tenants/{tenant}/users/{elena}", headers=admin)
    assert removed.status_code == 204
    assert refusal(await set_password(client, token, PASSWORD)) == (422, "token", "invalid_link")
    assert await sign_in(client, email, PASSWORD) == 401


async def test_any_change_of_reach_voids_a_pending_link(
    client: httpx.AsyncClient, world: World
) -> None:
    """Even within its maker's scope (a second client of the same consultancy): the maker
    makes a new one for the account as it now is."""
    tenant, second = await a_new_tenant(client, world), await a_new_tenant(client, world)
    admin = world.a.auth("consultancy_admin")
    ada, email = await invite(client, tenant, admin, "ada", "client_viewer")
    token = (await link_for(client, tenant, admin, ada)).json()["token"]
    await invite_email(client, second, admin, email, "client_viewer")
    assert refusal(await set_password(client, token, PASSWORD)) == (422, "token", "invalid_link")
    fresh = (await link_for(client, second, admin, ada)).json()["token"]
    assert (await set_password(client, fresh, PASSWORD)).status_code == 204


async def test_a_link_is_claimed_by_one_caller_before_any_hash(
    client: httpx.AsyncClient, world: World, admin: asyncpg.Connection
) -> None:
    """A hash costs: one caller a link a minute gets to make one."""
    tenant = await a_new_tenant(client, world)
    auth = world.a.auth("consultancy_admin")
    bo, _ = await invite(client, tenant, auth, "bo", "client_viewer")
    token = (await link_for(client, tenant, auth, bo)).json()["token"]
    digest = hashlib.sha256(token.encode()).digest()
    claims = [await admin.fetchval("SELECT okr_claim_password_link($1)", digest) for _ in "ab"]
    assert claims == [True, False]
    await admin.execute(
        "UPDATE password_links SET claimed_at = now() - interval '61 seconds'"
        " WHERE token_hash = $1",
        digest,
    )
    assert await admin.fetchval("SELECT okr_claim_password_link($1)", digest)  # lapsed


async def test_a_bound_account_gains_nothing_once_its_link_s_maker_is_gone(
    client: httpx.AsyncClient, world: World
) -> None:
    """A client admin makes accounts ready (invites an email, sets its password with their
    own link, removes it) and is then removed: the tenant inviting that email again must
    not hand the former admin a seat. Refused: the account holds to what its maker still
    manages. A role set again as it was voids nobody's links."""
    tenant, admin, boss_auth = await a_tenant_with_a_client_admin(client, world)
    ready, email = await invite(client, tenant, boss_auth, "ready", "client_viewer")
    token = (await link_for(client, tenant, boss_auth, ready)).json()["token"]
    assert (await set_password(client, token, PASSWORD)).status_code == 204
    users_path = f"/api/v1/tenants/{tenant}/users"
    await client.delete(f"{users_path}/{ready}", headers=boss_auth)
    pending, _ = await invite(client, tenant, boss_auth, "pending", "client_viewer")
    kept = (await link_for(client, tenant, boss_auth, pending)).json()["token"]
    boss = (await client.get("/api/v1/auth/me", headers=boss_auth)).json()["id"]
    same = await client.patch(f"{users_path}/{boss}", headers=admin, json={"role": "client_admin"})
    assert same.status_code == 200  # the same role: the boss's links stand
    assert (await set_password(client, kept, PASSWORD)).status_code == 204

    await client.delete(f"{users_path}/{boss}", headers=admin)
    again = await client.post(
        users_path,
        headers=admin,
        json={"email": email, "display_name": "R", "role": "client_admin"},
    )
    assert refusal(again) == (409, "email", "bound_elsewhere")


async def test_a_client_admin_cannot_add_another_client_s_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """A client admin invites the email of another client's person: it gave that person a
    seat unasked, told the inviter their name and whether they had a password, and voided
    the link their own admin had made for them. Now 409 `beyond` naming the email, the
    same answer for an account with a password and one without; nothing is added, and
    the other admin's link still works."""
    tenant, _, inviter = await a_tenant_with_a_client_admin(client, world)
    other, _, their_admin = await a_tenant_with_a_client_admin(client, world)
    pending, pending_email = await invite(client, other, their_admin, "newhire", "client_member")
    token = (await link_for(client, other, their_admin, pending)).json()["token"]
    settled, settled_email = await invite(client, other, their_admin, "settled", "client_member")
    settled_token = (await link_for(client, other, their_admin, settled)).json()["token"]
    assert (await set_password(client, settled_token, PASSWORD)).status_code == 204
    for email in (pending_email, settled_email):
        refused = await client.post(
            f"/api/v1/tenants/{tenant}/users", headers=inviter,
            json={"email": email, "display_name": "Chi?", "role": "client_viewer"},
        )  # fmt: skip
        assert refusal(refused) == (409, "email", "beyond")
        assert "newhire" not in refused.text and "settled" not in refused.text
    listed = await client.get(f"/api/v1/tenants/{tenant}/users", headers=inviter)
    assert {m["email"] for m in listed.json()["items"]}.isdisjoint({pending_email, settled_email})
    assert (await set_password(client, token, PASSWORD)).status_code == 204
    assert await sign_in(client, pending_email, PASSWORD) == 200


async def test_a_person_another_company_removed_is_not_another_tenant_s_to_take(
    client: httpx.AsyncClient, world: World
) -> None:
    """A company removes a person who had not chosen a password yet: their account reaches
    nothing. Any other client's admin could add that email, read the name the company gave
    it, make it a password link and set its password (the email theirs for good: the
    company got 409 inviting it again). Now 409 `beyond`, as for an account that reaches
    something, telling nothing; the company that had them invites them again."""
    tenant, _, inviter = await a_tenant_with_a_client_admin(client, world)
    first, _, their_admin = await a_tenant_with_a_client_admin(client, world)
    gone, email = await invite(client, first, their_admin, "dormiente", "client_member")
    removed = await client.delete(f"/api/v1/tenants/{first}/users/{gone}", headers=their_admin)
    assert removed.status_code == 204

    taken = await client.post(
        f"/api/v1/tenants/{tenant}/users", headers=inviter,
        json={"email": email, "display_name": "Chi?", "role": "client_admin"},
    )  # fmt: skip

    assert refusal(taken) == (409, "email", "beyond")
    assert "dormiente" not in taken.text
    listed = await client.get(f"/api/v1/tenants/{tenant}/users", headers=inviter)
    assert email not in {m["email"] for m in listed.json()["items"]}
    again = await client.post(
        f"/api/v1/tenants/{first}/users", headers=their_admin,
        json={"email": email, "display_name": "dormiente", "role": "client_member"},
    )  # fmt: skip
    assert again.status_code == 201, again.text
    assert again.json()["user_id"] == gone
    link = await link_for(client, first, their_admin, gone)
    assert (await set_password(client, link.json()["token"], PASSWORD)).status_code == 204


async def test_a_link_opened_with_text_no_link_has_keeps_nothing(app: Litestar) -> None:
    """The portal keeps a link's token in a cookie of /welcome: text that could not be one
    (a link mangled by a mail client into other letters) was a 500, its cookie unwritable.
    It is sent on to /welcome as any link, keeps no cookie, and the page says the link
    does not work; a token of a link's shape is kept as it came."""
    transport = asgi_transport(app)
    for mangled in ("okrpw_\u4e00\u4e8c", "okrpw_a;b c", "okrpw_" + "a" * 200):
        async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as browser:
            opened = await browser.get("/welcome", params={"token": mangled})
            assert (opened.status_code, opened.headers["location"]) == (303, "/welcome")
            kept = [c for c in opened.headers.get_list("set-cookie") if "password_link" in c]
            assert kept and kept[0].startswith('okr_password_link="";'), kept
            assert (await browser.get("/welcome")).status_code == 404
    async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as browser:
        shaped = await browser.get("/welcome", params={"token": "okrpw_Ab-9_z"})
        assert "okr_password_link=okrpw_Ab-9_z;" in shaped.headers["set-cookie"]
