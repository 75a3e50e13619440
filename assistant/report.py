"""policyqa report: the README's "Quality and speed" section, regenerated from real runs.

It runs `policyqa eval --baseline` over the default question sets and corpus and `policyqa bench`
(or reads a bench report saved with `policyqa bench --save`), and writes both tables, dated and with
the machine they ran on, between the README's two markers. Nothing outside the markers changes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from .evaluate import eval_inputs
from .settings import PROJECT_ROOT, Settings

START = "<!-- quality-and-speed:start (written by `policyqa report`; do not edit by hand) -->"
END = "<!-- quality-and-speed:end -->"


class ReportError(click.ClickException):
    pass


def replace_section(readme: str, body: str) -> str:
    """The README with the text between the markers replaced by body; an error without both markers."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ReportError(f"the README has no section to write: it needs the lines\n{START}\n{END}")
    return readme[: start + len(START)] + "\n" + body.strip("\n") + "\n" + readme[end:]


def render_section(eval_text: str, eval_command: str, bench_text: str, bench_command: str, machine: dict) -> str:
    when = machine.get("date") or dt.datetime.now().astimezone().isoformat(timespec="seconds")
    host = (
        f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('ram_gib', '?')} GiB RAM, "
        f"Python {machine.get('python', '?')}, {machine.get('platform', '')}"
    ).rstrip(", ")
    return "\n".join(
        [
            f"Measured {when[:10]} on {host}.",
            "",
            f"Quality: `{eval_command}`",
            "",
            "```",
            eval_text.rstrip(),
            "```",
            "",
            f"Speed and size: `{bench_command}`",
            "",
            "```",
            bench_text.rstrip(),
            "```",
        ]
    )


@click.command("report")
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=PROJECT_ROOT / "README.md",
    show_default=True,
    help="The README whose section to rewrite.",
)
@click.option(
    "--bench",
    "bench_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this saved `policyqa bench --save FILE` report instead of running the benchmark.",
)
@eval_inputs
@click.option("--quick", is_flag=True, help="A reduced benchmark (policyqa bench --quick), for trying the command.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def report_command(
    readme: Path,
    bench_file: Path | None,
    sets: tuple[Path, ...],
    corpus: tuple[Path, ...],
    index_dir: Path | None,
    quick: bool,
    quiet: bool,
) -> None:
    """Rewrite the README's "Quality and speed" section from `policyqa eval --baseline` and `policyqa bench`."""
    from . import bench, evaluate
    from .embed import EmbedderError
    from .ingest import IngestError

    if not readme.is_file():
        raise ReportError(f"no README at {readme}")
    text = readme.read_text(encoding="utf-8")
    replace_section(text, "")  # fail before an hour of work, not after
    paths = list(sets)
    folders = list(corpus) or Settings().corpus
    settings = Settings(corpus=folders, index_dir=index_dir or Settings().eval_index_dir)
    try:
        questions, reports = evaluate.evaluate_sets(paths, settings, baseline=True, progress=not quiet)
    except (IngestError, EmbedderError, ValueError) as exc:
        raise ReportError(str(exc)) from exc
    eval_text = (
        f"{len(questions)} questions from {', '.join(_rel(p) for p in paths)}; corpus: "
        f"{', '.join(_rel(c) for c in folders)}\n\n" + evaluate.render(reports, show_failures=False)
    )
    eval_cmd = (
        "policyqa eval --baseline "
        + " ".join(f"--set {_rel(p)}" for p in paths)
        + " "
        + " ".join(f"--corpus {_rel(c)}" for c in folders)
    )
    if bench_file is not None:
        measured = json.loads(bench_file.read_text(encoding="utf-8"))
    else:
        config = bench.BenchConfig(
            scales=bench.QUICK_SCALES if quick else bench.DEFAULT_SCALES,
            quick=quick,
            embedder=settings.embedder,
            progress=not quiet,
        )
        try:
            measured = bench.run_bench(config)
        except (bench.BenchError, EmbedderError) as exc:
            raise ReportError(str(exc)) from exc
    bench_cmd = measured.get("command", "policyqa bench")
    section = render_section(eval_text, eval_cmd.strip(), bench.render_table(measured), bench_cmd, measured["machine"])
    readme.write_text(replace_section(text, section), encoding="utf-8")
    click.echo(
        f"wrote the Quality and speed section of {readme} ({len(questions)} questions, bench of "
        f"{measured['machine'].get('date', '?')})"
    )


def _rel(path: Path) -> str:
    path = Path(path).resolve()
    for base, shown in ((PROJECT_ROOT, ""), (PROJECT_ROOT.parent, "../")):
        try:
            return shown + str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)
