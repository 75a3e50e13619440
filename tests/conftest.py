"""Shared fixtures: the project's own Jiangyin plan, the reference corpus in ../shared when present,
and the app running for real (`python app.py` in a subprocess)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assistant.ingest import read_document
from assistant.parse import parse_document
from assistant.schema import Clause, Document

TESTS = Path(__file__).resolve().parent
PROJECT_CORPUS = TESTS.parent / "corpus"
JIANGYIN = PROJECT_CORPUS / "jiangyin_carbon_peak_plan_draft.txt"
SHARED = Path(__file__).resolve().parents[2] / "shared"
ROOT = TESTS.parent
# gradio_client (the tests' API client) reports each connection to Hugging Face unless both say no
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# A document whose title and text hold markup and template syntax: all of it must show as text.
MARKUP_DOC = """测试通知<img src=x onerror="window.__xss=1;alert(3)">
一、总体要求
本通知用于检验页面转义<img src=x onerror="window.__xss=1;alert(2)">，模板符号${7*7}与{{value}}应原样显示。<script>window.__xss=1;alert(1)</script>
二、工作任务
（一）推进试点。到2025年，试点园区达到5个。（测试局牵头，<b>粗体局</b>等部门按职责分工负责）
"""


# CI sets POLICYQA_STRICT=1: there a skipped test (../shared absent, an optional backend missing)
# is a failure, so every test really runs; a user's lone clone still passes with skips.
STRICT = os.environ.get("POLICYQA_STRICT") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under POLICYQA_STRICT=1, where every test must run: {report.longrepr}"


def parsed(path: Path) -> tuple[Document, list[Clause]]:
    """A corpus file read and parsed the way indexing does it."""
    doc = read_document(path)
    return doc, parse_document(doc)


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is absent: these tests need the shared corpus beside the project")
    return corpus


@pytest.fixture(scope="session")
def shared_parsed(shared_corpus):
    """`shared_parsed(stem)` -> (Document, clauses) of ../shared/corpus/<stem>.txt, parsed once a session."""
    cache: dict[str, tuple[Document, list[Clause]]] = {}

    def get(stem: str) -> tuple[Document, list[Clause]]:
        if stem not in cache:
            cache[stem] = parsed(shared_corpus / f"{stem}.txt")
        return cache[stem]

    return get


@pytest.fixture(scope="session")
def jiangyin() -> tuple[Document, list[Clause]]:
    """The Jiangyin plan from the project corpus: needs nothing outside the project."""
    return parsed(JIANGYIN)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    """Until the app answers at `url` (any HTTP status: a login page is up too)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the app did not answer at {url} within {seconds} s:\n{log.read_text(errors='replace')}")


class App:
    """`python app.py ARGS` on a free port of 127.0.0.1, its console in `log`; stopped by stop()."""

    def __init__(self, work: Path, args: list[str], env: dict[str, str]):
        port = free_port()
        self.url, self.log = f"http://127.0.0.1:{port}/", work / f"console-{port}.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), *args, "--port", str(port)],
                                         cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(self.url, self.proc, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def app_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "NO_PROXY": "127.0.0.1,localhost", **extra}


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """(url, console log, index) of `python app.py` on a free port, over an index it had to build
    with the keyword embedder from the Jiangyin plan and MARKUP_DOC."""
    pytest.importorskip("gradio", reason="gradio is not installed: pip install -e .")
    work = tmp_path_factory.mktemp("app")
    corpus = work / "corpus"
    corpus.mkdir()
    for f in PROJECT_CORPUS.iterdir():
        shutil.copy(f, corpus / f.name)
    (corpus / "markup_notice.txt").write_text(MARKUP_DOC, encoding="utf-8")
    env = app_env(POLICYQA_EMBEDDER="keyword", POLICYQA_CORPUS=json.dumps([str(corpus)]))
    app = App(work, ["--index", str(work / "index")], env)
    try:
        yield app.url, app.log, work / "index"
    finally:
        app.stop()


