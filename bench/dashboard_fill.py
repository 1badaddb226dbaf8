"""The dashboard bench's company as rows: sites, crews, 5,000 workers, a year of attendance
chained as the ledger chains it, reports, improvements and photos; loaded through the drivers.

Rows are made once, in the form SQLite stores (times as Piccolo writes them, dates as ISO
text, numbers as floats, booleans as 0/1), with ids given, so the same rows go into SQLite
and, through COPY, into PostgreSQL, and each site's hash chain is the same in both.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

SITES = 20
CREWS_PER_SITE = 10
WORKERS = 5_000
FEEDBACK_ITEMS = 50_000
PHOTOS = 20_000
BACKLOG_ITEMS = 400
DAYS = 365
# Most sites are in Shanghai's zone; a Xinjiang site and an overseas one are not.
ZONES = {4: "Asia/Urumqi", 11: "Asia/Dubai"}
HOME_ZONE = "Asia/Shanghai"
# Sites slow to take up the check-in: workers start using it over the months, some never.
POOR_SITES = {3: 0.55, 8: 0.6, 15: 0.7}  # site index: share of days checked in
GOOD_RATES = (0.85, 0.95)
NEVER_SHARE = 0.15  # of a poor site's workers
REGISTERED_BEFORE = 0.85  # share of workers registered before the year began
LEAVERS = 300
VISIT_SHARE = 0.004  # worker-days at another site
NO_CHECKOUT_SHARE = 0.007
OUTSIDE_SHARE = 0.022
NO_LOCATION_SHARE = 0.005
SPRING_FESTIVAL = ((2, 8), (2, 22))  # (month, day) to (month, day): every site shut
NO_SIGN_IN = "-"  # the hash of everyone but the executive: they never sign in here
GENESIS = "0" * 64  # app.checkin.ledger.GENESIS
LONGEST_SHIFT = timedelta(hours=16)  # Site.longest_shift_hours' default
STANDARD_DAY_CENTS = 800  # Site.standard_day_hours' default, in hundredths
RESPOND_FIX_HOURS = {"critical": (4, 24), "high": (24, 72), "medium": (72, 168), "low": (168, 720)}
RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
KINDS = {"safety": 30, "quality": 28, "schedule": 12, "materials": 15, "welfare": 14, "system": 1}
SEVERITIES = {"low": 30, "medium": 40, "high": 22, "critical": 8}
OPEN = ("new", "assigned", "fixed")
DESCRIPTIONS = (
    "临边防护栏杆缺失，请尽快处理",
    "脚手架连墙件松动",
    "钢筋保护层厚度不足",
    "模板拼缝漏浆",
    "混凝土养护不到位，表面开裂",
    "材料堆放占用消防通道",
    "塔吊司机反映对讲机信号差",
    "工人宿舍热水器坏了",
    "食堂饭菜偏咸",
    "电箱门未上锁",
    "进度滞后，等待钢筋进场",
    "安全帽佩戴不规范",
    "夜间施工照明不足",
)
TRADES = ("钢筋工", "木工", "混凝土工", "架子工", "电工", "焊工", "瓦工", "水暖工", "油漆工", "普工")
CITIES = ("上海", "杭州", "苏州", "南京", "宁波", "合肥", "无锡", "嘉兴", "常州", "绍兴")


@dataclass
class Company:
    """Rows per table in load order (referenced tables first), and what the bench needs to know."""

    tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = field(default_factory=dict)
    executive_phone: str = ""
    largest_site: int = 0
    site_zones: dict[int, str] = field(default_factory=dict)
    # A few workers' events and days, kept to check the day rows against the app's shift rule.
    sample_events: dict[int, list[tuple]] = field(default_factory=dict)
    sample_days: dict[int, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, columns: str, rows: list[tuple]) -> None:
        self.tables[table] = (tuple(columns.split()), rows)

    def count(self, table: str) -> int:
        return len(self.tables[table][1])


def text(moment: datetime) -> str:
    """A time as Piccolo's SQLite adapter stores it (and PostgreSQL reads it)."""
    return str(moment.astimezone(UTC))


