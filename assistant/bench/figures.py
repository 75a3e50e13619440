"""The figures at 1x, each beside its floor (floors.py), every side in its own fresh process:

  build_plan_s / build_s   index build of the plan / the whole corpus | the bare model embedding its text once
  incremental_s            rebuild after one document changed          | the full build
  ask_p50_ms / ask_p95_ms  warm Assistant.ask, one at a time           | the bare query call on the same questions
                           (each side run `reps` times in turn, the median taken)
  first_answer_s           `python -m assistant ask` from process start | bare model start-up and one query
  build_rss_mib            peak RSS of the build process               | the bare-embedding process
  ask_rss_mib              peak RSS of the ask process                 | the bare-query process
  served_per_s             answers/s through the app's API, N users    | answers/s asking in process, one at a time

and, not ratios, how fast documents are read: PDF pages per second (text layer, reflowed) and OCR pages
per second (scanned pages), beside the bare embedding of the same pages' text.
"""

from __future__ import annotations

import shutil
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from ..measure import score_percentile
from ..settings import Settings
from . import floors
from .harness import FIRST_QUESTION, BenchConfig, BenchError, dir_mib, run_child, run_module_code, run_python, task

APPENDED_SENTENCE = "本方案由市发展改革委负责解释，自印发之日起施行。"
FIGURES = (
    "build_plan_s",
    "build_s",
    "incremental_s",
    "ask_p50_ms",
    "ask_p95_ms",
    "first_answer_s",
    "build_rss_mib",
    "ask_rss_mib",
    "served_per_s",
)


def figure(label: str, value: float, unit: str, floor_label: str, floor: float) -> dict:
    return {
        "label": label,
        "value": value,
        "unit": unit,
        "floor_label": floor_label,
        "floor": floor,
        "ratio": value / floor if floor > 0 else None,
    }


# --- child tasks ------------------------------------------------------------------------------------


@task
def build(corpus: list[str], index_dir: str, embedder: str, progress: bool) -> dict:
    """A build as `policyqa index` runs it: the one-ask thread policy (the library defaults)."""
    from ..embed import make_embedder
    from ..indexer import build_index

    settings = Settings(corpus=[Path(c) for c in corpus], index_dir=Path(index_dir))
    return asdict(build_index(settings, make_embedder(embedder), progress=progress))


@task
def corpus_texts(corpus: list[str]) -> dict:
    """The documents' text as read (what a build embeds, before it is cut), and their PDF pages."""
    from ..ingest import load_corpus

    documents, _ = load_corpus([Path(c) for c in corpus])
    return {"texts": [d.text for d in documents], "documents": len(documents)}


@task
def ask(index_dir: str, embedder: str, questions: list[str], progress: bool) -> dict:
    """Warm Assistant.ask on each question, one at a time, as the CLI, a batch or the API asks."""
    from tqdm import tqdm

    from ..embed import make_embedder
    from ..pipeline import Assistant

    assistant = Assistant.load(Path(index_dir), Settings(), make_embedder(embedder))
    assistant.ask(questions[0])  # warm-up: model loaded, caches filled
    ms = []
    started = time.perf_counter()
    for q in tqdm(questions, desc="ask", disable=not progress, leave=False):
        t = time.perf_counter()
        assistant.ask(q)
        ms.append((time.perf_counter() - t) * 1000)
    return {"ms": ms, "per_s": len(questions) / (time.perf_counter() - started)}


@task
def read_pages(files: list[str], ocr_pages: int) -> dict:
    """PDF reading as a build reads: every page's text layer, reflowed (scanned pages by OCR); then
    OCR of up to `ocr_pages` text pages rendered as images (the path a scanned page takes), when the
    OCR extra is installed."""
    import pypdfium2

    from ..ingest import ocr, read_document

    pages, texts = 0, []
    started = time.perf_counter()
    for f in files:
        doc = read_document(Path(f))
        pages += max(1, len(doc.page_starts))
        texts.append(doc.text)
    out: dict = {
        "files": len(files),
        "pages": pages,
        "read_s": time.perf_counter() - started,
        "texts": texts,
        "ocr": None,
    }
    if not ocr_pages or not ocr.available():
        out["ocr_missing"] = bool(ocr_pages)
        return out
    pdf = pypdfium2.PdfDocument(files[0])
    ocr.ocr_page_lines(pdf[0], 1)  # the models loaded, as a build loads them once
    lines = []
    started = time.perf_counter()
    for number in range(1, min(ocr_pages, len(pdf)) + 1):
        lines += ocr.ocr_page_lines(pdf[number - 1], number)
    seconds = time.perf_counter() - started
    out["ocr"] = {"pages": min(ocr_pages, len(pdf)), "seconds": seconds, "texts": ["".join(ln.text for ln in lines)]}
    return out


