"""The portal's pages without a browser: error pages, sessions, CSRF, charts."""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from projections.progress_tree import CycleNode, key_result_node, kpi_board
from services.i18n import Locale
from services.portal import portal_app_config, portal_router
from services.portal.charts import Chart, ChartLine, ChartPoint, line_chart, nice_step, sparkline
from services.portal.config import PortalSettings
from services.portal.kpi_page import kpi_chart
from services.portal.sessions import SESSION_COOKIE, Signer
from services.portal.views import by_date, choose_cycle, kpi_tiles, kr_chart, progress_width
from tests.projections.builders import (
    Log,
    active_quarter,
    check_in,
    fold_all,
    key_result,
    kpi,
    objective,
)

SECRET = "portal-tests-secret-of-at-least-32-bytes"


class DownPool:
    """A pool whose database has gone away."""

    async def fetchrow(self, *args: Any) -> Any:
        raise ConnectionRefusedError("connection refused")

    async def fetchval(self, *args: Any) -> Any:
        raise ConnectionRefusedError("connection refused")

    def acquire(self) -> Any:
        raise ConnectionRefusedError("connection refused")


def cut_off() -> asyncpg.InterfaceError:
    """What asyncpg raises ending a transaction block on a connection lost in it."""
    try:
        try:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed")
        except asyncpg.ConnectionDoesNotExistError:
            raise asyncpg.InterfaceError(
                "cannot call Transaction.__aexit__(): the underlying connection is closed"
            ) from None
    except asyncpg.InterfaceError as error:
        return error


class CutPool(DownPool):
    """A pool whose connection was lost in the middle of a transaction."""

    async def fetchrow(self, *args: Any) -> Any:
        raise cut_off()

    async def fetchval(self, *args: Any) -> Any:
        raise cut_off()

    def acquire(self) -> Any:
        raise cut_off()


@dataclass
class DownSystem:
    pool: Any = field(default_factory=DownPool)
    repository: Any = None


@dataclass(frozen=True)
class FakeSettings:
    jwt_secret: str = SECRET
    read_wait_seconds: float = 0.1


@pytest.fixture
def client() -> Any:
    system, settings = DownSystem(), FakeSettings()
    app = Litestar(  # a stand-in System and Settings, of what the pages read of them
        route_handlers=[portal_router(system, settings)],  # type: ignore[arg-type]
        **portal_app_config(system, settings),  # type: ignore[arg-type]
    )
    with TestClient(app, base_url="http://portal.test") as test_client:
        yield test_client


@pytest.fixture
def cut_client() -> Any:
    system, settings = DownSystem(pool=CutPool()), FakeSettings()
    app = Litestar(  # a stand-in System and Settings, of what the pages read of them
        route_handlers=[portal_router(system, settings)],  # type: ignore[arg-type]
        **portal_app_config(system, settings),  # type: ignore[arg-type]
    )
    with TestClient(app, base_url="http://portal.test") as test_client:
        yield test_client


def signed_in_cookie() -> str:
    own = PortalSettings.derive(FakeSettings())
    cookie, _ = Signer(own.secret, own.session_ttl).issue(uuid4())
    return cookie


