"""Demo data: two sites, six crews, sixty workers, one sign-in per role, six weeks of photos.

Loaded once; running it again changes nothing.
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from app.accounts.services import hash_secret
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.checkin.posters import ensure_poster
from app.config import get_settings
from app.db import write_transaction
from app.demo_history import load_history
from app.sites.tables import Area, Site, SiteMembership
from app.workforce import id_numbers
from app.workforce.tables import Crew, DayRate, Subcontractor, Worker

STAFF_PASSWORD = "fieldpost"
WORKER_PIN = "1234"
DEMO_LOGINS = [
    ("admin", "13800000001", STAFF_PASSWORD),
    ("executive", "13800000002", STAFF_PASSWORD),
    ("manager", "13800000003", STAFF_PASSWORD),
    ("supervisor", "13800000004", STAFF_PASSWORD),
    ("foreman", "13800000005", STAFF_PASSWORD),
    ("worker", "13900000001", WORKER_PIN),
]
STAFF_NAMES = {
    "admin": "系统管理员",
    "executive": "王总",
    "manager": "李经理",
    "supervisor": "赵安全员",
    "foreman": "张班长",
    "worker": "陈大明",
}
SITES = [
    {
        "name": "浦东滨江花园二期",
        "address": "上海市浦东新区滨江大道 1888 号",
        "latitude": 31.2304,
        "longitude": 121.5051,
        "radius_m": 350,
        "areas": ["1# 楼", "2# 楼", "3# 楼", "地下车库", "钢筋加工场"],
    },
    {
        "name": "杭州未来科技城 B 地块",
        "address": "杭州市余杭区文一西路 998 号",
        "latitude": 30.2869,
        "longitude": 120.0079,
        "radius_m": 300,
        "areas": ["A 栋", "B 栋", "裙楼", "材料堆场"],
    },
]
CREWS = [  # (site index, name, trade, subcontractor)
    (0, "钢筋一班", "钢筋工", "上海宏建劳务有限公司"),
    (0, "木工一班", "木工", "上海宏建劳务有限公司"),
    (0, "混凝土班", "混凝土工", "江苏众力劳务有限公司"),
    (1, "水电安装班", "水电工", "浙江安达劳务有限公司"),
    (1, "砌筑班", "瓦工", "浙江安达劳务有限公司"),
    (1, "架子工班", "架子工", "江苏众力劳务有限公司"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "海军", "志强", "国庆", "春生", "小龙", "德明", "永红", "文斌", "金山",
         "立新", "宏伟", "学军", "长青", "秋生"]


def worker_names(count: int) -> list[str]:
    pairs = itertools.product(GIVEN, SURNAMES)
    return [surname + given for given, surname in itertools.islice(pairs, count)]


async def load_demo_data() -> bool:
    if await User.exists().where(User.phone == DEMO_LOGINS[0][1]):
        return False
    staff_hash = await hash_secret(STAFF_PASSWORD)
    pin_hash = await hash_secret(WORKER_PIN)
    async with write_transaction():
        users = {}
        for role, phone, _ in DEMO_LOGINS:
            secret_hash = pin_hash if role == "worker" else staff_hash
            user = User(name=STAFF_NAMES[role], phone=phone, role=role, secret_hash=secret_hash)
            await user.save()
            users[role] = user
        sites = []
        for spec in SITES:
            site = Site(**{key: value for key, value in spec.items() if key != "areas"})
            await site.save()
            await Area.insert(
                *[Area(site=site.id, name=name, position=i) for i, name in enumerate(spec["areas"])]
            )
            await ensure_poster(site.id)
            sites.append(site)
        # The manager, supervisor and foreman work on the first site; the manager on both.
        memberships = [(0, "manager"), (1, "manager"), (0, "supervisor"), (0, "foreman")]
        await SiteMembership.insert(
            *[SiteMembership(site=sites[i].id, member=users[role].id) for i, role in memberships]
        )
        subcontractors = {}
        for name in sorted({crew[3] for crew in CREWS}):
            subcontractor = Subcontractor(name=name)
            await subcontractor.save()
            subcontractors[name] = subcontractor
        crews = []
        for index, (site_index, name, trade, subcontractor) in enumerate(CREWS):
            crew = Crew(
                site=sites[site_index].id, name=name, trade=trade,
                foreman=users["foreman"].id if index == 0 else None,
                subcontractor=subcontractors[subcontractor].id,
            )
            await crew.save()
            crews.append(crew)
        await _demo_workers(users["worker"], crews, pin_hash)
        await audit.record("demo_data.load", actor=None, record_type="deployment", record_id="demo")
    await _demo_photos(users["supervisor"], await Site.select().where(Site.id == sites[0].id).first())
    await load_history([site.id for site in sites])
    return True


def _building(floors: int) -> bytes:
    """A drawing of a tower going up, one floor more each week: the area-over-time view."""
    image = Image.new("RGB", (1600, 1200), (150, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 1000, 1600, 1200), fill=(120, 105, 85))
    for floor in range(floors):
        top = 1000 - (floor + 1) * 90
        draw.rectangle((500, top, 1100, top + 86), fill=(170, 170, 165), outline=(90, 90, 90), width=4)
        for window in range(5):
            draw.rectangle((540 + window * 110, top + 25, 600 + window * 110, top + 65), fill=(70, 90, 110))
    draw.line((1250, 1000, 1250, 120), fill=(230, 180, 0), width=14)  # the tower crane
    draw.line((900, 140, 1500, 140), fill=(230, 180, 0), width=10)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def _demo_photos(supervisor: User, site: dict) -> None:
    from app.photos.services import Details, store

    area = await Area.select(Area.id).where((Area.site == site["id"]) & (Area.position == 0)).first()
    now = datetime.now(UTC)
    for week in range(6):
        taken = now - timedelta(days=7 * (5 - week), hours=2)
        caption = f"1# 楼主体结构 第 {week + 2} 层"
        details = Details(area["id"], caption, ("进度",), taken, "phone", None, None, None)
        key = f"demo-photo-{week:02d}-0000000"
        await store(supervisor, site, _building(week + 2), details, key=key, device="demo")


async def _demo_workers(first: User, crews: list[Crew], pin_hash: str) -> None:
    """Sixty workers, ten per crew; the demo worker sign-in is the first of them."""
    start = date.today() - timedelta(days=60)
    accounts = [first]
    for n, name in enumerate(worker_names(59), start=2):
        accounts.append(
            User(name=name, phone=f"139{n:08d}", role=Role.worker.value, secret_hash=pin_hash)
        )
    await User.insert(*accounts[1:])
    # Only the accounts made here: the database may hold other workers already.
    phones = [account.phone for account in accounts]
    saved = await User.select(User.id).where(User.phone.is_in(phones)).order_by(User.id)
    secret_key = get_settings().secret_key
    workers = []
    for i, row in enumerate(saved):
        number = demo_id_number(i)
        workers.append(Worker(
            account=row["id"], crew=crews[i // 10].id, trade=crews[i // 10].trade,
            id_number_masked=id_numbers.mask(number),
            id_number_hash=id_numbers.keyed_hash(number, secret_key),
            registered_on=start + timedelta(days=i % 20),
        ))
    await Worker.insert(*workers)
    saved_workers = await (
        Worker.select(Worker.id).where(Worker.account.is_in([row["id"] for row in saved])).order_by(Worker.id)
    )
    await DayRate.insert(*[
        DayRate(worker=row["id"], amount=Decimal(300 + 10 * (i % 8)), effective_from=start)
        for i, row in enumerate(saved_workers)
    ])


def demo_id_number(n: int) -> str:
    """A well-formed ID number (valid check digit) for demo worker n."""
    first17 = f"3101151985{1 + n % 12:02d}{1 + n % 28:02d}{n:03d}"
    return first17 + id_numbers.check_digit(first17)
