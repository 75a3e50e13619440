"""The clause tree of the real documents, pinned number by number against their text (and SOURCES.md),
then the numbering forms on small made-up texts."""
from __future__ import annotations

import pytest
from conftest import JIANGYIN, parsed

from assistant.parse import parse_document
from assistant.schema import Clause, Document, DocMeta

# --------------------------------------------------------------------------- helpers

_DIGITS = "一二三四五六七八九"


def cn(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一 (the numbering of the corpus, up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens - 1] + "十")
    return head + (_DIGITS[ones - 1] if ones else "")


def by_path(clauses: list[Clause]) -> dict[str, Clause]:
    return {c.path: c for c in clauses}


def children(clauses: list[Clause], parent: Clause) -> list[Clause]:
    ids = {c.clause_id: c for c in clauses}
    return [ids[cid] for cid in parent.children]


def labels_under(clauses: list[Clause], path: str) -> list[str]:
    """The children's path labels relative to their parent: 三、(二) -> ['1.', '专栏1', '2.', '3.']."""
    parent = by_path(clauses)[path]
    return [c.path[len(parent.path) :] for c in children(clauses, parent)]


def top(clauses: list[Clause]) -> list[str]:
    return [c.path for c in clauses if c.depth == 0]


def second_level(clauses: list[Clause]) -> list[str]:
    """The （一） labels of a document in reading order, whichever section holds them."""
    return [c.path.split("、", 1)[1] for c in clauses if c.depth == 1 and c.kind == "section"]


def make(text: str, doc_id: str = "t") -> Document:
    return Document(doc_id=doc_id, path=f"{doc_id}.txt", meta=DocMeta(), text=text, content_hash="x")


def leads(clause: Clause) -> list[str]:
    return [t.lead for t in clause.topics if t.lead]


def test_cn_numerals():
    assert [cn(n) for n in (1, 9, 10, 11, 20, 29, 37)] == ["一", "九", "十", "十一", "二十", "二十九", "三十七"]


# --------------------------------------------------------------------------- Jiangyin plan (project corpus)

ACTIONS = [
    "增强低碳意识,开展低碳社会创建行动",
    "推行绿色制造,开展工业领域达峰行动",
    "调整能源结构,开展能源绿色转型行动",
    "严控能耗强度,开展节能降碳增效行动",
    "提升建筑能效,开展绿色城乡建设行动",
    "优化运输结构,开展交通运输低碳行动",
    "突破关键技术,开展低碳科技创新行动",
]


def test_jiangyin_preamble_holds_news_lead_and_announcement(jiangyin):
    doc, clauses = jiangyin
    pre = clauses[0]
    assert (pre.kind, pre.path, pre.label, pre.depth, pre.start) == ("preamble", "前言", "前言", 0, 0)
    assert pre.text.startswith("2月1日,江苏省江阴市人民政府印发关于征求《江阴市碳达峰实施方案》意见的公告")
    assert "关于征求《江阴市碳达峰实施方案》意见的公告\n" in pre.text
    assert "请于2023年2月9日前" in pre.text
    # the title, (评审修改稿) and the plan's opening paragraph come before 一、 and stay in the preamble
    assert "江阴市碳达峰实施方案\n(评审修改稿)\n" in pre.text
    assert pre.text.endswith("结合地区实际,特制定本方案。\n")
    assert pre.children == [] and pre.parent_id is None
    assert clauses[1].path == "一、"


def test_jiangyin_top_sections_and_appendix(jiangyin):
    _, clauses = jiangyin
    assert top(clauses) == ["前言", "一、", "二、", "三、", "四、", "五、", "附表"]
    heads = [c.heading for c in clauses if c.depth == 0 and c.kind == "section"]
    assert heads == ["总体要求", "主要目标", "重点任务", "政策保障", "组织实施"]
    appendix = clauses[-1]
    assert (appendix.kind, appendix.label, appendix.heading) == ("appendix", "附表", "全市碳达峰碳中和重点目汇总表")
    assert not any(c.kind == "closing" for c in clauses)  # the file ends with 附表, not a signature


