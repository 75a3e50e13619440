"""Many people at once: the load script against the real app, and the queue answering several
questions at a time (a slow one does not hold up the rest) but never more than its limit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from assistant.load import DEFAULT_SET
from assistant.measure import score_percentile
from assistant.schema import read_questions
from assistant.ui.serve import CONCURRENCY

from conftest import ROOT, free_port


def load(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.load", "--url", url, "--json", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_load_script_gets_every_question_answered(served):
    run = load(served[0], "--users", "5", "--seconds", "5")
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["errors"] == 0 and result["first_errors"] == []
    assert result["requests"] >= 5 and result["users"] == 5
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert result["found"] > 0.5  # real answers, not error strings passed off as answers


@pytest.mark.slow
def test_the_load_script_fails_when_requests_fail():
    run = load(f"http://127.0.0.1:{free_port()}/", "--users", "2", "--seconds", "1")  # nothing listens there
    assert run.returncode == 1
    result = json.loads(run.stdout)
    assert result["errors"] == 2 and result["requests"] == 0 and "connecting" in result["first_errors"][0]


def test_questions_come_from_the_sets_and_a_bad_line_is_named_and_percentiles_are_the_scorers(tmp_path):
    good = tmp_path / "set.jsonl"
    good.write_text('{"id": "a", "question": "散煤什么时候清零?"}\n\n{"question": "光伏\\ud800"}\n', encoding="utf-8")
    assert [(r.id, r.question) for r in read_questions([good])] == [("a", "散煤什么时候清零?"), ("3", "光伏\ufffd")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "散煤什么时候清零?"}\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: expected a JSON object with a 'question' field"):
        read_questions([bad])
    assert read_questions([DEFAULT_SET])  # the default set is the project's own and readable
    values = [float(v) for v in range(1, 101)]
    # score.py: p50 is the median, p95 the value at index int(0.95 * (n - 1))
    assert (score_percentile(values, 50), score_percentile(values, 95), score_percentile(values, 100)) == (50.5, 95, 100)
    assert score_percentile([], 95) == 0


class Gate:
    """Wraps Assistant.ask: each question is held until `width` are being answered at once, then all
    go. A queue that runs fewer at a time leaves the first held until `seconds` pass, and that
    question fails, so the test fails rather than hangs. `peak` is the most ever answered at once."""

    def __init__(self, ask, width: int, seconds: float = 20):
        self.ask, self.width, self.seconds = ask, width, seconds
        self.running = self.peak = 0
        self.open = False
        self.cond = threading.Condition()

    def __call__(self, *args, **kwargs):
        with self.cond:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.open = self.open or self.running >= self.width
            self.cond.notify_all()
            opened = self.cond.wait_for(lambda: self.open, timeout=self.seconds)
            self.open = True  # one question held too long is enough to fail: release the rest
        try:
            if not opened:
                raise RuntimeError(f"held alone for {self.seconds} s: the queue answers fewer than {self.width} at once")
            return self.ask(*args, **kwargs)
        finally:
            with self.cond:
                self.running -= 1


@pytest.fixture
def in_process_app(markup_assistant, monkeypatch):
    """The app over markup_assistant, served from this process with the default limit; every
    question passes a Gate of that width."""
    pytest.importorskip("gradio", reason="gradio is not installed: pip install -e .")
    from assistant.ui.blocks import build_app, launch

    gate = Gate(markup_assistant.ask, CONCURRENCY)
    monkeypatch.setattr(markup_assistant, "ask", gate)
    app, port = build_app(markup_assistant), free_port()
    launch(app, "127.0.0.1", port, CONCURRENCY, block=False)
    try:
        yield app, f"http://127.0.0.1:{port}/", gate
    finally:
        app.close()


@pytest.mark.slow
def test_a_slow_question_does_not_hold_up_the_others_and_the_queue_bounds_them(in_process_app):
    from gradio_client import Client

    app, url, gate = in_process_app
    clients = [Client(url, verbose=False, analytics_enabled=False, download_files=False) for _ in range(CONCURRENCY + 2)]
    # each question is slow until CONCURRENCY of them overlap: they all finish only if answered side by side
    jobs = [c.submit(question="试点园区目标是多少?", api_name="/ask") for c in clients]
    answers = [job.result(timeout=90) for job in jobs]
    assert all(a["found"] and "5个" in a["answer"] for a in answers)
    assert CONCURRENCY > 1 and gate.peak == CONCURRENCY  # side by side, and never more than the limit
    for c in clients:
        c.close()


def test_the_chat_and_the_api_share_one_limit(markup_assistant, monkeypatch):
    """Both answer under the same slots: with a limit of one, a question asked through the API while
    another holds the slot waits for it."""
    from assistant.ui.blocks import build_app
    from assistant.ui.slots import SLOTS

    app = build_app(markup_assistant)
    api = next(f.fn for f in app.fns.values() if f.name == "ask")
    assert next(f for f in app.fns.values() if f.name == "ask").queue is False  # one POST, no event stream
    SLOTS.resize(1)
    answered = threading.Event()
    try:
        with SLOTS.held():  # as the chat holds it while it answers
            asker = threading.Thread(target=lambda: (api("试点园区目标是多少?"), answered.set()))
            asker.start()
            assert not answered.wait(1.5)  # the API waits for the slot
        assert answered.wait(30)  # ...and answers once it is free
        asker.join()
    finally:
        SLOTS.resize(CONCURRENCY)


def test_filters_typed_in_several_boxes_run_as_one_event_so_the_latest_state_wins(markup_assistant):
    """The browser defers a running event's re-run per listener and reads the boxes when it runs. With one
    listener per box, a result for an older keyword could land after a newer department was cleared
    (seen in CI); one listener over all of a tab's boxes keeps the last state shown."""
    from assistant.ui.blocks import build_app

    app = build_app(markup_assistant)
    names = {b._id: b.elem_id for b in app.blocks.values()}
    filters = [f for f in app.fns.values() if f.name == "refresh"]
    assert sorted(sorted(names[i] for i, event in f.targets if event == "change") for f in filters) == [
        ["dept-filter", "dept-pick", "dept-role"],
        ["target-doc", "target-filter", "target-year"],
    ]
    assert {f.trigger_mode for f in filters} == {"always_last"}


