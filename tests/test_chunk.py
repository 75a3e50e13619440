"""Clause-aligned chunks of the real Jiangyin plan: verbatim, inside their clause, within budget,
headings kept with their bodies, outlines that list what a clause holds."""
from __future__ import annotations

import pytest
from conftest import parsed

from assistant.chunk import chunk_document
from assistant.knowledge import find_notes
from assistant.parse import parse_document
from assistant.schema import Document, DocMeta
from assistant.text import split_sentences

MAX, MIN = 360, 80


@pytest.fixture(scope="module", params=[MAX, 250], ids=["budget360", "budget250"])
def chunked(jiangyin, request):
    doc, clauses = jiangyin
    return doc, clauses, chunk_document(doc, clauses, max_chars=request.param, min_chars=MIN), request.param


@pytest.fixture(scope="module")
def default_chunks(jiangyin):
    doc, clauses = jiangyin
    return chunk_document(doc, clauses, max_chars=MAX, min_chars=MIN)


def text_chunks(chunks):
    return [c for c in chunks if c.kind == "text"]


def by_path(clauses):
    return {c.path: c for c in clauses}


def outline_of(chunks, path):
    (outline,) = [c for c in chunks if c.kind == "outline" and c.path == path]
    return outline.text.split("\n")


def is_note(text: str) -> bool:
    text = text.strip()
    return bool(text) and find_notes(text) == [(0, len(text))]


def body_sentences(chunk, clause) -> list[str]:
    """The chunk's sentences, leaving out the clause's heading and a closing responsibility note."""
    sentences = [chunk.text[a:b].strip() for a, b in split_sentences(chunk.text)]
    if chunk.start == clause.start and sentences:
        head = clause.label + clause.heading
        if sentences[0].rstrip("。") in (head, clause.label):
            sentences = sentences[1:]
    return [s for s in sentences if s and not is_note(s)]


def test_text_chunks_are_verbatim(chunked):
    doc, _, chunks, _ = chunked
    for chunk in text_chunks(chunks):
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.text == chunk.text.strip() and chunk.text


def test_chunk_ids_unique(chunked):
    _, _, chunks, _ = chunked
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids)


def test_no_text_chunk_crosses_its_clause(chunked):
    _, clauses, chunks, _ = chunked
    ids = {c.clause_id: c for c in clauses}
    for chunk in text_chunks(chunks):
        clause = ids[chunk.clause_id]
        assert clause.start <= chunk.start < chunk.end <= clause.end, chunk.chunk_id


def test_chunks_of_a_clause_do_not_overlap_and_lose_nothing(chunked):
    doc, clauses, chunks, _ = chunked
    for clause in clauses:
        spans = sorted((c.start, c.end) for c in text_chunks(chunks) if c.clause_id == clause.clause_id)
        for (_, e1), (s2, _) in zip(spans, spans[1:]):
            assert e1 <= s2 and not doc.text[e1:s2].strip(), clause.path  # only white space between
        if not spans:  # a bare heading line over children: its outline shows it
            assert clause.children and len([ln for ln in clause.text.split("\n") if ln.strip()]) == 1, clause.path
            assert clause.text.strip() in outline_of(chunks, clause.path), clause.path
            continue
        assert not doc.text[clause.start : spans[0][0]].strip(), clause.path
        assert not doc.text[spans[-1][1] : clause.end].strip(), clause.path


def test_no_text_chunk_over_budget_unless_one_sentence(chunked):
    _, clauses, chunks, budget = chunked
    ids = {c.clause_id: c for c in clauses}
    over = [c for c in text_chunks(chunks) if len(c.text) > budget]
    for chunk in over:
        assert len(body_sentences(chunk, ids[chunk.clause_id])) == 1, chunk.chunk_id
    if budget == MAX:  # 一、(一) is its heading and one 374-character sentence
        assert [c.path for c in over] == ["一、(一)"]