def test_jiangyin_clause_count(jiangyin):
    # 1 preamble + 5 sections + 17 (一)-level sections (2+7+4+4) + 23 items + 3 专栏 + 1 附表
    _, clauses = jiangyin
    kinds = [c.kind for c in clauses]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "preamble": 1, "section": 22, "item": 23, "box": 3, "appendix": 1,
    }


def test_jiangyin_sections_under_one_four_five(jiangyin):
    _, clauses = jiangyin
    p = by_path(clauses)
    assert labels_under(clauses, "一、") == ["(一)", "(二)"]
    assert [c.heading for c in children(clauses, p["一、"])] == ["指导思想", "工作原则"]
    assert labels_under(clauses, "二、") == []
    assert [c.heading for c in children(clauses, p["四、"])] == [
        "完善财税金融政策保障", "提升统计监测监管能力", "建立碳交易市场化机制", "强化低碳交流合作机制",
    ]
    assert [c.heading for c in children(clauses, p["五、"])] == [
        "加强组织领导", "强化责任落实", "开展试点示范", "严格考核评估",
    ]


def test_jiangyin_seven_actions(jiangyin):
    _, clauses = jiangyin
    actions = children(clauses, by_path(clauses)["三、"])
    assert [c.path for c in actions] == [f"三、({cn(n)})" for n in range(1, 8)]
    assert [c.heading for c in actions] == ACTIONS
    assert all(c.kind == "section" and c.depth == 1 and c.ancestors == ["重点任务"] for c in actions)


def test_jiangyin_items_and_boxes_per_action(jiangyin):
    _, clauses = jiangyin
    assert {n: labels_under(clauses, f"三、({cn(n)})") for n in range(1, 8)} == {
        1: ["1.", "2.", "3.", "4."],
        2: ["1.", "专栏1", "2.", "3."],
        3: ["1.", "2.", "3."],
        4: ["1.", "2.", "3.", "4."],
        5: ["1.", "2.", "3."],
        6: ["1.", "2.", "3."],
        7: ["1.", "专栏2", "2.", "专栏3", "3."],
    }


def test_jiangyin_item_headings_of_action_three(jiangyin):
    _, clauses = jiangyin
    items = children(clauses, by_path(clauses)["三、(三)"])
    assert [c.heading for c in items] == ["稳妥有序控制化石能源消费", "加快发展非化石能源", "创新智慧能源治理模式"]


def test_jiangyin_boxes_are_siblings_of_items(jiangyin):
    _, clauses = jiangyin
    p = by_path(clauses)
    boxes = [c for c in clauses if c.kind == "box"]
    assert [(b.path, b.label, b.heading) for b in boxes] == [
        ("三、(二)专栏1", "专栏1", "战略性新兴产业壮大行动"),
        ("三、(七)专栏2", "专栏2", "绿色低碳技术载体建设行动"),
        ("三、(七)专栏3", "专栏3", "绿色低碳技术研究方向"),  # written 专栏3 绿色…, with a space
    ]
    for box, action, before in [
        (boxes[0], "三、(二)", "三、(二)1."),
        (boxes[1], "三、(七)", "三、(七)1."),
        (boxes[2], "三、(七)", "三、(七)2."),
    ]:
        assert box.parent_id == p[action].clause_id
        assert box.depth == p[before].depth == 2
        assert box.ancestors == ["重点任务", p[action].heading]
        assert p[before].children == []  # the item before the box does not own it
        assert "专栏" not in p[before].text
        assert p[before].end == box.start
    box1 = boxes[0]
    assert box1.text.startswith("专栏1战略性新兴产业壮大行动\n新能源。")
    assert box1.text.rstrip().endswith("打造全国领先的光纤光缆产业集聚区。")
    assert leads(box1) == ["新能源", "集成电路", "高端装备", "生物医药", "5G通讯"]


