"""Every action the code records has words for the staff (the audit log never shows a bare code)."""

import pathlib
import re

from parvis.core.models import ACTION_LABELS

SRC = pathlib.Path(__file__).resolve().parents[2]
CODE = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def test_every_recorded_action_has_a_label():
    actions = set()
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for line in path.read_text().splitlines():
            if "action=" in line or re.match(r'\s*"[a-z_]+":\s*\(\w+Form, "', line):
                actions |= set(CODE.findall(line))
    assert "checkin.device_create" in actions and "membership_program.create" in actions
    assert sorted(actions - set(ACTION_LABELS)) == []
