"""The API benchmark runs end to end in a tiny mode: a real `okr serve` subprocess on a bench
database, driven over HTTP, reports every figure (speed unchecked) and drops its database."""

from __future__ import annotations

import os

from services.bench.api import Config, bench_api
from services.bench.harness import bench_databases
from services.settings import Settings

TINY = Config(tenants=3, seconds=0.5, key_results_per_tenant=2, concurrency=4, load_concurrency=2)

NUMBERS = [
    "tenants",
    "key_results",
    "load_seconds",
    "concurrency",
    "seconds_per_phase",
    "checkin_requests",
    "checkin_rps",
    "checkin_ms_p50",
    "checkin_ms_p99",
    "projector_catch_up_seconds",
    "store_checkins_per_s",
    "ratio_checkin_vs_store",
    "progress_rps",
    "progress_ms_p50",
    "progress_ms_p99",
    "hello_rps",
    "hello_ms_p50",
    "hello_ms_p99",
    "ratio_progress_vs_hello",
    "client_ceiling_rps",
]
ERRORS = ["checkin_errors", "progress_errors", "hello_errors"]
TEXTS = ["note", "principal", "hello_route"]
CPU = {
    "server_per_checkin",
    "client_per_checkin",
    "store_per_checkin",
    "server_projecting_per_store_checkin",
    "server_per_progress",
    "client_per_progress",
    "server_per_hello",
    "client_per_hello",
    "client_per_ceiling_request",
}
TARGETS = {"ratio_checkin_vs_store_0_5", "ratio_progress_vs_hello_0_5", "checkin_p99_under_50ms"}


def positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


async def test_api_benchmark_reports_every_figure_and_drops_its_database(
    server_dsn: str,
) -> None:
    before = await bench_databases(server_dsn)
    kind = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"

    result = await bench_api(server_dsn, Settings(), TINY, server_kind=kind)

    assert await bench_databases(server_dsn) <= before
    assert set(result) == {
        *NUMBERS,
        *ERRORS,
        *TEXTS,
        "machine",
        "quick",
        "server",
        "cpu_ms_per_op",
        "targets",
    }
    assert result["quick"] is False
    assert all(positive(result[name]) for name in NUMBERS), result
    assert all(result[name] == 0 for name in ERRORS), result
    assert all(isinstance(result[name], str) and result[name] for name in TEXTS), result
    assert result["tenants"] == TINY.tenants
    assert result["key_results"] == TINY.tenants * TINY.key_results_per_tenant
    assert result["concurrency"] == TINY.concurrency
    assert result["machine"]["server"] == kind
    assert positive(result["machine"]["cpu_count"])
    assert result["machine"]["load_average_1m_before"] >= 0
    assert result["machine"]["python"] and result["machine"]["postgres"]
    cpu = result["cpu_ms_per_op"]
    assert set(cpu) == CPU, cpu
    assert all(isinstance(v, float) and v >= 0 for v in cpu.values()), cpu  # /proc: 10 ms ticks
    assert all(positive(cpu[name]) for name in cpu if "client" in name or "store" in name), cpu
    assert result["server"]["projector"] == "child process"
    assert result["server"]["pool"] == TINY.concurrency
    assert set(result["targets"]) == TARGETS
    assert all(isinstance(v, bool) for v in result["targets"].values())
