"""Each person's inbox: what happened to what they reported or own, and questions for them."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User


class Notification(Table):
    user = ForeignKey(User, on_delete=OnDelete.cascade)
    # An English msgid with %(name)s placeholders, translated when shown, and its values.
    message = Varchar(length=200)
    params = Text(default="{}")
    link = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)
    # A "fixed?" question waits for its answer here (see backlog.questions).
    question = Integer(null=True, default=None)
