"""The whole corpus of ../shared: the plan plus the national and provincial documents it cites.
Real FAISS and BM25 with the keyword embedder (fast); the real model over this corpus runs in the eval."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.embed import KeywordEmbedder
from assistant.indexer import build_index
from assistant.pipeline import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.shared
PROJECT_CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def everything(shared_corpus, tmp_path_factory) -> tuple[Assistant, object]:
    settings = Settings(corpus=[PROJECT_CORPUS, shared_corpus], index_dir=tmp_path_factory.mktemp("all") / "index")
    report = build_index(settings, KeywordEmbedder())
    return Assistant.load(settings.index_dir, settings, embedder=KeywordEmbedder()), report


def test_the_plan_in_both_folders_is_indexed_once(everything):
    assistant, report = everything
    assert report.documents == 10
    assert any("same content" in w for w in report.warnings)
    titles = {d.meta.title for d in assistant.data.documents}
    assert "江阴市碳达峰实施方案" in titles and "江苏省碳达峰实施方案" in titles


@pytest.mark.slow
@pytest.mark.integration
def test_comparing_levels_gives_each_document_its_figure(corpus_index):
    """With the real model: the keyword embedder's bag of hashed words is no judge of which sentence
    states a target."""
    answer = Assistant.load(corpus_index).ask("2025年非化石能源消费比重，江阴市和江苏省各定了多少?")
    assert answer.found
    assert "《江阴市碳达峰实施方案》" in answer.answer and "10%" in answer.answer
    assert "《江苏省碳达峰实施方案》" in answer.answer and "18%" in answer.answer
    assert {c.doc_id for c in answer.citations} >= {
        "jiangyin_carbon_peak_plan_draft",
        "jiangsu_carbon_peak_implementation_plan",
    }


def test_a_named_document_is_preferred(everything):
    answer = everything[0].ask("按“十四五”节能减排综合工作方案，全国单位GDP能耗到2025年要降多少?")
    assert "13.5%" in answer.answer
    assert answer.citations[0].doc_id == "sc_14th_fyp_energy_saving_emission_reduction_plan"


def test_a_question_naming_no_place_is_answered_from_the_home_plan(everything):
    answer = everything[0].ask("建材行业碳达峰归哪些部门负责?")
    assert answer.citations[0].doc_id == "jiangyin_carbon_peak_plan_draft"
    assert "工信局" in answer.answer


def test_provincial_lead_department(everything):
    answer = everything[0].ask("江苏省重点工业行业达峰是哪个部门牵头?")
    assert "省工业和信息化厅牵头" in answer.answer
    assert answer.citations[0].doc_id == "jiangsu_carbon_peak_implementation_plan"


def test_targets_of_a_year_come_from_the_home_plan_unless_a_place_is_named(everything):
    home = everything[0].ask("2025年有哪些目标?")
    assert home.found and home.answer.startswith("《江阴市碳达峰实施方案》：到2025年的目标有")
    assert {c.doc_id for c in home.citations} == {"jiangyin_carbon_peak_plan_draft"}
    province = everything[0].ask("江苏2025年有哪些目标?")
    assert province.answer.startswith("《江苏省碳达峰实施方案》：到2025年的目标有")


def test_a_department_inside_a_named_title_is_not_the_subject_of_the_question(everything):
    # 省生态环境厅 is part of the title named here; the question asks what enterprises must do
    answer = everything[0].ask("按省生态环境厅2022年推动碳达峰碳中和工作计划，企业在碳排放数据方面有什么要求?")
    assert answer.found and "数据质量控制计划" in answer.answer
    assert "任务的责任单位之列" not in answer.answer
    assert answer.citations[0].doc_id == "jiangsu_eco_env_dept_2022_carbon_work_plan"


def test_a_named_title_routes_the_search_and_the_rest_of_the_question_picks_the_sentence(everything):
    answer = everything[0].ask(
        "江苏省政府关于加快建立健全绿色低碳循环发展经济体系的实施意见提出，到2025年优良天数比率要达到多少?"
    )
    assert "82%" in answer.answer
    assert answer.citations[0].doc_id == "jiangsu_gov_green_lowcarbon_circular_economy_opinions_2022"


def test_a_document_named_by_its_issue_number_routes_the_question(everything):
    """People cite a document by its 文号, bracketed as they type it: the number names that document
    (the two State Council plans, 国发〔2021〕23号 and 33号, both set 2025 energy targets), and is not
    read as a year asked about."""
    assistant = everything[0]
    by_number = {d.meta.doc_number: d.doc_id for d in assistant.data.documents if d.meta.doc_number}
    for typed, number in (("国发[2021]33 号", "国发〔2021〕33号"), ("国发（2021）23号", "国发〔2021〕23号")):
        question = f"{typed}文件里，单位国内生产总值能耗要比2020年下降多少?"
        q = assistant.read(question)
        assert q.title_docs == [by_number[number]] and q.years == ["2020"], typed
        answer = assistant.ask(question)
        assert answer.found and answer.citations[0].doc_id == by_number[number], typed
    assert assistant.read("国发〔2019〕1号文件要求什么?").title_docs == []  # a number no document has

    from assistant.question import Titles

    titles = Titles({"mof": "财政部补助办法", "js": "江苏补助细则"}, {"mof": "财建〔2021〕88号", "js": "苏财建〔2021〕88号"})
    assert titles.named("苏财建〔2021〕88号的补助标准是多少?")[0] == {"js"}  # the longest issuer code, not its tail
    assert titles.named("按财建[2021]88号，补助标准是多少?")[0] == {"mof"}


def test_a_named_place_is_answered_from_its_own_documents_only(everything):
    """A question about 江北新区 never takes the plan's or the nation's figure, however close its words."""
    assistant = everything[0]
    answer = assistant.ask("南京江北新区的光伏发电装机到2030年要达到多少?")
    assert {c.doc_id for c in answer.citations} <= {
        "nanjing_jiangbei_new_area_carbon_peak_neutrality_action_plan_trial"
    }
    assert all(
        h.doc_id == "nanjing_jiangbei_new_area_carbon_peak_neutrality_action_plan_trial" for h in answer.retrieved
    )
    # the area by its own name in English (Jiangbei New Area); 南京 as a whole has no document of its own
    reader = assistant.reader
    assert reader.read("What does the Jiangbei New Area plan say about hydrogen?").places == ["江北新区"]
    whole = reader.read("南京全市到2025年单位地区生产总值能耗要下降多少?")
    assert whole.places == [] and whole.foreign_places == ["南京"]
    compared = assistant.ask("2025年非化石能源消费比重，江阴市和江苏省各定了多少?")
    assert {h.doc_id for h in compared.retrieved} >= {
        "jiangyin_carbon_peak_plan_draft",
        "jiangsu_carbon_peak_implementation_plan",
    }


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("question", ["江北新区何时实现碳中和?", "南京江北新区碳中和的时间节点是哪一年?", "江北新区计划在什么时间前实现碳中和?"])
def test_a_when_question_is_answered_by_a_date_not_by_a_plan_named_by_its_number(corpus_index, question):
    """The preamble's 国家“十四五”规划 names a plan: it is no date that could answer when (the real model
    ranks that sentence first)."""
    answer = Assistant.load(corpus_index).ask(question)
    assert answer.found and "2060年" in answer.answer and "十四五" not in answer.answer


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "According to the State Council's Action Plan for Carbon Dioxide Peaking Before 2030, what forest coverage rate should China reach by 2025?",
    "According to the State Council's Action Plan for Carbon Dioxide Peaking Before 2030, how much wind and solar capacity should be installed by 2030?",
])
def test_an_english_question_naming_its_document_is_answered_from_it(corpus_index, question):
    """The naming phrase is paired with the titles by the multilingual model (the opinions of the CPC
    Central Committee share the topic and would answer otherwise)."""
    answer = Assistant.load(corpus_index).ask(question)
    assert answer.citations and answer.citations[0].doc_id == "sc_action_plan_carbon_peak_before_2030"


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize(("question", "figure"), [
    ("According to the State Council's Action Plan for Carbon Dioxide Peaking Before 2030, how much new-type energy "
     "storage capacity should be installed by 2025?", "3000万千瓦"),
    ("According to the State Council's Action Plan for Carbon Dioxide Peaking Before 2030, how much hydropower "
     "capacity should be added in each five-year period?", "4000万千瓦"),
])
def test_the_words_naming_the_document_are_not_what_an_english_question_asks(corpus_index, question, figure):
    """Carbon Dioxide Peaking names the plan: read as asked, it drew the plan's headline target."""
    assert figure in Assistant.load(corpus_index).ask(question).answer


