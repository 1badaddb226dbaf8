"""What check-in puts on people's to-do lists."""

from app.accounts.tables import Role, User
from app.checkin import devices
from app.i18n import N_
from app.todo import TodoItem, todo_provider


@todo_provider(Role.foreman, Role.supervisor, Role.manager, Role.admin)
async def phones_to_approve(user: User) -> list[TodoItem]:
    count = await devices.count_waiting(user)
    return [TodoItem(N_("Phones waiting for your approval"), count, "phone_approvals", urgent=True)]
