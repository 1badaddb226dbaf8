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


def parse_table(form: dict[str, str]) -> dict[Severity, tuple[int, int]]:
    """Hours per severity from the form: whole hours, the answer before the fix."""
    from app.errors import ValidationFailed
    from app.i18n import N_

    table, errors = {}, {}
    for severity in DEFAULTS:
        hours = []
        for part in ("respond", "fix"):
            name = f"{severity.value}_{part}"
            text = (form.get(name) or "").strip()
            if not text.isdigit() or not 1 <= int(text) <= 24 * 365:
                errors[name] = (N_("Enter whole hours, from 1 to 8760."), {})
                hours.append(0)
            else:
                hours.append(int(text))
        if hours[0] and hours[1] and hours[0] > hours[1]:
            errors[f"{severity.value}_fix"] = (N_("The fix cannot be due before the answer."), {})
        table[severity] = (hours[0], hours[1])
    if errors:
        raise ValidationFailed(errors)
    return table


async def save_table(site_id: int, table: dict[Severity, tuple[int, int]], *, by, device: str) -> None:
    from app.audit import services as audit
    from app.db import write_transaction

    async with write_transaction():
        await SiteSla.delete().where(SiteSla.site == site_id)
        await SiteSla.insert(
            *[
                SiteSla(site=site_id, severity=severity.value, respond_hours=respond, fix_hours=fix)
                for severity, (respond, fix) in table.items()
            ]
        )
        await audit.record(
            "sla.update",
            actor=by,
            device=device,
            record_type="site",
            record_id=site_id,
            site_id=site_id,
            detail={s.value: list(hours) for s, hours in table.items()},
        )
