"""Loading the declarative pattern files in `patterns/`.

Pattern files are YAML that a linguist edits. Every mapping loaded from them remembers the line it
starts on, so a mistake (bad YAML, an unknown key, a regex that does not compile) stops the program
with the file, the line and the problem, before any article is processed.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import regex
import yaml

PATTERNS_ENV = "VNFACTS_PATTERNS"


class PatternError(ValueError):
    """A pattern file is malformed. The message names the file, the line and the problem."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {problem}")


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping from YAML that knows the line it starts on (1-based) and each key's line."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):  # type: ignore[type-arg]
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise PatternError(loader.name, key_node.start_mark.line + 1, f"key {key!r} appears twice")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def patterns_dir() -> Path:
    """Where the pattern files live: $VNFACTS_PATTERNS, else next to the package or the checkout."""
    override = os.environ.get(PATTERNS_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "patterns", here.parent / "patterns"):
        if candidate.is_dir():
            return candidate
    raise PatternError(here / "patterns", None, "pattern folder not found")


def load_yaml_file(path: Path) -> Any:
    """Parse one YAML file, turning any syntax error into a PatternError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PatternError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PatternError(path, None, f"not UTF-8: {exc}") from exc
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except PatternError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PatternError(path, line, f"bad YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise PatternError(path, None, f"bad YAML: {exc}") from exc
    finally:
        loader.dispose()


@functools.cache
def load(name: str) -> Any:
    """Load `patterns/<name>.yaml` (cached for the life of the process)."""
    return load_yaml_file(patterns_dir() / f"{name}.yaml")


def path_of(name: str) -> Path:
    return patterns_dir() / f"{name}.yaml"


def line_of(node: Any, key: str | None = None) -> int | None:
    """The line a loaded mapping (or one of its keys) starts on, if known."""
    if isinstance(node, LineDict):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line or None
    if isinstance(node, LineList):
        return node.line or None
    return None


def check_keys(
    node: Any,
    name: str,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
    what: str = "entry",
) -> Mapping[str, Any]:
    """Check that `node` is a mapping with exactly the allowed keys; return it."""
    path = path_of(name)
    if not isinstance(node, Mapping):
        raise PatternError(path, line_of(node), f"{what} must be a mapping, got {type(node).__name__}")
    required = list(required)
    allowed = set(required) | set(optional)
    for key in node:
        if key not in allowed:
            raise PatternError(
                path,
                line_of(node, str(key)),
                f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})",
            )
    for key in required:
        if key not in node:
            raise PatternError(path, line_of(node), f"{what} lacks required key {key!r}")
    return node


def compile_regex(
    pattern: str, name: str, node: Any = None, key: str | None = None, flags: int = 0
) -> regex.Pattern[str]:
    """Compile a regex from a pattern file, naming the file and line if it does not compile."""
    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise PatternError(path_of(name), line_of(node, key), f"regex does not compile: {exc}: {pattern!r}") from exc
    except TypeError as exc:
        raise PatternError(path_of(name), line_of(node, key), f"regex must be a string, got {pattern!r}") from exc


def literal_alternation(words: Iterable[str], *, space: str | None = None, ignore_case: bool = False) -> str:
    """A regex matching any of `words` literally, the longest where several match, with no boundaries.

    Built as a trie (shared prefixes factored out), so the engine tries one branch per character
    instead of every word at every position: with a few hundred trigger words that is the
    difference between milliseconds and microseconds per sentence. `space`, if given, is the regex
    a space inside a word matches (e.g. r"\\s+"). With `ignore_case` the words are lower-cased for
    the trie, and the caller must compile with IGNORECASE.
    """
    trie: dict[str, Any] = {}
    for word in words:
        if not isinstance(word, str) or not word.strip():
            continue
        word = " ".join(word.split()) if space is not None else word.strip()
        if ignore_case:
            word = word.lower()
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return r"(?!x)x"

    def build(node: dict[str, Any]) -> str:
        branches = [
            (space if ch == " " and space is not None else regex.escape(ch)) + build(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A word ending here makes the rest optional; greedy, so the longest word wins.
        return f"(?:{body})?" if "" in node else body

    return "(?:" + build(trie) + ")"


def words_alternation(words: Iterable[str]) -> str:
    """A regex alternation matching any of `words` literally, longest first, on word boundaries."""
    return r"(?<!\w)" + literal_alternation(words) + r"(?!\w)"
