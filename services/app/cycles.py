"""Cycle commands: plan, rename, reschedule, discard, activate, close with scores, adjust a
score."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from uuid import UUID

import asyncpg
from eventsourcing.domain import Aggregate

from domain import progress, values
from domain.cycle import Cycle, check_name_free
from domain.errors import InvalidValueError
from domain.key_result import KeyResult, follow_reschedule
from domain.objective import Objective
from projections.history_text import FOLLOWS
from services.app.base import Commands, Context, Written, refuse_reserved_id
from services.db import admit_sql
from services.store.event_store import ConcurrencyError, head_on, lock_head_on
from services.store.repository import transaction


class CycleCommands(Commands):
    """Commands on cycles."""

    async def get(self, ctx: Context, cycle_id: UUID) -> Cycle:
        return await self.cycle(ctx, cycle_id)

    async def create(
        self,
        ctx: Context,
        *,
        name: str,
        starts_on: date,
        ends_on: date,
        period: str | None = None,
        cycle_id: UUID | None = None,
    ) -> Written:
        """Plan a cycle, named as no other cycle of the tenant is (see named_apart)."""
        cycle = Cycle.create(
            name=name, starts_on=starts_on, ends_on=ends_on, period=period, id=cycle_id
        )
        refuse_reserved_id(ctx, cycle)
        try:
            positions = await self.save_named(ctx, cycle)
        except ConcurrencyError:
            await self.refuse_taken_id(ctx, cycle)
            raise
        return Written(cycle.id, cycle.version, positions)

    async def rename(
        self,
        ctx: Context,
        cycle_id: UUID,
        *,
        name: str,
        reason: str | None = None,
        if_match: int | None = None,
        shown: str | None = None,
    ) -> Written:
        """Give a cycle, in any state, a name no other cycle of the tenant has (see
        named_apart), with a reason if given (`shown`: the name the caller saw, else
        refused)."""
        cycle = await self.get(ctx, cycle_id)
        self.check_version(cycle, if_match)
        self.check_shown("name", shown, cycle.name)
        cycle.rename(name=name, reason=reason, author=ctx.actor)
        return Written(cycle.id, cycle.version, await self.save_named(ctx, cycle))

    async def edit(
        self,
        ctx: Context,
        cycle_id: UUID,
        *,
        name: str | None = None,
        starts_on: date | None = None,
        ends_on: date | None = None,
        period: str | None = None,
        reason: str | None = None,
        if_match: int | None = None,
    ) -> Written:
        """Rename a cycle (as rename) and set right its days (as reschedule), each when
        given, in one append with one reason: either refused, nothing is recorded. Given
        both, one that changes nothing is let be (a form sends the name it shows), unless
        neither does (422 unchanged)."""
        dated = (starts_on, ends_on, period) != (None, None, None)
        if name is None and not dated:
            raise InvalidValueError(
                "give a name, starts_on, ends_on or period", field="name", rule="required"
            )
        cycle = await self.get(ctx, cycle_id)
        self.check_version(cycle, if_match)
        renaming = name is not None and not (dated and values.title(name) == cycle.name)
        if renaming and name is not None:
            cycle.rename(name=name, reason=reason, author=ctx.actor)
        try:
            following = await self._rescheduled(ctx, cycle, starts_on, ends_on, period, reason) \
                if dated else []  # fmt: skip
        except InvalidValueError as refused:
            if not renaming or refused.rule != "unchanged":
                raise
            following = []
        if not renaming:
            return Written(cycle.id, cycle.version, await self.save(ctx, cycle, *following))
        return Written(cycle.id, cycle.version, await self.save_named(ctx, cycle, *following))

    async def reschedule(
        self,
        ctx: Context,
        cycle_id: UUID,
        *,
        starts_on: date | None = None,
        ends_on: date | None = None,
        period: str | None = None,
        reason: str | None = None,
        if_match: int | None = None,
    ) -> Written:
        """Set right the days of a cycle in planning or active (None: as they are), its
        period by its new length unless named; its key results due on its end follow it
        (key_result.follow_reschedule), in the same append."""
        return await self.edit(
            ctx, cycle_id, starts_on=starts_on, ends_on=ends_on, period=period,
            reason=reason, if_match=if_match,
        )  # fmt: skip

    async def _rescheduled(
        self,
        ctx: Context,
        cycle: Cycle,
        starts_on: date | None,
        ends_on: date | None,
        period: str | None,
        reason: str | None,
    ) -> list[KeyResult]:
        """Reschedule the loaded cycle: the key results that follow it, changed."""
        was_ending = cycle.ends_on
        cycle.reschedule(
            starts_on=starts_on, ends_on=ends_on, period=period, reason=reason,
            author=ctx.actor,
        )  # fmt: skip
        _, key_results = await self._items_of(ctx, cycle.id)
        return follow_reschedule(key_results, cycle, was_ending=was_ending, author=ctx.actor)

    async def save_named(self, ctx: Context, cycle: Cycle, *changed: Aggregate) -> list[int]:
        """Save a cycle just planned or renamed (and what `changed` with it), its name
        checked apart from the tenant's other cycles' in the same transaction
        (named_apart): the positions written."""
        async with transaction(self.repository.store.pool, admit_sql([ctx.tenant_id])) as conn:
            await self.named_apart(ctx, conn, cycle)
            positions = await self.save(ctx, cycle, *changed, conn=conn)
        self.repository.appended(ctx.tenant_id, positions[-1])
        return positions

    async def named_apart(self, ctx: Context, conn: asyncpg.Connection, cycle: Cycle) -> None:
        """Refuse the cycle's name if another cycle of the tenant has it (DuplicateNameError,
        409 naming `name`), for sure: the tenant's log is read whole, under the head lock
        its appends take (lock_head_on) until this transaction commits, so two cycles
        planned or renamed at once with one name cannot both pass. Most of it is read before
        the lock, up to the head then, and only what came since under it: the tenant's other
        writes wait for a short read, not for a scan of its log. Each cycle's name is the
        last its log gave it (planned, then renamed); a discarded one's is free again."""
        kinds = [Cycle.Created, Cycle.Renamed, Cycle.Discarded]
        head = await head_on(conn, ctx.tenant_id)
        named = await self.repository.events_on(conn, ctx.tenant_id, kinds, upto=head)
        await lock_head_on(conn, ctx.tenant_id)
        named += await self.repository.events_on(conn, ctx.tenant_id, kinds, after=head)
        names: dict[UUID, str] = {}
        for e in named:
            if isinstance(e, Cycle.Discarded):
                names.pop(e.originator_id, None)
            else:
                names[e.originator_id] = e.name
        names.pop(cycle.id, None)
        check_name_free(cycle.name, names.values())

    async def discard(
        self, ctx: Context, cycle_id: UUID, *, reason: str, if_match: int | None = None
    ) -> Written:
        """Discard a cycle planned by mistake, with a reason: refused while it has an
        objective not archived (Cycle.discard)."""
        cycle = await self.get(ctx, cycle_id)
        self.check_version(cycle, if_match)
        objectives, _ = await self._items_of(ctx, cycle_id)
        cycle.discard(
            reason=reason, author=ctx.actor, live_objectives=[o.title for o in objectives]
        )
        return Written(cycle.id, cycle.version, await self.save(ctx, cycle))

    async def activate(
        self, ctx: Context, cycle_id: UUID, *, if_match: int | None = None
    ) -> Written:
        cycle = await self.get(ctx, cycle_id)
        self.check_version(cycle, if_match)
        cycle.activate(author=ctx.actor)
        return Written(cycle.id, cycle.version, await self.save(ctx, cycle))

    async def close(self, ctx: Context, cycle_id: UUID, *, if_match: int | None = None) -> Written:
        """Grade every key result and objective of the cycle, then lock it."""
        cycle = await self.get(ctx, cycle_id)
        self.check_version(cycle, if_match)
        scoring = _Scoring(*await self._items_of(ctx, cycle_id))
        kr_scores = {kr.id: kr.score for kr in scoring.key_results if not kr.is_archived}
        cycle.close(
            key_result_scores=kr_scores,
            objective_scores=scoring.objectives_scored(kr_scores),
            closed_by=ctx.actor,
        )
        return Written(cycle.id, cycle.version, await self.save(ctx, cycle))

    async def adjust_score(
        self,
        ctx: Context,
        cycle_id: UUID,
        *,
        item_id: UUID,
        score: Decimal,
        reason: str,
        shown: Decimal | None = None,
    ) -> Written:
        """Change a closing score, with a reason (`shown`: the score the caller saw, else
        refused). The objectives it is part of follow, while each one's score is what it is
        made of (no one set it by hand): the new scores are recorded with it, in the same
        append, bottom up."""
        cycle = await self.get(ctx, cycle_id)
        key_results, objectives = cycle.key_result_scores, cycle.objective_scores
        self.check_shown("score", shown, key_results.get(item_id, objectives.get(item_id)))
        cycle.adjust_score(item_id=item_id, score=score, reason=reason, author=ctx.actor)
        scoring = _Scoring(*await self._items_of(ctx, cycle_id))
        follows = scoring.following(
            key_results, cycle.key_result_scores, objectives, cycle.objective_scores
        )
        reason = FOLLOWS.format(title=_one_line(scoring.title(item_id)))
        for objective_id, objective_score in follows:
            cycle.adjust_score(
                item_id=objective_id, score=objective_score, reason=reason, author=ctx.actor
            )
        return Written(cycle.id, cycle.version, await self.save(ctx, cycle))

    async def _items_of(
        self, ctx: Context, cycle_id: UUID
    ) -> tuple[list[Objective], list[KeyResult]]:
        """The cycle's objectives (but archived ones) and key results: those made for it,
        loaded together."""
        objective_ids = await self.made_for(ctx, Objective, "cycle_id", cycle_id)
        kr_ids = await self.made_for(ctx, KeyResult, "cycle_id", cycle_id)
        kinds = [Objective] * len(objective_ids) + [KeyResult] * len(kr_ids)
        items = await self.repository.get_many(
            ctx.tenant_id, [*objective_ids, *kr_ids], kinds, grants=ctx.grants
        )
        objectives = [o for o in items[: len(objective_ids)] if not o.is_archived]
        return objectives, items[len(objective_ids) :]


