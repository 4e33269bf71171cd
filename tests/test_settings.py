"""Settings read from the environment: what each variable sets, and its default."""

from __future__ import annotations

import os
import re
from pathlib import Path

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


def test_the_tenants_a_projector_keeps_are_a_setting() -> None:
    """2,500 unless OKR_PROJECTOR_TENANTS_KEPT says otherwise; 0 keeps none, below is refused."""
    assert Settings.from_env({}).projector_tenants_kept == 2_500
    assert Settings.from_env({"OKR_PROJECTOR_TENANTS_KEPT": "0"}).projector_tenants_kept == 0
    with pytest.raises(ValueError, match="OKR_PROJECTOR_TENANTS_KEPT: expected 0 or more"):
        Settings.from_env({"OKR_PROJECTOR_TENANTS_KEPT": "-5"})


@pytest.mark.parametrize(
    ("name", "bad"),
    [("OKR_PROJECTOR_BATCH", "0"), ("OKR_PROJECTOR_BATCH", "-5"), ("OKR_PROJECTOR_POLL", "0"),
     ("OKR_PROJECTOR_POLL", "-1"), ("OKR_PROJECTOR_POLL", "nan"), ("OKR_PROJECTOR_POLL", "inf"),
     ("OKR_READ_WAIT_SECONDS", "-1"), ("OKR_READ_WAIT_SECONDS", "nan"), ("OKR_POOL_MAX", "0"),
     ("OKR_SNAPSHOT_EVERY", "-1"), ("OKR_MAX_BODY_BYTES", "0"), ("OKR_READY_MAX_LAG", "-1"),
     ("OKR_IDEMPOTENCY_TTL_HOURS", "0"), ("OKR_ACCESS_TOKEN_MINUTES", "-5"),
     ("OKR_REFRESH_TOKEN_DAYS", "0"), ("OKR_REFRESH_REUSE_SECONDS", "-1"),
     ("OKR_SESSION_HOURS", "1e300"),
     ("OKR_DB_TIMEOUT_SECONDS", "-1"), ("OKR_DB_TIMEOUT_SECONDS", "inf")],
)  # fmt: skip
def test_a_number_that_cannot_mean_anything_is_refused_by_name(name: str, bad: str) -> None:
    """A batch of 0 events or a poll every 0 s spun a core and applied nothing: each
    setting is refused, naming its variable, before anything starts."""
    with pytest.raises(ValueError, match=f"^{name}: expected "):
        Settings.from_env({name: bad})


@pytest.mark.parametrize(
    ("name", "text"),
    [("OKR_POOL_MAX", "1_0"), ("OKR_PROJECTOR_BATCH", "\u0665\u0660\u0660"),
     ("OKR_PROJECTOR_POLL", "1_0.5"), ("OKR_PROJECTOR_POLL", "0x10"), ("OKR_POOL_MAX", "+5"),
     ("OKR_POOL_MAX", "5.0"), ("OKR_SNAPSHOT_EVERY", "")],
)  # fmt: skip
def test_a_number_not_written_as_people_write_one_is_refused_by_name(name: str, text: str) -> None:
    """int() took "1_0" for 10 and Arabic-Indic digits for 500: a setting is ASCII digits
    (with a point and an exponent where it may have a fraction), spaces around it cut."""
    with pytest.raises(ValueError, match=f"^{name}: expected "):
        Settings.from_env({name: text})


def test_numbers_are_read_as_written_spaces_around_them_cut() -> None:
    settings = Settings.from_env(
        {"OKR_POOL_MAX": " 30 ", "OKR_PROJECTOR_POLL": ".5", "OKR_READ_WAIT_SECONDS": "2e1"}
    )
    assert (settings.pool_max, settings.projector_poll, settings.read_wait_seconds) == (
        30, 0.5, 20.0,
    )  # fmt: skip


