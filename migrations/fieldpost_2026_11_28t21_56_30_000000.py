from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T21:56:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "backlog: one vote per person, boards by status, inboxes and open questions"

INDEXES = {
    "vote_voter_feedback": "UNIQUE INDEX vote_voter_feedback ON vote (feedback, voter)",
    "vote_voter_backlog": "UNIQUE INDEX vote_voter_backlog ON vote (backlog, voter)",
    "backlog_item_site_status": "INDEX backlog_item_site_status ON backlog_item (site, status, updated_at)",
    "backlog_link_backlog": "INDEX backlog_link_backlog ON backlog_link (backlog)",
    "notification_user": 'INDEX notification_user ON notification ("user", id)',
    "fixed_question_reporter": "INDEX fixed_question_reporter ON fixed_question (reporter, answer)",
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