# --- the figures ------------------------------------------------------------------------------------


def measure_build(corpus: list[Path], index_dir: Path, config: BenchConfig, work: Path) -> dict:
    payload = {"corpus": [str(c) for c in corpus], "embedder": config.embedder, "progress": config.progress}
    report, used = run_child("build", {**payload, "index_dir": str(index_dir)}, config.progress)
    texts, _ = run_child("corpus_texts", {"corpus": payload["corpus"]})
    bare, bare_used = floors.passages_floor(texts["texts"], config.embedder, work)
    return {
        "seconds": report["seconds"],
        "process_s": used.seconds,
        "rss_mib": used.peak_mib,
        "embedded": report["embedded"],
        "documents": report["documents"],
        "clauses": report["clauses"],
        "chunks": report["chunks"],
        "bare_seconds": bare["seconds"],
        "bare_passages": bare["passages"],
        "chars": bare["chars"],
        "bare_rss_mib": bare_used.peak_mib,
        "index_mib": dir_mib(index_dir),
    }


def measure_incremental(corpus: list[Path], full_index: Path, work: Path, config: BenchConfig) -> dict:
    """Copy corpus and index, append a sentence to the first document, rebuild into the same index."""
    from ..ingest import iter_corpus_files

    corpus_copy = [work / "corpus-changed" / c.name for c in corpus]
    for src, dst in zip(corpus, corpus_copy):
        shutil.copytree(src, dst)
    index_dir = work / "index-changed"
    shutil.copytree(full_index, index_dir)
    changed = next((p for p in iter_corpus_files(corpus_copy) if p.suffix in (".txt", ".md")), None)
    if changed is None:
        raise BenchError("the incremental rebuild changes a text file, and the corpus has none")
    with changed.open("a", encoding="utf-8") as f:
        f.write("\n" + APPENDED_SENTENCE + "\n")
    payload = {
        "corpus": [str(c) for c in corpus_copy],
        "index_dir": str(index_dir),
        "embedder": config.embedder,
        "progress": config.progress,
    }
    report, _ = run_child("build", payload, config.progress)
    shutil.rmtree(work / "corpus-changed")
    shutil.rmtree(index_dir)
    return {
        "seconds": report["seconds"],
        "embedded": report["embedded"],
        "reused": report["reused"],
        "document": changed.name,
        "changed": report["changed"],
    }


def measure_ask(index_dir: Path, questions: list[str], config: BenchConfig, work: Path) -> dict:
    """policyqa's warm ask in one fresh process, then the bare query in another, on the same questions;
    `config.reps` such pairs in turn, each side's times the median over its runs (a shared machine's
    noise moves one run of either side by a third) and its peak memory the largest of its runs."""
    runs = []
    for _ in range(config.reps):
        asked, used = run_child(
            "ask",
            {
                "index_dir": str(index_dir),
                "embedder": config.embedder,
                "questions": questions,
                "progress": config.progress,
            },
            config.progress,
        )
        bare, bare_used = floors.query_floor(questions, config.embedder, work)
        runs.append(
            {
                "p50_ms": score_percentile(asked["ms"], 50),
                "p95_ms": score_percentile(asked["ms"], 95),
                "per_s": asked["per_s"],
                "rss_mib": used.peak_mib,
                "bare_p50_ms": score_percentile(bare, 50),
                "bare_p95_ms": score_percentile(bare, 95),
                "bare_rss_mib": bare_used.peak_mib,
            }
        )
    figures = {k: (max if k.endswith("rss_mib") else statistics.median)(r[k] for r in runs) for k in runs[0]}
    return {"questions": len(questions), **figures, "runs": runs}


def measure_start(index_dir: Path, config: BenchConfig) -> dict:
    """A fresh `python -m assistant ask` to its answer, beside the bare model's own start-up and query."""
    args = ["ask", "--index", str(index_dir), FIRST_QUESTION]
    env = {"POLICYQA_EMBEDDER": config.embedder}
    asks = [run_python(run_module_code("assistant"), args, env=env) for _ in range(config.reps)]
    bare = [floors.first_answer_floor(FIRST_QUESTION, config.embedder) for _ in range(config.reps)]
    return {
        "reps": config.reps,
        "question": FIRST_QUESTION,
        "answer": asks[0].stdout.strip().split("\n")[0],
        "ask_s": score_percentile([m.seconds for m in asks], 50),
        "ask_rss_mib": max(m.peak_mib for m in asks),
        "floor_s": score_percentile([m.seconds for m in bare], 50),
        "floor_rss_mib": max(m.peak_mib for m in bare),
    }


