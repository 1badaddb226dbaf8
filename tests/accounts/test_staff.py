"""Admins manage staff accounts: create, change role, disable."""

from __future__ import annotations

from app.accounts import services
from app.accounts.tables import User
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}


async def test_admin_adds_a_supervisor_who_must_choose_a_password(client, sign_in_as):
    await sign_in_as(await factories.user("admin"))
    token = await fetch_csrf(client)
    answer = await client.post("/users", data={
        "_csrf_token": token, "name": "钱质检", "phone": "13600000001", "role": "supervisor",
        "password": "first-pass-1",
    })
    assert answer.status_code == 303
    person = await User.objects().get(User.phone == "13600000001")
    assert person.role == "supervisor" and person.must_change_secret
    detail = await client.get(answer.headers["location"], headers=EN)
    assert "钱质检" in detail.text and 'value="supervisor" selected' in detail.text


async def test_bad_staff_input_is_shown_beside_fields(client, sign_in_as):
    await sign_in_as(await factories.user("admin"))
    token = await fetch_csrf(client)
    answer = await client.post("/users", data={
        "_csrf_token": token, "name": "", "phone": "12", "role": "worker", "password": "x",
    }, headers=EN)
    assert answer.status_code == 422
    assert "Enter the name." in answer.text or "Choose a role from the list." in answer.text
    assert await User.count() == 1


async def test_disabling_ends_sessions_and_sign_in(client, sign_in_as):
    admin = await factories.user("admin")
    manager = await factories.user("manager", secret="manager-pass")
    await sign_in_as(admin)
    token = await fetch_csrf(client)
    answer = await client.post(f"/users/{manager.id}/active", data={"_csrf_token": token, "active": "0"})
    assert answer.status_code == 303
    assert await services.active_user(manager.id) is None
    answer = await client.post(f"/users/{manager.id}/active", data={"_csrf_token": token, "active": "1"})
    assert await services.active_user(manager.id) is not None


async def test_admins_cannot_lock_themselves_out(client, sign_in_as):
    admin = await factories.user("admin")
    await sign_in_as(admin)
    token = await fetch_csrf(client)
    answer = await client.post(f"/users/{admin.id}", data={
        "_csrf_token": token, "name": admin.name, "role": "manager"}, headers=EN)
    assert answer.status_code == 422 and "own administrator role" in answer.text
    answer = await client.post(f"/users/{admin.id}/active", data={"_csrf_token": token, "active": "0"})
    assert answer.status_code == 403
    assert (await User.objects().get(User.id == admin.id)).role == "admin"


async def test_role_change_ends_the_persons_sessions(client, sign_in_as):
    admin = await factories.user("admin")
    foreman = await factories.user("foreman")
    await sign_in_as(admin)
    token = await fetch_csrf(client)
    form = {"_csrf_token": token, "name": "新名字", "role": "supervisor"}
    await client.post(f"/users/{foreman.id}", data=form)
    changed = await User.objects().get(User.id == foreman.id)
    assert changed.role == "supervisor" and changed.name == "新名字"
    assert changed.session_epoch == foreman.session_epoch + 1


async def test_only_admins_manage_staff_and_workers_are_not_staff(client, sign_in_as):
    worker = await factories.user("worker")
    await sign_in_as(await factories.user("manager"))
    assert (await client.get("/users")).status_code == 403
    await sign_in_as(await factories.user("admin"))
    assert (await client.get(f"/users/{worker.id}")).status_code == 404
