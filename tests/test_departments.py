"""Departments as data: one record per place and name, tasks with lead or participant role; the
browse and export commands. Real index files (FAISS + BM25) built with the keyword embedder."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.embed import KeywordEmbedder
from assistant.indexer import build_index
from assistant.knowledge import canonical, department_registry, find_departments, responsibilities
from assistant.pipeline import Assistant
from assistant.schema import Department, Target
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plan_index(tmp_path_factory) -> Path:
    settings = Settings(corpus=[ROOT / "corpus"], index_dir=tmp_path_factory.mktemp("kw") / "index")
    build_index(settings, KeywordEmbedder())
    return settings.index_dir


@pytest.fixture(scope="module")
def assistant(plan_index) -> Assistant:
    return Assistant.load(plan_index)


def registry_of(doc, clauses):
    notes = [r for c in clauses for r in responsibilities(c)]
    return department_registry(notes, {doc.doc_id: doc}, {c.clause_id: c for c in clauses})


def test_short_and_full_names_are_one_department(jiangyin):
    registry = registry_of(*jiangyin)
    ndrc = find_departments(registry, "发展和改革委员会")
    assert [d.name for d in ndrc] == ["发改委"]
    assert find_departments(registry, "发改委") == ndrc
    eco = find_departments(registry, "生态环境局")
    assert len(eco) == 1 and {"江阴生态环境局", "生态环境局"} <= set(eco[0].names)
    assert canonical("自然资源和规划局") == canonical("资规局") == "资规局"


def test_lead_is_marked_or_first_listed(jiangyin):
    registry = registry_of(*jiangyin)
    ndrc = find_departments(registry, "发改委")[0]
    roles = {t.path: t.role for t in ndrc.tasks}
    # (发改委、工信局…等部门按职责分工负责) names no lead: 发改委 is listed first, not the lead
    assert roles["三、(三)2."] == "列首位" and roles["三、(二)2."] == "参与"  # 三、(二)2. opens with 工信局
    group = find_departments(registry, "市碳达峰碳中和工作领导小组")[0]
    assert {t.role for t in group.tasks} == {"牵头"} and len(group.tasks) == 4


def test_names_not_in_the_table_are_kept_as_written(jiangyin):
    registry = registry_of(*jiangyin)
    written = {n for d in registry for n in d.names}
    assert {"宣传部", "邮政管理局", "市碳达峰碳中和工作领导小组"} <= written
    assert not any(n.startswith("各") for n in written)  # 各相关部门(单位) is many bodies, not a department


@pytest.mark.shared
def test_departments_of_different_levels_never_merge(jiangyin, shared_parsed):
    docs, clauses, notes = {}, {}, []
    for doc, cls in [jiangyin, shared_parsed("jiangsu_carbon_peak_implementation_plan")]:
        docs[doc.doc_id] = doc
        clauses.update({c.clause_id: c for c in cls})
        notes += [r for c in cls for r in responsibilities(c)]
    registry = department_registry(notes, docs, clauses)
    city = find_departments(registry, "发改委")
    province = find_departments(registry, "省发展改革委")
    assert [d.place for d in city] == ["江阴"] and [d.place for d in province] == ["江苏"]
    assert "省发展改革委（省能源局）" in province[0].names  # the corpus spells out the alias
    assert not set(t.doc_id for t in city[0].tasks) & set(t.doc_id for t in province[0].tasks)


def test_python_api_returns_pydantic_records(assistant):
    depts = assistant.departments()
    assert depts and all(isinstance(d, Department) for d in depts)
    supply = assistant.departments("供电公司")
    assert [t.path for t in supply[0].tasks] == ["三、(三)1.", "三、(三)2.", "三、(三)3.", "三、(五)3.", "三、(六)2."]
    rows = assistant.targets(year="2030")
    assert rows and all(isinstance(t, Target) and "2030" in t.deadline for t in rows)
    assert any(t.value == "1400" and t.unit == "兆瓦" for t in rows)
    assert assistant.targets(doc="江苏") == []


def test_answers_from_the_data(assistant):
    tasks = assistant.ask("供电公司负责哪些工作?")
    assert "5项" in tasks.answer and "三、(六)2." in tasks.answer
    assert len(tasks.citations) == 5
    year = assistant.ask("2025年有哪些目标?")
    assert "24.7%" in year.answer and "70万㎡" in year.answer and len(year.answer) <= 600
    trap = assistant.ask("到2025年光伏装机1400兆瓦对吗?")
    assert trap.answer.startswith("不对") and "2030年" in trap.answer
    wind = assistant.ask("风电装机到2030年定的是400兆瓦对吗?")
    assert wind.answer.startswith("不对") and "40兆瓦以上" in wind.answer
    right = assistant.ask("2030年风电装机目标是40兆瓦吗?")
    assert right.answer.startswith("是的")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_cli_departments_table_json_csv(plan_index):
    table = cli("departments", "--index", str(plan_index))
    assert table.returncode == 0 and "发改委" in table.stdout and "lead_tasks" in table.stdout
    one = cli("departments", "统计局", "--index", str(plan_index), "--json")
    records = json.loads(one.stdout)
    assert records[0]["name"] == "统计局" and records[0]["tasks"][0]["path"] == "四、(二)"
    rows = list(csv.DictReader(io.StringIO(cli("departments", "住建局", "--index", str(plan_index), "--csv").stdout)))
    assert len(rows) == 11 and {r["role"] for r in rows} == {"列首位", "参与"}
    missing = cli("departments", "不存在的局", "--index", str(plan_index))
    assert missing.returncode == 1 and "no department" in missing.stderr


def test_cli_targets_filters_and_exports(plan_index):
    rows = list(csv.DictReader(io.StringIO(cli("targets", "--year", "2030", "--index", str(plan_index), "--csv").stdout)))
    assert rows and all("2030" in r["deadline"] for r in rows)
    solar = [r for r in rows if r["indicator"] == "太阳能发电装机容量"]
    assert solar and (solar[0]["value"], solar[0]["unit"]) == ("1400", "兆瓦")
    records = json.loads(cli("targets", "--doc", "江阴", "--index", str(plan_index), "--json").stdout)
    assert len(records) >= 24 and {"deadline", "indicator", "value", "unit", "qualifier", "baseline", "scope"} <= set(records[0])
