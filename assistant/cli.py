"""policyqa index / ask. Errors become a message and an exit code here, and only here.

Exit codes: 0 ok; 1 bad input or usage; 2 no index (run `policyqa index`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from . import evaluate
from .settings import Settings

EXIT_BAD_INPUT = 1
EXIT_NO_INDEX = 2


class Failure(click.ClickException):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click types exit_code a ClassVar, yet reads it per instance


def _settings(corpus: tuple[Path, ...] = (), index_dir: Path | None = None, embedder: str | None = None) -> Settings:
    overrides: dict[str, Any] = {}
    if corpus:
        overrides["corpus"] = list(corpus)
    if index_dir is not None:
        overrides["index_dir"] = index_dir
    if embedder:
        overrides["embedder"] = embedder
    return Settings(**overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Questions over Chinese policy documents, answered with clause citations."""


@main.command()
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Folder or file of documents (repeatable). Default: the bundled corpus/.",
)
@click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Where to write the index. Default: index/."
)
@click.option("--embedder", help="e5 (default, bundled), st:/path/to/local/model, use, keyword.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index(corpus: tuple[Path, ...], index_dir: Path | None, embedder: str | None, quiet: bool) -> None:
    """Build or update the index: only new or changed documents are embedded."""
    from .embed import EmbedderError, make_embedder
    from .indexer import build_index
    from .ingest import IngestError
    from .store import IndexWriteError

    settings = _settings(corpus, index_dir, embedder)
    try:
        report = build_index(settings, make_embedder(settings.embedder), progress=not quiet)
    except (IngestError, EmbedderError, IndexWriteError) as exc:
        raise Failure(str(exc)) from exc
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"indexed {report.documents} documents, {report.clauses} clauses, {report.chunks} chunks, "
        f"{report.notes} responsibility notes, {report.targets} targets into {settings.index_dir} in {report.seconds:.1f} s "
        f"({report.embedded} texts embedded, {report.reused} reused from the previous index)"
    )
    for label, docs in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
        if docs:
            click.echo(f"  {label}: {', '.join(docs)}")


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer contract as JSON.")
@click.option("--batch", type=click.Path(path_type=Path), help="JSONL of {id, question}: one JSON answer per line.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="The index to read. Default: index/.")
@click.option("-k", "k", type=click.IntRange(5, 100), default=None, help="Passages to retrieve (at least 5).")
@click.option(
    "--llm",
    "use_llm",
    is_flag=True,
    default=None,
    help="Have the LLM of POLICYQA_LLM_BASE_URL / POLICYQA_LLM_MODEL write the reply, checked against "
    "the passages it cites (default: POLICYQA_LLM, off).",
)
def ask(
    question: str | None, as_json: bool, batch: Path | None, index_dir: Path | None, k: int | None, use_llm: bool | None
) -> None:
    """Answer a question with citations."""
    if (question is None) == (batch is None):
        raise Failure('give a question, or --batch FILE: policyqa ask "到2030年太阳能发电装机容量目标是多少?"')
    assistant = _load(index_dir)
    if use_llm or (use_llm is None and assistant.settings.llm):
        assistant = _with_llm(assistant)
    if batch is not None:
        from .search import StoreError

        try:
            for qid, q in _read_batch(batch):
                click.echo(_ask_json(assistant, q, qid, k))
        except StoreError as exc:
            raise Failure(str(exc), EXIT_NO_INDEX) from exc
        return
    from .pipeline import QuestionError
    from .search import StoreError

    try:
        answer = assistant.ask(question, k=k)
    except QuestionError as exc:
        raise Failure(str(exc)) from exc
    except StoreError as exc:
        raise Failure(str(exc), EXIT_NO_INDEX) from exc
    if as_json:
        click.echo(answer.model_dump_json())
    else:
        click.echo(render_answer(answer))


@main.command()
@click.argument("name", required=False)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="The index to read. Default: index/.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
def departments(name: str | None, index_dir: Path | None, as_json: bool, as_csv: bool) -> None:
    """Departments named in responsibility notes; with NAME (short or full), that department's tasks."""
    from . import export

    found = _load(index_dir).departments(name)
    if name and not found:
        raise Failure(
            f"no department named {name!r} in the responsibility notes; run `policyqa departments` for the list"
        )
    if as_json:
        click.echo(export.to_json(found))
    elif name:
        rows = export.task_rows(found)
        click.echo(
            export.to_csv(rows, export.TASK_COLUMNS) if as_csv else export.to_table(rows, export.TASK_COLUMNS[:-1])
        )
    else:
        rows = export.department_rows(found)
        click.echo(
            export.to_csv(rows, export.DEPARTMENT_COLUMNS)
            if as_csv
            else export.to_table(rows, export.DEPARTMENT_COLUMNS)
        )


@main.command()
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read these files or folders now (nothing is embedded) instead of the index's documents.",
)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="The index to read. Default: index/.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
def documents(corpus: tuple[Path, ...], index_dir: Path | None, as_json: bool, as_csv: bool) -> None:
    """What was read from each document: title, issuer, 文号, date, level, place, status (inferred, or from
    a <file>.meta.json sidecar), pages, clauses, responsibility notes, targets, and pages it could not read."""
    from . import export

    rows = _read_documents(corpus) if corpus else _indexed_documents(index_dir)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif as_csv:
        click.echo(export.to_csv(rows, [*export.DOCUMENT_COLUMNS, "path"]), nl=False)
    else:
        click.echo(export.to_table(rows, export.DOCUMENT_COLUMNS[:-1], max_width=36))
        for row in rows:
            if row["warnings"]:
                click.echo(f"warning: {row['warnings']}", err=True)


