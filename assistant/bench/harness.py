"""What every benchmark step stands on: its configuration, the machine it ran on, and child processes.

Every measured side runs in a fresh interpreter of its own (run_child / run_python), one at a time,
so no figure shares a process, a warm cache or a thread policy with its floor, and each peak RSS is
that process's own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import threads
from ..settings import PROJECT_ROOT, Settings

DEFAULT_SCALES = (1, 10, 100)
QUICK_SCALES = (1, 10)
FIRST_QUESTION = "到2030年太阳能发电装机容量目标是多少?"


class BenchError(Exception):
    """A step of the benchmark could not run; the message says which and why."""


def default_corpus() -> list[Path]:
    return [PROJECT_ROOT / "corpus"]


def default_questions() -> list[Path]:
    return sorted((PROJECT_ROOT / "eval").glob("*.jsonl"))


@dataclass
class BenchConfig:
    corpus: list[Path] = field(default_factory=default_corpus)  # the whole corpus; its first folder is the plan
    scale_corpus: list[Path] = field(default_factory=list)  # what the scale runs copy; empty: the corpus
    scales: tuple[int, ...] = DEFAULT_SCALES
    quick: bool = False  # one repetition, at most 12 questions, the corpus's two smallest documents
    embedder: str = "e5"
    approx_over: int = Settings().approx_over
    questions: list[Path] = field(default_factory=default_questions)
    workdir: Path | None = None  # kept when given; else a temporary folder, removed
    progress: bool = False
    store: str = "faiss"  # "milvus": the scale runs also measure the Milvus store beside FAISS
    serve: bool = True  # the app under load (20 users) against in-process asking
    users: int = 20
    serve_seconds: float = 30.0

    @property
    def reps(self) -> int:
        return 1 if self.quick else 3

    @property
    def max_questions(self) -> int | None:
        return 12 if self.quick else None

    @property
    def sample_size(self) -> int:
        return 24 if self.quick else 96


def command_line(config: BenchConfig) -> str:
    """The `policyqa bench` command that runs this configuration, paths relative to the project."""

    def rel(path: Path) -> str:
        path = Path(path).resolve()
        for base, shown in ((PROJECT_ROOT, ""), (PROJECT_ROOT.parent, "../")):
            if path.is_relative_to(base):
                return shown + str(path.relative_to(base))
        return str(path)

    parts = ["policyqa bench"]
    parts += [f"--corpus {rel(c)}" for c in config.corpus if config.corpus != default_corpus()]
    parts += [f"--scale-corpus {rel(c)}" for c in config.scale_corpus]
    parts += [f"--questions {rel(q)}" for q in config.questions if config.questions != default_questions()]
    if config.quick:
        parts.append("--quick")
    if config.store != "faiss":
        parts.append(f"--store {config.store}")
    if config.scales != (QUICK_SCALES if config.quick else DEFAULT_SCALES):
        parts += [f"--scale {n}" for n in config.scales]
    if not config.serve:
        parts.append("--users 0")
    elif config.users != 20:
        parts.append(f"--users {config.users}")
    return " ".join(parts)


def load_questions(files: list[Path], limit: int | None = None) -> list[str]:
    from ..schema import read_questions

    try:
        questions = [q.question for q in read_questions(files)]
    except ValueError as exc:
        raise BenchError(str(exc)) from exc
    questions = questions or [FIRST_QUESTION]  # no question set given: one question still measures
    return questions[:limit] if limit else questions


@contextlib.contextmanager
def workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        Path(given).mkdir(parents=True, exist_ok=True)
        yield Path(given)
        return
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-") as tmp:
        yield Path(tmp)


def bar(total: int, desc: str, enabled: bool, unit: str = "it"):
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
    with contextlib.suppress(OSError, ValueError, StopIteration):
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        ram = int(mem.split()[1]) / 2**20
    cores = threads.cores()
    return {
        "cpu": cpu,
        "cores": cores,
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_start": load_average(),
    }


def load_average() -> float | None:
    """1-minute load average: other work on the machine slows every figure, so the report shows it."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def dir_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20


def stage_corpus(dirs: list[Path], dest: Path, two_smallest: bool = False) -> list[Path]:
    """Copy the corpus (files and their .meta.json) to dest/0, dest/1, … so a rebuild can change it."""
    from ..ingest import iter_corpus_files
    from ..ingest.meta import sidecar_of

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
            sidecar = sidecar_of(path)
            if sidecar is not None:
                shutil.copy2(sidecar, folder / sidecar.name)
        out.append(folder)
    return out


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


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment for a bench child, less what would change what it measures: thread settings are
    the child's own to choose (a floor runs with the library's defaults, policyqa with its mode's policy)."""
    env = threads.without_policy(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return {**env, **(extra or {})}


def run_python(
    code: str, args: list[str] | tuple[str, ...] = (), show_stderr: bool = False, env: dict[str, str] | None = None
) -> Measured:
    """`python -c code args…` to its end: wall seconds, its own peak RSS, its stdout."""
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-run-") as tmp:
        hwm = Path(tmp) / "hwm"
        out, err = (Path(tmp) / "out").open("w+b"), (Path(tmp) / "err").open("w+b")
        with out, err:
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", _HWM_PRELUDE + code, *args],
                stdout=out,
                stderr=None if show_stderr else err,
                cwd=PROJECT_ROOT,
                env=child_env({**(env or {}), "POLICYQA_BENCH_HWM": str(hwm)}),
            )
            seconds = time.perf_counter() - started
            out.seek(0), err.seek(0)
            stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            raise BenchError(
                f"`python -c {code.splitlines()[-1][:60]}… {' '.join(args)[:80]}` exited with "
                f"{proc.returncode}: {stderr.strip()[-2000:]}"
            )
        peak_kib = float(hwm.read_text()) if hwm.is_file() else 0.0
    return Measured(seconds, peak_kib / 1024, stdout)


def run_module_code(module: str) -> str:
    """Code that runs `module` as `python -m module` does, with the arguments after -c."""
    return f"import runpy, sys; sys.argv[0] = {module!r}; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"


TASKS: dict[str, Callable[..., dict]] = {}


def task(fn: Callable[..., dict]) -> Callable[..., dict]:
    """Register a function that run_child can run in a fresh interpreter by its name."""
    TASKS[fn.__name__] = fn
    return fn


def run_child(name: str, payload: dict, show_stderr: bool = False) -> tuple[dict, Measured]:
    """The task `name` in a fresh interpreter; its result comes back through a JSON file. A task in
    another module of this package is found by importing that module first."""
    module = TASKS[name].__module__
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-child-") as tmp:
        args, result = Path(tmp) / "payload.json", Path(tmp) / "result.json"
        args.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        code = f"import {module}; from assistant.bench.harness import child_main; child_main()"
        measured = run_python(code, [name, str(args), str(result)], show_stderr)
        return json.loads(result.read_text(encoding="utf-8")), measured


def child_main() -> None:
    name, payload, result = sys.argv[1:4]
    out = TASKS[name](**json.loads(Path(payload).read_text(encoding="utf-8")))
    Path(result).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
