"""A malformed pattern file stops `vnfacts extract` before any article is read: exit 2, a message naming
the file, the line and the problem, and no output written.

Each case breaks one file of a copy of patterns/ (VNFACTS_PATTERNS points at it) in one way. The breaks
find their place by the file's shape (its first top-level key, first entry, first regex), not by its
words, so they keep working as the pattern files are edited. The runs are independent processes: they
are started together and the tests read their results.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from extract import patterns

from .conftest import ROOT, SEEDS

Break = Callable[[list[str]], tuple[int, str]]  # edits the lines in place; returns (1-based line, problem)


def _first(lines: list[str], pattern: str) -> int:
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            return i
    raise LookupError(pattern)


def bad_yaml(lines: list[str]) -> tuple[int, str]:
    i = _first(lines, r"^[a-z_]+:")
    lines.insert(i, "broken: key: value")
    return i + 1, "bad YAML"


def unknown_key(lines: list[str]) -> tuple[int, str]:
    """An unknown key inside the first entry (`- id: …`)."""
    i = _first(lines, r"^\s*- id: ")
    indent = len(lines[i]) - len(lines[i].lstrip()) + 2
    lines.insert(i + 1, " " * indent + "colour: red")
    return i + 2, "unknown key 'colour'"


def unknown_top_key(lines: list[str]) -> tuple[int, str]:
    i = _first(lines, r"^[a-z_]+:")
    lines.insert(i, "colour: red")
    return i + 1, "unknown key 'colour'"


def bad_regex(lines: list[str]) -> tuple[int, str]:
    i = _first(lines, r"\bregex: ['\"]")
    lines[i] = re.sub(r"regex: (['\"]).*?(?<!\\)\1", "regex: '(?P<x>unclosed'", lines[i], count=1)
    return i + 1, "regex does not compile"


def replace_value(key: str, value: str, problem: str) -> Break:
    """The value of the first `key:` line replaced by `value`."""

    def edit(lines: list[str]) -> tuple[int, str]:
        i = _first(lines, rf"^\s*(?:- )?{key}: ")
        lines[i] = re.sub(rf"({key}: ).*", lambda m: m.group(1) + value, lines[i], count=1)
        return i + 1, problem

    return edit


def bad_code_point(lines: list[str]) -> tuple[int, str]:
    i = _first(lines, r"^\s*chars: \[U\+")
    lines[i] = lines[i].replace("[U+", "[U+ZZZZ, U+", 1)
    return i + 1, "bad code point"


CASES: list[tuple[str, Break]] = [
    ("facts", bad_yaml),
    ("facts", unknown_key),
    ("facts", bad_regex),
    ("citations", bad_yaml),
    ("citations", unknown_key),
    ("citations", bad_regex),
    ("doc_types", bad_yaml),
    ("doc_types", unknown_key),
    ("furniture", bad_yaml),
    ("furniture", unknown_key),
    ("furniture", bad_regex),
    ("furniture", replace_value("max_chars", "many", "must be a whole number")),
    ("numbers", bad_yaml),
    ("numbers", unknown_key),
    ("numbers", replace_value("value", "lots", "must be a number")),
    ("provinces", bad_yaml),
    ("provinces", unknown_key),
    ("provinces", replace_value("merger_date", "someday", "must be a date")),
    ("normalise", bad_yaml),
    ("normalise", unknown_key),
    ("normalise", bad_code_point),
    ("dates", bad_yaml),
    ("dates", unknown_key),
    ("dates", bad_regex),
    ("dates", replace_value("min_year", "early", "must be a whole number")),
    ("issuers", unknown_key),
    ("registry", unknown_key),
    ("abbreviations", unknown_top_key),
]


def case_id(case: tuple[str, Break]) -> str:
    name, edit = case
    return f"{name}-{getattr(edit, '__name__', 'value')}"


@dataclass
class Outcome:
    file: Path
    line: int
    problem: str
    out: Path
    returncode: int
    message: str  # stderr with its line wrapping undone


def _start(folder: Path, name: str | None, edit: Break | None) -> tuple[subprocess.Popen, Path, int, str]:
    copy = folder / "patterns"
    shutil.copytree(patterns.patterns_dir(), copy)
    line, problem = 0, ""
    if name is not None and edit is not None:
        path = copy / f"{name}.yaml"
        lines = path.read_text(encoding="utf-8").split("\n")
        line, problem = edit(lines)
        path.write_text("\n".join(lines), encoding="utf-8")
    out = folder / "out"
    env = {**os.environ, patterns.PATTERNS_ENV: str(copy), "COLUMNS": "1000"}  # no wrapped paths
    proc = subprocess.Popen(
        [sys.executable, "-m", "extract.cli", "extract", str(SEEDS), "-o", str(out), "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return proc, out, line, problem


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case run at once (a few processes at a time); the unbroken copy too, as "valid"."""
    root = tmp_path_factory.mktemp("broken-patterns")
    todo = [("valid", None, None)] + [(case_id(c), *c) for c in CASES]
    results: dict[str, Outcome] = {}
    running: list[tuple[str, subprocess.Popen, Path, Path, int, str]] = []
    while todo or running:
        while todo and len(running) < 4:
            key, name, edit = todo.pop(0)
            proc, out, line, problem = _start(root / key, name, edit)
            running.append((key, proc, root / key / "patterns" / f"{name}.yaml", out, line, problem))
        key, proc, file, out, line, problem = running.pop(0)
        _, stderr = proc.communicate(timeout=300)
        results[key] = Outcome(file, line, problem, out, proc.returncode, " ".join(stderr.split()))
    return results


def test_the_unbroken_copy_runs(outcomes: dict[str, Outcome]) -> None:
    valid = outcomes["valid"]
    assert valid.returncode == 0, valid.message
    assert (valid.out / "articles.parquet").exists()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_broken_file_stops_the_run_with_file_line_and_problem(
    outcomes: dict[str, Outcome], case: tuple[str, Break]
) -> None:
    got = outcomes[case_id(case)]
    assert got.returncode == 2, got.message
    assert f"{got.file}, line {got.line}:" in got.message, got.message
    assert got.problem in got.message, got.message
    # stopped before any article: not even the output folder was made
    assert not got.out.exists()
