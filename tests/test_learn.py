"""The facts model: candidates and their features, labels from gold, training, article-level
cross-validation, calibration, model files and `vnfacts train`."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import joblib
import numpy as np
import pytest
from typer.testing import CliRunner

from extract import facts as facts_stage
from extract import learn, pipeline, segment
from extract.evaluate import evaluate_records, print_report

from .conftest import CORPUS, GOLD, ROOT


def candidates_of(text: str, *, rules: bool = True) -> list[learn.Candidate]:
    sentences = segment.split_sentences(text)
    found = facts_stage.extract_facts(text, sentences) if rules else []
    return learn.candidates(text, sentences, found)


def candidate(text: str, raw: str) -> learn.Candidate:
    found = [c for c in candidates_of(text) if c.mention.raw == raw]
    assert found, f"{raw!r} is not a candidate of {text!r}"
    return found[0]


@pytest.fixture(autouse=True)
def _shipped_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with the shipped model, whatever the environment says."""
    monkeypatch.delenv(learn.MODEL_ENV, raising=False)


# --------------------------------------------------------------------------------------------
# Candidates and features


@pytest.mark.parametrize(
    ("text", "raw", "present", "absent"),
    [
        (
            "Năm qua, Công đoàn tỉnh đã kết nạp 1.234 đoàn viên mới.",
            "1.234",
            ["unit=count", "qual=exact", "L1=nạp", "L2=kết", "R1=đoàn", "Rb=đoàn_viên", "noun_class=member",
             "noun_type=members_recruited", "trig=kết nạp", "trig_type=members_recruited", "rule=members_recruited"],
            ["unit=VND", "yearlike"],
        ),
        (
            "Công đoàn đã trao 500 suất quà, tổng trị giá trên 1,6 tỷ đồng cho công nhân.",
            "trên 1,6 tỷ đồng",
            ["unit=VND", "qual=over", "mag=9", "cue_word=tổng trị giá", "cue_flow=disbursed", "rule=money"],
            ["unit=count", "noun_class=gift"],
        ),
        (
            "Dịp này, công đoàn trao 500 suất quà cho công nhân.",
            "500",
            ["noun_class=gift", "noun=suất quà", "rule=gifts", "sent=<=0"],
            ["rule=money"],
        ),
        (
            "Hội nghị có gần 1.000 công nhân lao động dự, chiếm 70% số lao động của khu công nghiệp.",
            "70%",
            ["unit=%"],
            ["unit=count", "noun_class=worker"],
        ),
        (
            "Công đoàn cơ sở được thành lập với 32 đoàn viên.",
            "32",
            ["noun_class=member", "Lw=với"],
            ["rule=members_recruited", "rule=unions_established"],
        ),
        (
            "Từ năm 2019 đến nay đã có 15 công đoàn cơ sở được thành lập mới.",
            "15",
            ["noun_class=union", "after_type=unions_established"],
            ["datelike"],
        ),
    ],
)  # fmt: skip
def test_candidate_features(text: str, raw: str, present: list[str], absent: list[str]) -> None:
    features = candidate(text, raw).features
    for name in present:
        assert name in features, (name, sorted(features))
    for name in absent:
        assert name not in features, name


@pytest.mark.parametrize(
    ("text", "raws"),
    [
        # a sentence with a rule fact: all its numbers are candidates
        ("Đã kết nạp 120 đoàn viên, đạt 110% kế hoạch năm 2022.", ["120", "110%"]),
        # a count of something the patterns name, without a rule: a candidate
        ("Công đoàn cơ sở được thành lập với 32 đoàn viên.", ["32"]),
        # money without a cue: a candidate
        ("Mỗi căn hộ có giá 100 triệu đồng.", ["100 triệu đồng"]),
        # only dates, shares and ordinals: none
        ("Ngày 20/5/2021, tỷ lệ đạt 70%, lần thứ 3.", []),
        ("", []),
    ],
)
def test_which_numbers_are_candidates(text: str, raws: list[str]) -> None:
    assert [c.mention.raw for c in candidates_of(text)] == raws


