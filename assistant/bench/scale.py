"""Scale: the corpus N times over, figures and place names varied per copy, built into each store and
asked the same questions, against exact search over the same vectors.

Embedding N copies with the real model is out of reach (100x would take hours), so the embedding time
is EXTRAPOLATED from the real model's throughput on a sample of the copies' texts, and the index is
built from replayed vectors: each copy's text gets the real vector of the text it was copied from plus a
little deterministic noise, sized so that copies sit as close to their originals as real embeddings of
copies do. Everything else (reading, parsing, chunking, BM25, the dense index, writing, loading, asking
with the real query model) is measured.

Exact search is the same retriever with the dense side searched exhaustively (a flat index over the
same vectors): agreement is the share of questions whose answer (found, text, citations) is the same,
recall@10 the share of exact search's top ten passages that the store's top ten holds.
"""

from __future__ import annotations

import random
import re
import shutil
import time
from pathlib import Path

import numpy as np

from ..measure import score_percentile
from ..settings import Settings
from .harness import BenchConfig, BenchError, dir_mib, run_child, task

# Place names varied in the copies, each to a name of the same length so offsets and chunks stay put.
CITIES = ("江阴", "无锡", "南京", "苏州", "常州", "南通", "镇江", "徐州", "宿迁", "武汉", "上海", "北京", "天津")
CITY_POOL = (
    "宜兴",
    "常熟",
    "昆山",
    "太仓",
    "溧阳",
    "丹阳",
    "海门",
    "启东",
    "如皋",
    "靖江",
    "泰兴",
    "兴化",
    "高邮",
    "仪征",
    "句容",
    "扬中",
    "东台",
    "邳州",
    "新沂",
    "沭阳",
    "嘉兴",
    "湖州",
    "绍兴",
    "金华",
)
PROVINCES = ("江苏", "湖北", "广东", "浙江")
PROVINCE_POOL = ("安徽", "福建", "湖南", "河南", "山东", "四川", "河北", "山西", "辽宁", "江西", "广西", "云南")
_NAMES = re.compile("|".join(CITIES + PROVINCES))
_ANY_NAME = re.compile("|".join(sorted(set(CITIES + CITY_POOL + PROVINCES + PROVINCE_POOL), key=len, reverse=True)))
_NUMBER = re.compile(r"[0-9]+|[０-９]+")
_COPY_TAG = re.compile(r"（副本\d+）")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_HALFWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
RECALL_K = 10


# --- the copies ------------------------------------------------------------------------------------


def vary_text(text: str, rng: random.Random, names: dict[str, str]) -> str:
    """Figures and place names varied line by line; a line's clause number (1. （2） 专栏3 第五条) is
    kept, and every replacement has the length of what it replaces, so the copy parses and chunks alike."""
    from ..parse import match_marker

    out = []
    for line in text.split("\n"):
        marker = match_marker(line)
        keep = line.find(marker[2]) + len(marker[2]) if marker else 0
        rest = _NUMBER.sub(lambda m: _vary_number(m.group(0), rng), line[keep:])
        out.append(line[:keep] + _NAMES.sub(lambda m: names[m.group(0)], rest))
    return "\n".join(out)


def _vary_number(digits: str, rng: random.Random) -> str:
    full = digits[0] in "０１２３４５６７８９"
    ascii_digits = digits.translate(_FULLWIDTH)
    if len(ascii_digits) == 4 and ascii_digits[:2] in ("19", "20"):  # a year stays a plausible year
        new = str(int(ascii_digits) + rng.choice((-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)))
    else:
        new = "".join(
            rng.choice("123456789" if i == 0 and len(ascii_digits) > 1 else "0123456789")
            for i in range(len(ascii_digits))
        )
    return new.translate(_HALFWIDTH) if full else new