def test_jiangyin_path_label_and_ancestors(jiangyin):
    doc, clauses = jiangyin
    c = by_path(clauses)["三、(三)2."]
    assert (c.kind, c.label, c.depth, c.heading) == ("item", "2.", 2, "加快发展非化石能源")
    assert c.ancestors == ["重点任务", "调整能源结构,开展能源绿色转型行动"]
    assert c.heading_path == [*c.ancestors, "加快发展非化石能源"]
    assert c.clause_id == f"{doc.doc_id}#三、(三)2."
    assert c.parent_id == f"{doc.doc_id}#三、(三)"


def test_jiangyin_inline_and_own_line_headings(jiangyin):
    _, clauses = jiangyin
    p = by_path(clauses)
    inline = p["三、(一)1."]
    assert inline.heading == "全面强化绿色低碳思想认知"
    assert inline.text.startswith("1.全面强化绿色低碳思想认知。加强低碳社会建设宣传教育。")
    own_line = p["一、(一)"]
    assert own_line.heading == "指导思想"
    assert own_line.text.startswith("(一)指导思想\n坚持以习近平新时代中国特色社会主义思想为指导")
    # a bare heading line with children below it: the clause's own text is that line only
    assert p["三、(一)"].text == "(一)增强低碳意识,开展低碳社会创建行动\n"
    assert p["一、"].text == "一、总体要求\n"
    # an item heading holding “” is kept whole
    assert p["三、(二)3."].heading == "坚决遏制“两高一低”项目盲目发展"


def test_jiangyin_lead_topics(jiangyin):
    doc, clauses = jiangyin
    p = by_path(clauses)
    item = p["三、(三)1."]
    assert leads(item) == ["严格控制煤炭消费增长", "合理控制油气能源消费", "稳步提升能源安全保障能力"]
    for topic in item.topics:
        if topic.lead:
            assert doc.text[topic.start :].startswith(topic.lead + "。")
    assert leads(p["一、(二)"]) == ["统筹推进、分类施策", "政府引导、市场发力", "节约优先、绿色发展", "稳妥有序、安全降碳"]
    assert leads(p["三、(一)1."]) == ["加强低碳社会建设宣传教育", "强化领导干部培训", "引导企业履行社会责任"]


def test_topics_tile_each_clause(jiangyin):
    _, clauses = jiangyin
    for c in clauses:
        assert c.topics, c.path
        assert c.topics[0].start == c.start and c.topics[-1].end == c.end, c.path
        for a, b in zip(c.topics, c.topics[1:]):
            assert a.end == b.start, c.path


def test_jiangyin_offsets_are_verbatim(jiangyin):
    doc, clauses = jiangyin
    for c in clauses:
        assert doc.text[c.start : c.end] == c.text
    assert "".join(c.text for c in clauses) == doc.text
    assert [c.start for c in clauses] == sorted(c.start for c in clauses)


def test_jiangyin_tree_links_agree(jiangyin):
    _, clauses = jiangyin
    ids = {c.clause_id: c for c in clauses}
    for c in clauses:
        for cid in c.children:
            assert ids[cid].parent_id == c.clause_id and ids[cid].depth == c.depth + 1
        if c.parent_id is not None:
            assert c.clause_id in ids[c.parent_id].children
            assert c.path.startswith(ids[c.parent_id].path)


def test_jiangyin_ids_unique_and_stable(jiangyin):
    doc, clauses = jiangyin
    ids = [c.clause_id for c in clauses]
    assert len(set(ids)) == len(ids)
    assert all(cid.startswith(f"{doc.doc_id}#") for cid in ids)
    assert [c.clause_id for c in parse_document(doc)] == ids
    _, again = parsed(JIANGYIN)
    assert [c.clause_id for c in again] == ids


# --------------------------------------------------------------------------- the shared corpus