# texts whose stretches read alone (sealed by a full stop, or far from any number) and texts whose do
# not (a qualifier on the line before, "trở lên" past a cut, a number near the edge): with the numbers
# of the whole text or without, the same candidates and the same facts
WHOLE_TEXT_CASES = [
    "Năm qua, Công đoàn tỉnh đã kết nạp 1.234 đoàn viên mới. Dịp Tết, công đoàn trao 500 suất quà cho công nhân.",
    "Trao tặng gần\n\n500 suất quà cho công nhân có hoàn cảnh khó khăn.",
    "Chi sai quy định hơn\n\n849 triệu đồng, hóa đơn không hợp lệ hơn 402 triệu đồng.",
    "Phấn đấu kết nạp mới 400 đoàn viên trở\nlên; giới thiệu cho Đảng 450 đoàn viên công đoàn ưu tú.",
    "Hỗ trợ 23 phần quà Tết cho đoàn viên, mỗi phần quà trị giá 700.000 đồng; ngoài ra các trường hợp "
    "đặc biệt khó khăn được hỗ trợ thêm từ 1 đến 2 triệu đồng/người, tổng kinh phí hơn 1,2 tỷ đồng.",
    "Sau 3 tháng thi công, ngôi nhà hoàn thành với tổng kinh phí hơn 260 triệu đồng. Gọi 0912 345 678 0912 345 "
    "678 để biết thêm, 10 000 đồng, hai mươi lăm nghìn đồng, 1-2-3-4-5-6 người.",
    "Sắp có 10.000 căn hộ giá 100-200 triệu\nđồng cho công nhân",
]


@pytest.mark.parametrize("text", WHOLE_TEXT_CASES)
def test_numbers_of_the_whole_text_give_the_same_candidates(text: str) -> None:
    from extract import numbers

    sentences = segment.split_sentences(text)
    found = facts_stage.extract_facts(text, sentences)
    mentions = numbers.find_numbers(text)
    for scored_only in (False, True):
        alone = learn.candidates(text, sentences, found, scored_only=scored_only)
        assert alone == learn.candidates(text, sentences, found, scored_only=scored_only, mentions=mentions)
    assert learn.apply(text, sentences, [replace(f) for f in found]) == learn.apply(
        text, sentences, [replace(f) for f in found], mentions=mentions
    )


@pytest.mark.parametrize(
    ("text", "a", "b", "alone"),
    [
        ("Ông Ba nói. 5 người được tặng quà.", 12, 34, True),  # a full stop and a space before it
        ("Trao tặng gần\n\n500 suất quà.", 15, 28, False),  # the line before may qualify the number
        ("Trao tặng gần\n\n500 suất quà.", 0, 13, False),  # and the number past the cut reads that line
        ("Công đoàn tỉnh trao quà cho công nhân nghèo ở các xã vùng sâu 500 suất quà.", 5, 75, True),  # 41 away
        ("Công đoàn tỉnh trao quà 500 suất quà cho công nhân nghèo ở các xã vùng sâu.", 5, 75, False),
    ],
)  # fmt: skip
def test_when_a_stretch_reads_alone(text: str, a: int, b: int, alone: bool) -> None:
    from extract import numbers

    whole = learn._WholeText(text, numbers.find_numbers(text), numbers.grammar())
    assert whole.reads_alone(a, b) is alone


def _counts_something_step_by_step(text: str, end: int, limit: int) -> bool:
    """`_counts_something` asked of each regex in turn: scale, currency, then `_noun_after`."""
    from extract import numbers

    grammar = numbers.grammar()
    if grammar.scale.match(text, end, limit) or grammar.currency.match(text, end, limit):
        return True
    cls, _, _, measured = learn._noun_after(learn._rules(), text, end, limit)
    return cls is not None or measured


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("5 tỷ đồng", True),  # a scale word
        ("500 đồng", True),  # a currency
        ("500 VND", True),
        ("500 đ.", True),
        ("30 lượt người", True),  # a measure word
        ("30 lượt", False),  # ... followed by nothing
        ("25 đoàn viên", True),  # a counted noun
        ("25 ĐOÀN VIÊN", True),  # in any case
        ("25  “đoàn viên”", True),  # after spaces and a quote
        ("25 “ “đoàn viên", False),  # only one quote is skipped
        ("12 CĐCS", True),  # an abbreviation, as written
        ("12 cđcs", False),
        ("12 CĐCSX", False),  # part of a longer word
        ("5 ngày", False),
        ("5 tỷ lệ", False),  # not a scale word there
        ("5", False),
    ],
)
def test_what_counts_something_one_regex_as_each_in_turn(text: str, counts: bool) -> None:
    from extract import numbers

    end = len(text) - len(text.lstrip("0123456789"))
    assert learn._counts_something(learn._rules(), numbers.grammar(), text, end, len(text)) is counts
    for limit in range(end, len(text) + 1):  # a limit anywhere: the same answer as each regex in turn
        one = learn._counts_something(learn._rules(), numbers.grammar(), text, end, limit)
        assert one is _counts_something_step_by_step(text, end, limit)


