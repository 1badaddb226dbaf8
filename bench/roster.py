"""Roster import: a 10,000-row spreadsheet, checked (preview) and imported.

Runs on its own against a throw-away SQLite database. Prints figures, then one JSON
line with `import_s` (preview + import, seconds; target ≤ 10 s on SQLite),
`preview_s`, `write_s` and `rows`.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="fieldpost-bench-"))
os.environ.update(
    DATA_DIR=str(DATA), DATABASE_URL=f"sqlite:///{DATA / 'bench.db'}", SECRET_KEY="bench",
    RUN_JOBS_IN_PROCESS="false", LOG_LEVEL="WARNING", ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="8192",
)
sys.path.insert(0, str(ROOT))

ROWS = 10_000
CREWS = ("钢筋一班", "木工一班", "混凝土班", "水电安装班")
TARGET_S = 10


def prepare() -> None:
    subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=ROOT, check=True, capture_output=True)


def roster_file() -> bytes:
    from openpyxl import Workbook

    from app.workforce.id_numbers import check_digit

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "手机号", "身份证号", "班组", "工种", "日工资", "进场日期"])
    for n in range(ROWS):
        first17 = f"3101151985{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
        first17 = f"{first17[:6]}{1950 + n // 1000 % 50}{first17[10:]}"
        sheet.append([f"工人{n}", f"135{n:08d}", first17 + check_digit(first17), CREWS[n % 4],
                      "", 300 + n % 100, "2026-03-01"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def main() -> None:
    from app.accounts.services import create_user
    from app.accounts.tables import Role
    from app.roster import services
    from app.roster.parsing import read_roster
    from app.sites.tables import Site, SiteMembership
    from app.workforce.tables import Crew, Worker

    manager = await create_user(name="经理", phone="13800000003", role=Role.manager, secret="benchmark")
    site = Site(name="基准工地")
    await site.save()
    await SiteMembership.insert(SiteMembership(site=site.id, member=manager.id))
    await Crew.insert(*[Crew(site=site.id, name=name, trade="普工") for name in CREWS])
    content = roster_file()

    started = time.perf_counter()
    rows = read_roster(content, "roster.xlsx")
    plan = await services.plan_import(manager, rows, today=date(2026, 3, 1))
    preview_s = time.perf_counter() - started
    assert plan.clean, plan.problems[:3]
    started = time.perf_counter()
    await services.import_roster(manager, rows, today=date(2026, 3, 1), device="bench")
    write_s = time.perf_counter() - started
    assert await Worker.count() == ROWS

    figures = {
        "rows": ROWS, "preview_s": round(preview_s, 2), "write_s": round(write_s, 2),
        "import_s": round(preview_s + write_s, 2),
    }
    print(f"{ROWS} rows ({len(content) / 1024:.0f} KB xlsx): preview {figures['preview_s']} s, "
          f"import {figures['write_s']} s (the import checks every row again)")
    print(f"total {figures['import_s']} s = {figures['import_s'] / TARGET_S:.0%} of the {TARGET_S} s target")
    print(json.dumps(figures))


if __name__ == "__main__":
    prepare()
    asyncio.run(main())
