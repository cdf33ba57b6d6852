"""Recalculating a workbook with LibreOffice headless, as a spreadsheet user's program would.

LibreOffice does not recalculate on a plain conversion; a profile of its own with the load-time
recalculation switched on ("always") does. The converted copy is read for values; the original is shipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

_RECALC_ITEMS = "".join(
    f'<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="{name}" oor:op="fuse">'
    "<value>0</value></prop></item>"
    for name in ("OOXMLRecalcMode", "ODFRecalcMode")
)


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.fail("LibreOffice (soffice) is missing: `make test` installs libreoffice-calc-nogui")
    return found


def make_profile(home: Path) -> Path:
    """A LibreOffice user profile under `home` that recalculates every workbook it opens."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home)}
    subprocess.run(  # noqa: S603 (our own arguments)
        [soffice(), "--headless", "--norestore", "--terminate_after_init"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    registry = home / ".config/libreoffice/4/user/registrymodifications.xcu"
    text = registry.read_text()
    if "OOXMLRecalcMode" not in text:
        registry.write_text(text.replace("</oor:items>", _RECALC_ITEMS + "</oor:items>"))
    return home


def recalculate(workbooks: list[Path], profile: Path, out_dir: Path) -> list[Path]:
    """Recalculated copies of the workbooks (one LibreOffice start for all of them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(profile)}
    subprocess.run(  # noqa: S603 (our own arguments)
        [
            soffice(),
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out_dir),
            *map(str, workbooks),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [out_dir / workbook.name for workbook in workbooks]
