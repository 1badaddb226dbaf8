from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T21:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "photos: the timeline's indexes, one per filter"

INDEXES = {
    "photo_site_taken": "photo (site, taken_at, id)",
    "photo_site_area_taken": "photo (site, area, taken_at, id)",
    "photo_site_uploader_taken": "photo (site, uploaded_by, taken_at, id)",
    "photo_tag_site_tag_taken": "photo_tag (site, tag, taken_at, photo)",
    "photo_tag_photo": "photo_tag (photo)",
    "photo_link_record": "photo_link (record_type, record_id)",
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
