"""The history's text in the reader's language: a consultancy building its own report for
an Italian client reads Italian sentences; Accept-Language picks, else the tenant's."""

from __future__ import annotations

import httpx
from litestar import Litestar

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings

_PATH = "/api/v1/tenants/{}/history"


async def _said(client: httpx.AsyncClient, side: Side, at: int, **headers: str) -> httpx.Response:
    """The side's check-ins in its timeline (the log read to `at`), as these headers ask."""
    answer = await client.get(
        _PATH.format(side.tenant.id), headers={**side.auth("client_viewer"), **headers},
        params={"kind": "key_result.checked_in", "min_position": at},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer


def _first(answer: httpx.Response) -> str:
    return str(answer.json()["items"][0]["text"])


async def test_the_history_says_its_lines_in_the_language_asked_for_else_the_tenant_s(
    app: Litestar, system: System, api_settings: Settings
) -> None:
    """A tenant in Italian read with no Accept-Language answered English sentences: it
    answers its own language now, each line's text in it; Accept-Language of it or en
    (a region, q weights) picks; one of neither leaves the tenant's. Content-Language
    says which, Vary that Accept-Language chose it."""
    side = await a_side(system, token_settings(api_settings), SharedIds(), "segreto", "21")
    at = await system.store.head(side.tenant.id)
    transport = httpx.ASGITransport(app=app)  # (the tests' client asks for English)
    async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as client:
        await _each_language(client, side, at)


async def _each_language(client: httpx.AsyncClient, side: Side, at: int) -> None:
    """Each Accept-Language, then none of a tenant made English: the text each answers."""
    italian = "'Tempo di risposta': aggiornamento 21 per il 2027-02-01 da "
    english = "'Tempo di risposta': check-in 21 for 2027-02-01 by "
    asked = {
        None: italian,
        "en": english,
        "en-GB,en;q=0.9": english,
        "it;q=0.2, en;q=0.9": english,
        "en;q=0, it": italian,
        "fr, it;q=0.5": italian,
        "fr": italian,
        "*": italian,
    }
    for accept, said in asked.items():
        answer = await _said(
            client, side, at, **({} if accept is None else {"Accept-Language": accept})
        )
        assert _first(answer).startswith(said), (accept, _first(answer))
        language = "it" if said == italian else "en"
        assert answer.headers["Content-Language"] == language, accept
        assert answer.headers["Vary"] == "Accept-Language", accept

    made_english = await client.patch(
        f"/api/v1/tenants/{side.tenant.id}", headers=side.auth("consultancy_admin"),
        json={"locale": "en-GB"},
    )  # fmt: skip
    assert made_english.status_code == 200, made_english.text
    assert _first(await _said(client, side, at)).startswith(english)
    assert _first(await _said(client, side, at, **{"Accept-Language": "it-IT"})).startswith(italian)


async def test_openapi_says_the_history_s_language_and_how_it_is_chosen(
    client: httpx.AsyncClient,
) -> None:
    """A client reads in the schema that Accept-Language chooses the text's language, and
    that the answer says it in Content-Language."""
    schema = (await client.get("/schema/openapi.json")).json()
    history = schema["paths"]["/api/v1/tenants/{tenant_id}/history"]["get"]
    (accept,) = [p for p in history["parameters"] if p["name"] == "Accept-Language"]
    assert accept["in"] == "header"
    assert "tenant's language" in accept["description"]
    assert "Content-Language" in history["responses"]["200"]["headers"]
