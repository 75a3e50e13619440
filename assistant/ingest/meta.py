"""What a document is: title, issuer, 文号, date, level, place and status, read from its own lines, with
any field a sidecar `<file>.meta.json` (or `<stem>.meta.json`) gives taking precedence.

- Title: the first heading line, however it wrapped (reflow joins a wrapped title). For a wrapper
  notice — 关于印发《X》的通知, 关于《X》的公示, 关于征求《X》意见的公告 — the document is X. A news item
  that opens with a lead sentence names its document in 《…》.
- Issuer, 文号 and date: from a corpus header line (`issuer｜文号｜date`), a database export's fields
  (发布部门：/发布日期：), the lines before the body, and the signature block at the end.
- Level (国家/省/市/区县) and place: from the title, the issuer and the 文号's prefix (苏建办 -> 江苏).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from ..schema import DocMeta, Level
from .base import DOC_KINDS, IngestError

SIDECAR_SUFFIX = ".meta.json"
HEAD_LINES = 12  # lines before the body where the title, issuer and 文号 are looked for
TAIL_LINES = 6  # lines of the signature block
TITLE_MAX = 100

# The provincial-level divisions (省, 自治区, 直辖市, 特别行政区): standard names, not a list of questions.
PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
MUNICIPALITIES = ("北京", "天津", "上海", "重庆")  # cities at provincial level
# One-character 文号 prefixes of the provincial-level divisions (苏政发, 浙政办, 冀发 …).
_ABBREVIATIONS = {
    "京": "北京",
    "津": "天津",
    "沪": "上海",
    "渝": "重庆",
    "冀": "河北",
    "晋": "山西",
    "辽": "辽宁",
    "吉": "吉林",
    "黑": "黑龙江",
    "苏": "江苏",
    "浙": "浙江",
    "皖": "安徽",
    "闽": "福建",
    "赣": "江西",
    "鲁": "山东",
    "豫": "河南",
    "鄂": "湖北",
    "湘": "湖南",
    "粤": "广东",
    "琼": "海南",
    "川": "四川",
    "黔": "贵州",
    "滇": "云南",
    "陕": "陕西",
    "甘": "甘肃",
    "青": "青海",
    "蒙": "内蒙古",
    "桂": "广西",
    "藏": "西藏",
    "宁": "宁夏",
    "新": "新疆",
}

_HEADER_SEPARATOR = re.compile(r"[｜|]")
DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})\s*[〔［\[（(]\s*(\d{4})\s*[〕］\])）]\s*(\d{1,4})\s*号")
_DATE = re.compile(r"(\d{4})\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|[.\-/](\d{1,2})[.\-/](\d{1,2}))")
_CN_DATE = re.compile(
    r"^([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)
_QUOTED = re.compile(r"《([^《》]{4,80})》")
_DOC_KIND = re.compile(f"({DOC_KINDS})[)）]?$")
_WRAPPER = re.compile(
    r"关于(?:印发|发布|转发|公布|征求)?《?(?P<x>.+?)》?(?:意见)?的(?:通知|公示|公告|函|批复|决定)(?:[（(].*[）)])?$"
    r"|(?:出台|印发|发布|公布)《(?P<y>.+)》$"
)
_QUOTED_LINE = re.compile(r"《([^《》]{4,80})》\s*(?:[（(][^（）()]{1,10}[）)])?\s*[\u4e00-\u9fff]{0,4}")
_ISSUED = re.compile(r"(?:现将|印发|发布|公布|出台)《([^《》]{4,80})》|《([^《》]{4,80})》(?=已经|已由|印发|发布)")
_ISSUER_END = re.compile(
    r"(人民政府|人民代表大会常务委员会|委员会|办公厅|办公室|政府|厅|局|部|委|院|中央|中心|管委会|公司)$"
)
_FIELD = re.compile(
    r"^(发布部门|发文机关|发布机关|制定机关|发布日期|发文日期|成文日期|实施日期|文号|发文字号)[:：]\s*(.*)$"
)
_NATIONAL = re.compile(
    r"国务院|中共中央|全国人民代表大会|国家[\u4e00-\u9fff]{0,8}(委|局|部|署|院)|[\u4e00-\u9fff]{1,8}部令|^(生态环境|财政|工业和信息化|住房和城乡建设|交通运输|自然资源|商务|科学技术)部"
)


def read_meta(path: Path, text: str) -> tuple[DocMeta, str]:
    """The document's metadata and where it came from ("inferred", or "sidecar" when a sidecar gave fields)."""
    inferred = infer_meta([ln.strip() for ln in text.split("\n") if ln.strip()])
    sidecar = sidecar_of(Path(path))
    if sidecar is None:
        return inferred, "inferred"
    given = _load_sidecar(sidecar)
    return inferred.model_copy(update={f: getattr(given, f) for f in given.model_fields_set}), "sidecar"