def measure_reading(corpus: list[Path], config: BenchConfig, work: Path) -> dict | None:
    """PDF pages and OCR pages per second, beside the bare embedding of the same text; None without PDFs."""
    from ..ingest import iter_corpus_files

    pdfs = [str(p) for p in iter_corpus_files(corpus) if p.suffix.lower() == ".pdf"]
    if not pdfs:
        return None
    read, _ = run_child("read_pages", {"files": pdfs, "ocr_pages": 2 if config.quick else 5})
    bare, _ = floors.passages_floor(read.pop("texts"), config.embedder, work)
    out = {
        **read,
        "embed_s": bare["seconds"],
        "pages_per_s": read["pages"] / read["read_s"] if read["read_s"] else None,
        "embed_pages_per_s": read["pages"] / bare["seconds"] if bare["seconds"] else None,
    }
    ocr = read.get("ocr")
    if ocr:
        ocr_bare, _ = floors.passages_floor(ocr.pop("texts"), config.embedder, work)
        ocr["pages_per_s"] = ocr["pages"] / ocr["seconds"] if ocr["seconds"] else None
        ocr["embed_pages_per_s"] = ocr["pages"] / ocr_bare["seconds"] if ocr_bare["seconds"] else None
    return out


def figures(
    plan: dict, whole: dict, incremental: dict, ask: dict, start: dict, serve: dict | None, config: BenchConfig
) -> dict:
    how = floors.describe(config.embedder)
    q, runs = ask["questions"], len(ask.get("runs", [])) or 1
    out = {
        "build_plan_s": figure(
            f"index build of the plan ({plan['documents']} document, {plan['chars']:,} chars)",
            plan["seconds"],
            "s",
            how["passages"],
            plan["bare_seconds"],
        ),
        "build_s": figure(
            f"index build of the whole corpus ({whole['documents']} documents, {whole['chars']:,} chars)",
            whole["seconds"],
            "s",
            how["passages"],
            whole["bare_seconds"],
        ),
        "incremental_s": figure(
            f"rebuild, 1 document changed ({incremental['embedded']} texts embedded)",
            incremental["seconds"],
            "s",
            "the full build from nothing",
            whole["seconds"],
        ),
        "ask_p50_ms": figure(
            f"warm ask p50 ({q} questions, own process, median of {runs})",
            ask["p50_ms"],
            "ms",
            how["query"],
            ask["bare_p50_ms"],
        ),
        "ask_p95_ms": figure(
            f"warm ask p95 ({q} questions, own process, median of {runs})",
            ask["p95_ms"],
            "ms",
            how["query"],
            ask["bare_p95_ms"],
        ),
        "first_answer_s": figure(
            f"process start to first answer (median of {start['reps']})",
            start["ask_s"],
            "s",
            how["first_answer"],
            start["floor_s"],
        ),
        "build_rss_mib": figure(
            "peak RSS, build of the whole corpus",
            whole["rss_mib"],
            "MiB",
            "the bare-embedding process",
            whole["bare_rss_mib"],
        ),
        "ask_rss_mib": figure(
            "peak RSS, ask process", ask["rss_mib"], "MiB", "the bare-query process", ask["bare_rss_mib"]
        ),
    }
    if serve is not None:
        out["served_per_s"] = figure(
            f"answers/s through the app's API, {serve['users']} users",
            serve["per_s"],
            "/s",
            "answers/s in process, one at a time",
            ask["per_s"],
        )
    return out


def measure_serve(index_dir: Path, questions: list[str], config: BenchConfig) -> dict:
    """The app (`python app.py`, its own process and thread policy) asked by `config.users` simulated
    users through its API for `config.serve_seconds`; the load generator runs here, on the same cores."""
    from ..load import AppError, login_env, running_app
    from ..load import run as load_run
    from .harness import child_env

    try:  # the users it simulates give no login, so the app has none, whatever POLICYQA_AUTH says here
        with running_app(index_dir, login_env(child_env({"POLICYQA_EMBEDDER": config.embedder}), None)) as url:
            load_run(url, questions[:5], 1, 3.0)  # warm-up: model loaded, caches filled
            result = load_run(url, questions, config.users, config.serve_seconds)
    except AppError as exc:
        raise BenchError(str(exc)) from exc
    if result["errors"]:
        raise BenchError(f"{result['errors']} requests to the app failed: {result['first_errors']}")
    return {
        "users": config.users,
        "seconds": result["seconds"],
        "requests": result["requests"],
        "per_s": result["throughput_per_s"],
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
    }
