"""Cycle commands: plan, activate, close with scores, adjust a score."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain import progress
from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from services.app.base import Commands, Context, Written

_CREATED_TOPICS = ["okr.Objective.Created", "okr.KeyResult.Created"]


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
        period: str = "quarter",
        cycle_id: UUID | None = None,
    ) -> Written:
        cycle = Cycle.create(
            name=name, starts_on=starts_on, ends_on=ends_on, period=period, id=cycle_id
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
        objectives, key_results = await self._items_of(ctx, cycle_id)
        kr_scores = {kr.id: kr.score for kr in key_results if not kr.is_archived}
        cycle.close(
            key_result_scores=kr_scores,
            objective_scores=_objective_scores(objectives, key_results, kr_scores),
            closed_by=ctx.actor,
        )
        return Written(cycle.id, cycle.version, await self.save(ctx, cycle))

    async def adjust_score(
        self, ctx: Context, cycle_id: UUID, *, item_id: UUID, score: Decimal, reason: str
    ) -> Written:
        """Change a closing score, with a reason. A key result's objective follows, while
        its score is what its key results' give (no one set it by hand): its new weighted
        mean is recorded with it, in the same append."""
        cycle = await self.get(ctx, cycle_id)
        before = cycle.key_result_scores
        cycle.adjust_score(item_id=item_id, score=score, reason=reason, author=ctx.actor)
        if item_id in before:
            follows = await self._objective_following(ctx, cycle, item_id, before)
            if follows is not None:
                objective_id, objective_score, title = follows
                cycle.adjust_score(
                    item_id=objective_id, score=objective_score, author=ctx.actor,
                    reason=FOLLOWS.format(title=_one_line(title)),
                )  # fmt: skip
        return Written(cycle.id, cycle.version, await self.save(ctx, cycle))

    async def _objective_following(
        self, ctx: Context, cycle: Cycle, key_result_id: UUID, before: dict[UUID, Decimal]
    ) -> tuple[UUID, Decimal, str] | None:
        """The objective of a key result just rescored, and its new default score, if its
        score was its key results' weighted mean before (and so follows them)."""
        objectives, key_results = await self._items_of(ctx, cycle.id)
        kr = next(k for k in key_results if k.id == key_result_id)
        mine = [o for o in objectives if o.id == kr.objective_id]
        scored = cycle.objective_scores.get(kr.objective_id)
        if not mine or scored is None:
            return None
        was = _objective_scores(mine, key_results, before).get(kr.objective_id)
        now = _objective_scores(mine, key_results, cycle.key_result_scores).get(kr.objective_id)
        if scored != was or now is None or now == was:
            return None
        return kr.objective_id, now, kr.title

    async def _items_of(
        self, ctx: Context, cycle_id: UUID
    ) -> tuple[list[Objective], list[KeyResult]]:
        """The cycle's objectives and key results, read from the log (closing is rare)."""
        stream_ids = await self.repository.store.stream_ids(
            ctx.tenant_id, _CREATED_TOPICS, grants=ctx.grants
        )
        objectives, key_results = [], []
        for stream_id in stream_ids:
            item = await self.repository.get(ctx.tenant_id, stream_id, grants=ctx.grants)
            if item.cycle_id != cycle_id:
                continue
            if isinstance(item, KeyResult):
                key_results.append(item)
            elif not item.is_archived:
                objectives.append(item)
        return objectives, key_results


FOLLOWS = (
    "follows its key results' scores ('{title}' was rescored)"
    " / segue i punteggi dei suoi risultati chiave ('{title}' è stato rivalutato)"
)
"""The reason an objective's score follows with, in both of the portal's languages: it is
stored in the event, as a person's reason is."""


def _one_line(text: str) -> str:
    """A stored title as a reason may carry it: no control character or line or paragraph
    separator (an older title may have one, from before values._text refused them); joiners,
    no-break spaces and marks stay as they are."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


def _objective_scores(
    objectives: list[Objective], key_results: list[KeyResult], kr_scores: dict[UUID, Decimal]
) -> dict[UUID, Decimal]:
    """Each objective's score: the weighted mean of its key results' scores."""
    scores = {}
    for objective in objectives:
        mine = [(kr.weight, kr_scores[kr.id]) for kr in key_results if kr.id in kr_scores
                and kr.objective_id == objective.id]  # fmt: skip
        score = progress.objective_progress(mine)
        if score is not None:
            scores[objective.id] = score
    return scores
