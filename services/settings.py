"""Settings as data: one frozen dataclass read from the environment."""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from tenants import validation as valid
from tenants.errors import TenancyError
from tenants.tokens import MIN_SECRET_BYTES

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


A_YEAR_HOURS = 24 * 366
"""The longest a lifetime setting (a session, a token, an idempotency key) may be."""
MOST_BATCH = 1_000_000
"""The most events OKR_PROJECTOR_BATCH may ask of a tenant in one pass: one past a bigint
failed every pass of every tenant ('value out of int64 range'), for as long as it ran."""
A_DAY_SECONDS = 24 * 3600
"""The longest OKR_DB_TIMEOUT_SECONDS may be (0 is none at all)."""
MIN_METRICS_TOKEN = 16
MAX_PORT = 65535


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
    snapshot_every: int = 10
    """Take a snapshot of a stream each time its version crosses a multiple of this: a load
    replays at most this many events less one (a check-in loads its key result and cycle)."""
    notify: bool = True
    """NOTIFY okr_events on every append so projectors wake at once."""
    pool_min: int = 2
    """Smallest size of the application's connection pool."""
    pool_max: int = 20
    """Largest size of the application's connection pool."""
    jwt_secret: str | None = None
    """HMAC key of access tokens (OKR_JWT_SECRET, 32+ bytes). None: `okr serve` makes one for
    the embedded dev mode and keeps it under .okr/; with DATABASE_URL it must be set."""
    access_token_minutes: int = 15
    """Lifetime of an access token."""
    refresh_token_days: int = 30
    """Lifetime of a refresh token."""
    refresh_reuse_seconds: int = 30
    """How long a client whose refresh answer was lost may retry with the same token (see
    tenants.tokens.refresh_tokens); 0: a reuse always revokes the family."""
    max_body_bytes: int = 1_048_576
    """Largest request body the API accepts (a bigger one answers 413)."""
    idempotency_ttl_hours: int = 24
    """How long an Idempotency-Key and its first response are kept for retries."""
    db_timeout_seconds: float = 10.0
    """How long a statement of a request or a projector's pass may go unanswered by the
    database (OKR_DB_TIMEOUT_SECONDS; 0: for ever), and a new connection take to open. Past
    it the statement fails as a lost connection (503 with Retry-After); the connection is
    dropped unless the server acknowledges the cancel within as long again."""
    read_wait_seconds: float = 2.0
    """How long a read with min_position waits for the read model before answering 503."""
    ready_max_lag: int = 10_000
    """/readyz fails when a tenant's read model is more events than this behind its log."""
    admin_email: str | None = None
    """Platform admin created on an empty database (OKR_ADMIN_EMAIL)."""
    admin_password: str | None = None
    """Password of that platform admin (OKR_ADMIN_PASSWORD)."""
    projector_batch: int = 500
    """Events a projector folds of one tenant in one pass, at most (a pass, one transaction,
    carries up to 100 tenants)."""
    projector_poll: float = 1.0
    """Seconds between the projector's safety-net polls (NOTIFY wakes it sooner)."""
    projector_tenants_kept: int = 2_500
    """Tenants whose fold states a projector keeps in memory between passes, the least
    recently projected going first; one it no longer keeps starts again from its latest
    checkpoint. About 1 MB a tenant of 1,000 events: the bench's projector, keeping all of
    its 1,000 such tenants, peaks at 1.2 GB. 0 keeps none."""
    rebuild_workers: int = 0
    """Processes a full `okr projections rebuild` folds in (0: one per core this process
    may run on, at most 8; each takes two database connections)."""
    session_hours: float = 12.0
    """A portal session ends this long after sign-in (OKR_SESSION_HOURS)."""
    secure_cookies: bool = False
    """The portal's cookies go over HTTPS only, whatever a request came over
    (OKR_SECURE_COOKIES: set it behind a proxy that terminates TLS and does not say so;
    an answer to a request that came over HTTPS sets them Secure anyway)."""

    forwarded_allow_ips: str = "127.0.0.1,::1"
    """The proxies whose X-Forwarded-For and -Proto `okr serve` believes (FORWARDED_ALLOW_IPS,
    uvicorn's own: addresses or networks, comma-separated, or `*` for any)."""

    metrics_token: str | None = None
    """Bearer token /metrics asks for (OKR_METRICS_TOKEN): with it, the figures of each
    tenant; None: /metrics answers anyone, with figures over all tenants only."""

    def __post_init__(self) -> None:
        """Each number within what it can mean, and a JWT secret long enough to sign with, or a
        ValueError naming its variable before anything starts (a batch of 0 events, or a poll
        every 0 s, spun a core doing nothing)."""
        at_least = (
            ("OKR_SNAPSHOT_EVERY", self.snapshot_every, 0, "0 (never) or more"),
            ("OKR_POOL_MIN", self.pool_min, 0, "0 or more"),
            (
                "OKR_POOL_MAX",
                self.pool_max,
                max(self.pool_min, 1),
                "1 or more, and OKR_POOL_MIN at most",
            ),
            ("OKR_MAX_BODY_BYTES", self.max_body_bytes, 1, "1 or more"),
            ("OKR_IDEMPOTENCY_TTL_HOURS", self.idempotency_ttl_hours, 1, "1 or more"),
            ("OKR_READY_MAX_LAG", self.ready_max_lag, 0, "0 or more"),
            ("OKR_ACCESS_TOKEN_MINUTES", self.access_token_minutes, 1, "1 or more"),
            ("OKR_REFRESH_TOKEN_DAYS", self.refresh_token_days, 1, "1 or more"),
            ("OKR_REFRESH_REUSE_SECONDS", self.refresh_reuse_seconds, 0, "0 or more"),
            ("OKR_PROJECTOR_BATCH", self.projector_batch, 1, "1 or more"),
            ("OKR_PROJECTOR_TENANTS_KEPT", self.projector_tenants_kept, 0, "0 or more"),
            ("OKR_REBUILD_WORKERS", self.rebuild_workers, 0, "0 (one per core) or more"),
        )
        for name, value, least, what in at_least:
            if value < least:
                raise ValueError(f"{name}: expected {what}, not {value}")
        seconds = (
            ("OKR_PROJECTOR_POLL", self.projector_poll, False, "a number of seconds above 0"),
            (
                "OKR_READ_WAIT_SECONDS",
                self.read_wait_seconds,
                True,
                "a number of seconds, 0 or more",
            ),
            ("OKR_SESSION_HOURS", self.session_hours, False, "a number of hours above 0"),
            (
                "OKR_DB_TIMEOUT_SECONDS",
                self.db_timeout_seconds,
                True,
                "a number of seconds, 0 (none) or more",
            ),
        )
        for name, amount, zero, what in seconds:
            if not (math.isfinite(amount) and (amount > 0 or (zero and amount == 0))):
                raise ValueError(f"{name}: expected {what}, not {amount}")
        secret_bytes = len((self.jwt_secret or "").encode())
        if 0 < secret_bytes < MIN_SECRET_BYTES:  # else `okr serve` migrated, then failed
            raise ValueError(
                f"OKR_JWT_SECRET: expected {MIN_SECRET_BYTES} bytes or more, not {secret_bytes}"
            )
        if self.metrics_token is not None and len(self.metrics_token.encode()) < MIN_METRICS_TOKEN:
            raise ValueError(
                f"OKR_METRICS_TOKEN: expected {MIN_METRICS_TOKEN} bytes or more, not"
                f" {len(self.metrics_token.encode())}"
            )
        year = "a year"  # beyond it, an expiry soon overflows the last datetime (a 500 a
        # sign-in); beyond a day, a statement's bound made an idle limit (three times it, in
        # ms) past the server's integer: every connection refused, on a traceback; see
        # MOST_BATCH
        at_most = (
            ("OKR_SESSION_HOURS", self.session_hours, A_YEAR_HOURS, year),
            ("OKR_ACCESS_TOKEN_MINUTES", self.access_token_minutes, A_YEAR_HOURS * 60, year),
            ("OKR_REFRESH_TOKEN_DAYS", self.refresh_token_days, A_YEAR_HOURS // 24, year),
            ("OKR_REFRESH_REUSE_SECONDS", self.refresh_reuse_seconds, A_YEAR_HOURS * 3600, year),
            ("OKR_IDEMPOTENCY_TTL_HOURS", self.idempotency_ttl_hours, A_YEAR_HOURS, year),
            ("OKR_DB_TIMEOUT_SECONDS", self.db_timeout_seconds, A_DAY_SECONDS, "a day; 0: none"),
            ("OKR_PROJECTOR_BATCH", self.projector_batch, MOST_BATCH, "a million events"),
        )
        for name, amount, most, what in at_most:
            if amount > most:
                raise ValueError(f"{name}: expected at most {most} ({what}), not {amount}")

        for name, url in (
            ("DATABASE_URL", self.database_url),
            ("OKR_APP_DATABASE_URL", self.app_database_url),
        ):  # the URL is not repeated: it may hold a password
            if url is not None and (wrong := _url_problem(url)):
                raise ValueError(f"{name}: expected {wrong}")
        if wrong := _proxies_problem(self.trusted_proxies):
            raise ValueError(f"FORWARDED_ALLOW_IPS: expected {wrong}")
        self._check_platform_admin()

    def _check_platform_admin(self) -> None:
        """OKR_ADMIN_EMAIL and OKR_ADMIN_PASSWORD both or neither, each one `okr serve` can
        make an account with (else it stopped on a traceback after migrating, or made none)."""
        email, password = "OKR_ADMIN_EMAIL", "OKR_ADMIN_PASSWORD"
        if self.admin_email and not self.admin_password:
            raise ValueError(f"{password}: expected with {email}, to make the platform admin")
        if self.admin_password and not self.admin_email:
            raise ValueError(f"{email}: expected with {password}, to make the platform admin")
        for name, given, rule in (
            (email, self.admin_email, valid.email),
            (password, self.admin_password, valid.password),
        ):
            try:
                if given:
                    rule(given)
            except TenancyError as error:
                raise ValueError(f"{name}: {error.message}") from None

    @property
    def trusted_proxies(self) -> list[str]:
        """forwarded_allow_ips as uvicorn takes it: its items, trimmed (" * " was no `*`)."""
        text = self.forwarded_allow_ips
        return [item.strip() for item in text.split(",")] if text.strip() else []

    @property
    def db_timeout(self) -> float | None:
        """db_timeout_seconds as asyncpg takes it: None for none (0)."""
        return self.db_timeout_seconds or None

    @property
    def rebuild_processes(self) -> int:
        """rebuild_workers, with 0 read as the cores this process may run on (at most 8)."""
        return self.rebuild_workers or min(len(os.sched_getaffinity(0)), 8)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read OKR_* variables (and DATABASE_URL) from the environment."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            app_database_url=env.get("OKR_APP_DATABASE_URL") or None,
            app_db_password=env.get("OKR_APP_DB_PASSWORD") or None,
            data_dir=_parsed(env, "OKR_DATA_DIR", defaults.data_dir, _folder, "a folder"),
            snapshot_every=_whole(env, "OKR_SNAPSHOT_EVERY", defaults.snapshot_every),
            notify=_switch(env, "OKR_NOTIFY", defaults.notify),
            pool_min=_whole(env, "OKR_POOL_MIN", defaults.pool_min),
            pool_max=_whole(env, "OKR_POOL_MAX", defaults.pool_max),
            projector_batch=_whole(env, "OKR_PROJECTOR_BATCH", defaults.projector_batch),
            projector_poll=_number(env, "OKR_PROJECTOR_POLL", defaults.projector_poll),
            projector_tenants_kept=_whole(
                env, "OKR_PROJECTOR_TENANTS_KEPT", defaults.projector_tenants_kept
            ),
            rebuild_workers=_whole(env, "OKR_REBUILD_WORKERS", defaults.rebuild_workers),
            jwt_secret=env.get("OKR_JWT_SECRET") or None,
            access_token_minutes=_whole(
                env, "OKR_ACCESS_TOKEN_MINUTES", defaults.access_token_minutes
            ),
            refresh_token_days=_whole(env, "OKR_REFRESH_TOKEN_DAYS", defaults.refresh_token_days),
            refresh_reuse_seconds=_whole(
                env, "OKR_REFRESH_REUSE_SECONDS", defaults.refresh_reuse_seconds
            ),
            max_body_bytes=_whole(env, "OKR_MAX_BODY_BYTES", defaults.max_body_bytes),
            idempotency_ttl_hours=_whole(
                env, "OKR_IDEMPOTENCY_TTL_HOURS", defaults.idempotency_ttl_hours
            ),
            read_wait_seconds=_number(env, "OKR_READ_WAIT_SECONDS", defaults.read_wait_seconds),
            db_timeout_seconds=_number(env, "OKR_DB_TIMEOUT_SECONDS", defaults.db_timeout_seconds),
            ready_max_lag=_whole(env, "OKR_READY_MAX_LAG", defaults.ready_max_lag),
            session_hours=_number(env, "OKR_SESSION_HOURS", defaults.session_hours),
            secure_cookies=_switch(env, "OKR_SECURE_COOKIES", defaults.secure_cookies),
            metrics_token=env.get("OKR_METRICS_TOKEN") or None,
            forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS", defaults.forwarded_allow_ips),
            admin_email=env.get("OKR_ADMIN_EMAIL") or None,
            admin_password=env.get("OKR_ADMIN_PASSWORD") or None,
        )


