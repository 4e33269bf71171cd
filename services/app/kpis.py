"""KPI commands: define, move thresholds, record and correct measurements.

A measurement feeds every key result linked to the KPI in the same command: each gets a
check-in (source "kpi") whose id is derived from the measurement and the key result, so a
correction of the measurement corrects exactly those check-ins, on a key result unlinked
since too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from domain import values
from domain.cycle import Cycle
from domain.errors import UnknownKpiError
from domain.key_result import KeyResult, takes_values_of
from domain.kpi import KPI
from domain.objective import Objective
from domain.values import KRKind, Unit
from services.app.base import Commands, Context, Written
from services.store.repository import AggregateNotFoundError

Number = Decimal | int | str


def fed_check_in_id(measurement_id: UUID, key_result_id: UUID) -> UUID:
    """The id of the check-in a measurement records on a linked key result."""
    return uuid5(measurement_id, str(key_result_id))


def feed_measured(kr: KeyResult, kpi: KPI, cycle: Cycle) -> None:
    """Feed a key result just linked to the KPI what the KPI measured for its cycle's days,
    as each measurement stands (corrections included), in the order of their days: each
    one not fed to it already (a link made again), each by whom it was measured. Linked
    mid-quarter, it showed nothing until the KPI's next measurement."""
    measured = sorted(kpi.measurements.values(), key=lambda m: (m.on, m.recorded_at))
    for m in measured:
        check_in_id = fed_check_in_id(m.measurement_id, kr.id)
        if cycle.starts_on <= m.on <= cycle.ends_on and not kr.has_check_in(check_in_id):
            kr.record_check_in(
                cycle=cycle, value=m.value, on=m.on, author=m.author, note=m.note,
                source="kpi", check_in_id=check_in_id,
            )  # fmt: skip


def feed_missed(
    kr: KeyResult, kpi_events: Sequence[tuple[int, Any]], after: int, cycle: Cycle, *, feeds: bool
) -> None:
    """Give a key result back from an archive (its objective's, at log position `after`)
    what a KPI would have given it meanwhile, as record_measurement and correct_measurement
    would have: each measurement of the cycle's days recorded since, as first recorded
    (when the KPI `feeds` it), then each correction since of one it was fed, with its
    reason and author. `kpi_events`: the KPI's Measured and MeasurementCorrected events
    with their positions, in log order. A note is restated only where the correction
    changed it (as the portal sends it)."""
    notes: dict[UUID, str] = {}  # each measurement's note as it stood, event by event
    for position, e in kpi_events:
        check_in_id = fed_check_in_id(e.measurement_id, kr.id)
        if isinstance(e, KPI.Measured):
            notes[e.measurement_id] = e.note
            missed = feeds and position > after and not kr.has_check_in(check_in_id)
            if missed and cycle.starts_on <= e.on <= cycle.ends_on:
                kr.record_check_in(
                    cycle=cycle, value=e.value, on=e.on, author=e.author, note=e.note,
                    source="kpi", check_in_id=check_in_id,
                )  # fmt: skip
            continue
        noted = None if e.note in (None, notes.get(e.measurement_id)) else e.note
        if e.note is not None:
            notes[e.measurement_id] = e.note
        fed_in = kr.check_ins.get(check_in_id)
        if position <= after or fed_in is None or kr.kind is KRKind.MILESTONE:
            continue
        if fed_in.value != e.value or noted not in (None, fed_in.note):
            kr.correct_check_in(
                check_in_id=check_in_id, value=e.value, note=noted, reason=e.reason,
                author=e.author,
            )  # fmt: skip


