"""From stored rows to `Recorded`: the domain event decoded with the tenant's mapper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from eventsourcing.persistence import StoredEvent

from projections.base import Recorded
from services.store.event_store import LogRecord
from services.store.repository import Repository


async def decode(
    repository: Repository, records: Sequence[LogRecord], conn: asyncpg.Connection | None = None
) -> list[Recorded]:
    """Decode a batch of one tenant's log rows (in position order); `conn`: see mapper()."""
    if not records:
        return []
    mapper = await repository.mapper(records[0].tenant_id, conn)
    out = []
    for r in records:
        event: Any = mapper.to_domain_event(StoredEvent(r.stream_id, r.version, r.topic, r.state))
        out.append(
            Recorded(
                r.tenant_id,
                r.position,
                r.recorded_at,
                r.actor,
                r.correlation_id,
                r.stream_id,
                r.version,
                r.topic,
                r.hash,
                event,
            )
        )
    return out
