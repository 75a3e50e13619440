"""reflow: lines as a page lays them out -> paragraphs as written. Small made-up pages; the real PDFs are
in test_realdocs.py."""
from __future__ import annotations

import pytest

from assistant.ingest.base import Line
from assistant.ingest.reflow import reflow, squeeze_spaces


def page(*rows: tuple[str, bool, bool], number: int = 1) -> list[Line]:
    """Lines of one page: (text, runs to the right edge, indented)."""
    return [Line(text, page=number, wraps=wraps, indent=indent, size=10.0, fill=1.0 if wraps else 0.5)
            for text, wraps, indent in rows]


def texts(lines: list[Line]) -> list[str]:
    return [p.text for p in reflow(lines)]


def test_lines_the_page_width_broke_are_joined_back():
    lines = page(
        ("为深入贯彻落实党中央、国务院关于碳达峰、碳中和", True, True),
        ("的重大决策部署，特制订本方案。", False, False),
        ("一、总体目标", False, True),
        ("到 2025 年，非化石能源占比达到 20%以上，单位", True, True),
        ("地区生产总值能耗下降 13.5%。", False, False),
    )
    assert texts(lines) == [
        "为深入贯彻落实党中央、国务院关于碳达峰、碳中和的重大决策部署，特制订本方案。",
        "一、总体目标",
        "到2025年，非化石能源占比达到20%以上，单位地区生产总值能耗下降13.5%。",
    ]


@pytest.mark.parametrize("marker", ["一、", "（二）", "3.", "（4）", "⑤", "第十五条 ", "第二章 ", "附件1", "——"])
def test_a_clause_marker_always_starts_a_paragraph(marker):
    lines = page(("各地要结合实际，加快推进节能降碳改造，确保完成", True, True), (f"{marker}下一项内容。", False, False))
    assert len(texts(lines)) == 2


def test_an_indented_line_opens_a_paragraph_even_after_a_full_one():
    lines = page(("各地要结合实际，加快推进节能降碳改造工作落实。", True, True), ("加强组织领导。", False, True))
    assert texts(lines) == ["各地要结合实际，加快推进节能降碳改造工作落实。", "加强组织领导。"]


def test_a_ragged_line_mid_sentence_is_joined_but_a_short_heading_is_not():
    ragged = [Line("（二）制定实施方案。坚持降碳、减", 1, wraps=False, indent=True, size=10, fill=0.93),
              Line("污、扩绿、增长协同推进。", 1, wraps=False, indent=False, size=10, fill=0.4)]
    assert texts(ragged) == ["（二）制定实施方案。坚持降碳、减污、扩绿、增长协同推进。"]
    heading = [Line("一、主要目标", 1, wraps=False, indent=False, size=10, fill=0.2),
               Line("到2025年，装机达到500兆瓦。", 1, wraps=False, indent=False, size=10, fill=0.5)]
    assert texts(heading) == ["一、主要目标", "到2025年，装机达到500兆瓦。"]


def test_glyphs_set_on_a_row_of_their_own_rejoin_their_sentence():
    lines = page(("协同推进绿色低碳科", True, True), ("研合", False, False), ("作和技术成果转化。", False, False))
    assert texts(lines) == ["协同推进绿色低碳科研合作和技术成果转化。"]


def test_page_numbers_and_running_footers_go_and_sentences_run_across_pages():
    first = page(("资料整理：碳中和资料库公众号 — 1 —", False, False), ("到2025年，全市光伏装机容量", True, True), number=1)
    second = page(("— 2 —", False, False), ("达到1400兆瓦。", False, False), ("资料整理：碳中和资料库公众号 — 2 —", False, False),
                  number=2)
    for line in (first[0], second[0], second[2]):
        line.edge = True
    assert texts(first + second) == ["到2025年，全市光伏装机容量达到1400兆瓦。"]


def test_a_line_repeated_in_the_body_is_kept():
    rows = [page(("（责任单位：市发改委）", False, True), number=n) for n in (1, 2, 3)]
    assert texts([ln for p in rows for ln in p]) == ["（责任单位：市发改委）"] * 3