def test_rule_fact_is_mapped_to_its_own_number() -> None:
    # both numbers are 40; the gift fact's number is the one before "phần quà"
    text = "LĐLĐ tỉnh trao tặng tượng trưng 40 vé xe và 40 phần quà cho công nhân."
    cands = candidates_of(text)
    gifts = [c for c in cands if c.rule is not None and c.rule.type == "gifts"]
    assert len(gifts) == 1
    assert text[gifts[0].mention.end :].startswith(" phần quà")


def test_pair_features_share_agreement_across_types() -> None:
    features = {"bias": 1.0, "unit=count": 1.0, "trig_type=gifts": 1.0, "rule=gifts": 1.0, "noun_type=gifts": 1.0}
    gifts = learn.pair_features(features, "gifts")
    money = learn.pair_features(features, "money")
    assert {"agree:trig_type", "agree:rule", "agree:noun_type", "agree:unit", "gifts|trig_type=gifts"} <= set(gifts)
    assert not any(k.startswith("agree:") for k in money)
    assert "bias" in gifts and "bias" in money
    assert learn.without_rules(features) == {"bias": 1.0, "unit=count": 1.0, "trig_type=gifts": 1.0,
                                             "noun_type=gifts": 1.0}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Labels


@pytest.mark.parametrize(
    ("text", "gold", "expected"),
    [
        # the quote contains the number: its type
        (
            "Công đoàn trao 500 suất quà. Có 500 công nhân dự hội nghị.",
            [{"type": "gifts", "value": 500, "quote": "trao 500 suất quà"}],
            {"500": ["gifts", learn.NONE]},
        ),
        # a repeat with the same counted noun (headline, lead) takes the same type
        (
            "Trao 1.553 suất quà Tết cho công nhân.\nDịp Tết, công đoàn đã trao tặng 1.553 suất quà Tết.",
            [{"type": "gifts", "value": 1553, "quote": "trao tặng 1.553 suất quà Tết"}],
            {"1.553": ["gifts", "gifts"]},
        ),
        # the same value counting another kind of thing is no fact (quotes match whatever the case)
        (
            "Thành lập được 08 CĐCS trong năm.\nCó 8 đoàn viên được khen thưởng.",
            [{"type": "unions_established", "value": 8, "quote": "thành lập được 08 CĐCS"}],
            {"08": ["unions_established"], "8": [learn.NONE]},
        ),
        # ... and where the repeat counts nothing the patterns name, it is left out of training (None)
        (
            "Công đoàn trao 45 suất quà cho công nhân.\nChương trình có 45 tiết mục do 300 công nhân biểu diễn.",
            [{"type": "gifts", "value": 45, "quote": "trao 45 suất quà"}],
            {"45": ["gifts", None]},
        ),
        # no gold fact: every number is none
        ("Công đoàn cơ sở được thành lập với 32 đoàn viên.", [], {"32": [learn.NONE]}),
    ],
)
def test_labels(text: str, gold: list[dict], expected: dict[str, list]) -> None:
    cands = candidates_of(text)
    labels, unaligned = learn.label_candidates(text, cands, gold)
    got: dict[str, list] = {}
    for c, label in zip(cands, labels, strict=True):
        got.setdefault(c.mention.raw, []).append(label)
    assert {raw: got.get(raw) for raw in expected} == expected
    assert unaligned == []


def test_gold_fact_whose_quote_is_not_in_the_text_is_reported() -> None:
    text = "Công đoàn trao 500 suất quà."
    cands = candidates_of(text)
    labels, unaligned = learn.label_candidates(text, cands, [{"type": "gifts", "value": 500, "quote": "không có"}])
    assert labels == ["gifts"]  # the value is written once: it is that number
    assert [g["value"] for g in unaligned] == [500]


# --------------------------------------------------------------------------------------------
# Training on a tiny synthetic gold (as reviewers would make it)

PLACES = [
    "huyện An Lão", "thành phố Vinh", "tỉnh Lào Cai", "quận 7", "huyện Mê Linh", "ngành Giáo dục",
    "tỉnh Đồng Nai", "huyện Cát Hải", "thị xã Sơn Tây", "tỉnh Bình Dương", "huyện Đông Anh", "tỉnh Sơn La",
]  # fmt: skip


