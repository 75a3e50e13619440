"""Dense + BM25 search (FAISS files or Milvus, see chunkstore) and their fusion, with scope filters and a place prior."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .chunkstore import ChunkSearch, FaissSearch, Scored
from .schema import Chunk, Hit
from .store import IndexData, dense_scores
from .text import Tokenizer, fold, glossary_terms, has_cjk

# A question that names a place prefers the documents of that place; one that names none prefers
# the home documents (the user's own plan); one that names a document's title prefers that document.
PLACE_WORDS = {
    "江阴": ("江阴", "jiangyin"),
    "江苏": ("江苏", "全省", "省级", "我省", "jiangsu"),
    "全国": ("全国", "国家", "国务院", "中央", "national", "china"),
    "南京": ("南京", "江北新区", "nanjing"),
}
PLACE_PRIOR = 0.3
HOME_PRIOR = 0.5
TITLE_PRIOR = 0.5
TITLE_MATCH = 6  # characters a question must share with a title to name it
TITLE_STRIP = 8  # ...and to be read without them: a shorter part (南京江北新区) may be what is asked about


def named_places(question: str) -> set[str]:
    q = question.lower()
    return {place for place, words in PLACE_WORDS.items() if any(w in q for w in words)}


def common_substring(a: str, b: str) -> str:
    """The longest common substring of two short strings (a question and a title)."""
    best_end, best, prev = 0, 0, [0] * (len(b) + 1)
    for i, ch in enumerate(a, 1):
        cur = [0] * (len(b) + 1)
        for j, other in enumerate(b, 1):
            if ch == other:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best, best_end = cur[j], i
        prev = cur
    return a[best_end - best:best_end]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


class Titles:
    """Which document titles a question names (shares TITLE_MATCH characters in a row with), and the
    question without the named part. Titles sharing too few character pairs with the question are
    not compared, so a corpus of thousands of documents costs little per question."""

    def __init__(self, titles: dict[str, str]):
        self.titles = {d: fold(t) for d, t in titles.items() if t}
        self.grams = {d: _bigrams(t) for d, t in self.titles.items()}
        self._seen: dict[str, tuple[frozenset[str], str]] = {}

    def named(self, question: str) -> tuple[frozenset[str], str]:
        """(the doc ids whose title the question names, the longest part of the question they share)."""
        # A memo shared by the app's threads: the result is returned from a local, never read back,
        # since another thread may clear the memo between the write and a read.
        found = self._seen.get(question)
        if found is None:
            grams = _bigrams(question)
            shared = {d: common_substring(question, t) for d, t in self.titles.items()
                      if len(grams & self.grams[d]) >= TITLE_MATCH - 1}
            docs = frozenset(d for d, part in shared.items() if len(part) >= TITLE_MATCH)
            found = (docs, max((shared[d] for d in docs), key=len, default=""))
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen[question] = found
        return found

    def without(self, question: str) -> str:
        """The question less the title it names: what is asked, not where to look."""
        _, part = self.named(question)
        return question.replace(part, " ") if len(part) >= TITLE_STRIP else question


@dataclass
class Scope:
    """Limits a search to some documents or levels (市/省/国家); empty means everything."""

    doc_ids: set[str] = field(default_factory=set)
    levels: set[str] = field(default_factory=set)

    def admits(self, chunk: Chunk) -> bool:
        return (not self.doc_ids or chunk.doc_id in self.doc_ids) and (not self.levels or chunk.level in self.levels)


def fuse_convex(dense: np.ndarray, sparse: np.ndarray, w_dense: float, w_sparse: float,
                bounds: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Min-max each score list (over the scores given, or between `bounds`: dense lo, hi, BM25 lo, hi),
    then a weighted sum."""
    lo_d, hi_d, lo_s, hi_s = bounds or (None,) * 4
    return w_dense * _minmax(dense, lo_d, hi_d) + w_sparse * _minmax(sparse, lo_s, hi_s)


def fuse_rrf(dense: np.ndarray, sparse: np.ndarray, w_dense: float, w_sparse: float, k: int = 60) -> np.ndarray:
    return w_dense / (k + _ranks(dense)) + w_sparse / (k + _ranks(sparse))


