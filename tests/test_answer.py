"""The answer package: each registered strategy and abstention rule on the plan's index (the bundled e5
model), and the fitted decision. The questions are made up here, not taken from the eval sets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answer import RULES, STRATEGIES
from assistant.answer.abstain import SENTENCE_RULES
from assistant.answer.calibrate import Collected, fit
from assistant.answer.candidates import FEATURES
from assistant.answer.decision import Decision, for_embedder, path_for
from assistant.schema import Scope

pytestmark = pytest.mark.integration


def test_every_strategy_and_rule_is_registered_once_by_name():
    names = [n for n, _ in STRATEGIES] + [n for n, _ in RULES] + [n for n, _ in SENTENCE_RULES]
    assert len(names) == len(set(names))
    assert {"quote", "dept_tasks", "year_targets", "outline", "department", "sentence"} <= set(names)


def test_sentence_states_the_target_with_its_deadline(assistant):
    answer = assistant.ask("到2030年光伏发电要装多少?")
    assert answer.strategy == "sentence" and "1400兆瓦" in answer.answer and "2030" in answer.answer


def test_a_wrong_premise_is_corrected(assistant):
    answer = assistant.ask("光伏到2025年要装到1400兆瓦，对吗?")
    assert answer.answer.startswith("不对") and "2030" in answer.answer


def test_department_names_the_task_sentence_and_says_listed_first_not_lead(assistant):
    answer = assistant.ask("光伏建设这件事由哪几个部门来管?")
    assert answer.strategy == "department" and "三、(三)2." in answer.answer
    assert "发改委" in answer.answer and "列首位" in answer.answer and "牵头" not in answer.answer


@pytest.mark.parametrize("task", ["推进重点工业行业碳达峰", "推动绿色低碳升级改造"])
def test_a_task_quoted_by_its_heading_is_answered_from_that_clause(assistant, task):
    """Officials name a task by its heading; its sentences need not rank first on their own words."""
    heading = {c.clause_id: c.heading for c in assistant.data.clauses}
    for asked in (f"“{task}”这项工作由哪些部门负责?", f"“{task}”的责任单位有哪些?"):
        answer = assistant.ask(asked)
        assert answer.strategy == "department", asked
        assert heading[f"{answer.citations[0].doc_id}#{answer.citations[0].clause}"] == task, asked


def test_dept_tasks_lists_a_departments_tasks_with_their_clauses(assistant):
    answer = assistant.ask("供电公司承担哪几项任务?")
    assert answer.strategy == "dept_tasks" and "供电公司" in answer.answer and len(answer.citations) >= 3


def test_year_targets_lists_the_targets_due_that_year(assistant):
    answer = assistant.ask("2030年有哪些目标?")
    assert answer.strategy == "year_targets" and "1400兆瓦" in answer.answer


def test_outline_lists_the_items_of_the_list_named(assistant):
    answer = assistant.ask("方案一共安排了哪七大重点任务?")
    assert answer.strategy == "outline" and answer.answer.count("；") >= 6


def test_a_pasted_clause_is_answered_by_where_it_comes_from(assistant):
    clause = assistant.clause("jiangyin_carbon_peak_plan_draft", "三、(三)2.")
    answer = assistant.ask(clause.text[30:160])
    assert answer.strategy == "quote" and "三、(三)2." in answer.answer


def test_a_question_of_two_parts_answers_each_or_says_which_it_cannot(assistant):
    answer = assistant.ask("到2030年光伏发电要装多少？方案给每户居民发多少购车补贴？")
    assert answer.strategy.startswith("parts:") and "1400兆瓦" in answer.answer and "文件未提及" in answer.answer
    assert not answer.found  # found only when every part is answered


def test_the_attribute_rule_declines_a_value_the_passage_never_names(assistant):
    from assistant.answer.abstain import attribute_absent
    from assistant.answer.candidates import Candidate

    answer = assistant.ask("环保贷的贷款利率定的是多少?")  # the plan names 环保贷, never its rate
    assert not answer.found and answer.strategy in ("not_found:attribute_absent", "not_found:calibrated")
    best = Candidate(0, None, "支持企业申报“环保贷”。", 0, features={"attribute_absent": 1.0})  # type: ignore[arg-type]
    ask = type("Ask", (), {"q": assistant.read("环保贷的贷款利率定的是多少?")})()
    assert attribute_absent(best, ask) and not attribute_absent(Candidate(0, None, "", 0, features={}), ask)  # type: ignore[arg-type]
    known = type("Ask", (), {"q": assistant.read("非化石能源占多大比例?")})()  # 比例: a word the plan uses
    assert known.q.attribute == "比例" and not attribute_absent(best, known)  # type: ignore[arg-type]


def test_a_share_asked_under_one_word_is_found_under_another():
    """Made-up passages: 多大比例 / 占比 ask for a share, which a passage states by its figure under
    whichever word it uses (比重); a passage with no share, or a topic word, must still carry the word."""
    from assistant.answer.candidates import _attribute_in

    assert _attribute_in("比例", "到2030年，可再生能源消费比重达到35%以上。")
    assert _attribute_in("占比", "绿色建筑占新建建筑百分之七十。")
    assert not _attribute_in("比例", "到2030年，可再生能源装机达到500万千瓦。")  # an amount, not a share
    assert not _attribute_in("利用率", "到2025年，综合利用比重达到60%。")  # a topic's rate is named, not any share


def test_a_size_asked_is_carried_by_any_amount():
    """规模, 体量: how big, which any amount or order of magnitude states; a year is no amount."""
    from assistant.answer.candidates import _attribute_in

    assert _attribute_in("体量", "建设百亿级绿色低碳产业园。") and _attribute_in("规模", "新增储能装机30万千瓦。")
    assert not _attribute_in("体量", "到2025年，建设绿色低碳产业园。")


def test_a_change_asked_is_carried_by_a_change_stated_with_its_amount():
    """降幅, 增幅: how much a thing changes, which 下降9.5% or 提高到40% states; a year is no amount, and a
    level reached without a change (达到20%) states none."""
    from assistant.answer.candidates import _attribute_in

    assert _attribute_in("碳排放强度降幅", "营运交通工具单位换算周转量碳排放强度较2020年下降9.5%左右。")
    assert _attribute_in("增幅", "高新技术产业产值占比提高到48.5%。")
    assert not _attribute_in("降幅", "到2030年，推进交通运输低碳转型。")
    assert not _attribute_in("降幅", "新能源车新车销售量占比达到20%以上。")


def test_a_city_no_document_is_about_gets_no_other_places_figure(assistant):
    from assistant.answer.abstain import place_absent
    from assistant.answer.candidates import Candidate

    answer = assistant.ask("苏州市到2030年光伏发电装机要达到多少?")  # the plan is 江阴's, not 苏州's
    assert not answer.found and "1400" not in answer.answer
    q = assistant.read("苏州市到2030年光伏发电装机要达到多少?")
    assert q.foreign_areas == ["苏州"]
    ask = type("Ask", (), {"q": q})()
    assert place_absent(Candidate(0, None, "光伏发电装机达到1400兆瓦。", 0), ask)  # type: ignore[arg-type]
    assert not place_absent(Candidate(0, None, "完成苏州市下达的目标。", 0), ask)  # type: ignore[arg-type]
    assistant_word = assistant.read("卡住项目盲目上马，由谁负责?")  # a word jieba tags as a place is no city
    assert assistant_word.foreign_areas == []


def test_an_english_question_about_a_place_no_document_is_about_is_declined(assistant):
    """A Chinese place written in pinyin (Hangzhou) is read as the place it names; the plan's own place
    (Jiangyin) is not foreign, and a capitalised English word that is no place's pinyin is no place."""
    q = assistant.read("What is Hangzhou's target for solar generating capacity by 2030?")
    assert "杭州" in q.foreign_areas
    assert not assistant.ask("What is Hangzhou's target for solar generating capacity by 2030?").found
    assert assistant.read("What is Jiangyin's target for solar generating capacity by 2030?").foreign_areas == []
    assert assistant.read("What does the Plan say about Solar power?").foreign_areas == []


