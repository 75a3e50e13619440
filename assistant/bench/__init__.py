"""policyqa bench: how fast and how big, on this machine, each figure beside a floor measured in the same run.

harness.py  configuration, the machine, fresh child processes (every measured side runs in its own)
floors.py   the bare model at its best settings: query, embedding the corpus text once, memory
figures.py  build, rebuild, ask, start-up, memory, the app under load, reading speed
scale.py    the corpus copied 10x and 100x, each store against exact search
render.py   the report as text
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from ..settings import Settings
from .figures import (
    FIGURES,
    measure_ask,
    measure_build,
    measure_incremental,
    measure_reading,
    measure_serve,
    measure_start,
)
from .harness import (
    DEFAULT_SCALES,
    QUICK_SCALES,
    BenchConfig,
    BenchError,
    bar,
    command_line,
    default_corpus,
    default_questions,
    load_average,
    load_questions,
    machine,
    stage_corpus,
    workdir,
)
from .render import render_table
from .scale import canonical, measure_scale, replica

__all__ = ["FIGURES", "BenchConfig", "BenchError", "bench_command", "canonical", "render_table", "replica", "run_bench"]


def run_bench(config: BenchConfig) -> dict:
    from ..embed import make_embedder
    from .figures import figures
    from .floors import describe

    host = machine()
    embedder_id = make_embedder(config.embedder).id
    questions = load_questions(config.questions, config.max_questions)
    steps = bar(7 + len(config.scales), "bench", config.progress, unit="step")
    with workdir(config.workdir) as work:
        corpus = stage_corpus(config.corpus, work / "corpus", two_smallest=config.quick)
        plan_corpus = corpus[:1] if len(corpus) > 1 else corpus

        def step(name: str) -> None:
            steps.set_postfix_str(name)

        step("build of the plan + its floor")
        plan = measure_build(plan_corpus, work / "index-plan", config, work)
        steps.update()
        step("build of the whole corpus + its floor")
        full = work / "index-full"
        whole = measure_build(corpus, full, config, work) if len(corpus) > 1 else {**plan}
        if len(corpus) == 1:
            shutil.copytree(work / "index-plan", full)
        steps.update()
        step("incremental rebuild")
        incremental = measure_incremental(corpus, full, work, config)
        steps.update()
        step("ask (warm) + the bare query")
        ask = measure_ask(full, questions, config, work)
        steps.update()
        step("first answer")
        start = measure_start(full, config)
        steps.update()
        step("reading")
        reading = measure_reading(config.scale_corpus or config.corpus, config, work)
        steps.update()
        serve = None
        if config.serve:
            step(f"the app, {config.users} users")
            serve = measure_serve(full, questions, config)
        steps.update()
        scale, scale_info = [], {}
        if config.scales:
            originals, scale_corpus = _originals(config, corpus, full, work)
            from ..ingest import iter_corpus_files

            scale_info = {
                "dirs": [str(d) for d in (config.scale_corpus or config.corpus)],
                "documents": len(iter_corpus_files(scale_corpus)),
            }
            for n in config.scales:
                step(f"scale {n}x")
                scale.append(measure_scale(n, scale_corpus, originals, work, questions, config))
                steps.update()
    steps.close()
    return {
        "command": command_line(config),
        "machine": {**host, "load_end": load_average()},
        "embedder": embedder_id,
        "floors": describe(config.embedder),
        "corpus": {
            "dirs": [str(d) for d in config.corpus],
            "quick": config.quick,
            "documents": whole["documents"],
            "chunks": whole["chunks"],
            "chars": whole["chars"],
        },
        "questions": {"files": [str(f) for f in config.questions], "count": len(questions)},
        "figures": figures(plan, whole, incremental, ask, start, serve, config),
        "details": {
            "build_plan": plan,
            "build": whole,
            "incremental": incremental,
            "ask": ask,
            "first_answer": start,
            "serve": serve,
        },
        "reading": reading,
        "scale_corpus": scale_info,
        "scale": scale,
        "settings": {
            "approx_over": config.approx_over,
            "candidates": Settings().candidates,
            "reps": config.reps,
            "store": config.store,
        },
    }


def _originals(config: BenchConfig, corpus: list[Path], full: Path, work: Path) -> tuple[Path, list[Path]]:
    """The real-model index the scale runs replay vectors from, and the folders they copy: the whole
    corpus's index when the scale corpus is the corpus; else one built for it, starting from the whole
    corpus's index so that text already embedded is reused."""
    from .figures import build as build_task
    from .harness import run_child

    if not config.scale_corpus:
        return full, corpus
    scale_corpus = stage_corpus(config.scale_corpus, work / "scale-corpus", two_smallest=config.quick)
    originals = work / "index-scale-originals"
    shutil.copytree(full, originals)
    run_child(
        build_task.__name__,
        {
            "corpus": [str(c) for c in scale_corpus],
            "index_dir": str(originals),
            "embedder": config.embedder,
            "progress": config.progress,
        },
        config.progress,
    )
    return originals, scale_corpus