def replica(doc, copy: int):
    """Copy `copy` of a Document: copy 0 is the document itself; others have figures and place names
    varied and a title marked （副本N）, so no two copies are the same text."""
    if copy == 0:
        return doc
    from ..ingest import content_hash

    rng = random.Random(f"policyqa-bench/{doc.doc_id}/{copy}")
    names = {c: rng.choice(CITY_POOL) for c in CITIES} | {p: rng.choice(PROVINCE_POOL) for p in PROVINCES}
    text = vary_text(doc.text, rng, names)
    meta = doc.meta.model_copy(
        update={
            "title": vary_text(doc.meta.title, rng, names) + f"（副本{copy}）",
            "issuer": _NAMES.sub(lambda m: names[m.group(0)], doc.meta.issuer),
            "place": names.get(doc.meta.place, doc.meta.place),
            "source": f"policyqa bench: copy {copy} of {doc.path}",
        }
    )
    return doc.model_copy(
        update={
            "doc_id": f"{doc.doc_id}.x{copy:03d}",
            "text": text,
            "meta": meta,
            "content_hash": content_hash(text),
            "page_starts": [],
            "ocr_pages": [],
        }
    )


def write_replicas(documents: list, n: int, dest: Path) -> int:
    """N copies of each document as .txt with a .meta.json sidecar; returns the documents written."""
    dest.mkdir(parents=True, exist_ok=True)
    hashes: set[str] = set()
    for doc in documents:
        for copy in range(n):
            rep = replica(doc, copy)
            if rep.content_hash in hashes:
                raise BenchError(f"copy {copy} of {doc.doc_id} repeats another copy's text")
            hashes.add(rep.content_hash)
            (dest / f"{rep.doc_id}.txt").write_text(rep.text, encoding="utf-8")
            (dest / f"{rep.doc_id}.meta.json").write_text(rep.meta.model_dump_json(), encoding="utf-8")
    return len(hashes)


def canonical(text: str) -> str:
    """A copy's text and its original's share this form: figures, place names and copy tag blanked."""
    return _ANY_NAME.sub("@", _NUMBER.sub("#", _COPY_TAG.sub("", text)))


class ReplayEmbedder:
    """Vectors without a model, for the scaled corpus: a text of the original corpus gets its real
    vector; a copy's text gets the real vector of the original it was copied from (by canonical form)
    plus Gaussian noise of norm `noise` seeded by the text, renormalised. Counts what it replays."""

    def __init__(self, texts: list[str], vectors: np.ndarray, embedder_id: str, noise: float):
        from ..store import text_key

        self.id, self.dim, self.noise = embedder_id, int(vectors.shape[1]), noise
        self.exact = {text_key(t): i for i, t in enumerate(texts)}
        self.by_form = {canonical(t): i for i, t in enumerate(texts)}
        self.vectors = vectors
        self.counts = {"exact": 0, "copy": 0, "missed": 0}
        self.texts = self.chars = 0
        self.seconds = 0.0

    @classmethod
    def from_index(cls, index_dir: Path, embedder_id: str, noise: float) -> ReplayEmbedder:
        """Every text the index embedded (its units, then its lexicon words) with its vector."""
        from ..store import load_index

        data = load_index(index_dir, embedder_id)
        return cls(data.units + data.lexicon, np.vstack([data.unit_vectors, data.lexicon_vectors]), embedder_id, noise)

    def source_of(self, text: str) -> tuple[int, str]:
        from ..store import text_key

        key = text_key(text)
        if key in self.exact:
            return self.exact[key], "exact"
        if (row := self.by_form.get(canonical(text))) is not None:
            return row, "copy"
        return int(key[:8], 16) % len(self.vectors), "missed"  # not from the corpus: any original, noised

    def embed_passages(self, texts: list[str], batch_size: int = 16, progress=None) -> np.ndarray:
        from ..store import text_key

        started = time.perf_counter()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            row, how = self.source_of(text)
            self.counts[how] += 1
            out[i] = self.vectors[row]
            if how != "exact" and self.noise > 0:
                rng = np.random.default_rng(int(text_key(text)[:16], 16))
                v = out[i] + rng.normal(size=self.dim).astype(np.float32) * (self.noise / np.sqrt(self.dim))
                out[i] = v / np.linalg.norm(v)
        self.texts += len(texts)
        self.chars += sum(map(len, texts))
        if progress is not None:
            progress(len(texts))
        self.seconds += time.perf_counter() - started
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """The build's lexicon words (embedded as queries); the questions themselves use the real model."""
        return self.embed_passages(texts)


# --- the runs, each in its own process ------------------------------------------------------------


