"""Where the per-chunk search lives, chosen by `store`: FAISS + BM25 files in the index folder (the
default, search/faiss.py) or a Milvus collection (search/milvus.py). Both sit behind one protocol
(base.ChunkSearch), found by the factory here; everything else of an index (documents, clauses, notes,
targets, sentences) stays in the folder. Fusion (fusion.py) and the document priors (priors.py) are
the same for both.

An index records its store in its manifest, so loading follows the manifest, not the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .base import Built, ChunkSearch, Scored, StoreError

if TYPE_CHECKING:
    from ..schema import Chunk
    from ..settings import Settings
    from ..store import IndexData

STORES = ("faiss", "milvus")

__all__ = [
    "STORES",
    "Built",
    "ChunkSearch",
    "Scored",
    "StoreError",
    "build_store",
    "check_store",
    "open_search",
    "store_kind",
]


def build_store(
    settings: Settings,
    chunks: list[Chunk],
    vectors: np.ndarray,
    tokens: list[list[str]],
    embedder_id: str,
    previous: dict,
    progress: bool = False,
) -> Built:
    """`previous` is the manifest of the index being replaced ({} when none): Milvus keeps its rows."""
    if check_store(settings.store) == "milvus":
        from .milvus import build_milvus

        return build_milvus(settings, chunks, vectors, tokens, embedder_id, previous, progress)
    from .faiss import build

    return build(vectors, tokens, settings.approx_over)


def check_store(kind: str) -> str:
    from ..store import IndexWriteError

    if kind not in STORES:
        raise IndexWriteError(f"unknown store {kind!r}: set POLICYQA_STORE to one of {', '.join(STORES)}")
    return kind


def open_search(data: IndexData, index_dir: Path, settings: Settings) -> ChunkSearch:
    """The search of a loaded index, by the store its manifest names."""
    if store_kind(data.manifest) == "milvus":
        from .milvus import MilvusSearch

        return MilvusSearch.open(data, index_dir, settings)
    from .faiss import FaissSearch

    return FaissSearch(data)


def store_kind(manifest: dict) -> str:
    return manifest.get("store", {}).get("kind", "faiss")  # indexes from before the store setting are FAISS
