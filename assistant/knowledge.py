"""Responsibility notes -> ordered departments with a lead, attached to the text they close.

Forms in the corpus:
  (发改委、工信局、科技局、江阴生态环境局等部门按职责分工负责)
  （省发展改革委牵头，省科技厅、省工业和信息化厅等部门按职责分工负责）
  〔省发展改革委（省能源局）牵头，省工业和信息化厅、省生态环境厅等部门按职责分工负责〕
  (市碳达峰碳中和工作领导小组牵头,各相关部门(单位)按职责分工负责)
  （责任单位：市发改委、市经信局，各区人民政府）
  （牵头单位：市发改委；配合单位：市财政局）
  （责任部门：自然处，完成期限：12月底）
A department is the lead only where the note says 牵头 (or names a 牵头单位); otherwise the first
listed is only that: listed first.
"""

from __future__ import annotations

import re
from typing import Literal

from .schema import Clause, Department, Document, Responsibility, Task

_OPEN, _CLOSE = "（(〔[【〈<", "）)〕]】〉>"
_NOTE_END = re.compile(r"[）)〕\]】]")
# a labelled note: （责任单位：…）, （牵头单位：…；配合单位：…）, （责任部门：…，完成期限：…）
_LABEL = (
    r"(责任单位|责任部门|责任处室|牵头单位|牵头部门|牵头处室|配合单位|配合部门|参与单位|协办单位|主办单位|实施单位)"
)
_LABELLED = re.compile(rf"^[（(〔\[【]\s*{_LABEL}\s*[:：]")
_PART = re.compile(
    rf"{_LABEL}\s*[:：]\s*([^；;]*?)(?=[，,；;]?\s*(?:{_LABEL}|完成(?:期限|时限|时间)|时间要求)\s*[:：]|$)"
)
_DEADLINE = re.compile(r"(?:完成(?:期限|时限|时间)|时间要求)\s*[:：]\s*([^，,；;）)〕\]】]+)")
_COLLECTIVE = re.compile(r"^(各|有关|相关|地方各级|其他|各级)")  # 各区人民政府, 各相关部门: not one department
_DUTY = re.compile(r"(按照?职责分工|按职责|分工)?(负责|落实)$")
# 等 may stand alone: (国管局、中直管理局等按职责分工负责)
_ETC = re.compile(r"等(有关|相关)?(部门|单位|部门和单位|部门和各单位|单位和部门)?$")
_SPLIT = re.compile(r"[、，,；;]")
NOTE_MAX = 200
# A merged name (省发展改革委省能源局: two names whose separator a reflow or a space dropped) splits
# where a name's closing word is followed by a level word that opens another name.
_NAME_END = "[委会局厅办部署院行处室组所司心团]"  # the last character of 发改委, 能源局, 供电公司, 服务中心 …
_NAME_START = r"(?:国家|中共|省|市|县|区)"
_SEAM = re.compile(rf"(?<={_NAME_END})(?={_NAME_START})")

# Short names and the full names the corpus also uses: one department each. Kept per level by the
# caller: a department of one document is never merged with a like-named one of another level.
ALIASES = {
    "发改委": ["发展和改革委员会", "发展改革委", "发改局"],
    "工信局": ["工业和信息化局"],
    "资规局": ["自然资源和规划局", "自然资源局"],
    "住建局": ["住房和城乡建设局", "住房城乡建设局"],
    "生态环境局": ["江阴生态环境局", "无锡市江阴生态环境局"],
    "城管局": ["城市管理局"],
    "国资办": ["国有资产监督管理办公室", "国资委"],
    "人社局": ["人力资源和社会保障局"],
    "市场监管局": ["市场监督管理局"],
    "交通运输局": ["交通局"],
    "金融监管局": ["金融监督管理局", "地方金融监督管理局"],
    "农业农村局": ["农业农村委员会"],
    "机关事务管理局": ["机关事务局"],
    "供电公司": ["江阴供电公司", "国网江阴供电公司"],
}
# Provincial and national names are written in full already; these are the spellings that differ.
ALIASES.update(
    {
        "省发展改革委": ["省发展和改革委员会", "省发改委", "江苏省发展和改革委员会"],
        "省工业和信息化厅": ["省工信厅", "江苏省工业和信息化厅"],
        "省住房城乡建设厅": ["省住房和城乡建设厅", "省住建厅", "江苏省住房和城乡建设厅"],
        "省人力资源社会保障厅": ["省人力资源和社会保障厅", "省人社厅"],
        "省生态环境厅": ["江苏省生态环境厅"],
        "国家发展改革委": ["国家发展和改革委员会", "国家发改委"],
    }
)
_CANON = {name: short for short, names in ALIASES.items() for name in [short, *names]}


