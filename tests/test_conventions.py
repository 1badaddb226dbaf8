"""The project's own rules, checked: access declared, settings documented, templates present."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from litestar import Controller

import app
from app.config import setting_names
from app.main import CONTROLLERS, create_app
from app.web.access import signed_in_unless_public

ROOT = Path(__file__).resolve().parent.parent

# Pages anyone may open without signing in. Adding one is a decision: add it here.
PUBLIC_ROUTES = {
    "/login",
    "/language",
    "/offline",
    "/csrf",
    "/c/{token:str}",
    "/c/{token:str}/identify",
    "/c/{token:str}/approval",
    # A photo on a public page is everyone's; the service checks each request.
    "/photos/{photo_id:int}/{size:str}",
    # "You said, we did" for the site's notice board: no personal data on it.
    "/sites/{site_id:int}/delivered",
    # The site ranking for notice boards: site names and scores, nobody's name.
    "/ranking",
    "/healthz",
    "/sw.js",
    "/static/{file_path:path}",
}


def handlers():
    """Every handler we wrote (Litestar adds an OPTIONS answer of its own per path)."""
    for route in create_app().routes:
        for handler in route.route_handlers:
            if handler.http_methods != {"OPTIONS"}:
                yield route.path, handler


def declared_guards(handler):
    # Litestar wraps plain functions; the declared guard is inside.
    return [getattr(guard, "func", guard) for guard in handler.resolve_guards()]


def test_public_routes_are_exactly_the_marked_ones():
    public = {path for path, handler in handlers() if handler.opt.get("public")}
    assert public == PUBLIC_ROUTES


def test_every_other_route_declares_a_role_guard():
    unguarded = [
        path
        for path, handler in handlers()
        if not handler.opt.get("public")
        and not any(
            hasattr(guard, "roles") for guard in declared_guards(handler)
            if guard is not signed_in_unless_public
        )
    ]
    assert not unguarded, f"routes without a role guard: {unguarded}"


def test_every_controller_is_registered():
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if module.name.endswith(".routes"):
            importlib.import_module(module.name)
    defined = {
        cls for cls in Controller.__subclasses__() if cls.__module__.startswith("app.")
    }
    assert defined == set(CONTROLLERS)


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in setting_names() if f"`{name}`" not in readme]
    assert not missing, f"document these in README.md: {missing}"


def test_every_referenced_template_exists():
    referenced = set()
    for path in (ROOT / "app").rglob("*.py"):
        referenced |= set(re.findall(r'["\']([\w/]+\.html)["\']', path.read_text()))
    for path in (ROOT / "templates").rglob("*.html"):
        referenced |= set(
            re.findall(r'{%\s*(?:extends|include)\s+"([^"]+)"', path.read_text())
        )
    missing = sorted(name for name in referenced if not (ROOT / "templates" / name).exists())
    assert referenced and not missing, missing


def test_services_hold_no_http():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("services.py")
        if re.search(r"^\s*(from|import) litestar", path.read_text(), re.M)
    ]
    assert not offenders


def test_no_module_outgrows_400_lines():
    big = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if len(path.read_text().splitlines()) > 400
    ]
    assert not big, f"split these: {big}"
