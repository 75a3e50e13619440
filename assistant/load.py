"""python -m assistant.load: many people asking the running app at once, through its API.

Each simulated user is a thread with its own kept-alive HTTP connection, POSTing questions drawn from
the given sets to the app's `ask` endpoint until the time is up (a question under way then finishes). The report gives
requests served, errors (with the first messages), throughput and latency p50/p95/max; the exit code
is 1 when any request failed.

    python app.py --index index &
    python -m assistant.load --url http://127.0.0.1:7860/ --users 20 --seconds 60

`--sweep INDEX` starts the app itself, once per OpenMP thread policy (threads.SWEPT), and asks it with
1, 4 and 20 users in turn: the table the server's policy (threads.SERVER) was chosen from.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from .measure import score_percentile
from .schema import read_questions
from .tables import render
from .threads import SWEPT, ThreadPolicy, cores, without_policy

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SET = ROOT / "eval" / "team.jsonl"  # the project's own questions; other sets come by --questions
SHOWN_ERRORS = 3
SWEEP_USERS = (1, 4, 20)


@dataclass
class Tally:
    """What every user thread reports; one lock, held only to append."""

    latencies: list[float] = field(default_factory=list)
    found: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def served(self, seconds: float, found: bool) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.found += found

    def failed(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def user(
    url: str, questions: list[str], deadline: float, tally: Tally, seed: int, auth: tuple[str, str] | None
) -> None:
    """One person: one connection (kept alive), logged in when the app has a login, then question after
    question until the deadline, each a POST to the app's `ask` endpoint (/gradio_api/run/ask)."""
    try:
        api = Api(url, auth)
    except (OSError, ValueError) as exc:  # the app is down, refuses the login, or is not this app
        tally.failed(f"connecting: {type(exc).__name__}: {exc}")
        return
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        question = rng.choice(questions)
        started = time.perf_counter()
        try:
            answer = api.ask(question)
        except (OSError, ValueError) as exc:  # any failure is the app's to report, not this script's to stop on
            tally.failed(f"{question[:30]}: {type(exc).__name__}: {exc}")
            api.reconnect()
            continue
        if not isinstance(answer, dict) or not isinstance(answer.get("answer"), str):
            tally.failed(f"{question[:30]}: not an answer: {str(answer)[:80]}")
            continue
        tally.served(time.perf_counter() - started, bool(answer.get("found")))
    api.close()


