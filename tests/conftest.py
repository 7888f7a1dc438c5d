"""Shared fixtures: where the corpus and the gold live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = CORPUS / "seeds"
SHARED = ROOT.parent / "shared"
DEV = SHARED / "corpus" / "dev"
GOLD = SHARED / "gold"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_gold() -> list[dict]:
    return read_jsonl(CORPUS / "gold" / "seeds.jsonl")


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared corpus and gold beside the checkout (the dev articles are not shipped)."""
    if not (GOLD / "dev.jsonl").exists() or not DEV.is_dir():
        pytest.skip("../shared (dev corpus and gold) is not beside this checkout")
    return SHARED


def article_path(record: dict) -> Path:
    """The article a gold record names: seeds ship with the project, dev articles live in ../shared."""
    file = record["file"]
    local = ROOT / file
    return local if local.exists() else SHARED / file
