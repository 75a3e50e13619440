"""Dense + BM25 search over a chunk store (search/), fused, with scope filters and the document priors.

question (Question) -> the store's candidates (the union of each side's best, scored exactly on both
sides) -> fusion (search/fusion.py) + document priors (search/priors.py) -> the best k, in scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .schema import Hit, Scope
from .search import ChunkSearch, fusion
from .search.priors import doc_priors, preferred
from .settings import Settings
from .store import IndexData

if TYPE_CHECKING:
    from .question import Question


class Retriever:
    def __init__(self, data: IndexData, embedder, backend: ChunkSearch, settings: Settings | None = None):
        self.data = data
        self.backend = backend
        self.embedder = embedder
        self.settings = settings or Settings()
        self.doc_place = {d.doc_id: d.meta.place for d in data.documents}
        self.doc_level = {d.doc_id: d.meta.level for d in data.documents}
        self.chunk_docs = np.array([c.doc_id for c in data.chunks])

    def embed_query(self, question: Question) -> np.ndarray:
        return np.ascontiguousarray(self.embedder.embed_queries([question.search]), dtype=np.float32)

    def search(
        self, question: Question, k: int = 8, scope: Scope | None = None, query: np.ndarray | None = None
    ) -> list[Hit]:
        chunks = self.data.chunks
        if not chunks:
            return []
        query = self.embed_query(question) if query is None else query
        tokens = [t for t in question.tokens if self.backend.knows(t)]
        s = self.settings
        found = self.backend.candidates(query, tokens, scope, max(s.candidates, k))
        if not len(found.rows):
            return []
        fused = fusion.fuse(s.fusion, found.dense, found.sparse, s.dense_weight, s.bm25_weight, s.rrf_k)
        fused = fused + self._doc_prior(question, found.rows)
        if scope is not None:
            fused = np.where([scope.admits(chunks[i]) for i in found.rows], fused, -np.inf)
        order = [j for j in np.argsort(-fused, kind="stable")[:k] if np.isfinite(fused[j])]
        return [
            Hit(
                chunk=chunks[found.rows[j]],
                score=float(fused[j]),
                dense=float(found.dense[j]),
                bm25=float(found.sparse[j]),
            )
            for j in order
        ]

    def _doc_prior(self, question: Question, rows: np.ndarray) -> np.ndarray:
        prior = self.doc_priors(question)
        return np.array([prior.get(d, 0.0) for d in self.chunk_docs[rows]], dtype=np.float64)

    def doc_priors(self, question: Question) -> dict[str, float]:
        return doc_priors(question, self.doc_place, self.doc_level, self.settings.home_place)

    def preferred_docs(self, question: Question) -> set[str]:
        """The documents the question points to (by title, place or level, or else home), if any."""
        return preferred(self.doc_priors(question))

    def docs_of_place(self, place: str) -> set[str]:
        return {d for d, p in self.doc_place.items() if p == place}
