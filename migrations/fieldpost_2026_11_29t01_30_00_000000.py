from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dashboard: a period's attendance, reports and photos per site, read from indexes"

INDEXES = {
    # Covers what the KPIs read of a site's days, so a period is one index range per site.
    "attendance_day_kpi": (
        "INDEX attendance_day_kpi ON attendance_day (site, work_date, worker, first_in, corrected, anomalies)"
    ),
    "feedback_item_created": "INDEX feedback_item_created ON feedback_item (site, created_at)",
    "photo_site_taken_date": "INDEX photo_site_taken_date ON photo (site, taken_date)",
    "backlog_item_done": "INDEX backlog_item_done ON backlog_item (site, done_at)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def create():
        for statement in INDEXES.values():
            await engine_finder().run_ddl(f"CREATE {statement}")

    async def drop():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