def sidecar_of(path: Path) -> Path | None:
    """`X.pdf.meta.json` beside the file, else `X.meta.json`."""
    for candidate in (path.with_name(path.name + SIDECAR_SUFFIX), path.with_name(path.stem + SIDECAR_SUFFIX)):
        if candidate.is_file():
            if not candidate.resolve().is_relative_to(candidate.parent.resolve()):
                raise IngestError(
                    f"metadata sidecar {candidate} links to {candidate.resolve()}, outside the document's folder; "
                    "copy the file in instead of linking it"
                )
            return candidate
    return None


def _load_sidecar(sidecar: Path) -> DocMeta:
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8-sig"))
        return DocMeta.model_validate(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as err:
        raise IngestError(
            f"metadata sidecar {sidecar} is malformed ({err}); fix the JSON or delete the file "
            f"to let the document's own header be used"
        ) from err


def infer_meta(lines: list[str]) -> DocMeta:
    head = _head(lines)
    tail = lines[-TAIL_LINES:] if len(lines) > HEAD_LINES else []
    fields = _fields(head)
    issuer, doc_number, date = _header_line(lines[1] if len(lines) > 1 else "")
    wrapper = lines[0] if lines else ""
    title = title_of(head)
    issuer = (
        issuer
        or fields.get("issuer", "")
        or _issuer_of_title(head)
        or _decree_issuer(head)
        or _signature_issuer(tail)
        or _signature_issuer(head)
    )
    doc_number = doc_number or fields.get("doc_number", "") or _first_doc_number(head + tail, own=True)
    date = date or fields.get("date", "") or _signature_date(tail) or _first_date(head)
    sources = [title, issuer, wrapper] + [ln for ln in head if _heading_like(ln) and not ln.startswith("各")]
    return DocMeta(
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        date=date,
        level=level_of(sources, lines),
        place=place_of(sources) or place_of_doc_number(doc_number) or _place_named_in(lines),
        status=_status_of(lines[:3]),
    )


def _head(lines: list[str]) -> list[str]:
    """The lines before the body: up to the first numbered clause, at most HEAD_LINES."""
    from ..parse import match_marker

    out = []
    for line in lines[:HEAD_LINES]:
        if match_marker(line) is not None:
            break
        out.append(line.strip())
    return out


# --------------------------------------------------------------------------- title


def title_of(head: list[str]) -> str:
    """The document's title among its first lines; where characters were lost at its wrap (…碳中和工 /
    实施意见》), the whole of it as another first line quotes it (…碳中和工作的实施意见》)."""
    title = _title_of(head)
    # a document the head says is issued (出台《X》, 印发《X》), not one it cites (根据《X》)
    quoted = [x for ln in head for m in _ISSUED.finditer(ln) if _DOC_KIND.search(x := m.group(1) or m.group(2))]
    return next((q for q in quoted if _lost_from(title, q)), title)


def _lost_from(title: str, whole: str) -> bool:
    """`title` is `whole` less a few characters: same first and last two, the rest in order."""
    if not title or len(whole) <= len(title) or len(title) < 0.8 * len(whole) or title[:2] != whole[:2]:
        return False
    if title[-2:] != whole[-2:]:
        return False
    rest = iter(whole)
    return all(ch in rest for ch in title)


def _title_of(head: list[str]) -> str:
    candidates = [ln for ln in head if _heading_like(ln)]
    issued = [x for ln in head for m in _ISSUED.finditer(ln) if _DOC_KIND.search(x := m.group(1) or m.group(2))]
    cited = {m for ln in head for m in _QUOTED.findall(ln) if _DOC_KIND.search(m)}
    for line in candidates:  # a line that is itself the document another line cites
        if line in cited:
            return line
        quoted = _QUOTED_LINE.fullmatch(line)  # 《X》（征求意见稿）全文
        if quoted and _DOC_KIND.search(quoted.group(1)):
            return quoted.group(1)
    for line in candidates:
        wrapped = unwrap(line)
        if wrapped != line:
            return wrapped
    if issued:  # 现将《X》印发给你们: the notice is a wrapper, the document is X
        return issued[0]
    first = head[0] if head else ""
    if first and not _heading_like(first):  # a news lead: the document it names
        named = [m for m in _QUOTED.findall(first) if _DOC_KIND.search(m)]
        if named:
            return named[0]
    if candidates:
        return candidates[0]
    named = [m for ln in head for m in _QUOTED.findall(ln) if _DOC_KIND.search(m)]
    return named[0] if named else first[:TITLE_MAX]


def unwrap(title: str) -> str:
    """关于印发《X》的通知 -> X; 国务院关于印发X的通知（附：X） -> X; anything else unchanged."""
    m = _WRAPPER.search(title)
    if not m:
        return title
    inner = (m.group("x") or m.group("y")).strip("《》 ")
    return inner if _DOC_KIND.search(inner) and len(inner) >= 4 else title


def _heading_like(line: str) -> bool:
    """A title line: short, not a sentence, not a 文号, date, field or salutation."""
    s = line.strip()
    if not s or len(s) > TITLE_MAX or re.search(r"[。！？]|[，,].*[，,]", s) or s.endswith(("：", ":", "，", "、")):
        return False
    if _FIELD.match(s) or _DATE.fullmatch(s) or _CN_DATE.match(s):
        return False
    if re.fullmatch(r"[（(〔].*[）)〕]", s):  # （此件公开发布）, （第八十二号）
        return False
    bare = DOC_NUMBER.sub("", s).strip("（）() ")
    return len(bare) >= 4 and not re.fullmatch(r"[（(]?第?[一二三四五六七八九十百零〇\d]+号[）)]?", bare)


# --------------------------------------------------------------------------- issuer, 文号, date


def _header_line(line: str) -> tuple[str, str, str]:
    """Issuer, 文号 and date from a corpus header line `issuer｜文号｜date` (fields in any order)."""
    fields = [field.strip() for field in _HEADER_SEPARATOR.split(line)]
    if len(fields) < 2 or not fields[0] or len(fields[0]) > 60 or "。" in fields[0]:
        return "", "", ""
    doc_number = date = ""
    for field in fields[1:]:
        doc_number = doc_number or _first_doc_number([field])
        date = date or _first_date([field])
    return fields[0], doc_number, date


def _fields(head: list[str]) -> dict[str, str]:
    """发布部门：… / 发布日期：… lines of a database export."""
    out: dict[str, str] = {}
    for line in head:
        m = _FIELD.match(line)
        if not m:
            continue
        name, value = m.group(1), m.group(2).strip()
        if name in ("发布部门", "发文机关", "发布机关", "制定机关") and value:
            out.setdefault("issuer", re.sub(r"\s+", " ", value))
        elif name in ("发布日期", "发文日期", "成文日期"):
            out.setdefault("date", _first_date([value]))
        elif name in ("文号", "发文字号"):
            out.setdefault("doc_number", _first_doc_number([value]))
    return {k: v for k, v in out.items() if v}


def _first_doc_number(lines: list[str], own: bool = False) -> str:
    """The first 文号; with `own`, only one standing on its line (not one a sentence cites)."""
    for line in lines:
        if own and len(DOC_NUMBER.sub("", line).strip("（）()　 ")) > 6:
            continue
        for m in DOC_NUMBER.finditer(line):
            prefix = re.sub(r"^(关于|印发|根据|按照|依据)", "", m.group(1))
            if 1 <= len(prefix) <= 8 and not prefix.endswith("第"):
                return f"{prefix}〔{m.group(2)}〕{m.group(3)}号"
    return ""


def _first_date(lines: list[str]) -> str:
    for line in lines:
        m = _DATE.search(line)
        if m:
            month, day = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
            return f"{m.group(1)}年{int(month)}月{int(day)}日"
    return ""


def _signature_date(tail: list[str]) -> str:
    for line in reversed(tail):
        s = line.strip().strip("（）()")
        if _DATE.fullmatch(s.replace(" ", "")):
            return _first_date([s])
        m = _CN_DATE.match(s.replace(" ", ""))
        if m:
            return _cn_date(m)
    return ""


def _cn_date(m: re.Match) -> str:
    digits = str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9")
    year = m.group(1).translate(digits)
    return f"{year}年{_cn_number(m.group(2))}月{_cn_number(m.group(3))}日"


def _cn_number(text: str) -> int:
    values = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + values.get(text[1:], 0)
    if text.endswith("十"):
        return values.get(text[0], 0) * 10
    if "十" in text:
        tens, ones = text.split("十")
        return values.get(tens, 0) * 10 + values.get(ones, 0)
    return values.get(text, 0)


def _signature_issuer(tail: list[str]) -> str:
    """The body signing the document: the short line before its date at the end."""
    for i in range(len(tail) - 1, 0, -1):
        if _signature_date([tail[i]]):
            name = tail[i - 1].strip()
            if 2 <= len(name) <= 40 and "。" not in name and _ISSUER_END.search(name):
                return name
    return ""


_DECREE = re.compile(r"^(?:中华人民共和国)?(.{2,30}?(?:委员会|人民政府|政府|部|厅|局|办公室|办公厅))(?:令|公告)")


def _decree_issuer(head: list[str]) -> str:
    """生态环境部令 -> 生态环境部; 某市人民代表大会常务委员会公告 -> 某市人民代表大会常务委员会."""
    for line in head:
        m = _DECREE.match(line.strip())
        if m and _heading_like(line):
            return m.group(1)
    return ""


def _issuer_of_title(head: list[str]) -> str:
    """省住房城乡建设厅关于… -> 省住房城乡建设厅: the body named before 关于 in the first heading line."""
    for line in head:
        if not _heading_like(line):
            continue
        before = line.split("关于", 1)[0] if "关于" in line else ""
        before = re.sub(r"(出台|印发|发布)$", "", before)
        if 2 <= len(before) <= 30 and _ISSUER_END.search(before.replace("、", "").replace(" ", "") + ""):
            return before.strip()
        return ""
    return ""


# --------------------------------------------------------------------------- level and place


def level_of(sources: list[str], lines: list[str]) -> Level:
    """国家 / 省 / 市 / 区县, from the title, issuer and wrapper line; else from how the text speaks of
    its own area (全省, 全市, 全区)."""
    for text in sources:
        found = locate(text)[1]
        if found:
            return found
    body = "".join(lines[:60])
    counts = {
        "省": body.count("全省") + body.count("我省"),
        "市": body.count("全市") + body.count("我市"),
        "区县": body.count("全区") + body.count("我区") + body.count("全县") + body.count("我县"),
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= 2 else ""  # type: ignore[return-value]


def place_of(sources: list[str]) -> str:
    """全国 for national bodies; else the place a title or issuer starts with (湖南, 成都, 江阴)."""
    return next((place for place in (locate(t)[0] for t in sources) if place), "")


def locate(text: str) -> tuple[str, Level]:
    """(place, level) of a title or issuer that starts with a place name: 武汉市… -> (武汉, 市), 上海市徐汇区…
    -> (徐汇, 区县), 南京江北新区… -> (江北新区, 区县), 北京经济技术开发区… -> (北京经济技术开发区, 区县),
    省住房城乡建设厅… -> ("", 省), 国务院… -> (全国, 国家). The smallest area named is the document's."""
    text = re.sub(r"^(关于印发|关于|中共|印发)", "", text.strip().lstrip('《“"「'))
    if not text:
        return "", ""
    if _NATIONAL.search(text):
        return "全国", "国家"
    if text.startswith("省"):
        return "", "省"
    units = _place_units(text[:24])
    if not units:
        return "", ""
    name = units[-1]
    if _AREA.search(name):  # a new area, development zone or park: named in full, at county level
        return name, "区县"
    bare = re.sub(r"(省|市|自治区|特别行政区|区|县|旗)$", "", name) if len(name) > 2 else name
    if len(units) == 1 and (bare in MUNICIPALITIES or bare in PROVINCES):
        return bare, "省"
    if name.endswith(("区", "县", "旗")):
        return bare, "区县"
    return bare, "市"


# areas below a city that are not counties: 新区, 开发区, 高新区, 经济技术开发区, 工业园区 … and the words
# that may lead the generic ones (宁波国家高新区, 长沙经济技术开发区)
_KINDS = "新区|开发区|高新区|园区|保税区|自贸区|自由贸易试验区"
_AREA = re.compile(f"({_KINDS})$")
_AREA_LEADS = ("国家", "国家级", "省级", "经济", "高新", "高新技术", "经济技术", "技术", "产业", "工业")
# a zone's kind with the words leading it: what is left is the area's own name (江北, 北京)
AREA_KIND = re.compile(f"({'|'.join(sorted(_AREA_LEADS, key=len, reverse=True))})*({_KINDS})$")
_ADMIN_END = ("省", "市", "区", "县", "旗", "州", "盟")
# a city and its district written as one word: 上海市浦东新区 -> 上海市 | 浦东新区
_GLUED = re.compile(r"(.{2,}?[省市])(.{2,}(?:区|县|旗))")


def _place_units(text: str) -> list[str]:
    """The areas a text opens with, largest first (江苏省 江阴市; 南京 江北新区; 成都高新区), from jieba's
    part-of-speech tags: ns, nr/nt ending like a place, and area words joined to the name before them.
    A later area must end like one (区, 县, 市, 新区 …): 江阴市长江… names 江阴 only."""
    from ..text import tag

    pairs = tag(text)
    words, flags = [w for w, _ in pairs], [f for _, f in pairs]
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lead = word in _AREA_LEADS and i + 1 < len(words) and _AREA.search(words[i + 1])
        if lead or _AREA.fullmatch(word):  # a generic area word: the area of the name before it
            area = word + words[i + 1] if lead else word
            i += 2 if lead else 1
            if out and not out[-1].endswith(_ADMIN_END):
                out[-1] += area  # 江北 + 新区, 成都 + 高新区
            elif out:
                out.append(re.sub(r"[省市]$", "", out[-1]) + area)  # 深圳市 + 高新区 -> 深圳高新区
            else:
                out.append(area)
            continue
        placeish = flags[i] == "ns" or (flags[i] in ("nr", "nt") and word.endswith((*_ADMIN_END, "区")))
        ahead = i + 1 < len(words) and (bool(_AREA.fullmatch(words[i + 1])) or words[i + 1] in _AREA_LEADS)
        if out and word in ("省", "市", "区", "县", "旗") and not out[-1].endswith(_ADMIN_END):
            out[-1] += word  # 繁昌 / 区
        elif placeish and (not out or word.endswith(_ADMIN_END) or _AREA.search(word) or ahead):
            glued = _GLUED.fullmatch(word) if word.endswith(("区", "县", "旗")) else None
            out.extend(glued.groups() if glued else (word,))
        elif not out and ahead and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", word):
            out.append(word)  # 雄安 (not tagged a place) + 新区
        else:
            break
        i += 1
    return out


def _place_named_in(lines: list[str]) -> str:
    """The provincial-level place the opening text names most (at least twice), for a document whose
    title and issuer name none (省生态环境厅…工作计划)."""
    body = "".join(lines[:40])
    counts = {p: body.count(p) for p in PROVINCES}
    best = max(counts, key=lambda p: counts[p])
    return best if counts[best] >= 2 else ""


def place_of_doc_number(doc_number: str) -> str:
    """The province a 文号's prefix stands for (苏建办 -> 江苏), used when nothing else names a place."""
    m = DOC_NUMBER.search(doc_number)
    return _ABBREVIATIONS.get(m.group(1)[:1], "") if m else ""


def _status_of(lines: list[str]) -> str:
    # Leave out quoted titles: 根据《…（试行）》 says nothing about this document's own status.
    head = re.sub(r"《[^》]*》", "", "\n".join(lines))
    if "征求意见稿" in head:
        return "征求意见稿"
    return "试行" if "试行" in head else ""