@pytest.mark.shared
def test_sc_action_plan(shared_parsed):
    _, clauses = shared_parsed("sc_action_plan_carbon_peak_before_2030")
    p = by_path(clauses)
    assert top(clauses) == ["前言", "一、", "二、", "三、", "四、", "五、", "六、"]
    assert [p[f"{cn(n)}、"].heading for n in range(1, 7)] == [
        "总体要求", "主要目标", "重点任务", "国际合作", "政策保障", "组织实施",
    ]
    actions = children(clauses, p["三、"])
    assert [c.heading for c in actions] == [
        "能源绿色低碳转型行动", "节能降碳增效行动", "工业领域碳达峰行动", "城乡建设碳达峰行动",
        "交通运输绿色低碳行动", "循环经济助力降碳行动", "绿色低碳科技创新行动", "碳汇能力巩固提升行动",
        "绿色低碳全民行动", "各地区梯次有序碳达峰行动",
    ]
    counts = [len(a.children) for a in actions]
    assert counts == [6, 4, 6, 4, 3, 4, 4, 4, 4, 4]
    for action, n in zip(actions, counts):
        assert labels_under(clauses, action.path) == [f"{i}." for i in range(1, n + 1)]
    assert labels_under(clauses, "四、") == ["(一)", "(二)", "(三)"]
    assert labels_under(clauses, "五、") == ["(一)", "(二)", "(三)", "(四)"]
    assert labels_under(clauses, "六、") == ["(一)", "(二)", "(三)"]
    # the 通知 with its signature sits in the preamble, before the 方案's own title
    assert "国务院\n2021年10月24日\n（本文有删减）\n2030年前碳达峰行动方案\n" in clauses[0].text
    assert p["三、(一)1."].label == "1．" and p["三、(一)1."].heading == "推进煤炭消费替代和转型升级"
    assert not any(c.kind == "closing" for c in clauses)


@pytest.mark.shared
def test_cpc_opinions(shared_parsed):
    _, clauses = shared_parsed("cpc_sc_opinions_carbon_peak_neutrality_2021")
    p = by_path(clauses)
    assert top(clauses) == ["前言", *[f"{cn(n)}、" for n in range(1, 14)], "落款"]
    assert p["十三、"].heading == "切实加强组织实施"
    # （一）–（三十七） numbered across sections, not restarting in each
    assert second_level(clauses) == [f"({cn(n)})" for n in range(1, 38)]
    per_section = [len(p[f"{cn(n)}、"].children) for n in range(1, 14)]
    assert per_section == [2, 0, 3, 3, 5, 3, 3, 2, 2, 3, 3, 4, 4]
    assert p["十三、(三十七)"].heading == "严格监督考核"
    closing = p["落款"]
    assert (closing.kind, closing.text) == ("closing", "（新华社北京2021年10月24日电）")


@pytest.mark.shared
def test_jiangsu_carbon_peak_plan(shared_parsed):
    _, clauses = shared_parsed("jiangsu_carbon_peak_implementation_plan")
    p = by_path(clauses)
    assert top(clauses) == ["前言", "一、", "二、", "三、", "四、", "五、"]
    assert [p[f"{cn(n)}、"].heading for n in range(1, 6)] == ["总体要求", "主要目标", "重点任务", "政策保障", "组织实施"]
    actions = children(clauses, p["三、"])
    assert [c.path for c in actions] == [f"三、({cn(n)})" for n in range(1, 9)]
    assert [len(a.children) for a in actions] == [3, 3, 4, 3, 3, 3, 4, 2]
    assert actions[0].heading == "低碳社会全民创建专项行动" and actions[7].heading == "各地区有序达峰专项行动"
    assert labels_under(clauses, "四、") == ["(一)", "(二)", "(三)", "(四)"]
    assert labels_under(clauses, "五、") == ["(一)", "(二)", "(三)"]
    assert p["三、(四)2."].heading == "全面提升节能管理水平"  # the 。 restored after this heading
    assert clauses[-1].path == "五、(三)" and clauses[-1].heading == "严格监督考核"


