"""policyqa serve / python app.py: load the index (building it first when there is none) and start
the app. Errors become a message and an exit code here."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..settings import Settings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EXIT_NO_INDEX = 2
# Answers run at most this many at once (chat and API together): enough that a slow question does not
# hold up the rest, few enough that a crowd waits in the queue instead of thrashing a small machine.
CONCURRENCY = 4


class ServeError(click.ClickException):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click types exit_code a ClassVar, yet reads it per instance


def host_warning(host: str, login: bool = False) -> str | None:
    """What to tell someone who opens the app beyond this machine."""
    if host in LOCAL_HOSTS:
        return None
    if login:
        return (
            f"warning: serving on {host}: anyone who can reach this machine sees the login page, and the password "
            "crosses the network unencrypted (plain HTTP); put a TLS proxy in front beyond a trusted network."
        )
    return (
        f"warning: serving on {host}: anyone who can reach this machine can use the app and read the indexed "
        "documents; it has no login (add --auth user:password). Use the default 127.0.0.1 unless that is what you want."
    )


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """--auth / POLICYQA_AUTH as (user, password); the password may hold colons, the user may not."""
    if value is None:
        return None
    user, colon, password = value.partition(":")
    if not colon or not user.strip() or not password:
        raise ServeError("--auth (or POLICYQA_AUTH) must be user:password, both non-empty, e.g. --auth analyst:s3cret")
    return user.strip(), password


def load_or_build(settings: Settings):
    """The Assistant over settings.index_dir; with no index there yet, one is built first."""
    from ..embed import EmbedderError, make_embedder
    from ..indexer import build_index
    from ..ingest import IngestError
    from ..pipeline import Assistant
    from ..store import IndexLoadError, IndexMissing

    try:
        return Assistant.load(settings.index_dir, settings)
    except IndexMissing:
        corpus = ", ".join(str(c) for c in settings.corpus)
        click.echo(
            f"no index at {settings.index_dir}: building one from {corpus} (embedder {settings.embedder}) …", err=True
        )
    except (IndexLoadError, EmbedderError) as exc:
        raise ServeError(str(exc), EXIT_NO_INDEX) from exc
    try:
        embedder = make_embedder(settings.embedder)
        report = build_index(settings, embedder, progress=True)
        click.echo(
            f"indexed {report.documents} documents, {report.clauses} clauses in {report.seconds:.1f} s", err=True
        )
        return Assistant.load(settings.index_dir, settings, embedder)
    except (IngestError, EmbedderError, IndexLoadError) as exc:
        raise ServeError(str(exc), EXIT_NO_INDEX) from exc


def generative(assistant):
    """The LLM answerer when an endpoint is configured (POLICYQA_LLM_BASE_URL and _MODEL), else None:
    the chat's switch for generative answers shows only then."""
    settings = assistant.settings
    if not (settings.llm_base_url and settings.llm_model):
        return None
    from ..llm import LLMAnswerer, LLMUnavailable

    try:
        llm = LLMAnswerer(assistant)
    except LLMUnavailable as exc:
        click.echo(f"warning: generative answers are off: {exc}", err=True)
        return None
    click.echo(
        f"generative answers available from {settings.llm_base_url} ({settings.llm_model}); "
        "every reply is checked against its citations",
        err=True,
    )
    return llm


@click.command("serve")
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    help="The index to serve. Default: index/ (built first when missing).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; another than 127.0.0.1 opens the app to the network.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
@click.option(
    "--auth",
    envvar="POLICYQA_AUTH",
    metavar="USER:PASSWORD",
    help="Require this login for the pages and the API (or set POLICYQA_AUTH); for serving on a network.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    envvar="POLICYQA_CONCURRENCY",
    default=CONCURRENCY,
    show_default=True,
    help="Questions answered at once; more wait in the queue (or set POLICYQA_CONCURRENCY).",
)
def serve_command(index_dir: Path | None, host: str, port: int, auth: str | None, concurrency: int) -> None:
    """Start the web app: 问答 (cited answers), 部门职责, 目标指标, 文件."""
    login = parse_auth(auth)  # a malformed login fails before the index is loaded
    from .. import threads

    late = threads.apply(threads.from_env(threads.SERVER))  # before the model and FAISS load
    if late:
        click.echo(late, err=True)
    # No usage reports or update checks: the app reaches no host but the one it serves on.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings(index_dir=index_dir) if index_dir is not None else Settings()
    assistant = load_or_build(settings)
    warning = host_warning(host, login is not None)
    if warning:
        click.echo(warning, err=True)
    from .blocks import build_app, launch

    llm = generative(assistant)
    guarded = f", login required for user {login[0]}" if login else ""
    click.echo(f"policyqa: serving {settings.index_dir} on http://{host}:{port}{guarded}  (Ctrl+C to stop)", err=True)
    try:
        launch(build_app(assistant, llm), host, port, concurrency, login)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise ServeError(f"cannot listen on {host}:{port}: {exc}; choose another with --port") from exc
