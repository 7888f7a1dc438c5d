"""Highlighting and escaping shared by the review notebook and the self-contained review page.

Article text is untrusted (scraped pages): every piece of it, and every title, quote and source, goes
through `esc` before it reaches HTML, and JSON embedded in a page goes through `script_json`.
Highlighting uses spaCy's displaCy `ent` renderer (manual spans), which escapes the text it is given;
labels and the spans themselves are ours and checked here first.
"""

from __future__ import annotations

import html
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Colours per fact type (displaCy-style pastel backgrounds); "citation" for cited documents.
TYPE_COLOURS: dict[str, str] = {
    "members_recruited": "#7aecec",
    "unions_established": "#bfeeb7",
    "money": "#feca74",
    "beneficiaries": "#ff9561",
    "participants": "#aa9cfc",
    "gifts": "#f0a8d0",
    "houses": "#c887fb",
    "party_referrals": "#ff8197",
    "party_admissions": "#e4e7d2",
    "citation": "#9cc9cc",
}
DEFAULT_COLOUR = "#dddddd"

# Vietnamese names of the fact types and money flows, for reviewers and report readers.
TYPE_LABELS: dict[str, str] = {
    "members_recruited": "Kết nạp đoàn viên",
    "unions_established": "Thành lập CĐCS",
    "money": "Tiền (đồng)",
    "beneficiaries": "Người được hỗ trợ",
    "participants": "Lượt người tham gia",
    "gifts": "Suất quà",
    "houses": "Nhà ở, Mái ấm CĐ",
    "party_referrals": "Giới thiệu cho Đảng",
    "party_admissions": "Được kết nạp Đảng",
    "citation": "Văn bản được trích dẫn",
}
FLOW_LABELS: dict[str, str] = {
    "disbursed": "chi hỗ trợ",
    "raised": "vận động, quyên góp",
    "benefit": "làm lợi",
    "loan": "cho vay",
    "other": "khác",
}
QUALIFIER_SIGNS = {"exact": "", "over": ">", "under": "<", "approx": "≈", "at_least": "≥", "range": ""}

