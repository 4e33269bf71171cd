"""Settings read from the environment: what each variable sets, and its default."""

from __future__ import annotations

import os

import pytest

from services.settings import Settings


def test_rebuild_workers_default_to_one_per_core() -> None:
    """0 (the default): the cores this process may run on, at most 8; a negative count is
    refused, not taken for one."""
    assert Settings.from_env({}).rebuild_workers == 0
    assert Settings.from_env({}).rebuild_processes == min(len(os.sched_getaffinity(0)), 8)
    assert Settings.from_env({"OKR_REBUILD_WORKERS": "3"}).rebuild_processes == 3
    with pytest.raises(ValueError, match="OKR_REBUILD_WORKERS"):
        Settings.from_env({"OKR_REBUILD_WORKERS": "-1"})
