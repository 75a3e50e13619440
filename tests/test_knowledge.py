"""Responsibility notes: every written form, on the real documents and on small strings."""
from __future__ import annotations

import re

import pytest

from assistant.knowledge import canonical, find_notes, parse_note, responsibilities
from assistant.parse import parse_document
from assistant.schema import Document, DocMeta


def notes_of(clauses):
    return [r for c in clauses for r in responsibilities(c)]


def by_path(clauses):
    return {c.path: c for c in clauses}


def make(text: str) -> Document:
    return Document(doc_id="t", path="t.txt", meta=DocMeta(), text=text, content_hash="x")


# --------------------------------------------------------------------------- the forms, on small strings

@pytest.mark.parametrize(
    ("note", "departments", "lead"),
    [
        (
            "(发改委、工信局、科技局、江阴生态环境局等部门按职责分工负责)",
            ["发改委", "工信局", "科技局", "江阴生态环境局"],
            "发改委",
        ),
        (
            "(发改委、工信局、资规局、住建局、农业农村局、供电公司等部门和单位按职责分工负责)",
            ["发改委", "工信局", "资规局", "住建局", "农业农村局", "供电公司"],
            "发改委",
        ),
        (
            "（省发展改革委牵头，省科技厅、省工业和信息化厅等部门按职责分工负责）",
            ["省发展改革委", "省科技厅", "省工业和信息化厅"],
            "省发展改革委",
        ),
        (
            "〔省发展改革委（省能源局）牵头，省工业和信息化厅、省生态环境厅等部门按职责分工负责〕",
            ["省发展改革委（省能源局）", "省工业和信息化厅", "省生态环境厅"],
            "省发展改革委（省能源局）",
        ),
        (
            "（省工业和信息化厅、省发展改革委牵头，省住房城乡建设厅、省市场监管局等部门按职责分工负责）",
            ["省工业和信息化厅", "省发展改革委", "省住房城乡建设厅", "省市场监管局"],
            "省工业和信息化厅",
        ),
        (
            "(市碳达峰碳中和工作领导小组牵头,各相关部门(单位)按职责分工负责)",
            ["市碳达峰碳中和工作领导小组", "各相关部门(单位)"],
            "市碳达峰碳中和工作领导小组",
        ),
        (
            "（省发展改革委、省工业和信息化厅、省自然资源厅、省市场监管局等部门及各设区市人民政府按职责分工负责。"
            "以下均需各设区市人民政府负责，不再列出）",
            ["省发展改革委", "省工业和信息化厅", "省自然资源厅", "省市场监管局", "各设区市人民政府"],
            "省发展改革委",
        ),
        ("（国管局、中直管理局等按职责分工负责）", ["国管局", "中直管理局"], "国管局"),
        ("（生态环境部负责）", ["生态环境部"], "生态环境部"),
    ],
)
def test_note_forms(note, departments, lead):
    assert parse_note(note) == (departments, lead)
    # found whole inside running text, inner brackets and the trailing sentence included
    text = f"推进节能降碳。{note}\n"
    assert find_notes(text) == [(7, 7 + len(note))]


def test_brackets_without_a_duty_are_not_notes():
    text = "将碳达峰要求纳入“三线一单”(生态保护红线、环境质量底线)分区管控体系。开展碳捕集利用与封存(CCUS)试点。"
    assert find_notes(text) == []


def test_notes_of_a_made_up_clause_close_the_text_before_them():
    text = "一、任务\n（一）推进节能。加强管理。（省发展改革委牵头，省科技厅等部门按职责分工负责）推进减排。（省生态环境厅负责）\n"
    clauses = parse_document(make(text))
    item = by_path(clauses)["一、(一)"]
    first, second = responsibilities(item)
    assert first.lead == "省发展改革委" and second.lead == "省生态环境厅"
    assert first.span_start == item.start
    assert second.span_start == first.end  # the second note closes only the text after the first
    assert text[first.span_start : first.end].startswith("（一）推进节能。")
    assert text[second.span_start : second.start] == "推进减排。"
    assert all(text[r.start : r.end] == r.note for r in (first, second))