def ask_of(assistant, text: str):
    """What a rule reads of an ask: the question as read (a stand-in for strategies.Ask)."""
    return type("Ask", (), {"q": assistant.read(text)})()


def test_a_how_much_question_is_not_answered_by_a_sentence_without_an_amount(assistant):
    from assistant.answer.abstain import figure_absent
    from assistant.answer.candidates import FIGURE, Candidate

    topic_only = Candidate(0, None, "落实绿色担保奖补、环境污染责任保险保费补贴等政策。", 0)  # type: ignore[arg-type]
    amount = Candidate(0, None, "到2025年，新增分布式光伏装机容量达到300兆瓦。", 0)  # type: ignore[arg-type]
    how_much = ask_of(assistant, "环境污染责任保险的保费能补贴多少?")
    assert how_much.q.intent.asks_amount and figure_absent(topic_only, how_much)
    assert not figure_absent(amount, how_much)
    assert not figure_absent(topic_only, ask_of(assistant, "有哪几个城市先行先试?"))  # 哪几个 asks which ones, not how many
    assert not figure_absent(topic_only, ask_of(assistant, "光伏装机是300兆瓦吗?"))  # a claimed figure: the premise check's
    assert not figure_absent(topic_only, ask_of(assistant, "散煤什么时候清零?"))  # asks when
    # an amount in Chinese numerals or as an order of magnitude is an amount; a document's title is not
    assert FIGURE.search("处二万元以上的罚款") and FIGURE.search("打造千亿级临港清洁能源产业园")
    assert all(FIGURE.search(t) for t in ("建成五个示范区", "百分之三十", "提高三成", "达到1.5亿", "500MW", "100公顷", "下降至0.75", "1:1"))
    # an approximate amount (余, 多 before the unit or its order) is one; 多家 alone counts nothing
    assert all(FIGURE.search(t) for t in ("组织300余家企业", "新增200多万千瓦", "减排1万余吨", "建成二十多个站点", "十余家单位"))
    assert not FIGURE.search("多家企业参与") and not figure_absent(Candidate(0, None, "组织全省300余家重点单位开展核查工作。", 0), how_much)  # type: ignore[arg-type]
    dated = Candidate(0, None, "到2025年，加快推动储能电站建设。", 0)  # type: ignore[arg-type]
    assert figure_absent(dated, how_much)  # a year is a date, not the amount asked
    titled = Candidate(0, None, "贯彻落实《2030年前碳达峰行动方案》。", 0)  # type: ignore[arg-type]
    assert figure_absent(titled, how_much)


def test_a_question_asking_the_day_is_not_answered_where_no_passage_names_a_day(assistant):
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    for asked in ("零碳园区的验收是哪一天？", "新能源公交车推广方案哪天开始执行？"):
        assert assistant.ask(asked).strategy == "not_found:day_absent", asked
        # the rule is what declines them: without it, a year's target answers
        without = Assistant(assistant.data, assistant.embedder, Settings(rules_off="day_absent"))
        assert without.ask(asked).found, asked
    answer = assistant.ask("征求意见的截止日期是哪一天？")
    assert answer.found and "2023年2月9日" in answer.answer


def test_a_deadline_opening_a_list_holds_for_its_later_parts():
    """到2025年，A…；B…。: B's figure is for 2025 although its part names only another year (力争2026年…)."""
    from assistant.answer.candidates import in_force

    text = "总体目标。“十四五”期间能耗增量控制在400万吨以内；到2025年，非化石能源比重达到18%；森林覆盖率提高到19%，力争2026年实现达峰。到2030年，湿地保护率达到60%。"
    assert in_force(text, text.index("森林")) == ["2025"]
    assert in_force(text, text.index("“十四五")) == []  # nothing opens before it
    assert in_force(text, text.index("湿地")) == ["2030"]  # the next sentence's own deadline, not 2025


