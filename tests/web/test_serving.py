"""The server process while it serves."""

from __future__ import annotations

import gc

from app.main import create_app


async def test_what_startup_built_is_left_out_of_full_collections_only_while_serving(db):
    app = create_app()
    assert gc.get_freeze_count() == 0
    async with app.lifespan():
        # Modules, the app and its templates: a full pass would walk every one of them.
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