# --------------------------------------------------------------------------- canonical names


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("发展和改革委员会", "发改委"),
        ("江阴市发展和改革委员会", "发改委"),
        ("发改委", "发改委"),
        ("自然资源和规划局", "资规局"),
        ("资规局", "资规局"),
        ("江阴生态环境局", "生态环境局"),
        ("生态环境局", "生态环境局"),
        ("宣传部", "宣传部"),  # not in the table: kept as written
        ("省发展改革委", "省发展改革委"),  # another level's body is not folded into the city's 发改委
    ],
)
def test_canonical(name, short):
    assert canonical(name) == short


# --------------------------------------------------------------------------- the Jiangyin plan


def test_jiangyin_note_count_matches_the_text(jiangyin):
    doc, clauses = jiangyin
    notes = notes_of(clauses)
    # one note closes each of the 23 items of 三、 and each of 四、(一)–(四) and 五、(一)–(四)
    assert len(notes) == 31
    assert len(re.findall(r"按职责分工负责\)", doc.text)) == 31
    assert all(doc.text[r.start : r.end] == r.note for r in notes)


def test_jiangyin_one_note_closes_every_task(jiangyin):
    _, clauses = jiangyin
    p = by_path(clauses)
    tasks = [c for c in clauses if c.kind == "item" and c.path.startswith("三、")]
    tasks += [c for c in clauses if c.depth == 1 and c.path[:2] in ("四、", "五、")]
    assert len(tasks) == 31
    for clause in tasks:
        (note,) = responsibilities(clause)
        assert clause.text.rstrip().endswith(note.note), clause.path
        assert note.span_start == clause.start
    with_notes = {r.clause_id for r in notes_of(clauses)}
    assert with_notes == {c.clause_id for c in tasks}
    assert p["三、(二)1."].clause_id in with_notes


def test_jiangyin_notes_per_clause(jiangyin):
    _, clauses = jiangyin
    p = by_path(clauses)
    (note,) = responsibilities(p["三、(二)1."])
    assert note.note == "(发改委、工信局、科技局、江阴生态环境局等部门按职责分工负责)"
    assert (note.departments, note.lead) == (["发改委", "工信局", "科技局", "江阴生态环境局"], "发改委")
    (note,) = responsibilities(p["三、(三)1."])
    assert note.departments == ["发改委", "工信局", "江阴生态环境局", "住建局", "商务局", "资规局", "供电公司"]
    (note,) = responsibilities(p["三、(一)1."])
    assert note.lead == "宣传部" and note.departments[-1] == "机关事务管理局"
    (note,) = responsibilities(p["四、(一)"])
    assert (note.lead, note.departments) == ("财政局", ["财政局", "发改委", "金融监管局", "税务局"])
    for n in "一二三四":
        (note,) = responsibilities(p[f"五、({n})"])
        assert note.note == "(市碳达峰碳中和工作领导小组牵头,各相关部门(单位)按职责分工负责)"
        assert note.lead == "市碳达峰碳中和工作领导小组"


def test_jiangyin_box_is_not_under_the_item_note(jiangyin):
    _, clauses = jiangyin
    p = by_path(clauses)
    boxes = [c for c in clauses if c.kind == "box"]
    assert len(boxes) == 3
    assert all(responsibilities(b) == [] for b in boxes)
    for item, box in [("三、(二)1.", "三、(二)专栏1"), ("三、(七)1.", "三、(七)专栏2"), ("三、(七)2.", "三、(七)专栏3")]:
        (note,) = responsibilities(p[item])
        assert note.end <= p[box].start  # the note closes the item, and the box comes after it
        assert not p[box].start <= note.span_start < p[box].end