@pytest.fixture
def start_app(tmp_path):
    """start_app(args, env) -> a running App (see App); every one started is stopped after the test."""
    started: list[App] = []

    def start(args: list[str], env: dict[str, str] | None = None) -> App:
        started.append(App(tmp_path, args, env or app_env()))
        return started[-1]

    yield start
    for app in started:
        app.stop()


@pytest.fixture(scope="session")
def markup_assistant(tmp_path_factory):
    """An Assistant, in this process, over MARKUP_DOC alone (keyword embedder): quick to build, for
    tests of the app's handlers and queue that need no browser."""
    from assistant.embed import make_embedder
    from assistant.indexer import build_index
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("markup")
    (work / "corpus").mkdir()
    (work / "corpus" / "markup_notice.txt").write_text(MARKUP_DOC, encoding="utf-8")
    settings = Settings(corpus=[work / "corpus"], index_dir=work / "index", embedder="keyword")
    embedder = make_embedder("keyword")
    build_index(settings, embedder)
    return Assistant.load(settings.index_dir, settings, embedder)


def cli(*args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """`policyqa ARGS` run in this process through click's CliRunner: the CLI's contract (exit code,
    stdout, stderr) without a cold start of Python, jieba and the model. An exception the CLI let
    escape shows as a traceback on stderr, as it would in a terminal."""
    import traceback

    from click.testing import CliRunner

    from assistant.cli import main

    result = CliRunner().invoke(main, list(args), env={"PYTHONIOENCODING": "utf-8", **(env or {})})
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["policyqa", *args], result.exit_code, result.stdout, stderr)


