"""The notebooks run headless from a fresh checkout (nbclient, kernel "python3") against the seed
articles, so they cannot silently rot; they are stored without outputs."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

from extract import review

from .outputs import ROOT, missing_stages, real_run, seed_gold_output

NOTEBOOKS = ROOT / "notebooks"
NAMES = ("review_facts", "report")


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    # the first code cell says where the output folder comes from
    assert "OUT = None" in code[0].source and "ensure_output" in code[0].source


def execute(name: str, out: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Run a notebook with VNFACTS_OUT=out; returns every output of every code cell."""
    monkeypatch.setenv("VNFACTS_OUT", str(out))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _texts(outputs: list[dict]) -> str:
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        for mime in ("text/plain", "text/html"):
            value = o.get("data", {}).get(mime)
            if value:
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


@pytest.fixture(params=["gold", "real"])
def output(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder of the seed articles: their gold facts, or a real `vnfacts extract` run."""
    if request.param == "gold":
        return seed_gold_output(tmp_path / "out")
    return real_run(tmp_path_factory, ROOT / "corpus" / "seeds")


def test_review_notebook(output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = execute("review_facts", output, tmp_path, monkeypatch)
    text = _texts(outputs)
    n_facts = len(review.facts_for_review(output))
    assert f"{n_facts} facts" in text
    if n_facts:
        assert 'class="vf-card"' in text and "★" in text  # facts shown highlighted
    assert "0 verdicts recorded" in text  # the headless verdict cell ran (with nothing to record)
    assert (output / "gold.jsonl").exists()  # the export cell ran
    assert not review.review_path(output).exists()  # running the notebook records no verdict by itself


def test_report_notebook(output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = execute("report", output, tmp_path, monkeypatch)
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 6
    assert (output / "report" / "report.xlsx").exists() and (output / "report" / "report.duckdb").exists()
    text = _texts(outputs)
    assert "exact_total" in text and "approximate_total" in text and "by_type" in text


def test_default_output_is_extracted_from_the_seed_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no folder given, a notebook extracts corpus/seeds into one the first time, then reuses it."""
    missing = missing_stages()
    if missing:
        pytest.skip(f"the extraction stages are not all in this checkout yet (missing: {', '.join(missing)})")
    monkeypatch.delenv("VNFACTS_OUT", raising=False)
    out = review.ensure_output(tmp_path / "seeds-out")
    assert (out / "facts.parquet").exists() and (out / "articles.parquet").exists()
    n_articles = len(review._table(out, "articles"))
    assert n_articles == len(list((ROOT / "corpus" / "seeds").glob("*.txt")))
    stamp = (out / "articles.parquet").stat().st_mtime_ns
    monkeypatch.setenv("VNFACTS_OUT", str(out))
    assert review.ensure_output() == out and (out / "articles.parquet").stat().st_mtime_ns == stamp
