"""The application: features listed explicitly, cross-cutting pieces wired once."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.logging.config import LoggingConfig
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from piccolo.engine.postgres import PostgresEngine

from app import housekeeping, i18n  # noqa: F401  (registers the jobs)
from app.accounts.routes import AccountController, SignInController
from app.accounts.staff_routes import StaffController
from app.accounts.tables import ROLE_LABELS
from app.audit.routes import AuditController
from app.backlog.routes import (
    BacklogItemController,
    BoardController,
    DeliveredController,
    InboxController,
    VoteController,
)
from app.checkin import todo as checkin_todo  # noqa: F401  (registers to-do items)
from app.checkin.attendance_routes import AttendanceController
from app.checkin.phone_routes import PhoneController
from app.checkin.poster_routes import PosterController
from app.checkin.routes import CheckInController
from app.checkin.services import FLAG_LABELS
from app.config import ROOT, Settings, get_settings
from app.dashboard import todo as dashboard_todo  # noqa: F401  (registers to-do items)
from app.dashboard.routes import DashboardController, PublicRankingController
from app.db import current_engine
from app.feedback import todo as feedback_todo  # noqa: F401  (registers to-do items)
from app.feedback.item_routes import FeedbackItemController, LiveController
from app.feedback.live import channels_plugin
from app.feedback.routes import MyFeedbackController, QueueController, ReportController
from app.feedback.sla_routes import SlaController
from app.home.routes import HomeController, ShellController
from app.jobs import LastRuns, scheduler
from app.photos.routes import MyPhotosController, PhotoController, PhotoSiteController
from app.roster.routes import RosterController
from app.sites.routes import AreaController, SiteController, SiteMemberController
from app.sqlite import PooledSQLiteEngine
from app.todo import EMPTY_HINTS
from app.web.access import PrincipalMiddleware, signed_in_unless_public
from app.web.assets import service_worker, static_router, static_url
from app.web.compression import compression_config
from app.web.errors import EXCEPTION_HANDLERS
from app.web.navigation import current_tab, tabs_for
from app.web.security import add_security_headers
from app.web.sessions import session_config, stores
from app.webhooks.routes import WebhookController
from app.workforce import todo as workforce_todo  # noqa: F401  (registers to-do items)
from app.workforce.crew_routes import CrewController, SubcontractorController
from app.workforce.routes import WorkerController

# Plain forms are small; upload routes set their own, larger limit.
FORM_BODY_LIMIT = 256 * 1024

CONTROLLERS = [
    AuditController,
    SignInController,
    AccountController,
    HomeController,
    ShellController,
    SiteController,
    WorkerController,
    RosterController,
    StaffController,
    SiteMemberController,
    AreaController,
    CrewController,
    SubcontractorController,
    CheckInController,
    PosterController,
    PhoneController,
    AttendanceController,
    PhotoSiteController,
    PhotoController,
    MyPhotosController,
    ReportController,
    MyFeedbackController,
    QueueController,
    FeedbackItemController,
    LiveController,
    SlaController,
    BoardController,
    DeliveredController,
    BacklogItemController,
    VoteController,
    InboxController,
    WebhookController,
    DashboardController,
    PublicRankingController,
]


class _Environment(Environment):
    """Jinja keeps a template's globals as a ChainMap over the environment's and copies
    it key by key, in Python, for every render, block and include. Every global is set
    at startup, before the first template loads, so a plain dict serves as well."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def template_environment() -> Environment:
    env = _Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change only with a new release (a restart); no stat() per render.
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals.update(_=i18n.template_gettext, gettext=i18n.template_gettext)
    env.globals.update(
        now=lambda: datetime.now(UTC),
        static_url=static_url,
        languages=i18n.LANGUAGES,
        current_language=i18n.current_language,
        tabs_for=tabs_for,
        current_tab=current_tab,
        role_labels=ROLE_LABELS,
        empty_hints=EMPTY_HINTS,
        flag_labels=FLAG_LABELS,
        weekday_names=i18n.weekday_names,
    )
    env.filters.update(
        datetime=i18n.format_datetime,
        date=i18n.format_date,
        time=i18n.format_time,
        number=i18n.format_number,
        percent=i18n.format_percent,
        month=i18n.format_month,
        duration=i18n.format_duration,
    )
    return env


def _lifespan(settings: Settings):
    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        engine = current_engine()
        # Whoever opened a pool closes it: tests open theirs on their own event loop.
        pooled = isinstance(engine, PostgresEngine) and engine.pool is None
        if pooled:
            await engine.start_connection_pool()
        jobs = None
        if settings.run_jobs_in_process:
            jobs = asyncio.create_task(scheduler(LastRuns(settings.data_dir / "jobs.json")))
        # What startup built (modules, the app, templates, locale data) lives as long as
        # the process: left out of the collector's full passes, each pass takes a few
        # milliseconds instead of 50-130 ms of stalling every request in flight.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if jobs:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            if pooled or isinstance(engine, PooledSQLiteEngine):
                await engine.close_connection_pool()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    template_config = TemplateConfig(instance=JinjaTemplateEngine.from_environment(template_environment()))
    sessions = session_config(settings)
    return Litestar(
        route_handlers=[*CONTROLLERS, static_router, service_worker],
        template_config=template_config,
        plugins=[
            HTMXPlugin(),
            FlashPlugin(config=FlashConfig(template_config=template_config)),
            channels_plugin(settings),
        ],
        request_class=HTMXRequest,
        middleware=[sessions.middleware, PrincipalMiddleware()],
        guards=[signed_in_unless_public],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="fp_csrf",
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name="x-csrftoken",
        ),
        compression_config=compression_config(),
        stores=stores(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_security_headers],
        request_max_body_size=FORM_BODY_LIMIT,
        lifespan=[_lifespan(settings)],
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
            # Our error handler logs unexpected errors once, with the request line.
            log_exceptions="never",
        ),
        openapi_config=None,
        debug=False,
    )
