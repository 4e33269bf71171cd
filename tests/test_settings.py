"""Settings read from the environment: what each variable sets, and its default."""

from __future__ import annotations

import os

from services.settings import Settings


def test_rebuild_workers_default_to_one_per_core() -> None:
    assert Settings.from_env({}).rebuild_workers == 0
    assert Settings.from_env({}).rebuild_processes == (os.cpu_count() or 1)
    assert Settings.from_env({"OKR_REBUILD_WORKERS": "3"}).rebuild_processes == 3
