"""The planning forms of the dashboard (a new cycle, objective, key result): what they
offer, and what was typed in one that failed, with why, beside each field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from uuid import UUID

from domain import values
from domain.errors import DomainError
from domain.kpi import MAX_FREQUENCY_DAYS
from projections.progress_state import KPIView, ObjectiveView, ProgressView
from services import instants
from services.app.base import ChangedMeanwhileError
from services.i18n import Locale, Measured
from services.portal.controllers.key_results import domain_message, measurable, refusal
from services.store.event_store import ConcurrencyError
from tenants.errors import TenancyError

Rule = Callable[[str], object]
"""A command's own check of a text field (domain.values.title...), which raises its refusal."""


def a_name(text: str) -> str:
    """A cycle's or KPI's name, as its commands check it (a title's rule, naming `name`)."""
    return values.title(text, "name")


@dataclass(frozen=True)
class Planning:
    """What the planning forms offer: the people who may own, the objectives of each cycle
    another may be aligned under, and the days a new cycle is proposed."""

    people: Sequence[tuple[str, str]]
    parents: dict[UUID, list[ObjectiveView]]
    """By cycle: the objectives a new one may be aligned under."""
    aligns: dict[UUID, list[ObjectiveView]]
    """By objective: those it may be aligned under (its cycle's others, none below it)."""
    starts_on: date
    ends_on: date
    kpis: Sequence[tuple[str, str]] = ()
    """The KPIs a new key result may be fed by (id, name), by name; none: the form asks not."""
    for_kpi: KPIView | None = None
    """The KPI a new key result is fed by unless told (its page's link to a recovery key
    result): chosen in each form, the way it measures set the way the KPI is better."""