class Api:
    """The app's `ask` endpoint over one kept-alive HTTP connection: no client library between the
    load and the app, so what is measured is the app."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url}")
        self.parts, self.root = parts, parts.path.rstrip("/")
        self.headers = {"Content-Type": "application/json"}
        self.conn = self._connect()
        self.conn.connect()  # an app that is not there fails here, once, not on every question
        if auth is not None:
            self._login(auth)

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.parts.scheme == "https" else http.client.HTTPConnection
        host = self.parts.hostname
        assert host is not None  # __init__ refuses a URL without a host
        return cls(host, self.parts.port, timeout=120)

    def reconnect(self) -> None:
        self.conn.close()
        self.conn = self._connect()

    def _login(self, auth: tuple[str, str]) -> None:
        body = urllib.parse.urlencode({"username": auth[0], "password": auth[1]})
        self.conn.request("POST", f"{self.root}/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        resp = self.conn.getresponse()
        resp.read()
        cookies = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
        if resp.status >= 400 or not cookies:
            raise ValueError(f"the login was refused (HTTP {resp.status})")
        self.headers["Cookie"] = "; ".join(cookies)

    def ask(self, question: str) -> object:
        """The answer contract for the question, over all documents (question, documents, levels, previous)."""
        self.conn.request(
            "POST", f"{self.root}/gradio_api/run/ask", json.dumps({"data": [question, None, None, None]}), self.headers
        )
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise ValueError(f"HTTP {resp.status}: {body[:120].decode(errors='replace')}")
        data = json.loads(body).get("data")
        return data[0] if isinstance(data, list) and data else data

    def close(self) -> None:
        self.conn.close()


def run(url: str, questions: list[str], users: int, seconds: float, auth: tuple[str, str] | None = None) -> dict:
    """Run the users at once; the summary as a dict."""
    tally, started = Tally(), time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=user, args=(url, questions, deadline, tally, n, auth), daemon=True)
        for n in range(users)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(tally, users, time.monotonic() - started)


@contextlib.contextmanager
def running_app(index_dir: Path, env: dict[str, str], ready_within: float = 120) -> Iterator[str]:
    """`python app.py --index index_dir` on a free local port, with this environment; yields its URL once
    it answers, and stops it after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [sys.executable, str(ROOT / "app.py"), "--index", str(index_dir), "--port", str(port)]
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if proc.poll() is not None:
                assert proc.stderr is not None  # stderr=PIPE
                raise AppError(f"the app exited with {proc.returncode}: {proc.stderr.read().decode()[-1500:]}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AppError(f"the app did not answer at {url} within {ready_within:.0f} s") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class AppError(RuntimeError):
    """The app would not start or answer."""


def policy_env(policy: ThreadPolicy) -> dict[str, str]:
    """This process's environment for an app serving under `policy` (the runtime's default where it
    sets nothing): the OpenMP variables inherited from here are left out."""
    return {
        **without_policy(os.environ),
        "POLICYQA_OMP_WAIT_POLICY": policy.wait or "",
        "POLICYQA_OMP_THREADS": str(policy.threads or cores()),
    }


def login_env(env: dict[str, str], auth: tuple[str, str] | None) -> dict[str, str]:
    """`env` for an app the tools start themselves, whose login is exactly `auth` (none when None,
    whatever POLICYQA_AUTH says here): the users they simulate log in with `auth`, or not at all."""
    out = {k: v for k, v in env.items() if k != "POLICYQA_AUTH"}
    if auth is not None:
        out["POLICYQA_AUTH"] = ":".join(auth)
    return out


def sweep(
    index_dir: Path,
    questions: list[str],
    users: tuple[int, ...],
    seconds: float,
    progress: bool = True,
    auth: tuple[str, str] | None = None,
) -> list[dict]:
    """The app under each policy of threads.SWEPT, asked by each number of users in turn. The app has the
    login `auth` (none when None, whatever POLICYQA_AUTH says), and the users log in with it."""
    rows = []
    for policy in SWEPT:
        with running_app(index_dir, login_env(policy_env(policy), auth)) as url:
            run(url, questions[:5], 1, 3.0, auth)  # warm-up: model loaded, caches filled
            for n in users:
                if progress:
                    click.echo(f"{policy.label}: {n} users …", err=True)
                rows.append({"policy": policy.label, **run(url, questions, n, seconds, auth)})
    return rows


def sweep_table(rows: list[dict]) -> str:
    return render(
        [[r["policy"], r["users"], r["throughput_per_s"], r["p50_ms"], r["p95_ms"], r["errors"]] for r in rows],
        ["policy", "users", "answers/s", "p50 ms", "p95 ms", "errors"],
    )


def summary(tally: Tally, users: int, elapsed: float) -> dict:
    ms = sorted(x * 1000 for x in tally.latencies)
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": len(ms),
        "errors": len(tally.errors),
        "first_errors": list(dict.fromkeys(tally.errors))[:SHOWN_ERRORS],
        "throughput_per_s": round(len(ms) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(score_percentile(ms, 50)),
        "p95_ms": round(score_percentile(ms, 95)),
        "max_ms": round(ms[-1]) if ms else 0,
        "found": round(tally.found / len(ms), 3) if ms else 0.0,
    }


def report(s: dict, url: str) -> str:
    lines = [
        f"load: {s['users']} users for {s['seconds']} s against {url}",
        f"requests served  {s['requests']}   errors {s['errors']}",
        f"throughput       {s['throughput_per_s']} answers/s",
        f"latency ms       p50 {s['p50_ms']}   p95 {s['p95_ms']}   max {s['max_ms']}",
        f"answers found    {s['found']:.0%}",
    ]
    lines += [f"  error: {e}" for e in s["first_errors"]]
    return "\n".join(lines)


@click.command()
@click.option("--url", default="http://127.0.0.1:7860/", show_default=True, help="The running app.")
@click.option("--users", type=click.IntRange(1, 500), default=20, show_default=True, help="People asking at once.")
@click.option(
    "--seconds", type=click.FloatRange(0.1, 3600), default=60, show_default=True, help="How long they keep asking."
)
@click.option(
    "--questions",
    "sets",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL question set(s) with a `question` field. Default: the project's eval/team.jsonl.",
)
@click.option("--auth", envvar="POLICYQA_AUTH", metavar="USER:PASSWORD", help="The app's login, when it has one.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--sweep",
    "sweep_index",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Start the app on this index once per thread policy and ask it with 1, 4 and 20 users "
    "(--seconds each); --url and --users are not used.",
)
def main(
    url: str,
    users: int,
    seconds: float,
    sets: tuple[Path, ...],
    auth: str | None,
    as_json: bool,
    sweep_index: Path | None,
) -> None:
    """Simulated users asking the app's `ask` API at once: requests served, errors, latency."""
    from .ui.serve import parse_auth

    login = parse_auth(auth)  # a ClickException when malformed
    # gradio_client reports each connection to Hugging Face unless told not to, twice over
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    paths = list(sets) or [DEFAULT_SET]
    try:
        questions = [r.question for r in read_questions(paths) if r.question.strip()]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not questions:
        raise click.ClickException(
            f"no questions in {', '.join(map(str, paths)) or 'eval/team.jsonl'}; give a set with --questions"
        )
    if sweep_index is not None:
        try:
            rows = sweep(sweep_index, questions, SWEEP_USERS, seconds, auth=login)
        except AppError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps(rows, ensure_ascii=False) if as_json else sweep_table(rows))
        if any(r["errors"] for r in rows):
            raise SystemExit(1)
        return
    result = run(url, questions, users, seconds, login)
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else report(result, url))
    if result["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
