"""Roster import: a 10,000-row spreadsheet checked and imported through the web routes.

Runs on its own against a throw-away SQLite database. Builds the xlsx in memory,
signs in as an admin, then times the preview (upload, read, check every row) and
the import (check the rows kept from the preview again, write in one transaction),
then the same file again (nothing to write) and with every day rate changed.
The budget is 10 s for preview + import.
Prints figures, then one JSON line.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where bench/queue.py would stand in
# for the standard library's queue (which concurrent.futures and logging import).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import asyncio
import io
import json
import re
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="fieldpost-bench-"))
os.environ.update(
    DATA_DIR=str(DATA), DATABASE_URL=f"sqlite:///{DATA / 'bench.db'}", SECRET_KEY="bench",
    RUN_JOBS_IN_PROCESS="false", LOG_LEVEL="WARNING", ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="8192",
)
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from openpyxl import Workbook  # noqa: E402

ROWS = 10_000
CREWS = ("钢筋一班", "木工一班", "泥工一班", "架子工班")
BUDGET_S = 10
PASSWORD = "bench password"
ADMIN_PHONE = "13900000001"


def id_number(n: int) -> str:
    from app.workforce.id_numbers import check_digit

    first17 = f"310115{date(1970, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return first17 + check_digit(first17)


def roster(raise_by: int = 0) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(["姓名", "手机号", "身份证号", "班组", "工种", "日工资", "进场日期"])
    for n in range(1, ROWS + 1):
        sheet.append([f"工人{n}", f"137{n:08d}", id_number(n), CREWS[n % len(CREWS)], "",
                      300 + n % 200 + raise_by, date(2026, 3, 1) + timedelta(days=n % 30)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def setup() -> None:
    from app.accounts.services import create_user
    from app.accounts.tables import Role
    from app.sites.tables import Site
    from app.workforce.tables import Crew

    await create_user(name="管理员", phone=ADMIN_PHONE, role=Role.admin, secret=PASSWORD)
    site = Site(name="一号工地", address="上海市", latitude=31.23, longitude=121.47, radius_m=300)
    await site.save()
    await Crew.insert(*[Crew(site=site.id, name=name, trade="") for name in CREWS])


async def upload_and_import(client: httpx.AsyncClient, content: bytes) -> tuple[float, float, str]:
    token = client.cookies["fp_csrf"]
    started = time.perf_counter()
    preview = await client.post(
        "/roster/preview", data={"_csrf_token": token},
        files={"roster": ("roster.xlsx", content, "application/octet-stream")},
    )
    previewed = time.perf_counter()
    assert preview.status_code == 200, preview.text[:500]
    upload = re.search(r'name="token" value="([0-9a-f]{32})"', preview.text)
    assert upload, "the preview found problems"
    done = await client.post("/roster/import", data={"_csrf_token": token, "token": upload.group(1)})
    imported = time.perf_counter()
    assert done.status_code == 303, done.text[:500]
    flash = await client.get("/workers", headers={"accept-language": "en"})
    said = re.search(r"Roster imported: [^<]*", flash.text)
    return previewed - started, imported - previewed, said.group(0) if said else "?"


async def main() -> None:
    from app.main import create_app
    from app.workforce.tables import Worker

    await setup()
    content = roster()
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local", timeout=120,
                                 headers={"accept-language": "en"}) as client:
        await client.get("/login")
        signed_in = await client.post("/login", data={
            "_csrf_token": client.cookies["fp_csrf"], "phone": ADMIN_PHONE, "secret": PASSWORD,
        })
        assert signed_in.status_code == 303
        preview_s, import_s, first = await upload_and_import(client, content)
        again_preview_s, again_import_s, second = await upload_and_import(client, content)
        raised_preview_s, raised_import_s, third = await upload_and_import(client, roster(raise_by=20))
    assert await Worker.count() == ROWS
    figures = {
        "rows": ROWS,
        "file_kb": round(len(content) / 1024),
        "preview_s": round(preview_s, 2),
        "write_s": round(import_s, 2),
        "import_s": round(preview_s + import_s, 2),
        "reimport_s": round(again_preview_s + again_import_s, 2),
        "update_all_s": round(raised_preview_s + raised_import_s, 2),
        "budget_ratio": round((preview_s + import_s) / BUDGET_S, 2),
    }
    print(f"{ROWS} rows, {figures['file_kb']} KB xlsx, SQLite")
    print(f"preview (upload, read, check):    {figures['preview_s']} s")
    print(f"import (check again, write):      {figures['write_s']} s  -> {first}")
    print(f"preview + import: {figures['import_s']} s "
          f"({figures['budget_ratio']:.0%} of the {BUDGET_S} s budget)")
    print(f"same file again:  {figures['reimport_s']} s  -> {second}")
    print(f"every rate new:   {figures['update_all_s']} s  -> {third}")
    print(json.dumps(figures))


if __name__ == "__main__":
    subprocess.run([sys.executable, "-m", "app", "migrate"], cwd=ROOT, check=True, capture_output=True)
    asyncio.run(main())
