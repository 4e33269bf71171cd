"""Objective commands: create, edit, re-parent (no loops, same cycle), archive, restore."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import asyncpg

from domain import values
from domain.cycle import Cycle
from domain.errors import UnknownObjectiveError
from domain.key_result import KeyResult, takes_values_of
from domain.kpi import KPI
from domain.objective import Objective
from services.app.base import Commands, Context, Written
from services.app.kpis import feed_missed
from services.db import admit_sql
from services.store.event_store import lock_head_on
from services.store.repository import transaction


class ObjectiveCommands(Commands):
    """Commands on objectives."""

    async def get(self, ctx: Context, objective_id: UUID) -> Objective:
        return await self.load(ctx, objective_id, Objective, UnknownObjectiveError, "objective_id")

    async def create(
        self,
        ctx: Context,
        *,
        cycle_id: UUID,
        title: str,
        owner: str,
        level: str = "team",
        description: str = "",
        parent_id: UUID | None = None,
        committed: bool = False,
        weight: Decimal | int | str = 1,
        roll_up_children: bool = False,
        objective_id: UUID | None = None,
    ) -> Written:
        cycle = await self.cycle(ctx, cycle_id)
        parent = None if parent_id is None else await self._parent(ctx, parent_id)
        objective = Objective.create(
            cycle=cycle, title=title, owner=owner, level=level, description=description,
            parent=parent, committed=committed, weight=weight,
            roll_up_children=roll_up_children, id=objective_id,
        )  # fmt: skip
        return Written(objective.id, objective.version, await self.save_new(ctx, objective))

    async def edit(
        self,
        ctx: Context,
        objective_id: UUID,
        *,
        if_match: int | None = None,
        title: str | None = None,
        description: str | None = None,
        owner: str | None = None,
        weight: Decimal | int | str | None = None,
        committed: bool | None = None,
        roll_up_children: bool | None = None,
    ) -> Written:
        """Change any of the given fields, in one command (unchanged values record nothing)."""
        objective = await self.get(ctx, objective_id)
        self.check_version(objective, if_match)
        cycle = await self.cycle(ctx, objective.cycle_id)
        if title is not None and values.title(title) != objective.title:  # as it would be kept
            objective.rename(title=title, cycle=cycle, author=ctx.actor)
        if description is not None and description != objective.description:
            objective.describe(description=description, cycle=cycle, author=ctx.actor)
        if owner is not None and owner != objective.owner:
            objective.change_owner(owner=owner, cycle=cycle, author=ctx.actor)
        if weight is not None and Decimal(str(weight)) != objective.weight:
            objective.change_weight(weight=weight, cycle=cycle, author=ctx.actor)
        if committed is not None and committed != objective.committed:
            objective.set_committed(committed=committed, cycle=cycle, author=ctx.actor)
        if roll_up_children is not None and roll_up_children != objective.roll_up_children:
            objective.set_roll_up_children(
                roll_up_children=roll_up_children, cycle=cycle, author=ctx.actor
            )
        return Written(objective.id, objective.version, await self.save(ctx, objective))

    async def reparent(
        self,
        ctx: Context,
        objective_id: UUID,
        *,
        parent_id: UUID | None,
        if_match: int | None = None,
    ) -> Written:
        """Align the objective under another of the same cycle (or make it top-level)."""
        objective = await self.get(ctx, objective_id)
        self.check_version(objective, if_match)
        cycle = await self.cycle(ctx, objective.cycle_id)
        parent = None if parent_id is None else await self._parent(ctx, parent_id)
        ancestors = [] if parent is None else await self._ancestors(ctx, parent)
        objective.reparent(
            new_parent=parent, new_parent_ancestors=ancestors, cycle=cycle, author=ctx.actor
        )
        return Written(objective.id, objective.version, await self.save(ctx, objective))

    async def archive(
        self, ctx: Context, objective_id: UUID, *, reason: str, if_match: int | None = None
    ) -> Written:
        objective = await self.get(ctx, objective_id)
        self.check_version(objective, if_match)
        cycle = await self.cycle(ctx, objective.cycle_id)
        objective.archive(reason=reason, cycle=cycle, author=ctx.actor)
        return Written(objective.id, objective.version, await self.save(ctx, objective))

    async def restore(
        self, ctx: Context, objective_id: UUID, *, reason: str, if_match: int | None = None
    ) -> Written:
        """Bring an archived objective back, with its key results (Objective.restore): those
        a KPI feeds take at once what it measured meanwhile (_fed_again). Another writer
        first (a rival restore): tried again on the fresh state, so the second of two says
        why it is refused (not archived, naming objective_id), as it would have later."""

        async def attempt() -> Written:
            objective = await self.get(ctx, objective_id)
            self.check_version(objective, if_match)
            cycle = await self.cycle(ctx, objective.cycle_id)
            parent_id = objective.parent_id
            parent = None if parent_id is None else await self._parent(ctx, parent_id)
            objective.restore(reason=reason, cycle=cycle, parent=parent, author=ctx.actor)
            archives = await self.repository.positioned_events_of(
                ctx.tenant_id, objective.id, [Objective.Archived], grants=ctx.grants
            )
            kept = await self._kept(ctx, objective)
            pool, admit = self.repository.store.pool, admit_sql([ctx.tenant_id])
            async with transaction(pool, admit) as conn:  # (its loads done: see Joined)
                fed = await self._fed_again(ctx, conn, kept, archives[-1][0], cycle)
                positions = await self.save(ctx, objective, *fed, conn=conn)
            self.repository.appended(ctx.tenant_id, positions[-1])
            return Written(objective.id, objective.version, positions)

        return await self.retrying(attempt)

    async def _kept(self, ctx: Context, objective: Objective) -> list[tuple[KeyResult, list[UUID]]]:
        """The objective's key results not archived on their own, each with the KPIs it was
        ever linked to (_kpis_of): those made for it, loaded together."""
        ids = await self.made_for(ctx, KeyResult, "objective_id", objective.id)
        krs = await self.repository.get_many(
            ctx.tenant_id, ids, [KeyResult] * len(ids), grants=ctx.grants
        )
        return [
            (kr, await self._kpis_of(ctx, kr))
            for kr in krs
            if kr.objective_id == objective.id and not kr.is_archived
        ]

    async def _fed_again(
        self,
        ctx: Context,
        conn: asyncpg.Connection,
        kept: list[tuple[KeyResult, list[UUID]]],
        after: int,
        cycle: Cycle,
    ) -> list[KeyResult]:
        """The `kept` key results as they would stand had their objective never been
        archived (at log position `after`): what the KPIs that fed them measured and
        corrected since (feed_missed: each measurement once, each correction of a value it
        fed), those it feeds fed, those it fed once corrected; those changed. The KPIs are
        read in the restore's transaction `conn`, under the tenant's head lock, so that no
        measurement or correction is appended between this read and the restore: one that
        read the objective archived fed its key results nothing, and was given back by
        neither. (One that read it so and is appended after the restore runs again: see
        KpiCommands._live.)"""
        await lock_head_on(conn, ctx.tenant_id)
        fed = []
        for kr, kpi_ids in kept:
            version = kr.version
            for kpi_id in kpi_ids:
                kpi = await self.repository.get(
                    ctx.tenant_id, kpi_id, grants=ctx.grants, kind=KPI, conn=conn
                )
                events = await self.repository.positioned_events_of(
                    ctx.tenant_id, kpi.id, [KPI.Measured, KPI.MeasurementCorrected],
                    grants=ctx.grants, conn=conn,
                )  # fmt: skip
                feeds = kr.kpi_id == kpi.id and kr.id in kpi.linked_key_results
                feeds = feeds and takes_values_of(kr.kind, kr.unit, kpi)  # (retired too)
                feed_missed(kr, events, after, cycle, feeds=feeds)
            if kr.version != version:
                fed.append(kr)
        return fed

    async def _kpis_of(self, ctx: Context, kr: KeyResult) -> list[UUID]:
        """The KPIs the key result was ever linked to, now or once (a KPI unlinked since
        corrects the check-ins it fed: see KpiCommands._fed)."""
        links = await self.repository.positioned_events_of(
            ctx.tenant_id, kr.id, [KeyResult.Created, KeyResult.LinkedToKpi], grants=ctx.grants
        )
        ids = [e.kpi_id for _, e in links if getattr(e, "kpi_id", None) is not None]
        return list(dict.fromkeys([*ids, *([] if kr.kpi_id is None else [kr.kpi_id])]))

    async def _parent(self, ctx: Context, parent_id: UUID) -> Objective:
        return await self.load(ctx, parent_id, Objective, UnknownObjectiveError, "parent_id")

    async def _ancestors(self, ctx: Context, parent: Objective) -> list[UUID]:
        """The chain above `parent`, stopping at a repeat (a corrupt loop cannot hang us)."""
        chain: list[UUID] = []
        current = parent
        while current.parent_id is not None and current.parent_id not in chain:
            chain.append(current.parent_id)
            current = await self._parent(ctx, current.parent_id)
        return chain