def test_a_when_question_is_not_answered_by_a_sentence_stating_no_time(assistant):
    """提前达峰 and 推广“碳时尚”APP say when nothing happens: a when-question they would answer is declined;
    one whose sentence states a time is answered."""
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    for asked in ("纺织行业要在哪一年之前达峰？", "什么时候开始推广碳时尚APP？"):
        assert assistant.ask(asked).strategy == "not_found:time_absent", asked
        without = Assistant(assistant.data, assistant.embedder, Settings(rules_off="time_absent"))
        assert without.ask(asked).found, asked
    assert "2023年底" in assistant.ask("散煤什么时候清零？").answer


def test_how_much_there_is_now_is_not_answered_by_a_target_for_a_year_to_come(assistant):
    """The plan states what 2025 and 2030 should bring, not what there is today."""
    from assistant.answer.abstain import _ASKS_NOW
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    for asked in ("江阴目前光伏装机有多少兆瓦？", "现在江阴的林木覆盖率是多少？"):
        assert assistant.ask(asked).strategy == "not_found:status_other", asked
        without = Assistant(assistant.data, assistant.embedder, Settings(rules_off="status_other"))
        assert without.ask(asked).found, asked  # the rule declines them: without it, a target answers
    answer = assistant.ask("到2025年江阴林木覆盖率要达到多少？")
    assert answer.found and "24.7%" in answer.answer
    # now, as a baseline or as when a plan is asked for, asks no present state
    assert not _ASKS_NOW.search("到2030年，公共建筑能效要比现在提高多少？")
    assert not _ASKS_NOW.search("目前要求光伏装机达到多少？")


def test_a_value_for_a_thing_no_document_names_is_not_taken_from_a_list_of_others(assistant):
    """Made-up sentences stating values item by item (A、B…分别…): asked of a kind of thing the plan never
    names (颗粒物排放, 臭氧排放), none of the values is its; asked of one of the items (the first matched by its
    end, the last by its start), of a sentence with no such list, with a noun that names no kind of what is
    asked (老板问下), or in words the plan uses, the rule leaves it to the decision."""
    from assistant.answer.abstain import item_absent
    from assistant.answer.candidates import Candidate

    def sentence(text: str) -> Candidate:
        return Candidate(0, None, text, 0)  # type: ignore[arg-type]

    listed = sentence("到2025年，全市化学需氧量、挥发性有机物排放总量比2020年分别下降8%、10%以上。")
    for asked in ("到2025年颗粒物排放总量要比2020年下降多少?", "臭氧排放总量到2025年要降多少?"):
        assert ask_of(assistant, asked).q.unknown_kinds, asked
        assert item_absent(listed, ask_of(assistant, asked)), asked
    for asked in ("颗粒物排放和化学需氧量排放到2025年各下降多少?", "颗粒物排放、挥发性有机物排放总量各下降多少?"):
        both = ask_of(assistant, asked)
        assert both.q.unknown_kinds and not item_absent(listed, both), asked  # one of the items is asked of
    assert not item_absent(sentence("到2025年，颗粒物排放总量下降8%。"), ask_of(assistant, "颗粒物排放要下降多少?"))
    assert not item_absent(listed, ask_of(assistant, "主要污染物排放总量要下降多少?"))  # words the plan uses
    boss = ask_of(assistant, "老板问下单位GDP能耗要降多少?")  # 老板: no kind of anything the sentence states
    assert not boss.q.unknown_kinds and not item_absent(listed, boss)
    duties = sentence("到2025年，颗粒物、挥发性有机物治理由生态环境局、工信局分别负责。")  # no value after 分别
    assert not item_absent(duties, ask_of(assistant, "臭氧排放总量到2025年要降多少?"))


def test_asked_what_a_term_covers_the_sentence_defining_it_goes_first(assistant):
    """Made-up sentences of a regulation's 用语含义 article: asked what a term covers, the definition of the
    longest asked term goes ahead of one defining another term that mentions it, if rated answerable; not
    for a question that asks something else of the term (how many, when)."""
    from assistant.answer import _definition_first, defined_term
    from assistant.answer.candidates import Candidate

    def sentence(text: str, p: float) -> Candidate:
        c = Candidate(0, None, text, 0)  # type: ignore[arg-type]
        c.p = p
        return c

    assert defined_term("（一）温室气体：是指大气中吸收和重新放出红外辐射的气态成分") == "温室气体"
    assert defined_term("本办法所称重点排放单位，是指年排放量达到2.6万吨的单位。") == "重点排放单位"
    assert defined_term("温室气体是指导致全球变暖的气体。") == "温室气体"  # 是 + 指 + 导致
    assert defined_term("“双碳”是指碳达峰与碳中和。") == "双碳"
    assert defined_term("加强温室气体排放管理，是指导企业的重要工作。") == ""  # 是 + 指导: no definition
    assert defined_term("考核主要是指标体系的完善。") == ""
    other = "（二）碳排放：是指化石能源燃烧产生的温室气体排放。"
    asked = "（一）温室气体：是指大气中的气态成分，包括二氧化碳、甲烷。"
    q = ask_of(assistant, "温室气体具体包括哪几种?").q
    cands = [sentence(other, 0.8), sentence("本办法适用于温室气体排放报告。", 0.7), sentence(asked, 0.6)]
    _definition_first(cands, q, 0.5)
    assert cands[0].text == asked
    low = [sentence(other, 0.8), sentence(asked, 0.3)]
    _definition_first(low, q, 0.5)
    assert low[0].text == other  # rated below the threshold: not answerable, not moved
    for other_ask in ("温室气体一共包括多少种?", "温室气体排放报告什么时候交?", "温室气体排放要报给谁?"):
        kept = [sentence(other, 0.8), sentence(asked, 0.6)]
        _definition_first(kept, ask_of(assistant, other_ask).q, 0.5)
        assert kept[0].text == other, other_ask