def company(now: datetime, ledger_key: str, executive_hash: str, secret_key: str) -> Company:
    from app.workforce import id_numbers

    rng = random.Random(2026)
    made = Company()
    stamp = text(now)
    today = now.astimezone(ZoneInfo(HOME_ZONE)).date()
    first_day = today - timedelta(days=DAYS)
    # Sites of different sizes, the largest first.
    weights = sorted((rng.uniform(0.4, 2.0) for _ in range(SITES)), reverse=True)
    sizes = [round(WORKERS * weight / sum(weights)) for weight in weights]
    sizes[0] += WORKERS - sum(sizes)
    sites = []
    for index in range(SITES):
        zone = ZONES.get(index, HOME_ZONE)
        latitude, longitude = round(rng.uniform(28, 33), 4), round(rng.uniform(118, 122), 4)
        city = "乌鲁木齐" if zone == "Asia/Urumqi" else "迪拜" if zone == "Asia/Dubai" else CITIES[index % 10]
        sites.append(
            (
                index + 1,
                f"{city}{index + 1:02d}号项目",
                f"{city}市",
                zone,
                latitude,
                longitude,
                300,
                0,
                8.0,
                16,
                30,
                1,
                text(now - timedelta(days=400 + index * 7)),
            )
        )
        made.site_zones[index + 1] = zone
    made.add(
        "site",
        "id name address timezone latitude longitude radius_m location_required "
        "standard_day_hours longest_shift_hours kiosk_code_seconds is_active created_at",
        sites,
    )
    made.largest_site = 1
    users: list[tuple] = []

    def user(name: str, phone: str, role: str, secret_hash: str = NO_SIGN_IN) -> int:
        users.append((len(users) + 1, name, phone, role, secret_hash, 0, "", 1, 0, stamp, None))
        return len(users)

    made.executive_phone = "13800000001"
    user("集团王总", made.executive_phone, "executive", executive_hash)
    areas, memberships, crews, staff_of = [], [], [], {}
    for site_id, *_ in sites:
        staff = [
            user(f"监理{site_id:02d}", f"1390000{site_id:04d}", "supervisor"),
            user(f"项目经理{site_id:02d}", f"1390001{site_id:04d}", "manager"),
        ]
        for n in range(6):
            areas.append((len(areas) + 1, site_id, f"{n // 2 + 1}号楼{'南北'[n % 2]}区", n, 1))
        for n in range(CREWS_PER_SITE):
            foreman = user(f"班长{site_id:02d}{n:02d}", f"1391{site_id:03d}{n:04d}", "foreman")
            crews.append((len(crews) + 1, site_id, f"{TRADES[n]}班组", TRADES[n], foreman, None))
            staff.append(foreman)
        memberships += [(len(memberships) + n + 1, site_id, member) for n, member in enumerate(staff)]
        staff_of[site_id] = staff
    made.add("area", "id site name position is_active", areas)
    made.add("site_membership", "id site member", memberships)
    made.add("crew", "id site name trade foreman subcontractor", crews)
    workers, devices = [], []
    plans = []  # (worker, home site, first day, last day, share of days)
    for site_index, size in enumerate(sizes):
        site_id = site_index + 1
        poor = POOR_SITES.get(site_index)
        for n in range(size):
            account = user(f"工人{len(workers) + 1:04d}", f"137{len(workers) + 1:08d}", "worker")
            worker_id = len(workers) + 1
            crew = crews[site_index * CREWS_PER_SITE + n % CREWS_PER_SITE]
            registered = (
                first_day - timedelta(days=rng.randrange(1, 700))
                if rng.random() < REGISTERED_BEFORE
                else first_day + timedelta(days=rng.randrange(DAYS))
            )
            born = f"{1960 + worker_id // 1000}{1 + worker_id % 12:02d}{1 + worker_id % 28:02d}"
            first17 = f"310115{born}{worker_id % 1000:03d}"
            number = first17 + id_numbers.check_digit(first17)
            workers.append(
                [
                    worker_id,
                    account,
                    crew[0],
                    crew[3],
                    id_numbers.mask(number),
                    id_numbers.keyed_hash(number, secret_key),
                    registered.isoformat(),
                    None,
                    1,
                ]
            )
            devices.append(
                (
                    worker_id,
                    worker_id,
                    hashlib.sha256(b"device%d" % worker_id).hexdigest(),
                    "Android",
                    "active",
                    text(now - timedelta(days=30)),
                    stamp,
                    None,
                    None,
                )
            )
            start = max(registered, first_day)
            rate = rng.uniform(*GOOD_RATES)
            if poor is not None:
                rate = poor
                start = None if rng.random() < NEVER_SHARE else start + timedelta(days=rng.randrange(0, 240))
            plans.append([worker_id, site_id, start, today, rate])
    for plan in rng.sample(plans, LEAVERS):
        worker = workers[plan[0] - 1]
        earliest = max(date.fromisoformat(worker[6]), first_day) + timedelta(days=20)
        if earliest < today - timedelta(days=2):
            left = earliest + timedelta(days=rng.randrange((today - earliest).days - 1))
            worker[7], worker[8] = left.isoformat(), 0
            plan[3] = left - timedelta(days=1)
    made.add(
        "app_user",
        "id name phone role secret_hash must_change_secret language is_active session_epoch "
        "created_at created_by",
        users,
    )
    made.add(
        "worker",
        "id account crew trade id_number_masked id_number_hash registered_on left_on is_active",
        [tuple(worker) for worker in workers],
    )
    made.add(
        "worker_device",
        "id worker secret_hash label status created_at last_seen_at last_poster decided_by",
        devices,
    )
    attendance(made, rng, plans, sites, first_day, today, now, ledger_key)
    reports(made, rng, sites, sizes, staff_of, areas, crews, now)
    photos(made, rng, sites, sizes, staff_of, now)
    return made


