"""List items drawn from the read model (the tree flattened), and small view shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec

from projections.choices import HealthOrNone, LevelText, PeriodText, StateText
from projections.history import HistoryLine
from projections.progress_state import CycleView
from projections.progress_tree import (
    CycleNode,
    ListedObjective,
    ObjectiveFigures,
    ProgressTree,
)
from services.api.pagination import paginate
from services.api.schemas.common import Out, Page
from tenants.models import ApiKey, Membership, Tenant


class HistoryPage(Out):
    """A page of the history; pass ``next_cursor`` as ``cursor`` for the next (null: the
    end of what the history holds now). The history is a read model: it may stand behind
    the log (``through_position`` under ``head_position``), and the lines of the events
    past it come later. A sync that reads forward resumes with ``after_position`` set to
    ``through_position`` of its last page (or to the position it asked after, if larger),
    never to its last line's alone, and has every line once; to wait for the rest, give
    ``min_position`` = ``head_position`` (503 if the history does not get there within
    OKR_READ_WAIT_SECONDS)."""

    items: list[HistoryLine]
    next_cursor: str | None
    through_position: Annotated[
        int,
        msgspec.Meta(
            description="The log position the history holds every line through, whatever"
            " the filters: the lines of events up to it are in this walk's pages (read"
            " forward: this one and those before it; a page with more after it says its"
            " last line's), those past it not yet, or not all."
        ),
    ]
    head_position: Annotated[
        int,
        msgspec.Meta(
            description="The log's head when this page was read: over through_position, the"
            " history is behind by the difference, and a later read has their lines."
        ),
    ]


class CycleSummary(Out):
    """A cycle with its rolled-up progress (and scores once closed)."""

    cycle_id: UUID
    name: str
    period: PeriodText
    starts_on: date
    ends_on: date
    state: StateText
    progress: Decimal | None
    score: Decimal | None
    score_band: HealthOrNone

    @classmethod
    def of(cls, c: CycleNode) -> CycleSummary:
        return cls(
            cycle_id=c.cycle_id, name=c.name, period=c.period, starts_on=c.starts_on,
            ends_on=c.ends_on, state=c.state, progress=c.progress, score=c.score,
            score_band=c.score_band,
        )  # fmt: skip


class ObjectiveSummary(Out):
    """An objective with its rolled-up progress (its key results are listed apart)."""

    objective_id: UUID
    cycle_id: UUID
    parent_id: UUID | None
    title: str
    owner: str
    level: LevelText
    committed: bool
    weight: Decimal
    archived: bool
    progress: Decimal | None
    score: Decimal | None
    key_results: int

    @classmethod
    def of(cls, listed: ListedObjective, figures: ObjectiveFigures) -> ObjectiveSummary:
        o = listed.objective
        return cls(
            objective_id=o.objective_id, cycle_id=listed.cycle_id, parent_id=o.parent_id,
            title=o.title, owner=o.owner, level=o.level, committed=o.committed,
            weight=o.weight, archived=o.archived, progress=figures.progress,
            score=figures.score, key_results=figures.key_results,
        )  # fmt: skip


class ProgressPage(ProgressTree, frozen=True, kw_only=True):
    """The tree with a page of its cycles, oldest start first (as the list of cycles):
    100 unless `limit` says, 500 at most; pass ``next_cursor`` as ``cursor`` for the next
    (null: the end), with the same `as_of`, `valid_at` and `today`."""

    next_cursor: str | None = None

    @classmethod
    def of(cls, tree: ProgressTree, page: Page[CycleNode]) -> ProgressPage:
        return cls(
            tree.today, tree.valid_at, tree.position, tree.last_activity, page.items,
            next_cursor=page.next_cursor,
        )  # fmt: skip


def by_start(cycle: CycleNode | CycleView) -> tuple[str, str]:
    """The order of cycles: oldest start first, then id."""
    return cycle.starts_on.isoformat(), str(cycle.cycle_id)


class CyclePage:
    """A page of a tenant's cycles (by_start; `limit` of them after `cursor`; with
    `cycle_id`, that one), picked from the tenant's cycles before any tree is made
    (read.Pick), and the answer of the tree made of them: where every cycle's tree was
    made to keep a page of them."""

    def __init__(self, cycle_id: UUID | None, cursor: str | None, limit: int) -> None:
        self.cycle_id, self.cursor, self.limit = cycle_id, cursor, limit
        self.page: Page[CycleView] = Page(items=[], next_cursor=None)

    def __call__(self, cycles: list[CycleView]) -> list[UUID]:
        cycles = [c for c in cycles if self.cycle_id in (None, c.cycle_id)]
        self.page = paginate(cycles, by_start, self.cursor, self.limit)
        return [c.cycle_id for c in self.page.items]

    def of(self, tree: ProgressTree) -> ProgressPage:
        """The tree of the page's cycles, in the page's order, with its next cursor."""
        nodes = {c.cycle_id: c for c in tree.cycles}
        items = [nodes[c.cycle_id] for c in self.page.items]
        return ProgressPage.of(tree, Page(items=items, next_cursor=self.page.next_cursor))


class ChainReportOut(Out):
    """A recomputation of the tenant's hash chain: ok, or the first position that breaks."""

    tenant_id: UUID
    ok: bool
    checked: int
    head_position: int
    first_bad_position: int | None
    problem: str | None


class Person(Out):
    """Someone the tenant's log names by id: who they are, where known."""

    actor: str
    """"user:<uuid>", "key:<uuid>", as the log says it."""
    name: str | None


class DirectoryOut(Out):
    """Who is who in a tenant, beside its log (which names people by id only): its
    settings, members, consultancy admins, API keys (revoked ones too) and the names of
    those who acted in it. With the trail's JSON Lines, what an export before an erase
    needs to read the log."""

    tenant: Tenant
    members: list[Membership]
    consultancy_admins: list[Person]
    api_keys: list[ApiKey]
    people: list[Person]
    """Everyone the log names (who acted, whose access changed), with a name where one is
    known."""
