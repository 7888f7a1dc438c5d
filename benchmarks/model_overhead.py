"""What the facts model adds to extraction time: `process_document` over the seed and dev articles
with the model and without it (VNFACTS_MODEL=off), in the same process, alternating runs.

    .venv/bin/python benchmarks/model_overhead.py            # 15 rounds
    .venv/bin/python benchmarks/model_overhead.py --rounds 30 --json overhead.json

CPU time of this process is measured, article by article, the two ways one right after the other; each
article counts with its fastest time over the rounds, so a burst of other work on the machine does not
decide the figure. The figure is the ratio of the totals; the target is at most 1.20 (the model adds no
more than 20%).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).absolute().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from extract import learn, pipeline, read  # noqa: E402

TARGET = 1.20
SEEDS = ROOT / "corpus" / "seeds"
DEV = ROOT.parent / "shared" / "corpus" / "dev"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    files = sorted(SEEDS.glob("*.txt")) + (sorted(DEV.glob("*.txt")) if DEV.is_dir() else [])
    docs = [doc for f in files for doc in read.read_path(str(f))]
    pipeline.warm_up()
    clock = time.process_time
    without = [float("inf")] * len(docs)
    with_model = [float("inf")] * len(docs)
    for _ in range(args.rounds):
        for i, doc in enumerate(docs):
            with learn.rules_only():
                t = clock()
                pipeline.process_document(doc)
                without[i] = min(without[i], clock() - t)
            t = clock()
            pipeline.process_document(doc)
            with_model[i] = min(with_model[i], clock() - t)
    a, b = sum(without), sum(with_model)
    ratio = b / a
    print(f"articles: {len(docs)}, rounds: {args.rounds}")
    print(f"process_document without the model: {a:.3f} s (sum over articles of the fastest round)")
    print(f"process_document with the model:    {b:.3f} s")
    print(f"ratio {ratio:.3f} (target <= {TARGET:.2f}): {'PASS' if ratio <= TARGET else 'FAIL'}")
    if args.json:
        data = {"articles": len(docs), "without": without, "with": with_model, "ratio": ratio, "target": TARGET}
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