def _read_documents(corpus: tuple[Path, ...]) -> list[dict]:
    from . import export
    from .indexer import analyse
    from .ingest import IngestError, load_corpus

    try:
        docs, warnings = load_corpus(list(corpus))
    except IngestError as exc:
        raise Failure(str(exc)) from exc
    for warning in warnings:
        if not any(warning in d.warnings for d in docs):
            click.echo(f"warning: {warning}", err=True)
    found = [analyse(d, Settings()) for d in docs]
    return export.document_rows(
        docs,
        [c for a in found for c in a.clauses],
        [n for a in found for n in a.notes],
        [t for a in found for t in a.targets],
    )


def _indexed_documents(index_dir: Path | None) -> list[dict]:
    from . import export

    data = _load(index_dir).data
    return export.document_rows(data.documents, data.clauses, data.notes, data.targets)


@main.command()
@click.option("--year", help="Deadline year, e.g. 2025.")
@click.option("--doc", help="Document id or a part of its title.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="The index to read. Default: index/.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
def targets(year: str | None, doc: str | None, index_dir: Path | None, as_json: bool, as_csv: bool) -> None:
    """Quantified targets: deadline, indicator, value, unit, qualifier, baseline, scope."""
    from . import export

    rows = _load(index_dir).targets(year=year, doc=doc)
    if as_json:
        click.echo(export.to_json(rows))
    elif as_csv:
        click.echo(export.to_csv(export.target_rows(rows), export.TARGET_COLUMNS), nl=False)
    else:
        click.echo(export.to_table(export.target_rows(rows), export.TARGET_COLUMNS[1:-1]))
        click.echo(f"{len(rows)} targets", err=True)


@main.command("eval")
@evaluate.eval_inputs
@click.option(
    "--baseline", is_flag=True, help="Also run the generic baseline (750-char recursive chunks, even BM25 + e5)."
)
@click.option("--floor", type=float, help="Exit 1 when accuracy falls below this (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def eval_command(sets, corpus, index_dir, baseline, floor, as_json, quiet) -> None:
    """Run question sets and print accuracy, hit@1/@5, MRR, citation support, abstention,
    department F1 and latency, overall and by type, then the failures with their reasons."""
    from dataclasses import asdict

    from .embed import EmbedderError
    from .ingest import IngestError

    paths = list(sets)
    settings = _settings(tuple(corpus), index_dir or Settings().eval_index_dir)
    try:
        questions, reports = evaluate.evaluate_sets(paths, settings, baseline, progress=not quiet)
    except (IngestError, EmbedderError, ValueError) as exc:
        raise Failure(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1))
    else:
        click.echo(
            f"sets: {', '.join(str(p) for p in paths)} ({len(questions)} questions); corpus: {', '.join(str(c) for c in settings.corpus)}"
        )
        click.echo(evaluate.render(reports))
    if floor is not None and reports[0].accuracy < floor:
        raise Failure(f"accuracy {reports[0].accuracy:.3f} is below the floor {floor}")


def _load(index_dir: Path | None):
    """The Assistant over the index; where there is none yet, it is built from the corpus first (saying so on
    stderr), as the app does. A damaged index or an unusable embedder exits EXIT_NO_INDEX."""
    from .ui.serve import load_or_build

    return load_or_build(_settings(index_dir=index_dir))


def _read_batch(path: Path):
    from .schema import read_questions

    try:
        records = read_questions([path])
    except ValueError as exc:
        raise Failure(str(exc)) from exc
    for record in records:
        yield record.id, record.question


class _Generative:
    """Assistant.ask through the LLM: the checked reply, or the extractive answer with a notice on stderr."""

    def __init__(self, answerer):
        self.answerer = answerer

    def ask(self, question: str, k: int | None = None, qid: str | None = None):
        result = self.answerer.ask(question, k=k, qid=qid)
        if result.notice:
            click.echo(f"{result.notice} ({result.reason})", err=True)
        return result.answer


def _with_llm(assistant) -> _Generative:
    from .llm import LLMAnswerer, LLMUnavailable

    try:
        return _Generative(LLMAnswerer(assistant))
    except LLMUnavailable as exc:
        raise Failure(str(exc)) from exc


def _ask_json(assistant, question: str, qid: str, k: int | None) -> str:
    from .pipeline import QuestionError
    from .schema import Answer

    try:
        return assistant.ask(question, k=k, qid=qid).model_dump_json()
    except QuestionError as exc:  # one bad line does not stop a batch
        return Answer(id=qid, question=question, found=False, answer=str(exc)).model_dump_json()


@main.group()
def calibrate() -> None:
    """Fit the answer decision on labelled questions: collect candidates from an index, then fit."""


@calibrate.command("collect")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), required=True, help="The index the sets ask.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A labelled question set (repeatable).",
)
@click.option("--half", type=click.Choice(["tune", "test"]), help="Of a set with a <name>.split.json, only this half.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Where to write the features (.npz).")
def calibrate_collect(index_dir: Path, sets: tuple[Path, ...], half: str | None, out: Path) -> None:
    """Every candidate sentence of each question, with its features and whether it holds the evidence."""
    from .answer import calibrate as cal

    assistant = _load(index_dir)
    collected = cal.collect(assistant, cal.questions_of(list(sets), half), progress=True)
    cal.save(collected, out)
    click.echo(
        f"{len(collected.ids)} questions, {len(collected.y)} candidates ({int(collected.y.sum())} hold the "
        f"evidence) -> {out}"
    )