def synthetic_article(rng: random.Random, place: str) -> tuple[str, list[dict]]:
    """An article with a recruitment phrased in a way the patterns lack ("bổ sung … đoàn viên mới", which
    a reviewer added), gifts the rules find, and numbers that are no facts."""
    n, g, m, k = rng.randint(20, 900), rng.randint(50, 2000), rng.randint(10, 60), rng.randint(40, 300)
    text = (
        f"Công đoàn {place} tổng kết năm\n"
        f"Năm qua, Công đoàn {place} đã bổ sung {n} đoàn viên mới cho tổ chức công đoàn.\n"
        f"Dịp Tết, công đoàn trao {g} suất quà cho công nhân có hoàn cảnh khó khăn.\n"
        f"Một công đoàn cơ sở được thành lập với {m} đoàn viên.\n"
        f"Hội nghị tổng kết có {k} đại biểu tham dự.\n"
    )
    gold = [
        {"type": "members_recruited", "value": n, "quote": f"bổ sung {n} đoàn viên mới"},
        {"type": "gifts", "value": g, "quote": f"trao {g} suất quà"},
    ]
    return text, gold


@pytest.fixture(scope="module")
def synthetic_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    (folder / "articles").mkdir()
    rng = random.Random(7)
    lines = []
    for i, place in enumerate(PLACES):
        text, gold = synthetic_article(rng, place)
        (folder / "articles" / f"a{i:02d}.txt").write_text(text, encoding="utf-8")
        lines.append(json.dumps({"file": f"articles/a{i:02d}.txt", "facts": gold}, ensure_ascii=False))
    path = folder / "reviews.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def synthetic_model(synthetic_gold: Path) -> learn.FactModel:
    return learn.fit(learn.load_gold([synthetic_gold]), folds=4)


def test_training_on_synthetic_gold(synthetic_gold: Path, synthetic_model: learn.FactModel) -> None:
    articles = learn.load_gold([synthetic_gold])
    assert len(articles) == len(PLACES)
    labels = [lab for a in articles for lab in a.labels]
    assert labels.count("members_recruited") == len(PLACES)
    assert labels.count("gifts") == len(PLACES)
    assert synthetic_model.meta["version"] == learn.MODEL_VERSION
    assert synthetic_model.meta["training"]["articles"] == len(PLACES)
    assert 0.5 <= synthetic_model.threshold <= 1.01


@pytest.mark.parametrize(
    ("text", "type_", "value"),
    [
        ("Trong đợt ra quân, Công đoàn quận Hoàn Kiếm đã bổ sung 57 đoàn viên mới cho tổ chức.",
         "members_recruited", 57),
        ("Sau 6 tháng, công đoàn các khu công nghiệp bổ sung thêm 1.205 đoàn viên mới.", "members_recruited", 1205),
    ],
)  # fmt: skip
def test_model_adds_a_fact_the_rules_miss(
    synthetic_model: learn.FactModel, text: str, type_: str, value: float
) -> None:
    sentences = segment.split_sentences(text)
    rule_facts = facts_stage.extract_facts(text, sentences)
    assert not any(f.type == type_ and f.value == value for f in rule_facts)  # the patterns miss it
    out = learn.apply(text, sentences, list(rule_facts), synthetic_model)
    added = [f for f in out if f.pattern == learn.MODEL_PATTERN]
    assert [(f.type, f.value) for f in added] == [(type_, value)]
    fact = added[0]
    assert fact.quote == text[fact.start : fact.end] and fact.quote.endswith("đoàn viên mới")
    assert fact.unit == "person" and fact.qualifier == "exact" and fact.status == "achieved" and fact.period is None
    assert fact.sentence and fact.flow is None and 0.0 < fact.confidence <= 0.999


@pytest.mark.parametrize(
    "text",
    [
        "Một công đoàn cơ sở mới được thành lập với 25 đoàn viên.",
        "Hội nghị có 150 đại biểu tham dự.",
        "Tỷ lệ đoàn viên mới đạt 95%.",
    ],
)
def test_model_adds_nothing_where_the_gold_says_no_fact(synthetic_model: learn.FactModel, text: str) -> None:
    sentences = segment.split_sentences(text)
    out = learn.apply(text, sentences, facts_stage.extract_facts(text, sentences), synthetic_model)
    assert [f for f in out if f.pattern == learn.MODEL_PATTERN] == []


def test_fast_scoring_equals_the_pipeline(synthetic_gold: Path, synthetic_model: learn.FactModel) -> None:
    rows = [c.features for a in learn.load_gold([synthetic_gold]) for c in a.candidates]
    assert np.allclose(synthetic_model.raw(rows), synthetic_model.raw_pipeline(rows), atol=1e-9)