def canonical(dept: str) -> str:
    """One name for a department within its level: 发展和改革委员会 -> 发改委,
    省发展改革委（省能源局） -> 省发展改革委."""
    bare = re.sub(r"[（(][^）)]*[）)]", "", dept).strip()
    for prefix in ("江阴市", "市"):
        if bare.startswith(prefix) and bare[len(prefix) :] in _CANON:
            bare = bare[len(prefix) :]
    return _CANON.get(bare, bare)


def spelled_out(dept: str) -> list[str]:
    """Names a department is also known by, as the corpus spells them out: 省发展改革委（省能源局）."""
    inner = re.findall(r"[（(]([^）)]+)[）)]", dept)
    return [n for n in inner if n not in ("单位",)]


def department_registry(
    notes: list[Responsibility], docs: dict[str, Document], clauses: dict[str, Clause]
) -> list[Department]:
    """Every department named in a note, one record per (place, canonical name), with its tasks.
    Departments of different places never merge: 江阴's 发改委 is not 省发展改革委."""
    registry: dict[tuple[str, str], Department] = {}
    for note in notes:
        doc = docs[note.doc_id]
        place = doc.meta.place or doc.meta.level or doc.doc_id
        clause = clauses.get(note.clause_id)
        for written in note.departments:
            if is_collective(written):
                continue  # 各区人民政府 is many bodies, not one department with tasks
            key = (place, canonical(written))
            dept = registry.setdefault(key, Department(name=key[1], place=place, level=doc.meta.level))
            for name in [written, *spelled_out(written)]:
                if name not in dept.names:
                    dept.names.append(name)
            dept.tasks.append(
                Task(
                    doc_id=doc.doc_id,
                    doc_title=doc.meta.title,
                    clause_id=note.clause_id,
                    path=clause.path if clause else note.clause_id.split("#", 1)[-1],
                    heading=clause.heading if clause else "",
                    role=role_of(written, note),
                    note=note.note,
                )
            )
    return sorted(registry.values(), key=lambda d: (d.place, -len(d.tasks), d.name))


def role_of(written: str, note: Responsibility) -> Literal["牵头", "列首位", "参与"]:
    """牵头 where the note says so; 列首位 for the first listed of a note that names no lead; else 参与."""
    if written != note.lead:
        return "参与"
    return "牵头" if note.lead_marked else "列首位"


def find_departments(registry: list[Department], name: str) -> list[Department]:
    """Departments a user's name refers to: its canonical name, a written name, or an alias."""
    want = canonical(name.strip())
    exact = [d for d in registry if d.name == want or name in d.names or want in (canonical(n) for n in d.names)]
    return exact or [d for d in registry if name and (name in d.name or any(name in n for n in d.names))]


def related_departments(registry: list[Department], name: str) -> list[Department]:
    """Departments of any place whose names contain one of the asked name's forms: 发改委 -> 省发展改革委,
    国家发展改革委 (a question asked of another level's documents)."""
    forms = [n for n in all_names(canonical(name)) if len(n) >= 2]
    return [d for d in registry if any(f in n for f in forms for n in [d.name, *d.names])]


def all_names(short: str) -> list[str]:
    return [short, *ALIASES.get(short, [])]


def find_notes(text: str) -> list[tuple[int, int]]:
    """Spans of responsibility notes: a bracketed run ending in 负责, brackets balanced."""
    spans: list[tuple[int, int]] = []
    for m in _NOTE_END.finditer(text):
        close = m.start()
        open_ = _matching_open(text, close)
        if open_ is None or not ("负责" in text[open_:close] or _LABELLED.match(text[open_:close])):
            continue
        spans = [(s, e) for s, e in spans if s < open_]  # an outer note swallows inner brackets
        spans.append((open_, close + 1))
    return spans


def _matching_open(text: str, close: int) -> int | None:
    depth = 0
    for i in range(close, max(-1, close - NOTE_MAX - 1), -1):
        ch = text[i]
        if ch in _CLOSE:
            depth += 1
        elif ch in _OPEN:
            depth -= 1
            if depth == 0:
                return i
        elif ch == "\n":
            return None
    return None