def cli_process(*args: str | bytes, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m assistant ARGS` in a subprocess, as a user runs it (bytes arguments may hold what is
    not UTF-8): for the few tests of what only a real process shows."""
    run = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, cwd=ROOT, timeout=timeout,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})})
    return subprocess.CompletedProcess(run.args, run.returncode, run.stdout.decode("utf-8", "replace"),
                                       run.stderr.decode("utf-8", "replace"))


def _built_once(tmp_path_factory, name: str, args: list[str]) -> Path:
    """An index built once per test run: under pytest-xdist the workers share it (the first builds it
    under a lock, the others wait and reuse it), alone it lives in this session's temp folder."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # pytest-N/, above popen-gwK/
    index_dir = shared / f"{name}-index"
    with FileLock(str(shared / f"{name}.lock")):
        if not (index_dir / "manifest.json").is_file():
            result = cli_process("index", "--index", str(index_dir), *args, "--quiet")
            assert result.returncode == 0, result.stderr
    return index_dir


@pytest.fixture(scope="session")
def plan_index(tmp_path_factory) -> Path:
    """The bundled corpus indexed once per test run through the CLI, with the default embedder (e5).
    Tests read it; one that changes an index copies it first."""
    index_dir = _built_once(tmp_path_factory, "plan", [])
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["documents"]) == 1
    return index_dir


@pytest.fixture(scope="session")
def corpus_index(shared_corpus, tmp_path_factory) -> Path:
    """The plan and ../shared/corpus indexed once per test run with the default embedder (e5)."""
    return _built_once(tmp_path_factory, "corpus", ["--corpus", str(ROOT / "corpus"), "--corpus", str(shared_corpus)])


@pytest.fixture(scope="session")
def assistant(plan_index):
    from assistant.pipeline import Assistant

    return Assistant.load(plan_index)


def plan_corpus(folder: Path, extra: dict[str, str]) -> Path:
    """A corpus folder holding the Jiangyin plan with its metadata, plus files named in `extra` (name -> text)."""
    folder.mkdir()
    shutil.copy(JIANGYIN, folder / JIANGYIN.name)
    shutil.copy(JIANGYIN.with_suffix(".meta.json"), folder / JIANGYIN.with_suffix(".meta.json").name)
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# --- the app in headless Chromium (tests/test_app.py, tests/test_app_ui.py) ------------------------------

ARTIFACTS = ROOT / "artifacts"  # screenshots for people to look at (not committed)
CHROMIUM = Path(os.environ.get("POLICYQA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def need_chinese_font(why: str) -> None:
    """Skip unless the system has a Chinese font (tests/install-browser installs one)."""
    if shutil.which("fc-list") and not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout.strip():
        pytest.skip(f"no Chinese font installed ({why}): run tests/install-browser")


@pytest.fixture(scope="session")
def chromium():
    """The system's Chromium, driven by playwright, once a session; each module opens its own contexts."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk (or set POLICYQA_CHROMIUM)")
    need_chinese_font("the screenshots would show boxes")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One browser page on the app, recording dialogs and any request for another host (refused)."""

    def __init__(self, context, url: str):
        self.url = url
        self.page = context.new_page()
        self.page.set_default_timeout(20_000)
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._only_local)
        self.page.on("dialog", self._dialog)
        self.page.goto(url)
        self.page.wait_for_selector("#question textarea")
        self.page.wait_for_selector("#conversation .qa-placeholder")

    def _only_local(self, route):
        if route.request.url.startswith((self.url, "data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def turns(self) -> int:
        return self.page.locator("#conversation .qa-turn").count()

    def ask(self, question: str) -> str:
        """Type a question, press 提问, and return the text of its answer card once it is answered."""
        before = self.turns()
        self.page.fill("#question textarea", question)
        self.page.click("#ask")
        return self.answered(before + 1)

    def answered(self, turns: int) -> str:
        """The latest answer card's text, once the conversation holds `turns` turns, all answered."""
        self.page.wait_for_function(
            "n => document.querySelectorAll('#conversation .qa-turn').length === n && "
            "!document.querySelector('#conversation .qa-answer[data-state=pending]')", arg=turns)
        return self.page.locator("#conversation .qa-turn.latest .qa-answer").inner_text()

    def new_chat(self) -> None:
        """Press 新对话 and wait until it has cleared the conversation and the clause view (with
        nothing to clear, nothing would show it done: then it is not pressed)."""
        if self.turns() == 0 and self.page.locator("#clause .clause-view").count() == 0:
            return
        self.page.click("#new-chat")
        self.page.wait_for_function("() => document.querySelector('#conversation .qa-placeholder')"
                                    " && !document.querySelector('#clause .clause-view')")

    def open_scope(self) -> None:
        """Unfold the scope selector (its header says the scope in force)."""
        self.page.locator("#scope").get_by_text("检索范围").first.click()
        self.page.locator("#scope-levels").wait_for()

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def choose(self, elem_id: str, option: str) -> None:
        """Pick an option of a Gradio dropdown by its visible text."""
        self.page.click(f"#{elem_id} input")
        self.page.get_by_role("option").filter(has_text=option).first.click()

    def click_cell(self, elem_id: str, text: str) -> None:
        """Click the table cell showing `text` (Gradio also keeps a hidden copy of the table to measure)."""
        self.page.locator(f"#{elem_id} [role=gridcell]").get_by_text(text, exact=True).first.click()

    def column(self, elem_id: str, col: int) -> list[str]:
        return self.page.locator(f"#{elem_id} [role=gridcell][data-col='{col}']").all_inner_texts()

    def until(self, check, what: str, seconds: float = 15) -> None:
        """Wait for a condition on the page (a table re-renders a moment after its summary)."""
        deadline = time.monotonic() + seconds
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"waited {seconds} s for {what}")
            self.page.wait_for_timeout(100)

    def shot(self, name: str, full: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full)
        return path

    def close(self) -> None:
        self.page.close()
        assert not self.outside, f"the page asked another host for {self.outside}"
        assert not self.dialogs, f"a script ran and opened dialogs {self.dialogs}"