def test_the_pool_may_not_be_smaller_than_its_minimum() -> None:
    with pytest.raises(ValueError, match="OKR_POOL_MAX: expected 1 or more, and OKR_POOL_MIN"):
        Settings.from_env({"OKR_POOL_MIN": "5", "OKR_POOL_MAX": "3"})
    assert Settings.from_env({"OKR_READ_WAIT_SECONDS": "0"}).read_wait_seconds == 0


def test_the_portal_session_settings_are_read_with_the_others() -> None:
    """OKR_SESSION_HOURS and OKR_SECURE_COOKIES: read with every other setting, so a bad
    value is refused before anything starts (0, a negative or an endless session too)."""
    assert (Settings.from_env({}).session_hours, Settings.from_env({}).secure_cookies) == (
        12.0,
        False,
    )
    chosen = Settings.from_env({"OKR_SESSION_HOURS": "1.5", "OKR_SECURE_COOKIES": "true"})
    assert (chosen.session_hours, chosen.secure_cookies) == (1.5, True)
    for bad in ("0", "-2", "inf", "nan"):
        with pytest.raises(ValueError, match="OKR_SESSION_HOURS"):
            Settings.from_env({"OKR_SESSION_HOURS": bad})


def test_a_jwt_secret_too_short_to_sign_with_is_refused_by_name() -> None:
    """A secret under 32 bytes was taken: `okr serve` migrated the database, then stopped on
    a traceback ('token secret must be at least 32 bytes') naming no variable."""
    with pytest.raises(ValueError, match="OKR_JWT_SECRET: expected 32 bytes or more, not 5"):
        Settings.from_env({"DATABASE_URL": "postgresql://h/okr", "OKR_JWT_SECRET": "short"})
    assert Settings.from_env({"OKR_JWT_SECRET": "s" * 32}).jwt_secret == "s" * 32
    assert Settings.from_env({}).jwt_secret is None  # the embedded mode makes its own


def test_the_database_timeout_is_a_setting_and_0_means_none() -> None:
    """A statement left unanswered fails after OKR_DB_TIMEOUT_SECONDS (10 by default); 0
    keeps the old wait for ever, which asyncpg takes as None."""
    assert Settings().db_timeout == 10.0
    assert Settings.from_env({"OKR_DB_TIMEOUT_SECONDS": "2.5"}).db_timeout == 2.5
    assert Settings.from_env({"OKR_DB_TIMEOUT_SECONDS": "0"}).db_timeout is None


def test_a_database_timeout_beyond_a_day_is_refused_by_name() -> None:
    """OKR_DB_TIMEOUT_SECONDS=1000000 was taken, and the idle limit of a session (three
    times it, in milliseconds) went past the server's integer: every command and `okr
    serve` then stopped on a traceback from the server ('Value exceeds integer range').
    A day is the most (0 waits for ever)."""
    assert Settings.from_env({"OKR_DB_TIMEOUT_SECONDS": "86400"}).db_timeout == 86400
    for past in ("86401", "1000000", "1e300"):
        with pytest.raises(
            ValueError, match=r"^OKR_DB_TIMEOUT_SECONDS: expected at most 86400 \(a day; 0: none\)"
        ):
            Settings.from_env({"OKR_DB_TIMEOUT_SECONDS": past})


@pytest.mark.parametrize("name", ["OKR_NOTIFY", "OKR_SECURE_COOKIES"])
def test_a_switch_is_on_or_off_and_anything_else_is_refused_by_name(name: str) -> None:
    """OKR_SECURE_COOKIES=on left the cookies going over plain HTTP, and OKR_NOTIFY=off left
    the NOTIFY on: a word the switch did not know was taken for its default, silently."""
    for on in ("1", "true", "Yes", "ON"):
        assert getattr(Settings.from_env({name: on}), name.removeprefix("OKR_").lower())
    for off in ("0", "false", "No", "off"):
        assert not getattr(Settings.from_env({name: off}), name.removeprefix("OKR_").lower())
    for bad in ("", "maybe", "2", "enabled"):
        with pytest.raises(ValueError, match=f"^{name}: expected 1 or 0 .*, not {bad!r}$"):
            Settings.from_env({name: bad})


