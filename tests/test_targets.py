"""Quantified targets read from the real documents, pinned row by row against the text."""
from __future__ import annotations

import pytest

from assistant.parse import parse_document
from assistant.schema import DocMeta, Document
from assistant.targets import extract_targets


@pytest.fixture(scope="module")
def plan_rows(jiangyin):
    doc, clauses = jiangyin
    return extract_targets(doc, clauses)


def row(rows, indicator, value=None):
    found = [r for r in rows if indicator in r.indicator and (value is None or r.value == value)]
    assert found, f"no target {indicator} {value}: {[(r.indicator, r.value) for r in rows]}"
    return found[0]


# (path, deadline, indicator, value, unit, qualifier, baseline): read off the plan's text
PLAN_TARGETS = [
    ("二、", "2025年", "单位地区生产总值能耗", "15", "%", "以上", "2020年"),
    ("二、", "2025年", "非化石能源消费比重", "10", "%", "以上", ""),
    ("二、", "2025年", "林木覆盖率", "24.7", "%", "", ""),
    ("二、", "2030年", "单位地区生产总值二氧化碳排放", "65", "%", "以上", "2005年"),
    ("二、", "2030年前", "二氧化碳排放量", "达到峰值", "", "", ""),
    ("三、(一)4.", "“十四五”末", "营造林面积", "3000", "亩", "", ""),
    ("三、(一)4.", "2025年", "自然湿地保护率", "24.7", "%", "", ""),
    ("三、(三)1.", "2023年底前", "散煤", "清零", "", "", ""),
    ("三、(三)1.", "2025年", "煤电装机占比", "50", "%", "左右", ""),
    ("三、(三)1.", "2030年", "天然气消费总量", "30", "亿立方", "左右", ""),
    ("三、(三)2.", "2030年", "太阳能发电装机容量", "1400", "兆瓦", "", ""),
    ("三、(三)2.", "2030年", "风电发电装机容量", "40", "兆瓦", "力争以上", ""),
    ("三、(四)4.", "2025年", "城区居民小区生活垃圾分类设施覆盖率", "100", "%", "", ""),
    ("三、(四)4.", "2025年", "垃圾分类集中处理率", "90", "%", "", ""),
    ("三、(五)2.", "2025年", "装配式建筑占当年城镇新建建筑的比例", "50", "%", "", ""),
    ("三、(五)2.", "2030年", "公共建筑机电系统总体能效", "10", "%", "", "现有水平"),
    ("三、(五)3.", "2025年", "城镇建筑可再生能源替代率", "8", "%", "", ""),
    ("三、(五)3.", "2025年", "屋顶光伏覆盖率", "50", "%", "", ""),
    ("三、(五)3.", "2025年", "既有建筑节能改造", "70", "万㎡", "以上", ""),
    ("三、(六)2.", "2025年", "新能源城市公交车占比", "90", "%", "", ""),
    ("三、(六)2.", "2025年", "新能源汽车比例", "30", "%", "原则上不低于", ""),
    ("三、(六)2.", "2025年", "新能源汽车应用比例", "20", "%", "力争", ""),
    ("五、(三)", "", "零碳示范工程", "10", "个", "左右", ""),
    ("五、(三)", "2022年底", "零碳产业园", "建成", "", "", ""),
]


@pytest.mark.parametrize("path, deadline, indicator, value, unit, qualifier, baseline", PLAN_TARGETS)
def test_plan_targets(plan_rows, path, deadline, indicator, value, unit, qualifier, baseline):
    r = row(plan_rows, indicator, value)
    assert (r.path, r.deadline, r.unit, r.qualifier, r.baseline) == (path, deadline, unit, qualifier, baseline)
    assert r.scope == "全市"
    assert r.segment in r.sentence  # verbatim


def test_plan_states_about_twenty_five_targets(plan_rows):
    assert 24 <= len(plan_rows) <= 32
    assert not [r for r in plan_rows if not r.indicator]


def test_a_sentence_with_several_targets_yields_several_rows(plan_rows):
    sentence = [r for r in plan_rows if r.indicator == "林木覆盖率"][0].sentence
    same = [r for r in plan_rows if r.sentence == sentence]
    assert [r.indicator for r in same] == ["单位地区生产总值能耗", "非化石能源消费比重", "林木覆盖率"]


def test_notes_and_years_are_not_targets(plan_rows):
    assert not [r for r in plan_rows if r.unit == "年" or "负责" in r.segment]
    assert not [r for r in plan_rows if r.path == "前言"]


