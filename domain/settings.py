"""A change of a tenant's settings, as the tenant's log records it.

The settings themselves live in the directory (tenants/), which checks each value; the log
keeps every change of them, and those a tenant was made with (made through the API), so
that an auditor sees who changed which setting and when, and so that a view as of a past
instant is shown with the check-in cadence of then (the cadence decides which key results
are stale).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.domain import Aggregate

from domain import values
from domain.errors import InvalidValueError

SETTINGS = (
    "name",
    "colour",
    "fiscal_year_start_month",
    "check_in_cadence_days",
    "locale",
    "time_zone",
)
"""What a change records, before and after, in this order."""
NAME = "name"
CADENCE = "check_in_cadence_days"
TIME_ZONE = "time_zone"

Setting = str | int


class SettingsChange(Aggregate):
    """One change of the tenant's settings: all of them before it (None: the tenant was
    made with those after it) and after it, and who made it. Each change is a stream of its
    own, one event long: no two changes contend for a stream's version, and no item's id
    can take the place of a settings stream. The directory's row, locked while a change is
    written, puts changes in order."""

    TOPIC = "okr.SettingsChange"

    class Created(Aggregate.Created):
        """The tenant's settings changed."""

        TOPIC = "okr.SettingsChange.Created"
        class_version = 3
        before: dict[str, Setting] | None
        after: dict[str, Setting]
        author: str
        reason: str | None
        """Why, when the author said (a change of settings may go without a reason)."""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 took no reason."""
            state["reason"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """v2 knew no time zone: the tenant's days were UTC's until it had one."""
            for side in ("before", "after"):
                if state[side] is not None:
                    state[side] = {**state[side], "time_zone": "UTC"}

    def __init__(
        self,
        *,
        before: dict[str, Setting] | None,
        after: dict[str, Setting],
        author: str,
        reason: str | None,
    ) -> None:
        self.before = before
        self.after = after
        self.author = author
        self.reason = reason

    @classmethod
    def make(
        cls,
        *,
        before: Mapping[str, object] | None,
        after: Mapping[str, object],
        author: str,
        reason: str | None = None,
    ) -> SettingsChange:
        """Record a change from `before` to `after` (every setting, each a str or an int;
        at least one of them different), or the tenant's making with `after` (`before`
        None); and why, if the author said."""
        old = None if before is None else _settings(before, "before")
        new = _settings(after, "after")
        if old == new:
            raise InvalidValueError("the settings did not change", field="settings")
        return cls._create(
            cls.Created,
            before=old,
            after=new,
            author=values.principal(author, "author"),
            reason=values.optional_reason(reason),
        )


def changed(before: Mapping[str, object] | None, after: Mapping[str, object]) -> list[str]:
    """The settings whose value differs between two records of them (all of them, from
    none), in SETTINGS' order."""
    return [name for name in SETTINGS if before is None or before.get(name) != after.get(name)]


def _settings(given: Mapping[str, object], field: str) -> dict[str, Setting]:
    if set(given) != set(SETTINGS):
        raise InvalidValueError(f"{field} must name exactly {', '.join(SETTINGS)}", field=field)
    out: dict[str, Setting] = {}
    for name in SETTINGS:
        value = given[name]
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidValueError(f"{field}.{name} must be text or a whole number", field=field)
        out[name] = value
    return out
