"""Plain-SQL inserts of many rows: more values than one statement may carry go in several."""

from __future__ import annotations

from app.db import MAX_PARAMETERS, insert_rows
from app.workforce.tables import Crew, Subcontractor
from tests import factories


async def test_more_rows_than_one_statement_carries_are_all_inserted_in_order(db):
    site = await factories.site()
    count = MAX_PARAMETERS // 5 + 10  # a crew fills five columns: two statements
    ids = await insert_rows(
        Crew, [{"site": site.id, "name": f"班组{n}", "trade": "木工"} for n in range(count)]
    )
    assert len(ids) == count == await Crew.count()
    names = {row["id"]: row["name"] for row in await Crew.select(Crew.id, Crew.name)}
    assert [names[crew_id] for crew_id in ids] == [f"班组{n}" for n in range(count)]
    assert await insert_rows(Subcontractor, []) == []