@dataclass
class Planned:
    """A planning form as typed: which one (`form`), where it stands on the page (`at`: its
    cycle's or objective's id, none for a cycle), its fields, and what is wrong, in the
    reader's words (by field; "form" for the rest)."""

    form: str
    at: str
    typed: dict[str, str]
    locale: Locale
    errors: dict[str, str] = field(default_factory=dict)
    unit: Measured | None = None
    """The unit of the item whose value the form gives (a KPI's), whose words a value may
    be written with ("21 ore"), as the page writes it."""

    def text(self, name: str, rule: Rule | None = None) -> str:
        """A field that must not be blank, and of `rule`, the command's own check of it (a
        title too long): said with the form's other mistakes, not once they are mended."""
        if not self.typed[name]:
            self.errors[name] = self.locale.t("error.empty")
        elif rule is not None:
            self._ruled(name, rule)
        return self.typed[name]

    def optional(self, name: str, rule: Rule) -> str | None:
        """A field that may be blank (None); given, of `rule` (an optional reason)."""
        if self.typed[name]:
            self._ruled(name, rule)
        return self.typed[name] or None

    def _ruled(self, name: str, rule: Rule) -> None:
        try:
            rule(self.typed[name])
        except (DomainError, TenancyError) as error:
            self.errors[name] = domain_message(self.locale, error)

    def number(self, name: str) -> Decimal | None:
        """A number typed in the reader's way; None when blank or not a number (said)."""
        if not self.text(name):
            return None
        return measurable(self.locale, self.typed[name], self.errors, name, self.unit)

    def day(self, name: str) -> date | None:
        """A day (yyyy-mm-dd, as a date field sends it); None when blank or not a day."""
        if not self.text(name):
            return None
        try:
            return instants.day(self.typed[name])
        except ValueError:
            self.errors[name] = self.locale.t("check_in.date_invalid")
            return None

    def days(self, name: str) -> int | None:
        """How often a KPI is measured: a whole number of days, 1 to MAX_FREQUENCY_DAYS;
        None when blank or not (said)."""
        every = self.text(name)
        if every and not (_DAYS.fullmatch(every) and 1 <= int(every) <= MAX_FREQUENCY_DAYS):
            self.errors[name] = self.locale.t("plan.kpi.frequency_invalid", most=MAX_FREQUENCY_DAYS)
        return None if name in self.errors else int(every)

    def choice(self, name: str, offered: Iterable[str]) -> str:
        """One of the values the page offered (a hand-made POST may send another)."""
        if self.typed[name] not in set(offered):
            self.errors[name] = self.locale.t("plan.not_offered")
        return self.typed[name]

    def shown_in(self, state: ProgressView) -> bool:
        """Whether the dashboard still offers this form (not once its cycle closed, or its
        objective was archived, meanwhile; a cycle's name, in any state): where not, its
        refusal is said at the top."""
        if self.form in ("cycle", "kpi"):
            return True
        if self.form == "cycle_rename":  # in any state
            return UUID(self.at) in state.cycles
        if self.form == "measurement":
            kpi = state.kpis.get(UUID(self.at))
            return kpi is not None and not kpi.archived
        on_objective = self.form == "key_result" or self.form.startswith("objective_")
        objective = state.objectives.get(UUID(self.at)) if on_objective else None
        cycle = state.cycles.get(objective.cycle_id if objective else UUID(self.at))
        archived = objective is not None and objective.archived
        restoring = self.form == "objective_restore"  # (offered for archived ones only)
        return cycle is not None and not cycle.is_closed and archived == restoring

    def shown(self, name: str) -> Decimal | None:
        """A number the form showed (a hidden field), for the command to check on the item
        itself (the view it came from may lag behind the log); None for a hand-made form
        that says none, or "NaN"."""
        try:
            number = Decimal(self.typed[name])
        except InvalidOperation:
            return None
        return number if number.is_finite() else None

    def asked_first(self, value: Decimal, far: bool, said: str) -> bool:
        """Whether a far-off value is asked about first (a slip, "19,350" for 19.350):
        `said` beside it, kept to confirm; sent again unchanged, it goes through."""
        if far and self.locale.parse_value(self.typed["confirm"], self.unit) != value:
            self.typed["confirm"] = self.typed["value"]
            self.errors["value"] = said
            return True
        return False

    def together(self, rule: Callable[[], object], *names: str) -> None:
        """A rule of the command over several fields (thresholds in the order of their
        direction, a cycle's last day after its first), said beside the field at fault with
        the form's other mistakes, not once they are mended; not where one of `names` is at
        fault already."""
        if any(name in self.errors for name in names):
            return
        try:
            rule()
        except DomainError as error:
            self.refused(error)

    def refused(self, error: DomainError | ConcurrencyError) -> None:
        """A command's refusal, beside the field at fault (else the form's own: another
        change that came first is the whole form's, as its page's view says it)."""
        name = error.field if isinstance(error, DomainError) and error.field else "form"
        if isinstance(error, ChangedMeanwhileError):
            name = "form"
        named = [n for n in _FORM_FIELDS.get(name, (name,)) if n in self.typed]
        self.errors[named[0] if named else "form"] = refusal(self.locale, error)


_DAYS = re.compile("[0-9]{1,3}")
"""Days as a person types them (not "²" or "٣", which str.isdigit takes and int refuses or
reads)."""

CYCLE_FIELDS = ("name", "period", "starts_on", "ends_on")
CYCLE_RENAME_FIELDS = ("name", "reason", "was_name")
CYCLE_DATES_FIELDS = ("starts_on", "ends_on", "reason")
OBJECTIVE_FIELDS = ("title", "owner", "level", "parent", "weight", "committed")
KEY_RESULT_FIELDS = ("title", "kind", "owner", "start", "target", "unit", "currency",
                     "unit_label", "weight", "due_on", "kpi")  # fmt: skip
MEASUREMENT_FIELDS = ("value", "on", "note", "confirm")
KPI_FIELDS = ("name", "owner", "direction", "green", "red", "frequency_days", "unit", "currency",
              "unit_label")  # fmt: skip
