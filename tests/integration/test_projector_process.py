"""okr serve's projector process: it projects, tells which tenants fail, comes back when it
dies, and stops when told."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from datetime import date

import pytest
from eventsourcing.persistence import StoredEvent

from services import projector_process
from services.bootstrap import System
from services.projector.waiting import wait_for_position
from services.projector_process import ProjectorProcess
from tests.domain import a_cycle
from tests.integration.test_decode import a_tenant_with, append
from tests.integration.test_projector import (
    a_check_in,
    a_tenant_with_history,
    as_admin,
    key_result_ids,
    refusing_history_of,
)


async def until(condition: Callable[[], bool], within: float = 20.0) -> None:
    for _ in range(round(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the condition did not come true")


async def test_the_projector_process_projects_tells_its_failures_comes_back_and_stops(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child projects every tenant but one whose row does not decode, which it reports
    (for /metrics); killed, it is started again and projects what comes next; told to
    stop, it exits and nothing is reported any more."""
    monkeypatch.setattr(projector_process, "RESTART_FIRST", 0.1)
    healthy = await a_tenant_with_history(fresh, check_ins=2)
    cycle = a_cycle()
    damaged = await a_tenant_with(fresh, cycle.collect_events())
    await append(
        fresh, damaged, [StoredEvent(cycle.id, 3, "okr.Cycle.Activated", b"\xc1 not a state")]
    )
    process = ProjectorProcess(fresh.app_dsn)
    assert not process.running and process.pid is None
    process.start()
    try:
        head = await fresh.store.head(healthy)
        assert await wait_for_position(fresh.pool, healthy, head, within=20)
        await until(lambda: process.running)  # it said it listens
        await until(lambda: process.failures.get(damaged, 0) >= 1)
        assert set(process.failures) == {damaged}
        first = process.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await until(lambda: process.running and process.pid != first)
        (kr, _) = await key_result_ids(fresh, healthy)
        written = await a_check_in(fresh, healthy, kr, 81, date(2027, 2, 11))
        assert await wait_for_position(fresh.pool, healthy, written.position, within=20)
    finally:
        await process.stop(10.0)
    assert not process.running
    assert process.exit_code == 0  # it stopped when told, it was not killed
    assert process.failures == {}


async def test_a_projector_process_that_dies_once_the_server_shuts_down_is_not_started_again(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the server's signal on (`stopping`), a child that ends (a signal to every
    process of the service) stays ended: `stop` has nothing left to wait for."""
    monkeypatch.setattr(projector_process, "RESTART_FIRST", 0.05)
    process = ProjectorProcess(fresh.app_dsn)
    process.start()
    try:
        await until(lambda: process.running)
        first = process.pid
        assert first is not None
        process.stopping()
        os.kill(first, signal.SIGKILL)
        await until(lambda: not process.running)
        await asyncio.sleep(0.5)  # ten times the restart's delay
        assert not process.running and process.pid == first
        assert process.exit_code == -signal.SIGKILL
    finally:
        await process.stop(10.0)


async def test_a_projector_process_that_stops_answering_is_said_not_to_run_then_replaced(
    fresh: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child whose event loop no longer turns (stopped here; a call that never returns
    alike) projects nothing while its process lives: it was said to run for good, and
    /readyz stayed ready as its tenants fell behind. Silent for SILENT_AFTER it is said
    not to run, for UNRESPONSIVE_AFTER it is killed and another started, which projects."""
    monkeypatch.setattr(projector_process, "RESTART_FIRST", 0.1)
    monkeypatch.setattr(projector_process, "SILENT_AFTER", 3.0)
    monkeypatch.setattr(projector_process, "UNRESPONSIVE_AFTER", 6.0)
    tenant = await a_tenant_with_history(fresh, check_ins=1)
    process = ProjectorProcess(fresh.app_dsn)
    process.start()
    try:
        await until(lambda: process.running)
        first = process.pid
        assert first is not None
        await asyncio.sleep(4.0)  # unchanged, it says so again: past SILENT_AFTER, it runs
        assert process.running
        os.kill(first, signal.SIGSTOP)
        await until(lambda: not process.running)
        assert process.pid == first  # its process lives: it is said not to run all the same
        await until(lambda: process.running and process.pid != first, within=30)
        assert process.exit_code == -signal.SIGKILL
        (kr, _) = await key_result_ids(fresh, tenant)
        written = await a_check_in(fresh, tenant, kr, 64, date(2027, 2, 11))
        assert await wait_for_position(fresh.pool, tenant, written.position, within=20)
    finally:
        await process.stop(10.0)


async def test_a_tenant_whose_rows_the_database_refuses_does_not_stop_the_process_starting(
    fresh: System,
) -> None:
    """One tenant's rows that the database refuses (a CHECK on its history rows here): the
    child died at its start's catch-up, again at every restart, never said it ran, and
    readiness failed for every tenant. Now it runs, projects the others, and reports that
    tenant failing (readiness's failing_tenants)."""
    healthy, refused = [await a_tenant_with_history(fresh, check_ins=2) for _ in range(2)]
    await as_admin(fresh, refusing_history_of(refused))
    process = ProjectorProcess(fresh.app_dsn)
    process.start()
    try:
        await until(lambda: process.running and refused in process.failures)
        assert set(process.failures) == {refused}
        head = await fresh.store.head(healthy)
        assert await wait_for_position(fresh.pool, healthy, head, projection="history", within=5)
    finally:
        await process.stop(10.0)