@pytest.mark.shared
def test_14th_fyp(shared_parsed):
    _, clauses = shared_parsed("sc_14th_fyp_energy_saving_emission_reduction_plan")
    p = by_path(clauses)
    assert top(clauses) == ["前言", "一、", "二、", "三、", "四、", "五、"]
    assert labels_under(clauses, "一、") == [] and labels_under(clauses, "二、") == []
    assert labels_under(clauses, "三、") == [f"({cn(n)})" for n in range(1, 11)]
    assert labels_under(clauses, "四、") == [f"({cn(n)})" for n in range(1, 9)]
    assert labels_under(clauses, "五、") == ["(一)", "(二)", "(三)"]
    assert p["三、(十)"].heading == "环境基础设施水平提升工程"
    assert "国务院\n2021年12月28日\n" in clauses[0].text


@pytest.mark.shared
def test_jiangsu_gov_green_economy(shared_parsed):
    _, clauses = shared_parsed("jiangsu_gov_green_lowcarbon_circular_economy_opinions_2022")
    assert top(clauses) == ["前言", *[f"{cn(n)}、" for n in range(1, 10)], "落款"]
    assert second_level(clauses) == [f"({cn(n)})" for n in range(1, 31)]
    closing = by_path(clauses)["落款"]
    assert (closing.kind, closing.text) == ("closing", "江苏省人民政府\n2022年1月24日")
    assert by_path(clauses)["九、(三十)"].heading == "营造良好氛围"


@pytest.mark.shared
def test_jiangsu_eco_env_plan(shared_parsed):
    _, clauses = shared_parsed("jiangsu_eco_env_dept_2022_carbon_work_plan")
    assert top(clauses) == ["前言", *[f"{cn(n)}、" for n in range(1, 7)]]
    assert second_level(clauses) == [f"({cn(n)})" for n in range(1, 30)]
    p = by_path(clauses)
    assert [len(p[f"{cn(n)}、"].children) for n in range(1, 7)] == [8, 6, 3, 3, 4, 5]
    assert "二、(九)" in p and "二、(十)" in p  # the run-on （九）/（十） was split apart


@pytest.mark.shared
def test_jiangsu_housing_opinions(shared_parsed):
    _, clauses = shared_parsed("jiangsu_housing_dept_green_urban_rural_construction_opinions_2021")
    p = by_path(clauses)
    assert top(clauses) == ["前言", *[f"{cn(n)}、" for n in range(1, 8)], "落款"]
    assert second_level(clauses) == [f"({cn(n)})" for n in range(1, 27)]
    assert p["一、"].heading == "充分认识重要意义" and p["一、"].children == []
    closing = p["落款"]
    assert closing.kind == "closing"
    assert closing.text == "江苏省住房和城乡建设厅\n2021年4月15日\n（此件公开发布）"
    assert p["七、(二十六)"].text.rstrip().endswith("。")  # the signature is not left in the last item


@pytest.mark.shared
def test_nanjing_jiangbei_plan(shared_parsed):
    _, clauses = shared_parsed("nanjing_jiangbei_new_area_carbon_peak_neutrality_action_plan_trial")
    p = by_path(clauses)
    assert top(clauses) == ["前言", "一、", "二、", "三、"]
    assert [p[f"{cn(n)}、"].heading for n in range(1, 4)] == ["总体要求", "主要任务", "保障措施"]
    sections = children(clauses, p["二、"])
    assert [len(s.children) for s in sections] == [4, 4, 3, 4, 4]
    tasks = [c.path[len(s.path) :] for s in sections for c in children(clauses, s)]
    assert tasks == [f"{n}." for n in range(1, 20)]  # 1–19 numbered on across 二's sections
    assert p["二、(二)5."].heading == "深入推进控煤降耗"
    assert labels_under(clauses, "一、") == ["(一)", "(二)", "(三)"]
    assert labels_under(clauses, "三、") == ["(一)", "(二)", "(三)"]
    assert clauses[-1].heading == "完善激励机制"


