"""The fifteen published PDFs of ../shared/realdocs read as cleanly as the text files: metadata, clause
trees, complete sentences, no page furniture; and the five that have a clean text twin in ../shared/corpus
give the same clauses and the same answers from either copy."""
from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from assistant.ingest import read_document
from assistant.knowledge import responsibilities
from assistant.parse import parse_document

SHARED = Path(__file__).resolve().parents[2] / "shared"
REALDOCS = SHARED / "realdocs"
# PDF (by the number its file name starts with) -> its clean text twin in ../shared/corpus (realdocs/SOURCES.md)
TWINS = {
    "1": "cpc_sc_opinions_carbon_peak_neutrality_2021",
    "2": "sc_action_plan_carbon_peak_before_2030",
    "5": "sc_14th_fyp_energy_saving_emission_reduction_plan",
    "135": "jiangsu_housing_dept_green_urban_rural_construction_opinions_2021",
    "239": "jiangsu_gov_green_lowcarbon_circular_economy_opinions_2022",
}
# What a person reading each PDF's first page finds: title, level, place (and 文号 where it has one).
EXPECTED = {
    "113": ("武汉市推动降碳及发展低碳产业工作方案", "市", "武汉", ""),
    "115": ("徐汇区节能减排降碳专项资金管理办法", "区县", "徐汇", ""),
    "116": ("合肥市重点领域节能降碳技术改造实施方案", "市", "合肥", ""),
    "117": ("繁昌区节能降碳若干支持措施", "区县", "繁昌", "繁政办〔2022〕3号"),
    "135": ("省住房城乡建设厅关于推进碳达峰目标下绿色城乡建设的指导意见", "省", "江苏", "苏建办〔2021〕66号"),
    "141": ("包头市深入推进碳达峰碳中和加快建设绿色低碳城市实施方案", "市", "包头", ""),
    "1": ("中共中央、国务院关于完整准确全面贯彻新发展理念做好碳达峰碳中和工作的意见", "国家", "全国", ""),
    "239": ("江苏省政府关于加快建立健全绿色低碳循环发展经济体系的实施意见", "省", "江苏", "苏政发〔2022〕8号"),
    "2": ("2030年前碳达峰行动方案", "国家", "全国", "国发〔2021〕23号"),
    "34": ("碳排放权交易管理办法(试行)", "国家", "全国", ""),
    "55": ("省生态环境厅2022年推动碳达峰碳中和工作计划", "省", "江苏", ""),
    "58": ("天津市碳达峰碳中和促进条例", "省", "天津", ""),
    "59": ("浙江省委省政府关于完整准确全面贯彻新发展理念做好碳达峰碳中和工作的实施意见", "省", "浙江", ""),
    "5": ("“十四五”节能减排综合工作方案", "国家", "全国", "国发〔2021〕33号"),
    "71": ("关于完整准确全面贯彻新发展理念认真做好碳达峰碳中和工作的实施意见", "省", "河北", ""),  # the title line lost 作的; the news lead quotes it whole
}

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def realdocs():
    if not REALDOCS.is_dir():
        pytest.skip("../shared/realdocs is absent: these tests need the published PDFs beside the project")
    docs = {}
    for path in sorted(REALDOCS.glob("*.pdf")):
        doc = read_document(path)
        docs[path.name.split("、", 1)[0]] = (doc, parse_document(doc))
    return docs