def test_a_which_question_is_not_answered_by_a_count_of_them(assistant):
    """Made-up sentences: asked which ones, a sentence that only counts them names none; one that names
    them beside the count (before it, with 等, or after it, with a colon or 包括) is left to the decision,
    as is a count of something else than the asked thing."""
    from assistant.answer.abstain import members_absent, which_of
    from assistant.answer.candidates import Candidate

    def sentence(text: str) -> Candidate:
        return Candidate(0, None, text, 0)  # type: ignore[arg-type]

    assert which_of("今年要建的8座充电站分别是哪几座?") <= {"充电站"}  # whatever jieba makes of the noun
    assert which_of("哪几个试点园区入选?") == {"园区"}  # the end of the noun after the question word
    assert which_of("哪家企业牵头建设储能电站?") == {"企业"} and which_of("储能电站建多大?") == set()
    # a numeral between 哪 and the classifier (哪5个, 哪三座): which ones of a count
    assert which_of("示范社区一共5个，具体是哪5个社区?") == {"社区"}
    assert which_of("要建的三座充电站是哪三座?") <= {"充电站"} and which_of("要建的三座充电站是哪三座?")
    assert members_absent(sentence("到2025年，建成第一批5个低碳示范社区。"), ask_of(assistant, "第一批低碳示范社区是哪5个?"))
    which = ask_of(assistant, "第一批5个低碳示范社区具体是哪几个社区?")
    counted = sentence("到2025年，建成第一批5个低碳示范社区，带动全市社区绿色转型。")
    assert members_absent(counted, which)
    assert not members_absent(sentence("以澄江街道、南闸街道等5个低碳示范社区为试点。"), which)
    assert not members_absent(sentence("建成5个低碳示范社区：澄江、南闸、云亭、周庄、华士。"), which)
    assert not members_absent(sentence("建成5个低碳示范社区，包括澄江、南闸等街道的社区。"), which)
    assert not members_absent(sentence("投入3亿元，新建12条公交线路，服务示范社区。"), which)  # counts other things
    assert not members_absent(sentence("澄江、南闸5个低碳示范社区率先建成。"), which)  # a list with no 等
    quoted = ask_of(assistant, "那30个绿色低碳示范村镇，名单有哪些?")  # the count the question quotes
    assert members_absent(sentence("到2025年，建成30个绿色低碳示范村镇。"), quoted)
    firms = ask_of(assistant, "遴选的20家标杆企业分别是哪几家?")
    assert members_absent(sentence("在钢铁、水泥等6个行业遴选20家标杆企业开展试点。"), firms)  # the list is of 行业
    assert not members_absent(sentence("建成5个低碳示范社区，一是澄江，二是南闸。"), which)
    assert not members_absent(sentence("建成5个国家级近零碳排放低碳示范社区试点项目，即澄江、南闸。"), which)
    assert not members_absent(counted, ask_of(assistant, "低碳示范社区要建多少个?"))  # how many: the count answers
    assert not members_absent(counted, ask_of(assistant, "低碳示范社区由哪个部门负责?"))  # who: the notes answer


def test_a_change_asked_against_one_year_is_not_answered_by_a_change_against_another(assistant):
    """Made-up sentences: the year a change is measured against (比2020年, 较2015年, 与2010年相比) is a
    baseline, not the year a value is asked for; a figure against another baseline is not the one asked,
    and one for another year is caught by year_other once the baseline no longer counts as asked."""
    from assistant.answer.abstain import baseline_other, year_other
    from assistant.answer.candidates import Candidate

    def sentence(text: str) -> Candidate:
        return Candidate(0, None, text, 0)  # type: ignore[arg-type]

    asked = ask_of(assistant, "到2030年单位地区生产总值能耗要比2020年下降多少?")
    assert asked.q.value_years == ["2030"] and set(asked.q.years) == {"2030", "2020"}
    other_base = sentence("到2030年，单位地区生产总值二氧化碳排放比2005年下降65%以上。")
    same_base = sentence("到2030年，单位地区生产总值能耗比2020年下降20%。")
    assert baseline_other(other_base, asked) and not baseline_other(same_base, asked)
    assert not baseline_other(sentence("到2030年，能耗强度持续下降。"), asked)  # no base year: the decision's
    assert not baseline_other(other_base, ask_of(assistant, "2030年能耗下降多少?"))  # no base year asked
    against = ask_of(assistant, "与2010年相比，2025年的碳排放强度要降低多少?")
    assert against.q.value_years == ["2025"]
    assert year_other(sentence("到2030年，碳排放强度较2010年下降60%。"), against)  # 2010 is no asked year


def test_a_value_asked_for_one_year_is_not_answered_by_another_years(assistant):
    from assistant.answer.abstain import year_other
    from assistant.answer.candidates import Candidate

    y2025 = Candidate(0, None, "到2025年，分布式光伏装机容量达到300兆瓦。", 0)  # type: ignore[arg-type]
    y2030 = Candidate(0, None, "到2025年达到300兆瓦，到2030年达到1400兆瓦。", 0)  # type: ignore[arg-type]
    asked = ask_of(assistant, "到2030年分布式光伏装机要达到多少?")
    assert asked.q.value_years == ["2030"] and year_other(y2025, asked) and not year_other(y2030, asked)
    # a year naming a document asks for no value; the year inside a title is not the one stated
    named = ask_of(assistant, "省生态环境厅2022年的工作计划要核查多少家单位?")
    assert named.q.value_years == [] and not year_other(y2025, named)
    titled = ask_of(assistant, "国务院的2030年前碳达峰行动方案里，到2030年储能装机要达到多少?")
    assert titled.q.value_years == ["2030"]
    assert year_other(Candidate(0, None, "落实《2030年前碳达峰行动方案》，到2025年达到3000万千瓦。", 0), titled)  # type: ignore[arg-type]
    assert not year_other(y2025, ask_of(assistant, "2030年的光伏装机是300兆瓦吗?"))  # a claimed figure: the premise check's
    assert ask_of(assistant, "江阴市2021-2025年碳达峰实施方案里光伏装机多少?").q.value_years == []  # a range naming a plan
    # a year stated as the end of a five-year plan (到“十四五”末) is that year
    planned = Candidate(0, None, "到“十四五”末，公共充电桩达到1200个。", 0)  # type: ignore[arg-type]
    assert year_other(planned, asked)
    assert not year_other(planned, ask_of(assistant, "2025年公共充电桩要建多少个?"))

    # in a passage, the year that opens the sentence's own item counts; an earlier item's does not
    from assistant.schema import Chunk, Hit

    def in_passage(text: str, sentence: str) -> Candidate:
        chunk = Chunk(chunk_id="c", doc_id="d", doc_title="", clause_id="c", path="", heading="", heading_path=[],
                      text=text, start=0, end=len(text))  # fmt: skip
        start = text.index(sentence)
        return Candidate(0, Hit(chunk=chunk, score=1.0), sentence, 0, (start, start + len(sentence)))

    opened = "到2030年，森林覆盖率稳步提高。\n到2025年，光伏装机达到300兆瓦。"
    assert year_other(in_passage(opened, "到2025年，光伏装机达到300兆瓦。"), asked)
    item = "到2030年，完成以下目标：光伏装机达到1400兆瓦，为2060年碳中和打下基础。"
    assert not year_other(in_passage(item, "光伏装机达到1400兆瓦，为2060年碳中和打下基础。"), asked)


