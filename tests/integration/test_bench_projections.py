"""The projections benchmark runs end to end in a tiny mode and reports every figure
(speed unchecked)."""

from __future__ import annotations

import os

import asyncpg

from services.bench.harness import bench_databases
from services.bench.projections import Config, bench_projections, checkpoint
from services.bootstrap import System
from services.settings import Settings

TINY = Config(
    tenants=4,
    events=1_600,
    big_tenant_events=700,
    lag_seconds=0.5,
    lag_warmup_seconds=0.25,
    lag_rate=40.0,
    as_of_runs=2,
    load_concurrency=2,
    events_per_append=100,
    pool_size=4,
)

NUMBERS = [
    "tenants",
    "events",
    "events_per_append",
    "load_seconds",
    "load_eps",
    "rebuild_seconds",
    "rebuild_eps",
    "raw_read_seconds",
    "raw_read_eps",
    "ratio_rebuild_vs_raw_read",
    "rebuild_workers",
    "projector_batch",
    "lag_rate_eps",
    "lag_seconds",
    "lag_warmup_seconds",
    *(
        f"{deployment}_{figure}"
        for deployment in ("lag", "lag_in_process")
        for figure in ("write_eps", "warmup_ms_p99", "ms_p50", "ms_p99", "ms_max", "samples")
    ),
    "projector_peak_rss_mb",
    "as_of_events",
    "as_of_ms",
    "as_of_again_ms",
    "as_of_nearby_ms",
    "diff_ms",
    "as_of_runs",
]
RATES_KEPT = {"lag_rate_kept", "lag_in_process_rate_kept"}
"""Whether the writers kept the lag's rate (a machine too slow for it: the lag is a backlog)."""
TARGETS = {
    "ratio_rebuild_vs_raw_read_0_3",
    "lag_p99_under_100ms",
    "as_of_under_250ms",
}


async def may_checkpoint(dsn: str) -> bool:
    """Whether this login may run CHECKPOINT (a superuser, or a member of pg_checkpoint)."""
    conn = await asyncpg.connect(dsn)
    try:
        return bool(
            await conn.fetchval(
                "SELECT rolsuper OR pg_has_role(current_user, 'pg_checkpoint', 'MEMBER')"
                " FROM pg_roles WHERE rolname = current_user"
            )
        )
    finally:
        await conn.close()


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


async def test_projections_benchmark_reports_every_figure_and_drops_its_database(
    server_dsn: str,
) -> None:
    """Both lags are measured: the projector as `okr serve` runs it (a task of the process
    that writes) and as `okr project` does (a process of its own, whose memory it reports:
    more than an interpreter's few MB)."""
    before = await bench_databases(server_dsn)
    kind = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"

    result = await bench_projections(server_dsn, Settings(), TINY, server_kind=kind)

    assert await bench_databases(server_dsn) <= before
    assert set(result) == {
        *NUMBERS, *RATES_KEPT, "machine", "quick", "projector", "lag_from_checkpoint", "targets"
    }  # fmt: skip
    assert all(isinstance(result[name], bool) for name in RATES_KEPT)
    assert result["lag_from_checkpoint"] is await may_checkpoint(server_dsn)
    assert result["quick"] is False
    assert set(result["projector"]) == {"lag", "lag_in_process"}
    assert result["machine"]["server"] == kind
    assert positive(result["machine"]["cpu_count"])
    assert result["machine"]["python"] and result["machine"]["postgres"]
    assert all(positive(result[name]) for name in NUMBERS), result
    assert result["tenants"] == TINY.tenants
    assert result["events"] == TINY.events
    assert result["as_of_events"] == TINY.big_tenant_events
    written = round(TINY.lag_rate * TINY.lag_seconds)
    assert result["lag_samples"] == result["lag_in_process_samples"] == written
    assert result["projector_peak_rss_mb"] > 20
    assert set(result["targets"]) == TARGETS
    assert all(isinstance(v, bool) for v in result["targets"].values())


async def test_the_checkpoint_before_the_lag_is_skipped_where_the_login_may_not(
    system: System,
) -> None:
    """The application role may not CHECKPOINT: the bench says so and goes on."""
    assert await checkpoint(system.app_dsn) is False