def bare(text: str) -> str:
    """White space and full/half width folded, as the equivalence is judged."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("--", "——")


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_metadata_is_what_the_first_page_says(realdocs, number):
    doc, _ = realdocs[number]
    title, level, place, doc_number = EXPECTED[number]
    assert (doc.meta.title, doc.meta.level, doc.meta.place) == (title, level, place)
    if doc_number:
        assert doc.meta.doc_number == doc_number


def test_no_page_furniture_and_no_line_starts_mid_sentence(realdocs):
    for number, (doc, _) in realdocs.items():
        lines = doc.text.split("\n")
        assert not [ln for ln in lines if "资料整理" in ln or re.fullmatch(r"[—\-\s]*\d+[—\-\s]*", ln)], number
        assert not [ln for ln in lines if re.match(r"[，、。；：,;)）]", ln)], number
        assert len(doc.page_starts) > 0 and doc.page_starts[0] == 0


@pytest.mark.parametrize(("number", "sentence"), [
    ("113", "大力引进和培育制氢产业，着力培养氢能产业集群，推动武汉钢铁有限公司发展氢能炼钢。"),
    ("115", "2.企业获市级节能技改、清洁生产、循环经济项目扶持的，根据企业对本区节能减排降碳的贡献，最高按1:1比例给予不超过300万元的区级资金匹配。"),
    ("55", "重点排放单位2021年度温室气体排放报告与核查工作"),
    ("34", "第四十条重点排放单位未按时足额清缴碳排放配额的"),
])
def test_sentences_cut_at_line_ends_are_whole_again(realdocs, number, sentence):
    doc, _ = realdocs[number]
    assert sentence in doc.text.split("\n") or any(sentence in line for line in doc.text.split("\n"))


def test_articles_are_clauses_cited_by_their_number(realdocs):
    _, clauses = realdocs["58"]
    paths = {c.path: c for c in clauses}
    articles = [c for c in clauses if c.kind == "article"]
    assert len(articles) >= 80 and "第十五条" in paths and paths["第十五条"].kind == "article"
    assert not any("~" in c.path for c in clauses)  # the 目录 is not read as a second set of chapters
    assert [c.heading for c in clauses if c.path in ("第一章", "第三章第一节")] == ["总则", "调整能源结构"]
    _, clauses = realdocs["34"]
    fortieth = next(c for c in clauses if c.path == "第四十条")
    assert "二万元以上三万元以下" in fortieth.text and not fortieth.heading
    _, clauses = realdocs["115"]
    assert next(c for c in clauses if c.path == "第一条").heading == "扶持对象"
    assert any(c.path.startswith("第二条(一)1.") for c in clauses)  # items inside an article


def test_labelled_responsibility_notes_are_read(realdocs):
    doc, clauses = realdocs["113"]
    notes = [r for c in clauses for r in responsibilities(c)]
    assert len(notes) >= 15
    first = notes[0]
    assert first.departments[:3] == ["市发改委", "市经信局", "市生态环境局"] and not first.lead_marked
    _, clauses = realdocs["55"]
    dated = [r for c in clauses for r in responsibilities(c) if r.deadline]
    assert dated and dated[0].deadline == "12月底" and dated[0].departments == ["自然处"]


@pytest.mark.parametrize("number", sorted(TWINS))
def test_pdf_and_clean_text_give_the_same_clause_tree(realdocs, number):
    doc, pdf_clauses = realdocs[number]
    txt = read_document(SHARED / "corpus" / f"{TWINS[number]}.txt")
    txt_clauses = parse_document(txt)
    body = lambda cs: [(c.path, c.heading) for c in cs if c.kind not in ("preamble", "closing")]  # noqa: E731
    assert body(pdf_clauses) == body(txt_clauses)
    pdf_text = {c.path: bare(c.text) for c in pdf_clauses}
    same = [c for c in txt_clauses if c.kind not in ("preamble", "closing") and pdf_text.get(c.path) == bare(c.text)]
    assert len(same) >= 0.98 * len(body(txt_clauses))


@pytest.mark.slow
@pytest.mark.integration
def test_dev_multidoc_questions_get_the_same_answers_from_either_copy(tmp_path):
    """Index the five PDFs, and apart from them their five text twins, with the bundled e5 model; the
    dev_multidoc questions about those documents get the same answers and cite the same clauses."""
    from assistant.embed import make_embedder
    from assistant.indexer import build_index
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    if not REALDOCS.is_dir():
        pytest.skip("../shared/realdocs is absent")
    questions = [json.loads(line) for line in (SHARED / "eval" / "dev_multidoc.jsonl").read_text().splitlines() if line]
    twins = {f"{t}.txt" for t in TWINS.values()}
    texts = {p.name: p.read_text(encoding="utf-8") for p in (SHARED / "corpus").glob("*.txt") if p.name in twins}
    asked = [q for q in questions if any(bare(e) in bare(t) for e in q["evidence"] for t in texts.values())]
    assert len(asked) >= 3
    embedder = make_embedder("e5")
    answers = {}
    for kind in ("pdf", "txt"):
        corpus = tmp_path / kind
        corpus.mkdir()
        for number, stem in TWINS.items():
            source = next(REALDOCS.glob(f"{number}、*.pdf")) if kind == "pdf" else SHARED / "corpus" / f"{stem}.txt"
            shutil.copy(source, corpus / source.name)
        settings = Settings(corpus=[corpus], index_dir=tmp_path / f"index-{kind}", embedder="e5")
        build_index(settings, embedder)
        assistant = Assistant.load(settings.index_dir, settings, embedder)
        answers[kind] = [assistant.ask(q["question"]) for q in asked]
    for q, pdf, txt in zip(asked, answers["pdf"], answers["txt"]):
        without_titles = lambda a: bare(re.sub(r"《[^》]*》[：:]?", "", a.answer))  # noqa: E731
        assert (pdf.found, without_titles(pdf)) == (txt.found, without_titles(txt)), q["id"]
        assert [c.clause for c in pdf.citations] == [c.clause for c in txt.citations], q["id"]


def keyword_assistant(tmp_path, *numbers: str):
    """The assistant over these PDFs of ../shared/realdocs, as published: real BM25 and FAISS, the
    keyword embedder to keep the build fast."""
    from assistant.embed import KeywordEmbedder
    from assistant.indexer import build_index
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    if not REALDOCS.is_dir():
        pytest.skip("../shared/realdocs is absent")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in numbers:
        source = next(REALDOCS.glob(f"{number}、*.pdf"))
        shutil.copy(source, corpus / source.name)
    settings = Settings(corpus=[corpus], index_dir=tmp_path / "index", embedder="keyword")
    build_index(settings, KeywordEmbedder())
    return Assistant.load(settings.index_dir, settings, KeywordEmbedder())


def test_a_bodys_part_is_read_from_the_articles_that_give_it(tmp_path):
    """A 管理办法 and a regulation state each body's part in their articles, and no responsibility note
    names it: asked what a body does, the answer is the sentences in which that body acts (alone or
    listed with others), not one where it is acted upon, and not for a body of a place no document is
    about. The real PDFs, real BM25 and FAISS; the keyword embedder keeps the build fast."""
    assistant = keyword_assistant(tmp_path, "115", "34")
    answer = assistant.ask("徐汇区发展改革委负责哪些工作?")
    assert answer.strategy == "duties" and "区发展改革委负责编制专项资金年度预算" in bare(answer.answer)
    assert "接受区发展改革委" not in answer.answer  # acted upon (扶持对象应接受…的监督检查), not acting
    answer = assistant.ask("省级生态环境主管部门在碳排放权交易中承担什么职责?")  # 主管部门: a body, not a who-question
    assert answer.strategy == "duties" and "组织开展碳排放配额分配和清缴" in bare(answer.answer)
    answer = assistant.ask("生态环境部在碳排放权交易里承担什么职责?")  # an article opens with the body: 第四条生态环境部按照…
    assert answer.strategy == "duties" and "生态环境部按照国家有关规定建设全国碳排放权交易市场" in bare(answer.answer)
    assert "生态环境部和省级生态环境主管部门,应当" not in bare(answer.answer)  # the list is cut off from its verb
    assert assistant.ask("南京市财政局负责什么工作?").strategy != "duties"


def test_which_ones_asks_for_a_list_and_its_entries_answer(tmp_path):
    """哪些… asks for a list, as 有哪些 does: the entries of the list whose heading carries what is asked
    (不予支持的情形), each once, without their own closing marks. The real PDF, real BM25 and FAISS,
    keyword embedder."""
    assistant = keyword_assistant(tmp_path, "117")
    answer = assistant.ask("哪些情形的项目不在支持之列？")
    assert answer.strategy == "outline", answer.answer
    assert all(item in bare(answer.answer) for item in ("以扩大产能为主的项目", "余热、余能、余气", "节能量无法测算"))
    assert "；；" not in answer.answer


def test_an_articles_items_answer_what_its_lead_says(tmp_path):
    """第八条…符合下列条件的，应当列入…名录： (一)… (二)年度…达到2.6万吨二氧化碳当量。 The article is found
    as a whole (its outline); the item that states the figure answers, though it is as short as a
    heading, and is cited by its own path. The real PDF, real BM25 and FAISS, keyword embedder."""
    assistant = keyword_assistant(tmp_path, "34")
    answer = assistant.ask("排放单位的温室气体年度排放量达到多少时，要被列入重点排放单位名录？")
    assert answer.found and "2.6万吨二氧化碳当量" in bare(answer.answer), answer.answer
    assert answer.citations[0].clause == "第八条(二)"


def test_a_question_negating_a_word_in_its_own_way_borrows_the_documents_negation(tmp_path, monkeypatch):
    """不 is a stopword, so 哪些项目不给支持 would read as which projects are supported: where a question
    negates one of the corpus's words, the corpus's own negation of it (不予支持 → 不予) joins its tokens and
    the clause of what is not supported is found; an A不A question (能不能) and a question already in the
    corpus's words borrow nothing."""
    assistant = keyword_assistant(tmp_path, "117")
    asked = "繁昌区的支持措施里，哪些项目不给支持？"
    q = assistant.read(asked)
    assert "不予" in q.tokens and "不予" in q.content
    for yes_or_no in ("繁昌区的项目能不能同时享受两项支持？", "繁昌区光伏项目支持不支持？"):
        assert assistant.reader.negations(assistant.read(yes_or_no).text) == [], yes_or_no
    assert assistant.reader.negations("哪些项目不予支持？") == []  # negated as the documents do
    assert assistant.read("哪些项目不予支持？").tokens.count("不予") == 1

    def rank(question) -> int:
        hits = assistant.retriever.search(question, k=10, query=assistant.retriever.embed_query(question))
        return next(i for i, h in enumerate(hits) if "不予支持的情形" in h.chunk.text)

    with_negation = rank(q)
    monkeypatch.setattr(type(assistant.reader), "negations", lambda self, text: [])
    assert with_negation < rank(assistant.read(asked))


