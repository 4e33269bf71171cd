"""What the app does when it starts, for its first requests to be as quick as the next ones."""

from __future__ import annotations

from jinja2 import DictLoader, Environment
from structlog.testing import capture_logs

from services.api import create_app
from services.bootstrap import System
from services.portal import COMPILING
from services.portal.pages import compile_templates, templates
from services.settings import Settings


def compiled(env: Environment) -> set[str]:
    """The names of the templates in `env`'s cache (its keys: the loader's and the name)."""
    assert env.cache is not None  # the portal's environment caches what it compiles
    return {name for _, name in env.cache}


async def test_the_portal_s_templates_are_compiled_when_the_app_starts(
    system: System, api_settings: Settings
) -> None:
    """A page's first showing after a start compiled its templates then: 300-800 ms for a
    dashboard or a KPI's page, whose next showing takes 20-50. The app's start compiles
    every one of them, with no request asked for."""
    cache = templates().cache
    assert cache is not None
    cache.clear()
    app = create_app(system, api_settings)
    assert compiled(templates()) == set()
    async with app.lifespan():  # as uvicorn runs it
        assert compiled(templates()) == set()  # the start did not wait for them
        await app.state[COMPILING]
        assert compiled(templates()) == set(templates().list_templates())


async def test_a_template_that_does_not_compile_is_said_by_name_and_the_others_compile() -> None:
    """A template that does not compile is said at the start, by name (its page fails when
    shown, as it did), and does not keep the others from being compiled."""
    sources = {"bad.html": "{% if %}", "good.html": "{{ 1 }}"}
    env = Environment(loader=DictLoader(sources), autoescape=True)
    with capture_logs() as logs:
        await compile_templates(env)
    broken = [log["template"] for log in logs if log["event"] == "portal.template_broken"]
    assert broken == ["bad.html"]
    assert compiled(env) == {"good.html"}
