import pytest

from tests import factories
from tests.roster.sheets import CREW


@pytest.fixture
async def manager(db):
    return await factories.user("manager", name="王经理")


@pytest.fixture
async def site(manager):
    return await factories.site("一号工地", members=(manager,))


@pytest.fixture
async def crew(site):
    return await factories.crew(site, CREW, "钢筋工")
