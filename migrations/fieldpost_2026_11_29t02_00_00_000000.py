from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback: the queue's counts from one index, and the 'assigned to me' filter in the queue's order"

ORDER = "deadline, severity_rank DESC, id"
INDEXES = {
    # Every column the counts read (open items per status, the overdue ones): the count is a
    # walk along this index, never the table.
    "feedback_counts": "feedback_item (site, status, kind, deadline)",
    # "Assigned to me" on a site: feedback_owner spans every site and every status.
    "feedback_mine": f"feedback_item (site, is_open, owner, {ORDER})",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def create():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX {name} ON {target}")

    async def drop():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
