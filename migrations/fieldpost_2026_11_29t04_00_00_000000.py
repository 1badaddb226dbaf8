from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey
from piccolo.engine import engine_finder

ID = "2026-11-29T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check-in: drop indexes that only repeat the leading columns of wider ones"

# Every tap writes an event and a day row; an index that a wider one already answers
# for (its leading columns) only adds to each write. attendance_event_worker_time leads
# with worker; attendance_day_kpi with (site, work_date).
FOREIGN_KEY_INDEXES = (("AttendanceEvent", "attendance_event", "worker"), ("AttendanceDay", "attendance_day", "site"))
SITE_DATE = "attendance_day_site_date ON attendance_day (site, work_date)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)
    for table_class_name, tablename, column in FOREIGN_KEY_INDEXES:
        manager.alter_column(
            table_class_name=table_class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            params={"index": False},
            old_params={"index": True},
            column_class=ForeignKey,
            old_column_class=ForeignKey,
        )

    async def drop():
        await engine_finder().run_ddl(f"DROP INDEX {SITE_DATE.split()[0]}")

    async def create():
        await engine_finder().run_ddl(f"CREATE INDEX {SITE_DATE}")

    manager.add_raw(drop)
    manager.add_raw_backwards(create)
    return manager