def test_a_lost_database_shows_its_own_page(client: TestClient[Any]) -> None:
    """When PostgreSQL is out of reach, people get a calm page and a Retry-After, not a 500."""
    client.cookies.set(SESSION_COOKIE, signed_in_cookie())
    response = client.get("/portfolio", headers={"Accept-Language": "it"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "Dati momentaneamente irraggiungibili" in response.text


def test_a_transaction_cut_off_by_a_lost_connection_shows_that_page_too(
    cut_client: TestClient[Any],
) -> None:
    """asyncpg says "the underlying connection is closed" (an InterfaceError) in place of a
    connection lost in a transaction: that is the database out of reach too, not a 500."""
    cut_client.cookies.set(SESSION_COOKIE, signed_in_cookie())
    response = cut_client.get("/portfolio", headers={"Accept-Language": "it"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


def test_pages_need_a_session_and_send_people_to_sign_in(client: TestClient[Any]) -> None:
    response = client.get("/t/123/history?kind=kpi", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Ft%2F123%2Fhistory%3Fkind%3Dkpi"
    page = client.get("/sign-in", headers={"Accept-Language": "en-GB"})
    assert page.status_code == 200
    assert "Sign in" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["content-type"] == "text/html; charset=utf-8"  # one charset


def test_a_form_without_its_token_is_refused(client: TestClient[Any]) -> None:
    """A page of another site cannot post on the portal's forms (CSRF)."""
    response = client.post("/sign-in", data={"email": "a@b.it", "password": "x" * 12})
    assert response.status_code == 403
    assert "Ricarica la pagina" in response.text or "Reload the page" in response.text


def test_an_unknown_path_is_a_page_for_browsers_and_json_for_programs(
    client: TestClient[Any],
) -> None:
    page = client.get("/nowhere", headers={"Accept": "text/html", "Accept-Language": "it"})
    assert page.status_code == 404
    assert "Pagina non trovata" in page.text
    api = client.get("/api/v1/nowhere", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_a_session_cookie_cannot_be_forged_or_outlive_its_expiry() -> None:
    signer = Signer(b"k" * 32, timedelta(hours=1))
    cookie, session = signer.issue(uuid4(), now=1000.0)
    assert signer.read(cookie, now=1001.0) == session
    assert signer.read(cookie, now=1000.0 + 3601) is None
    user, epoch, expiry, nonce, mac = cookie.split(".")
    assert signer.read(f"{user}.{epoch}.{int(expiry) + 99999}.{nonce}.{mac}", now=1001.0) is None
    assert signer.read(f"{user}.{int(epoch) + 1}.{expiry}.{nonce}.{mac}", now=1001.0) is None
    assert signer.issue(uuid4(), 3)[1].epoch == 3  # the person's epoch, signed in it
    assert Signer(b"x" * 32, timedelta(hours=1)).read(cookie, now=1001.0) is None
    assert signer.read("garbage", now=time.time()) is None
    assert signer.csrf_ok("nonce", signer.csrf_token("nonce"))
    assert not signer.csrf_ok("nonce", signer.csrf_token("other"))


def test_a_chart_draws_every_value_the_pace_and_the_target() -> None:
    """Values over valid time, the corrected one marked, text escaped."""
    start = date(2026, 1, 1)
    points = [
        ChartPoint(start + timedelta(days=7 * i), Decimal(24) - i, f"week {i}") for i in range(4)
    ]
    points.append(ChartPoint(start + timedelta(days=28), Decimal(20), "fixed", Decimal(25)))
    chart = Chart(
        title="<script>alert(1)</script>",
        description="four weeks",
        window=(start, date(2026, 3, 31)),
        points=points,
        y_labels=lambda ticks: [str(t) for t in ticks],
        x_label=lambda d: d.isoformat(),
        lines=[ChartLine((start, Decimal(24)), (date(2026, 3, 31), Decimal("19.2")), "pace")],
        today=date(2026, 2, 1),
    )
    svg = str(line_chart(chart))
    assert svg.count('class="point"') == 5
    assert svg.count('class="point-original"') == 1
    assert 'class="pace"' in svg and 'class="today"' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_a_chart_of_one_value_says_one_not_ones() -> None:
    """A key result with its first check-in read "1 check-ins" ("1 aggiornamenti") under
    its chart, and a KPI measured once "1 days measured" ("1 giorni misurati")."""
    log = Log()
    cycle = active_quarter(log)
    response = key_result(log, cycle, objective(log, cycle), "Risposte", start=24, target=18)
    log.at(date(2027, 2, 15))
    check_in(log, cycle, response, "21", date(2027, 2, 15))
    meter = kpi(log)
    meter.record_measurement(value=85, on=date(2027, 2, 15), author="alice")
    log.save(meter)
    state = fold_all(log.records)
    kr = state.key_results[response.id]
    node = key_result_node(state, kr, today=date(2027, 2, 16))

    for language, one, days in (("en", "1 check-in;", "1 day measured;"),
                                ("it", "1 aggiornamento;", "1 giorno misurato;")):  # fmt: skip
        locale = Locale(language)
        assert one in str(kr_chart(locale, state, kr, node, date(2027, 2, 16)))
        assert days in str(kpi_chart(locale, state.kpis[meter.id], date(2027, 2, 16)))
        past = kr_chart(locale, state, kr, node, date(2027, 2, 16), as_of=True)
        assert one in str(past)


def test_a_chart_is_scaled_to_the_values_in_force_and_not_below_zero() -> None:
    """A mistyped €43,000 corrected to €1,130,000 beside €1.2M: the scale fits the values
    in force (it ran from -500k to 1.5M and flattened them), the mistyped one is not drawn
    off the plot, and no axis goes below 0 for values that cannot."""
    start = date(2026, 1, 1)
    points = [
        ChartPoint(start, Decimal(1200000), "start"),
        ChartPoint(start + timedelta(days=30), Decimal(1130000), "fixed", Decimal(43000)),
    ]
    chart = Chart(
        title="Costi", description="", window=(start, date(2026, 12, 31)), points=points,
        y_labels=lambda ticks: [str(t) for t in ticks], x_label=lambda d: d.isoformat(),
        lines=[ChartLine((start, Decimal(1200000)), (date(2026, 12, 31), Decimal(1080000)),
                         "pace")],
        today=date(2026, 2, 1),
    )  # fmt: skip
    svg = str(line_chart(chart))
    ticks = [Decimal(t) for t in re.findall(r'class="y-label"[^>]*>([^<]+)<', svg)]
    assert ticks[0] >= 1000000 and ticks[-1] <= 1300000, ticks
    assert 'class="point-original"' not in svg
    small = Chart(
        title="Reclami", description="", window=(start, date(2026, 3, 31)),
        points=[ChartPoint(start + timedelta(7 * i), Decimal(v), "") for i, v in enumerate((1, 0))],
        y_labels=lambda ticks: [str(t) for t in ticks], x_label=lambda d: d.isoformat(),
        lines=[], today=start,
    )  # fmt: skip
    for drawn in (small.points, [ChartPoint(start, Decimal(0), "0")]):  # flat: it ran from -2
        svg = str(line_chart(dataclasses.replace(small, points=drawn)))
        assert min(Decimal(t) for t in re.findall(r'class="y-label"[^>]*>([^<]+)<', svg)) == 0


def test_axes_step_in_round_numbers_and_bars_clamp() -> None:
    assert nice_step(Decimal(7)) == Decimal(2)
    assert nice_step(Decimal(120000)) == Decimal(50000)
    assert nice_step(Decimal("0.9")) == Decimal("0.25")
    assert progress_width(Decimal("1.25")) == "100.0%"
    assert progress_width(Decimal("-0.4")) == "0.0%"
    assert progress_width(Decimal("0.625")) == "62.5%"
    assert progress_width(Decimal("0.9996")) == "99.9%"  # (its aria-valuenow: not 100)
    assert 'aria-label="trend"' in str(
        sparkline([Decimal(1), Decimal(3)], css="green", label="trend")
    )


def test_cycles_are_listed_by_when_they_run() -> None:
    """Not as they were made: Q3 made after Q1 2027 lists before it; two made with one
    name are told apart by their days (the picker shows them)."""

    def cycle(name: str, start: date, end: date) -> CycleNode:
        return CycleNode(uuid4(), name, "quarter", start, end, "active", None, None, None, [])

    made = [
        cycle("Q4 2026", date(2026, 10, 1), date(2026, 12, 31)),
        cycle("Q1 2027", date(2027, 1, 1), date(2027, 3, 31)),
        cycle("Q3 2026", date(2026, 7, 1), date(2026, 9, 30)),
        cycle("FY 2026", date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert [c.name for c in by_date(made)] == ["FY 2026", "Q3 2026", "Q4 2026", "Q1 2027"]
    chosen = choose_cycle(by_date(made), None)  # the first active one as listed, not as made
    assert chosen is not None and chosen.name == "FY 2026"


def test_a_kpi_tile_s_trend_takes_each_day_s_value_once() -> None:
    """Two measurements of one day (95 recorded after a mistaken 70): the KPI's chart, its
    health and its value take the later, but the tile's trend drew both, a dip to 70 that
    the KPI never had on any day. It draws one point a day, the day's value."""
    log = Log()
    meter = kpi(log, "Soddisfazione")
    for value, on in ((85, date(2027, 1, 4)), (70, date(2027, 1, 11)), (95, date(2027, 1, 11))):
        meter.record_measurement(value=value, on=on, author="alice")
    log.save(meter)
    state = fold_all(log.records)

    (tile,) = kpi_tiles(state, kpi_board(state, today=date(2027, 1, 11)), Locale("it"))

    found = re.search(r'points="([^"]+)"', str(tile.spark))
    assert found is not None
    assert len(found[1].split()) == 2
    assert tile.node.value == 95
