from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T21:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback: the triage queue's indexes, one per filter, in the queue's order"

# The queue's order is (deadline, severity_rank DESC, id): each index ends with it, so a
# keyset page is a range scan whatever the filter.
ORDER = "deadline, severity_rank DESC, id"
INDEXES = {
    "feedback_open": f"feedback_item (site, is_open, {ORDER})",
    "feedback_status": f"feedback_item (site, status, {ORDER})",
    "feedback_kind": f"feedback_item (site, is_open, kind, {ORDER})",
    "feedback_severity": f"feedback_item (site, is_open, severity, {ORDER})",
    "feedback_area": f"feedback_item (site, is_open, area, {ORDER})",
    "feedback_crew": f"feedback_item (site, is_open, crew, {ORDER})",
    "feedback_owner": f"feedback_item (owner, status, {ORDER})",
    "feedback_system": f"feedback_item (kind, is_open, {ORDER})",
    "feedback_reporter": "feedback_item (reporter, id)",
    "feedback_event_item": "feedback_event (item, id)",
    "site_sla_site": "site_sla (site, severity)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def create():
        for name, target in INDEXES.items():
            unique = "UNIQUE " if name == "site_sla_site" else ""
            await engine_finder().run_ddl(f"CREATE {unique}INDEX {name} ON {target}")

    async def drop():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
