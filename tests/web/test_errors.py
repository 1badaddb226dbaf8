"""Error answers: a page in the user's language, never a stack trace."""

from __future__ import annotations

import httpx
import pytest
from litestar import get

from app.main import create_app
from app.web.access import PUBLIC


@get("/boom", opt=PUBLIC)
async def boom() -> str:
    raise RuntimeError("secret internals")


@pytest.fixture
async def broken_client(db):
    app = create_app()
    app.register(boom)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://testserver.local") as client:
        yield client


async def test_an_unexpected_error_shows_a_calm_page(broken_client):
    answer = await broken_client.get("/boom", headers={"accept-language": "zh-CN"})
    assert answer.status_code == 500
    assert "出错了" in answer.text
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    answer = await broken_client.get("/boom", headers={"accept-language": "en"})
    assert "Something went wrong" in answer.text


async def test_a_path_that_is_not_a_record_number_is_not_found(broken_client):
    answer = await broken_client.get("/sites/not-a-number")
    assert answer.status_code == 404
    assert "Traceback" not in answer.text