@pytest.mark.parametrize(
    ("question", "title", "first"),
    [
        ("国务院的2030年前碳达峰行动方案，它的工作原则是哪几条？", "2030年前碳达峰行动方案", "总体部署"),
        ("江苏省碳达峰实施方案提出的工作原则有哪几条？", "江苏省碳达峰实施方案", "整体部署"),
    ],
)
def test_a_list_asked_of_a_named_document_comes_from_that_documents_own_list(corpus_index, question, title, first):
    """Several documents have a list headed 工作原则: the one of the document the question names is
    read, found by its heading wherever the search ranked it."""
    answer = Assistant.load(corpus_index).ask(question)
    assert answer.answer.startswith(f"《{title}》：工作原则共4项：{first}")
    assert {c.doc_title for c in answer.citations} == {title}


@pytest.mark.slow
@pytest.mark.integration
def test_asking_each_thing_and_which_is_higher_over_the_whole_corpus(corpus_index):
    """Each thing's own sentence; which is higher read from the figures; a total of two things (风电、太阳能
    发电总装机12亿千瓦) is neither's figure; a clause naming several indicators is said once; another city's
    question is declined, its things asked alone or not."""
    assistant = Assistant.load(corpus_index)
    answer = assistant.ask("江苏省碳达峰实施方案中，2025年全省光伏和风电的装机目标各是多少？哪个更高？")
    assert "3500万千瓦" in answer.answer and "2800万千瓦" in answer.answer
    assert "较高的是光伏（3500万千瓦）" in answer.answer.split("（2）")[1]
    answer = assistant.ask("到2030年全国风电和太阳能发电装机分别要达到多少？哪个更多？")
    assert "12亿千瓦" in answer.answer and "较多的是" not in answer.answer and "相同" not in answer.answer
    answer = assistant.ask("化学需氧量分别是多少？")
    assert answer.answer.count("化学需氧量、氨氮") == 1
    assert not assistant.ask("成都光伏和风电的装机目标分别是多少？").found


