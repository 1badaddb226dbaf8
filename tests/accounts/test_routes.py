"""Signing in and out over HTTP: forms, errors in the user's language, sessions."""

from __future__ import annotations

import time

from app.accounts import services
from app.accounts.tables import User
from tests import factories
from tests.conftest import fetch_csrf

ZH = {"accept-language": "zh-CN,zh;q=0.9"}
EN = {"accept-language": "en-GB,en;q=0.9"}


async def post_sign_in(client, phone, secret, headers=None, **extra):
    token = await fetch_csrf(client)
    return await client.post(
        "/login",
        data={"_csrf_token": token, "phone": phone, "secret": secret, "next": "/", **extra},
        headers=headers or ZH,
    )


async def test_sign_in_page_full_and_as_fragment(client):
    page = await client.get("/login", headers=EN)
    assert page.status_code == 200
    assert "<html" in page.text and "Phone number" in page.text
    assert "HX-Request" in page.headers["vary"]
    fragment = await client.get(
        "/login", headers={**EN, "HX-Request": "true", "HX-Target": "sign-in-form"}
    )
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<form id="sign-in-form"')


async def test_sign_in_lands_on_home(client):
    worker = await factories.user("worker", name="陈大明", secret="2468")
    answer = await post_sign_in(client, worker.phone, "2468")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    home = await client.get("/", headers=ZH)
    assert "待办" in home.text and "陈大明" in home.text


async def test_sign_in_follows_next_only_within_the_site(client):
    worker = await factories.user("worker", secret="2468")
    answer = await post_sign_in(client, worker.phone, "2468", next="//evil.example/x")
    assert answer.headers["location"] == "/"


async def test_wrong_pin_shows_the_message_beside_the_field_in_each_language(client):
    worker = await factories.user("worker", secret="2468")
    answer = await post_sign_in(client, worker.phone, "1111", headers=ZH)
    assert answer.status_code == 422
    assert 'id="secret-error"' in answer.text and "手机号或密码错误" in answer.text
    assert f'value="{worker.phone}"' in answer.text  # the phone is kept
    answer = await post_sign_in(client, worker.phone, "1111", headers=EN)
    assert "The phone number or the password/PIN is wrong." in answer.text


async def test_empty_form_names_each_missing_field(client):
    answer = await post_sign_in(client, "", "", headers=EN)
    assert answer.status_code == 422
    assert "Enter the phone number." in answer.text and "Enter the password or PIN." in answer.text


async def test_sixth_attempt_says_when_to_try_again(client):
    worker = await factories.user("worker", secret="2468")
    for _ in range(5):
        assert (await post_sign_in(client, worker.phone, "0000")).status_code == 422
    answer = await post_sign_in(client, worker.phone, "2468", headers=ZH)
    assert answer.status_code == 429
    assert "失败次数过多，请 15 分钟后再试" in answer.text
    assert (await client.get("/")).status_code == 303  # still not signed in


async def test_post_without_csrf_token_is_refused(client):
    worker = await factories.user("worker", secret="2468")
    answer = await client.post("/login", data={"phone": worker.phone, "secret": "2468"})
    assert answer.status_code == 403
    assert (await client.get("/")).status_code == 303


async def test_pages_need_sign_in(client):
    answer = await client.get("/me?tab=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/me%3Ftab%3D1"
    htmx = await client.get("/me", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"].startswith("/login")


async def test_sign_out_ends_the_session(client, sign_in_as):
    worker = await factories.user("worker")
    await sign_in_as(worker)
    assert (await client.get("/")).status_code == 200
    token = await fetch_csrf(client)
    answer = await client.post("/me/sign-out", data={"_csrf_token": token})
    assert answer.status_code == 303
    assert (await client.get("/")).status_code == 303


async def test_disabling_a_person_ends_their_session_at_once(client, sign_in_as):
    admin = await factories.user("admin")
    worker = await factories.user("worker")
    await sign_in_as(worker)
    assert (await client.get("/")).status_code == 200
    await services.disable_user(worker.id, by=admin, device="d")
    assert (await client.get("/")).status_code == 303


async def test_sessions_end_after_the_absolute_lifetime(client, sign_in_as, settings):
    worker = await factories.user("worker")
    await sign_in_as(worker, signed_in_at=time.time() - settings.session_max_hours * 3600 - 5)
    assert (await client.get("/")).status_code == 303


async def test_sign_in_rotates_the_session_id(client, sign_in_as):
    worker = await factories.user("worker", secret="2468")
    await sign_in_as(await factories.user("worker"))
    planted = client.cookies.get("fp_session")
    await post_sign_in(client, worker.phone, "2468")
    assert client.cookies.get("fp_session") not in (None, planted)


async def test_first_sign_in_asks_for_a_new_pin_then_it_works(client):
    worker = await factories.user("worker", secret="2468", must_change_secret=True)
    answer = await post_sign_in(client, worker.phone, "2468")
    assert answer.headers["location"] == "/me#secret"
    page = await client.get("/me", headers=ZH)
    assert "欢迎！请先设置您自己的密码。" in page.text
    token = await fetch_csrf(client)
    form = {"_csrf_token": token, "current": "2468", "new": "1357", "confirm": "1357"}
    assert (await client.post("/me/secret", data=form)).status_code == 303
    assert (await client.get("/")).status_code == 200  # this session survives the change
    stored = await User.objects().get(User.id == worker.id)
    assert not stored.must_change_secret


async def test_change_pin_errors_beside_fields_and_as_fragment(client, sign_in_as):
    worker = await factories.user("worker", secret="2468")
    await sign_in_as(worker)
    token = await fetch_csrf(client)
    answer = await client.post(
        "/me/secret",
        data={"_csrf_token": token, "current": "2468", "new": "12", "confirm": "12"},
        headers={**EN, "HX-Request": "true", "HX-Target": "secret"},
    )
    assert answer.status_code == 422
    assert answer.text.lstrip().startswith('<form id="secret"')
    assert "The PIN is 4 to 6 digits." in answer.text
    stored = await User.objects().get(User.id == worker.id)
    assert stored.secret_hash == worker.secret_hash


async def test_over_long_and_html_input_is_escaped_or_refused(client, sign_in_as):
    answer = await post_sign_in(client, "<script>alert(1)</script>" + "9" * 5000, "x")
    assert answer.status_code == 422
    assert "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;" in answer.text
    worker = await factories.user("worker", name="<b>李四</b>")
    await sign_in_as(worker)
    home = await client.get("/")
    assert "<b>李四</b>" not in home.text and "&lt;b&gt;李四&lt;/b&gt;" in home.text


async def test_a_40_mb_body_is_refused_before_it_is_read(client):
    token = await fetch_csrf(client)
    body = b"phone=" + b"1" * (40 * 1024 * 1024)
    answer = await client.post(
        "/login", content=body,
        headers={**EN, "content-type": "application/x-www-form-urlencoded", "x-csrftoken": token},
    )
    assert answer.status_code == 413
    assert "What you sent is too large" in answer.text
