"""Milvus as the chunk store (`store = "milvus"`): the chunk vectors, their BM25 side and the metadata a
search is scoped by (doc_id, level) live in one collection, and scope filters run in the engine. An
empty `milvus_uri` is Milvus Lite, embedded, in a folder beside the index; http://host:19530 is a
Milvus server or cluster, through the same client, with no code change.

The BM25 side is sparse vectors made here from the project's own tokens (jieba words and single
characters over the corpus's dictionary, as the FAISS store's bm25s sees them): a document row holds
each term's saturated frequency, a query its terms' idf, so that their inner product is bm25s's score.
Milvus's own full-text search was tried and not used: Milvus Lite has no "chinese" analyzer (only the
standard and jieba tokenizers) and weighs terms by each segment's statistics, and any server analyzer
would see other terms than the FAISS store's BM25, so the two stores would answer differently.

Rows are keyed by a hash of everything they hold (embedder, chunk, text, tokens, the average length
they were weighted with): a rebuild writes only rows whose key is new and, once the new index folder is
in place, deletes the keys it no longer lists. The folder records the keys, so a reader maps a hit to
its chunk and ignores rows that belong to no index it knows (those a build is still writing). A build
that must rewrite every row (the first, another embedder, the dense index turning HNSW) writes a new
collection, `<milvus_collection>_<time>`, and drops the old one only once the new folder is in place:
as with the folder, a build killed at any point leaves the previous index answering.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..store import IndexData, IndexLoadError, IndexWriteError, live_index_dir, text_key
from .base import Built, Scored, StoreError, empty
from .faiss import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

if TYPE_CHECKING:
    from ..schema import Chunk, Scope
    from ..settings import Settings

log = logging.getLogger(__name__)

K1, B = 1.5, 0.75  # bm25s's defaults: both stores weigh a term alike
# Rows keep the average length they were weighted with (re-weighting would rewrite every row) until the
# corpus's average drifts this far from it; then every row is rewritten.
AVGDL_DRIFT = 0.05
SPARSE_DIMS = 2**32 - 1  # Milvus's sparse indices lie in [0, 2^32 - 1)
KEYS_FILE, BM25_FILE = "milvus_keys.txt", "milvus_bm25.json"
BM25_MODE = (
    "sparse vectors from policyqa's tokens (jieba + CJK characters, corpus dictionary): "
    f"document rows hold saturated term frequencies (k1={K1}, b={B}), queries idf; inner product"
)
DELETE_BATCH = 1000


# --- connecting -------------------------------------------------------------------------------------


def lite_path(index_dir: Path) -> Path:
    """Milvus Lite's folder for an index: beside it, not in it, since the index folder is swapped in by
    renames that an open database cannot follow."""
    index_dir = Path(index_dir)
    return index_dir.with_name(f"{index_dir.name}.milvus.db")


def is_server(uri: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*://", uri) is not None


def public_uri(uri: str) -> str:
    """The URI without credentials (user:password@), for the manifest and messages."""
    return re.sub(r"(//)[^/@]*@", r"\1", uri)


def connect(uri: str, token: str, error: type[Exception]):
    """A MilvusClient for `uri` (a server URL passes through unchanged); `error` is what to raise."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise error(
            "the milvus store needs pymilvus (and milvus-lite for a local file): pip install -e '.[milvus]'"
        ) from exc
    if not is_server(uri):
        if not uri.endswith(".db"):
            raise error(
                f"a Milvus Lite location must end in .db, not {uri!r}: fix POLICYQA_MILVUS_URI, or leave it empty"
            )
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
    except Exception as exc:
        hint = (
            "is the server up, and POLICYQA_MILVUS_URI / POLICYQA_MILVUS_TOKEN right?"
            if is_server(uri)
            else "is milvus-lite installed (pip install -e '.[milvus]'), and no other process using this index?"
        )
        raise error(f"cannot open Milvus at {public_uri(uri)} ({type(exc).__name__}: {exc}): {hint}") from exc


@contextlib.contextmanager
def _answers(uri: str, error: type[Exception], doing: str) -> Iterator[None]:
    """Milvus's own exceptions as ours, with where and what."""
    try:
        yield
    except (IndexWriteError, IndexLoadError, StoreError):
        raise
    except Exception as exc:
        raise error(f"Milvus at {public_uri(uri)} failed while {doing} ({type(exc).__name__}: {exc})") from exc


# --- BM25 as sparse vectors -------------------------------------------------------------------------