def _answers(assistant, questions: list[str]) -> tuple[list, list, list[float]]:
    """Each question's answer (found, text, cited clauses), its top RECALL_K passages, and ms per ask."""
    answers, tops, ms = [], [], []
    for q in questions:
        started = time.perf_counter()
        a = assistant.ask(q)
        ms.append((time.perf_counter() - started) * 1000)
        answers.append([a.found, a.answer, [[c.doc_id, c.clause] for c in a.citations]])
        tops.append([h.chunk.chunk_id for h in assistant.search(q, RECALL_K)])
    return answers, tops, ms


def recall(tops: list[list[str]], exact: list[list[str]]) -> float:
    shares = [len(set(t) & set(e)) / len(e) for t, e in zip(tops, exact) if e]
    return float(np.mean(shares)) if shares else 1.0


@task
def scale_faiss(
    corpus: str,
    index_dir: str,
    originals: str,
    embedder: str,
    approx_over: int,
    noise: float,
    questions: list[str],
    progress: bool,
) -> dict:
    """Build the FAISS store from replayed vectors, ask; then the same with exact dense search."""
    from ..embed import make_embedder
    from ..indexer import build_index
    from ..pipeline import Assistant
    from ..search.faiss import build_faiss

    real = make_embedder(embedder)
    replay = ReplayEmbedder.from_index(Path(originals), real.id, noise)
    settings = Settings(corpus=[Path(corpus)], index_dir=Path(index_dir), approx_over=approx_over)
    started = time.perf_counter()
    report = build_index(settings, replay, progress=progress)
    build_wall = time.perf_counter() - started
    started = time.perf_counter()
    assistant = Assistant.load(Path(index_dir), settings, real)
    load_s = time.perf_counter() - started
    data = assistant.data
    assistant.ask(questions[0])  # warm-up
    answers, tops, ms = _answers(assistant, questions)
    dense_index = type(data.dense).__name__
    data.dense = build_faiss(data.vectors, approximate_over=len(data.vectors))  # exact over the same vectors
    exact, exact_tops, exact_ms = _answers(assistant, questions)
    return {
        "documents": report.documents,
        "clauses": report.clauses,
        "chunks": report.chunks,
        "sentences": int(len(data.sentences)),
        "texts": replay.texts,
        "chars": replay.chars,
        "replayed": replay.counts,
        "build_wall_s": build_wall,
        "replay_s": replay.seconds,
        "build_measured_s": build_wall - replay.seconds,
        "dense_index": dense_index,
        "index_mib": dir_mib(Path(index_dir)),
        "load_s": load_s,
        "ask_p50_ms": score_percentile(ms, 50),
        "ask_p95_ms": score_percentile(ms, 95),
        "exact_p50_ms": score_percentile(exact_ms, 50),
        "exact_p95_ms": score_percentile(exact_ms, 95),
        "agreement": sum(a == b for a, b in zip(answers, exact)) / len(questions),
        "recall": recall(tops, exact_tops),
        "exact_answers": exact,
        "exact_tops": exact_tops,
    }


@task
def scale_milvus(
    corpus: str,
    index_dir: str,
    originals: str,
    embedder: str,
    approx_over: int,
    noise: float,
    questions: list[str],
    exact_answers: list[list],
    exact_tops: list[list[str]],
    progress: bool,
) -> dict:
    """The same corpus, from the same replayed vectors, into the Milvus store (Lite, beside index_dir):
    build, load, ask, against the answers of exact search."""
    from ..embed import make_embedder
    from ..indexer import build_index
    from ..pipeline import Assistant
    from ..search.milvus import lite_path
    from ..store import read_manifest

    real = make_embedder(embedder)
    replay = ReplayEmbedder.from_index(Path(originals), real.id, noise)
    settings = Settings(corpus=[Path(corpus)], index_dir=Path(index_dir), approx_over=approx_over, store="milvus")
    started = time.perf_counter()
    report = build_index(settings, replay, progress=progress)
    build_s = time.perf_counter() - started - replay.seconds
    started = time.perf_counter()
    assistant = Assistant.load(Path(index_dir), settings, real)
    load_s = time.perf_counter() - started
    assistant.ask(questions[0])  # warm-up
    answers, tops, ms = _answers(assistant, questions)
    store = read_manifest(Path(index_dir))["store"]
    return {
        "chunks": report.chunks,
        "build_measured_s": build_s,
        "chunks_per_s": report.chunks / build_s if build_s > 0 else None,
        "dense_index": store["dense_index"],
        "bm25": store["bm25"],
        "uri": "Milvus Lite (embedded)" if store["lite"] else store["uri"],
        "index_mib": dir_mib(Path(index_dir)) + dir_mib(lite_path(Path(index_dir))),
        "load_s": load_s,
        "ask_p50_ms": score_percentile(ms, 50),
        "ask_p95_ms": score_percentile(ms, 95),
        "agreement": sum(a == b for a, b in zip(answers, exact_answers)) / len(questions),
        "recall": recall(tops, exact_tops),
        "questions": len(questions),
    }


