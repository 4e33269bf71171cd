"""`okr tenants create`: an operator makes a client tenant as the API does, encrypted with
a key of its own when asked; a refusal names its option and makes nothing."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.bootstrap import System
from tenants.directory import create_consultancy, get_tenant, list_consultancy_tenants
from tests.integration.test_cli import okr


async def test_an_operator_makes_a_client_tenant_encrypted_or_not(
    system: System, admin_dsn: str, admin: asyncpg.Connection
) -> None:
    """With --encrypted its key is stored with its making and its log is ciphertext from
    its first event; without, it is made as before, unencrypted. Each says which, and its
    log begins with who made it (an operator)."""
    consultancy = await create_consultancy(system.pool, "Studio Operatore")
    made = {}
    for name, more in (("Officina Cifrata", ("--encrypted",)), ("Officina Chiara", ())):
        answer = okr(admin_dsn, "tenants", "create", "--consultancy", str(consultancy.id),
                     "--name", name, *more)  # fmt: skip
        assert answer.returncode == 0, answer.stderr
        made[name] = uuid.UUID(answer.stdout.splitlines()[0].rsplit(": ", 1)[1])
        said = "encrypted, with a key of its own" if more else "unencrypted"
        assert said in answer.stdout.splitlines()[1]

    secret, plain = made["Officina Cifrata"], made["Officina Chiara"]
    assert (await get_tenant(system.pool, secret)).encrypted
    assert not (await get_tenant(system.pool, plain)).encrypted
    for name, tenant in made.items():
        [row] = await admin.fetch("SELECT actor, state FROM events WHERE tenant_id = $1", tenant)
        assert row["actor"] == "system:operator"
        assert (name.encode() in row["state"]) is (tenant == plain)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--name", "  "), "okr: --name: "),
        (("--name", "Officina", "--slug", "Non Uno Slug"), "okr: --slug: "),
        (("--name", "Officina", "--locale", "fr"), "okr: --locale: "),
        (("--name", "Officina", "--time-zone", "Europe/Atlantide"), "okr: --time-zone: "),
        (("--name", "Officina", "--by", "nessuno@okr.example"),
         "okr: --by: no platform admin signs in with nessuno@okr.example"),
    ],
)  # fmt: skip
async def test_a_tenant_refused_says_its_option_and_makes_nothing(
    system: System, admin_dsn: str, admin: asyncpg.Connection, args: tuple[str, ...], said: str
) -> None:
    """Each refusal is a line naming the option, ending "nothing changed", exit 1: no
    tenant, no key, no event (an encrypted one's key goes with the rest)."""
    consultancy = await create_consultancy(system.pool, "Studio Rifiutato")
    keys = await admin.fetchval("SELECT count(*) FROM tenant_keys")
    events = await admin.fetchval("SELECT count(*) FROM events")

    answer = okr(admin_dsn, "tenants", "create", "--consultancy", str(consultancy.id),
                 "--encrypted", *args)  # fmt: skip

    assert (answer.returncode, answer.stdout) == (1, ""), answer.stderr
    line = answer.stderr.strip()
    assert line.startswith(said) and line.endswith(": nothing changed"), line
    assert await list_consultancy_tenants(system.pool, consultancy.id) == []
    assert await admin.fetchval("SELECT count(*) FROM tenant_keys") == keys
    assert await admin.fetchval("SELECT count(*) FROM events") == events


async def test_a_consultancy_that_is_not_there_is_said_and_nothing_made(
    system: System, admin_dsn: str
) -> None:
    """An id of no consultancy, or text that is no id: said of --consultancy, exit 1 (the
    second by argparse, as every option of the wrong shape), nothing made."""
    nobody = okr(admin_dsn, "tenants", "create", "--consultancy", str(uuid.uuid4()),
                 "--name", "Officina")  # fmt: skip
    assert nobody.returncode == 1 and nobody.stderr.startswith("okr: --consultancy: ")
    assert nobody.stderr.strip().endswith(": nothing changed")
    not_an_id = okr(admin_dsn, "tenants", "create", "--consultancy", "studio", "--name", "X")
    assert not_an_id.returncode == 2 and "expected an id (a UUID)" in not_an_id.stderr