def _url_problem(url: str) -> str | None:
    """What a database URL is not that it must be, or None: a postgresql:// URL whose ports
    (after each host, or its `port=`) are each 1 to 65535, as asyncpg reads them; a port of
    letters stopped every command on asyncpg's traceback, naming no variable."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a host's [ without its ]
        parts = None
    if parts is None or parts.scheme not in ("postgresql", "postgres"):
        return "a postgresql:// URL, as postgresql://user@host:5432/okr"
    hosts = parts.netloc.rpartition("@")[2].split(",")
    ports = [host.rpartition("]")[2].partition(":")[2] for host in hosts]
    for given in parse_qs(parts.query).get("port", []):
        ports += given.split(",")
    for port in filter(None, map(unquote, ports)):
        if not (port.isascii() and port.isdigit() and 1 <= int(port) <= MAX_PORT):
            return f"each port of its hosts to be a number from 1 to {MAX_PORT}"
    return None


def _proxies_problem(items: list[str]) -> str | None:
    """What FORWARDED_ALLOW_IPS is not that it must be, or None: uvicorn takes an item that
    is no address or network (10.0.0.0/33, 10.0.0.1/8, a name, a `*` among others) for a
    literal no client ever is, so a typo left every client the proxy's address, silently."""
    if items == ["*"]:
        return None
    for item in items:
        try:
            ipaddress.ip_network(item) if "/" in item else ipaddress.ip_address(item)
        except ValueError:
            return (
                f"addresses or networks (as 10.0.0.0/8), comma-separated, or * alone, not {item!r}"
            )
    return None


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    return _parsed(env, name, default, lambda text: int(_written(text, _WHOLE)), "a whole number")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    return _parsed(env, name, default, lambda text: float(_written(text, _NUMBER)), "a number")