@pytest.mark.shared
def test_jiangsu_cpc_gov_opinions(shared_parsed):
    _, clauses = shared_parsed("jiangsu_cpc_gov_opinions_high_quality_carbon_peak_neutrality")
    p = by_path(clauses)
    assert top(clauses) == ["前言", *[f"{cn(n)}、" for n in range(1, 11)]]
    assert second_level(clauses) == [f"({cn(n)})" for n in range(1, 35)]
    assert [len(p[f"{cn(n)}、"].children) for n in range(1, 11)] == [3, 3, 4, 5, 3, 3, 3, 2, 4, 4]
    assert p["十、(三十四)"].heading == "严格监督考核"


@pytest.mark.shared
@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("cpc_sc_opinions_carbon_peak_neutrality_2021", ["全国统筹", "节约优先", "双轮驱动", "内外畅通", "防范风险"]),
        ("jiangsu_cpc_gov_opinions_high_quality_carbon_peak_neutrality",
         ["统筹推进", "节约优先", "双轮驱动", "内外畅通", "防范风险"]),
        ("sc_action_plan_carbon_peak_before_2030",
         ["总体部署、分类施策", "系统推进、重点突破", "双轮驱动、两手发力", "稳妥有序、安全降碳"]),
        ("jiangsu_carbon_peak_implementation_plan",
         ["整体部署、分类施策", "系统推进、重点突破", "双轮驱动、协同发力", "科学稳妥、循序渐进"]),
        ("nanjing_jiangbei_new_area_carbon_peak_neutrality_action_plan_trial", ["坚持目标导向", "坚持分类推进", "坚持典型示范"]),
    ],
)
def test_dash_paragraphs_become_bullet_clauses(shared_parsed, stem, expected):
    """The —— paragraphs of 一、(二) (工作原则 / 实施路径): a clause each, headed by its principle."""
    doc, clauses = shared_parsed(stem)
    paths = by_path(clauses)
    clause = paths["一、(二)"]
    bullets = [c for c in clauses if c.parent_id == clause.clause_id]
    assert [c.kind for c in bullets] == ["bullet"] * len(expected)
    assert [c.heading for c in bullets] == expected
    assert [c.path for c in bullets] == [f"一、(二)—{n}" for n in range(1, len(expected) + 1)]
    assert all(c.text.startswith("——") for c in bullets)


@pytest.mark.shared
def test_every_shared_document_tiles_its_text(shared_corpus):
    for path in sorted(shared_corpus.glob("*.txt")):
        doc, clauses = parsed(path)
        assert "".join(c.text for c in clauses) == doc.text, path.name
        assert all(doc.text[c.start : c.end] == c.text for c in clauses), path.name
        ids = [c.clause_id for c in clauses]
        assert len(set(ids)) == len(ids), path.name
        assert not any("~" in c.path for c in clauses), path.name  # no numbering repeats in the corpus
        assert clauses[0].kind == "preamble", path.name


# --------------------------------------------------------------------------- numbering forms, made-up texts


def test_full_and_half_width_numbering_fold_to_one_path():
    text = "一、总体要求\n（一）指导思想。坚持绿色发展。\n1．推进节能。加强管理。\n2、推进减排。\n(二)工作原则\n1.统筹推进。\n"
    clauses = parse_document(make(text))
    assert [c.path for c in clauses] == ["一、", "一、(一)", "一、(一)1.", "一、(一)2.", "一、(二)", "一、(二)1."]
    assert [c.label for c in clauses] == ["一、", "（一）", "1．", "2、", "(二)", "1."]
    assert [c.heading for c in clauses] == ["总体要求", "指导思想", "推进节能", "推进减排", "工作原则", "统筹推进"]


def test_bracketed_arabic_and_circled_numbers_nest_under_items():
    text = "一、任务\n1.推进节能。\n（1）工业节能。推进改造。\n①钢铁。淘汰落后产能。\n②水泥。推进替代。\n(2)建筑节能。\n2.推进减排。\n"
    clauses = parse_document(make(text))
    assert [(c.path, c.depth) for c in clauses] == [
        ("一、", 0), ("一、1.", 1), ("一、1.(1)", 2), ("一、1.(1)①", 3), ("一、1.(1)②", 3),
        ("一、1.(2)", 2), ("一、2.", 1),
    ]
    p = by_path(clauses)
    assert p["一、1.(1)②"].ancestors == ["任务", "推进节能", "工业节能"]
    assert p["一、1.(1)②"].parent_id == "t#一、1.(1)"
    assert p["一、1.(2)"].label == "(2)" and p["一、1.(1)"].label == "（1）"


