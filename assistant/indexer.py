"""files -> parse -> knowledge + chunks -> embed + BM25 -> index/ (and the chunks' search store: FAISS files or Milvus)."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunk import chunk_document
from .ingest import load_corpus
from .knowledge import ALIASES, find_notes, responsibilities
from .parse import parse_document
from .schema import Chunk, Clause, Document, Responsibility, Target
from .search import build_store
from .settings import Settings
from .store import FORMAT_VERSION, IndexData, library_versions, previous_vectors, read_manifest, save_index, text_key
from .targets import deadline_targets, extract_targets
from .text import Tokenizer, split_sentences

MIN_SENTENCE = 6
_QUOTED = re.compile(r"[“\"]([^“”\"]{2,12})[”\"]")


@dataclass
class BuildReport:
    documents: int = 0
    clauses: int = 0
    chunks: int = 0
    notes: int = 0
    targets: int = 0
    embedded: int = 0  # chunks embedded in this run
    reused: int = 0  # chunks whose vectors came from the previous index
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Analysis:
    clauses: list[Clause] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    notes: list[Responsibility] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def add(self, other: Analysis) -> None:
        self.clauses += other.clauses
        self.chunks += other.chunks
        self.notes += other.notes
        self.targets += other.targets


def analyse(doc: Document, settings: Settings) -> Analysis:
    clauses = parse_document(doc)
    notes = [r for c in clauses for r in responsibilities(c)]
    return Analysis(
        clauses=clauses,
        chunks=chunk_document(doc, clauses, settings.chunk_max_chars, settings.chunk_min_chars),
        notes=notes,
        targets=extract_targets(doc, clauses) + deadline_targets(notes, {c.clause_id: c for c in clauses}),
    )


def corpus_terms(clauses: list[Clause], notes: list[Responsibility]) -> list[str]:
    """Words jieba should keep whole: department names, quoted terms (两高一低, 345), short headings."""
    terms = {d for n in notes for d in n.departments}
    terms |= {name for short, names in ALIASES.items() for name in [short, *names]}
    for c in clauses:
        terms |= {m.group(1) for m in _QUOTED.finditer(c.text)}
        for t in c.topics:
            if t.lead and len(t.lead) <= 8:
                terms.add(t.lead)
    return sorted(t for t in terms if 1 < len(t) <= 12 and not re.search(r"[，,。；;（）()]", t))


def lexicon(clauses: list[Clause], targets: list[Target], terms: list[str], tokenizer: Tokenizer) -> list[str]:
    """The corpus's subject words: those of clause headings and target indicators, the indicators whole
    (森林覆盖率: what "forest coverage rate" pairs with, where 森林 alone ties with 绿地), and its own terms.
    Embedded once, they are what an English question's words are paired with (crosslingual.py)."""
    words = {w for c in clauses for w in tokenizer.words(c.heading)}
    words |= {w for t in targets for w in tokenizer.words(t.indicator)}
    words |= set(terms)
    words = {w for w in words if 2 <= len(w) <= 8}
    words |= {t.indicator for t in targets if 2 <= len(t.indicator) <= 12}
    return sorted(w for w in words if re.fullmatch(r"[\u4e00-\u9fff]+", w))


def build_index(settings: Settings, embedder, progress: bool = False) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    documents, report.warnings = load_corpus(list(settings.corpus), progress=False, max_file_mb=settings.max_file_mb)
    found = Analysis()
    for doc in documents:
        found.add(analyse(doc, settings))
    clauses, chunks, notes = found.clauses, found.chunks, found.notes
    previous = _previous_manifest(settings.index_dir)
    _diff_documents(previous, documents, report)
    terms = corpus_terms(clauses, notes)
    tokenizer = Tokenizer(terms)
    sentences = sentence_rows(chunks)
    words = lexicon(clauses, found.targets, terms, tokenizer)
    units = embedding_units(documents, clauses, chunks)
    unit_matrix = _embed(units, embedder, settings, report, progress)
    unit_vectors = dict(zip(units, unit_matrix))
    vectors = chunk_vectors(chunks, clauses, documents, unit_vectors)
    word_vectors = _embed(words, embedder, settings, report, progress, queries=True)
    chunk_tokens = [tokenizer.tokens(c.context()) for c in chunks]
    built = build_store(settings, chunks, vectors, chunk_tokens, embedder.id, previous, progress)
    # idf for answer scoring counts passages, not titles: a title word is in every chunk of a document
    df = Counter(t for c in chunks for t in set(tokenizer.tokens(c.text)))
    manifest = {
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "libraries": library_versions(),
        "embedder": {"id": embedder.id, "dim": int(embedder.dim)},
        "settings": settings.model_dump(mode="json", include={"chunk_max_chars", "chunk_min_chars"}),
        "tokenizer": "jieba-search+cjk-chars",
        "documents": {
            d.doc_id: {"path": d.path, "title": d.meta.title, "content_hash": d.content_hash} for d in documents
        },
        "store": built.manifest,
    }
    data = IndexData(
        manifest,
        documents,
        clauses,
        chunks,
        notes,
        vectors,
        built.dense,
        built.bm25,
        terms,
        dict(df),
        np.array(sentences, dtype=np.int64).reshape(-1, 3),
        np.zeros((0, 0), dtype=np.float32),
        found.targets,
        built.files,
        units,
        unit_matrix,
        words,
        word_vectors,
    )
    save_index(settings.index_dir, data)
    built.commit()  # only now, with the new index in place, may the store drop what the old one used
    report.documents, report.clauses, report.chunks, report.notes = (
        len(documents),
        len(clauses),
        len(chunks),
        len(notes),
    )
    report.targets = len(found.targets)
    report.seconds = time.perf_counter() - started
    return report


