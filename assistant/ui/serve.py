"""policyqa serve / python app.py: load the index (building it first when there is none) and start
the app. Errors become a message and an exit code here."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ..settings import Settings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EXIT_NO_INDEX = 2


class ServeError(click.ClickException):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code


def host_warning(host: str) -> str | None:
    """What to tell someone who opens the app beyond this machine."""
    if host in LOCAL_HOSTS:
        return None
    return (f"warning: serving on {host}: anyone who can reach this machine can use the app and read the indexed "
            "documents; it has no login. Use the default 127.0.0.1 unless that is what you want.")


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
        click.echo(f"no index at {settings.index_dir}: building one from {corpus} (embedder {settings.embedder}) …", err=True)
    except (IndexLoadError, EmbedderError) as exc:
        raise ServeError(str(exc), EXIT_NO_INDEX) from exc
    try:
        embedder = make_embedder(settings.embedder)
        report = build_index(settings, embedder, progress=True)
        click.echo(f"indexed {report.documents} documents, {report.clauses} clauses in {report.seconds:.1f} s", err=True)
        return Assistant.load(settings.index_dir, settings, embedder)
    except (IngestError, EmbedderError, IndexLoadError) as exc:
        raise ServeError(str(exc), EXIT_NO_INDEX) from exc


@click.command("serve")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="The index to serve. Default: index/ (built first when missing).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; another than 127.0.0.1 opens the app to the network.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
def serve_command(index_dir: Path | None, host: str, port: int) -> None:
    """Start the web app: 问答 (cited answers), 部门职责, 目标指标, 文件."""
    # No usage reports or update checks: the app reaches no host but the one it serves on.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings(index_dir=index_dir) if index_dir is not None else Settings()
    assistant = load_or_build(settings)
    warning = host_warning(host)
    if warning:
        click.echo(warning, err=True)
    from .blocks import build_app, launch

    click.echo(f"policyqa: serving {settings.index_dir} on http://{host}:{port}  (Ctrl+C to stop)", err=True)
    try:
        launch(build_app(assistant), host, port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise ServeError(f"cannot listen on {host}:{port}: {exc}; choose another with --port") from exc