def test_decimal_at_line_start_is_not_an_item():
    text = "二、主要目标\n1.2亿千瓦抽水蓄能装机。\n12.5%的增幅。\n3.推进建设。\n"
    clauses = parse_document(make(text))
    assert [c.path for c in clauses] == ["二、", "二、3."]
    assert clauses[0].text == "二、主要目标\n1.2亿千瓦抽水蓄能装机。\n12.5%的增幅。\n"


def test_repeated_numbering_keeps_ids_unique():
    text = "一、甲\n1.乙。\n1.乙又一次。\n一、甲\n1.丙。\n"
    clauses = parse_document(make(text))
    assert [c.path for c in clauses][:4] == ["一、", "一、1.", "一、1.~2", "一、~2"]
    assert clauses[4].parent_id == clauses[3].clause_id  # 1. under the second 一、
    ids = [c.clause_id for c in clauses]
    assert len(set(ids)) == len(ids)
    assert [c.clause_id for c in parse_document(make(text))] == ids


def test_text_without_numbering_is_one_preamble():
    text = "没有编号的一段文字。\n第二段，也没有编号。"
    clauses = parse_document(make(text))
    assert len(clauses) == 1
    only = clauses[0]
    assert (only.kind, only.path, only.start, only.end, only.text) == ("preamble", "前言", 0, len(text), text)


def test_fujian_starts_an_appendix():
    text = "一、任务\n1.推进建设。\n附件1：重点项目表\n项目一 光伏电站\n"
    clauses = parse_document(make(text))
    assert [c.path for c in clauses] == ["一、", "一、1.", "附件1"]
    appendix = clauses[-1]
    assert (appendix.kind, appendix.depth, appendix.heading) == ("appendix", 0, "重点项目表")
    assert appendix.parent_id is None
    assert appendix.text == "附件1：重点项目表\n项目一 光伏电站\n"
    assert clauses[1].text == "1.推进建设。\n"  # the item before it does not run on into the appendix


def test_appendix_on_its_own_line_takes_the_next_line_as_title():
    clauses = parse_document(make("一、任务\n附件\n重点项目清单\n"))
    assert (clauses[-1].kind, clauses[-1].heading) == ("appendix", "重点项目清单")


def test_signature_after_the_last_item_is_the_closing():
    text = "一、任务\n（一）推进建设。加快发展。\n江苏省人民政府\n2022年1月24日\n"
    clauses = parse_document(make(text))
    assert [c.path for c in clauses] == ["一、", "一、(一)", "落款"]
    assert clauses[1].text == "（一）推进建设。加快发展。\n"
    assert clauses[2].text == "江苏省人民政府\n2022年1月24日\n"


def test_an_article_without_heading_is_named_by_what_it_says_before_its_items():
    """第X条…下列…： introduces its items: they sit under what it says, as under a heading, read up to
    the first item only; an article whose words before its items end in no colon is named by its number."""
    clauses = parse_document(make(
        "第一章总则\n第五条申请补助的项目应当符合下列条件：\n（一）在本市注册；\n（二）年产值达到五百万元。\n"
        "第六条本办法由市财政局解释。其他事项另行规定。\n（一）未尽事宜；\n"
    ))
    paths = by_path(clauses)
    assert paths["第五条(二)"].ancestors == ["总则", "申请补助的项目应当符合下列条件"]
    assert paths["第五条(一)"].ancestors == paths["第五条(二)"].ancestors  # the first item's start, not the next
    assert paths["第六条(一)"].ancestors == ["总则", "第六条"]

