"""PATCH: a field left out stays as it is, null clears one that may be empty, and null for
one that always has a value is refused naming it."""

from __future__ import annotations

import httpx

from services.bootstrap import System
from services.settings import Settings
from tests.api.builders import SharedIds, Side, a_side, token_settings


def _paths(side: Side, ids: SharedIds) -> dict[str, str]:
    base = f"/api/v1/tenants/{side.tenant.id}"
    return {
        "objective": f"{base}/objectives/{ids.objective_id}",
        "key_result": f"{base}/key-results/{ids.key_result_id}",
        "kpi": f"{base}/kpis/{ids.kpi_id}",
        "cycle": f"{base}/cycles/{ids.cycle_id}",
        "tenant": base,
    }


NEVER_EMPTY = {
    "objective": ("title", "owner", "weight", "committed", "roll_up_children"),
    "key_result": ("title", "owner", "weight", "due_on"),
    "kpi": ("name", "owner", "frequency_days", "unit"),
    "cycle": ("name", "starts_on", "ends_on", "period"),
    "tenant": ("name", "colour", "fiscal_year_start_month", "check_in_cadence_days", "locale",
               "time_zone"),
}  # fmt: skip


async def test_null_clears_a_description_and_is_refused_for_a_field_never_empty(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A null in a PATCH was read as the field left out: {"description": null} kept the
    description, said 200 and wrote nothing, and {"title": null} the same, where the caller
    meant to clear it. Null now clears the description; for each field that always has a
    value it is 422 not_clearable naming the field (every one at fault, at once), and
    nothing is written. Tenant B's objective, same id, keeps its description."""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    b = await a_side(system, token_settings(api_settings), ids, "secret-b", "21")
    auth = a.auth("client_admin")
    for side in (a, b):
        described = await client.patch(
            _paths(side, ids)["objective"], headers=side.auth("client_admin"),
            json={"description": "Meno attese per i clienti"},
        )  # fmt: skip
        assert described.status_code == 200, described.text

    cleared = await client.patch(
        _paths(a, ids)["objective"], headers=auth, json={"description": None}
    )
    assert cleared.status_code == 200, cleared.text
    objective = await client.get(_paths(a, ids)["objective"], headers=auth)
    assert objective.json()["description"] == ""
    in_b = await client.get(_paths(b, ids)["objective"], headers=b.auth("client_admin"))
    assert in_b.json()["description"] == "Meno attese per i clienti"

    head = await system.store.head(a.tenant.id)
    for item, fields in NEVER_EMPTY.items():
        for field in fields:
            refused = await client.patch(_paths(a, ids)[item], headers=auth, json={field: None})
            assert refused.status_code == 422, (item, field, refused.text)
            (error,) = refused.json()["errors"]
            assert (error["field"], error["rule"]) == (field, "not_clearable"), (item, error)
            assert f"leave {field} out to keep it" in error["message"]
    both = await client.patch(
        _paths(a, ids)["objective"], headers=auth, json={"title": None, "weight": None}
    )
    assert [(e["field"], e["rule"]) for e in both.json()["errors"]] == [
        ("title", "not_clearable"), ("weight", "not_clearable")
    ]  # fmt: skip
    assert await system.store.head(a.tenant.id) == head


async def test_the_schema_says_which_fields_null_clears(client: httpx.AsyncClient) -> None:
    """The OpenAPI document took null for every field of a change: now a description's
    schema takes it, saying what it does, a title's does not, and the route says it."""
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    edit = schemas["ObjectiveEdit"]
    assert "null" in str(edit["properties"]["description"])
    assert "null" not in str(edit["properties"]["title"])
    assert "taken away" in edit["properties"]["description"]["description"]
    patch = (await client.get("/schema/openapi.json")).json()["paths"]
    said = patch["/api/v1/tenants/{tenant_id}/objectives/{objective_id}"]["patch"]
    assert "null" in said["description"] and "not_clearable" in said["description"]


async def test_null_for_a_field_a_change_requires_is_its_wrong_type_not_a_clearing(
    client: httpx.AsyncClient, system: System, api_settings: Settings
) -> None:
    """A member's change of role requires its field: a null for it was refused as
    not_clearable, telling the caller to leave the field out to keep it, which is refused
    in turn (required). It is now refused as a null sent for any field that takes none
    (wrong_type, as a new cycle's name null is), naming it; nothing is written. (A cycle's
    name may now be left out where its days change: its null is not_clearable, NEVER_EMPTY,
    and a change of nothing at all is still required naming name.)"""
    ids = SharedIds()
    a = await a_side(system, token_settings(api_settings), ids, "secret-a", "21")
    base = f"/api/v1/tenants/{a.tenant.id}"
    member = f"{base}/users/{a.user_ids['client_member']}"
    head = await system.store.head(a.tenant.id)
    cycle = await client.patch(_paths(a, ids)["cycle"], headers=a.auth("client_admin"), json={})
    assert [(e["field"], e["rule"]) for e in cycle.json()["errors"]] == [("name", "required")]
    for path, field in ((member, "role"),):
        refused = await client.patch(path, headers=a.auth("client_admin"), json={field: None})
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["rule"]) == (field, "wrong_type"), error
        assert "leave" not in error["message"], error
        left_out = await client.patch(path, headers=a.auth("client_admin"), json={})
        assert [(e["field"], e["rule"]) for e in left_out.json()["errors"]] == [(field, "required")]
    assert await system.store.head(a.tenant.id) == head
