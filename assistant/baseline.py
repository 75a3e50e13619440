"""The generic set-up a user of a general RAG kit gets by default, for comparison in `policyqa eval`:
LangChain's RecursiveCharacterTextSplitter (750 characters, overlap 150), an even BM25 + e5
ensemble fused by weighted reciprocal rank (LangChain's EnsembleRetriever), and as the reply the
top passage's sentence that shares most words with the question. No clause structure, no notes,
no abstention.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from .schema import Answer, Citation, Document
from .text import Tokenizer, split_sentences

CHUNK, OVERLAP, RRF_C = 750, 150, 60


class BaselineAssistant:
    def __init__(self, documents: list[Document], embedder, cache_dir: Path | None = None, progress: bool = False):
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK, chunk_overlap=OVERLAP)
        self.passages = [(d, t) for d in documents for t in splitter.split_text(d.text)]
        self.embedder = embedder
        self.tokenizer = Tokenizer()
        self.vectors = self._vectors(cache_dir, progress)
        self.bm25 = self._bm25()

    def _vectors(self, cache_dir: Path | None, progress: bool) -> np.ndarray:
        texts = [t for _, t in self.passages]
        key = hashlib.sha1(json.dumps([self.embedder.id, texts], ensure_ascii=False).encode()).hexdigest()[:16]
        cached = Path(cache_dir) / f"baseline-{key}.npy" if cache_dir else None
        if cached is not None and cached.is_file():
            return np.load(cached)
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="baseline embedding", disable=not progress, leave=False)
        vectors = self.embedder.embed_passages(texts, progress=bar.update)
        bar.close()
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, vectors)
        return vectors

    def _bm25(self):
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([self.tokenizer.words(t) or [""] for _, t in self.passages], show_progress=False)
        return bm25

    def search(self, question: str, k: int = 8) -> list[tuple[int, float]]:
        dense = self.vectors @ self.embedder.embed_queries([question])[0]
        sparse = np.asarray(self.bm25.get_scores(self.tokenizer.words(question) or [""]))
        fused = np.zeros(len(self.passages))
        for scores in (dense, sparse):  # weights 0.5 / 0.5
            order = np.argsort(-scores, kind="stable")
            fused[order] += 0.5 / (RRF_C + np.arange(1, len(order) + 1))
        top = np.argsort(-fused, kind="stable")[:k]
        return [(int(i), float(fused[i])) for i in top]

    def ask(self, question: str, qid: str | None = None, k: int = 8) -> Answer:
        started = time.perf_counter()
        hits = self.search(question, k)
        cites = [self._citation(i, s) for i, s in hits]
        doc, text = self.passages[hits[0][0]]
        words = set(self.tokenizer.words(question))
        sentences = [text[s:e].strip() for s, e in split_sentences(text)] or [text]
        best = max(sentences, key=lambda x: sum(w in x for w in words))
        return Answer(
            id=qid,
            question=question,
            found=True,
            answer=f"{best}[1]",
            citations=cites[:1],
            retrieved=cites,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _citation(self, i: int, score: float) -> Citation:
        doc, text = self.passages[i]
        return Citation(
            doc_id=doc.doc_id, doc_title=doc.meta.title, clause="", heading="", text=text, score=round(score, 4)
        )
