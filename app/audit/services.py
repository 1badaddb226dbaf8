"""Writing the audit log. Every write in a service records one entry here."""

from __future__ import annotations

from typing import Any

from app.accounts.tables import User
from app.audit.tables import AuditEntry

ANONYMOUS = "anonymous"
SYSTEM = "system"


async def record(
    action: str,
    *,
    actor: User | None,
    device: str = "",
    record_type: str,
    record_id: object,
    site_id: int | None = None,
    detail: dict[str, Any] | None = None,
    anonymous: bool = False,
) -> None:
    """An anonymous entry keeps nothing that could point at the person or the phone."""
    if anonymous:
        actor, device = None, ""
    await AuditEntry.insert(
        AuditEntry(
            actor=actor.id if actor else None,
            actor_label=ANONYMOUS if anonymous else (actor.name if actor else SYSTEM),
            device=device,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            site=site_id,
            detail=detail or {},
        )
    )
