"""Plain forms as the routes read them."""

from __future__ import annotations

import pytest
from litestar import Litestar, Request, post
from litestar.testing import AsyncTestClient

from app.web.forms import MAX_FIELD, form_fields


@post("/echo", exclude_from_csrf=True)
async def echo(request: Request) -> dict[str, str]:
    return await form_fields(request)


@pytest.fixture
async def echo_client():
    async with AsyncTestClient(app=Litestar(route_handlers=[echo])) as client:
        yield client


async def test_url_encoded_fields_keep_the_last_repeat_blanks_and_words(echo_client):
    body = "name=%E5%BC%A0%E4%B8%89&note=&name=%E6%9D%8E%E5%9B%9B&long=" + "x" * (MAX_FIELD + 10)
    answer = await echo_client.post(
        "/echo", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.json() == {"name": "李四", "note": "", "long": "x" * MAX_FIELD}


async def test_bytes_that_are_not_utf8_are_replaced_not_an_error(echo_client):
    answer = await echo_client.post(
        "/echo", content=b"note=\xff\xfeok", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 201
    assert answer.json() == {"note": "\ufffd\ufffdok"}


async def test_multipart_forms_give_their_text_fields(echo_client):
    answer = await echo_client.post("/echo", files={"photo": ("a.jpg", b"x")}, data={"note": "好"})
    assert answer.json() == {"note": "好"}
