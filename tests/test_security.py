"""Headers, cookies, static files, the service worker and compression."""

from __future__ import annotations

from io import BytesIO

import brotli
import httpx

from app.web.assets import PRECACHED, static_url
from app.web.compression import SMALL_ANSWER, SizedBrotli, compression_config
from app.web.security import CONTENT_SECURITY_POLICY, HEADERS, add_security_headers
from tests import factories
from tests.conftest import fetch_csrf


async def test_every_answer_carries_security_headers(client):
    for path in ("/login", "/no-such-page", static_url("css/app.css")):
        answer = await client.get(path)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert all(len(answer.headers.get_list(name)) == 1 for name in HEADERS)


async def test_a_header_the_answer_sets_itself_is_kept_and_not_doubled():
    start = {"type": "http.response.start", "status": 200, "headers": [(b"X-Frame-Options", b"SAMEORIGIN")]}
    await add_security_headers(start, {"scheme": "http"})
    names = [name.lower() for name, _ in start["headers"]]
    assert sorted(names) == sorted(name.encode() for name in HEADERS)
    assert (b"X-Frame-Options", b"SAMEORIGIN") in start["headers"]
    without_headers = {"type": "http.response.start", "status": 204}
    for bare in (without_headers, {"type": "http.response.start", "headers": ()}):
        await add_security_headers(bare, {"scheme": "http"})
        assert {name for name, _ in bare["headers"]} == {name.encode() for name in HEADERS}
    body = {"type": "http.response.body", "body": b""}
    await add_security_headers(body, {"scheme": "http"})
    assert "headers" not in body


async def test_pages_have_no_inline_script_or_style(client):
    page = (await client.get("/login")).text
    assert "<script>" not in page and "<style" not in page and " style=" not in page
    assert "onclick" not in page


async def test_cookies_are_httponly_lax_and_secure_under_https(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as secure_client:
        worker = await factories.user("worker", secret="2468")
        token = await fetch_csrf(secure_client)
        answer = await secure_client.post(
            "/login", data={"_csrf_token": token, "phone": worker.phone, "secret": "2468"}
        )
        cookies = answer.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("fp_session="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" in session
        assert "strict-transport-security" in answer.headers


async def test_cookies_are_not_secure_over_plain_http(client):
    answer = await client.get("/login")
    assert all("Secure" not in c for c in answer.headers.get_list("set-cookie"))


async def test_visitors_get_no_session(client):
    await client.get("/login")
    assert client.cookies.get("fp_session") is None


async def test_versioned_static_files_are_cached_for_a_year(client):
    answer = await client.get(static_url("css/app.css"))
    assert answer.status_code == 200
    assert "max-age=31536000" in answer.headers["cache-control"]


async def test_static_files_are_compressed(client):
    answer = await client.get(static_url("vendor/htmx.min.js"), headers={"accept-encoding": "br"})
    assert answer.headers["content-encoding"] == "br"
    answer = await client.get(static_url("vendor/htmx.min.js"), headers={"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"


async def test_service_worker_is_served_at_the_root_with_its_precache(client):
    answer = await client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/"
    assert "no-cache" in answer.headers["cache-control"]
    for relative in PRECACHED:
        assert static_url(relative) in answer.text
    assert '"offlineUrl": "/offline"' in answer.text


async def test_manifest_and_icons_exist(client):
    answer = await client.get(static_url("manifest.webmanifest"))
    manifest = answer.json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


async def test_offline_page_is_public_and_translated(client):
    page = await client.get("/offline", headers={"accept-language": "zh-CN"})
    assert page.status_code == 200 and "没有网络" in page.text
    page = await client.get("/offline", headers={"accept-language": "en"})
    assert "No connection" in page.text


async def test_unknown_pages_answer_404_in_the_users_language(client):
    page = await client.get("/nowhere", headers={"accept-language": "en-US"})
    assert page.status_code == 404 and "Not found" in page.text
    page = await client.get("/nowhere", headers={"accept-language": "zh-CN"})
    assert "找不到" in page.text


def test_brotli_answers_of_any_size_decode_to_what_was_sent():
    for chunks in ([b"<p>checked in</p>" * 40], [b"x" * SMALL_ANSWER, b"<li>more</li>" * 500, b"end"]):
        buffer = BytesIO()
        facade = SizedBrotli(buffer, "br", compression_config())
        for chunk in chunks:
            facade.write(chunk)
        facade.close()
        assert brotli.decompress(buffer.getvalue()) == b"".join(chunks)
    untouched = BytesIO()
    SizedBrotli(untouched, "br", compression_config()).close()  # too small: never compressed
    assert untouched.getvalue() == b""