@pytest.mark.shared
def test_provincial_and_national_targets(shared_parsed):
    checks = {
        "jiangsu_carbon_peak_implementation_plan": [
            ("非化石能源消费比重", "18", "%", "2025年", "全省"),
            ("风电装机", "2800", "万千瓦", "2025年", "全省"),
            ("煤电机组供电煤耗", "290", "克/千瓦时", "2025年", "全省"),
            ("单位地区生产总值能耗", "14", "%", "2025年", "全省"),
        ],
        "sc_14th_fyp_energy_saving_emission_reduction_plan": [
            ("单位国内生产总值能源消耗", "13.5", "%", "2025年", "全国"),
        ],
        "cpc_sc_opinions_carbon_peak_neutrality_2021": [
            ("单位国内生产总值能耗", "13.5", "%", "2025年", "全国"),  # 到2025年 in the sentence before
            ("非化石能源消费比重", "80", "%", "2060年", "全国"),
            ("森林蓄积量", "190", "亿立方米", "2030年", "全国"),
        ],
        "sc_action_plan_carbon_peak_before_2030": [
            ("风电、太阳能发电总装机容量", "12", "亿千瓦", "2030年", "全国"),
            ("新型储能装机容量", "3000", "万千瓦", "2025年", "全国"),
        ],
    }
    for stem, expected in checks.items():
        doc, clauses = shared_parsed(stem)
        rows = extract_targets(doc, clauses)
        for indicator, value, unit, deadline, scope in expected:
            r = row(rows, indicator, value)
            assert (r.unit, r.deadline, r.scope) == (unit, deadline, scope), (stem, indicator)


def test_deadline_forms_and_baselines_on_small_text():
    text = "一、目标\n到2025年，全省光伏装机达到3500万千瓦以上，单位能耗比2020年下降14%。“十四五”末，湿地面积不低于300亩。2023年底前实现散煤清零。\n"
    doc = Document(doc_id="t", path="t.txt", meta=DocMeta(title="t", level="省"), text=text, content_hash="x")
    rows = extract_targets(doc, parse_document(doc))
    got = [(r.deadline, r.indicator, r.value, r.unit, r.qualifier, r.baseline, r.scope) for r in rows]
    assert got == [
        ("2025年", "光伏装机", "3500", "万千瓦", "以上", "", "全省"),
        ("2025年", "单位能耗", "14", "%", "", "2020年", "全省"),
        ("“十四五”末", "湿地面积", "300", "亩", "不低于", "", "全省"),
        ("2023年底前", "散煤", "清零", "", "", "", "全省"),
    ]


def test_a_condition_belongs_to_the_figure_it_leads_to():
    """A clause ending in 的 (对…且自用的，) states no target of its own: its row's segment runs on to the
    figure it leads to, so the row quoted says what is given."""
    text = "四、支持标准\n1.对企业建设储能设施（200千瓦时以上）且自用的，按照放电量给予0.1元/千瓦时的补助。\n"
    doc = Document(doc_id="t", path="t.txt", meta=DocMeta(title="t", level="区县"), text=text, content_hash="x")
    rows = extract_targets(doc, parse_document(doc))
    assert rows and all("0.1元/千瓦时" in r.segment for r in rows)


def test_a_level_kept_is_a_target():
    """稳定在, 维持在 state a target as 保持在 does, and are no part of the indicator."""
    text = "一、目标\n到2025年，秸秆综合利用率稳定在86%以上，耕地保有量维持在300万亩。\n"
    doc = Document(doc_id="t", path="t.txt", meta=DocMeta(title="t", level="国家"), text=text, content_hash="x")
    got = [(r.indicator, r.value, r.unit) for r in extract_targets(doc, parse_document(doc))]
    assert got == [("秸秆综合利用率", "86", "%"), ("耕地保有量", "300", "万亩")]


@pytest.mark.parametrize(("value", "unit", "qualifier", "shown"), [
    ("30", "%", "原则上不低于", "不低于30%（原则上）"),
    ("40", "兆瓦", "力争以上", "力争40兆瓦以上"),
    ("20", "%", "力争", "力争20%"),
    ("50", "%", "左右", "50%左右"),
    ("300", "亩", "不低于", "不低于300亩"),
    ("达到峰值", "", "", "达到峰值"),
])
def test_a_value_reads_as_the_sentence_says_it(value, unit, qualifier, shown):
    from assistant.schema import Target
    from assistant.targets import value_text

    assert value_text(Target(doc_id="d", clause_id="d#一、", sentence="", value=value, unit=unit, qualifier=qualifier)) == shown


def test_the_plan_values_read_naturally(plan_rows):
    from assistant.targets import value_text

    shown = {value_text(r) for r in plan_rows}
    assert {"不低于30%（原则上）", "力争40兆瓦以上", "1400兆瓦"} <= shown
    assert not any("力争以上" in s or s.endswith("不低于") for s in shown)
