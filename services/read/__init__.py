"""Read queries: what the API and the portal show, from the read-model tables (the audit
trail from the log itself).

Current views come from the projector's tables (rows and positions written in the same
transaction); "as of" views replay the tenant's log through the same folds, from the
progress projection's latest state checkpoint before the instant.
"""

from services.read.items import ItemName, ItemNames, item_names
from services.read.logs import (
    UNDECODABLE,
    audit,
    audit_entries,
    history,
    history_at,
    item_in_log,
    known_topic,
    named_people,
    names_in_log,
    series,
)
from services.read.progress import (
    CycleNotMadeError,
    Pick,
    UnreadableLogError,
    cadence_days,
    cycle_made_by,
    diff,
    item_progress,
    key_result_state,
    known_position,
    name_as_of,
    portfolio,
    progress_as_of,
    progress_state,
    progress_tree,
    shown_as_of,
    state_as_of,
    tenant_records,
)

__all__ = [
    "UNDECODABLE",
    "CycleNotMadeError",
    "ItemName",
    "ItemNames",
    "Pick",
    "UnreadableLogError",
    "audit",
    "audit_entries",
    "cadence_days",
    "cycle_made_by",
    "diff",
    "history",
    "history_at",
    "item_in_log",
    "item_names",
    "item_progress",
    "key_result_state",
    "known_position",
    "known_topic",
    "name_as_of",
    "named_people",
    "names_in_log",
    "portfolio",
    "progress_as_of",
    "progress_state",
    "progress_tree",
    "series",
    "shown_as_of",
    "state_as_of",
    "tenant_records",
]
