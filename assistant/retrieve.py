"""Dense + BM25 search (FAISS files or Milvus, see chunkstore) and their fusion, with scope filters and a place prior."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .chunkstore import ChunkSearch, FaissSearch, Scored
from .schema import Hit, Scope
from .store import IndexData
from .text import Tokenizer, fold

if TYPE_CHECKING:
    from .question import Question

# A question that names a document's title prefers that document; one that names a place or a level
# prefers the documents of that place or level; one that names none prefers the home documents (the
# user's own plan).
PLACE_PRIOR = 0.3
HOME_PRIOR = 0.5
TITLE_PRIOR = 0.5
TITLE_MATCH = 6  # characters a question must share with a title to name it
TITLE_STRIP = 8  # ...and to be read without them: a shorter part (南京江北新区) may be what is asked about
TITLE_SHARED_BY = 2  # titles a run may be shared by and still name them


_DOC_KIND = r"(?:方案|意见|计划|办法|条例|规划|通知|措施|细则|纲要|决定|规定)"
_NAMING = re.compile(rf"《([^《》]{{2,80}})》|([\u4e00-\u9fff“”\d]{{2,40}}?{_DOC_KIND})")
NAMED_MIN = 6  # characters of a naming phrase: 碳达峰方案 alone names no one document
NAMED_SHARE = 0.85  # share of a naming phrase (…方案) that must appear, in order, in a title


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


class Titles:
    """Which document titles a question names, and the part of the question that names them: a phrase
    that ends like a document (…实施方案, 《…》) most of whose characters appear in order in a title
    (省碳达峰方案 names 江苏省碳达峰实施方案), or TITLE_MATCH characters in a row shared with one.
    Titles sharing too few character pairs with the question are not compared, so a corpus of
    thousands of documents costs little per question."""

    def __init__(self, titles: dict[str, str]):
        self.titles = {d: fold(t) for d, t in titles.items() if t}
        self.grams = {d: _bigrams(t) for d, t in self.titles.items()}
        self._seen: dict[str, tuple[frozenset[str], str]] = {}

    def named(self, question: str) -> tuple[frozenset[str], str]:
        """(the doc ids whose title the question names, the part of the question that names them)."""
        # A memo shared by the app's threads: the result is returned from a local, never read back,
        # since another thread may clear the memo between the write and a read.
        found = self._seen.get(question)
        if found is None:
            found = self._by_phrase(question) or self._by_run(question)
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen[question] = found
        return found

    def _candidates(self, text: str) -> list[str]:
        grams = _bigrams(text)
        return [d for d in self.titles if len(grams & self.grams[d]) >= 2]

    def _by_phrase(self, question: str) -> tuple[frozenset[str], str] | None:
        """Every phrase that names documents (a question may name two: A和B分别…), the documents each
        names best, and the parts of the question they take (joined by "|")."""
        from rapidfuzz.distance import LCSseq

        docs: set[str] = set()
        parts: list[str] = []
        for m in _NAMING.finditer(question):
            phrase = (m.group(1) or m.group(2)).strip("“”")
            if len(phrase) < NAMED_MIN:
                continue
            shares = {d: LCSseq.similarity(phrase, self.titles[d]) / len(phrase) for d in self._candidates(phrase)}
            top = max(shares.values(), default=0.0)
            if top >= NAMED_SHARE:
                docs |= {d for d, v in shares.items() if v == top}
                parts.append(m.group(0))
        return (frozenset(docs), "|".join(parts)) if docs else None

    def _by_run(self, question: str) -> tuple[frozenset[str], str]:
        from difflib import SequenceMatcher

        shared: dict[str, str] = {}
        for d in self._candidates(question):
            title = self.titles[d]
            m = SequenceMatcher(None, question, title, autojunk=False).find_longest_match(0, len(question), 0, len(title))
            shared[d] = question[m.a:m.a + m.size]
        docs = frozenset(d for d, part in shared.items() if len(part) >= TITLE_MATCH)
        part = max((shared[d] for d in docs), key=len, default="")
        if sum(part in t for t in self.titles.values()) > TITLE_SHARED_BY:
            return frozenset(), ""  # words many titles share (碳达峰碳中和) name no one document
        return docs, part

    def without(self, question: str) -> str:
        """The question less the title it names: what is asked, not where to look."""
        _, named = self.named(question)
        for part in named.split("|"):
            if len(part) >= TITLE_STRIP:
                question = question.replace(part, " ")
        return question


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
        self.doc_level = {d.doc_id: d.meta.level for d in data.documents}
        self.titles = Titles({d.doc_id: d.meta.title for d in data.documents})
        self.home_place = home_place
        self.chunk_docs = np.array([c.doc_id for c in data.chunks])

    def embed_query(self, question: Question) -> np.ndarray:
        return np.ascontiguousarray(self.embedder.embed_queries([question.search]), dtype=np.float32)

    def search(self, question: Question, k: int = 8, scope: Scope | None = None, query: np.ndarray | None = None) -> list[Hit]:
        chunks = self.data.chunks
        if not chunks:
            return []
        query = self.embed_query(question) if query is None else query
        tokens = [t for t in question.tokens if self.backend.knows(t)]
        found = self.backend.scores(query, tokens, scope, k)
        if not len(found.rows):
            return []
        fused = self._fuse(found) + self._doc_prior(question, found.rows)
        if scope is not None:
            fused = np.where([scope.admits(chunks[i]) for i in found.rows], fused, -np.inf)
        order = [j for j in np.argsort(-fused, kind="stable")[:k] if np.isfinite(fused[j])]
        return [Hit(chunk=chunks[found.rows[j]], score=float(fused[j]), dense=float(found.dense[j]), bm25=float(found.sparse[j]))
                for j in order]

    def _fuse(self, found: Scored) -> np.ndarray:
        if self.fusion == "rrf":  # over candidates only, ranks past the candidates are unknown: close, not equal
            return fuse_rrf(found.dense, found.sparse, *self.weights, k=self.rrf_k)
        return fuse_convex(found.dense, found.sparse, *self.weights, found.bounds)

    def _doc_prior(self, question: Question, rows: np.ndarray) -> np.ndarray:
        """Named title > named place or level > home documents, added to every chunk of the document."""
        prior = self.doc_priors(question)
        return np.array([prior.get(d, 0.0) for d in self.chunk_docs[rows]], dtype=np.float64)

    def preferred_docs(self, question: Question) -> set[str]:
        """The documents the question points to (by title, place or level, or else home), if any."""
        prior = self.doc_priors(question)
        top = max(prior.values(), default=0.0)
        return {d for d, p in prior.items() if top > 0 and p == top}

    def doc_priors(self, question: Question) -> dict[str, float]:
        prior = {}
        for doc_id, place in self.doc_place.items():
            if question.title_docs:
                prior[doc_id] = TITLE_PRIOR if doc_id in question.title_docs else 0.0
            elif question.places:
                prior[doc_id] = PLACE_PRIOR if place in question.places else 0.0
            elif question.levels:  # 全市 / 省里: that level's documents, the home one first (全市 in its own plan)
                of_level = self.doc_level.get(doc_id) in question.levels
                home = place and place == self.home_place
                prior[doc_id] = (HOME_PRIOR if home else PLACE_PRIOR) if of_level else 0.0
            else:
                prior[doc_id] = HOME_PRIOR if place and place == self.home_place else 0.0
        return prior

    def docs_of_place(self, place: str) -> set[str]:
        return {d for d, p in self.doc_place.items() if p == place}
