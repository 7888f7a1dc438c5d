"""The body finder: site furniture out, every article paragraph in, title / date line / author found."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract import body, metadata, patterns
from extract.model import Body

try:
    from extract.normalise import normalise
except ImportError:  # the normaliser is a separate stage; its essentials are enough here

    def normalise(text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\xa0", " ").replace("\r\n", "\n")
        return re.sub(r"[ \t]+", " ", text)


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "corpus" / "seeds").glob("*.txt")) or sorted(
    (ROOT / "corpus" / "seeds").glob("*.txt")
)
DEV = sorted((SHARED / "corpus" / "dev").glob("*.txt"))


def _gold(name: str) -> dict[str, dict]:
    path = SHARED / "gold" / name
    if not path.exists():
        return {}
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {Path(r["file"]).name: r for r in records}


SEED_GOLD = _gold("seeds.jsonl")
DEV_GOLD = _gold("dev.jsonl")


def _seed(prefix: str) -> Path:
    for path in SEEDS:
        if path.name.startswith(prefix):
            return path
    pytest.skip(f"seed {prefix} not available")
    raise AssertionError  # unreachable


def _page(path: Path) -> str:
    return normalise(path.read_text(encoding="utf-8"))


def _paragraphs(found: Body) -> list[str]:
    return found.text.split("\n\n") if found.text else []


# ---------------------------------------------------------------------------------------------------
# Every rule's own examples (patterns/furniture.yaml)


def _rule_examples() -> list[tuple[str, str, bool]]:
    out = []
    for node in patterns.load("furniture")["rules"]:
        examples = node.get("examples") or {}
        out += [(str(node["id"]), str(line), True) for line in examples.get("drop") or ()]
        out += [(str(node["id"]), str(line), False) for line in examples.get("keep") or ()]
    return out


@pytest.mark.parametrize(("rule_id", "line", "dropped"), _rule_examples())
def test_furniture_rule_examples(rule_id: str, line: str, dropped: bool) -> None:
    found = body.classify_line(line)
    if dropped:
        assert found is not None and found.id == rule_id, f"{line!r} should be {rule_id}, got {found}"
    else:
        assert found is None, f"{line!r} is article text, but rule {found.id if found else None} took it"


def test_every_rule_has_drop_and_keep_examples() -> None:
    for node in patterns.load("furniture")["rules"]:
        examples = node.get("examples") or {}
        assert examples.get("drop"), f"rule {node['id']} has no drop example"
        assert examples.get("keep"), f"rule {node['id']} has no keep example"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Nhiều đoàn viên đã gửi bình luận, góp ý vào dự thảo.", None),
        ("Ông Tín chia sẻ kinh nghiệm trong công tác phát triển đoàn viên.", None),
        ("Xem thêm", "related_list"),
        ("Bình luận", "comments_heading"),
        ("Tin cùng chuyên mục", "related_heading"),
        ("Chia sẻ", "share_widget"),
        ("fb yt zl tw", "share_widget"),
        ("Cỡ chữ: A+ A-", "font_size"),
        ("Thông tin truy cập", "visitor_counter"),
        ("Tổng số: 175 | Trang: 1 trên tổng số 18 trang", "pagination"),
        ("[QC] Đăng tin tuyển dụng", "advertising"),
        ("Ảnh: Phạm Đức", "photo_credit"),
        ("", None),
        ("x" * 5000, None),
    ],
)
def test_classify_line(line: str, expected: str | None) -> None:
    found = body.classify_line(line)
    assert (found.id if found else None) == expected


# Regexes in the syntax the rule automaton reads, tricky where it can be: every string they match must
# be let through by the automaton (its first characters) and hold a must character.
AUTOMATON_SOURCES = [
    r"(?i:a(?:b|)c?)",
    r"(?-i:A)|(?i:b+)",
    r"[^|]{1,3}+(?:\|[^|]{1,2}+){1,2}+",
    r"a{0,2}b{,2}(?:c|\.)*",
    r"(?:ab)?+a\b|(?<=x)b(?=a)",
    r"(?i:\p{L}\s?[-.])",
    r"[]a]|[^]a]b",
    r"(a|b)+?\|$",
    r"^a*?(?!b)[.:]{2}",
    r"(?>a|ab)b|\.\s\-",
    r"(?i:(?:A\s{1,3}B|»)\s{0,2}\(\d{1,6}\))?[:.»>…]{0,3}",
    r"(?:a|)(?:b?)c{2}",
    r"(?i:k)\|",
]
ALPHABET = "aAbBc|.:»- (1)Kk"


def _strings(n: int) -> list[str]:
    out = [""]
    level = [""]
    for _ in range(n):
        level = [s + c for s in level for c in ALPHABET]
        out += level
    return out


@pytest.mark.parametrize("source", AUTOMATON_SOURCES)
def test_rule_automaton_lets_every_match_through(source: str) -> None:
    import regex

    auto = body._automaton([source])
    assert auto is not None
    pattern = regex.compile(source)
    matched = 0
    for s in _strings(4):
        if s and pattern.fullmatch(s):
            matched += 1
            assert 0 in body._candidates(auto, s), s
            assert auto.musts[0] is None or any(c in s for c in auto.musts[0]), s
    assert matched


def test_rule_automaton_lets_every_furniture_match_through() -> None:
    cfg = body._config()
    assert cfg.automaton is not None
    lines = [str(line) for node in patterns.load("furniture")["rules"] for k in ("drop", "keep")
             for line in (node.get("examples") or {}).get(k, [])]  # fmt: skip
    for line in lines + [line.upper() for line in lines] + [line.lower() for line in lines]:
        s = line.strip()
        for k, rule in enumerate(cfg.rules):
            if s and len(s) <= cfg.longest and rule.pattern.fullmatch(s):
                assert k in body._candidates(cfg.automaton, s), (rule.id, s)
                must = cfg.automaton.musts[k]
                assert must is None or any(c in s for c in must), (rule.id, s)


@pytest.mark.parametrize(
    "source", [r"(a)\1", r"(?P<x>a)(?P=x)", r"(?x)a b", r"a{}", r"[[:alpha:]]", r"\x41", r"(?i)a", r"a{e<=1}"]
)
def test_rule_automaton_refuses_syntax_it_does_not_read(source: str) -> None:
    assert body._automaton([r"(?i:b)", source]) is None


def test_rule_in_other_syntax_tries_every_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_caches: None
) -> None:
    content = (ROOT / "patterns" / "furniture.yaml").read_text(encoding="utf-8")
    content = content.replace("\nrules:\n", "\nrules:\n  - id: twice\n    kind: line\n    regex: '(\\x61b){2}'\n", 1)
    (tmp_path / "furniture.yaml").write_text(content, encoding="utf-8")
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(tmp_path))
    assert body._config().automaton is None
    assert body.classify_line("abab").id == "twice"  # type: ignore[union-attr]
    assert body.classify_line("Bình luận").id == "comments_heading"  # type: ignore[union-attr]
    assert body.classify_line("Ông Tín chia sẻ kinh nghiệm trong công tác phát triển đoàn viên.") is None


# ---------------------------------------------------------------------------------------------------
# The five seeds: furniture out, paragraphs in, title, date line, author

SEED_FURNITURE = {
    "000": [
        "Cỡ chữ: A+ A-",
        "Tổng số: 175 | Trang: 1 trên tổng số 18 trang",
        "Xem tin theo ngày: / /",
        "Nguyễn Thị Thu Thủy",
        "Chủ tịch Liên đoàn Lao động tỉnh",
        "Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17",
    ],
    "001": [
        "Có thể bạn quan tâm",
        "Tin cùng chuyên mục",
        "An toàn thông tin – trách nhiệm của mỗi cán bộ",
        "Mặt trận Tổ quốc tỉnh chú trọng tạo nguồn phát triển đảng viên",
        "Xây dựng thế trận lòng dân từ những việc làm thiết thực",
        "Báo và Phát thanh - Truyền hình tỉnh Lào Cai giành 2 Giải báo chí toàn quốc về nông nghiệp, "
        "nông dân, "
        "nông thôn",
        "Thủ tướng: Xây dựng chính sách vượt trội để thí điểm một số khu thương mại tự do",
        "Nỗ lực cao nhất, phấn đấu hoàn thành và hoàn thành vượt mức các chỉ tiêu, kế hoạch năm 2025",
        "fb yt zl tw",
    ],
    "002": [
        "LĐ - 40 P.V",
        "Chia sẻ",
        "[QC] Đăng tin tuyển dụng, tìm việc làm nhanh, uy tín tại trang Việc Làm Báo Lao Động.",
        "Bình luận",
        "Vui lòng sử dụng tiếng Việt có dấu",
        "Video xem nhiều nhất",
        "Chia điểm 1-1, Đức và Chile tràn trề cơ hội dắt tay nhau đi tiếp",
    ],
    "003": [
        "Ngày 28 tháng 07 năm 2021",
        "Ảnh: Phạm Đức",
        "Vàng A Lả",
        "Ủy viên Ban Chấp hành Tổng LĐLĐ Việt Nam",
        "Tỉnh ủy viên, Chủ tịch Liên đoàn Lao động tỉnh Sơn La",
        "Tìm kiếm theo ngày",
    ],
    "004": [
        '"Vì đoàn viên và người lao động,vì sự phát triển bền vững của tỉnh Lào Cai, '
        "tiếp tục đổi mới nội dung, "
        'phương thức hoạt động công đoàn."',
        "Chủ nhật, ngày 16/12/2018",
        "Bình chọn",
        "Bạn quan tâm mục gì nhất trong website của chúng tôi?",
        "• Tin Tức - Sự Kiện",
        "• Tra cứu văn bản",
        "Thông tin truy cập",
        "• 247865",
        "Thời tiết",
        "Tin tức sự kiện » LĐLĐ huyện, thành phố",
        "Bài: Nguyễn Vinh; ảnh: Đình Trơn",
        "Liên đoàn Lao động huyện Mường Khương",
        "Các tin khác",
        "Album Ảnh",
        "Bản Tin Công Đoàn",
        "Liên kết sở ban ngànhDiện tích: 6.383,9 Km2",
        "Dân số (2013): 656.900",
    ],
}

# Teasers of related articles in seed 001 (long lines; their openings).
SEED_001_TEASERS = [
    "Trong chuyển đổi số, dữ liệu cá nhân trở thành tài sản quan trọng.",
    "Thời gian qua, Đảng ủy Mặt trận Tổ quốc Việt Nam tỉnh đã chú trọng",
    "Từ những mái nhà được dựng lại, con đường bê tông hóa",
    "Tối 5/12, Trung ương Hội Nông dân Việt Nam chủ trì",
    "Ngày 5/12, tại Trụ sở Chính phủ, Thủ tướng Phạm Minh Chính",
    "Ban Thường vụ Tỉnh ủy vừa tổ chức Hội nghị lần thứ 4",
    "Thực hiện nghiêm Kết luận số 213 ngày 21/11/2025",
    "Bí thư Tỉnh ủy, Chủ tịch HĐND tỉnh Trịnh Việt Hùng",
]

SEED_EXPECTED = [
    # prefix, title, date line, author, paragraphs
    (
        "000",
        "Liên đoàn Lao động tỉnh giao việc làm mới, đột phá đối với cán bộ công đoàn chuyên trách",
        "Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17",
        "Nguyễn Thị Thu Thủy",
        9,
    ),
    ("001", "Các cấp công đoàn đưa Nghị quyết 02 vào cuộc sống", None, None, 9),
    ("002", "Phân công cán bộ giúp đỡ công đoàn cơ sở", None, None, 7),
    (
        "003",
        "Phát huy vai trò, khẳng định vị thế tổ chức Công đoàn trong tình hình mới",
        "Ngày 28 tháng 07 năm 2021",
        "Vàng A Lả",
        12,
    ),
    (
        "004",
        "LIÊN ĐOÀN LAO ĐỘNG HUYỆN MƯỜNG KHƯƠNG Nhiều chỉ tiêu đạt và vượt so với Nghị quyết Đại hội đề ra",
        "Chủ nhật, ngày 16/12/2018",
        "Nguyễn Vinh",
        15,
    ),
]


@pytest.mark.parametrize(("prefix", "title", "date_line", "author", "n_paragraphs"), SEED_EXPECTED)
def test_seed_title_date_author_paragraphs(
    prefix: str, title: str, date_line: str | None, author: str | None, n_paragraphs: int
) -> None:
    found = body.find_body(_page(_seed(prefix)))
    assert found.title == normalise(title)
    assert found.date_line == (normalise(date_line) if date_line else None)
    assert found.author == (normalise(author) if author else None)
    assert len(_paragraphs(found)) == n_paragraphs


@pytest.mark.parametrize("prefix", sorted(SEED_FURNITURE))
def test_seed_furniture_is_dropped(prefix: str) -> None:
    found = body.find_body(_page(_seed(prefix)))
    paragraphs = set(_paragraphs(found))
    for line in SEED_FURNITURE[prefix]:
        assert normalise(line).strip() not in paragraphs, f"furniture kept: {line!r}"


def test_seed_001_related_teasers_are_dropped() -> None:
    found = body.find_body(_page(_seed("001")))
    for opening in SEED_001_TEASERS:
        assert normalise(opening) not in found.text, f"related teaser kept: {opening!r}"


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_every_article_line_is_kept(path: Path) -> None:
    """Every line of the page is either a body paragraph, or furniture/title/date/signature listed above."""
    page = _page(path)
    found = body.find_body(page)
    paragraphs = set(_paragraphs(found))
    furniture = {normalise(line).strip() for line in SEED_FURNITURE[path.name[:3]]}
    tail_started = False
    for line in (s.strip() for s in page.split("\n")):
        if not line or line == found.title:
            continue
        # lines after the first related-articles heading of 001 are all furniture
        tail_started = tail_started or line in {"Có thể bạn quan tâm"}
        if tail_started or line in furniture:
            assert line not in paragraphs
        else:
            assert line in paragraphs, f"article line lost: {line[:80]!r}"


def _quotes(record: dict) -> list[str]:
    return [normalise(x["quote"]) for x in record.get("facts", []) + record.get("citations", [])]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_gold_quotes_are_in_the_body(path: Path) -> None:
    record = SEED_GOLD.get(path.name)
    if record is None:
        pytest.skip("no gold")
    found = body.find_body(_page(path))
    for quote in _quotes(record):
        assert quote in found.text, f"gold quote lost: {quote!r}"
    for outside in record.get("not_in_article", []):
        assert normalise(outside) not in found.text, f"furniture text in body: {outside!r}"


# ---------------------------------------------------------------------------------------------------
# The 39 dev articles: clean pages; everything is kept except captions' credits and signatures

DEV_DROPPED = {
    "vietnews-017722.txt": ["- Ảnh: TUẤN TÚ."],
    "vietnews-067795.txt": [
        "Đức Tuân",
        "Theo Cổng Thông tin điện tử Chính phủ",
        "(Ảnh: VGP/Quang Hiếu).",
        "(Ảnh: VGP/Quang Hiếu)",
    ],
    "vietnews-095387.txt": ["Ảnh: QH", "Võ Hải"],
    "vietnews-097706.txt": ["Hoàng Thuỳ - Anh Minh"],
}
DEV_AUTHORS = {
    "vietnews-067795.txt": "Đức Tuân",
    "vietnews-095387.txt": "Võ Hải",
    "vietnews-097706.txt": "Hoàng Thuỳ - Anh Minh",
}


@pytest.mark.parametrize("path", DEV, ids=lambda p: p.stem)
def test_dev_article_is_kept_whole(path: Path) -> None:
    page = _page(path)
    found = body.find_body(page)
    lines = [s.strip() for s in page.split("\n") if s.strip()]
    assert found.title == lines[0]
    assert found.date_line is None
    expected_author = DEV_AUTHORS.get(path.name)
    assert found.author == (normalise(expected_author) if expected_author else None)
    dropped = {normalise(s) for s in DEV_DROPPED.get(path.name, [])}
    paragraphs = set(_paragraphs(found))
    for line in lines[1:]:
        if line in dropped:
            assert line not in paragraphs
        else:
            assert line in paragraphs, f"article line lost: {line[:80]!r}"


@pytest.mark.parametrize("path", DEV, ids=lambda p: p.stem)
def test_dev_gold_quotes_are_in_the_body(path: Path) -> None:
    record = DEV_GOLD.get(path.name)
    if record is None:
        pytest.skip("no gold")
    found = body.find_body(_page(path))
    for quote in _quotes(record):
        assert quote in found.text, f"gold quote lost: {quote!r}"


# ---------------------------------------------------------------------------------------------------
# Behaviour on small pages

LONG = (
    "Trong năm, các cấp công đoàn đã kết nạp 5.518 đoàn viên mới, thành lập được 08 công đoàn cơ sở, "
    "tổ chức nhiều hoạt động chăm lo cho đoàn viên và người lao động."
)
LONG2 = (
    "Liên đoàn Lao động tỉnh đã trao 1.553 suất quà Tết và hỗ trợ 2.917 đoàn viên có hoàn cảnh đặc biệt "
    "khó khăn với tổng trị giá trên 1,6 tỷ đồng."
)
TITLE = "Công đoàn tỉnh chăm lo Tết cho đoàn viên"


@pytest.mark.parametrize(
    ("page", "expected_text"),
    [
        # a tail heading cuts everything after it
        (f"{TITLE}\n\n{LONG}\n\nTin liên quan\n\nCông đoàn huyện trao quà\n\nĐoàn viên vui Tết", LONG),
        (f"{TITLE}\n\n{LONG}\n\nCác tin khác\n\n{LONG2}", LONG),
        # "Xem thêm" inside a sentence is text
        (f"{TITLE}\n\n{LONG} Xem thêm tại trang của LĐLĐ tỉnh.", f"{LONG} Xem thêm tại trang của LĐLĐ tỉnh."),
        # a box of links in the middle: the article resumes after it
        (
            f"{TITLE}\n\n{LONG}\n\nTin liên quan\n\nCông đoàn huyện trao quà\n\n{LONG2}\n\n{LONG2} Thêm.",
            f"{LONG}\n\n{LONG2}\n\n{LONG2} Thêm.",
        ),
        # a tail heading before the article has started drops only that line
        (f"{TITLE}\n\nBình luận\n\n{LONG}", LONG),
        # a photo caption repeated right away, and again later
        (
            f"{TITLE}\n\nẢnh đoàn viên nhận quà Tết.\n\nẢnh đoàn viên nhận quà Tết.\n\n{LONG}",
            f"Ảnh đoàn viên nhận quà Tết.\n\n{LONG}",
        ),
        (f"{TITLE}\n\n{LONG}\n\n{LONG2}\n\n{LONG}", f"{LONG}\n\n{LONG2}"),
        # the title repeated in the page
        (f"{TITLE}\n\n{TITLE}\n\n{LONG}", LONG),
        # widgets around the text
        (f"{TITLE}\n\nCỡ chữ: A+ A-\n\nChia sẻ\n\n{LONG}\n\nfb yt zl tw\n\n[QC] Tuyển dụng", LONG),
        (
            f"{TITLE}\n\n{LONG}\n\nBình chọn\n\nBạn thích mục nào?\n\n• Tin tức\n\n• Văn bản\n\n{LONG2}",
            f"{LONG}\n\n{LONG2}",
        ),
        # page header ending in a breadcrumb: the title follows it
        (f"Trang chủ\n\nThời tiết\n\nTrang chủ » Tin tức\n\n{TITLE}\n\n{LONG}", LONG),
        # a lone line is the article, not a title
        (LONG, LONG),
        # the site's name and section above the headline
        (f"Báo Lao Động\n\nThời sự\n\n{TITLE}\n\n{LONG}", LONG),
        (f"Thời sự\n\n{LONG}\n\n{LONG2}", f"Thời sự\n\n{LONG}\n\n{LONG2}"),
        ("", ""),
        ("\n\n \n", ""),
    ],
)
def test_find_body_cases(page: str, expected_text: str) -> None:
    assert body.find_body(page).text == expected_text


@pytest.mark.parametrize(
    ("page", "title", "author"),
    [
        (f"{TITLE}\n\n{LONG}\n\nNguyễn Thị Thu Thủy\n\nChủ tịch LĐLĐ tỉnh", TITLE, "Nguyễn Thị Thu Thủy"),
        (f"{TITLE}\n\n{LONG}\n\nBài: Nguyễn Vinh; ảnh: Đình Trơn", TITLE, "Nguyễn Vinh"),
        (f"{TITLE}\n\n{LONG}\n\nTin, ảnh: Hoàng Mạnh", TITLE, "Hoàng Mạnh"),
        (f"{TITLE}\n\n{LONG}\n\nBài và ảnh: Lê Hà", TITLE, "Lê Hà"),
        (
            f"{TITLE}\n\n{LONG}\n\nHoàng Thuỳ - Anh Minh\n\nẢnh đoàn viên nhận quà.",
            TITLE,
            "Hoàng Thuỳ - Anh Minh",
        ),
        (f"{TITLE}\n\n{LONG}\n\nNguyễn Văn A (TTXVN)", TITLE, "Nguyễn Văn A"),
        (f"{TITLE}\n\nHoàng Mạnh\n\n{LONG}", TITLE, "Hoàng Mạnh"),
        # no author: a generic signature, a heading, a place, a caption, a name followed by the article
        (f"{TITLE}\n\n{LONG}\n\nPV", TITLE, None),
        (f"{TITLE}\n\n{LONG}\n\nBài: PV", TITLE, None),
        (f"{TITLE}\n\n{LONG}\n\nAlbum Ảnh", TITLE, None),
        (f"{TITLE}\n\n{LONG}\n\nHà Nội", TITLE, None),
        (f"{TITLE}\n\n{LONG}\n\nĐại biểu Ngô Thị Minh.", TITLE, None),
        (f"{TITLE}\n\n{LONG}\n\nNguyễn Văn An\n\n{LONG2} {LONG2}", TITLE, None),
    ],
)
def test_find_body_author(page: str, title: str, author: str | None) -> None:
    found = body.find_body(page)
    assert found.title == title
    assert found.author == author
    if author:
        assert author not in found.text.split("\n\n")


def _signature_examples() -> list[tuple[str, str | None]]:
    node = patterns.load("furniture")["signature"]
    pairs = [*node["credit"]["examples"].items(), *node["examples"].items()]
    return [(str(line), None if author is None else str(author)) for line, author in pairs]


@pytest.mark.parametrize(("line", "author"), _signature_examples())
def test_signature_examples(line: str, author: str | None) -> None:
    found = body.find_body(f"{TITLE}\n\n{LONG}\n\n{line}")
    assert found.author == author
    if author is not None:  # the signature is metadata, not text
        assert found.text == LONG


def _signature_line_examples() -> list[str]:
    node = patterns.load("furniture")["signature"]
    return [str(x) for x in [*node["position_examples"], *node["source_examples"]]]


@pytest.mark.parametrize("line", _signature_line_examples())
def test_signature_position_and_source_lines(line: str) -> None:
    found = body.find_body(f"{TITLE}\n\n{LONG}\n\nNguyễn Văn An\n\n{line}")
    assert found.author == "Nguyễn Văn An"
    assert found.text == LONG


@pytest.mark.parametrize(
    ("page", "given", "title", "text"),
    [
        (f"{TITLE}\n\n{LONG}", TITLE, TITLE, LONG),
        (f"{TITLE}\n\n{LONG}", f"{TITLE} - Công đoàn Lào Cai", TITLE, LONG),
        # the record's title is not in the text: nothing is dropped
        (f"{LONG}\n\n{LONG2}", TITLE, TITLE, f"{LONG}\n\n{LONG2}"),
        (
            f"Tin khác hẳn tiêu đề của bản ghi\n\n{LONG}",
            TITLE,
            TITLE,
            f"Tin khác hẳn tiêu đề của bản ghi\n\n{LONG}",
        ),
    ],
)
def test_find_body_given_title(page: str, given: str, title: str, text: str) -> None:
    found = body.find_body(page, title=given)
    assert (found.title, found.text) == (title, text)


@pytest.mark.parametrize(
    ("page", "date_line"),
    [
        (
            f"{TITLE}\n\nThứ Tư, ngày 9 tháng 2 năm 2022 - 10:17\n\n{LONG}",
            "Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17",
        ),
        (f"{TITLE}\n\nCập nhật: 16.12.2018 08:30 (GMT+7)\n\n{LONG}", "Cập nhật: 16.12.2018 08:30 (GMT+7)"),
        (f"{TITLE}\n\n{LONG}\n\nNgày đăng: 16/12/2018", "Ngày đăng: 16/12/2018"),
        # event dates in the text are not date lines
        (f"{TITLE}\n\nSáng 20-7, tại Hà Nội, công đoàn trao quà.\n\n{LONG}", None),
        (f"{TITLE}\n\nNgày 12/6/2021, Bộ Chính trị ban hành Nghị quyết 02 về công đoàn.\n\n{LONG}", None),
    ],
)
def test_find_body_date_line(page: str, date_line: str | None) -> None:
    found = body.find_body(page)
    assert found.date_line == date_line
    if date_line:
        assert date_line not in found.text


LINES = st.sampled_from(
    [
        "",
        " ",
        TITLE,
        LONG,
        LONG2,
        "Tin liên quan",
        "Bình luận",
        "Xem thêm",
        "Bình chọn",
        "• 247865",
        "Trang chủ » Tin tức",
        "Thứ Tư, ngày 9 tháng 2 năm 2022 - 10:17",
        "Nguyễn Thị Thu Thủy",
        "Chủ tịch LĐLĐ tỉnh",
        "Bài: Nguyễn Vinh; ảnh: Đình Trơn",
        "Ảnh: Phạm Đức",
        "fb yt zl tw",
        "1.2.3/4-5" * 20,
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LINES, st.text(max_size=120)), max_size=40), st.sampled_from(["\n", "\n\n"]))
def test_find_body_never_raises_and_only_copies_lines(lines: list[str], sep: str) -> None:
    page = sep.join(lines)
    found = body.find_body(page)
    assert isinstance(found, Body)
    for paragraph in _paragraphs(found):
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph
        assert paragraph in page
    assert "\n\n\n" not in found.text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_find_body_any_text(text: str) -> None:
    found = body.find_body(text)
    assert all(p in text for p in _paragraphs(found))


@pytest.mark.parametrize(
    "page",
    [
        "1.2,3/4-" * 150_000,
        "Tin liên quan\n" * 50_000,
        "Bình chọn\n• 1\n" * 20_000,
        "Võ Hải\n" * 50_000,
        " " * 1_000_000,
        "a » b\n" * 50_000,
    ],
    ids=["digits", "related", "poll", "names", "spaces", "crumbs"],
)
def test_find_body_large_inputs_are_fast(page: str) -> None:
    start = time.perf_counter()
    body.find_body(page)
    assert time.perf_counter() - start < 5.0


def test_find_body_speed() -> None:
    pages = [_page(p) for p in [*SEEDS, *DEV]]
    if not pages:
        pytest.skip("no corpus")
    body.find_body(pages[0])
    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for page in pages:
            body.find_body(page)
    per_article = (time.perf_counter() - start) / (rounds * len(pages))
    assert per_article < 0.002, f"{per_article * 1e6:.0f} µs per article"


# ---------------------------------------------------------------------------------------------------
# HTML pages

HTML = """<html><head><title>LĐLĐ tỉnh trao quà - Công đoàn Lào Cai</title>
<meta property="article:published_time" content="2022-02-09T10:17:00+07:00">
<meta name="author" content="Nguyễn Vinh"></head>
<body><nav><a href="/">Trang chủ</a> | <a href="/tin">Tin tức</a></nav><script>var counter = 1;</script>
<article><h1>LĐLĐ tỉnh trao quà cho đoàn viên</h1>
<p>Ngày 9/2, LĐLĐ tỉnh Lào Cai đã trao 1.553 suất quà Tết cho đoàn viên có hoàn cảnh khó khăn trong toàn tỉnh,
với tổng trị giá trên 1,6 tỷ đồng.</p>
<p>Cùng với đó, các cấp công đoàn đã thăm hỏi, tặng quà cho gần 39 nghìn đoàn viên, người lao động với tổng số
tiền gần 14 tỷ đồng.</p>
<p>Đây là hoạt động thường niên của tổ chức công đoàn tỉnh nhằm chăm lo cho đoàn viên.</p></article>
<footer>© Bản quyền thuộc về Liên đoàn Lao động tỉnh Lào Cai</footer></body></html>"""


def test_page_text_article() -> None:
    page = body.page_text(HTML)
    assert page.title == "LĐLĐ tỉnh trao quà cho đoàn viên"
    assert page.published == "2022-02-09"
    assert page.author == "Nguyễn Vinh"
    assert "var counter" not in page.text and "Trang chủ" not in page.text
    paragraphs = page.text.split("\n\n")
    assert any(p.startswith("Ngày 9/2, LĐLĐ tỉnh Lào Cai đã trao 1.553 suất quà Tết") for p in paragraphs)
    assert any(p.startswith("Cùng với đó, các cấp công đoàn") for p in paragraphs)
    assert "\n\n\n" not in page.text and all("\n" not in p for p in paragraphs)
    # the headline line is dropped from the body when the page's title is given
    found = body.find_body(page.text, title=page.title)
    assert not found.text.startswith(page.title)
    assert metadata.parse_date(page.published or "") is not None


def test_page_text_deeply_nested() -> None:
    text = "Công đoàn tỉnh Lào Cai trao 100 suất quà cho đoàn viên khó khăn nhân dịp Tết Nguyên đán năm nay."
    deep = "<html><body>" + "<div>" * 5000 + f"<p>{text}</p>" + "</div>" * 5000 + "</body></html>"
    page = body.page_text(deep)
    assert text in page.text
    unclosed = "<html><body>" + "<div><span>" * 5000 + text
    assert text in body.page_text(unclosed).text


@pytest.mark.parametrize(
    ("html_text", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("<p>Một đoạn</p><script>alert(1)</script><p>Đoạn hai</p>", "Một đoạn\n\nĐoạn hai"),
        ("<nav>Trang chủ</nav><p>Nội dung</p><footer>Liên hệ</footer>", "Nội dung"),
    ],
)
def test_page_text_small_snippets(html_text: str, expected: str) -> None:
    assert body.page_text(html_text).text == expected


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=500))
def test_page_text_never_raises(text: str) -> None:
    page = body.page_text(f"<html><body><p>{text}</p></body></html>")
    assert isinstance(page, body.Page)


# ---------------------------------------------------------------------------------------------------
# A malformed pattern file stops with its file and line


@pytest.fixture
def clean_caches():
    patterns.load.cache_clear()
    body._config.cache_clear()
    yield
    patterns.load.cache_clear()
    body._config.cache_clear()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("settings: {}\nrules: []\nsignature: {}\n", "lacks required key"),
        (
            (ROOT / "patterns" / "furniture.yaml")
            .read_text(encoding="utf-8")
            .replace("kind: tail", "kind: tale", 1),
            "kind must be one of",
        ),
        (
            (ROOT / "patterns" / "furniture.yaml")
            .read_text(encoding="utf-8")
            .replace("regex: 'Tổng số", "regex: '(Tổng số", 1),
            "regex does not compile",
        ),
        ("rules: [\n", "bad YAML"),
    ],
)
def test_malformed_furniture_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_caches: None, content: str, problem: str
) -> None:
    (tmp_path / "furniture.yaml").write_text(content, encoding="utf-8")
    monkeypatch.setenv(patterns.PATTERNS_ENV, str(tmp_path))
    with pytest.raises(patterns.PatternError, match=problem) as info:
        body.classify_line("Bình luận")
    assert "furniture.yaml" in str(info.value)
    if problem != "lacks required key":
        assert info.value.line is not None
