"""Departments and targets as tables for people, and as JSON or CSV for other tools."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import Counter

from .schema import Clause, Department, Document, Responsibility, Target

TARGET_COLUMNS = [
    "doc_id",
    "path",
    "deadline",
    "indicator",
    "value",
    "unit",
    "qualifier",
    "baseline",
    "scope",
    "segment",
]
TASK_COLUMNS = ["place", "department", "role", "doc_id", "path", "heading", "note"]
DEPARTMENT_COLUMNS = ["place", "department", "names", "tasks", "lead_tasks"]


DOCUMENT_COLUMNS = [
    "doc_id",
    "title",
    "issuer",
    "doc_number",
    "date",
    "level",
    "place",
    "status",
    "meta_from",
    "pages",
    "ocr_pages",
    "clauses",
    "notes",
    "targets",
    "warnings",
]


def document_rows(
    documents: list[Document], clauses: list[Clause], notes: list[Responsibility], targets: list[Target]
) -> list[dict]:
    """What was read and inferred for each document, for a person to check (`policyqa documents`)."""
    counts = {
        name: Counter(r.doc_id for r in rows)
        for name, rows in (("clauses", clauses), ("notes", notes), ("targets", targets))
    }
    return [
        {
            "doc_id": d.doc_id,
            **d.meta.model_dump(include={"title", "issuer", "doc_number", "date", "level", "place", "status"}),
            "meta_from": d.meta_source,
            "pages": len(d.page_starts),
            "ocr_pages": ",".join(map(str, d.ocr_pages)),
            **{name: c[d.doc_id] for name, c in counts.items()},
            "warnings": " ".join(d.warnings),
            "path": d.path,
        }
        for d in documents
    ]


def target_rows(targets: list[Target]) -> list[dict]:
    return [{c: getattr(t, c) for c in TARGET_COLUMNS} for t in targets]


def department_rows(departments: list[Department]) -> list[dict]:
    return [
        {
            "place": d.place,
            "department": d.name,
            "names": "、".join(d.names),
            "tasks": len(d.tasks),
            "lead_tasks": sum(t.role == "牵头" for t in d.tasks),
        }
        for d in departments
    ]


def task_rows(departments: list[Department]) -> list[dict]:
    return [
        {
            "place": d.place,
            "department": d.name,
            "role": t.role,
            "doc_id": t.doc_id,
            "path": t.path,
            "heading": t.heading,
            "note": t.note,
        }
        for d in departments
        for t in d.tasks
    ]


# Column names for people (the app's downloads): the file named by its title, not its id
CHINESE_COLUMNS = {
    "doc_id": "文件",
    "title": "文件",
    "path": "条款",
    "deadline": "截止时间",
    "indicator": "指标",
    "value": "目标值",
    "unit": "单位",
    "qualifier": "限定",
    "baseline": "基期",
    "scope": "范围",
    "segment": "原文",
    "place": "地区",
    "department": "部门",
    "role": "角色",
    "heading": "标题",
    "note": "分工说明",
    "names": "名称",
    "tasks": "任务数",
    "lead_tasks": "牵头任务数",
}


def to_csv(rows: list[dict], columns: list[str], headers: dict[str, str] | None = None) -> str:
    """CSV of `rows`; `headers` renames the header row's columns (CHINESE_COLUMNS for the app)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    if headers:
        writer.writerow({c: headers.get(c, c) for c in columns})
    else:
        writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_json(records) -> str:
    return json.dumps([r.model_dump() for r in records], ensure_ascii=False, indent=1)


def to_table(rows: list[dict], columns: list[str], max_width: int = 40) -> str:
    """A plain text table, aligned for CJK (full-width characters take two columns)."""
    cells = [[_clip(str(r.get(c, "")), max_width) for c in columns] for r in rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    while _width(text) > width:
        text = text[:-2] + "…"
    return text