def test_a_premise_is_checked_by_the_year_a_deadline_names():
    """A target due at “十四五”末 is the 2025 target: a yes/no question about it for 2025 is not told
    otherwise, and one for 2030 is."""
    from assistant.answer.intent import Intent
    from assistant.answer.render import premise_verdict
    from assistant.schema import Target

    row = Target(doc_id="d", clause_id="c", sentence="到“十四五”末，公共充电桩达到1200个。", deadline="“十四五”末",
                 indicator="公共充电桩", value="1200", unit="个")
    asked = Intent(kind="target", yes_no=True)
    assert premise_verdict(asked, ["2025"], row) == ""
    assert premise_verdict(asked, ["2030"], row).startswith("不对")


def test_who_holds_a_post_is_declined_where_no_passage_names_the_post(assistant):
    """The plan names the departments that lead its work, never a person: 'who is the director' is not
    answered with a department, while 'who is responsible' still is."""
    for question in ("碳达峰工作领导小组办公室的主任是谁?", "江阴发改委的局长叫什么?", "谁是江阴发改委的局长?"):
        answer = assistant.ask(question)
        assert not answer.found and answer.strategy == "not_found:person_absent", question
    for question in ("江阴碳达峰工作由谁统筹协调?", "自行车专用道建设由谁负责?"):
        assert assistant.ask(question).found, question


def test_the_scope_is_honoured_and_said(assistant):
    answer = assistant.ask("光伏发电装机容量到2030年达到多少?", scope=Scope(levels={"省"}))
    assert not answer.found and answer.scope == "检索范围：省级文件" and "所选范围（省级文件）" in answer.answer
    answer = assistant.ask("光伏发电装机容量到2030年达到多少?", scope=Scope(levels={"市"}))
    assert answer.found and answer.scope == "检索范围：市级文件"


def test_english_words_are_paired_with_corpus_words(assistant):
    answer = assistant.ask("How much solar generating capacity should be installed by 2030?")
    assert answer.found and "1400" in answer.answer
    assert assistant.ask("<svg onload=alert(1)>").strategy == "not_found:not_understood"


def test_the_shipped_decision_is_the_one_fitted_for_the_index_embedder(assistant):
    decision = assistant.answerer.decision
    fitted = json.loads(path_for(assistant.embedder.id).read_text(encoding="utf-8"))
    assert decision.embedder == fitted["embedder"] and decision.threshold == pytest.approx(fitted["threshold"])
    assert fitted["report"]["out_of_fold_accuracy"] > 0.7
    assert for_embedder("st:some-local-model@abc").embedder == ""  # no fit for it: the uncalibrated default


def test_fitting_finds_weights_that_rank_the_evidence_and_a_threshold(monkeypatch):
    """On made-up candidates where the sentence holding the evidence is the most similar one, the fit
    learns to rank by similarity, and the held-out figures say so."""
    rng = np.random.default_rng(0)
    xs, ys, groups, abstain = [], [], [], []
    for g in range(120):
        out = g % 5 == 0
        for i in range(6):
            x = rng.normal(0, 1, len(FEATURES))
            x[FEATURES.index("dense")] = 0.95 if (i == 0 and not out) else 0.80 + rng.normal(0, 0.02)
            xs.append(x)
            ys.append(int(i == 0 and not out))
            groups.append(g)
        abstain.append(out)
    data = Collected(
        np.array(xs),
        np.array(ys),
        np.array(groups),
        np.array(abstain),
        ~np.array(abstain),
        np.zeros(120, dtype=bool),
        np.array(["target"] * 120),
        [str(i) for i in range(120)],
        "test-model",
    )
    decision, report = fit(data)
    assert isinstance(decision, Decision) and report["out_of_fold_accuracy"] > 0.9
    assert max(report["sentence_weights"], key=lambda f: abs(report["sentence_weights"][f])) == "dense"


def test_step_two_is_fitted_on_answerable_and_out_of_scope_questions_only(monkeypatch):
    """An in-scope question whose best-ranked sentence is the wrong one is lost either way: the answer
    step is not fitted on it, so it cannot teach the decision to decline answerable-looking questions."""
    import assistant.answer.calibrate as cal

    rng = np.random.default_rng(1)
    xs, ys, groups, abstain = [], [], [], []
    for g in range(150):
        out, misranked = g % 5 == 0, g % 5 == 1
        for i in range(4):
            x = rng.normal(0, 1, len(FEATURES))
            x[FEATURES.index("dense")] = 0.95 if (i == 0 and not out) else 0.80 + rng.normal(0, 0.02)
            xs.append(x)
            ys.append(int(i == (1 if misranked else 0) and not out))  # misranked: the evidence is second
            groups.append(g)
        abstain.append(out)
    data = Collected(
        np.array(xs), np.array(ys), np.array(groups), np.array(abstain), ~np.array(abstain),
        np.zeros(150, dtype=bool), np.array(["target"] * 150), [str(i) for i in range(150)], "test-model",
    )  # fmt: skip
    fitted_rows: list[int] = []
    logistic = cal._logistic

    def spy(x, y, features, c):
        if features == cal.QUESTION_FEATURES:
            fitted_rows.append(len(y))
        return logistic(x, y, features, c)

    monkeypatch.setattr(cal, "_logistic", spy)
    decision, report = cal.fit(data)
    assert report["answer_C"] in cal.C_VALUES
    # the final fit reads the out-of-scope fifth and the in-scope questions ranked right, not the misranked fifth
    assert 110 <= fitted_rows[-1] <= 120  # out of fold, a question or two more may rank wrong by chance
    assert report["by_kind"]["out_of_scope"] > 0.8 and report["by_kind"]["in_scope"] > 0.5


