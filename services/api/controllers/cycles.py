"""Cycles: plan, rename or reschedule, discard, activate, close with scores, adjust a score."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from services.api.dependencies import (
    ContextDep,
    IfMatchDep,
    MinPosition,
    OkrDep,
    RuntimeDep,
    item,
    progress_tree_of,
    written,
)
from services.api.openapi import ITEM_ETAG, LOCATION
from services.api.pagination import Cursor, Limit
from services.api.responses import Response
from services.api.schemas.common import Page, WriteResult, given
from services.api.schemas.okrs import (
    CycleEdit,
    CycleIn,
    CycleOut,
    ReasonIn,
    ScoreAdjustmentIn,
)
from services.api.schemas.views import CyclePage, CycleSummary
from services.api.security import requires_close_cycles, requires_edit_okrs, requires_read


class CycleController(Controller):
    """A tenant's cycles (planning -> active -> closed)."""

    path = "/cycles"
    tags = ["cycles"]

    @get("/", guards=[requires_read], summary="List cycles")
    async def list_cycles(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        min_position: MinPosition = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[CycleSummary]:
        """Cycles with their progress, from the read model (oldest start first)."""
        page = CyclePage(None, cursor, limit)
        tree = await progress_tree_of(
            runtime, tenant_id, min_position, today=None, cycle_id=None, pick=page
        )
        listed = page.of(tree)
        cycles = [CycleSummary.of(c) for c in listed.cycles]
        return Page(items=cycles, next_cursor=listed.next_cursor)

    @post("/", guards=[requires_edit_okrs], response_headers=[LOCATION], summary="Create a cycle")
    async def create_cycle(
        self, tenant_id: FromPath[UUID], data: JSONBody[CycleIn], okr: OkrDep, ctx: ContextDep
    ) -> Response[WriteResult]:
        result = await okr.cycles.create(
            ctx, name=data.name, starts_on=data.starts_on, ends_on=data.ends_on,
            period=data.period, cycle_id=data.id,
        )  # fmt: skip
        location = f"/api/v1/tenants/{tenant_id}/cycles/{result.item_id}"
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED, location=location)

    @get(
        "/{cycle_id:uuid}",
        guards=[requires_read],
        response_headers=[ITEM_ETAG],
        summary="Get a cycle",
    )
    async def get_cycle(
        self, cycle_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep
    ) -> Response[CycleOut]:
        """The cycle as recorded, its stream version as ETag."""
        cycle = await okr.cycles.get(ctx, cycle_id)
        return item(CycleOut.of(cycle), cycle.version)

    @patch("/{cycle_id:uuid}", guards=[requires_edit_okrs], summary="Rename or reschedule a cycle")
    async def edit_cycle(
        self,
        cycle_id: FromPath[UUID],
        data: JSONBody[CycleEdit],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Its name, in any state: one no other cycle of the tenant has (409
        duplicate_name naming name), not the one it has (422 unchanged). Its days and
        period, in planning or active (closed: 409 cycle_closed), as a new cycle's; key
        results due on its end follow it. With a reason if given (null: none); at least one
        field (422 required naming name)."""
        result = await okr.cycles.edit(
            ctx, cycle_id, name=given(data.name), starts_on=given(data.starts_on),
            ends_on=given(data.ends_on), period=given(data.period), reason=data.reason,
            if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result)

    @post(
        "/{cycle_id:uuid}/discard",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Discard a cycle planned by mistake",
    )
    async def discard_cycle(
        self,
        cycle_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """A cycle in planning, with a reason: it leaves the lists, the dashboard, the
        portfolio and the progress (its history and audit keep it; as of before, it is
        there), and its name is free again. Active or closed: 409 cycle_not_planning naming
        state; with an objective not archived: 409 cycle_not_empty naming cycle_id (archive
        them first). Discarded, it is no cycle: 404."""
        result = await okr.cycles.discard(ctx, cycle_id, reason=data.reason, if_match=if_match)
        return await written(okr, ctx, result)

    @post(
        "/{cycle_id:uuid}/activate",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Activate a cycle",
    )
    async def activate_cycle(
        self, cycle_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep, if_match: IfMatchDep
    ) -> Response[WriteResult]:
        return await written(okr, ctx, await okr.cycles.activate(ctx, cycle_id, if_match=if_match))

    @post(
        "/{cycle_id:uuid}/close",
        guards=[requires_close_cycles],
        status_code=200,
        summary="Close a cycle with scores",
    )
    async def close_cycle(
        self, cycle_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep, if_match: IfMatchDep
    ) -> Response[WriteResult]:
        """Grade every key result and objective, then lock the cycle."""
        return await written(okr, ctx, await okr.cycles.close(ctx, cycle_id, if_match=if_match))

    @post(
        "/{cycle_id:uuid}/score-adjustments",
        guards=[requires_close_cycles],
        status_code=200,
        summary="Adjust a closing score",
    )
    async def adjust_score(
        self,
        cycle_id: FromPath[UUID],
        data: JSONBody[ScoreAdjustmentIn],
        okr: OkrDep,
        ctx: ContextDep,
    ) -> Response[WriteResult]:
        """A key result's or objective's closing score, from 0 to 1, with a reason: not the
        one it has (422 unchanged naming score); the objectives made of it follow."""
        result = await okr.cycles.adjust_score(
            ctx, cycle_id, item_id=data.item_id, score=data.score, reason=data.reason
        )
        return await written(okr, ctx, result)
