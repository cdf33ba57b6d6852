"""Reading a rule file's YAML while remembering where every value sits (line, column, scalar style),
so that any problem found later can be reported at its place in the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[Any, ...]  # keys and indexes from the document root to a value


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based
    style: str | None = None  # YAML scalar style: None (plain), "'", '"', "|", ">"


@dataclass(frozen=True)
class RuleError:
    """One problem in a rule file, at a place; collected and reported together."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}:{self.column}: {self.message}{hint}"


class Document:
    """The parsed YAML as plain Python values plus the mark of every value by its path."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.lines = text.splitlines()
        self.marks: dict[Path, Mark] = {}
        self._merged: dict[int, int] = {}  # mapping node → how many of its entries came from merge keys
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            self.data = self._convert(loader, node, ()) if node is not None else None
        finally:
            loader.dispose()

    def _convert(self, loader: yaml.SafeLoader, node: yaml.Node, path: Path) -> Any:
        self.marks[path] = Mark(
            node.start_mark.line + 1, node.start_mark.column + 1, getattr(node, "style", None)
        )
        if isinstance(node, yaml.MappingNode):
            if id(node) not in self._merged:  # an alias brings the same node again, flattened already
                explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
                loader.flatten_mapping(node)  # YAML merge keys (<<: *defaults) for shared test inputs
                self._merged[id(node)] = len(node.value) - explicit
            result: dict[Any, Any] = {}
            merged = self._merged[id(node)]  # the first entries came from merge keys
            written: set[Any] = set()
            for index, (key_node, value_node) in enumerate(node.value):
                key = loader.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    key = str(key)
                if index >= merged:  # a key written here overrides one merged in, once
                    if key in written:
                        raise yaml.MarkedYAMLError(
                            problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                        )
                    written.add(key)
                # entries merged in: a later one overrides an earlier, as PyYAML's own constructor does
                result[key] = self._convert(loader, value_node, (*path, key))
                self.marks[(*path, key, "<key>")] = Mark(
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(loader, child, (*path, i)) for i, child in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    def mark(self, path: Path) -> Mark:
        """The mark of a path, or of its nearest ancestor that has one."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, Mark(1, 1))

    def error(self, path: Path, message: str, hint: str = "") -> RuleError:
        mark = self.mark(path)
        return RuleError(self.file, mark.line, mark.column, message, hint)

    def key_error(self, path: Path, message: str, hint: str = "") -> RuleError:
        """An error about a mapping key itself (e.g. a misspelt field name)."""
        mark = self.marks.get((*path, "<key>")) or self.mark(path)
        return RuleError(self.file, mark.line, mark.column, message, hint)

    def expression_error(self, path: Path, offset: int, message: str, hint: str = "") -> RuleError:
        """An error at an offset inside an expression string, mapped back to the file's line and column."""
        mark = self.mark(path)
        line, column = mark.line, mark.column
        value = self._string_at(path)
        if mark.style in ("'", '"'):
            column += 1 + offset
        elif mark.style == "|" and value is not None:
            before = value[:offset]
            row = before.count("\n")
            line = mark.line + 1 + row
            source = self.lines[line - 1] if line - 1 < len(self.lines) else ""
            indent = len(source) - len(source.lstrip())
            column = indent + 1 + len(before) - (before.rfind("\n") + 1)
        elif mark.style is None and value is not None and "\n" not in value:
            column += offset
        return RuleError(self.file, line, column, message, hint)

    def _string_at(self, path: Path) -> str | None:
        node: Any = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node if isinstance(node, str) else None


def parse_document(text: str, file: str) -> tuple[Document | None, list[RuleError]]:
    try:
        return Document(text, file), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        hint = ""
        if "mapping values are not allowed" in str(exc.problem):
            hint = "an expression with ': ' in it, like sum(children: …), is written in quotes or after |"
        return None, [RuleError(file, line, column, f"not valid YAML: {exc.problem}", hint)]
    except yaml.YAMLError as exc:
        return None, [RuleError(file, 1, 1, f"not valid YAML: {exc}")]
