"""What every chunk store gives the retriever: candidates with exact scores from both sides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from ..schema import Scope


class StoreError(RuntimeError):
    """The chunk store did not answer a search (a Milvus server down); the message says where it was looked for."""


@dataclass
class Scored:
    """Candidate chunk rows (index order) with their exact dense and BM25 scores: the union of each
    side's best, each rescored exactly by the other side, so no score is a stand-in."""

    rows: np.ndarray
    dense: np.ndarray
    sparse: np.ndarray


def empty() -> Scored:
    return Scored(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


class ChunkSearch(Protocol):
    def knows(self, token: str) -> bool:
        """Whether BM25 has seen the token: others are left out of the query."""

    def candidates(self, query: np.ndarray, tokens: list[str], scope: Scope | None, n: int) -> Scored:
        """The union of the n best chunks by dense similarity and the n best by BM25 (within the scope,
        where the store filters in its engine), each with both its scores computed exactly."""


@dataclass
class Built:
    """What a store made of the chunks: the FAISS and BM25 objects, or files for the index folder, the
    manifest's `store` entry, and what to do once the new folder is in place (drop rows no longer live)."""

    manifest: dict
    dense: object = None
    bm25: object = None
    files: dict[str, str] = field(default_factory=dict)
    commit: Callable[[], None] = lambda: None
