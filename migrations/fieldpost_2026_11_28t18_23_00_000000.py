from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-28T18:23:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance: queue indexes, one chain per site, append-only triggers"

INDEXES = {
    "attendance_event_site_seq": "UNIQUE INDEX attendance_event_site_seq ON attendance_event (site, seq)",
    "attendance_event_worker_time": "INDEX attendance_event_worker_time ON attendance_event (worker, occurred_at)",
    "attendance_event_site_date": "INDEX attendance_event_site_date ON attendance_event (site, work_date)",
    "attendance_day_worker_site_date": (
        "UNIQUE INDEX attendance_day_worker_site_date ON attendance_day (worker, work_date, site)"
    ),
    "attendance_day_site_date": "INDEX attendance_day_site_date ON attendance_day (site, work_date)",
    "ledger_day_head_site_day": "UNIQUE INDEX ledger_day_head_site_day ON ledger_day_head (site, day)",
    "idempotency_record_scope_key": (
        "UNIQUE INDEX idempotency_record_scope_key ON idempotency_record (scope, key)"
    ),
    "poster_site_gate": "INDEX poster_site_gate ON poster (site, gate)",
}

SQLITE_TRIGGERS = [
    """CREATE TRIGGER attendance_event_no_update BEFORE UPDATE ON attendance_event
       BEGIN SELECT RAISE(ABORT, 'attendance events are append-only'); END""",
    """CREATE TRIGGER attendance_event_no_delete BEFORE DELETE ON attendance_event
       BEGIN SELECT RAISE(ABORT, 'attendance events are append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION attendance_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'attendance events are append-only'; END $$""",
    """CREATE TRIGGER attendance_event_no_change BEFORE UPDATE OR DELETE ON attendance_event
       FOR EACH ROW EXECUTE FUNCTION attendance_event_append_only()""",
    """CREATE TRIGGER attendance_event_no_truncate BEFORE TRUNCATE ON attendance_event
       FOR EACH STATEMENT EXECUTE FUNCTION attendance_event_append_only()""",
]
SQLITE_DROP = ["DROP TRIGGER attendance_event_no_update", "DROP TRIGGER attendance_event_no_delete"]
POSTGRES_DROP = [
    "DROP TRIGGER attendance_event_no_change ON attendance_event",
    "DROP TRIGGER attendance_event_no_truncate ON attendance_event",
    "DROP FUNCTION attendance_event_append_only()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in INDEXES.values():
            await engine.run_ddl(f"CREATE {statement}")
        sqlite = isinstance(engine, SQLiteEngine)
        for statement in SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        sqlite = isinstance(engine, SQLiteEngine)
        for statement in SQLITE_DROP if sqlite else POSTGRES_DROP:
            await engine.run_ddl(statement)
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
