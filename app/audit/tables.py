"""Audit entries."""

from piccolo.columns import JSON, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.sites.tables import Site


class AuditEntry(Table):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    # Empty for the system and for anonymous reports; actor_label then says which.
    actor = ForeignKey(User, null=True, index=True, on_delete=OnDelete.restrict)
    actor_label = Varchar(length=100)
    device = Varchar(length=64, default="")
    action = Varchar(length=50)
    record_type = Varchar(length=50, index=True)
    record_id = Varchar(length=50, index=True)
    site = ForeignKey(Site, null=True, index=True, on_delete=OnDelete.restrict)
    detail = JSON(default={})
