"""The index as a LangChain retriever, with the real bundled e5 model over the real plan, composed
in an LCEL chain."""
from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant.lc import PolicyRetriever
from assistant.pipeline import QuestionError

pytestmark = pytest.mark.integration
SOLAR = "到2030年太阳能发电装机容量目标是多少?"


def test_invoke_returns_passages_with_their_clause(assistant):
    docs = PolicyRetriever(assistant=assistant, k=5).invoke(SOLAR)
    assert len(docs) == 5 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert "1400兆瓦" in top.page_content
    assert top.metadata["clause"] == "三、(三)2." and top.metadata["doc_title"] == "江阴市碳达峰实施方案"
    assert top.metadata["heading"] == "加快发展非化石能源" and top.metadata["clause_id"].endswith("#三、(三)2.")
    assert top.metadata["score"] >= docs[-1].metadata["score"]
    # the passage is verbatim text of the document, where its offsets say
    doc = next(d for d in assistant.data.documents if d.doc_id == top.metadata["doc_id"])
    assert doc.text[top.metadata["start"]:top.metadata["end"]] == top.page_content


def test_scope_filters_by_document_and_level(assistant):
    assert PolicyRetriever(assistant=assistant, levels={"省"}).invoke(SOLAR) == []
    assert PolicyRetriever(assistant=assistant, doc_ids={"no-such-doc"}).invoke(SOLAR) == []
    only = PolicyRetriever(assistant=assistant, levels={"市"}, k=3).invoke(SOLAR)
    assert len(only) == 3 and {d.metadata["level"] for d in only} == {"市"}


def test_bad_questions_raise_the_typed_error(assistant):
    with pytest.raises(QuestionError):
        PolicyRetriever(assistant=assistant).invoke("   ")


def test_composes_in_an_lcel_chain(assistant):
    def cite(docs: list[Document]) -> str:
        return "\n".join(f"[{n}] {d.metadata['doc_title']} {d.metadata['clause']}: {d.page_content[:40]}"
                         for n, d in enumerate(docs, 1))

    chain = {"context": PolicyRetriever(assistant=assistant, k=3) | RunnableLambda(cite),
             "question": RunnablePassthrough()} | RunnableLambda(lambda x: f"{x['question']}\n{x['context']}")
    out = chain.invoke(SOLAR)
    assert out.startswith(SOLAR) and "[1] 江阴市碳达峰实施方案 三、(三)2." in out and "[3] " in out
    assert len(chain.batch([SOLAR, "散煤什么时候清零?"])) == 2
