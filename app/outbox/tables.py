"""What the server remembers of each offline-safe submission."""

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class IdempotencyRecord(Table):
    """One action done once: the key the phone made at tap time and what it produced.

    Only the key, a hash of the payload and a reference to the result are kept, so an
    anonymous report leaves nothing here that points at a person or a phone.
    """

    scope = Varchar(length=40)
    key = Varchar(length=64)
    payload_hash = Varchar(length=64)
    result_type = Varchar(length=40)
    result_id = Integer()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
