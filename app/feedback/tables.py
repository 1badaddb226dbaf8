"""Feedback: what people on site say is wrong, and what was done about it."""

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.sites.tables import Area, Site
from app.workforce.tables import Crew, Subcontractor


class Kind(StrEnum):
    safety = "safety"  # 安全
    quality = "quality"  # 质量
    schedule = "schedule"  # 进度
    materials = "materials"  # 材料设备
    welfare = "welfare"  # 后勤
    system = "system"  # 系统建议: goes to the company-wide queue


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Status(StrEnum):
    new = "new"
    accepted = "accepted"
    assigned = "assigned"
    fixed = "fixed"
    closed = "closed"
    rejected = "rejected"
    duplicate = "duplicate"


class Source(StrEnum):
    report = "report"  # a worker's (or anyone's) report
    inspection = "inspection"  # a supervisor's finding on rounds (巡检)


class FeedbackItem(Table):
    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    area = ForeignKey(Area, null=True, on_delete=OnDelete.set_null)
    kind = Varchar(length=12, choices=Kind)
    severity = Varchar(length=10, choices=Severity)
    # A number per order of severity, so the queue can sort by it in SQL.
    severity_rank = Integer()
    source = Varchar(length=12, choices=Source, default=Source.report)
    description = Text()
    # Empty for an anonymous safety report: no person is stored anywhere.
    reporter = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    anonymous = Boolean(default=False)
    crew = ForeignKey(Crew, null=True, on_delete=OnDelete.set_null)
    subcontractor = ForeignKey(Subcontractor, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=10, choices=Status, default=Status.new)
    # Still waiting for someone here (new, assigned, fixed): the queue's default view.
    # Accepted items are followed on the improvement backlog instead.
    is_open = Boolean(default=True)
    owner = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    duplicate_of = ForeignKey("self", null=True, on_delete=OnDelete.set_null)
    reason = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    # The SLA: a first answer by this time, a fix by that one (from the site's table, or
    # the due date given when the fix was assigned).
    respond_by = Timestamptz()
    fix_by = Timestamptz()
    # What the queue sorts on: respond_by while waiting for an answer, then fix_by.
    deadline = Timestamptz()
    first_response_at = Timestamptz(null=True, default=None)
    fixed_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class FeedbackEvent(Table):
    """The item's timeline: every change and comment, with who (none when anonymous)."""

    item = ForeignKey(FeedbackItem, on_delete=OnDelete.cascade)
    action = Varchar(length=20)
    actor = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SiteSla(Table):
    """A site's own response and fix times per severity; the defaults apply where none is set."""

    site = ForeignKey(Site, on_delete=OnDelete.cascade)
    severity = Varchar(length=10, choices=Severity)
    respond_hours = Integer()
    fix_hours = Integer()
