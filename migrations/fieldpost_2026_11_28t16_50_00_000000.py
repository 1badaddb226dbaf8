from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log browsing: one index range per filter, newest first"

INDEXES = {
    "audit_entry_site_id": "audit_entry (site, id)",
    "audit_entry_actor_id": "audit_entry (actor, id)",
    "audit_entry_record_id_desc": "audit_entry (record_type, record_id, id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def create_indexes():
        # Composite indexes: Piccolo's columns only declare single-column ones.
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