def _minmax(x: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    lo = float(x.min()) if lo is None else lo
    hi = float(x.max()) if hi is None else hi
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(-x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    return ranks


class Retriever:
    def __init__(self, data: IndexData, embedder, tokenizer: Tokenizer, fusion: str = "convex",
                 dense_weight: float = 1.0, bm25_weight: float = 1.0, rrf_k: int = 60, home_place: str = "",
                 approx_k: int = 100, backend: ChunkSearch | None = None):
        self.data = data
        self.approx_k = approx_k
        self.backend = backend or FaissSearch(data, approx_k)
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.fusion = fusion
        self.weights = (dense_weight, bm25_weight)
        self.rrf_k = rrf_k
        self.doc_place = {d.doc_id: d.meta.place for d in data.documents}
        self.titles = Titles({d.doc_id: d.meta.title for d in data.documents})
        self.home_place = home_place
        self.chunk_docs = np.array([c.doc_id for c in data.chunks])

    def embed_query(self, question: str) -> np.ndarray:
        return np.ascontiguousarray(self.embedder.embed_queries([fold(question)]), dtype=np.float32)

    def search(self, question: str, k: int = 8, scope: Scope | None = None, query: np.ndarray | None = None) -> list[Hit]:
        chunks = self.data.chunks
        if not chunks:
            return []
        query = self.embed_query(question) if query is None else query
        tokens = self.bm25_tokens(self.titles.without(fold(question)))  # a named title is routed by its prior
        found = self.backend.scores(query, tokens, scope, k)
        if not len(found.rows):
            return []
        fused = self._fuse(found) + self._doc_prior(question, found.rows)
        if scope is not None:
            fused = np.where([scope.admits(chunks[i]) for i in found.rows], fused, -np.inf)
        order = [j for j in np.argsort(-fused, kind="stable")[:k] if np.isfinite(fused[j])]
        return [Hit(chunk=chunks[found.rows[j]], score=float(fused[j]), dense=float(found.dense[j]), bm25=float(found.sparse[j]))
                for j in order]

    def dense_scores(self, query: np.ndarray) -> np.ndarray:
        """Every chunk's dense score (the FAISS store)."""
        return dense_scores(self.data.dense, query, self.approx_k)

    def bm25_scores(self, question: str) -> np.ndarray:
        """Every chunk's BM25 score (the FAISS store)."""
        tokens = self.bm25_tokens(question)
        return np.asarray(self.data.bm25.get_scores(tokens), dtype=np.float64) if tokens else np.zeros(len(self.data.chunks))

    def bm25_tokens(self, question: str) -> list[str]:
        """The question's tokens BM25 knows; an English question also asks for its glossary terms."""
        if not has_cjk(question):
            question = f"{question} {glossary_terms(question)}"
        return [t for t in self.tokenizer.tokens(question) if self.backend.knows(t)]

    def _fuse(self, found: Scored) -> np.ndarray:
        if self.fusion == "rrf":  # over candidates only, ranks past the candidates are unknown: close, not equal
            return fuse_rrf(found.dense, found.sparse, *self.weights, k=self.rrf_k)
        return fuse_convex(found.dense, found.sparse, *self.weights, found.bounds)

    def _doc_prior(self, question: str, rows: np.ndarray) -> np.ndarray:
        """Named title > named place > home documents, added to every chunk of the document."""
        prior = self.doc_priors(question)
        return np.array([prior.get(d, 0.0) for d in self.chunk_docs[rows]], dtype=np.float64)

    def preferred_docs(self, question: str) -> set[str]:
        """The documents the question points to (by title, place, or else home), if any."""
        prior = self.doc_priors(question)
        top = max(prior.values(), default=0.0)
        return {d for d, p in prior.items() if top > 0 and p == top}

    def doc_priors(self, question: str) -> dict[str, float]:
        q = fold(question)
        titled, _ = self.titles.named(q)
        places = named_places(q)
        prior = {}
        for doc_id, place in self.doc_place.items():
            if titled:
                prior[doc_id] = TITLE_PRIOR if doc_id in titled else 0.0
            elif places:
                prior[doc_id] = PLACE_PRIOR if place in places else 0.0
            else:
                prior[doc_id] = HOME_PRIOR if place and place == self.home_place else 0.0
        return prior

    def docs_of_place(self, place: str) -> set[str]:
        return {d for d, p in self.doc_place.items() if p == place}