class KpiCommands(Commands):
    """Commands on KPIs."""

    async def get(self, ctx: Context, kpi_id: UUID) -> KPI:
        return await self.load(ctx, kpi_id, KPI, UnknownKpiError, "kpi_id")

    async def create(
        self,
        ctx: Context,
        *,
        name: str,
        direction: str,
        green: Number,
        red: Number,
        frequency_days: int,
        owner: str,
        unit: Unit | None = None,
        description: str = "",
        kpi_id: UUID | None = None,
    ) -> Written:
        kpi = KPI.create(
            name=name, direction=direction, green=green, red=red,
            frequency_days=frequency_days, owner=owner, unit=unit,
            description=description, id=kpi_id,
        )  # fmt: skip
        return Written(kpi.id, kpi.version, await self.save_new(ctx, kpi))

    async def change_thresholds(
        self,
        ctx: Context,
        kpi_id: UUID,
        *,
        green: Number,
        red: Number,
        reason: str,
        if_match: int | None = None,
        shown: tuple[Decimal, Decimal] | None = None,
    ) -> Written:
        """Move the thresholds (`shown`: the green and red the caller saw, else refused)."""
        kpi = await self.get(ctx, kpi_id)
        self.check_version(kpi, if_match)
        self.check_shown("green", shown, (kpi.green, kpi.red))
        kpi.change_thresholds(green=green, red=red, reason=reason, author=ctx.actor)
        return Written(kpi.id, kpi.version, await self.save(ctx, kpi))

    async def change_direction(
        self,
        ctx: Context,
        kpi_id: UUID,
        *,
        direction: str,
        green: Number,
        red: Number,
        reason: str,
        if_match: int | None = None,
        shown: str | None = None,
    ) -> Written:
        """Turn which way is better (a KPI made the wrong way round), with thresholds that
        fit it and a reason (`shown`: the direction the caller saw, else refused); refused
        while it feeds key results of open cycles that would then aim the wrong way
        (KPI.change_direction), those of archived objectives too (_restorable: a restore
        brings them back fed, and needs no check of its own, nor can race the turn). A
        link made meanwhile changes the KPI: its save is refused."""
        kpi = await self.get(ctx, kpi_id)
        self.check_version(kpi, if_match)
        self.check_shown("direction", shown, kpi.direction.value)
        fed = [
            (kr.title, kr.kind)
            for kr in await self._restorable(ctx, kpi)
            if not (await self.cycle(ctx, kr.cycle_id)).is_closed
        ]
        kpi.change_direction(
            direction=direction, green=green, red=red, reason=reason, author=ctx.actor, fed=fed
        )
        return Written(kpi.id, kpi.version, await self.save(ctx, kpi))

    async def edit(
        self,
        ctx: Context,
        kpi_id: UUID,
        *,
        if_match: int | None = None,
        name: str | None = None,
        owner: str | None = None,
        frequency_days: int | None = None,
        unit: Unit | None = None,
    ) -> Written:
        """Change any of the given fields in one command (unchanged values record nothing);
        its `unit` never changes (KPI.check_unit), given as it is it records nothing."""
        kpi = await self.get(ctx, kpi_id)
        self.check_version(kpi, if_match)
        if unit is not None:
            kpi.check_unit(unit)
        if name is not None and values.title(name, "name") != kpi.name:  # as it would be kept
            kpi.rename(name=name, author=ctx.actor)
        if owner is not None and values.principal(owner, "owner") != kpi.owner:
            kpi.change_owner(owner=owner, author=ctx.actor)
        if frequency_days is not None and frequency_days != kpi.frequency_days:
            kpi.change_frequency(frequency_days=frequency_days, author=ctx.actor)
        return Written(kpi.id, kpi.version, await self.save(ctx, kpi))

    async def archive(
        self, ctx: Context, kpi_id: UUID, *, reason: str, if_match: int | None = None
    ) -> Written:
        """Retire the KPI, with a reason: it takes no more measurements, so it feeds its
        key results no more (their values so far stay); it stays in the history."""
        kpi = await self.get(ctx, kpi_id)
        self.check_version(kpi, if_match)
        kpi.archive(reason=reason, author=ctx.actor)
        return Written(kpi.id, kpi.version, await self.save(ctx, kpi))

    async def record_measurement(
        self,
        ctx: Context,
        kpi_id: UUID,
        *,
        value: Number,
        on: date | None = None,
        note: str = "",
        source: str = "manual",
        measurement_id: UUID | None = None,
        if_match: int | None = None,
    ) -> Written:
        """Record a value for a business date (None: the tenant's today) and feed it to the
        linked key results (`if_match`: the KPI's version it must be written over, checked
        at each attempt)."""
        measurement_id = measurement_id or uuid4()
        today = await self.today(ctx)  # (a value of a later day: refused)
        day = on if on is not None else today

        async def attempt() -> Written:
            kpi = await self.get(ctx, kpi_id)
            self.check_version(kpi, if_match)
            kpi.record_measurement(
                value=value, on=day, author=ctx.actor, source=source, note=note,
                measurement_id=measurement_id, latest_on=today,
            )  # fmt: skip
            fed = []
            retired: dict[UUID, int] = {}  # objectives read archived (see _live)
            for kr, cycle in await self._feedable(ctx, kpi, day, retired):
                kr.record_check_in(
                    cycle=cycle, value=value, on=day,
                    author=ctx.actor, note=note, source="kpi",
                    check_in_id=fed_check_in_id(measurement_id, kr.id),
                )  # fmt: skip
                fed.append(kr)
            positions = await self.save(ctx, kpi, *fed, unchanged=retired)
            extra = {"measurement_id": measurement_id, "fed_key_results": [k.id for k in fed]}
            return Written(kpi.id, kpi.version, positions, extra)

        return await self.retrying(attempt)

    async def correct_measurement(
        self,
        ctx: Context,
        kpi_id: UUID,
        *,
        measurement_id: UUID,
        value: Number,
        reason: str,
        note: str | None = None,
        if_match: int | None = None,
        shown: Decimal | None = None,
    ) -> Written:
        """Correct a measurement (its value, its note if given) and, with the same reason,
        the check-ins it fed (`if_match`: as for record_measurement; `shown`: the value the
        caller saw, else refused); `fed_key_results`: the key results so corrected."""

        async def attempt() -> Written:
            kpi = await self.get(ctx, kpi_id)
            self.check_version(kpi, if_match)
            if measurement_id in kpi.measurements:
                self.check_shown("value", shown, kpi.measurements[measurement_id].value)
            kpi.correct_measurement(
                measurement_id=measurement_id, value=value, note=note, reason=reason,
                author=ctx.actor,
            )  # fmt: skip
            now = kpi.measurements[measurement_id]
            noted = None if note is None else now.note  # a note restated: theirs too
            fed = []
            retired: dict[UUID, int] = {}  # objectives read archived (see _live)
            for kr in await self._fed(ctx, kpi, retired):
                check_in_id = fed_check_in_id(measurement_id, kr.id)
                fed_in = kr.check_ins.get(check_in_id)
                if fed_in is not None and (  # (not corrected to it by hand)
                    fed_in.value != now.value or noted not in (None, fed_in.note)
                ):
                    kr.correct_check_in(
                        check_in_id=check_in_id, value=now.value, note=noted, reason=reason,
                        author=ctx.actor,
                    )  # fmt: skip
                    fed.append(kr)
            positions = await self.save(ctx, kpi, *fed, unchanged=retired)
            return Written(kpi.id, kpi.version, positions, {"fed_key_results": [k.id for k in fed]})

        return await self.retrying(attempt)

    async def feeding(self, ctx: Context, kpi: KPI) -> list[UUID]:
        """The key results the KPI's links name that it feeds, in its order: neither
        archived nor of an archived objective (retired with it; restored, listed again), as
        the KPI's tile and page say them (projections.progress_tree.is_fed)."""
        return [kr.id for kr in await self._live(ctx, await self._links(ctx, kpi))]

    async def _links(self, ctx: Context, kpi: KPI) -> list[KeyResult]:
        """The key results the KPI's links name, in its order."""
        return await self._key_results(ctx, list(kpi.linked_key_results))

    async def _key_results(self, ctx: Context, ids: list[UUID]) -> list[KeyResult]:
        """These key results, in one round trip: loaded one after another, a KPI feeding 50
        took 50 (its page, each measurement and correction)."""
        if not ids:
            return []
        kinds = [KeyResult] * len(ids)
        return await self.repository.get_many(ctx.tenant_id, ids, kinds, grants=ctx.grants)

    async def _linked(
        self, ctx: Context, kpi: KPI, retired: dict[UUID, int] | None = None
    ) -> list[KeyResult]:
        """The key results the KPI feeds: linked, not archived, and taking its values."""
        live = await self._live(ctx, await self._links(ctx, kpi), retired)
        return [kr for kr in live if _fed_by(kr, kpi)]

    async def _restorable(self, ctx: Context, kpi: KPI) -> list[KeyResult]:
        """The key results the KPI feeds, and those it would feed again once their objective
        is restored (its restore feeds them what was measured meanwhile: _fed_again). Those
        archived on their own never come back."""
        return [kr for kr in await self._links(ctx, kpi) if not kr.is_archived and _fed_by(kr, kpi)]

    async def _live(
        self, ctx: Context, krs: list[KeyResult], retired: dict[UUID, int] | None = None
    ) -> list[KeyResult]:
        """Those neither archived nor of an archived objective (retired with it): their
        objectives read in one round trip, not one each. `retired` takes the version of
        each objective read archived: a KPI's command feeds its key results nothing, as
        the objective's restore, if it reads the KPI before the command's append, does
        not give it back; so the command saves them `unchanged` (a restore meanwhile: it
        runs again, and feeds them)."""
        kept = [kr for kr in krs if not kr.is_archived]
        if not kept:
            return []
        ids = list(dict.fromkeys(kr.objective_id for kr in kept))
        try:
            objectives = await self.repository.get_many(
                ctx.tenant_id, ids, [Objective] * len(ids), grants=ctx.grants
            )
        except AggregateNotFoundError:  # refused as objective_of refuses it
            objectives = [await self.objective_of(ctx, kr) for kr in kept]
        archived = {o.id: o.version for o in objectives if o.is_archived}
        if retired is not None:
            retired.update(archived)
        return [kr for kr in kept if kr.objective_id not in archived]

    async def _fed(
        self, ctx: Context, kpi: KPI, retired: dict[UUID, int] | None = None
    ) -> list[KeyResult]:
        """The key results the KPI may have fed: linked now or once (a key result unlinked
        keeps the check-ins the KPI fed it, and a correction of the measurement behind one
        corrects it: it stayed at the wrong value, said nowhere), but archived ones and
        milestones (a link made before the rule: one was never fed, and takes 0 or 1)."""
        links = await self.repository.events_of(
            ctx.tenant_id, kpi.id, KPI.KeyResultLinked, grants=ctx.grants
        )
        ids = dict.fromkeys([*kpi.linked_key_results, *(e.key_result_id for e in links)])
        live = await self._live(ctx, await self._key_results(ctx, list(ids)), retired)
        return [kr for kr in live if kr.kind is not KRKind.MILESTONE]

    async def _feedable(
        self, ctx: Context, kpi: KPI, on: date, retired: dict[UUID, int] | None = None
    ) -> list[tuple[KeyResult, Cycle]]:
        """Linked key results whose cycle is open and covers the business date `on` (each
        cycle loaded once, not once for each of its key results)."""
        linked = await self._linked(ctx, kpi, retired)
        cycles = {c: await self.cycle(ctx, c) for c in dict.fromkeys(kr.cycle_id for kr in linked)}
        covering = {
            c for c, cycle in cycles.items()
            if not cycle.is_closed and cycle.starts_on <= on <= cycle.ends_on
        }  # fmt: skip
        return [(kr, cycles[kr.cycle_id]) for kr in linked if kr.cycle_id in covering]


def _fed_by(kr: KeyResult, kpi: KPI) -> bool:
    """Whether the KPI feeds this key result it names: linked to it, and taking its values
    (a link made before that rule, to another unit or a milestone, feeds nothing: it fed a
    wrong unit's value, or failed every measurement of the KPI)."""
    return kr.kpi_id == kpi.id and takes_values_of(kr.kind, kr.unit, kpi)
