"""The real-name register: ID numbers, registering and editing workers, PIN resets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.accounts import services as accounts
from app.accounts.tables import User
from app.audit.tables import AuditEntry
from app.errors import ValidationFailed
from app.workforce import id_numbers, services
from app.workforce.tables import Crew, DayRate, Worker
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}


def id_number(serial: int = 1) -> str:
    first17 = f"31011519900307{serial:03d}"
    return first17 + id_numbers.check_digit(first17)


def test_id_numbers_are_checked_masked_and_hashed():
    good = id_number(1)
    assert id_numbers.is_valid(good) and id_numbers.is_valid(good.lower())
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as problem:
        id_numbers.check_id_number(wrong_check)
    assert "last character" in problem.value.errors["id_number"][0]
    assert not id_numbers.is_valid("31011519901307001X")  # month 13
    assert not id_numbers.is_valid("12345")
    assert id_numbers.mask(good) == good[:4] + "*" * 10 + good[-4:]
    assert good not in id_numbers.keyed_hash(good, "k")
    assert id_numbers.keyed_hash(good, "k") == id_numbers.keyed_hash(good.lower(), "k")
    assert id_numbers.keyed_hash(good, "k") != id_numbers.keyed_hash(good, "other key")


def form(**overrides) -> dict[str, str]:
    return {"name": "王建国", "phone": "13712340001", "id_number": id_number(1), "crew": "",
            "trade": "", "day_rate": "350", "rate_from": "2026-01-01",
            "registered_on": "2026-01-05", "left_on": "", **overrides}


@pytest.fixture
async def setting(db):
    manager = await factories.user("manager")
    foreman = await factories.user("foreman")
    site = await factories.site("一号工地", members=(manager, foreman))
    crew = await factories.crew(site, "钢筋一班", "钢筋工", foreman=foreman)
    other_crew = await factories.crew(site, "木工一班", "木工")
    far_site = await factories.site("远方工地")
    far_crew = await factories.crew(far_site, "外地班组", "瓦工")
    return {"manager": manager, "foreman": foreman, "crew": crew, "other_crew": other_crew,
            "far_crew": far_crew}


async def test_register_stores_no_id_number_in_clear(setting):
    data = services.parse_worker(form(crew=str(setting["crew"].id)), today=date(2026, 2, 1), new=True)
    worker_id = await services.register_worker(setting["manager"], data, device="d")
    worker = await Worker.objects().get(Worker.id == worker_id)
    assert worker.id_number_masked == id_numbers.mask(id_number(1))
    assert id_number(1) not in str(await Worker.select().where(Worker.id == worker_id))
    assert worker.trade == "钢筋工"  # the crew's trade when none is given
    account = await User.objects().get(User.id == worker.account)
    assert account.role == "worker" and account.secret_hash == ""
    assert await AuditEntry.exists().where(AuditEntry.action == "worker.register")


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("phone", "1371234"), ("id_number", "310115199003070010"),
     ("day_rate", "-5"), ("day_rate", "abc"), ("registered_on", "2026-13-01")],
)
async def test_bad_fields_are_named_and_nothing_is_written(setting, field, value):
    with pytest.raises(ValidationFailed) as problem:
        services.parse_worker(form(**{field: value}), today=date(2026, 2, 1), new=True)
    assert field in problem.value.errors
    assert await Worker.count() == 0


async def test_the_same_id_number_is_found_again(setting):
    first = services.parse_worker(form(crew=str(setting["crew"].id)), today=date(2026, 2, 1), new=True)
    await services.register_worker(setting["manager"], first, device="d")
    again = services.parse_worker(
        form(crew=str(setting["crew"].id), phone="13712340002"), today=date(2026, 2, 1), new=True
    )
    with pytest.raises(ValidationFailed) as problem:
        await services.register_worker(setting["manager"], again, device="d")
    assert problem.value.errors["id_number"][1] == {"name": "王建国"}
    assert await Worker.count() == 1


async def test_day_rates_keep_past_amounts(setting):
    data = services.parse_worker(form(crew=str(setting["crew"].id)), today=date(2026, 2, 1), new=True)
    worker_id = await services.register_worker(setting["manager"], data, device="d")
    raise_ = services.parse_worker(
        form(crew=str(setting["crew"].id), day_rate="400", rate_from="2026-03-01", id_number=""),
        today=date(2026, 3, 1), new=False,
    )
    await services.update_worker(setting["manager"], worker_id, raise_, device="d")
    assert await services.day_rate_on(worker_id, date(2026, 2, 15)) == Decimal("350.00")
    assert await services.day_rate_on(worker_id, date(2026, 3, 1)) == Decimal("400.00")
    assert await services.day_rate_on(worker_id, date(2025, 12, 31)) is None
    assert await DayRate.count() == 2


async def test_search_by_name_phone_and_last_id_digits(setting):
    for n, name in enumerate(["李海军", "张志强", "刘国庆"], start=1):
        data = services.parse_worker(
            form(name=name, phone=f"1371234000{n}", id_number=id_number(n), crew=str(setting["crew"].id)),
            today=date(2026, 2, 1), new=True,
        )
        await services.register_worker(setting["manager"], data, device="d")
    manager = setting["manager"]
    assert [r["name"] for r in (await services.search_workers(manager, text="海军"))[0]] == ["李海军"]
    assert [r["name"] for r in (await services.search_workers(manager, text="0002"))[0]] == ["张志强"]
    last4 = id_number(3)[-4:]
    assert [r["name"] for r in (await services.search_workers(manager, text=last4))[0]] == ["刘国庆"]
    assert (await services.search_workers(manager))[1] == 3


async def test_a_manager_of_another_site_sees_nobody(setting):
    data = services.parse_worker(form(crew=str(setting["crew"].id)), today=date(2026, 2, 1), new=True)
    await services.register_worker(setting["manager"], data, device="d")
    stranger = await factories.user("manager")
    assert await services.search_workers(stranger) == ([], 0)


async def test_pin_reset_is_shown_once_audited_and_works(setting, client, sign_in_as):
    worker = await factories.worker(setting["crew"], phone="13712349999")
    await sign_in_as(setting["foreman"])
    token = await fetch_csrf(client)
    answer = await client.post(f"/workers/{worker.id}/pin", data={"_csrf_token": token}, headers=EN)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    pin = answer.text.split('class="pin"')[1].split(">")[1].split("<")[0]
    assert len(pin) == 6 and pin.isdigit()
    account = await User.objects().get(User.id == worker.account)
    assert account.must_change_secret
    assert (await accounts.sign_in("13712349999", pin, "phone")).id == account.id
    assert await AuditEntry.exists().where(AuditEntry.action == "worker.reset_pin")


async def test_a_foreman_changing_another_crews_worker_gets_403(setting, client, sign_in_as):
    worker = await factories.worker(setting["other_crew"])
    far_worker = await factories.worker(setting["far_crew"])
    await sign_in_as(setting["foreman"])
    token = await fetch_csrf(client)
    answer = await client.post(f"/workers/{worker.id}/pin", data={"_csrf_token": token}, headers=EN)
    assert answer.status_code == 403
    answer = await client.post(f"/workers/{far_worker.id}/pin", data={"_csrf_token": token})
    assert answer.status_code == 404
    assert (await User.objects().get(User.id == worker.account)).secret_hash != ""


async def test_register_through_the_form(setting, client, sign_in_as):
    await sign_in_as(setting["manager"])
    page = await client.get("/workers/new", headers=EN)
    assert "Register a worker" in page.text and "钢筋一班" in page.text
    token = await fetch_csrf(client)
    bad = await client.post(
        "/workers", data={**form(crew=str(setting["crew"].id), phone="123"), "_csrf_token": token},
        headers=EN,
    )
    assert bad.status_code == 422 and "A phone number has 11 digits" in bad.text
    assert 'value="王建国"' in bad.text
    good = await client.post(
        "/workers", data={**form(crew=str(setting["crew"].id), name="<b>赵</b>"), "_csrf_token": token}
    )
    assert good.status_code == 303
    detail = await client.get(good.headers["location"], headers=EN)
    assert "&lt;b&gt;赵&lt;/b&gt;" in detail.text and "<b>赵</b>" not in detail.text
    listing = await client.get("/workers?q=赵", headers={**EN, "HX-Request": "true",
                                                         "HX-Target": "worker-results"})
    assert listing.text.lstrip().startswith('<section id="worker-results"')
    assert "1 worker" in listing.text


async def test_workers_cannot_open_the_register(client, sign_in_as):
    await sign_in_as(await factories.user("worker"))
    assert (await client.get("/workers")).status_code == 403


async def test_workers_without_a_pin_wait_on_the_foremans_list(setting, client, sign_in_as):
    data = services.parse_worker(form(crew=str(setting["crew"].id)), today=date(2026, 2, 1), new=True)
    await services.register_worker(setting["manager"], data, device="d")
    await sign_in_as(setting["foreman"])
    home = await client.get("/", headers=EN)
    assert "Workers without a PIN" in home.text
    assert '<span class="count">1</span>' in home.text


async def test_the_list_filters_by_site(setting, client, sign_in_as):
    await factories.worker(setting["crew"], name="本地工人")
    await factories.worker(setting["far_crew"], name="远方工人")
    await sign_in_as(await factories.user("admin"))
    near_site = (await Crew.objects().get(Crew.id == setting["crew"].id)).site
    listing = await client.get(f"/workers?site={near_site}", headers=EN)
    assert "本地工人" in listing.text and "远方工人" not in listing.text
    assert "远方工人" in (await client.get("/workers", headers=EN)).text
