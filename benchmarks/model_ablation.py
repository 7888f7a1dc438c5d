"""What the facts model recovers when the rules miss: for each fact type, the rule facts of that type are
taken away from every gold article (as if no pattern had fired on them; the gold keeps them, as reviewers
would), and article-level cross-validation measures recall of that type with the rules alone and with
the model, and the precision over all types.

    .venv/bin/python benchmarks/model_ablation.py                    # seed and dev gold
    .venv/bin/python benchmarks/model_ablation.py --json ablation.json GOLD.jsonl …

The trigger words of patterns/facts.yaml stay features: this measures reading the context where the
rules' conditions failed, not learning a type from nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).absolute().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from extract import learn  # noqa: E402
from extract.evaluate import SCORED_TYPES  # noqa: E402

DEFAULT_GOLD = [ROOT / "corpus" / "gold" / "seeds.jsonl", ROOT.parent / "shared" / "gold" / "dev.jsonl"]


def without_type(articles: list[learn.GoldArticle], type_: str) -> list[learn.GoldArticle]:
    """The articles as if the rules had found no fact of `type_`."""
    out = []
    for a in articles:
        facts = [f for f in a.facts if f.type != type_]
        cands = learn.candidates(a.text, a.sentences, facts)
        labels, unaligned = learn.label_candidates(a.text, cands, a.record.get("facts") or [])
        out.append(replace(a, facts=facts, candidates=cands, labels=labels, unaligned=unaligned))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", nargs="*", type=Path, default=[p for p in DEFAULT_GOLD if p.is_file()])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    articles = learn.load_gold(args.gold)
    rows = []
    head = ("type taken from rules", "gold", "rules R", "+model R", "all P rules", "+model")
    print(f"{head[0]:22} {head[1]:>4}  {head[2]:>7} {head[3]:>8}  {head[4]:>11} {head[5]:>7}")
    for t in SCORED_TYPES:
        n = sum(1 for a in articles for g in a.record.get("facts") or [] if g.get("type") == t)
        if n < 2:
            continue
        cv = learn.cross_validate(without_type(articles, t), folds=args.folds)
        row = {
            "type": t,
            "gold": n,
            "rules_recall": cv.rules.facts[t].recall,
            "model_recall": cv.combined.facts[t].recall,
            "rules_precision_all": cv.rules.facts_total.precision,
            "model_precision_all": cv.combined.facts_total.precision,
            "added": cv.added,
            "added_right": cv.added_right,
        }
        rows.append(row)
        print(
            f"{t:22} {n:>4}  {row['rules_recall']:>7.3f} {row['model_recall']:>8.3f}  "
            f"{row['rules_precision_all']:>11.3f} {row['model_precision_all']:>7.3f}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