def test_the_answer_step_puts_first_the_candidate_likeliest_to_answer():
    """Made-up candidates: the sentence step ranks first one that states another year than the asked one,
    and a close second that states it. The answer step, reading both, puts the second first, reads it with
    a negative lead, and leaves a third far behind where the sentence step put it."""
    from assistant.answer.candidates import Candidate
    from assistant.answer.decision import TOP_K, Logistic

    features = ("p", "lead", "year_absent")
    answer = Logistic(features, np.zeros(3), np.ones(3), np.array([4.0, 1.0, -3.0]), -2.0)
    decision = Decision(Logistic(("dense",), np.zeros(1), np.ones(1), np.ones(1), 0.0), answer, 0.5)

    def cand(p, year_absent):
        return Candidate(0, None, "", 0, features={"year_absent": year_absent}, p=p)  # type: ignore[arg-type]

    other_year, asked_year, far = cand(0.80, 1.0), cand(0.78, 0.0), cand(0.10, 0.0)
    ranked = [other_year, asked_year, far]
    assert decision.answerable(ranked, False, "target") < 0.5 and TOP_K >= 2
    decision.rerank(ranked, False, "target")
    assert ranked == [asked_year, other_year, far]
    assert decision.answerable(ranked, False, "target") > 0.5  # lead −0.02 over the other year's sentence
    alone = [cand(0.80, 1.0)]
    decision.rerank(alone, False, "target")
    assert decision.answerable(alone, False, "target") < 0.5  # nothing to put first: declined


def test_calibration_scores_each_question_by_its_likeliest_candidate():
    """The threshold is chosen on what the answerer will do: per question, the highest answer probability
    among its first candidates, and that candidate."""
    import assistant.answer.calibrate as cal

    q = np.array([0.2, 0.7, 0.1, 0.4, 0.3])
    of_question = np.array([0, 0, 0, 1, 1])
    cand = np.array([10, 11, 12, 20, 21])
    prob, best = cal._likeliest(q, of_question, cand, 3)
    assert prob.tolist() == [0.7, 0.4, 0.0] and best.tolist() == [11, 20, -1]  # the third has no candidate


def test_a_long_value_sentence_keeps_the_clause_that_carries_the_value():
    """Made-up sentences: the asked date or amount survives shortening, even where another comma-clause
    shares more of the question's words; amounts in Chinese numerals count."""
    from assistant.answer.intent import Intent
    from assistant.answer.render import shorten

    def cov(tokens: list[str], text: str) -> float:
        return sum(t in text for t in tokens) / max(1, len(tokens))

    when = (
        "第二十条排放单位应当依照主管部门制定的核算与报告技术规范编制上一年度的排放报告，载明排放量，"
        "并于每年5月15日前报送所在地的主管部门，排放单位对排放报告的真实性负责。"
    )
    kept = shorten(when, ["排放单位", "排放报告", "上一年度", "技术规范"], cov, Intent(kind="target", asks_time=True))
    assert "5月15日" in kept
    fine = (
        "违反本办法第九条规定未按时报送排放报告的排放单位，由所在地的主管部门责令限期改正，"
        "处五万元以上十万元以下的罚款，逾期未改正的，依法核减其下一年度的配额并向社会公开。"
    )
    assert "五万元" in shorten(fine, ["违反", "报送", "排放报告", "排放单位"], cov, Intent(kind="target"))
    # a year is when, not how much; where no clause holds a word asked but the year (a question in
    # English, read in few of the document's words), no clause is the one to keep: the sentence stays whole
    both = (
        "全面推进雨水收集利用，减少地下水开采，完善老旧小区雨污分流管网改造和长效运维管护机制，到2027年，"
        "城镇雨水收集设施覆盖率达到80%，回用率达到40%。"
    )
    assert shorten(both, ["2027", "rainwater", "reuse"], cov, Intent(kind="target")) == both
    # the clause that best meets the question holds only the year, which is no figure: a clause with one is kept
    by_then = both.replace("到2027年", "截至2027年底")
    assert "80%" in shorten(by_then, ["截至", "2027"], cov, Intent(kind="target"))
    assert shorten(both, ["2027", "回用率"], cov, Intent(kind="target")) == "到2027年，回用率达到40%"


