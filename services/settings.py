"""Settings as data: one frozen dataclass read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything the running system can be told from outside."""

    database_url: str | None = None
    """Admin connection (owner of the schema, runs migrations). None: the embedded server."""
    app_database_url: str | None = None
    """The application's own login (role okr_app). None: derived from database_url."""
    app_db_password: str | None = None
    """Password set on role okr_app by `okr migrate` and used by the app, when the server asks."""
    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / ".okr" / "pg")
    """Data folder of the embedded server."""
    snapshot_every: int = 50
    """Take a snapshot of a stream each time its version crosses a multiple of this."""
    notify: bool = True
    """NOTIFY okr_events on every append so projectors wake at once."""
    pool_min: int = 2
    """Smallest size of the application's connection pool."""
    pool_max: int = 20
    """Largest size of the application's connection pool."""
    projector_batch: int = 500
    """Events a projector folds per transaction."""
    projector_poll: float = 1.0
    """Seconds between the projector's safety-net polls (NOTIFY wakes it sooner)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read OKR_* variables (and DATABASE_URL) from the environment."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            app_database_url=env.get("OKR_APP_DATABASE_URL") or None,
            app_db_password=env.get("OKR_APP_DB_PASSWORD") or None,
            data_dir=Path(env.get("OKR_DATA_DIR", str(defaults.data_dir))),
            snapshot_every=int(env.get("OKR_SNAPSHOT_EVERY", defaults.snapshot_every)),
            notify=env.get("OKR_NOTIFY", "1") not in ("0", "false", "no"),
            pool_min=int(env.get("OKR_POOL_MIN", defaults.pool_min)),
            pool_max=int(env.get("OKR_POOL_MAX", defaults.pool_max)),
            projector_batch=int(env.get("OKR_PROJECTOR_BATCH", defaults.projector_batch)),
            projector_poll=float(env.get("OKR_PROJECTOR_POLL", defaults.projector_poll)),
        )