def test_what_a_lists_entries_each_are_counts_as_named_by_its_heading(tmp_path):
    """An outline whose entries are each a …项目 (不予支持的情形：以扩大产能为主的项目；…) enumerates 项目:
    a question asking which 项目 finds that word in it though its heading (不予支持的情形) does not say it;
    a word only one entry holds, or one the question does not ask, is not added."""
    from assistant.answer.strategies import entries_of

    assistant = keyword_assistant(tmp_path, "117")
    kb = assistant.answerer
    listed = next(c for c in kb.outlines.values() if c.text.startswith("5.不予支持的情形"))
    assert entries_of(kb, listed, assistant.read("哪几类项目明确不给支持？")) == ["项目"]
    assert entries_of(kb, listed, assistant.read("哪些情形不给支持？")) == []
    assert entries_of(kb, listed, assistant.read("哪些余热项目不给支持？")) == ["项目"]  # 余热: one entry's


def test_asked_the_most_an_amount_can_be_the_answer_adds_the_sentence_bounding_it(tmp_path):
    """最多能补多少 / 上限是多少, answered by a sentence giving only the rate (按…给予1000元/千瓦的扶持): the
    clause's next sentence that bounds the amount (以上扶持最高不超过200万元) ends the answer; a question not
    asking the most gets no such sentence, and a sentence already bounding it needs none."""
    assistant = keyword_assistant(tmp_path, "115", "117")
    # (封顶, a word the documents never use, is the question's grammar: not a missing thing it asks of)
    assert "封顶" not in assistant.read("徐汇区分布式光伏扶持封顶多少？").content
    for asked in ("徐汇区分布式光伏最多能补多少钱？", "徐汇区新建分布式光伏的扶持上限是多少？", "徐汇区分布式光伏扶持封顶多少？"):
        answer = assistant.ask(asked)
        assert answer.found and "1000元/千瓦" in answer.answer and "200万元" in answer.answer, asked
    rate = assistant.ask("徐汇区分布式光伏按什么标准扶持？")
    assert "1000元/千瓦" in rate.answer and "200万元" not in rate.answer
    bounded = assistant.ask("繁昌区购置高效节能设备最多补助多少？")
    assert bounded.answer.count("200万元") == 1


