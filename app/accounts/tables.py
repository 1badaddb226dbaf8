"""Accounts: everyone who signs in, and failed sign-ins for the lock-out."""

from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.i18n import N_


class Role(StrEnum):
    worker = "worker"
    foreman = "foreman"
    supervisor = "supervisor"
    manager = "manager"
    executive = "executive"
    admin = "admin"


ROLE_LABELS = {
    Role.worker.value: N_("Worker"),
    Role.foreman.value: N_("Foreman"),
    Role.supervisor.value: N_("Site supervisor"),
    Role.manager.value: N_("Project manager"),
    Role.executive.value: N_("Company leader"),
    Role.admin.value: N_("Administrator"),
}


class User(Table, tablename="app_user"):
    """A person who signs in. Workers also have a Worker record (real-name register)."""

    name = Varchar(length=100)
    phone = Varchar(length=20, unique=True, index=True)
    role = Varchar(length=20, choices=Role, index=True)
    # argon2 hash of the password (staff) or the PIN (workers)
    secret_hash = Varchar(length=200)
    must_change_secret = Boolean(default=False)
    # "" means: follow the browser
    language = Varchar(length=10, default="")
    is_active = Boolean(default=True)
    # Bumped to end every session of this user at once (disable, new password).
    session_epoch = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey("self", null=True, on_delete=OnDelete.set_null)


class SignInFailure(Table):
    """One failed sign-in; the lock-out counts them per account and per device."""

    phone = Varchar(length=20, index=True)
    device = Varchar(length=64, index=True)
    failed_at = Timestamptz(default=TimestamptzNow(), index=True)