def test_a_condition_keeps_what_it_leads_to_and_each_asked_unit_is_kept():
    """Made-up sentences: a clause ending in 的 is a condition, so the clause after it stays with it even
    where the condition holds a figure of its own; each unit the question asks (多少钱, 几年) keeps the clause
    that states it, and a year is no figure in 年."""
    from assistant.answer.intent import Intent, classify
    from assistant.answer.render import shorten, states_unit

    def cov(tokens: list[str], text: str) -> float:
        return sum(t in text for t in tokens) / max(1, len(tokens))

    intent = classify("企业在自家仓库屋顶装储能设备并自用的，每千瓦时补多少钱，补几年？", [])
    assert intent.units == ["元", "年"]
    assert classify("近几年有什么变化？", []).units == []
    assert classify("不服的话几个工作日内申请复核？", []).units == ["工作日"]
    sentence = (
        "对企业利用自有仓库建设储能设施（200千瓦时或3000平米以上）且自用的，"
        "按照放电量给予0.1元/千瓦时的补助，连续补助3年，单个项目补助总额不超过100万元。"
    )
    tokens = ["企业", "仓库", "储能", "自用"]
    kept = shorten(sentence, tokens, cov, Intent(kind="target"))
    assert "0.1元/千瓦时" in kept  # not the condition alone, whose figure is not the one asked
    kept = shorten(sentence, tokens, cov, intent)
    assert "0.1元/千瓦时" in kept and "3年" in kept
    assert states_unit("应当保存五年", "年") and not states_unit("到2030年", "年")
    # 上一年度, a date, a title and an ordinal state no duration; 天然气, 哪几年, 第几次 ask no unit
    assert not any(states_unit(t, u) for t, u in [("报告上一年度排放", "年"), ("3月31日前报送", "日"),
                                                   ("落实《三年行动计划》", "年"), ("第一年免征", "年")])
    assert all(classify(t, []).units == [] for t in ("每年需要多少天然气?", "哪几年补贴最多?", "第几次检查?"))
    assert classify("多少个工作日内复核?", []).units == ["工作日"]  # not 个 as well
    # the condition before a kept clause comes with it, and a purpose (为…目的，) is no condition
    kept = shorten("对新建储能设施且自用的，按放电量给予0.1元/千瓦时的补助，连续补助3年，总额不超过100万元。",
                   ["补助", "放电量"], cov, Intent(kind="target"))
    assert kept.startswith("对新建储能设施且自用的") and "0.1元/千瓦时" in kept
    from assistant.text import CONDITION

    assert CONDITION.search("对新建储能设施且自用的，") and CONDITION.search("违反建筑节能标准的，")
    assert not any(CONDITION.search(t) for t in ("为实现节能目的，", "任务是艰巨的，", "有的，"))


def test_the_notice_a_document_is_issued_in_is_its_title_not_a_sentence():
    from assistant.answer.candidates import is_wrapper

    title = "2030年前碳达峰行动方案"
    assert is_wrapper("国务院关于印发2030年前碳达峰行动方案的通知", title)
    assert is_wrapper("关于印发《2030年前碳达峰行动方案》的通知（附：2030年前碳达峰行动方案）", title)
    assert not is_wrapper("各地区要认真贯彻落实国务院关于印发《2030年前碳达峰行动方案》的通知。", title)  # a sentence
    assert not is_wrapper("国务院关于印发“十四五”节能减排综合工作方案的通知", title)  # another document's notice
    assert not is_wrapper("关于印发某方案的通知", "方")  # a title too short to tell
    # the notice's sentence that only hands the document on says nothing; one with a date of its own does
    from assistant.answer.candidates import is_transmittal

    assert is_transmittal("现将《2030年前碳达峰行动方案》印发给你们，请认真贯彻执行。", title)
    assert not is_transmittal("现将《2030年前碳达峰行动方案》印发给你们，自2021年10月24日起施行。", title)
    assert not is_transmittal("现将《“十四五”节能减排综合工作方案》印发给你们，请认真贯彻执行。", title)


def test_the_clause_number_is_in_the_citation_not_the_answer(assistant):
    answer = assistant.ask("到2030年光伏发电要装多少?")
    assert not answer.answer.split("：", 1)[-1].startswith(("3.", "（", "第"))


def test_the_place_rule_reads_the_place_before_the_amount_as_its_subject(assistant):
    """Asked another city's figure: a sentence that names that city only after its amount (as the one
    that sets another target) is no answer for it; one that names it before its amount is."""
    from assistant.answer.abstain import place_absent
    from assistant.answer.candidates import Candidate

    ask = type("Ask", (), {"q": assistant.read("常州市2025年的单位地区生产总值能耗要下降多少?")})()
    assert ask.q.foreign_areas == ["常州"]
    after = Candidate(0, None, "到2025年，单位地区生产总值能耗降低15%以上，其余指标完成常州市下达的任务。", 0)  # type: ignore[arg-type]
    before = Candidate(0, None, "到2025年，常州市单位地区生产总值能耗降低15%以上。", 0)  # type: ignore[arg-type]
    assert place_absent(after, ask) and not place_absent(before, ask)  # type: ignore[arg-type]
    who = type("Ask", (), {"q": assistant.read("常州市由哪个部门负责节能工作?")})()  # not asked how much
    assert not place_absent(after, who)  # type: ignore[arg-type]


def test_a_later_part_whose_best_sentence_an_earlier_part_gave_goes_on_about_it(assistant, monkeypatch):
    """…有奖励吗？每吨奖多少？: a part whose best sentence is one the part before was answered with
    is answered by it, though the decision alone would decline the part (here: a threshold no
    sentence reaches); a part whose best sentence is new still needs the decision."""
    import dataclasses

    from assistant.answer import Ask

    kb = assistant.answerer
    q = assistant.read("到2030年光伏发电装机要达到多少?")
    hits, query = assistant.retriever.search(q, k=8), assistant.retriever.embed_query(q)
    monkeypatch.setattr(kb, "decision", dataclasses.replace(kb.decision, threshold=1.01))
    alone = Ask(q, hits, query, set())
    best = kb.ranked(alone)[0]
    assert not kb.answers(alone, kb.ranked(alone))
    again = Ask(q, hits, query, set(), cited=frozenset({best.text}))
    assert kb.answers(again, kb.ranked(again))
    other = Ask(q, hits, query, set(), cited=frozenset({"另一句话。"}))
    assert not kb.answers(other, kb.ranked(other))


def test_a_part_answered_by_what_an_earlier_part_said_points_to_it():
    from assistant.answer.render import Reply, join_parts
    from assistant.schema import Citation

    cite = Citation(doc_id="d", doc_title="某方案", clause="1.", heading="", text="甲。乙。", score=1.0)
    first = Reply(True, "《某方案》：甲[1]。《某方案》：乙[1]。", [cite])
    same = Reply(True, "《某方案》：甲[1]。", [cite])
    more = Reply(True, "《某方案》：甲[1]。《某方案》：丙[1]。", [cite])
    both = Reply(True, "《某方案》：乙[1]。《某方案》：丙[1]。", [cite])
    text = join_parts([("几个?", first), ("多少?", same), ("哪年?", more), ("谁?", both)], 600).text
    assert text == (
        "（1）《某方案》：甲[1]。《某方案》：乙[1]。（2）见（1）[1]。（3）见（1）[1]。《某方案》：丙[1]。（4）见（1）（3）[1]。"
    )