@pytest.mark.parametrize(
    ("name", "most"),
    [("OKR_ACCESS_TOKEN_MINUTES", 60 * 24 * 366), ("OKR_REFRESH_TOKEN_DAYS", 366),
     ("OKR_REFRESH_REUSE_SECONDS", 3600 * 24 * 366), ("OKR_IDEMPOTENCY_TTL_HOURS", 24 * 366)],
)  # fmt: skip
def test_a_lifetime_beyond_a_year_is_refused_by_name(name: str, most: int) -> None:
    """OKR_ACCESS_TOKEN_MINUTES=999999999999 was taken, and every sign-in then answered 500
    (its expiry past the last datetime); larger still, `okr serve` stopped on a traceback.
    A lifetime is a year at most, as a portal session's."""
    assert Settings.from_env({name: str(most)})
    with pytest.raises(ValueError, match=f"^{name}: expected at most {most} \\(a year\\), not"):
        Settings.from_env({name: str(most + 1)})
    with pytest.raises(ValueError, match=f"^{name}: expected at most {most} "):
        Settings.from_env({name: "999999999999999999"})


def test_the_platform_admin_to_make_is_both_a_valid_email_and_password_or_neither() -> None:
    """OKR_ADMIN_EMAIL=notanemail (or a password of 5 characters) stopped `okr serve` on a
    traceback after it had migrated, and one without the other made no admin and said
    nothing: each is now refused by name before anything starts."""
    good = {"OKR_ADMIN_EMAIL": "ops@example.com", "OKR_ADMIN_PASSWORD": "a long passphrase"}
    assert Settings.from_env(good).admin_email == "ops@example.com"
    refused = (
        ({"OKR_ADMIN_EMAIL": "notanemail"}, "OKR_ADMIN_EMAIL: not an email address: 'notanemail'"),
        ({"OKR_ADMIN_PASSWORD": "short"}, "OKR_ADMIN_PASSWORD: password must be 12 to 1024"),
        ({"OKR_ADMIN_PASSWORD": ""}, "OKR_ADMIN_PASSWORD: expected with OKR_ADMIN_EMAIL"),
        ({"OKR_ADMIN_EMAIL": ""}, "OKR_ADMIN_EMAIL: expected with OKR_ADMIN_PASSWORD"),
    )
    for change, said in refused:
        with pytest.raises(ValueError, match=f"^{re.escape(said)}"):
            Settings.from_env(good | change)


def test_an_empty_data_folder_is_refused_not_taken_for_the_current_one() -> None:
    """OKR_DATA_DIR= (set, empty) was Path(""), the folder the command ran in: the embedded
    server would make its data folder of the project itself, and, run as root, hand every
    file under it to the OS user that runs PostgreSQL."""
    assert Settings.from_env({"OKR_DATA_DIR": "/srv/okr/pg"}).data_dir == Path("/srv/okr/pg")
    for blank in ("", "  "):
        with pytest.raises(ValueError, match=f"^OKR_DATA_DIR: expected a folder, not {blank!r}$"):
            Settings.from_env({"OKR_DATA_DIR": blank})


@pytest.mark.parametrize("name", ["DATABASE_URL", "OKR_APP_DATABASE_URL"])
def test_a_database_url_of_another_scheme_is_refused_naming_its_variable(name: str) -> None:
    """OKR_APP_DATABASE_URL=postgresq://… said only "the database is out of reach: invalid
    DSN", as a wrong DATABASE_URL did, after `okr serve` had migrated through the other:
    which of the two was wrong was left to guess. The URL is not repeated (it may hold a
    password)."""
    assert Settings.from_env({name: "postgres://okr:pw@db:5432/okr"})
    for wrong in ("postgresq://okr:secret@db/okr", "db:5432/okr", "http://db/okr"):
        with pytest.raises(ValueError, match=f"^{name}: expected a postgresql:// URL") as refused:
            Settings.from_env({name: wrong})
        assert "secret" not in str(refused.value)