_WHOLE = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


def _written(text: str, pattern: re.Pattern[str]) -> str:
    """`text` if it is a number as people write one in a configuration (ASCII digits, a
    point, an exponent; spaces around it cut): int() and float() also took "1_0" for 10,
    other scripts' digits, "inf" and "nan"."""
    if not pattern.fullmatch(text.strip()):
        raise ValueError(text)
    return text.strip()


def _folder(text: str) -> Path:
    """A folder named; a blank one is refused, not taken for the current one (Path(""))."""
    if not text.strip():
        raise ValueError(text)
    return Path(text)


SWITCH = {"1": True, "true": True, "yes": True, "on": True}
SWITCH |= {"0": False, "false": False, "no": False, "off": False}


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """On or off, in any case; a word it does not know is refused, not taken for either."""
    return _parsed(env, name, default, lambda text: SWITCH[text.lower()], "1 or 0 (or true/false)")


def _parsed(
    env: Mapping[str, str], name: str, default: T, kind: Callable[[str], T], what: str
) -> T:
    """The variable read as `kind`, or the default when unset; a ValueError naming it."""
    text = env.get(name)
    if text is None:
        return default
    try:
        return kind(text)
    except (ValueError, KeyError):
        raise ValueError(f"{name}: expected {what}, not {text!r}") from None