def working(day: date) -> bool:
    (start_month, start_day), (end_month, end_day) = SPRING_FESTIVAL
    return not (start_month, start_day) <= (day.month, day.day) <= (end_month, end_day)


def hmac_sha256(key: bytes):
    """HMAC-SHA256 with the key's pads hashed once: the hashes of millions of links, as `hmac` makes them."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def link(message: bytes) -> str:
        first = inner.copy()
        first.update(message)
        second = outer.copy()
        second.update(first.digest())
        return second.hexdigest()

    return link


def clock():
    """Times as text from microseconds since the epoch: as Piccolo stores them in SQLite, and as the
    ledger's canonical form writes them (always with microseconds: none of these falls on a whole second)."""
    minutes: dict[int, tuple[str, str]] = {}

    def texts(micros: int) -> tuple[str, str]:
        minute, rest = divmod(micros, 60_000_000)
        prefixes = minutes.get(minute)
        if prefixes is None:
            stored = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%d %H:%M:")
            prefixes = minutes[minute] = (stored, stored.replace(" ", "T"))
        seconds = f"{rest // 1_000_000:02d}.{rest % 1_000_000:06d}"
        return f"{prefixes[0]}{seconds}+00:00", f"{prefixes[1]}{seconds}Z"

    return texts


def locations(rng: random.Random, latitude: float, longitude: float, spread: float) -> list[tuple]:
    """Positions a phone reports around a point, with the ledger's canonical text of them."""
    found = []
    for _ in range(256):
        at = (
            round(latitude + (rng.random() - 0.5) * spread, 6),
            round(longitude + (rng.random() - 0.5) * spread, 6),
            float(5 + rng.randrange(40)),
        )
        found.append((*at, ",".join(f'"{value!r}"' for value in at)))
    return found


