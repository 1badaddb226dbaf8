"""Response and fix deadlines per severity: each site's own table, or these defaults."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.feedback.tables import Severity, SiteSla

# (respond within, fix within), in hours.
DEFAULTS = {
    Severity.critical: (4, 24),
    Severity.high: (24, 72),
    Severity.medium: (72, 7 * 24),
    Severity.low: (7 * 24, 30 * 24),
}
# The order the queue puts equal deadlines in: the worse first.
RANK = {Severity.low: 1, Severity.medium: 2, Severity.high: 3, Severity.critical: 4}


async def table_for(site_id: int) -> dict[Severity, tuple[int, int]]:
    rows = await SiteSla.select().where(SiteSla.site == site_id)
    own = {Severity(row["severity"]): (row["respond_hours"], row["fix_hours"]) for row in rows}
    return {severity: own.get(severity, hours) for severity, hours in DEFAULTS.items()}


async def deadlines(site_id: int, severity: Severity, start: datetime) -> tuple[datetime, datetime]:
    respond, fix = (await table_for(site_id))[severity]
    return start + timedelta(hours=respond), start + timedelta(hours=fix)