def _one_line(text: str) -> str:
    """A stored title as a reason may carry it: no control character or line or paragraph
    separator (an older title may have one, from before values._text refused them); joiners,
    no-break spaces and marks stay as they are."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


Scores = dict[UUID, Decimal]
SAME_WITHIN = Decimal("1E-26")
"""How near a stored score must be to what it is worked out from to be that: a score closed
before progress.objective_progress rounded once may differ from it in its last digits."""


def _made_of(stored: Decimal, worked_out: Decimal) -> bool:
    """Whether an objective's stored score is the one its parts give (not set by hand)."""
    return abs(stored - worked_out) <= SAME_WITHIN


class _Scoring:
    """A cycle's objectives (not archived) and key results, to score the objectives as
    their progress rolls up (GLOSSARY): the weighted mean of an objective's key results'
    scores and, where it rolls its aligned children up, of theirs."""

    def __init__(self, objectives: list[Objective], key_results: list[KeyResult]) -> None:
        live = {o.id for o in objectives}
        self.key_results = [kr for kr in key_results if kr.objective_id in live]
        """Those of objectives not archived: one archived takes its own out of the scores."""
        self._titles: dict[UUID, str] = {o.id: o.title for o in objectives}
        self._titles |= {kr.id: kr.title for kr in key_results}
        by_id = {o.id: o for o in objectives}
        self._children = {o.id: [c for c in objectives if c.parent_id == o.id] for o in objectives}

        def depth(objective: Objective) -> int:
            parent = by_id.get(objective.parent_id) if objective.parent_id else None
            return 0 if parent is None else 1 + depth(parent)

        self._bottom_up = sorted(objectives, key=depth, reverse=True)

    def title(self, item_id: UUID) -> str:
        return self._titles.get(item_id, str(item_id))

    def _score(
        self, objective: Objective, kr_scores: Scores, scores: Scores, *, roll_up: bool = True
    ) -> Decimal | None:
        mine = [(kr.weight, kr_scores[kr.id]) for kr in self.key_results if kr.id in kr_scores
                and kr.objective_id == objective.id]  # fmt: skip
        rolls = roll_up and objective.roll_up_children
        children = self._children[objective.id] if rolls else []
        return progress.objective_progress(mine, [(c.weight, scores.get(c.id)) for c in children])

    def objectives_scored(self, kr_scores: Scores) -> Scores:
        """Each objective's score at close (none for one with nothing scored)."""
        scores: Scores = {}
        for objective in self._bottom_up:
            score = self._score(objective, kr_scores, scores)
            if score is not None:
                scores[objective.id] = score
        return scores

    def following(
        self, kr_before: Scores, kr_after: Scores, before: Scores, after: Scores
    ) -> list[tuple[UUID, Decimal]]:
        """The objectives whose scores follow a change from the `before` scores to the
        `after` ones, with their new scores, bottom up: those whose score was what they are
        made of (not set by hand, nor just now)."""
        now = dict(after)
        follows = []
        for objective in self._bottom_up:
            key = objective.id
            if key not in before or after.get(key) != before[key]:
                continue  # not scored, or the one just set by hand
            for roll_up in (True, False):  # False: a cycle closed when close rolled none up
                was = self._score(objective, kr_before, before, roll_up=roll_up)
                if was is not None and _made_of(before[key], was):
                    score = self._score(objective, kr_after, now, roll_up=roll_up)
                    if score is not None and score not in (was, before[key]):
                        now[key] = score
                        follows.append((key, score))
                    break
        return follows
