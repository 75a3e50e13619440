"""Nothing exposed: the login (--auth / POLICYQA_AUTH) guards pages and API; ids from clients are
only ever names of indexed documents, so no id or URL reads a file outside what the app shows."""
from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, app_env

from assistant.schema import Answer, Citation
from assistant.ui import chat
from assistant.ui.conversation import Conversation
from assistant.ui.serve import host_warning, parse_auth
from assistant.ui.viewer import row_of

SOLAR = "到2030年太阳能发电装机容量目标是多少?"
PLAN = "jiangyin_carbon_peak_plan_draft"
PATH_LIKE = ["../../etc/passwd", "/etc/passwd", "..", "markup_notice/../../../etc/passwd", "C:\\Windows\\win.ini"]


def status(url: str, data: bytes | None = None) -> int:
    """The HTTP status of a GET (or, with data, a JSON POST), without following anything."""
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def client(url: str, auth: tuple[str, str] | None = None):
    from gradio_client import Client

    return Client(url, verbose=False, auth=auth, analytics_enabled=False, download_files=False)


# --- the login -----------------------------------------------------------------------------------

def test_a_login_is_user_colon_password():
    assert parse_auth(None) is None
    assert parse_auth("analyst:s3cret:with:colons") == ("analyst", "s3cret:with:colons")
    for bad in ("analyst", "analyst:", ":s3cret", " :s3cret", ""):
        with pytest.raises(Exception, match="user:password"):
            parse_auth(bad)
    assert "no login" in host_warning("0.0.0.0") and "--auth" in host_warning("0.0.0.0")
    assert "unencrypted" in host_warning("0.0.0.0", login=True) and host_warning("127.0.0.1", login=True) is None


@pytest.mark.parametrize("args, env", [(["--auth", "analyst"], {}), ([], {"POLICYQA_AUTH": ":s3cret"})])
def test_a_malformed_login_stops_the_app_with_a_message(args, env, tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "app.py"), "--index", str(tmp_path / "none"), *args],
                         cwd=tmp_path, env=app_env(**env), capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "must be user:password" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "none").exists()  # refused before any index was built


@pytest.mark.slow  # the app in its own process
def test_with_a_login_pages_and_api_need_it(served, start_app):
    login = ("analyst", "s3cret:x")
    app = start_app(["--index", str(served[2])], app_env(POLICYQA_AUTH=":".join(login)))
    assert "login required for user analyst" in app.log.read_text() and "s3cret" not in app.log.read_text()
    # without the login: the app's config, the API's description and a call are refused
    assert status(f"{app.url}config") == 401
    assert status(f"{app.url}gradio_api/info") == 401
    assert status(f"{app.url}gradio_api/call/ask", data=b'{"data": ["\\u6563\\u7164"]}') == 401
    for wrong in (None, ("analyst", "guess")):
        with pytest.raises(Exception):
            client(app.url, wrong).predict(question=SOLAR, api_name="/ask")
    # with it, the API answers
    answer = Answer.model_validate(client(app.url, login).predict(question=SOLAR, api_name="/ask"))
    assert answer.found and "1400兆瓦" in answer.answer


def test_the_app_listens_on_loopback_only(served):
    """By default the app is bound to 127.0.0.1 alone, not to every address (0.0.0.0 or ::)."""
    port = int(served[0].rstrip("/").rsplit(":", 1)[1])
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        pytest.skip("reads Linux's /proc/net/tcp to see which address the app listens on")
    listening = {fields[1] for table in tables if table.exists() for fields in
                 (line.split() for line in table.read_text().splitlines()[1:]) if fields[3] == "0A"}  # 0A: LISTEN
    assert {a for a in listening if int(a.rsplit(":", 1)[1], 16) == port} == {f"0100007F:{port:04X}"}


# --- ids and files -------------------------------------------------------------------------------

def test_api_documents_that_are_no_indexed_document_find_nothing(served):
    api = client(served[0])
    assert Answer.model_validate(api.predict(question=SOLAR, documents=[PLAN], api_name="/ask")).found
    for bad in PATH_LIKE:
        answer = Answer.model_validate(api.predict(question=SOLAR, documents=[bad], api_name="/ask"))
        assert not answer.found and answer.retrieved == [] and "root:" not in answer.answer
    odd = Answer.model_validate(api.predict(question=SOLAR, levels=["../省"], api_name="/ask"))
    assert not odd.found