@task
def embed_sample(originals: str, corpus: list[str], copy: int, embedder: str, sample_size: int) -> dict:
    """The real model on a spread sample of one copy's texts: its throughput (for the extrapolation) and
    how close real vectors of copied texts sit to their originals (for the noise)."""
    from ..embed import make_embedder
    from ..indexer import Analysis, analyse, embedding_units
    from ..ingest import load_corpus
    from ..store import text_key

    settings = Settings()
    documents, _ = load_corpus([Path(c) for c in corpus])
    copies = [replica(d, copy) for d in documents]
    found = Analysis()
    for d in copies:
        found.add(analyse(d, settings))
    texts = embedding_units(copies, found.clauses, found.chunks)
    step = max(1, len(texts) // sample_size)
    picked = texts[::step][:sample_size]
    model = make_embedder(embedder)
    model.embed_passages(picked[:2])  # the model loaded before timing: this is a throughput
    started = time.perf_counter()
    vectors = model.embed_passages(picked, batch_size=len(picked))
    seconds = time.perf_counter() - started
    replay = ReplayEmbedder.from_index(Path(originals), model.id, 0.0)
    cosines = [
        float(v @ replay.vectors[replay.source_of(t)[0]])
        for t, v in zip(picked, vectors)
        if text_key(t) not in replay.exact and replay.source_of(t)[1] == "copy"
    ]
    cosine = float(np.mean(cosines)) if cosines else 1.0
    noise = float(np.sqrt(max(1.0 / cosine**2 - 1.0, 0.0))) if cosine > 0 else 1.0
    return {
        "copy": copy,
        "texts": len(picked),
        "chars": sum(map(len, picked)),
        "seconds": seconds,
        "chars_per_s": sum(map(len, picked)) / seconds if seconds > 0 else None,
        "copy_cosine": cosine if cosines else None,
        "noise": noise,
    }


def measure_scale(
    n: int, corpus: list[Path], originals: Path, work: Path, questions: list[str], config: BenchConfig
) -> dict:
    """One scale: the copies written, a sample embedded for real, the FAISS run and (with --store
    milvus) the Milvus run, each in its own process."""
    from ..ingest import load_corpus

    documents, _ = load_corpus(corpus)
    root = work / f"scale-{n}"
    files = write_replicas(documents, n, root / "corpus")
    sample, _ = run_child(
        "embed_sample",
        {
            "originals": str(originals),
            "corpus": [str(c) for c in corpus],
            "copy": 1,
            "embedder": config.embedder,
            "sample_size": config.sample_size,
        },
    )
    payload = {
        "corpus": str(root / "corpus"),
        "index_dir": str(root / "index"),
        "originals": str(originals),
        "embedder": config.embedder,
        "approx_over": config.approx_over,
        "noise": sample["noise"],
        "questions": questions,
        "progress": config.progress,
    }
    result, used = run_child("scale_faiss", payload, config.progress)
    exact_answers, exact_tops = result.pop("exact_answers"), result.pop("exact_tops")
    if config.store == "milvus":
        milvus, milvus_used = run_child(
            "scale_milvus",
            {
                **payload,
                "index_dir": str(root / "index-milvus"),
                "exact_answers": exact_answers,
                "exact_tops": exact_tops,
            },
            config.progress,
        )
        result["milvus"] = {**milvus, "peak_rss_mib": milvus_used.peak_mib}
    shutil.rmtree(root)
    embed_s = result["chars"] * sample["seconds"] / max(sample["chars"], 1)
    return {
        "n": n,
        "files": files,
        **result,
        "questions": len(questions),
        "peak_rss_mib": used.peak_mib,
        "embed_sample": sample,
        "embed_extrapolated_s": embed_s,
        "build_total_est_s": result["build_measured_s"] + embed_s,
    }
