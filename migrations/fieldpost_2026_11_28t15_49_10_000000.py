from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T15:49:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "one membership per person and site"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldpost", description=DESCRIPTION)

    async def membership_is_unique():
        # Piccolo has no composite unique constraint; this SQL works on both engines.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX site_membership_site_member ON site_membership (site, member)"
        )

    async def drop_membership_index():
        await engine_finder().run_ddl("DROP INDEX site_membership_site_member")

    manager.add_raw(membership_is_unique)
    manager.add_raw_backwards(drop_membership_index)
    return manager
