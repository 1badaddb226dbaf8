"""The one render path: page or fragment, decided in one place."""

from __future__ import annotations

import pytest

from app.web.rendering import block_for_target
from tests import factories


@pytest.mark.parametrize(
    ("target", "block"),
    [("item-123", "item"), ("#item-7", "item"), ("sign-in-form", "sign_in_form"),
     ("todo-list", "todo_list"), ("", None), (None, None)],
)
def test_target_names_the_block(target, block):
    assert block_for_target(target) == block


@pytest.fixture
async def worker_client(client, sign_in_as):
    await sign_in_as(await factories.user("worker"))
    return client


async def test_plain_request_gets_the_whole_page(worker_client):
    page = await worker_client.get("/")
    assert "<html" in page.text and 'id="todo-list"' in page.text
    assert "HX-Request" in page.headers["vary"]


async def test_htmx_request_gets_only_the_targeted_block(worker_client):
    fragment = await worker_client.get("/", headers={"HX-Request": "true", "HX-Target": "todo-list"})
    assert fragment.text.lstrip().startswith('<section id="todo-list"')
    assert "<html" not in fragment.text and "tabbar" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "todo-list"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true", "HX-Target": "todo-list"},
        {"HX-Request": "true", "HX-Target": "no-such-block"},
    ],
)
async def test_boosted_history_restore_and_unknown_targets_get_the_page(worker_client, headers):
    page = await worker_client.get("/", headers=headers)
    assert "<html" in page.text


async def test_an_encoded_target_is_read_as_htmx_sent_it(worker_client):
    fragment = await worker_client.get(
        "/", headers={"HX-Request": "true", "HX-Target": "todo%2Dlist", "HX-Target-URI-AutoEncoded": "true"}
    )
    assert fragment.text.lstrip().startswith('<section id="todo-list"')