def attendance(
    made: Company,
    rng: random.Random,
    plans: list,
    sites: list,
    first_day: date,
    today: date,
    now: datetime,
    ledger_key: str,
) -> None:
    """Each worker's check-in and check-out of a working day, appended to the site's chain as
    `ledger.append` does, the day row `days.refresh_days` would write, and each site-day's head."""
    chance, bits = rng.random, rng.getrandbits
    link_of = hmac_sha256(ledger_key.encode())
    texts = clock()
    now_us = int(now.timestamp() * 1_000_000)
    heads = {site[0]: (0, GENESIS) for site in sites}
    inside = {site[0]: locations(rng, site[4], site[5], 0.001) for site in sites}
    outside = {site[0]: locations(rng, site[4], site[5], 0.02) for site in sites}
    nowhere = (None, None, None, "null,null,null")
    zones = {site[0]: ZoneInfo(site[3]) for site in sites}
    events, days, day_heads = [], [], []
    sample = set(range(1, WORKERS + 1, WORKERS // 40))  # across the sites, their zones and uptake
    day = first_day
    while day <= today:
        if not working(day):
            day += timedelta(days=1)
            continue
        midnight = {
            site: int(datetime.combine(day, time(), zone).timestamp()) * 1_000_000
            for site, zone in zones.items()
        }
        iso_day = day.isoformat()
        taps = []  # (server time, kind, the worker's day)
        for worker, home, start, until, rate in plans:
            if start is None or day < start or day > until or chance() >= rate:
                continue
            site, visiting = home, chance() < VISIT_SHARE
            if visiting:
                site = home % SITES + 1
            base = midnight[site]
            # Check-in 07:00-07:40, check-out 17:00-18:00 local; the server hears it 0.1-1 s later.
            # Odd microseconds: never a whole second, which Piccolo would store without a fraction.
            tap_in = (base + 25_200_000_000 + int(chance() * 2_400_000_000)) | 1
            roll = chance()
            where = (
                "no_location"
                if roll < NO_LOCATION_SHARE
                else "outside_geofence"
                if roll < NO_LOCATION_SHARE + OUTSIDE_SHARE
                else ""
            )
            # The worker's day: worker, site, in, out, visiting, where, date, the in's and out's texts.
            entry = [worker, site, tap_in, None, "visiting" if visiting else "", where, iso_day, None, None]
            taps.append((tap_in + 100_000 + int(chance() * 900_000), 1, entry))
            if chance() >= NO_CHECKOUT_SHARE:
                entry[3] = tap_out = (base + 61_200_000_000 + int(chance() * 3_598_000_000)) | 1
                taps.append((tap_out + 100_000 + int(chance() * 900_000), 2, entry))
            days.append(entry)
        taps.sort()
        touched = set()
        for server, kind, entry in taps:
            if server > now_us:
                entry[3] = None
                if kind == 1:
                    entry[0] = None  # not checked in yet: no day
                continue
            worker, site, visiting, where = entry[0], entry[1], entry[4], entry[5]
            if kind == 1:
                kind = "in"
                client_text, client_canonical = entry[7] = texts(entry[2])
                flags = ",".join(sorted(filter(None, (visiting, where)))) if where else visiting
                place = nowhere if where == "no_location" else (outside if where else inside)[site][bits(8)]
            else:
                kind = "out"
                client_text, client_canonical = entry[8] = texts(entry[3])
                flags, place = visiting, inside[site][bits(8)]
            seq, prev = heads[site]
            seq += 1
            server_text, server_canonical = texts(server)
            idempotency = f"{bits(128):032x}"
            # app.checkin.ledger.canonical written out (checked against it before loading).
            canonical = (
                f'[{site},{seq},{worker},"{kind}","poster","{server_canonical}","{client_canonical}",'
                f'"{client_canonical}","{iso_day}",{place[3]},"{flags}","{idempotency}",{worker},'
                'null,null,""]'
            )
            link = link_of(f"{prev}\n{canonical}".encode())
            heads[site] = (seq, link)
            touched.add(site)
            row = (
                len(events) + 1,
                site,
                seq,
                worker,
                kind,
                "poster",
                server_text,
                client_text,
                client_text,
                iso_day,
                place[0],
                place[1],
                place[2],
                flags,
                idempotency,
                worker,
                None,
                None,
                "",
                prev,
                link,
            )
            events.append(row)
            if worker in sample:
                made.sample_events.setdefault(worker, []).append(row)
        for site in sorted(touched):
            day_heads.append((len(day_heads) + 1, site, iso_day, *heads[site]))
        day += timedelta(days=1)
    made.add(
        "attendance_event",
        "id site seq worker kind method server_time client_time occurred_at "
        "work_date latitude longitude accuracy_m flags idempotency_key device corrects recorded_by reason "
        "prev_hash hash",
        events,
    )
    made.add(
        "attendance_day",
        "id worker site work_date first_in last_out hours man_days shifts open_shift "
        "events anomalies corrected",
        day_rows(made, days, now_us, sample),
    )
    made.add("ledger_day_head", "id site day seq hash", day_heads)


def day_rows(made: Company, days: list, now_us: int, sample: set[int]) -> list[tuple]:
    """The day rows `shifts.summarise` makes of one check-in and (mostly) one check-out."""
    rows = []
    longest = LONGEST_SHIFT // timedelta(microseconds=1)
    for worker, site, tap_in, tap_out, _, where, work_date, in_texts, out_texts in days:
        if worker is None:
            continue
        anomalies = where
        if tap_out is not None:
            # Hours to the hundredth, half up; man-days to the half day, down.
            cents = ((tap_out - tap_in) * 100 + 1_800_000_000) // 3_600_000_000
            row = (out_texts[0], cents / 100, cents // (STANDARD_DAY_CENTS // 2) / 2, 1, 0, 2)
        elif now_us - tap_in > longest:
            anomalies = ",".join(sorted(filter(None, (where, "no_checkout"))))
            row = (None, 0.0, 0.0, 0, 0, 1)
        else:
            row = (None, 0.0, 0.0, 0, 1, 1)
        rows.append((len(rows) + 1, worker, site, work_date, in_texts[0], *row, anomalies, 0))
        if worker in sample:
            made.sample_days.setdefault(worker, []).append(rows[-1])
    return rows


def reports(
    made: Company,
    rng: random.Random,
    sites: list,
    sizes: list[int],
    staff_of: dict,
    areas: list,
    crews: list,
    now: datetime,
) -> None:
    """A year of reports, more of them lately; poor-adoption sites answer slower, every site faster
    as the year goes on. Accepted ones become improvements, most of them delivered and asked about."""
    chance = rng.random
    reporters = defaultdict(list)
    crew_site = {crew[0]: crew[1] for crew in crews}
    for worker in made.tables["worker"][1]:
        reporters[crew_site[worker[2]]].append(worker[1])
    areas_of, crews_of = defaultdict(list), defaultdict(list)
    for area in areas:
        areas_of[area[1]].append(area[0])
    for crew in crews:
        crews_of[crew[1]].append(crew[0])
    site_ids = [site[0] for site in sites]
    chosen_sites = rng.choices(site_ids, sizes, k=FEEDBACK_ITEMS)
    kinds = rng.choices(list(KINDS), list(KINDS.values()), k=FEEDBACK_ITEMS)
    severities = rng.choices(list(SEVERITIES), list(SEVERITIES.values()), k=FEEDBACK_ITEMS)
    drafts = []
    for site, kind, severity in zip(chosen_sites, kinds, severities, strict=True):
        age = timedelta(days=DAYS * chance() ** 1.3, seconds=chance() * 86_400)
        created = now - age
        respond_h, fix_h = RESPOND_FIX_HOURS[severity]
        slow = 6.0 if site - 1 in POOR_SITES else 1.0
        # The median answer: a few hours, slower a year ago than now.
        median_h = min(respond_h, 24) * 0.25 * slow * (0.5 + age.days / DAYS)
        days_old = age.days
        statuses = (
            (("new", 40), ("assigned", 40), ("fixed", 10), ("closed", 10))
            if days_old < 2
            else (
                ("new", 6),
                ("assigned", 20),
                ("fixed", 14),
                ("closed", 48),
                ("rejected", 5),
                ("duplicate", 3),
                ("accepted", 4),
            )
            if days_old < 30
            # A few left behind for months: the overdue ones of "overdue now".
            else (
                ("new", 0.3),
                ("assigned", 0.8),
                ("fixed", 0.9),
                ("closed", 81),
                ("rejected", 8),
                ("duplicate", 4),
                ("accepted", 5),
            )
        )
        status = rng.choices([name for name, _ in statuses], [weight for _, weight in statuses])[0]
        latest = now - timedelta(seconds=1)
        answered = fixed = closed = None
        if status != "new":
            answered = min(created + timedelta(hours=median_h * rng.lognormvariate(0, 1)), latest)
        if status in ("fixed", "closed"):
            fixed = min(answered + timedelta(hours=chance() * fix_h * 1.2), latest)
        if status in ("closed", "rejected", "duplicate"):
            closed = min((fixed or answered) + timedelta(hours=1 + chance() * 47), latest)
        inspection = kind != "system" and chance() < 0.2
        anonymous = not inspection and chance() < 0.11
        reporter = (
            None
            if anonymous
            else rng.choice(staff_of[site][:2])
            if inspection
            else rng.choice(reporters[site])
        )
        respond_by, fix_by = created + timedelta(hours=respond_h), created + timedelta(hours=fix_h)
        drafts.append(
            [
                created,
                site,
                rng.choice(areas_of[site]) if chance() < 0.8 else None,
                kind,
                severity,
                RANK[severity],
                "inspection" if inspection else "report",
                rng.choice(DESCRIPTIONS),
                reporter,
                int(anonymous),
                rng.choice(crews_of[site]) if chance() < 0.6 else None,
                None,
                status,
                int(status in OPEN),
                rng.choice(staff_of[site]) if status in ("assigned", "fixed", "closed") else None,
                None,
                "不属于本项目" if status == "rejected" else "",
                created,
                respond_by,
                fix_by,
                respond_by if status == "new" else fix_by,
                answered,
                fixed,
                closed,
                closed or fixed or answered or created,
            ]
        )
    drafts.sort(key=lambda draft: draft[0])
    last_of_site, accepted = {}, defaultdict(list)
    for item_id, draft in enumerate(drafts, start=1):
        if draft[12] == "duplicate":
            draft[15] = last_of_site.get(draft[1])
        last_of_site[draft[1]] = item_id
        if draft[12] == "accepted":
            accepted[draft[1]].append((item_id, draft))
    improvements(made, rng, accepted, staff_of, now)
    items = [
        (item_id, *draft[1:17], *(None if value is None else text(value) for value in draft[17:]))
        for item_id, draft in enumerate(drafts, start=1)
    ]
    made.add(
        "feedback_item",
        "id site area kind severity severity_rank source description reporter anonymous "
        "crew subcontractor status is_open owner duplicate_of reason created_at respond_by fix_by deadline "
        "first_response_at fixed_at closed_at updated_at",
        items,
    )


def improvements(made: Company, rng: random.Random, accepted: dict, staff_of: dict, now: datetime) -> None:
    """Accepted reports joined into improvements; delivering one closes its reports and asks their
    reporters "fixed?" (app.backlog.services), which most answer."""
    backlog, links, questions = [], [], []
    sites = [site for site, found in accepted.items() if found]
    while len(backlog) < BACKLOG_ITEMS and sites:
        site = rng.choice(sites)
        found = accepted[site]
        joined = [found.pop(rng.randrange(len(found))) for _ in range(min(len(found), rng.randint(1, 3)))]
        if not found:
            sites.remove(site)
        backlog_id = len(backlog) + 1
        created = max(draft[0] for _, draft in joined) + timedelta(hours=rng.uniform(1, 72))
        status = rng.choices(("done", "doing", "planned", "wont_do"), (75, 10, 10, 5))[0]
        done = (
            min(created + timedelta(days=rng.uniform(2, 40)), now - timedelta(minutes=5))
            if status == "done"
            else None
        )
        owner = rng.choice(staff_of[site][:2])
        backlog.append(
            (
                backlog_id,
                site,
                joined[0][1][7][:120],
                "",
                owner,
                None,
                status,
                "超出项目范围" if status == "wont_do" else "",
                "已整改完成" if done else "",
                max(draft[5] for _, draft in joined),
                0,
                len(joined),
                0,
                owner,
                text(created),
                text(done or created),
                None if done is None else text(done),
            )
        )
        for item_id, draft in joined:
            links.append((len(links) + 1, backlog_id, item_id))
            if done is not None:
                draft[12], draft[13], draft[23], draft[24] = "closed", 0, done, done
            if done is not None and draft[8] is not None:
                answer = rng.choices(("yes", "not_yet", ""), (65, 15, 20))[0]
                answered = min(done + timedelta(hours=rng.uniform(1, 96)), now) if answer else None
                questions.append(
                    (
                        len(questions) + 1,
                        item_id,
                        backlog_id,
                        draft[8],
                        text(done),
                        answer,
                        None if answered is None else text(answered),
                    )
                )
    made.add(
        "backlog_item",
        "id site title description owner target_date status reason resolution "
        "severity_rank votes reports flagged created_by created_at updated_at done_at",
        backlog,
    )
    made.add("backlog_link", "id backlog feedback", links)
    made.add("fixed_question", "id feedback backlog reporter asked_at answer answered_at", questions)


def photos(
    made: Company, rng: random.Random, sites: list, sizes: list[int], staff_of: dict, now: datetime
) -> None:
    chance = rng.random
    zones = {site[0]: ZoneInfo(site[3]) for site in sites}
    places = {site[0]: (site[4], site[5]) for site in sites}
    rows = []
    for site in rng.choices(list(places), sizes, k=PHOTOS):
        taken = now - timedelta(days=DAYS * chance() ** 1.2, seconds=chance() * 36_000)
        located = chance() < 0.7
        latitude = round(places[site][0] + (chance() - 0.5) * 0.002, 6) if located else None
        longitude = round(places[site][1] + (chance() - 0.5) * 0.002, 6) if located else None
        deleted = text(taken + timedelta(hours=1)) if chance() < 0.01 else None
        uploader = rng.choice(staff_of[site])
        rows.append(
            (
                len(rows) + 1,
                site,
                None,
                "",
                "",
                uploader,
                text(taken + timedelta(minutes=chance() * 30)),
                text(taken),
                taken.astimezone(zones[site]).date().isoformat(),
                "exif" if located else "phone",
                latitude,
                longitude,
                8.0 if located else None,
                f"{rng.getrandbits(256):064x}",
                2048,
                1536,
                300_000 + int(chance() * 200_000),
                deleted,
                uploader if deleted else None,
            )
        )
    made.add(
        "photo",
        "id site area caption tags uploaded_by uploaded_at taken_at taken_date taken_source "
        "latitude longitude accuracy_m content_hash width height display_bytes deleted_at deleted_by",
        rows,
    )


# --- Loading --------------------------------------------------------------------------------------------

# Their migrations' indexes are built again once the rows are in: cheaper than keeping them up to date.
REINDEXED = ("attendance_event", "attendance_day", "ledger_day_head", "feedback_item", "photo")


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return 'INSERT INTO "{}" ({}) VALUES ({})'.format(  # noqa: S608 (names from this module)
        table, ", ".join(f'"{column}"' for column in columns), ", ".join("?" for _ in columns)
    )


def load_sqlite(path: str, made: Company) -> dict[str, float]:
    """One transaction on a connection of its own, without a journal (a failed fill is thrown away);
    the seconds spent inserting rows and building indexes."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None)
    spent = {}
    try:
        mode = connection.execute("PRAGMA journal_mode=OFF").fetchone()[0]
        assert mode == "off", mode
        for pragma in ("synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY", "threads=2"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"  # noqa: S608
            f" AND tbl_name IN ({', '.join('?' for _ in REINDEXED)})",
            REINDEXED,
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        started = perf_counter()
        for table, (columns, rows) in made.tables.items():
            connection.executemany(insert_sql(table, columns), rows)
        spent["rows_s"] = perf_counter() - started
        started = perf_counter()
        for _, sql in indexes:
            connection.execute(sql)
        spent["indexes_s"] = perf_counter() - started
        started = perf_counter()
        connection.execute("COMMIT")
        # As `python -m app migrate` leaves it (app.db.prepare_sqlite).
        connection.execute("PRAGMA journal_mode=WAL")
        spent["commit_s"] = perf_counter() - started
    finally:
        connection.close()
    return spent


async def text_chunks(rows: list[tuple], size: int = 50_000):
    """COPY's text format, fast: every value through "%s", then None made NULL. Safe for these rows only:
    none of their text holds a tab, a newline or a backslash, or starts with "None"."""
    if not rows:
        return
    line = "\t".join("%s" for _ in rows[0]) + "\n"
    for start in range(0, len(rows), size):
        chunk = "".join([line % row for row in rows[start : start + size]])
        yield chunk.replace("\tNone", "\t\\N").encode()


async def load_postgres(url: str, made: Company) -> dict[str, float]:
    """COPY in one transaction, the foreign keys unchecked when allowed; then the statistics and the
    visibility map autovacuum would have made of tables this old. The seconds each step took."""
    import contextlib

    import asyncpg

    connection = await asyncpg.connect(url)
    spent = {}
    try:
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            list(REINDEXED),
        )
        async with connection.transaction():
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                async with connection.transaction():
                    await connection.execute("SET LOCAL session_replication_role = replica")
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            started = perf_counter()
            for table, (columns, rows) in made.tables.items():
                await connection.copy_to_table(table, source=text_chunks(rows), columns=list(columns))
            spent["rows_s"] = perf_counter() - started
            started = perf_counter()
            for index in indexes:
                await connection.execute(index["indexdef"])
            spent["indexes_s"] = perf_counter() - started
        for table in made.tables:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM \"{table}\""  # noqa: S608
            )
        started = perf_counter()
        await connection.execute("VACUUM ANALYZE")
        spent["vacuum_s"] = perf_counter() - started
    finally:
        await connection.close()
    return spent
