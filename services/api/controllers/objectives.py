"""Objectives: create, edit, re-parent, archive, restore; the list and the tree."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from projections.progress_tree import listed_objectives, objective_figures
from services import read
from services.api.dependencies import (
    ContextDep,
    IfMatchDep,
    MinPosition,
    OkrDep,
    RuntimeDep,
    Today,
    caught_up,
    filters_in_view,
    item,
    progress_tree_of,
    written,
)
from services.api.openapi import ITEM_ETAG, LOCATION
from services.api.pagination import (
    Cursor,
    CycleCursor,
    CycleLimit,
    Limit,
    one_cycle_whole,
    paginate,
)
from services.api.responses import Response
from services.api.schemas.common import Page, WriteResult, changed_owner, given, owner_of
from services.api.schemas.okrs import ObjectiveEdit, ObjectiveIn, ObjectiveOut, ParentIn, ReasonIn
from services.api.schemas.views import CyclePage, ObjectiveSummary, ProgressPage
from services.api.security import requires_edit_okrs, requires_read


class ObjectiveController(Controller):
    """Objectives of a tenant, aligned in a tree per cycle."""

    path = "/objectives"
    tags = ["objectives"]

    @get("/", guards=[requires_read], summary="List objectives")
    async def list_objectives(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        cycle_id: FromQuery[UUID | None] = None,
        parent_id: FromQuery[UUID | None] = None,
        min_position: MinPosition = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[ObjectiveSummary]:
        """Live objectives with progress, from the read model; filter by cycle or parent. In
        id order (objective_id): one added meanwhile comes on a later page if its id sorts
        after the cursor."""
        await caught_up(runtime, tenant_id, min_position, "progress")
        state = await read.progress_state(runtime.pool, tenant_id)
        filters_in_view(state, cycle_id, parent_id=parent_id)
        found = [
            listed
            for listed in listed_objectives(state, cycle_id)
            if parent_id is None or listed.objective.parent_id == parent_id
        ]
        page = paginate(found, lambda o: (str(o.objective.objective_id),), cursor, limit)
        figures = objective_figures(state, page.items)
        summaries = [ObjectiveSummary.of(*one) for one in zip(page.items, figures, strict=True)]
        return Page(items=summaries, next_cursor=page.next_cursor)

    @get("/tree", guards=[requires_read], summary="The objective tree")
    async def objective_tree(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        cycle_id: FromQuery[UUID | None] = None,
        today: Today = None,
        min_position: MinPosition = None,
        cursor: CycleCursor = None,
        limit: CycleLimit = None,
    ) -> ProgressPage:
        """Cycles -> objectives nested by alignment -> key results, with progress and status.
        The cycles are paged as /progress pages them (`limit`: 100 unless given, 500 at
        most), oldest start first, `next_cursor` beside them (null: the last page), each
        page on the `today` asked, a cursor taken under that alone. A tenant of 100 cycles
        or fewer gets them all, as before paging, and `next_cursor` null. With `cycle_id`,
        that one cycle's tree, whole: `limit` and `cursor` are refused (422 naming each,
        rule not_with_cycle_id)."""
        page = CyclePage(cycle_id, cursor, one_cycle_whole(cycle_id, cursor, limit))
        tree = await progress_tree_of(
            runtime, tenant_id, min_position, today=today, cycle_id=cycle_id, pick=page
        )
        return page.of(tree)

    @post(
        "/",
        guards=[requires_edit_okrs],
        response_headers=[LOCATION],
        summary="Create an objective",
    )
    async def create_objective(
        self, tenant_id: FromPath[UUID], data: JSONBody[ObjectiveIn], okr: OkrDep, ctx: ContextDep
    ) -> Response[WriteResult]:
        result = await okr.objectives.create(
            ctx, cycle_id=data.cycle_id, title=data.title, owner=owner_of(data.owner, ctx.actor),
            level=data.level, description=data.description, parent_id=data.parent_id,
            committed=data.committed, weight=data.weight,
            roll_up_children=data.roll_up_children, objective_id=data.id,
        )  # fmt: skip
        location = f"/api/v1/tenants/{tenant_id}/objectives/{result.item_id}"
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED, location=location)

    @get(
        "/{objective_id:uuid}",
        guards=[requires_read],
        response_headers=[ITEM_ETAG],
        summary="Get an objective",
    )
    async def get_objective(
        self, objective_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep
    ) -> Response[ObjectiveOut]:
        objective = await okr.objectives.get(ctx, objective_id)
        return item(ObjectiveOut.of(objective), objective.version)

    @patch("/{objective_id:uuid}", guards=[requires_edit_okrs], summary="Edit an objective")
    async def edit_objective(
        self,
        objective_id: FromPath[UUID],
        data: JSONBody[ObjectiveEdit],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Title, description, owner, weight, commitment, roll-up (unchanged values record
        nothing). A field left out stays as it is; null takes the description away (as
        ""), and for any other field, which always has a value, is 422 `not_clearable`
        naming it."""
        result = await okr.objectives.edit(
            ctx, objective_id, if_match=if_match, title=given(data.title),
            description="" if data.description is None else given(data.description),
            owner=changed_owner(data.owner), weight=given(data.weight),
            committed=given(data.committed), roll_up_children=given(data.roll_up_children),
        )  # fmt: skip
        return await written(okr, ctx, result)

    @put("/{objective_id:uuid}/parent", guards=[requires_edit_okrs], summary="Re-parent")
    async def reparent_objective(
        self,
        objective_id: FromPath[UUID],
        data: JSONBody[ParentIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Align under another objective of the same cycle (no loops), or make it top-level."""
        result = await okr.objectives.reparent(
            ctx, objective_id, parent_id=data.parent_id, if_match=if_match
        )
        return await written(okr, ctx, result)

    @post(
        "/{objective_id:uuid}/archive",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Archive an objective",
    )
    async def archive_objective(
        self,
        objective_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        result = await okr.objectives.archive(
            ctx, objective_id, reason=data.reason, if_match=if_match
        )
        return await written(okr, ctx, result)

    @post(
        "/{objective_id:uuid}/restore",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Restore an archived objective",
    )
    async def restore_objective(
        self,
        objective_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Bring an archived objective back, with a reason: it and its key results (those
        not archived on their own) count again in the tree, the roll-ups, check-ins and the
        KPIs that feed them. Refused, 409 naming the field: one not archived
        (`objective_id`, not_archived), of a closed cycle (`cycle_id`, cycle_closed), or
        aligned under an objective still archived (`parent_id`, parent_archived)."""
        result = await okr.objectives.restore(
            ctx, objective_id, reason=data.reason, if_match=if_match
        )
        return await written(okr, ctx, result)
