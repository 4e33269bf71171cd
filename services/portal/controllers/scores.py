"""A closed cycle's score changed from the dashboard, with a reason, by whoever may close
cycles (the API's command): the objectives it is part of follow, unless set by hand.

A form that fails comes back open on the dashboard, with what was typed and, beside each
field, why (all at once); nothing is recorded. Where the dashboard no longer offers the form
(the cycle is not closed, the item is archived: a hand-made POST), the refusal is said at
the top of the page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import FromPath
from litestar.response import Redirect

from domain.errors import DomainError
from services.app import Context
from services.app.base import ChangedMeanwhileError
from services.portal.controllers.dashboard import dashboard_page
from services.portal.dependencies import (
    FormDep,
    LocaleDep,
    PortalDep,
    TenantDep,
    ViewerDep,
    parse_id,
)
from services.portal.errors import ForbiddenError, PageNotFoundError
from services.portal.planning import typed
from services.portal.scores import SCORE_FIELDS, ScoreForm, scored
from services.projector.waiting import wait_for_position
from services.read import progress_state
from services.store.event_store import ConcurrencyError
from tenants.roles import Permission


class ScoreController(Controller):
    """/t/{tenant_id}/scores/{item_id}: a key result's or an objective's closing score."""

    path = "/t/{tenant_id:str}/scores"

    @post("/{item_id:str}", name="portal:adjust-score")
    async def adjust(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDep,
        locale: LocaleDep,
        viewer: ViewerDep,
        tenant: TenantDep,
        item_id: FromPath[str],
        form: FormDep,
    ) -> Response[Any]:
        """Give a key result or an objective of a closed cycle a new score, and why."""
        if not viewer.can(tenant.id, Permission.CLOSE_CYCLES):
            raise ForbiddenError
        state = await progress_state(portal.system.pool, tenant.id)
        item = parse_id(item_id)
        found = scored(state, item)
        if found is None:
            raise PageNotFoundError
        cycle = found.cycle
        adjusting = ScoreForm("score", str(item), typed(form, SCORE_FIELDS), locale)
        score, reason = adjusting.score(), adjusting.reason()
        adjusting.check(found, score)
        if not adjusting.errors and score is not None:
            try:
                written = await portal.app.cycles.adjust_score(
                    Context(tenant.id, viewer.actor), cycle.cycle_id, item_id=item,
                    score=score, reason=reason, shown=adjusting.shown("was"),
                )  # fmt: skip
            except ChangedMeanwhileError as error:  # (the view lagged: the log says it)
                now = locale.score(error.now) if isinstance(error.now, Decimal) else "—"
                adjusting.errors["score"] = locale.t("score.changed_meanwhile", now=now)
                await portal.caught_up(tenant.id)
            except (DomainError, ConcurrencyError) as error:
                adjusting.refused(error)
            else:
                await wait_for_position(
                    portal.system.pool, tenant.id, written.position,
                    within=portal.read_wait_seconds,
                )  # fmt: skip
                where = f"/t/{tenant.id}?cycle={cycle.cycle_id}&done=score_adjusted#score-{item}"
                return Redirect(path=where, status_code=303)
        return await dashboard_page(
            request, portal, locale, viewer, tenant, str(cycle.cycle_id), planned=adjusting,
            status=422,
        )  # fmt: skip
