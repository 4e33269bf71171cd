"""Tenancy tests run on the shared per-run database, as the application role."""

from __future__ import annotations

import asyncpg
import pytest

from services.bootstrap import System


@pytest.fixture
def pool(system: System) -> asyncpg.Pool:
    """The application's pool (role okr_app), exactly what the tenancy layer is given."""
    return system.pool