@calibrate.command("fit")
@click.argument("collected", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where to write the decision (JSON). Default: the project's own, for the embedder collected with.",
)
def calibrate_fit(collected: tuple[Path, ...], out: Path | None) -> None:
    """Fit the weights and the threshold; print the out-of-fold accuracy."""
    from .answer import calibrate as cal
    from .answer.decision import path_for

    try:
        decision, report = cal.fit(cal.load_collected(list(collected)))
    except ImportError as exc:
        raise Failure("fitting needs scikit-learn: pip install -e '.[test]'") from exc
    out = out or path_for(decision.embedder)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(decision.to_json(fitted_on=[p.name for p in collected], report=report), encoding="utf-8")
    click.echo(json.dumps(report, ensure_ascii=False, indent=1))


def _register() -> None:
    """Commands whose modules are heavy (the app, the benchmark): their imports wait until they run."""
    from .bench import bench_command
    from .report import report_command
    from .ui import serve_command

    main.add_command(serve_command)
    main.add_command(bench_command)
    main.add_command(report_command)


def render_answer(answer) -> str:
    lines = [answer.answer, ""]
    for n, c in enumerate(answer.citations, 1):
        lines.append(f"[{n}] {c.doc_title} {c.clause} {c.heading}".rstrip())
        lines.extend("    " + ln for ln in c.text.strip().split("\n"))
    if not answer.found and answer.retrieved:
        lines.append("相近条款：")
        seen: set[tuple[str, str]] = set()
        nearest = []
        for c in answer.retrieved:
            if (c.doc_id, c.clause) not in seen:
                seen.add((c.doc_id, c.clause))
                nearest.append(c)
        lines.extend(f"  - {c.doc_title} {c.clause} {c.heading}".rstrip() for c in nearest[:3])
    return "\n".join(lines).rstrip()


_register()

if __name__ == "__main__":
    sys.exit(main())
