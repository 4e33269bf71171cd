"""Numbers in the API's JSON are written in positional notation, whatever arithmetic or the
database made of them."""

from __future__ import annotations

import re

import httpx

from tests.api.builders import World

EXPONENT = re.compile(r'"-?[0-9]+(\.[0-9]+)?E[-+][0-9]+"')


async def test_a_tiny_progress_is_written_without_exponent(
    client: httpx.AsyncClient, world: World
) -> None:
    """A key result from 0 to 10,000,000 checked in at 1 has progress 1E-7, which the
    key result, the progress tree and the objectives' tree answered as "1E-7" (msgspec
    writes str(Decimal)): a client parsing numbers got a string it did not expect. They
    answer "0.0000001", its value and digits as they are."""
    base = f"/api/v1/tenants/{world.a.tenant.id}"
    auth = world.a.auth("client_admin")
    made = await client.post(
        f"{base}/key-results",
        headers=auth,
        json={
            "objective_id": str(world.ids.objective_id), "title": "Iscritti", "kind": "increase",
            "start": 0, "target": "10000000", "unit": {"kind": "count"},
        },
    )  # fmt: skip
    assert made.status_code == 201, made.text
    kr = made.json()["id"]
    done = await client.post(
        f"{base}/key-results/{kr}/check-ins", headers=auth, json={"value": 1, "on": "2027-02-01"}
    )
    position = done.headers["x-okr-position"]
    reads = {
        "key result": f"{base}/key-results/{kr}",
        "progress": f"{base}/progress?cycle_id={world.ids.cycle_id}&min_position={position}",
        "tree": f"{base}/objectives/tree?min_position={position}",
    }
    for name, path in reads.items():
        answer = await client.get(path, headers=auth)
        assert answer.status_code == 200, answer.text
        assert EXPONENT.search(answer.text) is None, (name, EXPONENT.search(answer.text))
        assert '"0.0000001"' in answer.text, name
    shown = (await client.get(reads["key result"], headers=auth)).json()
    assert (shown["target"], shown["progress"]) == ("10000000", "0.0000001")