def test_heading_stays_with_its_body(chunked):
    _, clauses, chunks, _ = chunked
    texts = {c.text for c in text_chunks(chunks)}
    for bare in ["(一)指导思想", "(二)工作原则", "一、总体要求", "二、主要目标", "三、重点任务", "四、政策保障",
                 "(三)调整能源结构,开展能源绿色转型行动", "专栏1战略性新兴产业壮大行动", "1.稳妥有序控制化石能源消费。"]:
        assert bare not in texts
    p = by_path(clauses)
    ids = {c.clause_id: c for c in clauses}
    for chunk in text_chunks(chunks):
        clause = ids[chunk.clause_id]
        if chunk.start == clause.start and chunk.end < clause.end:
            assert body_sentences(chunk, clause), chunk.chunk_id  # more than the heading alone
    first = [c for c in text_chunks(chunks) if c.clause_id == p["一、(一)"].clause_id][0]
    assert first.text.startswith("(一)指导思想\n坚持以习近平新时代中国特色社会主义思想为指导")


def test_bare_headings_are_in_outlines(default_chunks, jiangyin):
    _, clauses = jiangyin
    for clause in clauses:
        if clause.children and "\n" not in clause.text.strip():
            assert outline_of(default_chunks, clause.path)[0] == clause.text.strip()


def test_long_item_splits_at_topic_or_sentence_boundaries(chunked):
    doc, clauses, chunks, budget = chunked
    item = by_path(clauses)["三、(三)1."]
    assert len(item.text) > MAX  # 680 characters: more than one chunk's worth
    parts = [c for c in text_chunks(chunks) if c.clause_id == item.clause_id]
    assert len(parts) >= 2
    sentence_starts = {item.start + a for a, _ in split_sentences(item.text)}
    sentence_ends = {item.start + len(item.text[:b].rstrip()) for _, b in split_sentences(item.text)}
    for part in parts:
        assert part.start in sentence_starts | {t.start for t in item.topics}, part.chunk_id
        assert part.end in sentence_ends, part.chunk_id
    assert parts[0].text.startswith("1.稳妥有序控制化石能源消费。严格控制煤炭消费增长。")
    assert parts[-1].text.endswith("供电公司等部门和单位按职责分工负责)")
    starts = {part.start for part in parts}
    for topic in item.topics[2:]:  # 合理控制油气能源消费 and 稳步提升能源安全保障能力 each open a chunk
        assert topic.start in starts


def test_responsibility_note_stays_with_the_text_it_closes(chunked):
    _, _, chunks, _ = chunked
    for chunk in text_chunks(chunks):
        assert not is_note(chunk.text), chunk.chunk_id
    for chunk in text_chunks(chunks):
        if chunk.path == "三、(七)1." and "科技局、发改委、教育局" in chunk.text:
            assert chunk.text.endswith("提供有力支撑。(科技局、发改委、教育局、工信局、财政局等部门按职责分工负责)")


def test_outline_of_working_principles_lists_the_four_leads(default_chunks):
    lines = outline_of(default_chunks, "一、(二)")
    assert lines[0] == "(二)工作原则"
    assert [ln for ln in lines if ln.endswith("。")] == [
        "统筹推进、分类施策。", "政府引导、市场发力。", "节约优先、绿色发展。", "稳妥有序、安全降碳。",
    ]


def test_outline_of_key_tasks_lists_the_seven_actions(default_chunks):
    lines = outline_of(default_chunks, "三、")
    assert lines[0] == "三、重点任务"
    actions = [ln for ln in lines if ln.startswith("(")]
    assert actions == [
        "(一)增强低碳意识,开展低碳社会创建行动",
        "(二)推行绿色制造,开展工业领域达峰行动",
        "(三)调整能源结构,开展能源绿色转型行动",
        "(四)严控能耗强度,开展节能降碳增效行动",
        "(五)提升建筑能效,开展绿色城乡建设行动",
        "(六)优化运输结构,开展交通运输低碳行动",
        "(七)突破关键技术,开展低碳科技创新行动",
    ]


