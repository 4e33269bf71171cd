"""The history's text in the reader's language: a consultancy building its own report for
an Italian client reads Italian sentences; Accept-Language picks, else the tenant's."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import httpx
from litestar import Litestar

from domain.values import Unit, UnitKind
from services import read
from services.app import Context, OKRApplication
from services.bootstrap import System
from services.history_words import Phrases, units_of
from services.i18n import Locale
from services.read.people import People
from services.settings import Settings
from tests.api.asgi import asgi_transport
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
    transport = asgi_transport(app)  # (the tests' client asks for English)
    async with httpx.AsyncClient(transport=transport, base_url="http://okr.test") as client:
        await _each_language(client, side, at)


async def _each_language(client: httpx.AsyncClient, side: Side, at: int) -> None:
    """Each Accept-Language, then none of a tenant made English: the text each answers."""
    italian = "'Tempo di risposta': aggiornamento 21 per il 1 feb 2027 da "
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


async def test_the_italian_history_says_numbers_units_and_days_as_the_portal_does(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A consultancy showing the API's Italian text to a client showed "aggiornamento 19.2
    per il 2027-02-01" where the portal says "aggiornamento 19,2 ore per il 1 feb 2027":
    each line now says its numbers with a decimal comma and grouped thousands, in its
    item's unit, and its days in words, as the portal's history says the same line."""
    ids = SharedIds()
    side = await a_side(system, token_settings(api_settings), ids, "segreto", "21")
    await _hours_and_money(system, side.tenant.id, ids.objective_id)
    answer = await client.get(
        _PATH.format(side.tenant.id),
        headers={**side.auth("client_viewer"), "Accept-Language": "it"},
        params={"limit": 100, "min_position": await system.store.head(side.tenant.id)},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    said = [line["text"] for line in answer.json()["items"]]
    h, eur = "\u00a0ore", "€\u00a0"
    for expected in (
        "ciclo 'Q1 2027' pianificato dal 1 gen 2027 al 31 mar 2027 da builder",
        f"'Ore di consegna': aggiornamento 19,2{h} per il 1 feb 2027 da builder",
        f"'Ore di consegna': aggiornamento del 1 feb 2027 corretto 19,2{h} → 18,75{h} da"
        " builder: 'contate due volte'",
        f"'Ore di consegna': traguardo rivisto 19,2{h} → 18{h} da builder: 'più ambizioso'",
        f"indicatore 'Fatturato' definito da builder: verde {eur}1.200.000, rosso"
        f" {eur}1.000.000, ogni 30 giorni",
        f"indicatore 'Fatturato': misurato {eur}1.234.567,50 per il 1 feb 2027 da builder",
        f"indicatore 'Fatturato': misura del 1 feb 2027 corretta {eur}1.234.567,50 →"
        f" {eur}1.250.000 da builder: 'fattura stornata'",
    ):
        assert expected in said, (expected, said)

    lines = await read.history(system.pool, side.tenant.id, limit=100)
    names = await People(system.pool).names(side.tenant.id, {line.actor for line in lines})
    units = units_of(await read.item_names(system.pool, side.tenant.id))
    portal = Phrases(Locale("it"), names, units)
    assert said == [portal.text(line) for line in lines]  # every template the log has


async def _hours_and_money(system: System, tenant_id: uuid.UUID, objective_id: uuid.UUID) -> None:
    """A key result in hours checked in, corrected and revised; a KPI in euros measured
    and corrected; each on 1 February 2027."""
    app = OKRApplication(system.repository)
    ctx = Context(tenant_id=tenant_id, actor="user:builder")
    kr, check_in, kpi, measurement = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await app.key_results.create(
        ctx, objective_id=objective_id, title="Ore di consegna", kind="decrease",
        owner="user:builder", start=24, target=Decimal("19.2"), unit=Unit(UnitKind.HOURS),
        key_result_id=kr,
    )  # fmt: skip
    on = date(2027, 2, 1)
    await app.key_results.record_check_in(
        ctx, kr, value=Decimal("19.2"), on=on, check_in_id=check_in
    )
    await app.key_results.correct_check_in(
        ctx, kr, check_in_id=check_in, value=Decimal("18.75"), reason="contate due volte"
    )
    await app.key_results.revise_target(ctx, kr, target=18, reason="più ambizioso")
    await app.kpis.create(
        ctx, name="Fatturato", direction="higher_is_better", green=1_200_000, red=1_000_000,
        frequency_days=30, owner="user:builder", unit=Unit(UnitKind.CURRENCY, currency="EUR"),
        kpi_id=kpi,
    )  # fmt: skip
    await app.kpis.record_measurement(
        ctx, kpi, value=Decimal("1234567.5"), on=on, measurement_id=measurement
    )
    await app.kpis.correct_measurement(
        ctx, kpi, measurement_id=measurement, value=1_250_000, reason="fattura stornata"
    )
