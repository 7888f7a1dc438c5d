"""Pattern files: a malformed one stops with the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract import patterns
from extract.patterns import PatternError, check_keys, compile_regex, load_yaml_file, words_alternation


@pytest.fixture()
def pattern_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(tmp_path))
    patterns.load.cache_clear()
    yield tmp_path
    patterns.load.cache_clear()


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("rules:\n  - id: a\n    words: [x, y\n", 4, "bad YAML"),
        ("rules:\n  - id: a\n  - id: b\n   words: 1\n", 4, "bad YAML"),
        ("a: 1\na: 2\n", 2, "appears twice"),
    ],
)
def test_bad_yaml_names_file_and_line(pattern_dir: Path, content: str, line: int, problem: str) -> None:
    path = pattern_dir / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternError) as err:
        load_yaml_file(path)
    assert err.value.path == str(path)
    assert err.value.line == line
    assert problem in str(err.value)
    assert str(path) in str(err.value)


def test_unknown_key_names_its_line(pattern_dir: Path) -> None:
    (pattern_dir / "rules.yaml").write_text("rules:\n  - id: a\n    wrods: [x]\n", encoding="utf-8")
    rule = patterns.load("rules")["rules"][0]
    with pytest.raises(PatternError, match=r"rules.yaml, line 3: unknown key 'wrods'"):
        check_keys(rule, "rules", required=["id"], optional=["words"], what="rule")


def test_missing_key_names_the_entry_line(pattern_dir: Path) -> None:
    (pattern_dir / "rules.yaml").write_text("rules:\n  - words: [x]\n", encoding="utf-8")
    rule = patterns.load("rules")["rules"][0]
    with pytest.raises(PatternError, match=r"line 2: rule lacks required key 'id'"):
        check_keys(rule, "rules", required=["id"], optional=["words"], what="rule")


def test_regex_that_does_not_compile(pattern_dir: Path) -> None:
    (pattern_dir / "rules.yaml").write_text("rules:\n  - id: a\n    regex: '(unclosed'\n", encoding="utf-8")
    rule = patterns.load("rules")["rules"][0]
    with pytest.raises(PatternError, match=r"rules.yaml, line 3: regex does not compile"):
        compile_regex(rule["regex"], "rules", rule, "regex")


def test_unreadable_or_non_utf8_file(pattern_dir: Path) -> None:
    path = pattern_dir / "latin.yaml"
    path.write_bytes("a: 'hoà'".encode("cp1258"))
    with pytest.raises(PatternError, match="not UTF-8"):
        load_yaml_file(path)
    with pytest.raises(PatternError, match="cannot read"):
        load_yaml_file(pattern_dir / "missing.yaml")


@pytest.mark.parametrize(
    ("words", "text", "found"),
    [
        (["CĐCS", "công đoàn cơ sở"], "thành lập 8 công đoàn cơ sở mới", ["công đoàn cơ sở"]),
        (["hộ"], "hỗ trợ 5 hộ; hội nghị", ["hộ"]),  # whole words only: not inside "hội"
        (["đoàn viên", "đoàn"], "kết nạp đoàn viên", ["đoàn viên"]),  # longest first
        ([], "anything", []),
    ],
)
def test_words_alternation(words: list[str], text: str, found: list[str]) -> None:
    import regex

    assert regex.findall(words_alternation(words), text) == found


def test_shipped_pattern_files_load() -> None:
    """Every file in patterns/ is valid YAML (each module checks its own keys when it loads)."""
    for path in sorted(patterns.patterns_dir().glob("*.yaml")):
        assert load_yaml_file(path) is not None, path