def test_outline_of_an_action_lists_items_and_boxes(default_chunks):
    lines = outline_of(default_chunks, "三、(七)")
    assert lines[1:] == [
        "1.强化绿色技术创新能力。", "专栏2绿色低碳技术载体建设行动", "2.加强绿色低碳技术攻关和应用推广。",
        "专栏3绿色低碳技术研究方向", "3.营造绿色创新生态环境。",
    ]


def test_every_chunk_carries_title_path_and_heading_path(chunked):
    doc, clauses, chunks, _ = chunked
    ids = {c.clause_id: c for c in clauses}
    assert doc.meta.title == "江阴市碳达峰实施方案"
    for chunk in chunks:
        clause = ids[chunk.clause_id]
        assert chunk.doc_id == doc.doc_id and chunk.doc_title == "江阴市碳达峰实施方案"
        assert (chunk.path, chunk.heading) == (clause.path, clause.heading)
        assert chunk.heading_path == clause.heading_path
        assert chunk.level == "市"
    p = by_path(clauses)
    one = [c for c in chunks if c.clause_id == p["三、(三)2."].clause_id][0]
    assert one.heading_path == ["重点任务", "调整能源结构,开展能源绿色转型行动", "加快发展非化石能源"]
    assert "江阴市碳达峰实施方案" in one.context() and "加快发展非化石能源" in one.context()


# --------------------------------------------------------------------------- made-up and shared texts


def _one_item(body: str) -> tuple[Document, list]:
    text = f"一、任务\n（一）推进节能。{body}"
    doc = Document(doc_id="t", path="t.txt", meta=DocMeta(title="测试"), text=text, content_hash="x")
    return doc, parse_document(doc)


SENTENCES = [f"推进第{n}项节能降碳工作，加强管理。" for n in range(1, 7)]  # 17 characters each, not leads


def test_a_short_tail_takes_sentences_from_the_piece_before():
    doc, clauses = _one_item("".join(SENTENCES))  # 8 + 6 x 17 = 110 characters
    chunks = text_chunks(chunk_document(doc, clauses, max_chars=100, min_chars=40))
    assert [c.text for c in chunks] == ["（一）推进节能。" + "".join(SENTENCES[:3]), "".join(SENTENCES[3:])]


def test_a_lead_paragraph_over_items_is_a_passage_of_its_own():
    """A section that opens with a paragraph before its items: the paragraph is a text passage (its
    sentences are embedded and answer like any), besides the outline that lists the items."""
    text = "三、重点任务\n在全市深入开展节能、减排、降碳等“三项行动”。\n（一）推进节能\n内容一。\n（二）推进减排\n内容二。\n"
    doc = Document(doc_id="t", path="t.txt", meta=DocMeta(title="测试"), text=text, content_hash="x")
    chunks = chunk_document(doc, parse_document(doc))
    lead = [c for c in text_chunks(chunks) if c.path == "三、"]
    assert len(lead) == 1 and "“三项行动”" in lead[0].text
    assert [c.items for c in chunks if c.kind == "outline"] == [["推进节能", "推进减排"]]


def test_a_note_is_not_cut_from_its_sentence():
    note = "（省发展改革委牵头，省科技厅等部门按职责分工负责）"
    doc, clauses = _one_item("".join(SENTENCES[:5]) + note)  # the note would overflow the first piece
    chunks = text_chunks(chunk_document(doc, clauses, max_chars=100, min_chars=40))
    assert [c.text for c in chunks] == ["（一）推进节能。" + "".join(SENTENCES[:4]), SENTENCES[4] + note]


@pytest.mark.shared
def test_shared_chunks_verbatim_within_budget_no_bare_notes(shared_corpus):
    for path in sorted(shared_corpus.glob("*.txt")):
        doc, clauses = parsed(path)
        ids = {c.clause_id: c for c in clauses}
        for chunk in text_chunks(chunk_document(doc, clauses, max_chars=MAX, min_chars=MIN)):
            clause = ids[chunk.clause_id]
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert clause.start <= chunk.start < chunk.end <= clause.end
            assert not is_note(chunk.text), (path.name, chunk.chunk_id)
            if len(chunk.text) > MAX:
                assert len(body_sentences(chunk, clause)) == 1, (path.name, chunk.chunk_id)
