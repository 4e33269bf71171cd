"""Times in the portal: recorded instants are stored in UTC and shown in the tenant's time
zone, which the page names."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from services import demo_data as d
from services.i18n import Locale
from tests.portal.conftest import Opener, PortalServer, shot, sign_in
from tests.portal.world import ROSSI, ROSSI_KR


async def test_recorded_times_are_shown_in_the_tenant_s_zone(
    open_page: Opener, portal: PortalServer
) -> None:
    """Officina Rossi's check-in of a week ago was recorded at 10:00 UTC; its people are in
    Rome, where it was 11:00 (12:00 in summer): its key result's page and its timeline say
    that time, naming the zone (CET, CEST), and no time in UTC for them to convert."""
    recorded = datetime.combine(portal.today - timedelta(days=7), time(10), tzinfo=UTC)
    local = recorded.astimezone(ZoneInfo("Europe/Rome"))
    shown = f"{Locale('it').date(local.date())}, {local:%H:%M} {local:%Z}"
    page = await open_page()
    await sign_in(page, d.LUCA)

    await page.goto(f"/t/{ROSSI.id}/kr/{ROSSI_KR}")
    await expect(page.locator(".ci-meta", has_text=shown)).to_have_count(1)
    await expect(page.locator(".ci-meta", has_text="UTC")).to_have_count(0)
    await shot(page, "kr-times-in-rome")

    await page.goto(f"/t/{ROSSI.id}/history")
    await expect(page.locator("ol.timeline li time", has_text=shown).first).to_be_visible()
    await expect(page.locator("ol.timeline li time", has_text="UTC")).to_have_count(0)
