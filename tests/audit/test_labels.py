"""Every action the code records has a label in the audit browser."""

from __future__ import annotations

import re
from pathlib import Path

from app.audit.services import ACTION_LABELS, RECORD_LABELS

APP = Path(__file__).resolve().parents[2] / "app"
ACTION = re.compile(r'"((?:user|site|area|crew|subcontractor|worker|roster|demo_data|sign_in)\.[a-z_]+)"')


def test_every_recorded_action_and_record_type_has_a_label():
    source = "\n".join(path.read_text() for path in APP.rglob("*.py") if path.name != "services.py"
                       or path.parent.name != "audit")
    actions = set(ACTION.findall(source))
    record_types = set(re.findall(r'record_type="([a-z_]+)"', source))
    assert "area.deactivate" in actions and "worker" in record_types
    assert actions - set(ACTION_LABELS) == set()
    assert record_types - set(RECORD_LABELS) == set()
