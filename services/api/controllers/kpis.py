"""KPIs: define, move thresholds, record and correct measurements, feed key results."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from projections.progress_tree import KPINode, kpi_board
from projections.series import KPI_KIND, KPISeries, kpi_series
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
    ValidAt,
    as_of_moment,
    caught_up,
    item,
    not_known_at,
    read_as_of,
    refuse_a_day_to_come,
    series_of,
    source_of,
    tenant_today,
    written,
)
from services.api.openapi import ITEM_ETAG, LOCATION, READ_AS_OF_HEADER
from services.api.pagination import Cursor, Limit, by_business_date, paginate
from services.api.problems import NotFoundError
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
    DirectionIn,
    KpiEditIn,
    KpiIn,
    KpiLinkIn,
    KpiOut,
    MeasurementCorrectionIn,
    MeasurementIn,
    MeasurementOut,
    ReasonIn,
    ThresholdsIn,
)
from services.api.security import requires_check_in, requires_edit_okrs, requires_read


class KpiController(Controller):
    """KPIs: the health of business as usual, feeding key results."""

    path = "/kpis"
    tags = ["kpis"]

    @get("/", guards=[requires_read], summary="List KPIs", response_headers=[READ_AS_OF_HEADER])
    async def list_kpis(
        self,
        tenant_id: FromPath[UUID],
        runtime: RuntimeDep,
        today: Today = None,
        valid_at: ValidAt = None,
        as_of: AsOf = None,
        as_of_position: AsOfPosition = None,
        min_position: MinPosition = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Response[Page[KPINode]]:
        """Every live KPI with its latest value, health and staleness (the read model), in id
        order (kpi_id): one added meanwhile comes on a later page if its id sorts after the
        cursor. With `as_of` and/or `as_of_position`, as the system knew them then, on that
        day (as /progress shows its tree; an `as_of` still to come read as now, and the
        X-OKR-Read-As-Of header says the instant read)."""
        await refuse_a_day_to_come(runtime, tenant_id, valid_at, today)
        moment = None
        if as_of is None and as_of_position is None:
            await caught_up(runtime, tenant_id, min_position, "progress")
            state = await read.progress_state(runtime.pool, tenant_id)
            today = today or await tenant_today(runtime, tenant_id)
        else:
            zone, moment = await as_of_moment(
                runtime, tenant_id, as_of, as_of_position, min_position
            )
            state, today = await read.shown_as_of(
                runtime.system.repository, tenant_id, today=today, zone=zone,
                position=as_of_position, recorded_at=moment,
            )  # fmt: skip
        board = kpi_board(state, today=today, valid_at=valid_at)
        page = paginate(board, lambda k: (str(k.kpi_id),), cursor, limit)
        return Response(page, headers=read_as_of(moment))

    @post("/", guards=[requires_edit_okrs], response_headers=[LOCATION], summary="Create a KPI")
    async def create_kpi(
        self, tenant_id: FromPath[UUID], data: JSONBody[KpiIn], okr: OkrDep, ctx: ContextDep
    ) -> Response[WriteResult]:
        result = await okr.kpis.create(
            ctx, name=data.name, direction=data.direction, green=data.green, red=data.red,
            frequency_days=data.frequency_days, owner=owner_of(data.owner, ctx.actor),
            unit=unit_of(data.unit), description=data.description, kpi_id=data.id,
        )  # fmt: skip
        location = f"/api/v1/tenants/{tenant_id}/kpis/{result.item_id}"
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED, location=location)

    @get(
        "/{kpi_id:uuid}",
        guards=[requires_read],
        response_headers=[ITEM_ETAG],
        summary="Get a KPI",
    )
    async def get_kpi(
        self, kpi_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep
    ) -> Response[KpiOut]:
        kpi = await okr.kpis.get(ctx, kpi_id)
        return item(KpiOut.of(kpi, await okr.kpis.feeding(ctx, kpi)), kpi.version)

    @patch("/{kpi_id:uuid}", guards=[requires_edit_okrs], summary="Edit a KPI")
    async def edit_kpi(
        self,
        kpi_id: FromPath[UUID],
        data: JSONBody[KpiEditIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Name, owner, frequency (unchanged values record nothing); not its unit. A field
        left out stays as it is; each always has a value: null for one is 422
        `not_clearable` naming it."""
        result = await okr.kpis.edit(
            ctx, kpi_id, if_match=if_match, name=given(data.name),
            owner=changed_owner(data.owner), frequency_days=given(data.frequency_days),
            unit=unit_of(given(data.unit)),
        )  # fmt: skip
        return await written(okr, ctx, result)

    @put("/{kpi_id:uuid}/direction", guards=[requires_edit_okrs], summary="Turn its direction")
    async def change_direction(
        self,
        kpi_id: FromPath[UUID],
        data: JSONBody[DirectionIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Higher or lower is better, set right with thresholds that fit it and a reason:
        its measurements stay, their health follows. While it feeds key results of cycles
        not closed that increase or decrease it the way that would turn worse (those of an
        archived objective too: restored, they are fed again): 409 `feeds_key_results`
        naming `direction`, saying which (unlink them first)."""
        result = await okr.kpis.change_direction(
            ctx, kpi_id, direction=data.direction, green=data.green, red=data.red,
            reason=data.reason, if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result)

    @post(
        "/{kpi_id:uuid}/archive",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Archive a KPI",
    )
    async def archive_kpi(
        self,
        kpi_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Retire the KPI, with a reason: it takes no more measurements and so feeds its key
        results no more (their values so far stay); it leaves the dashboards and the
        portfolio's count, and stays in the history."""
        result = await okr.kpis.archive(ctx, kpi_id, reason=data.reason, if_match=if_match)
        return await written(okr, ctx, result)

    @put("/{kpi_id:uuid}/thresholds", guards=[requires_edit_okrs], summary="Move thresholds")
    async def change_thresholds(
        self,
        kpi_id: FromPath[UUID],
        data: JSONBody[ThresholdsIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        result = await okr.kpis.change_thresholds(
            ctx, kpi_id, green=data.green, red=data.red, reason=data.reason, if_match=if_match
        )
        return await written(okr, ctx, result)

    @get("/{kpi_id:uuid}/measurements", guards=[requires_read], summary="List measurements")
    async def list_measurements(
        self,
        kpi_id: FromPath[UUID],
        okr: OkrDep,
        ctx: ContextDep,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[MeasurementOut]:
        kpi = await okr.kpis.get(ctx, kpi_id)
        found = [MeasurementOut.of(m) for m in kpi.measurements.values()]
        return paginate(found, by_business_date, cursor, limit)

    @post("/{kpi_id:uuid}/measurements", guards=[requires_check_in], summary="Record a value")
    async def record_measurement(
        self,
        kpi_id: FromPath[UUID],
        data: JSONBody[MeasurementIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """A value for a date; each linked key result of an open cycle gets it as a check-in."""
        result = await okr.kpis.record_measurement(
            ctx, kpi_id, value=data.value, on=data.on, note=data.note, source=source_of(ctx),
            measurement_id=data.id, if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED)

    @post(
        "/{kpi_id:uuid}/measurements/{measurement_id:uuid}/corrections",
        guards=[requires_check_in],
        summary="Correct a measurement",
    )
    async def correct_measurement(
        self,
        kpi_id: FromPath[UUID],
        measurement_id: FromPath[UUID],
        data: JSONBody[MeasurementCorrectionIn],
        okr: OkrDep,
        ctx: ContextDep,
        if_match: IfMatchDep,
    ) -> Response[WriteResult]:
        """Correct the value (and the note, if given), and with the same reason the
        check-ins it fed."""
        result = await okr.kpis.correct_measurement(
            ctx, kpi_id, measurement_id=measurement_id, value=data.value, reason=data.reason,
            note=data.note, if_match=if_match,
        )  # fmt: skip
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED)

    @get(
        "/{kpi_id:uuid}/series",
        guards=[requires_read],
        summary="Values over time",
        response_headers=[READ_AS_OF_HEADER],
    )
    async def get_kpi_series(
        self,
        tenant_id: FromPath[UUID],
        kpi_id: FromPath[UUID],
        runtime: RuntimeDep,
        okr: OkrDep,
        ctx: ContextDep,
        min_position: MinPosition = None,
        as_of: AsOf = None,
        as_of_position: AsOfPosition = None,
    ) -> Response[KPISeries]:
        """Its chart: every measurement recorded (a corrected one stays, superseded) and the
        thresholds of its health, now or as they stood at an instant/position."""
        state, points, headers = await series_of(
            runtime, tenant_id, kpi_id, KPI_KIND, min_position, as_of, as_of_position
        )
        chart = kpi_series(state, kpi_id, points)
        if chart is None:
            await okr.kpis.get(ctx, kpi_id)  # 404 for no such KPI
            raise not_known_at("kpi_id", "KPI", state.last_position)
        return Response(chart, headers=headers)

    @post("/{kpi_id:uuid}/key-results", guards=[requires_edit_okrs], summary="Feed a key result")
    async def feed_key_result(
        self, kpi_id: FromPath[UUID], data: JSONBody[KpiLinkIn], okr: OkrDep, ctx: ContextDep
    ) -> Response[WriteResult]:
        """Link the key result: what the KPI measured for the days of the key result's
        cycle becomes its check-ins at once, and so does each measurement after. One that
        would aim to make the KPI worse (an increase where lower is better, or a decrease
        where higher is): 409 `against_direction` naming `kpi_id`."""
        result = await okr.key_results.link_kpi(ctx, data.key_result_id, kpi_id=kpi_id)
        return await written(okr, ctx, result, status_code=HTTP_201_CREATED)

    @delete(
        "/{kpi_id:uuid}/key-results/{key_result_id:uuid}",
        guards=[requires_edit_okrs],
        status_code=200,
        summary="Stop feeding a key result",
    )
    async def stop_feeding_key_result(
        self, kpi_id: FromPath[UUID], key_result_id: FromPath[UUID], okr: OkrDep, ctx: ContextDep
    ) -> Response[WriteResult]:
        kr = await okr.key_results.get(ctx, key_result_id)
        if kr.kpi_id != kpi_id:
            raise NotFoundError(
                "this KPI does not feed that key result", field="key_result_id", rule="not_linked"
            )
        return await written(okr, ctx, await okr.key_results.unlink_kpi(ctx, key_result_id))