@pytest.mark.slow
@pytest.mark.integration
def test_a_later_part_naming_no_document_is_asked_first_of_the_documents_the_part_before_answered_from(
    corpus_index, monkeypatch
):
    """…提不提装配化装修？到2025年比例多少？ goes on about the document the first part was answered from
    (alone, the second part could be any document's 2025 share); where those documents hold nothing for
    it, it is asked of all of them."""
    assistant = Assistant.load(corpus_index)
    answer_each, asked = assistant._answer_each, []

    def spy(q, k, scope, context=None, cited=frozenset()):
        reply, hits = answer_each(q, k, scope, context, cited)
        asked.append((set(scope.doc_ids) if scope is not None else None, reply.found))
        return reply, hits

    monkeypatch.setattr(assistant, "_answer_each", spy)
    answer = assistant.ask("省住房城乡建设厅的意见提不提装配化装修？到2025年比例多少？")
    housing = {"jiangsu_housing_dept_green_urban_rural_construction_opinions_2021"}
    assert asked == [(None, True), (housing, True)]
    assert answer.found and "2025年" in answer.answer.split("（2）")[1] and "%" in answer.answer.split("（2）")[1]
    assert {c.doc_id for c in answer.citations} == housing

    asked.clear()  # the national plan counts no hydrogen stations: the part is asked of every document
    assistant.ask("国务院的行动方案要不要发展氢能？加氢站要建几座？")
    assert [scope for scope, _ in asked] == [None, {"sc_action_plan_carbon_peak_before_2030"}, None]
