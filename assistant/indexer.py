"""files -> parse -> knowledge + chunks -> embed + BM25 -> index/ (and the chunks' search store: FAISS files or Milvus)."""
from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunk import chunk_document
from .chunkstore import build_store
from .ingest import load_corpus
from .knowledge import ALIASES, find_notes, responsibilities
from .parse import parse_document
from .schema import Chunk, Clause, Document, Responsibility, Target
from .targets import deadline_targets, extract_targets
from .settings import Settings
from .store import FORMAT_VERSION, IndexData, library_versions, previous_vectors, read_manifest, save_index, text_key
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

    def add(self, other: "Analysis") -> None:
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
    """The corpus's subject words: those of clause headings and target indicators, and its own terms.
    Embedded once, they are what an English question's words are paired with (crosslingual.py)."""
    words = {w for c in clauses for w in tokenizer.words(c.heading)}
    words |= {w for t in targets for w in tokenizer.words(t.indicator)}
    words |= set(terms)
    return sorted(w for w in words if 2 <= len(w) <= 8 and re.fullmatch(r"[\u4e00-\u9fff]+", w))


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
    texts = [c.context() for c in chunks] + [chunks[ci].text[s:e] for ci, s, e in sentences] + words
    all_vectors = _embed(texts, embedder, settings, report, progress)
    n_sent = len(chunks) + len(sentences)
    vectors, sentence_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks):n_sent]
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
        "documents": {d.doc_id: {"path": d.path, "title": d.meta.title, "content_hash": d.content_hash} for d in documents},
        "store": built.manifest,
    }
    data = IndexData(manifest, documents, clauses, chunks, notes, vectors, built.dense, built.bm25, terms, dict(df),
                     np.array(sentences, dtype=np.int64).reshape(-1, 3), sentence_vectors, found.targets, built.files,
                     words, all_vectors[n_sent:])
    save_index(settings.index_dir, data)
    built.commit()  # only now, with the new index in place, may the store drop what the old one used
    report.documents, report.clauses, report.chunks, report.notes = len(documents), len(clauses), len(chunks), len(notes)
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


def _embed(texts: list[str], embedder, settings: Settings, report: BuildReport, progress: bool) -> np.ndarray:
    """Embeds what the previous index does not already hold (by the hash of the text)."""
    known = previous_vectors(settings.index_dir, embedder.id)
    todo = [i for i, t in enumerate(texts) if text_key(t) not in known]
    report.embedded, report.reused = len(todo), len(texts) - len(todo)
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, t in enumerate(texts):
        if text_key(t) in known:
            vectors[i] = known[text_key(t)]
    if todo:
        bar = _progress_bar(len(todo), "embedding", progress)
        fresh = embedder.embed_passages([texts[i] for i in todo], batch_size=settings.embed_batch, progress=bar.update)
        bar.close()
        vectors[todo] = fresh
    return vectors


def _progress_bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="passage", disable=not enabled, leave=False)
