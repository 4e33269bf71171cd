"""The portfolio's order without a browser: how its columns sort."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from projections.portfolio import PortfolioRow
from services.portal.controllers.portfolio import Line, sorted_lines
from tenants.models import Tenant, TenantStatus


def a_line(name: str, at_risk: int) -> Line:
    tenant = Tenant(
        id=uuid4(), consultancy_id=uuid4(), name=name, slug=name.lower(), colour="#2563eb",
        status=TenantStatus.ACTIVE, fiscal_year_start_month=1, check_in_cadence_days=7,
        locale="it", time_zone="Europe/Rome", created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    row = PortfolioRow(
        today=date(2026, 11, 30), active_cycles=1, progress=None, key_results=at_risk,
        not_started=0, on_track=0, at_risk=at_risk, off_track=0, done=0, stale_key_results=0,
        kpis=0, kpis_red=0, kpis_amber=0, kpis_stale=0, last_activity=None, last_position=0,
    )  # fmt: skip
    return Line(tenant, row)


def names(lines: list[Line]) -> list[str]:
    return [line.tenant.name for line in lines]


def test_clients_of_the_same_count_stay_in_alphabetical_order_either_way() -> None:
    """A consultant who sorts by the most at risk first reads the ties from A to Z, as in
    the other direction: reversing the column must not reverse the names within a tie."""
    lines = [a_line(n, r) for n, r in [("Beta", 0), ("Zeta", 2), ("Alfa", 0), ("Delta", 2)]]

    assert names(sorted_lines(lines, "at_risk", descending=True)) == [
        "Delta", "Zeta", "Alfa", "Beta",
    ]  # fmt: skip
    assert names(sorted_lines(lines, "at_risk", descending=False)) == [
        "Alfa", "Beta", "Delta", "Zeta",
    ]  # fmt: skip
    assert names(sorted_lines(lines, "name", descending=True)) == [
        "Zeta", "Delta", "Beta", "Alfa",
    ]  # fmt: skip
