"""Crews of a site and subcontractors: who may change them, and what is refused."""

from __future__ import annotations

import pytest

from app.audit.tables import AuditEntry
from app.workforce.tables import Crew, Subcontractor
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}
CREW_FORM = {**EN, "HX-Request": "true", "HX-Target": "crew-form"}


def fragment(target: str) -> dict[str, str]:
    return {**EN, "HX-Request": "true", "HX-Target": target}


@pytest.fixture
async def setting(db):
    manager = await factories.user("manager")
    foreman = await factories.user("foreman", name="李班长")
    outsider = await factories.user("foreman", name="外人班长")
    site = await factories.site("一号工地", members=(manager, foreman))
    other = await factories.site("别处", members=(outsider,))
    crew = await factories.crew(site, "钢筋一班", "钢筋工", foreman=foreman)
    far_crew = await factories.crew(other, "外地班组", "瓦工")
    company = Subcontractor(name="华建劳务")
    await company.save()
    return {"manager": manager, "foreman": foreman, "outsider": outsider, "site": site,
            "other": other, "crew": crew, "far_crew": far_crew, "company": company}


async def post(client, path, data=None, headers=EN):
    token = await fetch_csrf(client)
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, headers=headers)


async def crews_table() -> list[dict]:
    return await Crew.select().order_by(Crew.id)


def crew_form(setting, **overrides) -> dict[str, str]:
    return {"name": "木工一班", "trade": "木工", "foreman": str(setting["foreman"].id),
            "subcontractor": str(setting["company"].id), **overrides}


async def test_members_see_the_crews_of_their_site(client, sign_in_as, setting):
    site = setting["site"]
    await factories.worker(setting["crew"])
    await sign_in_as(setting["foreman"])
    page = await client.get(f"/sites/{site.id}/crews", headers=EN)
    assert page.status_code == 200
    assert "钢筋一班" in page.text and "1 worker" in page.text and "李班长" in page.text
    assert "Add a crew" not in page.text and f"/crews/{setting['crew'].id}" not in page.text


async def test_a_manager_creates_a_crew(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    page = await client.get(f"/sites/{site.id}/crews", headers=EN)
    assert "Add a crew" in page.text and "华建劳务" in page.text
    assert "外人班长" not in page.text  # not a member of this site
    answer = await post(client, f"/sites/{site.id}/crews", crew_form(setting))
    assert answer.status_code == 303 and answer.headers["location"] == f"/sites/{site.id}/crews"
    crew = await Crew.select().where(Crew.name == "木工一班").first()
    assert (crew["site"], crew["trade"], crew["foreman"], crew["subcontractor"]) == (
        site.id, "木工", setting["foreman"].id, setting["company"].id)
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "crew.create") & (AuditEntry.site == site.id))


async def test_a_manager_edits_a_crew(client, sign_in_as, setting):
    site, crew = setting["site"], setting["crew"]
    await sign_in_as(setting["manager"])
    page = await client.get(f"/sites/{site.id}/crews/{crew.id}", headers=EN)
    assert page.status_code == 200 and 'value="钢筋一班"' in page.text
    answer = await post(client, f"/sites/{site.id}/crews/{crew.id}",
                        crew_form(setting, name="钢筋二班", trade="钢筋工", foreman="", subcontractor=""))
    assert answer.status_code == 303
    row = await Crew.select().where(Crew.id == crew.id).first()
    assert (row["name"], row["foreman"], row["subcontractor"]) == ("钢筋二班", None, None)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Enter the name."),
    ("name", "钢筋一班", "This project already has a crew with this name."),
    ("trade", " ", "Enter the trade, like rebar or carpentry."),
    ("foreman", "outsider", "Choose a foreman who is a member of this project."),
    ("foreman", "manager", "Choose a foreman who is a member of this project."),
    ("foreman", "abc", "Choose a foreman who is a member of this project."),
    ("subcontractor", "999999", "Choose a subcontractor from the list."),
])
async def test_bad_crews_are_refused_beside_the_field(client, sign_in_as, setting, field, value, message):
    site, crew = setting["site"], setting["crew"]
    value = {"outsider": str(setting["outsider"].id), "manager": str(setting["manager"].id)}.get(value, value)
    before = await crews_table()
    await sign_in_as(setting["manager"])
    create = await post(client, f"/sites/{site.id}/crews", crew_form(setting, **{field: value}))
    assert create.status_code == 422 and "<html" in create.text
    assert f'id="{field}-error">{message}' in create.text
    htmx = await post(client, f"/sites/{site.id}/crews", crew_form(setting, **{field: value}), CREW_FORM)
    assert htmx.status_code == 422 and htmx.text.lstrip().startswith('<form id="crew-form"')
    assert message in htmx.text and "<html" not in htmx.text
    if value != "钢筋一班":
        edit = await post(client, f"/sites/{site.id}/crews/{crew.id}", crew_form(setting, **{field: value}),
                          CREW_FORM)
        assert edit.status_code == 422 and message in edit.text and "<html" not in edit.text
    assert await crews_table() == before