def test_a_wrapped_title_set_large_is_one_line_and_its_number_line_stays_apart():
    lines = [Line("省住房城乡建设厅关于推进碳达峰目标下绿色城", 1, wraps=True, indent=False, size=18, fill=1.0),
             Line("乡建设的指导意见", 1, wraps=False, indent=True, size=18, fill=0.5),
             Line("苏建办〔2021〕66 号", 1, wraps=False, indent=True, size=15, fill=0.5),
             *page(("各设区市住房城乡建设局：", False, False), ("正文第一段。", False, True))]
    assert texts(lines)[:2] == ["省住房城乡建设厅关于推进碳达峰目标下绿色城乡建设的指导意见", "苏建办〔2021〕66号"]


def test_a_large_title_broken_short_on_purpose_is_one_line_and_a_red_header_or_its_number_is_no_part_of_it():
    """Made-up first pages: a title set larger may break into two even lines that reach no edge; they are
    one title when together they end as a title does, and an issuer, 文号 or date line in the same size
    is not joined to a whole title, nor a red header's two issuers to each other."""

    def first(*big: str) -> list[str]:
        lines = [Line(t, 1, wraps=False, indent=True, size=21, fill=0.6) for t in big]
        return texts([*lines, *page(("各设区市人民政府：", False, False), ("正文第一段，到此为止。", False, True))])

    assert first("关于推进城乡建设绿色", "低碳发展的指导意见")[0] == "关于推进城乡建设绿色低碳发展的指导意见"
    assert first("某新区碳达峰碳中和", "行动计划（试行）")[0] == "某新区碳达峰碳中和行动计划（试行）"
    assert first("某市碳达峰实施方案", "某政发〔2022〕8号")[:2] == ["某市碳达峰实施方案", "某政发〔2022〕8号"]
    assert first("某市碳达峰实施方案", "2022年10月9日")[:2] == ["某市碳达峰实施方案", "2022年10月9日"]
    assert first("中共某某市委员会", "某某市人民政府")[:2] == ["中共某某市委员会", "某某市人民政府"]


def test_soft_breaks_join_mid_sentence_only():
    lines = [Line("各地要加快", soft=True), Line("推进工作。", soft=True), Line("（二）下一条")]
    assert texts(lines) == ["各地要加快推进工作。", "（二）下一条"]


def test_a_hard_wrapped_text_file_is_rejoined_and_a_plain_one_left_alone():
    width = "各地区各部门要把碳达峰碳中和工作纳入经济社会发展全局"  # 26 characters
    wrapped = [Line(width), Line(width), Line("坚持系统观念。"), Line(width), Line("统筹推进。"), Line("一、目标")]
    assert texts(wrapped) == [width * 2 + "坚持系统观念。", width + "统筹推进。", "一、目标"]
    plain = [Line("一、总体要求"), Line("坚持系统观念，统筹推进。"), Line("二、主要目标")]
    assert texts(plain) == ["一、总体要求", "坚持系统观念，统筹推进。", "二、主要目标"]


@pytest.mark.parametrize(("raw", "clean"), [
    ("到 2025 年，光伏装机 1400 兆瓦", "到2025年，光伏装机1400兆瓦"),
    ("非化石能源占比 20 %以上", "非化石能源占比20%以上"),
    ("第 一 章 总 则", "第一章总则"),
    ("推进 CO2 捕集利用", "推进 CO2 捕集利用"),
    ("建设 MW 级储能", "建设 MW 级储能"),
    ("support green finance and CCUS", "support green finance and CCUS"),
    ("指标 | 目标值", "指标 | 目标值"),
    ("二氧化碳（COsub2/sub）", "二氧化碳（COsub2/sub）"),
])
def test_spaces_inside_chinese_go_and_latin_spacing_stays(raw, clean):
    assert squeeze_spaces(raw) == clean


def test_export_tag_remnants_are_undone():
    assert texts([Line("二氧化碳（COsub2/sub）、甲烷（CHsub4/sub）")]) == ["二氧化碳（CO2）、甲烷（CH4）"]
