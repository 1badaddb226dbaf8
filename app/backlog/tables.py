"""The improvement backlog (改进事项): accepted feedback turned into tracked improvements."""

from enum import StrEnum

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.feedback.tables import FeedbackItem
from app.sites.tables import Site


class Stage(StrEnum):
    proposed = "proposed"
    planned = "planned"
    doing = "doing"
    done = "done"
    wont_do = "wont_do"


class BacklogItem(Table):
    # Empty for company-wide items (system suggestions).
    site = ForeignKey(Site, null=True, on_delete=OnDelete.restrict)
    title = Varchar(length=120)
    description = Text(default="")
    owner = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    target_date = Date(null=True, default=None)
    status = Varchar(length=10, choices=Stage, default=Stage.proposed)
    reason = Varchar(length=500, default="")  # why it won't be done
    resolution = Text(default="")
    # The worst severity among its reports (1 low … 4 critical), and counts kept with them.
    severity_rank = Integer(default=2)
    votes = Integer(default=0)
    reports = Integer(default=0)
    flagged = Boolean(default=False)  # on the rectification list (整改清单)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    done_at = Timestamptz(null=True, default=None)


class BacklogLink(Table):
    backlog = ForeignKey(BacklogItem, on_delete=OnDelete.cascade)
    feedback = ForeignKey(FeedbackItem, on_delete=OnDelete.cascade, unique=True)


class Vote(Table):
    """ "Me too" (我也遇到): one per person per feedback item or backlog item."""

    voter = ForeignKey(User, on_delete=OnDelete.cascade)
    feedback = ForeignKey(FeedbackItem, null=True, on_delete=OnDelete.cascade)
    backlog = ForeignKey(BacklogItem, null=True, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())


class FixedQuestion(Table):
    """ "Fixed?" asked of a reporter when the improvement their report joined is done."""

    feedback = ForeignKey(FeedbackItem, on_delete=OnDelete.cascade)
    backlog = ForeignKey(BacklogItem, on_delete=OnDelete.cascade)
    reporter = ForeignKey(User, on_delete=OnDelete.cascade)
    asked_at = Timestamptz(default=TimestamptzNow())
    answer = Varchar(length=8, default="")  # yes, not_yet
    answered_at = Timestamptz(null=True, default=None)
