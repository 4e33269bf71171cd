"""Key results: create, edit, revise the target, check in, correct a check-in, archive."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from projections.progress_state import cadence_of
from projections.progress_tree import KeyResultNode, key_result_node, listed_key_results
from projections.series import KEY_RESULT, KeyResultSeries, key_result_series
from services import read
from services.api.dependencies import (
    AsOf,
    AsOfPosition,
    ContextDep,
    IfMatchDep,
    MinPosition,
    OkrDep,
    RuntimeDep,
    Today,
    caught_up,
    filters_in_view,
    item,
    not_known_at,
    series_of,
    source_of,
    tenant_today,
    written,
)
from services.api.openapi import ITEM_ETAG, LOCATION, READ_AS_OF_HEADER
from services.api.pagination import Cursor, Limit, by_business_date, paginate
from services.api.responses import Response
from services.api.schemas.common import (
    Page,
    WriteResult,
    changed_owner,
    given,
    owner_of,
    unit_of,
)
from services.api.schemas.okrs import (
    CheckInIn,
    CheckInOut,
    CorrectionIn,
    KeyResultEdit,
    KeyResultIn,
    KeyResultOut,
    ReasonIn,
    TargetRevisionIn,
)
from services.api.security import (
    requires_check_in,
    requires_edit_okrs,
    requires_read,
    requires_revise_targets,
)


class KeyResultController(Controller):
    """Key results and their check-ins."""

    path = "/key-results"
    tags = ["key-results"]

    @get("/", guards=[requires_read], summary="List key results")
    async def list_key_results(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        cycle_id: FromQuery[UUID | None] = None,
        objective_id: FromQuery[UUID | None] = None,
        today: Today = None,
        min_position: MinPosition = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[KeyResultNode]:
        """Live key results with value, progress, pace and status on a day (the read model),
        in id order (key_result_id): a key result added meanwhile comes on a later page if
        its id sorts after the cursor."""
        await caught_up(runtime, tenant_id, min_position, "progress")
        state = await read.progress_state(runtime.pool, tenant_id)
        filters_in_view(state, cycle_id, objective_id=objective_id)
        found = [
            kr
            for kr in listed_key_results(state, cycle_id)
            if objective_id is None or kr.objective_id == objective_id
        ]
        page = paginate(found, lambda k: (str(k.key_result_id),), cursor, limit)
        day = today or await tenant_today(runtime, tenant_id)
        cadence = cadence_of(state, await runtime.cadence_days(tenant_id))
        nodes = [key_result_node(state, kr, today=day, cadence_days=cadence) for kr in page.items]
        return Page(items=nodes, next_cursor=page.next_cursor)

    @post(
        "/",
        guards=[requires_edit_okrs],
        response_headers=[LOCATION],
        summary="Create a key result",
    )
    async def create_key_result(
        self, tenant_id: FromPath[UUID], data: JSONBody[KeyResultIn], okr: OkrDep, ctx: ContextDep
    ) -> Response[WriteResult]:
        result = await okr.key_results.create(
            ctx, objective_id=data.objective_id, title=data.title, kind=data.kind,
            owner=owner_of(data.owner, ctx.actor), start=data.start, target=data.target,
            target_percent=data.target_percent, unit=unit_of(data.unit), weight=data.weight,
            due_on=data.due_on, kpi_id=data.kpi_id, key_result_id=data.id,
        )  # fmt: skip
        location = f"/api/v1/tenants/{tenant_id}/key-results/{result.item_id}"
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED, location=location)

    @get(
        "/{key_result_id:uuid}",
        guards=[requires_read],
        response_headers=[ITEM_ETAG],
        summary="Get a key result",
    )
    async def get_key_result(
        self, key_result_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep
    ) -> Response[KeyResultOut]:
        kr = await okr.key_results.get(ctx, key_result_id)
        cycle = await okr.cycles.get(ctx, kr.cycle_id)
        return item(KeyResultOut.of(kr, cycle), kr.version)

    @patch("/{key_result_id:uuid}", guards=[requires_edit_okrs], summary="Edit a key result")
    async def edit_key_result(
        self,
        key_result_id: FromPath[UUID],
        data: JSONBody[KeyResultEdit],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Title, owner, weight, due date (unchanged values record nothing). A field left
        out stays as it is; each always has a value (a key result is due on a day: its
        cycle's end unless set): null for one is 422 `not_clearable` naming it."""
        result = await okr.key_results.edit(
            ctx, key_result_id, if_match=if_match, title=given(data.title),
            owner=changed_owner(data.owner), weight=given(data.weight), due_on=given(data.due_on),
        )  # fmt: skip
        return await written(okr, ctx, result)

    @post(
        "/{key_result_id:uuid}/target-revisions",
        guards=[requires_revise_targets],
        summary="Revise the target",
    )
    async def revise_target(
        self,
        key_result_id: FromPath[UUID],
        data: JSONBody[TargetRevisionIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """A new target with a reason; the original target stays visible."""
        result = await okr.key_results.revise_target(
            ctx, key_result_id, reason=data.reason, target=data.target,
            target_percent=data.target_percent, if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED)

    @get("/{key_result_id:uuid}/check-ins", guards=[requires_read], summary="List check-ins")
    async def list_check_ins(
        self,
        key_result_id: FromPath[UUID],
        okr: OkrDep,
        ctx: ContextDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[CheckInOut]:
        """Every check-in as it stands after corrections, by business date."""
        kr = await okr.key_results.get(ctx, key_result_id)
        found = [CheckInOut.of(c) for c in kr.check_ins.values()]
        return paginate(found, by_business_date, cursor, limit)

    @post("/{key_result_id:uuid}/check-ins", guards=[requires_check_in], summary="Check in")
    async def check_in(
        self,
        key_result_id: FromPath[UUID],
        data: JSONBody[CheckInIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """A value for a business date; concurrent check-ins on one key result never lose one."""
        result = await okr.key_results.record_check_in(
            ctx, key_result_id, value=data.value, on=data.on, confidence=data.confidence,
            note=data.note, source=source_of(ctx), check_in_id=data.id, if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED)

    @post(
        "/{key_result_id:uuid}/check-ins/{check_in_id:uuid}/corrections",
        guards=[requires_check_in],
        summary="Correct a check-in",
    )
    async def correct_check_in(
        self,
        key_result_id: FromPath[UUID],
        check_in_id: FromPath[UUID],
        data: JSONBody[CorrectionIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """A new event with a reason; the original value stays in the history."""
        result = await okr.key_results.correct_check_in(
            ctx, key_result_id, check_in_id=check_in_id, value=data.value, reason=data.reason,
            confidence=data.confidence, note=data.note, if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED)

    @get(
        "/{key_result_id:uuid}/series",
        guards=[requires_read],
        summary="Values over time",
        response_headers=[READ_AS_OF_HEADER],
    )
    async def get_key_result_series(
        self,
        tenant_id: FromPath[UUID],
        key_result_id: FromPath[UUID],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        min_position: MinPosition = None,
        as_of: AsOf = None,
        as_of_position: AsOfPosition = None,
    ) -> Response[KeyResultSeries]:
        """Its chart: every value recorded (a corrected one stays, superseded), the
        expected-pace line and the target, now or as they stood at an instant/position."""
        state, points, headers = await series_of(
            runtime, tenant_id, key_result_id, KEY_RESULT, min_position, as_of, as_of_position
        )
        chart = key_result_series(state, key_result_id, points)
        if chart is None:
            await okr.key_results.get(ctx, key_result_id)  # 404 for no such key result
            raise not_known_at("key_result_id", "key result", state.last_position)
        return Response(chart, headers=headers)

    @post(
        "/{key_result_id:uuid}/archive",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Archive a key result",
    )
    async def archive_key_result(
        self,
        key_result_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        result = await okr.key_results.archive(
            ctx, key_result_id, reason=data.reason, if_match=if_match
        )
        return await written(okr, ctx, result)
