"""Where the per-chunk search lives, chosen by `store`: FAISS + BM25 files in the index folder (the
default) or a Milvus collection (assistant/milvus.py). Both sit behind one small protocol, found by a
factory; everything else of an index (documents, clauses, notes, targets, sentences) stays in the folder.

An index records its store in its manifest, so loading follows the manifest, not the setting.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .store import IndexData, IndexWriteError, build_faiss, dense_scores

if TYPE_CHECKING:
    from .schema import Scope
    from .schema import Chunk
    from .settings import Settings

STORES = ("faiss", "milvus")


class StoreError(RuntimeError):
    """The chunk store did not answer a search (a Milvus server down); the message says where it was looked for."""


@dataclass
class Scored:
    """Dense and BM25 scores of some chunk rows. `bounds` (dense lo, hi, BM25 lo, hi over the whole
    index) is set when the rows are only the best candidates, so that fusion normalises them as it
    would the whole index."""

    rows: np.ndarray
    dense: np.ndarray
    sparse: np.ndarray
    bounds: tuple[float, float, float, float] | None = None


class ChunkSearch(Protocol):
    def knows(self, token: str) -> bool:
        """Whether BM25 has seen the token: others are left out of the query."""

    def scores(self, query: np.ndarray, tokens: list[str], scope: Scope | None, k: int) -> Scored:
        """Dense scores for the query vector and BM25 scores for the tokens; a backend that filters in
        the engine returns only chunks in scope."""


class FaissSearch:
    """The files in the index folder: every chunk scored (an HNSW index floors those past its best
    approx_k); the scope is applied by the retriever."""

    def __init__(self, data: IndexData, approx_k: int = 100):
        self.data = data
        self.approx_k = approx_k

    def knows(self, token: str) -> bool:
        return token in self.data.bm25.vocab_dict

    def scores(self, query: np.ndarray, tokens: list[str], scope: Scope | None, k: int) -> Scored:
        n = len(self.data.chunks)
        dense = dense_scores(self.data.dense, query, self.approx_k)
        sparse = np.asarray(self.data.bm25.get_scores(tokens), dtype=np.float64) if tokens else np.zeros(n)
        return Scored(np.arange(n), dense, sparse)


@dataclass
class Built:
    """What a store made of the chunks: the FAISS and BM25 objects, or files for the index folder, the
    manifest's `store` entry, and what to do once the new folder is in place (drop rows no longer live)."""

    manifest: dict
    dense: object = None
    bm25: object = None
    files: dict[str, str] = field(default_factory=dict)
    commit: Callable[[], None] = lambda: None


def build_store(settings: Settings, chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]], embedder_id: str,
                previous: dict, progress: bool = False) -> Built:
    """`previous` is the manifest of the index being replaced ({} when none): Milvus keeps its rows."""
    kind = check_store(settings.store)
    if kind == "milvus":
        from .milvus import build_milvus

        return build_milvus(settings, chunks, vectors, tokens, embedder_id, previous, progress)
    return Built(manifest={"kind": "faiss"}, dense=build_faiss(vectors, settings.approx_over), bm25=bm25_index(tokens))


def check_store(kind: str) -> str:
    if kind not in STORES:
        raise IndexWriteError(f"unknown store {kind!r}: set POLICYQA_STORE to one of {', '.join(STORES)}")
    return kind


def open_search(data: IndexData, index_dir: Path, settings: Settings) -> ChunkSearch:
    """The search of a loaded index, by the store its manifest names."""
    if store_kind(data.manifest) == "milvus":
        from .milvus import MilvusSearch

        return MilvusSearch.open(data, index_dir, settings)
    return FaissSearch(data, settings.approx_k)


def store_kind(manifest: dict) -> str:
    return manifest.get("store", {}).get("kind", "faiss")  # indexes from before the store setting are FAISS


def bm25_index(tokens: list[list[str]]):
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    return bm25
