"""A rebuild's COPY connection sends timestamps through its own encoder: the same instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from services.projector.tables import copying

INSTANTS = [
    datetime(2026, 11, 28, 14, 31, 13, 123456, tzinfo=UTC),
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before PostgreSQL's epoch
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC),
    datetime(2027, 3, 28, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # another offset
    datetime(2027, 3, 28, 1, 30, tzinfo=timezone(-timedelta(hours=9, minutes=30))),
]


async def test_copied_timestamps_are_the_instants_given(
    admin: asyncpg.Connection, admin_dsn: str
) -> None:
    """The server holds each instant (its own text of it, in UTC, says so); a connection
    with asyncpg's codec reads them back equal, and so does the copying connection."""
    await admin.execute("CREATE TABLE stamps (n int, at timestamptz)")
    try:
        conn = await copying(admin)
        await conn.copy_records_to_table("stamps", records=list(enumerate(INSTANTS)))

        texts = await conn.fetch(
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM stamps"
            " ORDER BY n"
        )
        plain = await asyncpg.connect(admin_dsn)
        try:
            read = [r[0] for r in await plain.fetch("SELECT at FROM stamps ORDER BY n")]
        finally:
            await plain.close()
        back = [r[0] for r in await conn.fetch("SELECT at FROM stamps ORDER BY n")]
    finally:
        await admin.execute("DROP TABLE stamps")

    assert [t[0] for t in texts] == [
        at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for at in INSTANTS
    ]
    assert read == INSTANTS
    assert back == INSTANTS and all(at.tzinfo == UTC for at in back)


async def test_the_latest_and_earliest_datetimes_are_infinities_as_asyncpg_sends_them(
    admin: asyncpg.Connection,
) -> None:
    """asyncpg's own codec (the projector's writes) sends datetime.max and datetime.min as
    infinity and -infinity: a rebuild stores them the same, and reads them back."""
    latest, earliest = datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)
    await admin.execute("CREATE TEMP TABLE stamps (n int, at timestamptz)")
    conn = await copying(admin)
    await conn.copy_records_to_table("stamps", records=[(0, latest), (1, earliest)])

    texts = [r[0] for r in await conn.fetch("SELECT at::text FROM stamps ORDER BY n")]
    back = [r[0] for r in await conn.fetch("SELECT at FROM stamps ORDER BY n")]

    assert texts == ["infinity", "-infinity"]
    assert back == [latest, earliest]


async def test_a_naive_datetime_is_refused_and_nothing_is_copied(
    admin: asyncpg.Connection,
) -> None:
    """A naive datetime has no instant: the COPY fails, the table stays empty."""
    await admin.execute("CREATE TEMP TABLE stamps (at timestamptz)")
    conn = await copying(admin)

    with pytest.raises(TypeError):
        await conn.copy_records_to_table("stamps", records=[(datetime(2027, 1, 1),)])

    assert await conn.fetchval("SELECT count(*) FROM stamps") == 0
