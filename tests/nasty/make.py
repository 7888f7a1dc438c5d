"""Writes the nasty corpus in this folder: `python tests/nasty/make.py`.

The files are kept in the repository; this says how their bytes were made (README.md says what each one
is for). Large inputs (a 200 MB file, megabyte lines) are made by the tests themselves.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
P1 = (
    "Năm 2021, Liên đoàn Lao động tỉnh đã kết nạp mới 5.518 đoàn viên, thành lập được 08 công đoàn cơ sở; "
    "tổ chức thăm hỏi, tặng quà cho gần 39 nghìn đoàn viên, người lao động với tổng số tiền gần 14 tỷ đồng."
)
P2 = (
    "Thực hiện Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị, Công đoàn đã trao 1.553 suất quà Tết "
    "cho đoàn viên có hoàn cảnh khó khăn, với tổng trị giá trên 1,6 tỷ đồng."
)
TITLE = "LĐLĐ tỉnh tổng kết công tác công đoàn năm 2021"
TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese pages write it: letters it lacks as base letter + combining tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONES))
            out += (base + "".join(c for c in nfd if c in TONES)).encode("cp1258")
    return bytes(out)


def w(name: str, data: str | bytes) -> None:
    (HERE / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def plain_text() -> None:
    w(
        "invisible.txt",
        f"{TITLE}\u200b\n\n"
        "Năm\u00a02021,\u200b Liên\u00ad đoàn\u200c Lao\u200d động\u2060 tỉnh\ufeff đã kết nạp mới 5\u202f518 đoàn "
        "viên, thành lập được 08 công\u200e đoàn\u200f cơ sở; tặng quà cho gần 39\u00a0nghìn đoàn viên với tổng số "
        "tiền gần 14\u2009tỷ đồng.\u2028Dòng mới\u2029đoạn mới\u0085hết.\n\n"
        "Trái\u202ephải\u202c, \u2066cô lập\u2069, \u061cArabic mark, \u180e, \U000e0041tag.\n\n" + P2 + "\n",
    )
    w(
        "controls.txt",
        f"{TITLE}\n\n" + P1.replace(", ", ",\x01 ", 1).replace("đã", "\x1bđã", 1) + "\x7f\x85\x9f\n\n" + P2 + "\n",
    )
    stacked = "Z" + "".join(chr(c) for c in range(0x0301, 0x030D)) + "\u0323\u0324"
    w(
        "combining.txt",
        "LĐLĐ tỉnh tổng kết công tác năm 2021\n\n"
        + unicodedata.normalize("NFD", P1)
        + "\n\n"
        + stacked * 40
        + " 5 đoàn viên.\n\n"
        + "\u0301\u0301\u0301 dấu đứng đầu dòng.\n\n"
        + P2
        + "\n",
    )
    w(
        "eth_for_d.txt",
        "LÐLÐ tỉnh trao quà Tết cho ðoàn viên\n\n"
        "Năm 2021, LÐLÐ tỉnh ðã kết nạp mới 1.234 ðoàn viên công ðoàn và giới thiệu 56 ðoàn viên ưu tú cho Ðảng "
        "xem xét kết nạp; 659 ðoàn viên ðược kết nạp Ðảng.\n\n"
        "Các cấp công ðoàn ðã trao 2.000 suất quà Tết, tổng trị giá trên 1,2 tỷ ðồng.\n",
    )
    w(
        "numbers_maze.txt",
        "Những con số lạ\n\n"
        "Kết nạp 1.2.3,4,5 đoàn viên; 1,000.000,00 đồng; ١٢٣ đoàn viên; １２３ suất quà; ½ suất; 5² người; "
        "1e308 đồng; 99999999999999999999999999999999999999 đồng; -0 đoàn viên; 0,0000001 tỷ đồng; "
        "1.000.000.000.000.000.000.000 đồng.\n\n"
        "Hỗ trợ từ 5 đến 3 triệu đồng; từ 1 đến đến 2; hơn hơn 5 triệu; 10/10/10/10/10 đoàn viên; 1-2-3-4-5 suất "
        "quà; 1.2,3/4-1.2,3/4-1.2,3/4- đồng; 1 000 000 000 000 000 đồng; ,,,...///--- đồng; 00000000000000000005 "
        "đoàn viên.\n\n"
        "Tổng số tiền: đồng. Trị giá: triệu. Kết nạp: đoàn viên. 5 5 5 5 5 5 5 5 5 5 5 5 triệu triệu triệu tỷ tỷ "
        "nghìn.\n",
    )
    w(
        "citations_maze.txt",
        "Những văn bản lạ\n\n"
        "Theo Nghị quyết số, Nghị quyết số số số, Nghị quyết số 02-NQ/TW/TW/TW/TW/TW/TW, Quyết định số "
        "1/QĐ-/-/-/-, Chỉ thị số 99999999/CT-TW ngày 31/2/2021, Thông tư ngày 99/99/9999 của của của Bộ Bộ Bộ, "
        "Nghị quyết 02 (((((((((( của Bộ Chính trị, Luật Công đoàn Luật Công đoàn Luật Công đoàn năm 2012 2012 "
        "2012.\n\n"
        "Kế hoạch số 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20/KH-LĐLĐ "
        "ngày 1/1/2021, 2/2/2021; Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị “về đổi mới tổ chức "
        "và hoạt động của Công đoàn Việt Nam trong tình hình mới (không đóng ngoặc.\n",
    )
    w(
        "scripts_mixed.txt",
        "Công đoàn và bạn bè quốc tế — النقابة — איגוד — 工会 — Профсоюз\n\n"
        "Đoàn đại biểu Công đoàn Việt Nam (العربية) đã trao 12 suất quà cho công nhân; "
        "Guðmundsson ÐÆÞ þorp; İstanbul ǅemal ß ﬁ ﬂ Ⅻ Ⓐ 𝟏𝟐 đoàn viên; "
        "😀👩‍👩‍👧‍👦🇻🇳 kết nạp 7 đoàn viên.\n\n" + P2 + "\n",
    )
    w("line_endings.txt", f"{TITLE}\r\n\r\n" + P1 + "\r\r" + P2 + "\n\r\n\u2028\u2029\x0b\x0c" + "Hết.\r")
    w(
        "markup_in_text.txt",
        "<script>alert('tiêu đề')</script> Công đoàn trao quà <img src=x onerror=alert(1)>\n\n"
        "Công đoàn đã trao 124 suất quà </script><script>document.title='pwned'</script> cho công nhân "
        "và kết nạp 30 đoàn viên <b onmouseover=alert(2)>mới</b>; &lt;script&gt; &amp;amp; ]]> <!-- --> `${x}` "
        "{{x}}.\n\n" + P2 + "\n",
    )
    w(
        "only_furniture.txt",
        "Trang chủ\n\nTin tức\n\nĐăng nhập\n\nTin liên quan\n\nBình luận\n\nChia sẻ\n\n"
        "Bản quyền thuộc về Liên đoàn Lao động tỉnh\n",
    )
    w("whitespace_only.txt", " \t\n\u00a0\u200b\n\r\n\u3000 \n")
    w("one_character.txt", "5")
    w("very_long_title.txt", ("Tiêu đề rất dài " * 300).strip() + "\n\n" + P1 + "\n")


def bytes_to_refuse_or_decode() -> None:
    article = f"{TITLE}\n\n" + P1 + "\n\n" + P2 + "\n"
    w("nul_bytes.txt", (f"{TITLE}\n\n" + P1 + "\n").encode("utf-8").replace("đã".encode(), b"\x00\x00", 1))
    w(
        "bad_utf8_in_middle.txt",
        (f"{TITLE}\n\n" + P1 + "\n").encode("utf-8")[:150] + b"\xff\xfe\xc3\x28" + (P2 + "\n").encode("utf-8"),
    )
    w("utf16_bom.txt", article.encode("utf-16"))
    w("cp1258.txt", cp1258(article))
    w("utf8_bom.txt", b"\xef\xbb\xbf" + article.encode("utf-8"))
    w("latin1_not_vietnamese.txt", "Café déjà vu, naïve façade - ½ £ ¥ ©\n\nRésumé über straße.\n".encode("latin-1"))
    w("binary_png.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    w("empty.txt", b"")


def html_pages() -> None:
    w(
        "hostile_page.html",
        '<!DOCTYPE html><html><head><meta charset="utf-8">\n'
        '<title>&lt;script&gt;alert("title")&lt;/script&gt; Công đoàn \u202eđồng 000.005\u202c trao quà '
        "<img src=x onerror=alert(1)></title>\n"
        "<meta property=\"og:title\" content=\"&quot;&gt;&lt;script&gt;alert('og')&lt;/script&gt;\">\n"
        '<script>document.title = "pwned";</script><style>body{display:none}</style></head>\n'
        "<body onload=\"alert('onload')\"><nav><a href=\"javascript:alert(1)\">Trang chủ</a></nav>\n"
        '<article><h1>&lt;script&gt;alert("h1")&lt;/script&gt; Công đoàn tỉnh trao quà Tết</h1>\n'
        "<p>Ngày 9/2, Công đoàn tỉnh đã trao 1.553 suất quà Tết cho đoàn viên &lt;img src=x onerror=alert(3)&gt; "
        "có hoàn cảnh\nkhó khăn, với tổng trị giá trên 1,6 tỷ đồng.<!-- a comment with <script>alert(4)</script> "
        "--></p>\n"
        "<p>Thực hiện Nghị quyết số 02-NQ/TW ngày 12/6/2021 của Bộ Chính trị, các cấp công đoàn đã kết nạp 320 "
        "đoàn viên\nmới &amp;amp; \u202ethành lập 12 công đoàn cơ sở\u202c.</p>\n"
        '<svg onload="alert(5)"><text>svg</text></svg><iframe src="javascript:alert(6)"></iframe>\n'
        "<p>Chi tiết: &#x3C;/script&#x3E;&#60;script&#62;alert(7)&#60;/script&#62; và &#0; &#xD800; &bogus; "
        "&</p></article>\n<footer>Bản quyền</footer></body></html>\n",
    )
    w(
        "unclosed_markup.html",
        "<html><body><p>Công đoàn tỉnh đã trao 200 suất quà cho đoàn viên khó khăn trong dịp Tết "
        "Nguyên đán, tổng trị giá 100 triệu đồng.</p>"
        + "<div><span><a href='" * 200
        + "<!-- never closed "
        + "<a " * 500
        + "</" * 200
        + "<?" * 200,
    )
    w(
        "declared_cp1258.html",
        cp1258(
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
            "<title>Công đoàn trao quà</title></head><body><p>" + P1 + "</p><p>" + P2 + "</p></body></html>"
        ),
    )
    w(
        "wrong_declared_charset.html",
        '<html><head><meta charset="shift_jis"><title>Công đoàn</title></head><body><p>' + P1 + "</p></body></html>",
    )
    w(
        "no_body.html",
        "<html><head><title>Chỉ có tiêu đề</title><script>var x = '<p>không phải văn bản</p>';</script>"
        "</head></html>",
    )


def json_lines() -> None:
    def record(**fields: object) -> str:
        return json.dumps(fields, ensure_ascii=False)

    hostile_title = "<script>alert('jsonl')</script>\u202e dlrow \u202c<img src=x onerror=alert(8)>"
    page = "<html><body><p>" + P2 + "</p><script>alert(10)</script></body></html>"
    lines = [
        record(id="hostile-title", title=hostile_title, published="2022-02-09", url="javascript:alert(9)",
               text=P1 + "\n\n" + P2),
        '{"id": "lone-surrogates", "title": "T\\ud800", "text": "' + P1 + '\\udfff \\ud83d\\ude00 ' + '"}',
        json.dumps({"id": "nul-in-text", "text": P1.replace(" ", "\u0000", 3)}),  # \u0000 escapes
        record(id="html-record", title="Trang HTML", text=page),
        record(id="content-key", content=P2),
        record(id="empty-text", text="   "),
        record(id="text-is-number", text=42),
        record(id="no-text", title="thiếu nội dung"),
        json.dumps([1, 2, 3]),
        '{"id": "truncated", "text": "Công đoàn đã kết',
        "[" * 5_000 + "]" * 5_000,
        '{"id": "huge-int", "n": ' + "9" * 5000 + ', "text": "x"}',
        record(id={"nested": "object"}, text=P2),
        record(id=True, text=P2),
        record(id=3.5, text=P2),
        record(id="dup", text=P1),
        record(id="dup", text=P2),
        "",
        "   ",
    ]  # fmt: skip
    w("records.jsonl", "\ufeff" + "\r\n".join(lines) + "\r\n")
    w("records_utf16.jsonl", (record(id="a", text=P1) + "\n").encode("utf-16"))


if __name__ == "__main__":
    plain_text()
    bytes_to_refuse_or_decode()
    html_pages()
    json_lines()
