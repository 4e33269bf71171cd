"""Key result commands: create, edit, revise the target, check in, correct a check-in."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from domain import values
from domain.cycle import Cycle
from domain.errors import UnknownKeyResultError, UnknownKpiError, UnknownObjectiveError
from domain.key_result import KeyResult
from domain.kpi import KPI
from domain.objective import Objective
from domain.values import Unit
from services.app.base import Commands, Context, Written
from services.app.kpis import feed_measured
from services.store.repository import AggregateNotFoundError, Repository

Number = Decimal | int | str


_CYCLE_IDS_KEPT = 100_000
"""Key results (and tenants) whose cycle and objective are remembered (then all are forgotten
and it starts over)."""


class KeyResultCommands(Commands):
    """Commands on key results."""

    def __init__(self, repository: Repository) -> None:
        super().__init__(repository)
        self._cycle_ids: dict[tuple[UUID, UUID], tuple[UUID, UUID]] = {}
        """Per key result, its cycle and objective."""
        self._last_cycle_ids: dict[UUID, tuple[UUID, UUID]] = {}
        """Per tenant, the cycle and objective of the key result this process last loaded."""

    async def get(self, ctx: Context, key_result_id: UUID) -> KeyResult:
        return await self.load(
            ctx, key_result_id, KeyResult, UnknownKeyResultError, "key_result_id"
        )

    async def get_in_cycle(
        self, ctx: Context, key_result_id: UUID
    ) -> tuple[KeyResult, Cycle, Objective]:
        """`get`, then `cycle` of the key result's cycle and `objective_of` it: the same
        results and errors.

        A key result's cycle and objective are fixed when it is made, so once this process
        has seen it the three streams come back in one round trip. A key result seen for
        the first time is loaded with the cycle and objective this process last saw in its
        tenant (nearly always those check-ins go to): one round trip when that guess is
        right, and when it is wrong its own are loaded next, together. When a stream is not
        found (an unknown key result, an id of another kind), `get` and the others load
        them again and raise as before.
        """
        key = (ctx.tenant_id, key_result_id)
        guess = self._cycle_ids.get(key) or self._last_cycle_ids.get(ctx.tenant_id)
        kr: KeyResult | None = None
        if guess is not None:
            with contextlib.suppress(AggregateNotFoundError):
                kr, cycle, objective = await self.repository.get_many(
                    ctx.tenant_id, [key_result_id, *guess], [KeyResult, Cycle, Objective],
                    grants=ctx.grants,
                )  # fmt: skip
                if (kr.cycle_id, kr.objective_id) == (cycle.id, objective.id):
                    self._remember(key, (cycle.id, objective.id))
                    return kr, cycle, objective
        if kr is None:
            kr = await self.get(ctx, key_result_id)
        try:
            cycle, objective = await self.repository.get_many(
                ctx.tenant_id, [kr.cycle_id, kr.objective_id], [Cycle, Objective],
                grants=ctx.grants,
            )  # fmt: skip
        except AggregateNotFoundError:
            cycle, objective = await self.cycle(ctx, kr.cycle_id), await self.objective_of(ctx, kr)
        self._remember(key, (kr.cycle_id, kr.objective_id))
        return kr, cycle, objective

    async def _live(
        self, ctx: Context, key_result_id: UUID, if_match: int | None
    ) -> tuple[KeyResult, Cycle]:
        """The key result at the version asked for (if any) and its cycle, refused if its
        objective is archived: its three streams in one round trip (get_in_cycle)."""
        kr, cycle, objective = await self.get_in_cycle(ctx, key_result_id)
        self.check_version(kr, if_match)
        kr.check_objective_live(objective)
        return kr, cycle

    def _remember(self, key: tuple[UUID, UUID], streams: tuple[UUID, UUID]) -> None:
        """The key result's cycle and objective, and the tenant's latest (bounded: then all
        are forgotten)."""
        for memo in (self._cycle_ids, self._last_cycle_ids):
            if len(memo) >= _CYCLE_IDS_KEPT:
                memo.clear()
        self._cycle_ids[key] = streams
        self._last_cycle_ids[key[0]] = streams

    async def create(
        self,
        ctx: Context,
        *,
        objective_id: UUID,
        title: str,
        kind: str,
        owner: str,
        start: Number | None = None,
        target: Number | None = None,
        target_percent: Number | None = None,
        unit: Unit | None = None,
        weight: Number = 1,
        due_on: date | None = None,
        kpi_id: UUID | None = None,
        key_result_id: UUID | None = None,
    ) -> Written:
        objective = await self.load(
            ctx, objective_id, Objective, UnknownObjectiveError, "objective_id"
        )
        cycle = await self.cycle(ctx, objective.cycle_id)
        kpi = None if kpi_id is None else await self._kpi(ctx, kpi_id)
        if kpi is not None and unit is None:  # fed by a KPI: measured as it is
            unit = kpi.unit
        kr = KeyResult.create(
            cycle=cycle, objective=objective, title=title, kind=kind, owner=owner,
            start=start, target=target, target_percent=target_percent, unit=unit,
            weight=weight, due_on=due_on, kpi=kpi, id=key_result_id,
        )  # fmt: skip
        changed: list[KeyResult | KPI] = [kr]
        if kpi is not None:
            kpi.link_key_result(key_result_id=kr.id, author=ctx.actor)
            feed_measured(kr, kpi, cycle)
            changed.append(kpi)
        return Written(kr.id, kr.version, await self.save_new(ctx, *changed))

    async def edit(
        self,
        ctx: Context,
        key_result_id: UUID,
        *,
        if_match: int | None = None,
        title: str | None = None,
        owner: str | None = None,
        weight: Number | None = None,
        due_on: date | None = None,
    ) -> Written:
        """Change any of the given fields in one command (unchanged values record nothing)."""
        kr, cycle = await self._live(ctx, key_result_id, if_match)
        if title is not None and values.title(title) != kr.title:  # as it would be kept
            kr.rename(title=title, cycle=cycle, author=ctx.actor)
        if owner is not None and owner != kr.owner:
            kr.change_owner(owner=owner, cycle=cycle, author=ctx.actor)
        if weight is not None and Decimal(str(weight)) != kr.weight:
            kr.change_weight(weight=weight, cycle=cycle, author=ctx.actor)
        if due_on is not None and due_on != kr.due_on:
            kr.change_due_date(due_on=due_on, cycle=cycle, author=ctx.actor)
        return Written(kr.id, kr.version, await self.save(ctx, kr))

    async def revise_target(
        self,
        ctx: Context,
        key_result_id: UUID,
        *,
        reason: str,
        target: Number | None = None,
        target_percent: Number | None = None,
        if_match: int | None = None,
    ) -> Written:
        kr, cycle = await self._live(ctx, key_result_id, if_match)
        kr.revise_target(
            cycle=cycle, reason=reason, author=ctx.actor,
            target=target, target_percent=target_percent,
        )  # fmt: skip
        return Written(kr.id, kr.version, await self.save(ctx, kr))

    async def record_check_in(
        self,
        ctx: Context,
        key_result_id: UUID,
        *,
        value: Number,
        on: date | None = None,
        confidence: int | None = None,
        note: str = "",
        source: str = "manual",
        check_in_id: UUID | None = None,
        if_match: int | None = None,
    ) -> Written:
        """Record a value for a business date (None: the tenant's today); concurrent
        check-ins never lose one, unless `if_match` (If-Match) names the version it must be
        written over: then a writer that got there first makes it VersionMismatchError,
        checked at each attempt."""
        check_in_id = check_in_id or uuid4()
        today = await self.today(ctx)  # (a value of a later day: refused)
        day = on if on is not None else today

        async def attempt() -> Written:
            kr, cycle, objective = await self.get_in_cycle(ctx, key_result_id)
            self.check_version(kr, if_match)
            new_id = kr.record_check_in(
                cycle=cycle, value=value, on=day,
                author=ctx.actor, confidence=confidence, note=note, source=source,
                check_in_id=check_in_id, latest_on=today,
                objective=objective,
            )  # fmt: skip
            positions = await self.save(ctx, kr)
            return Written(kr.id, kr.version, positions, {"check_in_id": new_id})

        return await self.retrying(attempt)

    async def correct_check_in(
        self,
        ctx: Context,
        key_result_id: UUID,
        *,
        check_in_id: UUID,
        value: Number,
        reason: str,
        confidence: int | None = None,
        note: str | None = None,
        if_match: int | None = None,
    ) -> Written:
        """Restate a check-in with a reason; the original stays in the history (`if_match`:
        as for record_check_in)."""

        async def attempt() -> Written:
            kr = await self.get(ctx, key_result_id)
            self.check_version(kr, if_match)
            kr.check_objective_live(await self.objective_of(ctx, kr))
            kr.correct_check_in(
                check_in_id=check_in_id, value=value, reason=reason, author=ctx.actor,
                confidence=confidence, note=note,
            )  # fmt: skip
            return Written(kr.id, kr.version, await self.save(ctx, kr))

        return await self.retrying(attempt)

    async def link_kpi(self, ctx: Context, key_result_id: UUID, *, kpi_id: UUID) -> Written:
        """Let a KPI feed this key result: what it measured for the cycle's days becomes
        check-ins here at once (feed_measured), and so does each measurement after."""
        kr = await self.get(ctx, key_result_id)
        kr.check_objective_live(await self.objective_of(ctx, kr))
        kpi = await self._kpi(ctx, kpi_id)
        changed: list[KeyResult | KPI] = [kr, kpi]
        if kr.kpi_id is not None and kr.kpi_id != kpi_id:
            previous = await self._kpi(ctx, kr.kpi_id)
            previous.unlink_key_result(key_result_id=kr.id, author=ctx.actor)
            changed.append(previous)
        cycle = await self.cycle(ctx, kr.cycle_id)
        kr.link_to_kpi(kpi=kpi, cycle=cycle, author=ctx.actor)
        kpi.link_key_result(key_result_id=kr.id, author=ctx.actor)
        feed_measured(kr, kpi, cycle)
        return Written(kr.id, kr.version, await self.save(ctx, *changed))

    async def unlink_kpi(self, ctx: Context, key_result_id: UUID) -> Written:
        """Stop the linked KPI feeding this key result."""
        kr, cycle = await self._live(ctx, key_result_id, None)
        changed: list[KeyResult | KPI] = [kr]
        if kr.kpi_id is not None:
            kpi = await self._kpi(ctx, kr.kpi_id)
            kpi.unlink_key_result(key_result_id=kr.id, author=ctx.actor)
            changed.append(kpi)
        kr.unlink_from_kpi(cycle=cycle, author=ctx.actor)
        return Written(kr.id, kr.version, await self.save(ctx, *changed))

    async def archive(
        self, ctx: Context, key_result_id: UUID, *, reason: str, if_match: int | None = None
    ) -> Written:
        kr, cycle = await self._live(ctx, key_result_id, if_match)
        kr.archive(reason=reason, cycle=cycle, author=ctx.actor)
        return Written(kr.id, kr.version, await self.save(ctx, kr))

    async def _kpi(self, ctx: Context, kpi_id: UUID) -> KPI:
        return await self.load(ctx, kpi_id, KPI, UnknownKpiError, "kpi_id")
