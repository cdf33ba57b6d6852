"""Every refusal code and status the money flows can answer with is documented in docs/ (issue 11 point 8):
the codes are read from the code itself, so a new one cannot go undocumented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The domains whose refusals and statuses docs/vouchers.md, docs/wage_subsidies.md and docs/api.md list.
SOURCES = [
    *sorted((ROOT / "app" / "vouchers").glob("*.py")),
    *sorted((ROOT / "app" / "wage_subsidies").glob("*.py")),
    ROOT / "app" / "core" / "approvals.py",
    ROOT / "app" / "core" / "idempotency.py",
    ROOT / "app" / "core" / "csv_input.py",
]
DOCS = ["vouchers.md", "wage_subsidies.md", "api.md"]
RAISED = re.compile(r"\b(?:Conflict|ValidationFailed|Forbidden|Unauthenticated)\(\s*\"([a-z0-9_]+)\"")
ADDED = re.compile(r"problems\.(?:add|append)\(\s*(?:ErrorDetail\(\s*)?\"([a-z0-9_]+)\"")
ENUM_VALUE = re.compile(r"^[ ]+[A-Z_]+ = \"([a-z0-9_]+)\"$", re.MULTILINE)
SET_STATUS = re.compile(r"status = '([a-z_]+)'")


def _codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        text = path.read_text()
        for pattern in (RAISED, ADDED, ENUM_VALUE, SET_STATUS):
            for code in pattern.findall(text):
                found.setdefault(code, set()).add(path.relative_to(ROOT).as_posix())
    return found


def _documented() -> str:
    return "\n".join((ROOT / "docs" / name).read_text() for name in DOCS)


def test_every_refusal_code_and_status_is_in_the_docs():
    codes = _codes()
    assert {"voucher_closed", "already_approved_by_you", "selection_differs", "decision_already_used"} <= set(
        codes
    )
    text = _documented()
    missing = {code: sorted(where) for code, where in codes.items() if f"`{code}`" not in text}
    assert not missing, f"document these codes in docs/ ({', '.join(DOCS)}): {missing}"
