"""The client portal: server-rendered pages in Italian and English, served by the API's app.

Wired in ``services.api.app.create_app`` (one marked block)::

    app.register(portal_router(system, settings))
    app.exception_handlers.update(
        portal_app_config(system, settings, fallback=EXCEPTION_HANDLERS)["exception_handlers"]
    )
    app.on_startup.append(compile_templates_at_start)

``portal_router`` holds every page, the static files and the pages' own error handlers (404,
403, 503 for a lost database, 500). ``portal_app_config`` adds what only the app can hold: the
HTML 404 for paths no route matches (API paths and non-browser clients get ``fallback``'s).
``compile_templates_at_start`` compiles the pages' templates when the app starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from litestar import Litestar, Request, Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from services.bootstrap import System
from services.portal.controllers.account import AccountController
from services.portal.controllers.audit import AuditController
from services.portal.controllers.clients import SettingsController
from services.portal.controllers.dashboard import DashboardController
from services.portal.controllers.history import HistoryController
from services.portal.controllers.key_results import KeyResultController
from services.portal.controllers.kpis import KpiController
from services.portal.controllers.people import PeopleController
from services.portal.controllers.planning import PlanningController
from services.portal.controllers.portfolio import PortfolioController
from services.portal.controllers.scores import ScoreController
from services.portal.controllers.session import SessionController
from services.portal.controllers.team import TeamController
from services.portal.dependencies import (
    company_language,
    locale_provider,
    provide_form,
    provide_optional_viewer,
    provide_tenant,
    provide_viewer,
)
from services.portal.errors import Handler, app_page_handler, page_exception_handlers
from services.portal.pages import STATIC, STATIC_PATH, compile_templates, templates
from services.portal.portal import Portal
from services.portal.submissions import SubmissionMiddleware
from services.read.people import People

__all__ = [
    "COMPILING",
    "Portal",
    "compile_templates_at_start",
    "portal_app_config",
    "portal_router",
]

PUBLIC_OPT = {"public": True}
"""Route opt: the app's bearer-token middleware leaves the portal alone (it has sessions)."""
COMPILING = "okr_templates_compiling"
"""The app's state key of the task compiling the templates at its start (asyncio holds a
task weakly: one no one holds may be collected before it is done)."""


def portal_router(system: System, settings: Any, people: People | None = None) -> Router:
    """Every page of the portal, its static files, and its error pages (`people`: the
    names the API keeps, shared)."""
    portal = Portal.wire(system, settings, people)

    def provide_portal() -> Portal:
        return portal

    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        name="portal:static",
        include_in_schema=False,
        opt=dict(PUBLIC_OPT),
    )
    return Router(
        path="/",
        route_handlers=[
            SessionController,
            AccountController,
            PortfolioController,
            DashboardController,
            KeyResultController,
            KpiController,
            PlanningController,
            ScoreController,
            PeopleController,
            TeamController,
            SettingsController,
            HistoryController,
            AuditController,
            static,
        ],
        dependencies={
            "portal": Provide(provide_portal, sync_to_thread=False),
            "locale": Provide(locale_provider(portal)),
            "viewer": Provide(provide_viewer),
            "viewer_or_none": Provide(provide_optional_viewer),
            "tenant": Provide(provide_tenant),
            "form": Provide(provide_form),
        },
        middleware=[SubmissionMiddleware(provide_portal)],
        exception_handlers=page_exception_handlers(portal.pages),
        include_in_schema=False,
        opt=dict(PUBLIC_OPT),
    )


def portal_app_config(
    system: System, settings: Any, *, fallback: Mapping[Any, Handler] | None = None
) -> dict[str, Any]:
    """Keyword arguments to merge into ``Litestar(...)``: the app-wide HTML 404 and 405
    pages, under a company (/t/{id}/…) in its language for whoever reaches it.

    Merge its ``exception_handlers`` over the app's own (the 404 and 405 entries defer to
    them for /api/ paths and for clients that do not ask for HTML).
    """
    portal = Portal.wire(system, settings)  # its signer reads the router's sessions: one secret

    async def company(request: Request[Any, Any, Any], tenant_id: str) -> object:
        return await company_language(request, portal, tenant_id)

    handlers = dict(fallback or {})
    for status in (404, 405):
        handlers[status] = app_page_handler(portal.pages, status, fallback, company)
    return {"exception_handlers": handlers}


async def compile_templates_at_start(app: Litestar) -> None:
    """on_startup hook: every template compiled on the event loop as the app starts serving,
    where a page's first showing after a start compiled its own (300-800 ms). Not awaited:
    before the app listened, it made `okr serve` start 0.8-1.9 s later (30-45 %); a page
    asked for meanwhile compiles what it still needs itself, as every first page did. (In
    a worker thread, it and the requests took turns at the interpreter's lock: 2 s.)"""
    app.state[COMPILING] = asyncio.create_task(compile_templates(templates()))