def _raw_by_rows(model: learn.FactModel, feature_rows: list[dict[str, float]]) -> np.ndarray:
    """`raw` the plain way: each candidate's known features gathered, summed and put through the logistic."""
    rows, table, intercept = model._weights()
    idx: list[int] = []
    vals: list[float] = []
    bounds = [0]
    for features in feature_rows:
        for name, v in features.items():
            if name in rows:
                idx.append(rows[name])
                vals.append(v)
        bounds.append(len(idx))
    z = np.full((len(feature_rows), len(model.types)), intercept)
    if idx:
        weighted = table[idx] * np.asarray(vals)[:, None]
        has = np.diff(bounds) > 0
        z[has] += np.add.reduceat(weighted, np.asarray(bounds[:-1])[has], axis=0)
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raw_scores_are_the_same_to_the_bit(seed: int) -> None:
    # real feature names, unknown ones, values other than 1, candidates without features or known ones
    model = learn.active_model()
    assert model is not None
    names = list(model._weights()[0])
    rng = random.Random(seed)
    for _ in range(200):
        batch: list[dict[str, float]] = []
        for _ in range(rng.randint(1, 8)):
            kind = rng.random()
            if kind < 0.05:
                batch.append({})
            elif kind < 0.1:
                batch.append({f"unknown{i}": rng.random() for i in range(3)})
            else:
                batch.append({
                    (rng.choice(names) if rng.random() < 0.9 else f"unknown{rng.randrange(99)}"):
                        (1.0 if rng.random() < 0.9 else rng.uniform(0, 3))
                    for _ in range(rng.randint(1, 60))
                })  # fmt: skip
        assert model.raw(batch).tobytes() == _raw_by_rows(model, batch).tobytes()


# --------------------------------------------------------------------------------------------
# Cross-validation by article


@pytest.mark.parametrize(("n", "folds"), [(44, 5), (5, 5), (3, 5), (12, 4)])
def test_article_folds_never_leak(n: int, folds: int) -> None:
    splits = learn.article_folds(n, folds)
    assert len(splits) == min(folds, n)
    tested: list[int] = []
    for train, test in splits:
        assert not set(train) & set(test)
        assert sorted(train + test) == list(range(n))
        tested += test
    assert sorted(tested) == list(range(n))  # each article is held out exactly once


def test_cross_validation_holds_out_whole_articles(synthetic_gold: Path) -> None:
    articles = learn.load_gold([synthetic_gold])
    cv = learn.cross_validate(articles, folds=3)
    for train, test in cv.folds:
        assert not {articles[i].path for i in train} & {articles[i].path for i in test}
    held_out = {p.article for p in cv.pairs}
    assert held_out == set(range(len(articles)))
    # the rules alone miss every "bổ sung" recruitment; the model finds them on held-out articles
    assert cv.rules.facts["members_recruited"].recall == 0.0
    assert cv.combined.facts["members_recruited"].recall > 0.5
    assert cv.combined.facts_total.f1 > cv.rules.facts_total.f1
    summary = learn.cv_summary(cv)
    assert summary["all"]["rules"]["recall"] < summary["all"]["rules_and_model"]["recall"]
    assert sum(b["n"] for b in summary["reliability"]) == len(cv.pairs)


# --------------------------------------------------------------------------------------------
# Calibration


def test_calibration_recovers_known_probabilities() -> None:
    rng = np.random.RandomState(0)
    raw = rng.uniform(0, 1, 4000)
    truth = raw**3  # the raw scores are far too confident
    right = rng.uniform(0, 1, 4000) < truth
    for method in ("sigmoid", "isotonic"):
        cal = learn.fit_calibrator(raw, right, method)
        calibrated = cal(raw)
        assert np.all(np.diff(calibrated[np.argsort(raw)]) >= -1e-9)  # order kept
        assert abs(calibrated.mean() - right.mean()) < 0.02
        pairs = [learn.Pair(0, i, "gifts", float(r), bool(y), False, float(c))
                 for i, (r, y, c) in enumerate(zip(raw, right, calibrated, strict=True))]  # fmt: skip
        assert learn.calibration_error(pairs)["ece"] < 0.03
        assert learn.calibration_error(pairs, raw=True)["ece"] > 0.15


def test_calibration_with_rule_input_and_degenerate_data() -> None:
    raw = np.array([0.2, 0.3, 0.9, 0.95, 0.5, 0.6])
    right = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    rule = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    cal = learn.fit_calibrator(raw, right, "sigmoid-rule", rule)
    out = cal(raw, rule)
    assert out[:4].min() > out[4:].max()  # what a rule took is right here, whatever the raw score
    assert learn.fit_calibrator([0.1, 0.9], [True, True]).method == "identity"
    with pytest.raises(ValueError, match="unknown calibration"):
        learn.fit_calibrator(raw, right, "platt")