def test_a_reply_carries_the_sentences_it_quotes_whole_for_a_later_part(assistant, monkeypatch):
    """A later part reads which sentences the parts before quoted from their replies, not from the
    text they rendered (which may shorten a sentence or put a target's figures first)."""
    from assistant.answer import Ask

    kb = assistant.answerer
    q = assistant.read("到2030年光伏发电装机要达到多少?")
    hits, query = assistant.retriever.search(q, k=8), assistant.retriever.embed_query(q)
    ask = Ask(q, hits, query, set())
    best = kb.ranked(ask)[0]
    reply = kb.render_sentences([best], ask, 600)
    assert reply.quoted == {best.text}
    assert kb.render_sentences([best], ask, 8).quoted == frozenset()  # clipped away: not shown, not quoted
    # each later part is asked with the sentences the replies before it quoted
    seen, answer_part = [], assistant._answer

    def spy(q, k, scope, context=None, cited=frozenset()):
        reply, hits = answer_part(q, k, scope, context, cited)
        seen.append((cited, reply.quoted))
        return reply, hits

    monkeypatch.setattr(assistant, "_answer", spy)
    answer = assistant.ask("到2030年光伏发电装机要达到多少?这个装机目标是多少?")
    assert len(seen) == 2 and seen[0][1] and seen[1][0] == seen[0][1]
    assert "（2）见（1）" in answer.answer


def test_a_later_part_asking_past_the_cited_sentence_takes_the_clauses_next_one(assistant):
    """…按什么标准补？最多能补多少？: where a later part's best sentence is the one the part before quoted,
    the next-ranked sentence of the same clause that holds more of the part's own words answers it, if the
    sentence model rates it at the answer threshold or above; not a sentence of another clause, not one
    rated below it, and nothing for a part read alone."""
    from assistant.answer import Ask
    from assistant.answer.candidates import Candidate
    from assistant.answer.strategies import further
    from assistant.schema import Hit
    from assistant.text import split_sentences

    kb = assistant.answerer
    chunks = assistant.data.chunks

    def said(c):  # a chunk's sentences of some length, as candidates hold them
        return [c.text[s:e].strip() for s, e in split_sentences(c.text) if e - s > 15 and c.text[s:e].strip()[-1] == "。"]

    chunk = next(c for c in chunks if "散煤" in c.text and len(said(c)) >= 2 and "最" not in c.text)
    first = said(chunk)[0]
    second = "以上扶持最高不超过200万元。"  # (any text: what matters is that it holds the part's own words)
    other = next(c for c in chunks if c.clause_id != chunk.clause_id)
    # the part as the pipeline reads it in the context of the question around it: its own words, 最 …
    whole = assistant.read("散煤治理有什么扶持?最多扶持多少?")
    part = assistant._in_context(assistant.read("最多扶持多少?"), whole)
    assert part.own and all(w in second for w in part.own if w not in first)
    bar = kb.decision.threshold
    ranked = [
        Candidate(0, Hit(chunk=chunk, score=1.0), first, 0, p=0.9),
        Candidate(1, Hit(chunk=other, score=0.9), other.text[:40], 0, p=0.8),
        Candidate(2, Hit(chunk=chunk, score=1.0), second, 0, p=bar + 0.01),
    ]
    q = assistant.read("最多扶持多少?")
    asked = Ask(part, [], np.zeros(1), set(), cited=frozenset({first}))
    assert further(kb, asked, ranked) is ranked[2]
    assert further(kb, Ask(q, [], np.zeros(1), set(), cited=frozenset({first})), ranked) is None  # read alone
    assert further(kb, Ask(part, [], np.zeros(1), set()), ranked) is None  # nothing quoted before
    ranked[2].p = bar - 0.01
    assert further(kb, asked, ranked) is None
    ranked[2].p, ranked[1].text = bar + 0.01, second  # the same words in another clause's sentence
    ranked[1].p = 0.95
    assert further(kb, asked, ranked) is ranked[2]


def test_two_asked_words_written_together_decide_between_near_equal_sentences(assistant):
    """建设单位 asked: of two sentences of one document the decision rates alike, the one holding 建设单位 whole
    goes first, not the one holding 建设 and 单位 apart (设计单位…城乡建设部门); sentences rated apart, of two
    documents, or a question asking of several things keep the decision's order."""
    from assistant.answer import RUN_TIE, _runs_first, asked_runs
    from assistant.answer.candidates import Candidate
    from assistant.schema import Hit

    q = assistant.read("建设单位违反建筑节能标准要罚多少?")
    used = {"建设单位", "监理单位"}.__contains__  # the runs the documents use together (here: made up)
    assert asked_runs(q, used) == ["建设单位"] and asked_runs(q, lambda run: False) == []  # not 单位违反
    chunk = assistant.data.chunks[0]
    other_doc = chunk.model_copy(update={"doc_id": "another"})
    apart = "设计单位、施工单位违反建筑节能标准的，由城乡建设部门处十万元以上罚款。"
    whole = "建设单位违反建筑节能标准的，由城乡建设部门处二十万元以上罚款。"

    def ranked(p2: float, chunk2=chunk) -> list:
        return [Candidate(0, Hit(chunk=chunk, score=1.0), apart, 0, p=0.99), Candidate(1, Hit(chunk=chunk2, score=1.0), whole, 0, p=p2)]

    near = ranked(0.99 - RUN_TIE / 2)
    _runs_first(near, q, used)
    assert near[0].text == whole
    for kept in (ranked(0.99 - 2 * RUN_TIE), ranked(0.98, other_doc), ranked(0.99 + 2 * RUN_TIE)):
        _runs_first(kept, q, used)  # (the last: put first by the answer model though rated far higher)
        assert kept[0].text == apart
    several, both = ranked(0.98), assistant.read("建设单位和监理单位违反建筑节能标准分别罚多少?")
    assert len(both.each) == 2 and "建设单位" in asked_runs(both, used)
    _runs_first(several, both, used)
    assert several[0].text == apart