OBJECTIVE_EDIT_FIELDS = ("title", "owner", "weight", "committed", "roll_up_children")
_FORM_FIELDS = {
    "parent_id": ("parent",), "unit_kind": ("unit",), "kpi_id": ("kpi", "key_result"),
    "target_percent": ("target",),
}  # fmt: skip
"""The form's name of a domain error's field, where the two differ: the first the form has
(a KPI refusing a key result is said beside the KPI a new key result chose, and beside the
key result chosen on the KPI's page)."""


def typed(form: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    return {name: form.get(name, "").strip() for name in names}


def feeding_kpis(state: ProgressView) -> list[tuple[str, str]]:
    """The KPIs a new key result may be fed by: those not retired, by name."""
    kpis = sorted(
        (k for k in state.kpis.values() if not k.archived), key=lambda k: k.name.casefold()
    )
    return [(str(k.kpi_id), k.name) for k in kpis]


def archived_objectives(state: ProgressView, cycle_id: UUID) -> list[ObjectiveView]:
    """The cycle's archived objectives, by title: where the dashboard offers to restore
    them."""
    archived = (o for o in state.objectives.values() if o.cycle_id == cycle_id and o.archived)
    return sorted(archived, key=lambda o: o.title.casefold())


def parents_by_cycle(state: ProgressView) -> dict[UUID, list[ObjectiveView]]:
    """By cycle, the objectives another may be aligned under (those not archived), by title."""
    parents: dict[UUID, list[ObjectiveView]] = {cycle_id: [] for cycle_id in state.cycles}
    for o in sorted(state.objectives.values(), key=lambda o: o.title.casefold()):
        if not o.archived:
            parents.setdefault(o.cycle_id, []).append(o)
    return parents


def alignments(
    state: ProgressView, parents: dict[UUID, list[ObjectiveView]] | None = None
) -> dict[UUID, list[ObjectiveView]]:
    """By objective, those it may be aligned under: its cycle's `parents` (parents_by_cycle),
    neither itself nor one aligned under it at any depth."""
    parents = parents_by_cycle(state) if parents is None else parents
    children: dict[UUID, list[UUID]] = {}
    for o in state.objectives.values():
        if o.parent_id is not None:
            children.setdefault(o.parent_id, []).append(o.objective_id)
    out = {}
    for o in state.objectives.values():
        below, todo = {o.objective_id}, [o.objective_id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in below:
                    below.add(child)
                    todo.append(child)
        out[o.objective_id] = [
            p for p in parents.get(o.cycle_id, []) if p.objective_id not in below
        ]
    return out


def next_cycle_days(
    ends: Iterable[date], today: date, fiscal_start_month: int = 1
) -> tuple[date, date]:
    """The days a new cycle's form proposes: from the day after the last cycle ends to the
    end of that day's quarter of the fiscal year (it begins in `fiscal_start_month`), or of
    the next quarter where that one leaves less than four weeks; without any cycle, or after
    one that ends on the last day a cycle may have, the fiscal quarter today is in. (It
    proposed three months from the first day's month: after a cycle that ended on 30
    December, 31 December to 28 February; without any, November to January.)"""
    last = max(ends, default=None)
    if last is None or last >= values.LAST_DAY:
        return _quarter(today, fiscal_start_month)
    first = last + timedelta(days=1)
    ends_on = _quarter(first, fiscal_start_month)[1]
    if ends_on - first < FOUR_WEEKS:
        ends_on = _quarter(ends_on + timedelta(days=1), fiscal_start_month)[1]
    return first, min(ends_on, values.LAST_DAY)


FOUR_WEEKS = timedelta(days=27)
"""The least a proposed cycle lasts (its last day this many after its first), but one
that ends the calendar's last quarter."""


def _quarter(day: date, fiscal_start_month: int) -> tuple[date, date]:
    """The first and last days of the quarter of the fiscal year that `day` is in."""
    back = (day.month - fiscal_start_month) % 3  # months since that quarter began
    first = date(day.year - (day.month <= back), (day.month - back - 1) % 12 + 1, 1)
    month = first.month + 2
    after = date(first.year + month // 12, month % 12 + 1, 1)  # the month after three
    return first, after - timedelta(days=1)