@click.command("bench")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Corpus folder (repeatable); the first is the plan. Default: the bundled corpus/.",
)
@click.option(
    "--scale-corpus",
    "scale_corpus",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Folders the scale runs copy (repeatable). Default: the corpus.",
)
@click.option(
    "--scale",
    "scales",
    multiple=True,
    type=click.IntRange(1, 1000),
    help="Corpus multiple to measure (repeatable). Default: 1, 10, 100 (--quick: 1, 10).",
)
@click.option(
    "--quick", is_flag=True, help="Reduced run for CI: the 2 smallest documents, N = 1 and 10, one repetition."
)
@click.option(
    "--questions",
    "questions",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Question set JSONL (repeatable). Default: eval/*.jsonl of the project.",
)
@click.option("--embedder", default=None, help="Embedder spec (default: the configured one, e5).")
@click.option(
    "--approx-over",
    type=click.IntRange(0),
    default=Settings().approx_over,
    show_default=True,
    help="Chunks past which the scaled index searches its dense side with HNSW instead of exactly.",
)
@click.option(
    "--store",
    type=click.Choice(["faiss", "milvus"]),
    default="faiss",
    show_default=True,
    help="milvus: the scale runs also build and ask the Milvus store (Lite, embedded) beside FAISS.",
)
@click.option(
    "--users",
    type=click.IntRange(0, 500),
    default=20,
    show_default=True,
    help="Simulated users asking the app through its API (0: do not measure the app).",
)
@click.option(
    "--serve-seconds", type=click.FloatRange(1, 3600), default=30, show_default=True, help="How long the users ask."
)
@click.option(
    "--workdir", type=click.Path(file_okay=False, path_type=Path), help="Build here and keep it (default: a temp dir)."
)
@click.option(
    "--save", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report to this file."
)
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def bench_command(
    as_json: bool,
    corpus: tuple[Path, ...],
    scale_corpus: tuple[Path, ...],
    scales: tuple[int, ...],
    quick: bool,
    questions: tuple[Path, ...],
    embedder: str | None,
    approx_over: int,
    store: str,
    users: int,
    serve_seconds: float,
    workdir: Path | None,
    save: Path | None,
    quiet: bool,
) -> None:
    """Measure build, rebuild, ask latency, start-up, memory, the app under load and scale, each beside its floor."""
    from ..embed import EmbedderError

    config = BenchConfig(
        corpus=list(corpus) or default_corpus(),
        scale_corpus=list(scale_corpus),
        scales=tuple(sorted(set(scales))) or (QUICK_SCALES if quick else DEFAULT_SCALES),
        quick=quick,
        embedder=embedder or Settings().embedder,
        approx_over=approx_over,
        questions=list(questions) or default_questions(),
        workdir=workdir,
        progress=not quiet,
        store=store,
        serve=users > 0,
        users=users,
        serve_seconds=serve_seconds,
    )
    try:
        report = run_bench(config)
    except (BenchError, EmbedderError) as exc:
        raise click.ClickException(str(exc)) from exc
    as_text = json.dumps(report, ensure_ascii=False, indent=2)
    if save is not None:
        save.write_text(as_text + "\n", encoding="utf-8")
    click.echo(as_text if as_json else render_table(report))