# --------------------------------------------------------------------------- the shared corpus


@pytest.mark.shared
def test_14th_fyp_notes(shared_parsed):
    doc, clauses = shared_parsed("sc_14th_fyp_energy_saving_emission_reduction_plan")
    p = by_path(clauses)
    notes = notes_of(clauses)
    # 20 …按职责分工负责） notes, plus （生态环境部负责） under 四、(二)
    assert doc.text.count("按职责分工负责") == 20
    assert len(notes) == 21
    expected = [f"三、({n})" for n in "一二三四五六七八九十"]
    expected += [f"四、({n})" for n in "一二三四五六七八"] + [f"五、({n})" for n in "一二三"]
    assert [r.clause_id.split("#", 1)[1] for r in notes] == expected
    (note,) = responsibilities(p["四、(二)"])
    assert (note.note, note.departments) == ("（生态环境部负责）", ["生态环境部"])
    (note,) = responsibilities(p["三、(一)"])
    assert note.lead == "工业和信息化部" and note.departments[-1] == "地方各级人民政府"
    (note,) = responsibilities(p["三、(四)"])
    assert note.lead == "交通运输部" and note.departments[:2] == ["交通运输部", "国家发展改革委"]
    (note,) = responsibilities(p["三、(六)"])
    assert note.departments == ["国管局", "中直管理局"]  # 等 with no 部门 after it
    assert not any(d.endswith("等") for r in notes for d in r.departments)


@pytest.mark.shared
def test_jiangsu_plan_notes(shared_parsed):
    doc, clauses = shared_parsed("jiangsu_carbon_peak_implementation_plan")
    p = by_path(clauses)
    notes = notes_of(clauses)
    assert len(re.findall("按职责分工负责", doc.text)) == 29
    assert len(notes) == 29
    items = [c for c in clauses if c.kind == "item"]
    assert len(items) == 25
    noted = {r.clause_id for r in notes}
    # every item of 三、 but 三、(三)4. (its note was lost upstream), 四、(一)–(四) and 五、(一)
    assert [c.path for c in items if c.clause_id not in noted] == ["三、(三)4."]
    sections = [r.clause_id.split("#", 1)[1] for r in notes if not r.clause_id.endswith(".")]
    assert sections == ["四、(一)", "四、(二)", "四、(三)", "四、(四)", "五、(一)"]
    (note,) = responsibilities(p["三、(一)1."])
    assert note.note.endswith("按职责分工负责。以下均需各设区市人民政府负责，不再列出）")
    assert note.lead == "省发展改革委" and note.departments[-1] == "各设区市人民政府"
    (note,) = responsibilities(p["三、(二)2."])
    assert note.lead == "省发展改革委（省能源局）"
    (note,) = responsibilities(p["三、(二)1."])
    assert (note.lead, note.departments) == ("省发展改革委", ["省发展改革委", "省科技厅", "省工业和信息化厅"])
    (note,) = responsibilities(p["五、(一)"])
    assert note.lead == "省碳达峰碳中和工作领导小组办公室"


@pytest.mark.shared
@pytest.mark.parametrize(
    "stem",
    [
        "cpc_sc_opinions_carbon_peak_neutrality_2021",
        "sc_action_plan_carbon_peak_before_2030",
        "jiangsu_cpc_gov_opinions_high_quality_carbon_peak_neutrality",
        "jiangsu_gov_green_lowcarbon_circular_economy_opinions_2022",
        "jiangsu_housing_dept_green_urban_rural_construction_opinions_2021",
        "nanjing_jiangbei_new_area_carbon_peak_neutrality_action_plan_trial",
    ],
)
def test_documents_without_notes(shared_parsed, stem):
    doc, clauses = shared_parsed(stem)
    assert "按职责分工负责" not in doc.text
    assert notes_of(clauses) == []