def test_reliability_bins() -> None:
    scored = [(0.05, False), (0.95, True), (0.92, False), (1.0, True)]
    pairs = [learn.Pair(0, i, "money", c, r, True, c) for i, (c, r) in enumerate(scored)]
    bins = learn.reliability(pairs)
    assert [b["n"] for b in bins] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 3]
    assert math.isclose(bins[-1]["accuracy"], 2 / 3)


# --------------------------------------------------------------------------------------------
# Model files


def test_shipped_model_loads_with_metadata() -> None:
    model = learn.load_model(learn.DEFAULT_MODEL)
    assert model.meta["version"] == learn.MODEL_VERSION
    assert model.types and 0.5 <= model.threshold <= 1.01
    assert learn.DEFAULT_MODEL.stat().st_size < 5_000_000
    meta = json.loads(learn.DEFAULT_MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert {"version", "trained", "sklearn", "training", "gold", "cv"} <= set(meta)
    assert meta["cv"]["all"]["rules_and_model"]["recall"] >= meta["cv"]["all"]["rules"]["recall"]


def _joblib_model(path: Path) -> learn.FactModel:
    """The model read from its joblib file, its plain weights left aside."""
    payload = joblib.load(path)
    return learn.FactModel(
        payload["pipeline"], list(payload["types"]), learn.Calibrator(payload["calibration"], payload["calibrator"]),
        float(payload["threshold"]), dict(payload["meta"]),
    )  # fmt: skip


def test_shipped_model_is_read_from_its_plain_weights_the_same() -> None:
    plain = learn.load_model(learn.DEFAULT_MODEL)
    assert plain.pipeline is None  # read without scikit-learn
    full = _joblib_model(learn.DEFAULT_MODEL)
    assert (plain.types, plain.threshold, plain.meta) == (full.types, full.threshold, full.meta)
    assert plain.calibrator.method == full.calibrator.method
    assert plain.calibrator.coefficients() == full.calibrator.coefficients()
    (rows, table, intercept), (rows2, table2, intercept2) = plain._weights(), full._weights()
    assert list(rows) == list(rows2) and table.tobytes() == table2.tobytes() and intercept == intercept2
    cands = candidates_of("Dịp Tết, công đoàn trao 500 suất quà, tổng trị giá trên 1,6 tỷ đồng cho 300 công nhân.")
    assert plain.scores(cands).tobytes() == full.scores(cands).tobytes()
    assert np.allclose(full.raw([c.features for c in cands]), full.raw_pipeline([c.features for c in cands]))


@pytest.mark.parametrize("change", ["another model file", "no weights", "broken weights"])
def test_plain_weights_only_for_the_file_they_were_written_from(tmp_path: Path, change: str) -> None:
    path = tmp_path / "m.joblib"
    shutil.copy(learn.DEFAULT_MODEL, path)
    weights = learn.save_weights(learn.load_model(learn.DEFAULT_MODEL), path)
    assert weights == tmp_path / "m.weights.npz" and learn.load_model(path).pipeline is None
    if change == "another model file":
        joblib.dump(_payload(threshold=0.9), path)
    elif change == "no weights":
        weights.unlink()
    else:
        weights.write_bytes(b"not weights")
    model = learn.load_model(path)  # the model file itself is read
    assert model.pipeline is not None
    assert model.threshold == (
        0.9 if change == "another model file" else learn.load_model(learn.DEFAULT_MODEL).threshold
    )


def test_saved_model_comes_back_from_its_plain_weights(tmp_path: Path, synthetic_model: learn.FactModel) -> None:
    written = learn.save_model(synthetic_model, tmp_path / "s.joblib")
    assert [p.name for p in written] == ["s.joblib", "s.json", "s.weights.npz"]
    back = learn.load_model(tmp_path / "s.joblib")
    assert back.pipeline is None and back.threshold == synthetic_model.threshold
    rows = [{"bias": 1.0, "unit=count": 1.0, "relpos": 0.25}, {"bias": 1.0, "unit=VND": 1.0}]
    mask = np.zeros((2, len(back.types)), dtype=bool)
    assert back.raw(rows).tobytes() == synthetic_model.raw(rows).tobytes()
    assert back.calibrator(back.raw(rows), mask).tobytes() == synthetic_model.calibrator(back.raw(rows), mask).tobytes()


def _payload(**changes: object) -> dict:
    payload = joblib.load(learn.DEFAULT_MODEL)
    payload.update(changes)
    return payload


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"not a model at all", "cannot be read"),
        ({"format": "something else"}, "not a vnfacts facts model"),
        ("newer", r"version 2; this vnfacts reads version 1 only \(upgrade vnfacts"),
        ("older", r"version 0; .*retrain"),
        ("damaged", "damaged"),
    ],
)
def test_bad_model_files_give_clear_errors(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "model.joblib"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "newer":
        joblib.dump(_payload(version=learn.MODEL_VERSION + 1), path)
    elif content == "older":
        joblib.dump(_payload(version=0), path)
    elif content == "damaged":
        joblib.dump(_payload(pipeline="no pipeline"), path)
    elif content is not None:
        joblib.dump(content, path)
    with pytest.raises(learn.ModelError, match=message):
        learn.load_model(path)


def test_bad_model_stops_the_warm_up_not_each_article(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "missing.joblib"
    monkeypatch.setenv(learn.MODEL_ENV, str(path))
    with pytest.raises(RuntimeError, match=r"missing\.joblib"):
        pipeline.warm_up()


def test_model_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Năm qua, Công đoàn tỉnh đã kết nạp 1.234 đoàn viên mới."
    with_model = pipeline.extract_text(text).facts
    monkeypatch.setenv(learn.MODEL_ENV, "off")
    rules = pipeline.extract_text(text).facts
    assert (
        [(f.type, f.value) for f in with_model] == [(f.type, f.value) for f in rules] == [("members_recruited", 1234)]
    )
    assert rules[0].confidence == facts_stage.extract_facts(text, segment.split_sentences(text))[0].confidence
    assert 0.0 <= with_model[0].confidence <= 0.999


# --------------------------------------------------------------------------------------------
# `vnfacts train` and the evaluation with and without the model


@pytest.mark.slow
def test_vnfacts_train_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extract.cli import app

    gold = tmp_path / "seeds.jsonl"
    shutil.copy(CORPUS / "gold" / "seeds.jsonl", gold)  # its articles are found in the project
    out = tmp_path / "m.joblib"
    result = CliRunner().invoke(app, ["train", str(gold), "-o", str(out), "--cv", "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".json").is_file() and (tmp_path / "m-reliability.png").is_file()
    assert "Reliability" in result.output and "rules F1" in result.output
    meta = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["training"]["articles"] == 5 and meta["cv"]["folds"] == 3
    monkeypatch.setenv(learn.MODEL_ENV, str(out))
    pipeline.warm_up()
    assert pipeline.extract_text("Đã kết nạp 120 đoàn viên mới.").facts


def test_vnfacts_train_names_the_missing_article(tmp_path: Path) -> None:
    from extract.cli import app

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"file": "corpus/nowhere/x.txt", "facts": []}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", str(gold), "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 2
    assert "corpus/nowhere/x.txt" in result.output and "not found" in result.output


def test_resolve_article_relative_to_gold_project_and_shared(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    assert learn.resolve_article("a.txt", gold) == (tmp_path / "a.txt", None)
    seed = next((CORPUS / "seeds").glob("*.txt"))
    assert learn.resolve_article(str(seed.relative_to(ROOT)), gold)[0].resolve() == seed.resolve()
    (tmp_path / "r.jsonl").write_text("", encoding="utf-8")
    assert learn.resolve_article("r.jsonl#7", gold) == (tmp_path / "r.jsonl", "7")


def test_evaluate_shows_rules_alone_and_with_the_model() -> None:
    from rich.console import Console

    gold = [{"file": "a.txt", "facts": [{"type": "gifts", "value": 5}, {"type": "money", "value": 1e6}]}]
    articles = [{"source": "/x/a.txt", "published": None}]
    facts = [
        {"source": "/x/a.txt", "type": "gifts", "value": 5, "pattern": "gifts.give"},
        {"source": "/x/a.txt", "type": "money", "value": 1e6, "pattern": learn.MODEL_PATTERN},
        {"source": "/x/a.txt", "type": "beneficiaries", "value": 9, "pattern": learn.MODEL_PATTERN},
    ]
    report = evaluate_records(gold, articles, facts, [])
    assert report.model_facts == 2
    assert report.without_model is not None
    assert (report.without_model.facts_total.tp, report.without_model.facts_total.fn) == (1, 1)
    assert (report.facts_total.tp, report.facts_total.fp) == (2, 1)
    console = Console(record=True, width=200)
    print_report(report, console)
    lines = console.export_text().rstrip("\n").splitlines()
    assert lines[-1].startswith("published date right on")
    assert lines[-5].startswith("facts      P")  # the summary keeps its place at the tail
    assert any("2 model-added facts" in line for line in lines)
    plain = evaluate_records(gold, articles, facts[:1], [])
    assert plain.without_model is None and plain.model_facts == 0


# --------------------------------------------------------------------------------------------
# On the seed and dev gold (dev articles live in ../shared)


@pytest.mark.slow
def test_cross_validation_on_seed_and_dev_gold(shared: Path) -> None:
    articles = learn.load_gold([CORPUS / "gold" / "seeds.jsonl", GOLD / "dev.jsonl"])
    assert len(articles) == 44
    assert sum(len(a.unaligned) for a in articles) == 0
    cv = learn.cross_validate(articles)
    rules, combined = cv.rules.facts_total, cv.combined.facts_total
    # the model may only add what it gains: recall up at least as much as precision down
    assert (combined.recall - rules.recall) >= (rules.precision - combined.precision)
    assert learn.calibration_error(cv.pairs)["ece"] < 0.05
    assert learn.calibration_error(cv.pairs)["brier"] < learn.calibration_error(cv.pairs, raw=True)["brier"]


@pytest.mark.parametrize(
    "text",
    [
        "9" * 200_000,
        "1.000.000,5," * 50_000,
        "kết nạp 1.234 đoàn viên, " * 4_000,
        "".join(f"kết nạp {i} đoàn viên; " for i in range(1, 3_000)),
        "trao 1e309 suất quà " * 100,
        "\x00\ud800 5 đoàn viên",
    ],
)
def test_apply_never_raises_and_stays_fast(text: str) -> None:
    import time

    started = time.perf_counter()
    sentences = segment.split_sentences(text) if len(text) < 50_000 else []
    rule_facts = facts_stage.extract_facts(text, sentences)
    out = learn.apply(text, sentences, list(rule_facts), learn.active_model())
    assert len(out) >= len(rule_facts)
    assert time.perf_counter() - started < 60


def test_gold_naming_records_of_a_json_lines_file(tmp_path: Path) -> None:
    records = [
        {"id": "a1", "text": "Năm qua, Công đoàn tỉnh đã kết nạp 1.234 đoàn viên mới."},
        {"id": "a2", "text": "Dịp Tết, công đoàn trao 500 suất quà cho công nhân."},
    ]
    (tmp_path / "articles.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    gold = tmp_path / "gold.jsonl"
    lines = [
        {"file": "articles.jsonl#a2", "facts": [{"type": "gifts", "value": 500, "quote": "trao 500 suất quà"}]},
        {"file": "articles.jsonl#a1", "facts": [{"type": "members_recruited", "value": 1234, "quote": "1.234"}]},
    ]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    articles = learn.load_gold([gold])
    assert [a.path.rsplit("#", 1)[-1] for a in articles] == ["a2", "a1"]
    assert [[lab for lab in a.labels if lab != learn.NONE] for a in articles] == [["gifts"], ["members_recruited"]]


def test_noun_type_features_come_in_one_order_in_every_process() -> None:
    # the model adds up features in the order they come: a set's order would change a score's last bits
    code = "from extract import learn; print(sorted(learn._noun_type_features().items()))"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2, 3)
    }  # fmt: skip
    assert len(seen) == 1
    assert "noun_type=" in seen.pop()


def test_apply_many_gives_each_article_what_apply_gives_it_alone() -> None:
    from extract import numbers
    from extract.normalise import normalise

    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "seeds").glob("*.txt"))]
    texts += ["", "Không có số nào ở đây.", "Đã trao 50 suất quà, tổng trị giá 25 triệu đồng."]

    def inputs() -> list:
        out = []
        for text in texts:
            sentences = segment.split_sentences(text)
            mentions = numbers.find_numbers(text)
            out.append((text, sentences, facts_stage.extract_facts(text, sentences, mentions=mentions), mentions))
        return out

    def rows(facts: list) -> list:
        return [(f.type, f.value, f.start, f.pattern, f.confidence) for f in facts]

    together = [rows(facts) for facts in learn.apply_many(inputs())]
    alone = [rows(learn.apply(text, s, f, mentions=m)) for text, s, f, m in inputs()]
    assert together == alone
    assert sum(len(r) for r in together) > 10
    assert all(conf <= 0.999 for r in together for *_, conf in r)  # the model scored them (rules say 1.0)