def test_each_swept_thread_policy_reaches_the_app_as_that_policy(monkeypatch):
    """The sweep starts the app under each policy through the environment: what the app then reads
    (threads.from_env over the server's default) is that policy, and OpenMP variables of the sweeping
    process never leak into the app."""
    import os

    from assistant import threads
    from assistant.load import policy_env

    from assistant.bench.harness import child_env

    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv("POLICYQA_OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.setenv("KMP_BLOCKTIME", "0")  # another runtime's own spelling of the policy
    monkeypatch.setenv("GOMP_SPINCOUNT", "0")
    monkeypatch.setenv("KMP_DUPLICATE_LIB_OK", "TRUE")  # no policy: what lets two runtimes load at all
    # a bench child (a floor, or policyqa under its mode's policy) inherits none of them either
    assert not {"OMP_NUM_THREADS", "POLICYQA_OMP_WAIT_POLICY", "KMP_BLOCKTIME", "GOMP_SPINCOUNT"} & set(child_env())
    assert child_env()["KMP_DUPLICATE_LIB_OK"] == "TRUE"
    cores = threads.cores()
    for policy in threads.SWEPT:
        env = policy_env(policy)
        assert not {"OMP_NUM_THREADS", "KMP_BLOCKTIME", "GOMP_SPINCOUNT"} & set(env)
        assert env["KMP_DUPLICATE_LIB_OK"] == "TRUE"
        with monkeypatch.context() as m:
            m.setattr(os, "environ", env)
            read = threads.from_env(threads.SERVER)
        assert read == threads.ThreadPolicy(policy.wait, policy.threads or cores)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this platform")
def test_threads_per_core_follow_the_cpus_the_process_may_use():
    """Under `taskset` or a container's CPU limit, "threads = cores" means the CPUs the process may run on
    (as the OpenMP runtime counts them), not every CPU of the host."""
    code = (
        "import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
        "from assistant.load import policy_env; from assistant.threads import ThreadPolicy; "
        "print(policy_env(ThreadPolicy())['POLICYQA_OMP_THREADS'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "1"


def test_the_sweep_starts_its_app_with_the_login_its_users_give(monkeypatch):
    """--sweep starts the app itself: with --auth (or POLICYQA_AUTH) the app has that login and every
    simulated user logs in with it; without, the app has none, so the users are not refused."""
    import contextlib

    from assistant import load

    seen: dict[str, list] = {"env": [], "auth": []}

    @contextlib.contextmanager
    def app(index_dir, env, ready_within=120):
        seen["env"].append(env.get("POLICYQA_AUTH"))
        yield "http://127.0.0.1:1/"

    def run(url, questions, users, seconds, auth=None):
        seen["auth"].append(auth)
        return {"users": users, "throughput_per_s": 1.0, "p50_ms": 1, "p95_ms": 1, "errors": 0}

    monkeypatch.setattr(load, "running_app", app)
    monkeypatch.setattr(load, "run", run)
    monkeypatch.setenv("POLICYQA_AUTH", "someone:else")
    load.sweep(ROOT / "index", ["q"], (1,), 0.1, progress=False, auth=("analyst", "s3:cret"))
    assert set(seen["env"]) == {"analyst:s3:cret"} and set(seen["auth"]) == {("analyst", "s3:cret")}
    seen["env"].clear()
    seen["auth"].clear()
    load.sweep(ROOT / "index", ["q"], (1,), 0.1, progress=False, auth=None)
    assert set(seen["env"]) == {None} and set(seen["auth"]) == {None}
