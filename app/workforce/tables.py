"""Crews, subcontractors and workers."""

from piccolo.columns import Boolean, Date, ForeignKey, Numeric, OnDelete, Varchar
from piccolo.table import Table

from app.accounts.tables import User
from app.sites.tables import Site


class Subcontractor(Table):
    """A labour subcontractor (劳务分包单位) that crews belong to."""

    name = Varchar(length=100, unique=True)


class Crew(Table):
    site = ForeignKey(Site, index=True)
    name = Varchar(length=100)
    trade = Varchar(length=50)
    foreman = ForeignKey(User, null=True, index=True, on_delete=OnDelete.set_null)
    subcontractor = ForeignKey(Subcontractor, null=True, on_delete=OnDelete.set_null)


class Worker(Table):
    """The real-name register entry of a worker; `account` is how they sign in."""

    account = ForeignKey(User, unique=True, on_delete=OnDelete.restrict)
    crew = ForeignKey(Crew, null=True, index=True, on_delete=OnDelete.set_null)
    trade = Varchar(length=50, default="")
    # The ID number is never stored in clear: a masked copy to show, a keyed hash to match.
    id_number_masked = Varchar(length=20, default="")
    id_number_hash = Varchar(length=64, default="", index=True)
    registered_on = Date()
    left_on = Date(null=True)
    is_active = Boolean(default=True)


class DayRate(Table):
    """A worker's day rate from a date on; past amounts stay as they were."""

    worker = ForeignKey(Worker, index=True, on_delete=OnDelete.cascade)
    amount = Numeric(digits=(10, 2))
    effective_from = Date()