def _previous_manifest(index_dir: Path) -> dict:
    """The manifest of the index this build replaces; {} when there is none or it is unreadable."""
    try:
        return read_manifest(index_dir)
    except Exception:
        return {}


def _diff_documents(previous: dict, documents: list[Document], report: BuildReport) -> None:
    before = previous.get("documents", {})
    now = {d.doc_id: d.content_hash for d in documents}
    report.added = sorted(d for d in now if d not in before)
    report.changed = sorted(d for d in now if d in before and before[d].get("content_hash") != now[d])
    report.removed = sorted(d for d in before if d not in now)


CONTEXT_WEIGHT = 0.5  # how much of a chunk's vector is what it says of itself (title, headings) against its text


def spans_of(text: str) -> list[str]:
    """A text cut into its sentences, every character in exactly one (blank ones dropped)."""
    return [text[s:e].strip() for s, e in split_sentences(text) if text[s:e].strip()]


def embedding_units(documents: list[Document], clauses: list[Clause], chunks: list[Chunk]) -> list[str]:
    """What a build embeds, each once: every sentence of every text chunk (so every character of the
    text, once), each clause's heading line, each document's title. A chunk's vector is pooled from
    these (chunk_vectors), and a sentence's vector is its own."""
    units: dict[str, None] = {}
    for chunk in chunks:
        if chunk.kind == "text":
            units.update(dict.fromkeys(spans_of(chunk.text)))
    for clause in clauses:
        units.update(dict.fromkeys(spans_of(clause.text)[:1]))
    units.update(dict.fromkeys(d.meta.title for d in documents if d.meta.title))
    return list(units)


def chunk_vectors(
    chunks: list[Chunk], clauses: list[Clause], documents: list[Document], unit: dict[str, np.ndarray]
) -> np.ndarray:
    """Each chunk's vector, pooled: the mean of its sentences' vectors (an outline's: of its lines),
    with CONTEXT_WEIGHT of the mean of its document's title and its clause's and ancestors' heading
    lines, normalised."""
    by_id = {c.clause_id: c for c in clauses}
    titles = {d.doc_id: d.meta.title for d in documents}
    dim = len(next(iter(unit.values()))) if unit else 0
    out = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        own = [unit[s] for s in spans_of(chunk.text) if s in unit]
        context = [unit[h] for h in _context_lines(chunk, by_id, titles) if h in unit]
        v = np.mean(own, axis=0) if own else np.zeros(dim, dtype=np.float32)
        if context:
            v = v + CONTEXT_WEIGHT * np.mean(context, axis=0)
        out[i] = v / (np.linalg.norm(v) or 1.0)
    return out


def _context_lines(chunk: Chunk, by_id: dict[str, Clause], titles: dict[str, str]) -> list[str]:
    lines = [titles.get(chunk.doc_id, "")]
    clause = by_id.get(chunk.clause_id)
    while clause is not None:
        lines += spans_of(clause.text)[:1]
        clause = by_id.get(clause.parent_id) if clause.parent_id else None
    return [line for line in lines if line]


def sentence_rows(chunks: list[Chunk]) -> list[tuple[int, int, int]]:
    """(chunk row, start, end) of each answerable sentence of the text chunks; notes are not answers."""
    rows = []
    for ci, chunk in enumerate(chunks):
        if chunk.kind != "text":
            continue
        notes = find_notes(chunk.text)
        for s, e in split_sentences(chunk.text):
            while s < e and chunk.text[s].isspace():
                s += 1
            if e - s >= MIN_SENTENCE and not any(ns <= s and e <= ne + 1 for ns, ne in notes):
                rows.append((ci, s, e))
    return rows


def _embed(
    texts: list[str], embedder, settings: Settings, report: BuildReport, progress: bool, queries: bool = False
) -> np.ndarray:
    """Embeds what the previous index does not already hold (by the hash of the text), as passages, or
    as queries (the lexicon, paired with the words of questions). Shortest first: a batch of texts of
    one length pads nothing."""
    known = previous_vectors(settings.index_dir, embedder.id)
    keys = [text_key(("query: " if queries else "") + t) for t in texts]
    todo = sorted((i for i, k in enumerate(keys) if k not in known), key=lambda i: len(texts[i]))
    report.embedded += len(todo)
    report.reused += len(texts) - len(todo)
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in known:
            vectors[i] = known[k]
    if todo:
        bar = _progress_bar(len(todo), "embedding", progress)
        batch = [texts[i] for i in todo]
        if queries:
            fresh = np.vstack(
                [
                    embedder.embed_queries(batch[j : j + settings.embed_batch])
                    for j in range(0, len(batch), settings.embed_batch)
                ]
            )
            bar.update(len(batch))
        else:
            fresh = embedder.embed_passages(batch, batch_size=settings.embed_batch, progress=bar.update)
        bar.close()
        vectors[todo] = fresh
    return vectors


def _progress_bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="passage", disable=not enabled, leave=False)
