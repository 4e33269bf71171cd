"""The per-tenant hash chain: recompute it and name the first position that breaks it.

Mirrors the SQL function okr_event_digest (migrations/0001): an independent
implementation, so a verifier does not trust the database's own arithmetic.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from services.db import tenant_transaction

GENESIS = bytes(32)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BATCH = 5000


def event_digest(
    prev: bytes,
    tenant_id: UUID,
    position: int,
    stream_id: UUID,
    version: int,
    recorded_at: datetime,
    correlation_id: UUID,
    topic: str,
    actor: str,
    state: bytes,
) -> bytes:
    """sha256(prev || canonical bytes of one event)."""
    delta = recorded_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    topic_b, actor_b = topic.encode(), actor.encode()
    return hashlib.sha256(
        prev
        + UUID(str(tenant_id)).bytes
        + struct.pack(">q", position)
        + UUID(str(stream_id)).bytes
        + struct.pack(">iq", version, micros)
        + UUID(str(correlation_id)).bytes
        + struct.pack(">i", len(topic_b))
        + topic_b
        + struct.pack(">i", len(actor_b))
        + actor_b
        + hashlib.sha256(state).digest()
    ).digest()


HASH_MISMATCH, GAP, HEAD_POSITION, HEAD_HASH = "hash_mismatch", "gap", "head_position", "head_hash"
"""What breaks a chain (ChainReport.rule): an event's hash, a position missing, a log that
ends elsewhere than its head says, a head whose hash is not the last event's."""
_PROBLEMS = {
    HASH_MISMATCH: "hash mismatch",
    GAP: "gap in positions",
    HEAD_POSITION: "the log ends at position {checked}, its head says {head}",
    HEAD_HASH: "the head's hash is not that of event {checked}, the last",
}


@dataclass(frozen=True)
class ChainReport:
    """What a verification found: how many events were checked and the first bad one, and
    what is wrong there (`rule`: the portal says it in its reader's language)."""

    tenant_id: UUID
    checked: int
    head_position: int
    first_bad_position: int | None
    rule: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None and self.rule is None

    @property
    def problem(self) -> str | None:
        """What is wrong, in English (the API's and the CLI's words)."""
        if self.rule is None:
            return None
        return _PROBLEMS[self.rule].format(checked=self.checked, head=self.head_position)


async def verify_chain(pool: asyncpg.Pool, tenant_id: UUID) -> ChainReport:
    """Walk the tenant's log in order, recomputing every hash and checking no gap."""
    prev, expected, checked = GENESIS, 1, 0
    async with tenant_transaction(pool, [tenant_id]) as conn:
        # the head and the events as of one instant: read one after the other, an event
        # committed between them was past the head, and a busy log was said to be broken
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head = await conn.fetchrow(
            "SELECT position, chain_hash FROM tenant_heads WHERE tenant_id = $1", tenant_id
        )
        head_position = head["position"] if head else 0
        cursor = conn.cursor(
            "SELECT position, stream_id, version, topic, state, recorded_at, actor,"
            " correlation_id, hash FROM events WHERE tenant_id = $1 ORDER BY position",
            tenant_id,
            prefetch=_BATCH,
        )
        async for row in cursor:
            position = row["position"]
            if position != expected:
                return ChainReport(tenant_id, checked, head_position, expected, GAP)
            prev = event_digest(
                prev, tenant_id, position, row["stream_id"], row["version"], row["recorded_at"],
                row["correlation_id"], row["topic"], row["actor"], row["state"],
            )  # fmt: skip
            if prev != row["hash"]:
                return ChainReport(tenant_id, checked, head_position, position, HASH_MISMATCH)
            checked += 1
            expected += 1
    if checked != head_position:  # events missing at the end, or past a head behind them
        first_bad = min(checked, head_position) + 1
        return ChainReport(tenant_id, checked, head_position, first_bad, HEAD_POSITION)
    if head is not None and head["chain_hash"] != prev:  # the head row itself was changed
        return ChainReport(tenant_id, checked, head_position, checked, HEAD_HASH)
    return ChainReport(tenant_id, checked, head_position, None, None)