def term_id(term: str) -> int:
    """A term's sparse dimension: a hash, so ids need no shared table; two terms of one hash (about
    n^2 / 2^33 pairs for n terms) share a dimension."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little") % SPARSE_DIMS


SPARSEST = 64  # chunks of fewest terms kept with the statistics: the likeliest to share none with a question


@dataclass
class BM25Stats:
    n_docs: int
    avgdl: float  # the average length the stored rows were weighted with
    df: dict[str, int]
    sparsest: list[list[str]]  # the terms of the SPARSEST chunks with fewest distinct terms

    @classmethod
    def of(cls, tokens: list[list[str]]) -> BM25Stats:
        df = Counter(t for doc in tokens for t in set(doc))
        sparsest = sorted((sorted(set(doc)) for doc in tokens), key=len)[:SPARSEST]
        return cls(len(tokens), float(np.mean([len(doc) for doc in tokens])) if tokens else 1.0, dict(df), sparsest)

    def idf(self, term: str) -> float:
        df = self.df[term]
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))  # bm25s's "lucene" idf

    def document(self, tokens: list[str]) -> dict[int, float]:
        norm = K1 * (1 - B + B * len(tokens) / self.avgdl)
        out: dict[int, float] = {}
        for term, tf in Counter(tokens).items():
            out[term_id(term)] = out.get(term_id(term), 0.0) + tf / (tf + norm)
        return out

    def query(self, tokens: list[str]) -> dict[int, float]:
        """A repeated token counts again, as in bm25s."""
        out: dict[int, float] = {}
        for term in tokens:
            if term in self.df:
                out[term_id(term)] = out.get(term_id(term), 0.0) + self.idf(term)
        return out

    def to_json(self) -> str:
        return json.dumps(
            {"n_docs": self.n_docs, "avgdl": self.avgdl, "k1": K1, "b": B, "df": self.df, "sparsest": self.sparsest},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> BM25Stats:
        raw = json.loads(text)
        return cls(
            int(raw["n_docs"]),
            float(raw["avgdl"]),
            {str(t): int(d) for t, d in raw["df"].items()},
            [list(map(str, doc)) for doc in raw["sparsest"]],
        )


def row_key(embedder_id: str, chunk: Chunk, tokens: list[str], avgdl: float) -> str:
    parts = [
        embedder_id,
        chunk.chunk_id,
        chunk.doc_id,
        chunk.level,
        text_key(chunk.context()),
        "\x1f".join(tokens),
        repr(avgdl),
    ]
    return hashlib.sha1("\x1e".join(parts).encode("utf-8")).hexdigest()


# --- writing ----------------------------------------------------------------------------------------


@dataclass
class Live:
    """What the index being replaced holds in this same collection."""

    collection: str
    keys: set[str]
    stats: BM25Stats
    dense_index: str
    dim: int


def build_milvus(
    settings: Settings,
    chunks: list[Chunk],
    vectors: np.ndarray,
    tokens: list[list[str]],
    embedder_id: str,
    previous: dict,
    progress: bool = False,
) -> Built:
    uri, base = settings.milvus_uri or str(lite_path(settings.index_dir)), settings.milvus_collection
    client = connect(uri, settings.milvus_token, IndexWriteError)
    live = _live(previous, settings.index_dir, uri, base)
    stats = BM25Stats.of(tokens)
    if live is not None and abs(stats.avgdl - live.stats.avgdl) <= AVGDL_DRIFT * live.stats.avgdl:
        stats.avgdl = live.stats.avgdl
    keys = [row_key(embedder_id, c, t, stats.avgdl) for c, t in zip(chunks, tokens)]
    if len(set(keys)) != len(keys):
        raise IndexWriteError(
            "two chunks have the same id, so Milvus cannot tell their rows apart: report this as a bug"
        )
    dense_index, dim = "HNSW" if len(chunks) > settings.approx_over else "FLAT", int(vectors.shape[1])
    with _answers(uri, IndexWriteError, f"writing to Milvus collections {base}_*"):
        reuse = (
            live is not None
            and (live.dense_index, live.dim) == (dense_index, dim)
            and client.has_collection(live.collection)
        )
        have: set[str]
        if reuse:
            assert live is not None  # reuse is only true with a live collection
            name, have = live.collection, live.keys
        else:
            name, have = _create(client, base, dim, dense_index), set()
        todo = [i for i, key in enumerate(keys) if key not in have]
        _write_rows(
            client,
            name,
            todo,
            chunks,
            vectors,
            tokens,
            keys,
            stats,
            settings.milvus_batch,
            upsert=reuse,
            progress=progress,
        )
    stale = sorted(have - set(keys))
    manifest = {
        "kind": "milvus",
        "uri": public_uri(uri),
        "lite": not is_server(uri),
        "collection": name,
        "collection_base": base,
        "bm25": BM25_MODE,
        "dense_index": dense_index,
        "dim": dim,
        "rows": len(keys),
        "rows_written": len(todo),
        "rows_deleted": len(stale),
        "files": [KEYS_FILE, BM25_FILE],
    }
    files = {KEYS_FILE: "\n".join(keys), BM25_FILE: stats.to_json()}
    return Built(manifest=manifest, files=files, commit=lambda: _drop_stale(client, uri, base, name, stale, set(keys)))


def _live(previous: dict, index_dir: Path, uri: str, base: str) -> Live | None:
    """The rows of the index being replaced, when it used a collection of this base name on this
    Milvus; None means write all."""
    store = previous.get("store", {})
    if store.get("kind") != "milvus" or store.get("uri") != public_uri(uri) or store.get("collection_base") != base:
        return None
    folder = live_index_dir(index_dir)
    try:
        keys = set((folder / KEYS_FILE).read_text(encoding="utf-8").split("\n"))
        stats = BM25Stats.from_json((folder / BM25_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None
    return Live(str(store.get("collection", "")), keys, stats, store.get("dense_index", ""), int(store.get("dim", 0)))


def _create(client, base: str, dim: int, dense_index: str) -> str:
    """A new collection for every row, `<base>_<time>`; returns its name."""
    from pymilvus import DataType

    name = f"{base}_{time.time_ns() // 1000:x}"
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("level", DataType.VARCHAR, max_length=64)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=4096)  # for people reading the collection
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    if dense_index == "HNSW":  # as the FAISS store past approx_over, with the same parameters
        index.add_index(
            "dense", index_type="HNSW", metric_type="IP", params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
        )
    else:
        index.add_index("dense", index_type="FLAT", metric_type="IP")
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    # Strong: a search right after a build sees every row it wrote
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
    return name


def _write_rows(
    client,
    name: str,
    todo: list[int],
    chunks: list[Chunk],
    vectors: np.ndarray,
    tokens: list[list[str]],
    keys: list[str],
    stats: BM25Stats,
    batch: int,
    upsert: bool,
    progress: bool,
) -> None:
    """In batches, with a progress bar; upsert when the collection is reused, since a killed build may
    have left some of these very rows."""
    from tqdm import tqdm

    write = client.upsert if upsert else client.insert
    with tqdm(total=len(todo), desc="milvus", unit="row", disable=not progress, leave=False) as bar:
        for start in range(0, len(todo), max(1, batch)):
            rows = [
                {
                    "pk": keys[i],
                    "doc_id": chunks[i].doc_id,
                    "level": chunks[i].level,
                    "chunk_id": chunks[i].chunk_id,
                    "dense": np.asarray(vectors[i], dtype=np.float32).tolist(),
                    "sparse": stats.document(tokens[i]),
                }
                for i in todo[start : start + batch]
            ]
            write(name, rows)
            bar.update(len(rows))
    if todo:
        client.flush(name)  # seal what was written: unsealed rows are searched row by row, without the index


def _drop_stale(client, uri: str, base: str, name: str, stale: list[str], keys: set[str]) -> None:
    """After the new index is in place: drop the other collections of this base name (the one a full
    rewrite replaced, those killed builds left), delete the rows only the old index used, and rows no
    index lists. A failure here leaves extra rows, which readers ignore: a warning."""
    try:
        with _answers(uri, IndexWriteError, f"deleting old rows of {name!r}"):
            for other in client.list_collections():
                if other != name and re.fullmatch(rf"{re.escape(base)}_[0-9a-f]+", other):
                    client.drop_collection(other)
            for start in range(0, len(stale), DELETE_BATCH):
                client.delete(name, filter=f"pk in {_strings(stale[start : start + DELETE_BATCH])}")
            if _count(client, name) != len(keys):
                orphans = [pk for pk in _all_keys(client, name) if pk not in keys]
                for start in range(0, len(orphans), DELETE_BATCH):
                    client.delete(name, filter=f"pk in {_strings(orphans[start : start + DELETE_BATCH])}")
            if stale:
                client.flush(name)
    except IndexWriteError as exc:
        log.warning("%s; the next build deletes them", exc)
    finally:
        client.close()


def _count(client, name: str) -> int:
    return int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])


def _all_keys(client, name: str) -> list[str]:
    keys, it = [], client.query_iterator(name, batch_size=10_000, filter="", output_fields=["pk"])
    try:
        while batch := it.next():
            keys += [row["pk"] for row in batch]
    finally:
        it.close()
    return keys


def _strings(values) -> str:
    """A Milvus list literal of strings, quotes and backslashes escaped."""
    return "[" + ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "]"


# --- searching --------------------------------------------------------------------------------------


class MilvusSearch:
    """Dense and BM25 candidates from Milvus, scope filtered in the engine: each side returns its best n,
    and a candidate found by one side gets its exact score from the other, from the vector or sparse row
    returned with it. Fusion then normalises over these candidates, as it does for the FAISS store."""

    def __init__(
        self,
        client,
        uri: str,
        name: str,
        keys: list[str],
        stats: BM25Stats,
        dense_index: str,
        documents: set[str],
        levels: set[str],
    ):
        self.client, self.uri, self.name = client, uri, name
        self.row_of = {key: i for i, key in enumerate(keys)}
        self.stats, self.dense_index = stats, dense_index
        self.documents, self.levels = documents, levels

    @classmethod
    def open(cls, data: IndexData, index_dir: Path, settings: Settings) -> MilvusSearch:
        store = data.manifest.get("store", {})
        uri = settings.milvus_uri or (str(lite_path(index_dir)) if store.get("lite") else store.get("uri", ""))
        name = store.get("collection", "")
        client = connect(uri, settings.milvus_token, IndexLoadError)
        with _answers(uri, IndexLoadError, f"opening collection {name!r}"):
            if not client.has_collection(name):
                raise IndexLoadError(
                    f"the index at {index_dir} searches the Milvus collection {name!r} at {public_uri(uri)}, "
                    "which is not there: run `policyqa index` to rebuild it"
                )
            client.load_collection(name)
        try:
            keys = data.files[KEYS_FILE].split("\n") if data.chunks else []
            stats = BM25Stats.from_json(data.files[BM25_FILE])
        except (KeyError, ValueError) as exc:
            raise IndexLoadError(
                f"the index at {index_dir} is damaged (its Milvus keys or BM25 statistics: {exc}): "
                "run `policyqa index` to rebuild it"
            ) from exc
        if len(keys) != len(data.chunks):
            raise IndexLoadError(
                f"the index at {index_dir} is inconsistent (its chunks and Milvus keys disagree): run `policyqa index`"
            )
        return cls(
            client,
            uri,
            name,
            keys,
            stats,
            store.get("dense_index", "FLAT"),
            {d.doc_id for d in data.documents},
            {c.level for c in data.chunks},
        )

    def knows(self, token: str) -> bool:
        return token in self.stats.df

    def candidates(self, query: np.ndarray, tokens: list[str], scope: Scope | None, n: int) -> Scored:
        where = self.filter(scope)
        if where is None:  # the scope names nothing indexed
            return empty()
        q, sq = np.asarray(query, dtype=np.float32).reshape(-1), self.stats.query(tokens)
        with _answers(self.uri, StoreError, f"searching {self.name!r}"):
            by_dense = self._search([q.tolist()], "dense", n, where, ["sparse"])[0]
            by_sparse = self._search([sq], "sparse", n, where, ["dense"])[0] if sq else []
        found: dict[int, tuple[float, float]] = {}
        for hit in by_dense:
            if (row := self.row_of.get(hit.id)) is not None:
                found[row] = (hit.distance, _dot(sq, hit.entity.get("sparse") or {}))
        for hit in by_sparse:
            if (row := self.row_of.get(hit.id)) is not None and row not in found:
                found[row] = (float(q @ np.asarray(hit.entity.get("dense"), dtype=np.float32)), hit.distance)
        rows = np.array(sorted(found), dtype=np.int64)  # in index order, as the FAISS store breaks ties
        return Scored(
            rows,
            np.array([found[r][0] for r in rows], dtype=np.float64),
            np.array([found[r][1] for r in rows], dtype=np.float64),
        )

    def filter(self, scope: Scope | None) -> str | None:
        """The scope as a Milvus filter ("" for none), over the indexed documents and levels only, so
        that values from clients never reach the engine; None when nothing indexed is in scope."""
        parts = []
        for field, wanted, known in (
            ("doc_id", scope.doc_ids if scope else set(), self.documents),
            ("level", scope.levels if scope else set(), self.levels),
        ):
            if wanted:
                values = sorted(set(wanted) & known)
                if not values:
                    return None
                parts.append(f"{field} in {_strings(values)}")
        return " and ".join(parts)

    def _search(self, data: list, field: str, limit: int, where: str, out: list[str]):
        params: dict = {"metric_type": "IP"}
        if field == "dense" and self.dense_index == "HNSW":
            params["params"] = {"ef": max(HNSW_EF_SEARCH, limit)}
        return self.client.search(
            self.name, data=data, anns_field=field, limit=limit, filter=where, output_fields=out, search_params=params
        )


def _dot(query: dict[int, float], row: dict) -> float:
    return float(sum(w * float(row.get(i, 0.0)) for i, w in query.items()))
