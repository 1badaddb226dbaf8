from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check-in: drop the events' (site, work_date) index, which no query reads"

# A site's events are read by chain position (attendance_event_site_seq) and a worker's by
# time (attendance_event_worker_time); days are read from attendance_day. This index was
# only written, once for every tap.
SITE_DATE = "attendance_event_site_date ON attendance_event (site, work_date)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def drop():
        await engine_finder().run_ddl(f"DROP INDEX {SITE_DATE.split()[0]}")

    async def create():
        await engine_finder().run_ddl(f"CREATE INDEX {SITE_DATE}")

    manager.add_raw(drop)
    manager.add_raw_backwards(create)
    return manager
