"""The triage queue: a site's items (or the company's system suggestions), most urgent first.

Order: the SLA deadline (the answer's while waiting for one, then the fix's), then
severity, then age. Pages are keyset pages on that order, so page 50 costs what page
1 does, and every filter is a column of one of the queue's indexes (see the feedback
migration). Counts per open status, and the overdue ones, come from one GROUP BY.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app.accounts.tables import User
from app.db import placeholders
from app.errors import ValidationFailed
from app.feedback.tables import FeedbackItem, Kind, Severity, Status
from app.i18n import N_
from app.workforce.tables import Crew

PAGE = 20
MAX_ID = 2**31 - 1
# Waiting for someone here: the counts' statuses (FeedbackItem.is_open).
OPEN_STATUSES = (Status.new.value, Status.assigned.value, Status.fixed.value)
ITEM_COLUMNS = (
    FeedbackItem.id,
    FeedbackItem.site,
    FeedbackItem.kind,
    FeedbackItem.severity,
    FeedbackItem.severity_rank,
    FeedbackItem.source,
    FeedbackItem.description,
    FeedbackItem.status,
    FeedbackItem.is_open,
    FeedbackItem.anonymous,
    FeedbackItem.reporter,
    FeedbackItem.owner,
    FeedbackItem.created_at,
    FeedbackItem.deadline,
    FeedbackItem.respond_by,
    FeedbackItem.fix_by,
    FeedbackItem.first_response_at,
    FeedbackItem.duplicate_of,
    FeedbackItem.reason,
    FeedbackItem.area,
)
ROW_COLUMNS = (
    *ITEM_COLUMNS,
    FeedbackItem.area.name.as_alias("area_name"),
    FeedbackItem.crew.name.as_alias("crew_name"),
    FeedbackItem.owner.name.as_alias("owner_name"),
    FeedbackItem.reporter.name.as_alias("reporter_name"),
    FeedbackItem.site.timezone.as_alias("timezone"),
)
# A page's rows are picked first and their names looked up after: with the five joins
# around the ORDER BY ... LIMIT, PostgreSQL spends ten times the query planning it.
WITH_NAMES = (
    "SELECT f.*, a.name AS area_name, c.name AS crew_name, o.name AS owner_name,"
    " r.name AS reporter_name, s.timezone AS timezone FROM ({}) AS f"
    " JOIN site AS s ON s.id = f.site"
    " LEFT JOIN area AS a ON a.id = f.area LEFT JOIN crew AS c ON c.id = f.crew"
    " LEFT JOIN app_user AS o ON o.id = f.owner LEFT JOIN app_user AS r ON r.id = f.reporter"
    " ORDER BY f.deadline, f.severity_rank DESC, f.id"
)


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    severity: str = ""
    status: str = ""  # "" is every open item
    area: int | None = None
    crew: int | None = None
    overdue: bool = False
    mine: bool = False
    after: tuple[datetime, int, int] | None = None  # (deadline, severity rank, id) of the last row shown

    def query(self, **changes: object) -> dict[str, str]:
        chosen = replace(self, **changes) if changes else self
        pairs = {
            "kind": chosen.kind,
            "severity": chosen.severity,
            "status": chosen.status,
            "area": chosen.area,
            "crew": chosen.crew,
            "overdue": "1" if chosen.overdue else None,
            "mine": "1" if chosen.mine else None,
            "after": f"{chosen.after[0].isoformat()}~{chosen.after[1]}~{chosen.after[2]}"
            if chosen.after
            else None,
        }
        return {key: str(value) for key, value in pairs.items() if value not in (None, "")}

    @property
    def any(self) -> bool:
        return bool(
            self.kind or self.severity or self.status or self.area or self.crew or self.overdue or self.mine
        )


def _id(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


def parse_filters(params: Mapping[str, str]) -> QueueFilters:
    errors: dict[str, tuple[str, dict]] = {}
    values = {}
    for name, choices in (("kind", Kind), ("severity", Severity), ("status", Status)):
        text = (params.get(name) or "").strip()
        if text and text not in {choice.value for choice in choices}:
            errors[name] = (N_("Choose from the list."), {})
            text = ""
        values[name] = text
    after = None
    if text := (params.get("after") or "").strip():
        try:
            moment, rank, item_id = text.rsplit("~", 2)
            after = (datetime.fromisoformat(moment), int(rank), int(item_id))
        except ValueError:
            errors["after"] = (N_("This page link is broken. Start again from the top."), {})
    if errors:
        raise ValidationFailed(errors)
    return QueueFilters(
        area=_id(params.get("area", "")),
        crew=_id(params.get("crew", "")),
        overdue=params.get("overdue") == "1",
        mine=params.get("mine") == "1",
        after=after,
        **values,
    )


def _scope(site_id: int | None):
    """A site's items, or (no site) the company's system suggestions, which only admins triage."""
    if site_id is None:
        return FeedbackItem.kind == Kind.system.value
    return (FeedbackItem.site == site_id) & (FeedbackItem.kind != Kind.system.value)


def _where(site_id: int | None, filters: QueueFilters, user: User, now: datetime):
    where = _scope(site_id)
    where &= (FeedbackItem.status == filters.status) if filters.status else (FeedbackItem.is_open == True)  # noqa: E712
    if filters.kind and site_id is not None:
        where &= FeedbackItem.kind == filters.kind
    if filters.severity:
        where &= FeedbackItem.severity == filters.severity
    if filters.area:
        where &= FeedbackItem.area == filters.area
    if filters.crew:
        where &= FeedbackItem.crew == filters.crew
    if filters.overdue:
        where &= FeedbackItem.deadline < now
    if filters.mine:
        where &= FeedbackItem.owner == user.id
    return where


def _after(after: tuple[datetime, int, int]):
    """Past the keyset; the plain bound on the deadline lets the index range over it."""
    deadline, rank, item_id = after
    later = (FeedbackItem.deadline > deadline) | (
        (FeedbackItem.deadline == deadline)
        & (
            (FeedbackItem.severity_rank < rank)
            | ((FeedbackItem.severity_rank == rank) & (FeedbackItem.id > item_id))
        )
    )
    return (FeedbackItem.deadline >= deadline) & later


async def page(
    site_id: int | None, filters: QueueFilters, user: User, now: datetime | None = None
) -> tuple[list[dict], QueueFilters | None]:
    now = now or datetime.now(UTC)
    where = _where(site_id, filters, user, now)
    if filters.after:
        where &= _after(filters.after)
    picked = (
        FeedbackItem.select(*ITEM_COLUMNS, FeedbackItem.crew)
        .where(where)
        .order_by(FeedbackItem.deadline)
        .order_by(FeedbackItem.severity_rank, ascending=False)
        .order_by(FeedbackItem.id)
        .limit(PAGE + 1)
    )
    rows = await FeedbackItem.raw(WITH_NAMES, picked.querystrings[0])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    following = (
        replace(filters, after=(rows[-1]["deadline"], rows[-1]["severity_rank"], rows[-1]["id"]))
        if more
        else None
    )
    return rows, following


async def counts(site_id: int | None, now: datetime | None = None) -> dict[str, int]:
    """Open items per status, and how many of them are overdue: one pass over the site's open
    entries of an index that holds every column read here (feedback_counts); PostgreSQL still
    visits the table for rows its visibility map does not yet cover (until a vacuum)."""
    if site_id is None:
        scope, scope_args = "kind = {}", [Kind.system.value]
    else:
        scope, scope_args = "site = {} AND kind != {}", [site_id, Kind.system.value]
    rows = await FeedbackItem.raw(
        "SELECT status, COUNT(*) AS n, COUNT(*) FILTER (WHERE deadline < {}) AS late"  # noqa: S608
        f" FROM feedback_item WHERE {scope} AND status IN ({placeholders(len(OPEN_STATUSES))})"
        " GROUP BY status",
        now or datetime.now(UTC),
        *scope_args,
        *OPEN_STATUSES,
    )
    found = {row["status"]: row["n"] for row in rows}
    return {**found, "overdue": sum(row["late"] for row in rows), "open": sum(found.values())}


async def crews_to_filter(site_id: int) -> list[dict]:
    """The site's crews for the filter: their names (crews_of counts their workers too)."""
    return await Crew.select(Crew.id, Crew.name).where(Crew.site == site_id).order_by(Crew.name)


async def reported_by(user: User, page_size: int = 50) -> list[dict]:
    return (
        await FeedbackItem.select(*ROW_COLUMNS, FeedbackItem.site.name.as_alias("site_name"))
        .where(FeedbackItem.reporter == user.id)
        .order_by(FeedbackItem.id, ascending=False)
        .limit(page_size)
    )


async def assigned_to(user: User) -> list[dict]:
    return (
        await FeedbackItem.select(*ROW_COLUMNS, FeedbackItem.site.name.as_alias("site_name"))
        .where((FeedbackItem.owner == user.id) & (FeedbackItem.status == Status.assigned.value))
        .order_by(FeedbackItem.deadline)
        .limit(100)
    )