def _part_with(assistant, text: str, cited_with: str, in_context: bool = True):
    """A later part as the pipeline asks it (strategies.Ask), the sentence holding `cited_with` quoted by a
    part before it, with its ranked candidates."""
    from assistant.answer.strategies import Ask

    q = assistant.read(text).model_copy(update={"in_context": in_context})
    query = assistant.retriever.embed_query(q)
    ask = Ask(q, assistant.retriever.search(q, k=10, query=query), query, set())
    cands = assistant.answerer.ranked(ask)
    quoted = frozenset([c.text for c in cands if cited_with in c.text][:1])
    assert quoted, cited_with
    return Ask(q, ask.hits, query, set(), cited=quoted), cands


def test_a_later_part_asking_the_most_gets_the_bound_of_the_sentence_a_part_before_quoted(tmp_path):
    """…每吨标准煤给多少扶持？最多给多少？: where the second part alone finds nothing the decision accepts, the
    bound that follows the first part's sentence in its clause (以上扶持最高不超过300万元) answers it; not for a
    part naming a subject of its own, nor one not asking the most."""
    from assistant.answer.strategies import cap_of_cited

    assistant = keyword_assistant(tmp_path, "115")
    kb = assistant.answerer
    asked, rate = "徐汇区节能技改项目每吨标准煤的扶持，最多给多少？", "每吨标准煤1200元的扶持"
    assert [c.text for c in cap_of_cited(kb, *_part_with(assistant, asked, rate))] == ["以上扶持最高不超过300万元。"]
    assert cap_of_cited(kb, *_part_with(assistant, asked, rate, in_context=False)) == []
    assert cap_of_cited(kb, *_part_with(assistant, "徐汇区节能技改项目每吨标准煤怎么扶持？", rate)) == []

