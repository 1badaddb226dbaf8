"""What the register puts on to-do lists."""

from __future__ import annotations

from app.accounts.tables import Role, User
from app.i18n import N_
from app.todo import TodoItem, todo_provider
from app.workforce.services import visible_workers
from app.workforce.tables import Worker


@todo_provider(Role.foreman, Role.supervisor, Role.manager)
async def workers_without_pin(user: User) -> list[TodoItem]:
    """Registered workers who cannot sign in yet: someone has to give them a PIN."""
    where = visible_workers(user)
    if where is None:
        return []
    count = await Worker.count().where(
        where & (Worker.is_active == True) & (Worker.account.secret_hash == "")  # noqa: E712
    )
    return [TodoItem(N_("Workers without a PIN"), count, "worker_list")]