def parse_note(note: str) -> tuple[list[str], str]:
    """Departments in order (lead first) and the lead: the one marked 牵头, else the first listed."""
    if _LABELLED.match(note):
        return _parse_labelled(note)
    body = note[1:-1].split("。")[0].strip()  # (…按职责分工负责。以下均需…不再列出)
    leads: list[str] = []
    if "牵头" in body:
        head, _, body = body.partition("牵头")
        leads = _names(head)
        body = body.lstrip("，,、 ")
    body = _ETC.sub("", _DUTY.sub("", body.strip()).strip())
    others = [d for d in _names(body) if d not in leads]
    departments = leads + others
    return departments, (leads[0] if leads else (departments[0] if departments else ""))


def _parse_labelled(note: str) -> tuple[list[str], str]:
    """（牵头单位：A；配合单位：B、C） -> [A, B, C], A; （责任单位：A、B，各区人民政府〈…〉） -> [A, B, 各区人民政府], A."""
    body = _DEADLINE.sub("", note[1:-1])
    leads: list[str] = []
    others: list[str] = []
    for m in _PART.finditer(body):
        names = [re.sub(r"[〈<(（][^〉>)）]*$", "", n).strip() for n in _names(_drop_asides(m.group(2)))]
        (leads if "牵头" in m.group(1) or "主办" in m.group(1) else others).extend(n for n in names if n)
    departments = list(dict.fromkeys(leads + others))
    return departments, (leads[0] if leads else (departments[0] if departments else ""))


def _drop_asides(part: str) -> str:
    """各区人民政府〈含开发区…不再列出〉 -> 各区人民政府: an aside in angle brackets is not a name."""
    return re.sub(r"[〈<][^〉>]*[〉>]?", "", part)


def note_deadline(note: str) -> str:
    """（责任部门：自然处，完成期限：12月底） -> 12月底."""
    m = _DEADLINE.search(note)
    return m.group(1).strip() if m else ""


def lead_is_marked(note: str) -> bool:
    """Whether the note itself names a lead (牵头); else its first department is only listed first."""
    return "牵头" in note or "主办单位" in note


def is_collective(name: str) -> bool:
    """各区人民政府, 各相关部门(单位), 地方各级人民政府: bodies in the plural, not one department."""
    return bool(_COLLECTIVE.match(name))


def split_merged(name: str) -> list[str]:
    """Two or more department names run together, apart: 省发展改革委省能源局 -> [省发展改革委, 省能源局].
    A seam is a name's closing word (委, 局, 厅, …) followed by a level word (省, 市, 国家, …); a part
    that would not itself close as a name, or be under three characters, keeps the name whole
    (省委组织部 stays one: 组织部 opens with no level word; 市场监管局 has no seam before its end)."""
    parts, start = [], 0
    for seam in _SEAM.finditer(name):
        head, rest = name[start : seam.start()], name[seam.start() :]
        if len(head) >= 3 and len(rest) >= 3 and re.search(f"{_NAME_END}$", rest):
            parts.append(head)
            start = seam.start()
    return [*parts, name[start:]]


def _names(part: str) -> list[str]:
    names = []
    part = re.sub(r"等(有关|相关)?(部门|单位)(及|和|以及)", "、", part)
    for raw in _split_top_level(part):
        name = _ETC.sub("", _DUTY.sub("", raw.strip(" 　")).strip())
        name = re.sub(r"^(由|和|及|以及)", "", name).strip()
        for one in split_merged(name) if name else []:
            if one not in names:
                names.append(one)
    return names


def _split_top_level(part: str) -> list[str]:
    """Split on 、，; but not inside brackets: 省发展改革委（省能源局） stays whole."""
    out, depth, cur = [], 0, ""
    for ch in part:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        if depth == 0 and _SPLIT.match(ch):
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p for p in out if p.strip()]


def responsibilities(clause: Clause) -> list[Responsibility]:
    """The notes of one clause, each closing the text since the previous note or the clause start."""
    out, prev = [], 0
    for s, e in find_notes(clause.text):
        note = clause.text[s:e]
        departments, lead = parse_note(note)
        if not departments:
            continue
        out.append(
            Responsibility(
                doc_id=clause.doc_id,
                clause_id=clause.clause_id,
                note=note,
                start=clause.start + s,
                end=clause.start + e,
                span_start=clause.start + prev,
                departments=departments,
                lead=lead,
                lead_marked=lead_is_marked(note),
                deadline=note_deadline(note),
            )
        )
        prev = e
    return out