def test_no_url_serves_a_file_the_app_does_not_show(served):
    url, log, index = served
    with urllib.request.urlopen(f"{url}config", timeout=10) as config:
        exports = re.findall(r'"path": ?"([^"]+\.csv)"', config.read().decode())
    assert exports and status(f"{url}gradio_api/file={urllib.parse.quote(exports[0])}") == 200  # the route works
    cache = exports[0].rsplit("/", 2)[0]  # Gradio's cache folder, where the CSV exports are
    corpus_file = index.parent / "corpus" / "markup_notice.txt"
    for path in ("/etc/passwd", "../../../../etc/passwd", f"{cache}/../../etc/passwd", f"{cache}/%2e%2e/%2e%2e/etc/passwd",
                 str(index / "manifest.json"), str(corpus_file), str(log)):
        for route in ("gradio_api/file=", "gradio_api/file/", "file="):
            assert status(f"{url}{route}{path}") in (400, 403, 404), f"{route}{path} was served"


def test_handlers_take_unknown_and_path_like_ids_as_no_document(markup_assistant):
    from assistant.ui.blocks import build_app

    handlers = {f.name: f.fn for f in build_app(markup_assistant).fns.values()}
    cell = SimpleNamespace(index=[0, 0])
    for bad in [*PATH_LIKE, "", None, ["markup_notice"]]:
        meta, tree, table, view = handlers["pick_document"](bad)
        assert "未选择文件" in meta and tree["choices"] == [] and table.empty
        assert "clause-view" not in handlers["read"](bad, "一、")
        assert "clause-view" not in handlers["read_row"](bad, cell)
    assert "总体要求" in handlers["read"]("markup_notice", "一、")
    assert "clause-view" not in handlers["read"]("markup_notice", "../../etc/passwd")
    talk = Conversation()
    talk.add("q", "")
    talk.turns[0].shown = [Citation(doc_id="../../etc/passwd", doc_title="", clause="一、", heading="", text="", score=0)]
    for turn, cite in ((0, 1), (0, 0), (-1, 1), (1, 1), ("x", 1), (None, None), ([0], 1)):
        assert "clause-view" not in handlers["open_citation"](talk, SimpleNamespace(_data={"turn": turn, "cite": cite}))
    for at in ([-1, 0], [5, 0], ["x", 0], None, []):
        assert "clause-view" not in handlers["open_task"]([], SimpleNamespace(index=at))
        assert "clause-view" not in handlers["open_target"]([], SimpleNamespace(index=at))


def test_a_scope_of_unknown_ids_limits_the_search_to_nothing(markup_assistant):
    asked = "试点园区目标是多少?"
    assert chat.ask_contract(markup_assistant, asked, "markup_notice")["found"]  # a lone id is one id
    for bad in (PATH_LIKE, [["markup_notice"]], [None]):
        assert not chat.ask_contract(markup_assistant, asked, bad)["found"]
    assert (row_of("2", 3), row_of([1, 0], 3), row_of(3, 3), row_of(-1, 3), row_of("x", 3), row_of(None, 3)) == (
        2, 1, None, None, None, None)


def test_questions_asked_at_once_are_answered_in_order_and_a_reset_drops_the_rest(markup_assistant, monkeypatch):
    """The chat's two steps as the app runs them: every question shows at once; answers come one at a
    time, oldest first, each follow-up read after the question before it; 新对话 forgets both."""
    import threading

    from assistant.ui.blocks import build_app

    asked, first_started, release = [], threading.Event(), threading.Event()
    real_ask = markup_assistant.ask

    def slow_first(question, scope=None, previous=None, **kw):
        asked.append((question, previous))
        if len(asked) == 1:
            first_started.set()
            release.wait(10)  # the second question arrives while the first is answered
        return real_ask(question, scope=scope, previous=previous, **kw)

    monkeypatch.setattr(markup_assistant, "ask", slow_first)
    handlers = {f.name: f.fn for f in build_app(markup_assistant).fns.values()}
    talk = Conversation()
    handlers["pending"]("试点园区目标是多少?", talk, [], [])
    first = threading.Thread(target=lambda: list(handlers["respond"](talk, [], [])))
    first.start()
    assert first_started.wait(10)
    handlers["pending"]("那2025年呢?", talk, [], [])
    assert [t.pending for t in talk.turns] == [True, True]  # both show, neither answered yet
    second = threading.Thread(target=lambda: list(handlers["respond"](talk, [], [])))
    second.start()
    release.set()
    first.join(10), second.join(10)
    assert [q for q, _ in asked] == ["试点园区目标是多少?", "那2025年呢?"]
    assert asked[1][1] == markup_assistant.understood("试点园区目标是多少?", None)  # read as a follow-up of the first
    assert all(t.answer is not None for t in talk.turns)
    handlers["reset"](talk)
    assert talk.turns == [] and talk.previous == ""
    handlers["pending"]("那2025年呢?", talk, [], [])
    list(handlers["respond"](talk, [], []))
    assert asked[-1] == ("那2025年呢?", None)  # after 新对话, no follow-up context
