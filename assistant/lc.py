"""The index as a LangChain retriever: `PolicyRetriever(assistant=...).invoke("问题")` returns
LangChain Documents, one per passage, with the clause it comes from in the metadata.

    from assistant.lc import PolicyRetriever
    from assistant.pipeline import Assistant

    retriever = PolicyRetriever(assistant=Assistant.load("index"), k=5, levels={"市"})
    docs = retriever.invoke("光伏装机目标是多少?")
    docs[0].metadata["clause"], docs[0].metadata["doc_title"], docs[0].page_content

It is a Runnable like any other retriever, so it composes in LCEL chains (`retriever | format_docs`).
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from .pipeline import Assistant
from .schema import Hit, Scope


class PolicyRetriever(BaseRetriever):
    """Hybrid (dense + BM25) search over a policyqa index, limited to some documents or levels
    (市/省/国家) when `doc_ids` / `levels` are given; empty means every document."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    k: int = Field(default=5, ge=1, le=100)
    doc_ids: set[str] = Field(default_factory=set)
    levels: set[str] = Field(default_factory=set)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        scope = Scope(doc_ids=set(self.doc_ids), levels=set(self.levels)) if self.doc_ids or self.levels else None
        # read as any question is (QuestionError on bad input), then searched
        return [to_document(hit) for hit in self.assistant.search(query, k=self.k, scope=scope)]


def to_document(hit: Hit) -> Document:
    c = hit.chunk
    return Document(
        page_content=c.text,
        id=c.chunk_id,
        metadata={
            "doc_id": c.doc_id,
            "doc_title": c.doc_title,
            "clause": c.path,
            "heading": c.heading,
            "heading_path": list(c.heading_path),
            "clause_id": c.clause_id,
            "level": c.level,
            "score": round(hit.score, 4),
            "start": c.start,
            "end": c.end,
        },
    )
