"""The rule files in force (rules/*.yaml) and their compiled evaluators, loaded once and reloaded when a
file changes. Older versions come back from their stored text (see service.rule_for_version)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import NotFound
from app.core.settings import get_settings
from app.eligibility.evaluators import caseload_evaluator, single_evaluator
from app.eligibility.loader import load_rule_file, load_rule_text
from app.eligibility.model import Rule
from app.eligibility.typecheck import suggest


@dataclass
class Compiled:
    rule: Rule
    _single: Any = None  # CaseEvaluator, or HouseholdEvaluator for a rule about households
    _caseload: Any = None  # CaseloadEvaluator, or HouseholdCaseloadEvaluator

    @property
    def single(self) -> Any:
        if self._single is None:
            self._single = single_evaluator(self.rule)
        return self._single

    @property
    def caseload(self) -> Any:
        if self._caseload is None:
            self._caseload = caseload_evaluator(self.rule)
        return self._caseload


class Catalogue:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: tuple = ()
        self._current: dict[str, Compiled] = {}
        self._versions: dict[str, Compiled] = {}

    def _refresh(self) -> None:
        files = sorted(self.directory.glob("*.yaml"))
        stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        if stamp == self._stamp:
            return
        with self._lock:
            current: dict[str, Compiled] = {}
            for path in files:
                rule = load_rule_file(path)  # a broken file is an error for everyone: fix it, don't hide it
                compiled = self._versions.get(rule.version) or Compiled(rule)
                self._versions[rule.version] = compiled
                current[rule.id] = compiled
            self._current, self._stamp = current, stamp

    def programmes(self) -> list[Rule]:
        self._refresh()
        return [c.rule for c in self._current.values()]

    def current(self, programme: str) -> Compiled:
        self._refresh()
        compiled = self._current.get(programme)
        if compiled is None:
            hint = suggest(programme, self._current)
            raise NotFound("programme" + (f" ({hint})" if hint else ""), "programme")
        return compiled

    def version(self, version: str, source: str | None = None, file: str = "<stored>") -> Compiled | None:
        """A version by its hash: from the files in force, or rebuilt from its stored text."""
        self._refresh()
        compiled = self._versions.get(version)
        if compiled is None and source is not None:
            compiled = Compiled(load_rule_text(source, file))
            self._versions[version] = compiled
        return compiled


_catalogue: Catalogue | None = None


def catalogue() -> Catalogue:
    global _catalogue
    directory = get_settings().rules_dir
    if _catalogue is None or _catalogue.directory != directory:
        _catalogue = Catalogue(directory)
    return _catalogue
