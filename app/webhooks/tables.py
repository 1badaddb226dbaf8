"""A project's group-robot webhook (WeCom / DingTalk style) and the messages waiting for it."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.sites.tables import Site


class SiteWebhook(Table):
    site = ForeignKey(Site, on_delete=OnDelete.cascade, unique=True)
    url = Varchar(length=500)
    set_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(default=TimestamptzNow())
    last_sent_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")
    last_error_at = Timestamptz(null=True, default=None)


class WebhookDelivery(Table):
    """One message for a project's robot; the job sends it, retrying with back-off."""

    site = ForeignKey(Site, on_delete=OnDelete.cascade)
    body = Text()
    attempts = Integer(default=0)
    next_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    given_up_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
