"""The one JSON encoder of what the product answers and exports writes numbers as people
and spreadsheets read them."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from projections.codec import json_bytes


class Values(msgspec.Struct):
    value: Decimal
    note: str = ""


def test_a_decimal_is_written_in_positional_notation_with_its_digits() -> None:
    """str(Decimal) wrote "1E-7" and asyncpg's 1200000 as "1.20E+6": clients read the
    first as text, a spreadsheet the second as 1.2 million rounded. Each is its plain
    value now, its digits kept: trailing zeros as recorded, a sign, no rounding."""
    cases = {
        "1E-7": "0.0000001",
        "-1E-7": "-0.0000001",
        "1.20E+6": "1200000",
        "-1.2E+6": "-1200000",
        "1.1E+5": "110000",
        "0E-7": "0.0000000",
        "0E+5": "0",
        "19.20": "19.20",
        "-3": "-3",
        "0.4525132275132275132275132275": "0.4525132275132275132275132275",
        "1234567890.123456": "1234567890.123456",
    }
    for given, written in cases.items():
        encoded = json_bytes([Values(Decimal(given))])
        assert encoded == b'[{"value":"%s","note":""}]' % written.encode(), given
        assert Decimal(msgspec.json.decode(encoded)[0]["value"]) == Decimal(given)


def test_text_that_looks_like_a_number_is_left_as_written() -> None:
    """Only Decimals are rewritten: a note reading "1E-7" stays as typed."""
    encoded = json_bytes({"note": "1E-7", "value": Decimal("1E-7"), "n": 2})
    assert msgspec.json.decode(encoded) == {"note": "1E-7", "value": "0.0000001", "n": 2}
    assert json_bytes({"note": "1E-7"}) == b'{"note":"1E-7"}'