async def test_a_foreman_editing_a_crew_gets_403(client, sign_in_as, setting):
    site, crew = setting["site"], setting["crew"]
    await sign_in_as(setting["foreman"])
    assert (await client.get(f"/sites/{site.id}/crews/{crew.id}")).status_code == 403
    answer = await post(client, f"/sites/{site.id}/crews/{crew.id}", crew_form(setting, name="我的班"))
    assert answer.status_code == 403
    assert (await post(client, f"/sites/{site.id}/crews", crew_form(setting))).status_code == 403
    assert (await Crew.select(Crew.name).where(Crew.id == crew.id).first())["name"] == "钢筋一班"


async def test_other_sites_crews_answer_404(client, sign_in_as, setting):
    site, other, far_crew = setting["site"], setting["other"], setting["far_crew"]
    before = await crews_table()
    await sign_in_as(setting["manager"])
    assert (await client.get(f"/sites/{other.id}/crews")).status_code == 404
    assert (await client.get(f"/sites/{other.id}/crews/{far_crew.id}")).status_code == 404
    assert (await post(client, f"/sites/{other.id}/crews", crew_form(setting))).status_code == 404
    # Another site's crew through my own site's address is not found either.
    assert (await client.get(f"/sites/{site.id}/crews/{far_crew.id}")).status_code == 404
    answer = await post(client, f"/sites/{site.id}/crews/{far_crew.id}", crew_form(setting))
    assert answer.status_code == 404
    assert await crews_table() == before


async def test_executives_see_crews_read_only(client, sign_in_as, setting):
    site, crew = setting["site"], setting["crew"]
    await sign_in_as(await factories.user("executive"))
    page = await client.get(f"/sites/{site.id}/crews/{crew.id}", headers=EN)
    assert page.status_code == 200 and "<fieldset disabled" in page.text
    assert (await post(client, f"/sites/{site.id}/crews/{crew.id}", crew_form(setting))).status_code == 403


# --- Subcontractors -----------------------------------------------------------

async def names() -> list[str]:
    return [row["name"] for row in await Subcontractor.select(Subcontractor.name).order_by(Subcontractor.id)]


async def test_adding_and_renaming_subcontractors(client, sign_in_as, setting):
    await sign_in_as(setting["manager"])
    page = await client.get("/subcontractors", headers=EN)
    assert page.status_code == 200 and "华建劳务" in page.text
    answer = await post(client, "/subcontractors", {"name": "申通劳务"})
    assert answer.status_code == 303 and answer.headers["location"] == "/subcontractors"
    htmx = await post(client, "/subcontractors", {"name": "<i>宏达</i>"}, fragment("subcontractors"))
    assert htmx.status_code == 200 and htmx.text.lstrip().startswith('<section id="subcontractors">')
    assert "&lt;i&gt;宏达&lt;/i&gt;" in htmx.text
    company = setting["company"]
    row = await post(client, f"/subcontractors/{company.id}", {"name": "华建劳务有限公司"},
                     fragment(f"subcontractor-{company.id}"))
    assert row.status_code == 200 and row.text.lstrip().startswith(f'<li id="subcontractor-{company.id}"')
    assert "申通劳务" not in row.text
    plain = await post(client, f"/subcontractors/{company.id}", {"name": "华建劳务公司"})
    assert plain.status_code == 303
    assert await names() == ["华建劳务公司", "申通劳务", "<i>宏达</i>"]
    assert await AuditEntry.count().where(AuditEntry.record_type == "subcontractor") == 4


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter the name."), ("华建劳务", "A subcontractor with this name is already on the list."),
])
async def test_bad_subcontractor_names_are_refused(client, sign_in_as, setting, name, message):
    await sign_in_as(setting["manager"])
    answer = await post(client, "/subcontractors", {"name": name})
    assert answer.status_code == 422 and f'id="name-error">{message}' in answer.text
    htmx = await post(client, "/subcontractors", {"name": name}, fragment("subcontractors"))
    assert htmx.status_code == 422 and message in htmx.text and "<html" not in htmx.text
    second = Subcontractor(name="申通劳务")
    await second.save()
    rename = await post(client, f"/subcontractors/{second.id}", {"name": name},
                        fragment(f"subcontractor-{second.id}"))
    assert rename.status_code == 422
    assert f'id="subcontractor-error-{second.id}">{message}' in rename.text
    assert await names() == ["华建劳务", "申通劳务"]


async def test_subcontractor_access(client, sign_in_as, setting):
    company = setting["company"]
    for role in ("foreman", "supervisor"):
        await sign_in_as(await factories.user(role))
        assert (await client.get("/subcontractors")).status_code == 403
        assert (await post(client, "/subcontractors", {"name": "x"})).status_code == 403
    await sign_in_as(await factories.user("executive"))
    page = await client.get("/subcontractors", headers=EN)
    assert page.status_code == 200 and "Add a subcontractor" not in page.text
    assert (await post(client, f"/subcontractors/{company.id}", {"name": "x"})).status_code == 403
    await sign_in_as(await factories.user("admin"))
    assert (await post(client, "/subcontractors/999999", {"name": "x"})).status_code == 404
    assert await names() == ["华建劳务"]
