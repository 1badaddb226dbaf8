"""The one Piccolo app: every feature's tables, one migration history."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.accounts.tables import SignInFailure, User
from app.audit.tables import AuditEntry
from app.backlog.tables import BacklogItem, BacklogLink, FixedQuestion, Vote
from app.checkin.tables import AttendanceDay, AttendanceEvent, LedgerDayHead, Poster, WorkerDevice
from app.feedback.tables import FeedbackEvent, FeedbackItem, SiteSla
from app.inbox.tables import Notification
from app.outbox.tables import IdempotencyRecord
from app.photos.tables import Photo, PhotoLink, PhotoTag
from app.sites.tables import Area, Site, SiteMembership
from app.webhooks.tables import SiteWebhook, WebhookDelivery
from app.workforce.tables import Crew, DayRate, Subcontractor, Worker

APP_CONFIG = AppConfig(
    app_name="fieldpost",
    migrations_folder_path=str(Path(__file__).resolve().parent.parent / "migrations"),
    table_classes=[
        User,
        SignInFailure,
        Site,
        Area,
        SiteMembership,
        Subcontractor,
        Crew,
        Worker,
        DayRate,
        AuditEntry,
        IdempotencyRecord,
        Poster,
        WorkerDevice,
        AttendanceEvent,
        AttendanceDay,
        LedgerDayHead,
        Photo,
        PhotoTag,
        PhotoLink,
        FeedbackItem,
        FeedbackEvent,
        SiteSla,
        BacklogItem,
        BacklogLink,
        Vote,
        FixedQuestion,
        Notification,
        SiteWebhook,
        WebhookDelivery,
    ],
)
