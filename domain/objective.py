"""The objective aggregate: a qualitative ambition of one cycle, aligned in a tree."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import values
from domain.cycle import Cycle
from domain.errors import (
    ArchivedError,
    CrossCycleAlignmentError,
    NotArchivedError,
    ReparentLoopError,
)
from domain.values import DEFAULT_WEIGHT, ObjectiveLevel


class Objective(Aggregate):
    """An objective with owner, level, weight and an optional parent (alignment)."""

    TOPIC = "okr.Objective"

    class Created(Aggregate.Created):
        """An objective was set for a cycle."""

        TOPIC = "okr.Objective.Created"
        cycle_id: UUID
        title: str
        description: str
        level: str
        owner: str
        parent_id: UUID | None
        committed: bool
        weight: Decimal
        roll_up_children: bool

    class Renamed(Aggregate.Event):
        """The title changed."""

        TOPIC = "okr.Objective.Renamed"
        title: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new title."""
            objective: Objective = aggregate
            objective._title = self.title

    class Described(Aggregate.Event):
        """The description changed."""

        TOPIC = "okr.Objective.Described"
        description: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new description."""
            objective: Objective = aggregate
            objective._description = self.description

    class OwnerChanged(Aggregate.Event):
        """Someone else owns the objective."""

        TOPIC = "okr.Objective.OwnerChanged"
        owner: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new owner."""
            objective: Objective = aggregate
            objective._owner = self.owner

    class WeightChanged(Aggregate.Event):
        """Its weight in the parent's roll-up changed."""

        TOPIC = "okr.Objective.WeightChanged"
        weight: Decimal
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new weight."""
            objective: Objective = aggregate
            objective._weight = self.weight

    class CommitmentChanged(Aggregate.Event):
        """Committed (expected 1.0) or aspirational (0.7 is success) changed."""

        TOPIC = "okr.Objective.CommitmentChanged"
        committed: bool
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new commitment."""
            objective: Objective = aggregate
            objective._committed = self.committed

    class RollUpChanged(Aggregate.Event):
        """Whether aligned child objectives count in its progress changed."""

        TOPIC = "okr.Objective.RollUpChanged"
        roll_up_children: bool
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new roll-up setting."""
            objective: Objective = aggregate
            objective._roll_up_children = self.roll_up_children

    class Reparented(Aggregate.Event):
        """The objective was aligned to another parent (or to none)."""

        TOPIC = "okr.Objective.Reparented"
        parent_id: UUID | None
        previous_parent_id: UUID | None
        author: str

        def apply(self, aggregate: Any) -> None:
            """Keep the new parent."""
            objective: Objective = aggregate
            objective._parent_id = self.parent_id

    class Archived(Aggregate.Event):
        """The objective was retired; it can no longer change."""

        TOPIC = "okr.Objective.Archived"
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Freeze the objective."""
            objective: Objective = aggregate
            objective._archived = True

    class Restored(Aggregate.Event):
        """The objective, archived, was brought back: it and its key results count again."""

        TOPIC = "okr.Objective.Restored"
        reason: str
        author: str

        def apply(self, aggregate: Any) -> None:
            """Make the objective live again."""
            objective: Objective = aggregate
            objective._archived = False

    def __init__(
        self,
        *,
        cycle_id: UUID,
        title: str,
        description: str,
        level: str,
        owner: str,
        parent_id: UUID | None,
        committed: bool,
        weight: Decimal,
        roll_up_children: bool,
    ) -> None:
        self._cycle_id = cycle_id
        self._title = title
        self._description = description
        self._level = level
        self._owner = owner
        self._parent_id = parent_id
        self._committed = committed
        self._weight = weight
        self._roll_up_children = roll_up_children
        self._archived = False

    @classmethod
    def create(
        cls,
        *,
        cycle: Cycle,
        title: str,
        owner: str,
        level: ObjectiveLevel | str = ObjectiveLevel.TEAM,
        description: str = "",
        parent: Objective | None = None,
        committed: bool = False,
        weight: Decimal | int | str = DEFAULT_WEIGHT,
        roll_up_children: bool = False,
        id: UUID | None = None,  # client-supplied id (the library's keyword)
    ) -> Objective:
        """Set an objective in an open cycle, optionally aligned to a parent of that cycle."""
        cycle.check_open_for(cycle.id)
        if parent is not None:
            _check_parent(parent, cycle.id)
        return cls._create(
            cls.Created,
            id=id,
            cycle_id=cycle.id,
            title=values.title(title),
            description=values.note(description, "description"),
            level=values.choice(ObjectiveLevel, level, "level").value,
            owner=values.principal(owner, "owner"),
            parent_id=None if parent is None else parent.id,
            committed=values.flag(committed, "committed"),
            weight=values.weight(weight),
            roll_up_children=values.flag(roll_up_children, "roll_up_children"),
        )

    def rename(self, *, title: str, cycle: Cycle, author: str) -> None:
        """Change the title."""
        self._check_editable(cycle)
        new = values.title(title)
        self.trigger_event(self.Renamed, title=new, author=values.principal(author, "author"))

    def describe(self, *, description: str, cycle: Cycle, author: str) -> None:
        """Change the description (may be empty)."""
        self._check_editable(cycle)
        text = values.note(description, "description")
        self.trigger_event(
            self.Described, description=text, author=values.principal(author, "author")
        )

    def change_owner(self, *, owner: str, cycle: Cycle, author: str) -> None:
        """Hand the objective to another owner."""
        self._check_editable(cycle)
        new = values.principal(owner, "owner")
        self.trigger_event(self.OwnerChanged, owner=new, author=values.principal(author, "author"))

    def change_weight(self, *, weight: Decimal | int | str, cycle: Cycle, author: str) -> None:
        """Change the weight this objective has in its parent's roll-up."""
        self._check_editable(cycle)
        new = values.weight(weight)
        self.trigger_event(
            self.WeightChanged, weight=new, author=values.principal(author, "author")
        )

    def set_committed(self, *, committed: bool, cycle: Cycle, author: str) -> None:
        """Mark the objective committed (True) or aspirational (False)."""
        self._check_editable(cycle)
        flag = values.flag(committed, "committed")
        self.trigger_event(
            self.CommitmentChanged, committed=flag, author=values.principal(author, "author")
        )

    def set_roll_up_children(self, *, roll_up_children: bool, cycle: Cycle, author: str) -> None:
        """Choose whether aligned children count in this objective's progress."""
        self._check_editable(cycle)
        flag = values.flag(roll_up_children, "roll_up_children")
        self.trigger_event(
            self.RollUpChanged, roll_up_children=flag, author=values.principal(author, "author")
        )

    def reparent(
        self,
        *,
        new_parent: Objective | None,
        new_parent_ancestors: Sequence[UUID],
        cycle: Cycle,
        author: str,
    ) -> None:
        """Align to ``new_parent`` (None: top level); its ancestors prove there is no loop.
        Under the parent it has already: nothing happens, nothing is recorded."""
        self._check_editable(cycle)
        if (None if new_parent is None else new_parent.id) == self._parent_id:
            return
        if new_parent is not None:
            self._check_no_loop(new_parent, new_parent_ancestors)
            _check_parent(new_parent, self._cycle_id)
        self.trigger_event(
            self.Reparented,
            parent_id=None if new_parent is None else new_parent.id,
            previous_parent_id=self._parent_id,
            author=values.principal(author, "author"),
        )

    def archive(self, *, reason: str, cycle: Cycle, author: str) -> None:
        """Retire the objective, with a reason."""
        self._check_editable(cycle)
        why = values.reason(reason)
        self.trigger_event(self.Archived, reason=why, author=values.principal(author, "author"))

    def restore(self, *, reason: str, cycle: Cycle, parent: Objective | None, author: str) -> None:
        """Bring the archived objective back, with a reason: into its cycle while that is
        not closed (a closed cycle's scores left it out), and under its parent (`parent`,
        None at the top) while that is not archived. Its key results come back with it
        (those archived on their own stay archived)."""
        cycle.check_open_for(self._cycle_id)
        if not self._archived:
            raise NotArchivedError("the objective is not archived", field="objective_id")
        if parent is not None and parent.id == self._parent_id and parent.is_archived:
            raise ArchivedError(
                "the objective it is aligned under is archived: restore that one first",
                field="parent_id",
                rule="parent_archived",
            )
        why = values.reason(reason)
        self.trigger_event(self.Restored, reason=why, author=values.principal(author, "author"))

    def _check_editable(self, cycle: Cycle) -> None:
        cycle.check_open_for(self._cycle_id)
        if self._archived:
            raise ArchivedError("the objective is archived", field="objective_id")

    def _check_no_loop(self, parent: Objective, ancestors: Sequence[UUID]) -> None:
        if parent.id == self.id or self.id in ancestors:
            raise ReparentLoopError(
                "an objective cannot be aligned under itself or its descendants",
                field="parent_id",
            )

    @property
    def cycle_id(self) -> UUID:
        """The cycle this objective belongs to."""
        return self._cycle_id

    @property
    def title(self) -> str:
        """Current title."""
        return self._title

    @property
    def description(self) -> str:
        """Current description ("" when none)."""
        return self._description

    @property
    def level(self) -> ObjectiveLevel:
        """company, team or individual."""
        return ObjectiveLevel(self._level)

    @property
    def owner(self) -> str:
        """Current owner (an opaque principal reference)."""
        return self._owner

    @property
    def parent_id(self) -> UUID | None:
        """Current parent objective, None at the top of the tree."""
        return self._parent_id

    @property
    def committed(self) -> bool:
        """True if committed (expected to reach 1.0), False if aspirational."""
        return self._committed

    @property
    def weight(self) -> Decimal:
        """Weight in the parent's roll-up."""
        return self._weight

    @property
    def roll_up_children(self) -> bool:
        """True if aligned child objectives count in this objective's progress."""
        return self._roll_up_children

    @property
    def is_archived(self) -> bool:
        """True once archived."""
        return self._archived


def _check_parent(parent: Objective, cycle_id: UUID) -> None:
    if parent.cycle_id != cycle_id:
        raise CrossCycleAlignmentError(
            "an objective can only align to a parent of the same cycle", field="parent_id"
        )
    if parent.is_archived:
        raise ArchivedError("cannot align to an archived objective", field="parent_id")
