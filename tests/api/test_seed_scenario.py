"""The seed's story over HTTP: a consultancy onboards a client, sets an objective and the key
result "reduce response time from 24 h by 20 %", checks in 21 h, and reads 62.5 %."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from services.bootstrap import System
from tenants.tokens import issue_access_token
from tenants.users import create_user
from tests.api.builders import World, an_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(
    client: httpx.AsyncClient, path: str, token: str, body: dict[str, Any]
) -> httpx.Response:
    response = await client.post(path, headers=bearer(token), json=body)
    assert response.status_code in (200, 201), response.text
    return response


async def test_consultancy_to_progress_of_62_5_percent(
    client: httpx.AsyncClient, world: World
) -> None:
    """Platform admin -> consultancy -> its admin -> tenant -> cycle -> objective -> KR
    24 h -> 19.2 h (-20 %) -> check-in 21 h -> progress 0.625, read back as written."""
    consultancy = (
        await post(client, "/api/v1/consultancies", world.admin_token, {"name": "Bussola"})
    ).json()
    member = await post(
        client, f"/api/v1/consultancies/{consultancy['id']}/members", world.admin_token,
        {"email": an_email("paola"), "display_name": "Paola", "role": "consultancy_admin"},
    )  # fmt: skip
    paola = issue_access_token(world.tokens, member.json()["user_id"])

    body = {"name": "Esempio Consulenza S.r.l.", "check_in_cadence_days": 14}
    made = await post(client, f"/api/v1/consultancies/{consultancy['id']}/tenants", paola, body)
    tenant = made.json()
    base = f"/api/v1/tenants/{tenant['id']}"
    cycle = await post(
        client, f"{base}/cycles", paola,
        {"name": "Q1 2027", "starts_on": "2027-01-01", "ends_on": "2027-03-31"},
    )  # fmt: skip
    assert cycle.headers["location"].endswith(cycle.json()["id"])
    year = await post(
        client, f"{base}/cycles", paola,
        {"name": "FY 2027", "starts_on": "2027-01-01", "ends_on": "2027-12-31"},
    )  # fmt: skip
    for made, period in ((cycle, "quarter"), (year, "year")):  # by its length: it names none
        got = await client.get(made.headers["location"], headers=bearer(paola))
        assert got.json()["period"] == period
    await post(client, f"{base}/cycles/{cycle.json()['id']}/activate", paola, {})
    objective = await post(
        client, f"{base}/objectives", paola,
        {"cycle_id": cycle.json()["id"], "title": "Efficienza operativa", "level": "company"},
    )  # fmt: skip
    kr = await post(
        client, f"{base}/key-results", paola,
        {
            "objective_id": objective.json()["id"], "title": "Tempo medio di risposta",
            "kind": "decrease", "start": 24, "target_percent": "-20",
            "unit": {"kind": "hours"},
        },
    )  # fmt: skip
    kr_id = kr.json()["id"]
    check_in = await post(
        client, f"{base}/key-results/{kr_id}/check-ins", paola,
        {"value": "21", "on": "2027-02-15", "confidence": 7, "note": "nuovo triage"},
    )  # fmt: skip
    position = check_in.headers["x-okr-position"]
    assert int(position) == check_in.json()["position"]

    item = await client.get(f"{base}/key-results/{kr_id}", headers=bearer(paola))
    assert Decimal(item.json()["target"]) == Decimal("19.2")
    assert item.headers["etag"] == f'"{item.json()["version"]}"'

    progress = await client.get(
        f"{base}/progress",
        params={"min_position": position, "today": "2027-02-15"},
        headers=bearer(paola),
    )
    assert progress.status_code == 200
    tree = progress.json()
    assert tree["position"] >= int(position)
    [quarter] = [c for c in tree["cycles"] if c["cycle_id"] == cycle.json()["id"]]
    [node] = quarter["objectives"]
    [key_result] = node["key_results"]
    assert Decimal(key_result["raw_progress"]) == Decimal("0.625")
    assert Decimal(key_result["shown_progress"]) == Decimal("0.625")
    assert Decimal(node["progress"]) == Decimal("0.625")
    assert key_result["value"] == "21"
    assert key_result["confidence"] == 7


async def test_sign_in_refresh_and_me(client: httpx.AsyncClient, system: System) -> None:
    """A person signs in with email and password, refreshes once, and is who they are;
    a refresh token spent again once the one it gave was used is refused (and its family
    revoked)."""
    email = an_email("giulia")
    password = "una password lunga abbastanza"
    user = await create_user(system.pool, email, "Giulia", password=password)
    signed = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert signed.status_code == 200, signed.text
    pair = signed.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] > 0
    me = await client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["id"] == str(user.id)
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 200
    for answer in (signed, refreshed):  # tokens: no cache may keep them
        assert answer.headers["cache-control"] == "no-store"
    went_on = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert went_on.status_code == 200
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert reused.status_code == 401
    assert reused.json()["errors"][0]["rule"] == "refresh_token_reused"
    wrong = await client.post("/api/v1/auth/token", json={"email": email, "password": "x" * 12})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")


async def test_an_api_key_checks_in_as_an_integration(
    client: httpx.AsyncClient, world: World
) -> None:
    """A system pushing values with an API key: recorded with source "api", actor key:<id>."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    response = await client.post(
        f"{base}/kpis/{world.ids.kpi_id}/measurements",
        headers=bearer(world.a.live_key),
        json={"value": 20.5, "on": "2027-02-08"},
    )
    assert response.status_code == 201, response.text
    measurements = await client.get(
        f"{base}/kpis/{world.ids.kpi_id}/measurements", headers=bearer(world.a.live_key)
    )
    latest = [m for m in measurements.json()["items"] if m["on"] == "2027-02-08"]
    assert latest[0]["source"] == "api"
    assert latest[0]["author"].startswith("key:")
    assert latest[0]["value"] == "20.5"