# Characters that could reorder or hide the text around them (bidi embeddings, overrides, isolates
# and marks) or are not text at all (C0/C1 controls). Shown as U+FFFD, one for one, so offsets hold.
_UNSAFE = {
    *range(0x00, 0x09),
    0x0B,
    0x0C,
    *range(0x0E, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
}
_VISIBLE = {c: "\ufffd" for c in _UNSAFE}

# A paragraph longer than this is shown as a window around the fact.
MAX_CONTEXT = 1600


def visible(text: str) -> str:
    """The text with every direction-changing or control character replaced by U+FFFD (same length)."""
    return text.translate(_VISIBLE)


def esc(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; None and NaN become ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(visible(str(value)), quote=True)


def script_json(data: Any) -> str:
    """JSON safe to put inside <script>: no "</", "<!--", "]]>" or line separators can end or bend it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def fold(text: str) -> str:
    """Text for accent-insensitive search: no diacritics, đ as d, case-folded (as the page's JS does)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def colour_of(kind: str) -> str:
    return TYPE_COLOURS.get(kind, DEFAULT_COLOUR)


def label_of(kind: str) -> str:
    return TYPE_LABELS.get(kind, kind)


def format_number(value: Any) -> str:
    """Vietnamese digit grouping: 1.600.000.000 and 1,6."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(number):
        return str(number)
    if number == int(number):
        return f"{int(number):,}".replace(",", ".")
    whole, _, frac = f"{number:,.6f}".rstrip("0").partition(".")
    return whole.replace(",", ".") + "," + frac


def format_value(fact: Mapping[str, Any]) -> str:
    """A fact's value as a reviewer reads it: "> 1.600.000.000 đồng", "200.000–500.000 đồng/suất"."""
    qualifier = _text(fact.get("qualifier")) or "exact"
    value = format_number(fact.get("value"))
    value_max = format_number(fact.get("value_max"))
    shown = f"{value}–{value_max}" if value_max else value
    sign = QUALIFIER_SIGNS.get(qualifier, qualifier)
    unit = "đồng" if fact.get("type") == "money" else _text(fact.get("unit"))
    if unit and fact.get("per_unit") is True:
        unit += " (mỗi suất/người)"
    return " ".join(part for part in (sign, shown, unit) if part)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


@dataclass(frozen=True)
class Mark:
    """A highlighted stretch of text: offsets into the article text, a kind (fact type or "citation")."""

    start: int
    end: int
    kind: str
    label: str = ""
    focus: bool = False


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The lines (paragraphs) that hold text[start:end], cut to a window when very long."""
    start, end = _clamp(text, start, end)
    p_start = text.rfind("\n", 0, start) + 1
    nl = text.find("\n", end)
    p_end = len(text) if nl < 0 else nl
    if p_end - p_start > MAX_CONTEXT:
        half = max(0, (MAX_CONTEXT - (end - start)) // 2)
        p_start = max(p_start, start - half)
        p_end = min(p_end, end + half)
    return p_start, p_end


def sentence_bounds(text: str, sentence: str | None, start: int, end: int) -> tuple[int, int] | None:
    """Where the fact's sentence (as the facts table gives it) lies in the text around the fact."""
    start, end = _clamp(text, start, end)
    if not sentence:
        return None
    lo = max(0, start - len(sentence))
    at = text.find(sentence, lo, end + len(sentence))
    while at >= 0 and at <= start:
        if at + len(sentence) >= end:
            return at, at + len(sentence)
        at = text.find(sentence, at + 1, end + len(sentence))
    return None


def _clamp(text: str, start: Any, end: Any) -> tuple[int, int]:
    try:
        s, e = int(start), int(end)
    except (TypeError, ValueError):
        return 0, 0
    s = min(max(s, 0), len(text))
    e = min(max(e, s), len(text))
    return s, e


def choose_marks(marks: Iterable[Mark], lo: int, hi: int) -> list[Mark]:
    """Marks inside [lo, hi), cut to that window, without overlaps: focused marks win, then longer ones."""
    inside = []
    for m in marks:
        s, e = max(m.start, lo), min(m.end, hi)
        if s < e:
            inside.append(Mark(s, e, m.kind, m.label, m.focus))
    inside.sort(key=lambda m: (not m.focus, -(m.end - m.start), m.start))
    kept: list[Mark] = []
    for m in inside:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def _faded(colour: str) -> str:
    # Marks other than the one under review get a lighter background (hex colour with alpha).
    return colour + "66" if colour.startswith("#") and len(colour) == 7 else colour


def highlight(
    text: str, marks: Sequence[Mark], lo: int = 0, hi: int | None = None, *, cut: tuple[bool, bool] = (False, False)
) -> str:
    """HTML for text[lo:hi] with the marks highlighted (displaCy `ent` style, manual spans).

    `cut` says whether the text goes on before lo and after hi: an ellipsis shows it.
    """
    from spacy import displacy

    hi = len(text) if hi is None else hi
    lo, hi = _clamp(text, lo, hi)
    chosen = choose_marks(marks, lo, hi)
    piece = visible(text[lo:hi])
    ents = []
    colours: dict[str, str] = {}
    for m in chosen:
        # displaCy prints labels as given and keys colours by label: escape them here, and give the
        # mark under review its own label (★) so it keeps the full colour while the others are faded.
        label = esc(m.label or m.kind)
        if m.focus:
            label = "★ " + label
        colours[label.upper()] = colour_of(m.kind) if m.focus else _faded(colour_of(m.kind))
        ents.append({"start": m.start - lo, "end": m.end - lo, "label": label})
    markup = displacy.render(
        {"text": piece, "ents": ents, "title": None},
        style="ent",
        manual=True,
        jupyter=False,
        options={"colors": colours},
    )
    markup = str(markup)
    if cut[0]:
        at = markup.find(">") + 1
        markup = markup[:at] + "… " + markup[at:]
    if cut[1]:
        at = markup.rfind("</div>")
        markup = markup[:at] + " …" + markup[at:]
    return markup


# ---------------------------------------------------------------------------------------------
# Cards: one fact or citation in its sentence and paragraph


CSS = """
.vf-card{border:1px solid #d0d7de;border-radius:6px;padding:.6em .9em;margin:.7em 0;background:#fff;
  font-family:"DejaVu Sans","Noto Sans",Arial,sans-serif;line-height:1.5;color:#1f2328}
.vf-card header{display:flex;flex-wrap:wrap;gap:.5em;align-items:baseline}
.vf-badge{border-radius:.35em;padding:.1em .5em;font-weight:bold;font-size:.85em}
.vf-value{font-size:1.05em}
.vf-attr,.vf-meta,.vf-conf{color:#57606a;font-size:.85em}
.vf-id{font-size:.75em;color:#6e7781}
.vf-verdict{border-radius:.35em;padding:.1em .5em;font-size:.8em;color:#fff;background:#6e7781}
.vf-verdict-correct{background:#1a7f37}.vf-verdict-wrong{background:#cf222e}
.vf-verdict-corrected{background:#9a6700}
.vf-meta bdi,.vf-card .entities{unicode-bidi:isolate}
.vf-card details summary{cursor:pointer;color:#0969da;font-size:.85em}
.vf-card .entities{line-height:2.3!important}
.vf-legend span{display:inline-block;border-radius:.35em;padding:.1em .5em;margin:.15em;font-size:.85em}
"""


def _attrs(fact: Mapping[str, Any]) -> str:
    parts = [_text(fact.get("qualifier")), _text(fact.get("status"))]
    flow = _text(fact.get("flow"))
    if flow:
        parts.append(f"{flow} ({FLOW_LABELS.get(flow, flow)})")
    if fact.get("per_unit") is True:
        parts.append("per_unit")
    for key in ("subject", "period"):
        if _text(fact.get(key)):
            parts.append(f"{key}: {_text(fact.get(key))}")
    return " · ".join(p for p in parts if p)


def _meta_line(row: Mapping[str, Any]) -> str:
    bits = [f"<bdi>{esc(row.get('title'))}</bdi>" if _text(row.get("title")) else "<i>(không có tiêu đề)</i>"]
    for key in ("published", "province"):
        if _text(row.get(key)):
            bits.append(esc(row.get(key)))
    bits.append(f"<bdi>{esc(row.get('source'))}</bdi>")
    return " · ".join(bits)


def _verdict_badge(row: Mapping[str, Any]) -> str:
    verdict = _text(row.get("verdict"))
    if not verdict:
        return ""
    extra = f": {esc(row.get('corrections'))}" if _text(row.get("corrections")) else ""
    return f'<span class="vf-verdict vf-verdict-{esc(verdict)}">{esc(verdict)}{extra}</span>'


def _context(text: str, row: Mapping[str, Any], marks: Sequence[Mark], focus: Mark) -> str:
    """The sentence with the item highlighted, and its paragraph behind a disclosure."""
    start, end = _clamp(text, row.get("start"), row.get("end"))
    all_marks = [*marks, focus]
    p_lo, p_hi = paragraph_bounds(text, start, end)
    # A paragraph cut to a window around the fact says so at the cut ends.
    line_end = text.find("\n", end)
    cut = (p_lo > text.rfind("\n", 0, start) + 1, p_hi < (len(text) if line_end < 0 else line_end))
    paragraph = highlight(text, all_marks, p_lo, p_hi, cut=cut)
    sentence = sentence_bounds(text, _text(row.get("sentence")) or None, start, end)
    if sentence is None or sentence == (p_lo, p_hi):
        return f'<div class="vf-sentence">{paragraph}</div>'
    s_lo, s_hi = sentence
    return (
        f'<div class="vf-sentence">{highlight(text, all_marks, s_lo, s_hi)}</div>'
        f"<details><summary>Đoạn văn</summary>{paragraph}</details>"
    )


def _without_text(row: Mapping[str, Any], kind: str) -> str:
    """No article text to show: highlight the quote inside the sentence the table gives."""
    sentence = _text(row.get("sentence")) or _text(row.get("quote"))
    quote = _text(row.get("quote"))
    at = sentence.find(quote) if quote else -1
    marks = [Mark(at, at + len(quote), kind, kind, True)] if at >= 0 else []
    return f'<div class="vf-sentence">{highlight(sentence, marks)}</div>'


def _select(name: str, options: Sequence[str], current: str) -> str:
    opts = "".join(
        f'<option value="{esc(o)}"{" selected" if o == current else ""}>{esc(o) or "—"}</option>' for o in options
    )
    return f'<label>{esc(name)} <select name="{esc(name)}" data-orig="{esc(current)}">{opts}</select></label>'


def _plain_number(value: Any) -> str:
    """A number as JavaScript's Number() reads it back: 1600000000, 1.6."""
    if _text(value) == "":
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e18 else repr(number)


def _actions(item_id: Any, doc_id: Any, fact: Mapping[str, Any] | None) -> str:
    """Verdict buttons (and, for a fact, the fields to correct) that the page's script records."""
    fix = ""
    if fact is not None:
        value = _plain_number(fact.get("value"))
        kind = _text(fact.get("type"))
        fix = (
            '<details class="vf-fix"><summary>Sửa (corrected)</summary>'
            f'<label>value <input name="value" value="{esc(value)}" data-orig="{esc(value)}" size="16"></label>'
            f'<label>type <input name="type" value="{esc(kind)}" data-orig="{esc(kind)}" size="18"></label>'
            + _select("qualifier", tuple(QUALIFIER_SIGNS), _text(fact.get("qualifier")) or "exact")
            + _select("status", ("achieved", "target"), _text(fact.get("status")) or "achieved")
            + _select("flow", ("", *FLOW_LABELS), _text(fact.get("flow")))
            + '<button type="button" data-v="corrected">Lưu sửa</button></details>'
        )
    return (
        f'<div class="vf-actions" data-id="{esc(item_id)}" data-doc="{esc(doc_id)}">'
        '<button type="button" data-v="correct">Đúng</button>'
        '<button type="button" data-v="wrong">Sai</button>'
        f'{fix}<button type="button" data-v="reset" title="bỏ đánh giá">↺</button>'
        '<span class="vf-mark"></span></div>'
    )


def fact_card(
    row: Mapping[str, Any],
    text: str | None,
    marks: Sequence[Mark] = (),
    *,
    index: int | None = None,
    actions: bool = False,
) -> str:
    """A fact with its value, attributes and article, highlighted in its sentence and paragraph.

    With `actions`, buttons to record a verdict (the review page's script keeps them)."""
    kind = _text(row.get("type")) or "?"
    confidence = row.get("confidence")
    conf = "" if _text(confidence) == "" else f'<span class="vf-conf">độ tin cậy {float(confidence):.2f}</span>'
    start, end = row.get("start"), row.get("end")
    if text:
        s, e = _clamp(text, start, end)
        focus = Mark(s, e, kind, f"{kind}: {format_value(row)}", True)
        others = [m for m in marks if (m.start, m.end, m.kind) != (s, e, kind)]
        body = _context(text, row, others, focus)
    else:
        body = _without_text(row, kind)
    anchor = f' id="vf-{index}" data-i="{index}"' if index is not None else ""
    return (
        f'<article class="vf-card"{anchor}><header>'
        f'<span class="vf-badge" style="background:{colour_of(kind)}">{esc(kind)}</span>'
        f'<strong class="vf-value">{esc(format_value(row))}</strong>'
        f'<span class="vf-attr">{esc(_attrs(row))}</span>{conf}'
        f'<code class="vf-id">{esc(row.get("fact_id"))}</code>'
        f'<code class="vf-id">{esc(row.get("pattern"))}</code>{_verdict_badge(row)}'
        f'</header><div class="vf-meta">{_meta_line(row)}</div>{body}'
        f"{_actions(row.get('fact_id'), row.get('doc_id'), row) if actions else ''}</article>"
    )


def citation_label(row: Mapping[str, Any]) -> str:
    canonical = _text(row.get("canonical"))
    name = " ".join(p for p in (_text(row.get("doc_type")), canonical or _text(row.get("number"))) if p)
    return name or "?"


def citation_card(
    row: Mapping[str, Any],
    text: str | None,
    marks: Sequence[Mark] = (),
    *,
    index: int | None = None,
    actions: bool = False,
) -> str:
    """A cited document with its number, symbol, date and issuer, highlighted in its sentence."""
    details = [f"{k}: {_text(row.get(k))}" for k in ("symbol", "date", "issuer", "mentions") if _text(row.get(k))]
    if text:
        s, e = _clamp(text, row.get("start"), row.get("end"))
        focus = Mark(s, e, "citation", citation_label(row), True)
        others = [m for m in marks if (m.start, m.end) != (s, e)]
        body = _context(text, row, others, focus)
    else:
        body = _without_text(row, "citation")
    anchor = f' id="vf-{index}" data-i="{index}"' if index is not None else ""
    return (
        f'<article class="vf-card"{anchor}><header>'
        f'<span class="vf-badge" style="background:{colour_of("citation")}">citation</span>'
        f'<strong class="vf-value">{esc(citation_label(row))}</strong>'
        f'<span class="vf-attr">{esc(" · ".join(details))}</span>'
        f'<code class="vf-id">{esc(row.get("citation_id"))}</code>{_verdict_badge(row)}'
        f'</header><div class="vf-meta">{_meta_line(row)}</div>{body}'
        f"{_actions(row.get('citation_id'), row.get('doc_id'), None) if actions else ''}</article>"
    )


def legend(kinds: Iterable[str] = TYPE_COLOURS) -> str:
    spans = "".join(f'<span style="background:{colour_of(k)}">{esc(k)} · {esc(label_of(k))}</span>' for k in kinds)
    return f'<div class="vf-legend">{spans}</div>'


# ---------------------------------------------------------------------------------------------
# The self-contained page

_PAGE_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vf-data").textContent);
  var cards = document.querySelectorAll("article.vf-card[data-i]");
  var type = document.getElementById("vf-type"), province = document.getElementById("vf-province");
  var minConf = document.getElementById("vf-conf"), search = document.getElementById("vf-search");
  var count = document.getElementById("vf-count"), todo = document.getElementById("vf-todo");
  function fold(s) {
    return s.normalize("NFD").replace(/\p{M}/gu, "").replace(/\u0111/g, "d").replace(/\u0110/g, "D")
      .toLowerCase();
  }
  function apply() {
    var t = type.value, p = province.value, c = parseFloat(minConf.value), q = fold(search.value.trim());
    if (isNaN(c)) { c = 0; }
    var shown = 0;
    for (var k = 0; k < cards.length; k++) {
      var d = data[Number(cards[k].getAttribute("data-i"))];
      var ok = (!t || d.t === t) && (!p || d.p === p) && (d.c === null || d.c >= c) &&
               (!q || d.s.indexOf(q) >= 0) && (!todo.checked || !cards[k].hasAttribute("data-verdict"));
      cards[k].hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = String(shown);
  }
  // Filters live in the address too (#type=money&province=…&min=0.5&q=…), so a view can be shared.
  function fromHash() {
    var params = new URLSearchParams(location.hash.slice(1));
    if (params.has("type")) { type.value = params.get("type"); }
    if (params.has("province")) { province.value = params.get("province"); }
    if (params.has("min")) { minConf.value = params.get("min"); }
    if (params.has("q")) { search.value = params.get("q"); }
  }
  function toHash() {
    var params = new URLSearchParams();
    if (type.value) { params.set("type", type.value); }
    if (province.value) { params.set("province", province.value); }
    if (parseFloat(minConf.value) > 0) { params.set("min", minConf.value); }
    if (search.value.trim()) { params.set("q", search.value.trim()); }
    try { history.replaceState(null, "", "#" + params.toString()); } catch (e) { /* file: URLs may refuse */ }
  }
  // Verdicts: kept in this browser (localStorage) until downloaded as JSON lines for `vnfacts review import`.
  var storeKey = "vnfacts-review:" + document.getElementById("vf-data").getAttribute("data-key");
  var verdicts = {};
  try { verdicts = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { verdicts = {}; }
  var reviewer = document.getElementById("vf-reviewer");
  try { reviewer.value = localStorage.getItem("vnfacts-reviewer") || ""; } catch (e) { /* no storage */ }
  reviewer.addEventListener("change", function () {
    try { localStorage.setItem("vnfacts-reviewer", reviewer.value); } catch (e) { /* no storage */ }
  });
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(verdicts)); } catch (e) { /* no storage */ }
    document.getElementById("vf-done").textContent = String(Object.keys(verdicts).length);
  }
  function show(box) {
    var v = verdicts[box.getAttribute("data-id")];
    var card = box.closest("article");
    var mark = box.querySelector(".vf-mark");
    if (!v || v.verdict === "reset") {
      card.removeAttribute("data-verdict");
      mark.textContent = v ? "bỏ đánh giá" : "";
      return;
    }
    card.setAttribute("data-verdict", v.verdict);
    mark.textContent = v.verdict + (v.corrections ? " " + JSON.stringify(v.corrections) : "");
  }
  function corrections(box) {
    var changed = {}, fields = box.querySelectorAll("input[name], select[name]");
    for (var k = 0; k < fields.length; k++) {
      var f = fields[k];
      if (f.value === f.getAttribute("data-orig")) { continue; }
      if (f.name === "value") {
        var n = Number(f.value.replace(/\s/g, "").replace(",", "."));
        if (!f.value.trim() || !isFinite(n)) { return "value: không phải số"; }
        changed.value = n;
      } else {
        changed[f.name] = f.value === "" ? null : f.value;
      }
    }
    return Object.keys(changed).length ? changed : "không có gì thay đổi";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-v]");
    if (!button) { return; }
    var box = button.closest(".vf-actions"), verdict = button.getAttribute("data-v");
    var record = {id: box.getAttribute("data-id"), doc_id: box.getAttribute("data-doc"), verdict: verdict,
                  corrections: null, reviewer: reviewer.value || null, at: new Date().toISOString()};
    if (verdict === "corrected") {
      var c = corrections(box);
      if (typeof c === "string") { box.querySelector(".vf-mark").textContent = c; return; }
      record.corrections = c;
    }
    verdicts[record.id] = record;
    save();
    show(box);
    apply();
  });
  document.getElementById("vf-download").addEventListener("click", function () {
    var lines = Object.keys(verdicts).map(function (k) { return JSON.stringify(verdicts[k]); });
    var blob = new Blob([lines.join("\n") + (lines.length ? "\n" : "")], {type: "application/x-ndjson"});
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "verdicts.jsonl";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
  var boxes = document.querySelectorAll(".vf-actions");
  for (var b = 0; b < boxes.length; b++) { show(boxes[b]); }
  save();
  [type, province, minConf, search, todo].forEach(function (el) {
    el.addEventListener("input", function () { apply(); toHash(); });
    el.addEventListener("change", function () { apply(); toHash(); });
  });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
})();
"""

_NO_PROVINCE = "(không rõ)"


def _options(values: Iterable[str], all_label: str) -> str:
    opts = [f'<option value="">{esc(all_label)}</option>']
    opts += [f'<option value="{esc(v)}">{esc(v)}</option>' for v in values]
    return "".join(opts)


def review_page(
    facts: Sequence[Mapping[str, Any]],
    citations: Sequence[Mapping[str, Any]],
    texts: Mapping[str, str],
    *,
    marks_by_doc: Mapping[str, Sequence[Mark]] | None = None,
    title: str = "vnfacts review",
    total_facts: int | None = None,
) -> str:
    """One HTML page, no external resources: fact and citation cards, filters in plain JS."""
    import base64
    import hashlib

    marks_by_doc = marks_by_doc or {}
    cards: list[str] = []
    index: list[dict[str, Any]] = []
    for row in facts:
        doc = _text(row.get("doc_id"))
        cards.append(fact_card(row, texts.get(doc), marks_by_doc.get(doc, ()), index=len(index), actions=True))
        index.append(_index_entry(row, _text(row.get("type")), row.get("confidence")))
    n_facts = len(cards)
    for row in citations:
        doc = _text(row.get("doc_id"))
        cards.append(citation_card(row, texts.get(doc), marks_by_doc.get(doc, ()), index=len(index), actions=True))
        index.append(_index_entry(row, "citation", None))
    types = sorted({e["t"] for e in index} - {"citation"}) + (["citation"] if citations else [])
    provinces = sorted({e["p"] for e in index})
    digest = base64.b64encode(hashlib.sha256(_PAGE_JS.encode("utf-8")).digest()).decode("ascii")
    # Verdicts made on this page are kept in the browser under a key of this output's items.
    ids = "\n".join(
        sorted(_text(r.get("fact_id")) for r in facts) + sorted(_text(r.get("citation_id")) for r in citations)
    )
    store_key = hashlib.sha256(f"{title}\n{ids}".encode()).hexdigest()[:16]
    total = total_facts if total_facts is not None else n_facts
    shown_note = (
        f"{n_facts} sự kiện (facts) có độ tin cậy thấp nhất trong {total}"
        if n_facts < total
        else f"{n_facts} sự kiện (facts)"
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body{{margin:0 auto;max-width:70em;padding:1em;font-family:"DejaVu Sans","Noto Sans",Arial,sans-serif;
  background:#f6f8fa}}
.vf-filters{{position:sticky;top:0;background:#f6f8fa;padding:.5em 0;display:flex;flex-wrap:wrap;gap:.8em;
  align-items:center;border-bottom:1px solid #d0d7de;z-index:1}}
.vf-filters label{{font-size:.9em}}
.vf-tools{{position:static;border-bottom:none}}
.vf-actions{{margin-top:.4em;display:flex;flex-wrap:wrap;gap:.4em;align-items:center;font-size:.9em}}
.vf-fix label{{margin-right:.5em}}
.vf-mark{{font-weight:bold}}
article[data-verdict="correct"]{{border-left:6px solid #1a7f37}}
article[data-verdict="wrong"]{{border-left:6px solid #cf222e}}
article[data-verdict="corrected"]{{border-left:6px solid #9a6700}}
[hidden]{{display:none!important}}
{CSS}
</style></head>
<body>
<h1>{esc(title)}</h1>
<p>{esc(shown_note)}, {len(citations)} trích dẫn văn bản (citations); độ tin cậy thấp nhất trước.</p>
{legend([*types] if types else TYPE_COLOURS)}
<form class="vf-filters" onsubmit="return false">
<label>Loại <select id="vf-type">{_options(types, "tất cả")}</select></label>
<label>Tỉnh/thành <select id="vf-province">{_options(provinces, "tất cả")}</select></label>
<label>Độ tin cậy ≥
 <input id="vf-conf" type="number" min="0" max="1" step="0.05" value="0" style="width:5em"></label>
<label>Tìm <input id="vf-search" type="search" placeholder="từ khoá, nguồn…"></label>
<label><input id="vf-todo" type="checkbox"> chưa duyệt</label>
<span>Hiển thị <b id="vf-count">{len(index)}</b> / {len(index)}</span>
</form>
<div class="vf-filters vf-tools">
<label>Người duyệt <input id="vf-reviewer" size="14"></label>
<span>Đã đánh giá trên trang này: <b id="vf-done">0</b></span>
<button type="button" id="vf-download">Tải verdicts.jsonl</button>
<span class="vf-help">rồi: <code>vnfacts review import OUT verdicts.jsonl</code></span>
</div>
<main>
{"".join(cards)}
</main>
<script type="application/json" id="vf-data" data-key="{store_key}">{script_json(index)}</script>
<script>{_PAGE_JS}</script>
</body></html>
"""


def _index_entry(row: Mapping[str, Any], kind: str, confidence: Any) -> dict[str, Any]:
    conf = None if _text(confidence) == "" else round(float(confidence), 4)
    haystack = " ".join(
        _text(row.get(k))
        for k in ("quote", "sentence", "title", "source", "doc_type", "canonical", "pattern", "fact_id")
    )
    return {
        "t": kind,
        "p": _text(row.get("province")) or _NO_PROVINCE,
        "c": conf,
        "s": fold(visible(haystack)),
    }
