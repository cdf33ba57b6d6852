"""Render a picture of each sheet of the budget workbook for docs/reports.md.

    .venv/bin/python docs/reports/pictures.py

Builds the report tests' small ledger and caseload in a scratch SQLite database, writes the workbook once
per sheet (that sheet alone visible), has LibreOffice print each to PDF (recalculated) and renders the
first page as a PNG next to this script. Needs the `docs` extra (pypdfium2, pillow).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
SHEETS = ("Summary", "By month", "Pooled fund", "Participants", "Ledger", "Notes")


async def build(tmp: Path) -> list[Path]:
    from app.bootstrap import init_database
    from app.reports.service import build_report
    from app.reports.workbook import write_workbook
    from tests.reports import world

    await init_database()
    await world.build_ledger()
    await world.build_caseload()
    report = await build_report(dt.date(2026, 11, 30))
    paths = []
    for sheet in SHEETS:
        path = tmp / f"{sheet.lower().replace(' ', '-')}.xlsx"
        write_workbook(report, path, only=sheet)
        paths.append(path)
    return paths


def _render(pdf: Path, png: Path) -> Path:
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1.3).to_pil()
    box = image.convert("L").point(lambda v: 255 if v < 250 else 0).getbbox()  # trim the white margins
    if box:
        image = image.crop((max(box[0] - 12, 0), max(box[1] - 12, 0), box[2] + 12, box[3] + 12))
    image.save(png, optimize=True)
    return png


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="grants-pictures-"))
    os.environ["GRANTS_DATABASE_URL"] = f"sqlite:///{tmp / 'pictures.sqlite'}"
    os.environ["GRANTS_SECRET_KEY"] = base64.urlsafe_b64encode(b"p" * 32).decode()
    os.environ["GRANTS_LEDGER_KEY"] = base64.urlsafe_b64encode(b"q" * 32).decode()
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    try:
        paths = asyncio.run(build(tmp))
        from tests.reports.recalc import make_profile, soffice

        profile = make_profile(tmp / "profile")
        subprocess.run(  # noqa: S603 (our own arguments)
            [
                soffice(),
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp),
                *map(str, paths),
            ],
            env={**os.environ, "HOME": str(profile)},
            check=True,
            capture_output=True,
        )
        for path in paths:
            print(_render(tmp / f"{path.stem}.pdf", HERE / f"{path.stem}.png"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
