"""A keyboard and a screen reader: a refusal is said to its field, the field gets the focus."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from services import demo_data as d
from tests.portal.conftest import Opener, PortalServer, sign_in

T = d.TENANT_ID


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("as-of?date=2026-02-30", "as-of-date"),
        ("history?from=2026-02-30", "f-from"),
        ("audit?from=2026-02-30", "a-from"),
        ("diff?from=2026-02-30", "diff-from"),
        ("diff?to=2026-02-30", "diff-to"),
    ],
)
async def test_a_day_refused_is_said_to_its_field_which_gets_the_focus(
    open_page: Opener, portal: PortalServer, path: str, field: str
) -> None:
    """The diff's "from" and "to" said a day refused under the form, tied to no field: a
    screen reader heard it once and, on the field, nothing; the focus stayed at the top.
    Each page's day refused now marks its field invalid, described by the message, and the
    focus is put on it, as the timeline's, the trail's and the as-of's were."""
    page = await open_page(width=375, height=812)
    await sign_in(page, d.GIULIA)
    await page.goto(f"/t/{T}/{path}")
    day = page.locator(f"#{field}")
    await expect(day).to_have_attribute("aria-invalid", "true")
    await expect(day).to_be_focused()
    described = await day.get_attribute("aria-describedby")
    assert described
    said = page.locator(f"[id='{described.split()[-1]}']")
    await expect(said).to_contain_text("2026-02-30")
