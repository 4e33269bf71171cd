"""A tenant's cycles have names of their own, through the real store: two cycles planned at
once with one name cannot both be recorded."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import TypedDict

import asyncpg
import pytest

from domain.cycle import Cycle
from domain.errors import DuplicateIdError, DuplicateNameError
from services.app import Context, OKRApplication
from services.app.base import ChangedMeanwhileError
from services.bootstrap import System
from tests.conftest import until_a_backend_waits_for_a_lock


class Dates(TypedDict):
    """A cycle's first and last days, as create takes them."""

    starts_on: date
    ends_on: date


Q1: Dates = {"starts_on": date(2027, 1, 1), "ends_on": date(2027, 3, 31)}


@pytest.fixture
def app(system: System) -> OKRApplication:
    return OKRApplication(system.repository)


@pytest.fixture
def ctx() -> Context:
    return Context(tenant_id=uuid.uuid4(), actor="user:anna")


async def topics(system: System, ctx: Context) -> list[str]:
    return [record.topic for record in await system.store.read_log(ctx.tenant_id)]


async def test_a_second_cycle_of_one_name_is_refused_and_nothing_recorded(
    app: OKRApplication, ctx: Context, system: System
) -> None:
    """ "Q1 2027" twice made the cycle picker, `okr --cycle` and the history ambiguous; the
    name is compared trimmed and without case, closed cycles' too (they stay listed)."""
    first = await app.cycles.create(ctx, name="Q1 2027", **Q1)
    await app.cycles.activate(ctx, first.item_id)
    await app.cycles.close(ctx, first.item_id)
    head = await system.store.head(ctx.tenant_id)
    for name in ("Q1 2027", "  q1  2027 ", "Q1\u00a02027"):
        with pytest.raises(DuplicateNameError) as refused:
            await app.cycles.create(ctx, name=name, **Q1)
        assert refused.value.field == "name"
    assert await system.store.head(ctx.tenant_id) == head
    other_tenant = Context(tenant_id=uuid.uuid4(), actor="user:anna")
    await app.cycles.create(other_tenant, name="Q1 2027", **Q1)  # another tenant's own
    await app.cycles.create(ctx, name="Q1 2027 (bis)", **Q1)


async def test_two_cycles_planned_at_once_with_one_name_record_one(
    app: OKRApplication, ctx: Context, system: System, admin: asyncpg.Connection
) -> None:
    """Both read the tenant's cycles before either is recorded: each must check again
    under the head lock the tenant's appends take, or both would land. The lock is held
    here until both wait for it, so both have read the log without the other's cycle."""
    await app.cycles.create(ctx, name="FY 2027", starts_on=date(2027, 1, 1),
                            ends_on=date(2027, 12, 31))  # fmt: skip
    async with admin.transaction():
        await admin.execute(
            "SELECT FROM tenant_heads WHERE tenant_id = $1 FOR UPDATE", ctx.tenant_id
        )
        both = asyncio.gather(
            *(app.cycles.create(ctx, name="Q1 2027", **Q1) for _ in range(2)),
            return_exceptions=True,
        )
        await until_a_backend_waits_for_a_lock(system, both, sessions=2)
    outcomes = await both
    assert sorted(type(o).__name__ for o in outcomes) == ["DuplicateNameError", "Written"]
    made = await topics(system, ctx)
    assert made.count(Cycle.Created.TOPIC) == 2  # FY 2027 and one Q1 2027


async def test_a_cycle_id_taken_is_still_said_as_the_id(app: OKRApplication, ctx: Context) -> None:
    """A retry of a creation with its id (no Idempotency-Key) is told the id is taken, as
    before names were checked: not that the name is."""
    cycle_id = uuid.uuid4()
    await app.cycles.create(ctx, name="Q1 2027", cycle_id=cycle_id, **Q1)
    with pytest.raises(DuplicateIdError) as refused:
        await app.cycles.create(ctx, name="Q1 2027", cycle_id=cycle_id, **Q1)
    assert refused.value.field == "id"


async def test_a_rename_follows_the_names_as_they_stand(
    app: OKRApplication, ctx: Context, system: System
) -> None:
    """A cycle's name is the last its log gave it: a name renamed away is free again, one
    renamed to is taken, closed cycles' too, and a cycle may be set right in its case."""
    first = await app.cycles.create(ctx, name="Q1 2027", **Q1)
    second = await app.cycles.create(ctx, name="q1 2027 bis", **Q1)
    await app.cycles.activate(ctx, second.item_id)
    await app.cycles.close(ctx, second.item_id)
    head = await system.store.head(ctx.tenant_id)
    with pytest.raises(DuplicateNameError) as refused:
        await app.cycles.rename(ctx, second.item_id, name=" Q1  2027 ")
    assert refused.value.field == "name"
    assert await system.store.head(ctx.tenant_id) == head
    await app.cycles.rename(ctx, first.item_id, name="Q1 2027 Milano", reason="two offices")
    await app.cycles.rename(ctx, second.item_id, name="Q1 2027")  # the name freed, and closed
    with pytest.raises(DuplicateNameError):
        await app.cycles.create(ctx, name="q1 2027 milano", **Q1)
    await app.cycles.create(ctx, name="Q1 2027 bis", **Q1)  # its old name is free
    assert (await app.cycles.get(ctx, second.item_id)).name == "Q1 2027"


async def test_a_rename_from_a_name_no_longer_the_cycle_s_is_refused(
    app: OKRApplication, ctx: Context, system: System
) -> None:
    """A caller that says the name it saw (the portal's form, from a view that may lag
    behind the log) renames nothing once another rename came first: refused naming name,
    with the name it has now; the one it saw, it renames."""
    cycle = await app.cycles.create(ctx, name="T1 2O27", **Q1)
    await app.cycles.rename(ctx, cycle.item_id, name="T1 2027", shown="T1 2O27")
    head = await system.store.head(ctx.tenant_id)
    with pytest.raises(ChangedMeanwhileError) as refused:
        await app.cycles.rename(ctx, cycle.item_id, name="Primo trimestre", shown="T1 2O27")
    assert (refused.value.field, refused.value.now) == ("name", "T1 2027")
    assert await system.store.head(ctx.tenant_id) == head


async def test_two_cycles_renamed_at_once_to_one_name_rename_one(
    app: OKRApplication, ctx: Context, system: System, admin: asyncpg.Connection
) -> None:
    """Two renames that each read the tenant's cycles before the other is recorded: the
    head lock makes the second read again what came since, and refuse."""
    cycles = [(await app.cycles.create(ctx, name=name, **Q1)).item_id for name in ("A", "B")]
    async with admin.transaction():
        await admin.execute(
            "SELECT FROM tenant_heads WHERE tenant_id = $1 FOR UPDATE", ctx.tenant_id
        )
        both = asyncio.gather(
            *(app.cycles.rename(ctx, cycle_id, name="Q1 2027") for cycle_id in cycles),
            return_exceptions=True,
        )
        await until_a_backend_waits_for_a_lock(system, both, sessions=2)
    outcomes = await both
    assert sorted(type(o).__name__ for o in outcomes) == ["DuplicateNameError", "Written"]
    names = sorted([(await app.cycles.get(ctx, cycle_id)).name for cycle_id in cycles])
    assert names in (["A", "Q1 2027"], ["B", "Q1 2027"])
    assert (await topics(system, ctx)).count(Cycle.Renamed.TOPIC) == 1