@pytest.mark.parametrize("name", ["DATABASE_URL", "OKR_APP_DATABASE_URL"])
def test_a_database_url_whose_port_is_no_port_is_refused_naming_its_variable(name: str) -> None:
    """DATABASE_URL=postgresql://okr@db:543a/okr (or :99999, or ?port=abc) stopped every
    command on asyncpg's traceback ("invalid literal for int()", "port must be 0-65535"),
    naming no variable, and a host's [ without its ] said "okr: Invalid IPv6 URL". Each is
    refused by name; hosts listed with their ports, or an IPv6 one, stay as they were."""
    for right in (
        "postgres://okr:pw@db:5432/okr",
        "postgresql://okr@db1,db2:5433/okr",
        "postgresql://okr@[::1]:5432/okr",
        "postgresql:///okr?host=/run/postgresql&port=5432",
    ):
        assert Settings.from_env({name: right})
    for wrong in (
        "postgresql://okr:secret@db:543a/okr",
        "postgresql://okr:secret@db:99999/okr",
        "postgresql://okr:secret@db1:5432,db2:0/okr",
        "postgresql://okr:secret@db/okr?port=abc",
    ):
        with pytest.raises(ValueError, match=f"^{name}: expected each port .* 1 to 65535$") as no:
            Settings.from_env({name: wrong})
        assert "secret" not in str(no.value)
    with pytest.raises(ValueError, match=f"^{name}: expected a postgresql:// URL"):
        Settings.from_env({name: "postgresql://okr:secret@[::1/okr"})


def test_proxies_to_believe_are_addresses_or_networks_and_anything_else_is_refused() -> None:
    """FORWARDED_ALLOW_IPS=10.0.0.0/33 (or 10.0.0.1/8, a name, `*` among others) was taken
    by uvicorn for a literal no client ever is: the proxy's X-Forwarded-For went unheard,
    and every client was the proxy's address to the sign-in limits, silently. Each is
    refused by name; addresses and networks are given to uvicorn trimmed, `*` alone."""
    assert Settings.from_env({}).trusted_proxies == ["127.0.0.1", "::1"]
    chosen = Settings.from_env({"FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.7,fd00::/8"})
    assert chosen.trusted_proxies == ["10.0.0.0/8", "192.0.2.7", "fd00::/8"]
    assert Settings.from_env({"FORWARDED_ALLOW_IPS": " * "}).trusted_proxies == ["*"]
    assert Settings.from_env({"FORWARDED_ALLOW_IPS": ""}).trusted_proxies == []
    for wrong, item in (("10.0.0.0/33", "10.0.0.0/33"), ("10.0.0.1/8", "10.0.0.1/8"),
                        ("127.0.0.1,proxy.local", "proxy.local"), ("*,10.0.0.1", "*"),
                        ("10.0.0.1,,10.0.0.2", "")):  # fmt: skip
        with pytest.raises(
            ValueError, match=f"^FORWARDED_ALLOW_IPS: expected .*, not {re.escape(repr(item))}$"
        ):
            Settings.from_env({"FORWARDED_ALLOW_IPS": wrong})


def test_a_projector_batch_beyond_a_million_events_is_refused_by_name() -> None:
    """OKR_PROJECTOR_BATCH=100000000000000000000 was taken, and every pass of every tenant
    then failed ('value out of int64 range'): the projector marked each one failing, for
    as long as it ran. A million events a pass is the most."""
    assert Settings.from_env({"OKR_PROJECTOR_BATCH": "1000000"}).projector_batch == 1_000_000
    for past in ("1000001", "100000000000000000000"):
        with pytest.raises(
            ValueError, match=r"^OKR_PROJECTOR_BATCH: expected at most 1000000 \(a million events\)"
        ):
            Settings.from_env({"OKR_PROJECTOR_BATCH": past})