@pytest.mark.parametrize(
    ("note", "departments", "lead", "marked", "deadline"),
    [
        ("（责任单位：市发改委、市经信局、市生态环境局，各区人民政府〈含开发区、风景区管委会，以下工作任务均需各区人民政府落实，不再列出〉）",
         ["市发改委", "市经信局", "市生态环境局", "各区人民政府"], "市发改委", False, ""),
        ("（责任单位：市发改委、市经信局、各县（市）区、开发区）", ["市发改委", "市经信局", "各县（市）区", "开发区"], "市发改委", False, ""),
        ("（牵头单位：市发改委；配合单位：市财政局、市税务局）", ["市发改委", "市财政局", "市税务局"], "市发改委", True, ""),
        ("（责任部门：自然处，完成期限：12 月底）", ["自然处"], "自然处", False, "12 月底"),
    ],
)
def test_labelled_note_forms(note, departments, lead, marked, deadline):
    from assistant.knowledge import lead_is_marked, note_deadline

    assert parse_note(note) == (departments, lead)
    assert (lead_is_marked(note), note_deadline(note)) == (marked, deadline)
    text = f"推进节能降碳。{note}下一项。"
    assert find_notes(text) == [(7, 7 + len(note))]


@pytest.mark.shared
def test_a_labelled_note_with_a_deadline_is_a_target(shared_parsed):
    from assistant.targets import deadline_targets

    doc, clauses = shared_parsed("jiangsu_eco_env_dept_2022_carbon_work_plan")
    notes = notes_of(clauses)
    assert [(n.departments, n.deadline, n.lead_marked) for n in notes] == [(["自然处"], "12月底", False)]
    rows = deadline_targets(notes, {c.clause_id: c for c in clauses})
    assert [(r.deadline, r.value, r.path) for r in rows] == [("12月底", "完成", notes[0].clause_id.split("#", 1)[1])]


@pytest.mark.parametrize(("written", "apart"), [
    # made-up names, not the corpus's: any level word after any closing word is a seam
    ("县水务局县林业站办", ["县水务局", "县林业站办"]),
    ("市甲乙委市丙丁局区戊己中心", ["市甲乙委", "市丙丁局", "区戊己中心"]),
    ("国家某某总局国家某某署", ["国家某某总局", "国家某某署"]),
    ("省某某厅（省某某局）", ["省某某厅（省某某局）"]),  # an alias in brackets is one department
    ("省委某某部", ["省委某某部"]),  # 某某部 opens with no level word
    ("市场某某局", ["市场某某局"]),  # a level word at the start is no seam
    ("某某局市场", ["某某局市场"]),  # 市场 does not close as a name
    ("省委市委", ["省委市委"]),  # parts under three characters are not names
])
def test_merged_department_names_split_at_the_seam(written, apart):
    from assistant.knowledge import split_merged

    assert split_merged(written) == apart


def test_a_note_with_names_run_together_lists_each_department():
    note = "（县甲乙局县丙丁委牵头，县戊己办、各乡镇人民政府按职责分工负责）"
    assert parse_note(note) == (["县甲乙局", "县丙丁委", "县戊己办", "各乡镇人民政府"], "县甲乙局")


@pytest.mark.shared
def test_the_shared_corpus_lists_departments_only_each_apart(shared_corpus, shared_parsed):
    from assistant.knowledge import department_registry, is_collective, split_merged

    docs, clauses, notes = {}, {}, []
    for path in sorted(shared_corpus.glob("*.txt")):
        doc, cls = shared_parsed(path.stem)
        docs[doc.doc_id] = doc
        clauses.update({c.clause_id: c for c in cls})
        notes += [r for c in cls for r in responsibilities(c)]
    names = {n for d in department_registry(notes, docs, clauses) for n in [d.name, *d.names]}
    assert {"省发展改革委", "省能源局", "省工业和信息化厅"} <= names
    assert not [n for n in names if is_collective(n) or len(split_merged(n)) > 1]  # 各相关部门, 省发展改革委省能源局
