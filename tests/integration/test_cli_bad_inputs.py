"""`okr users reset-password`, the CLI's one command that writes what people see, given
each bad input: one line on stderr naming the option and the rule, ending "nothing
changed", exit 1, and nothing changed (the password, every log head)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.bootstrap import System
from tenants.directory import create_consultancy, create_tenant
from tenants.memberships import add_membership
from tenants.users import authenticate_password, create_user, disable_user
from tests.integration.test_cli import okr

OLD = "la vecchia password"
GIVEN = "una scelta dall'operatore\n"


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (("--email", ""), None, "okr: --email: not an email address: ''"),
        (("--email", "a\x01b@esempio.it"), None,
         "okr: --email: not an email address: 'a\\x01b@esempio.it'"),
        (("--email", "nessuno@esempio.example"), None,
         "okr: no account signs in with nessuno@esempio.example"),
        (("--email", "{email}", "--reason", "x" * 1001), None,
         "okr: --reason is longer than 1000 characters"),
        (("--email", "{email}", "--reason", "  "), None, "okr: --reason must not be empty"),
        (("--email", "{email}", "--password-stdin"), "",
         "okr: --password-stdin: password must be 12 to 1024 characters"),
        (("--email", "{email}", "--password-stdin"), "p" * 1025 + "\n",
         "okr: --password-stdin: password must be 12 to 1024 characters"),
        (("--email", "{email}", "--by", "nessuno@okr.example"), None,
         "okr: --by: no platform admin signs in with nessuno@okr.example"),
        (("--email", "{email}", "--by", "not an email"), None,
         "okr: --by: not an email address: 'not an email'"),
        (("--email", "{disabled}"), None, "okr: the account of {disabled} is disabled"),
    ],
)  # fmt: skip
async def test_a_reset_password_refused_says_why_in_a_line_and_changes_nothing(
    system: System,
    admin_dsn: str,
    admin: asyncpg.Connection,
    args: tuple[str, ...],
    stdin: str | None,
    said: str,
) -> None:
    """Each refusal says the option at fault and the rule, then "nothing changed" (the
    malformed --email said no such thing, unlike every other refusal), and it is so: the
    person's password and the log of the company they reach are as before."""
    tag = uuid.uuid4().hex[:6]
    tenant = await create_tenant(system.pool, (await create_consultancy(system.pool, "S")).id, "T")
    person = await create_user(system.pool, f"smemorata-{tag}@esempio.example", "S", password=OLD)
    await add_membership(system.pool, tenant.id, person.id, "client_member")
    gone = await create_user(system.pool, f"andata-{tag}@esempio.example", "A", password=OLD)
    await disable_user(system.pool, gone.id)
    names = {"email": person.email, "disabled": gone.email}
    head = await system.store.head(tenant.id)
    events = await admin.fetchval("SELECT count(*) FROM events")

    answer = okr(
        admin_dsn, "users", "reset-password", *(a.format(**names) for a in args), stdin=stdin
    )
    assert (answer.returncode, answer.stdout) == (1, "")
    assert answer.stderr.strip() == said.format(**names) + ": nothing changed"
    assert await authenticate_password(system.pool, person.email, OLD) is not None
    assert await system.store.head(tenant.id) == head
    assert await admin.fetchval("SELECT count(*) FROM events") == events
