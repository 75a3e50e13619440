"""Nothing reaches out: `policyqa index`, `policyqa ask` and the app run with every connection to a
host other than this machine refused and recorded (tests/netguard/sitecustomize.py, first on the
subprocesses' PYTHONPATH), and they all work, with nothing recorded. No font, analytics, update
check or model download is attempted. The browser side (the page asks no other host) is checked in
test_app.py by every page visit."""
from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from assistant.schema import Answer

from conftest import ROOT, TESTS, app_env, free_port

pytestmark = pytest.mark.slow  # the app in a subprocess

GUARD = TESTS / "netguard"
SOLAR = "到2030年太阳能发电装机容量目标是多少?"


def guarded_env(log: Path) -> dict[str, str]:
    """The environment with the guard on, and without the settings that would hide a phone-home
    (analytics and Hugging Face switches): the app has to turn them off itself."""
    env = {k: v for k, v in app_env().items() if not k.startswith(("GRADIO_", "HF_", "POLICYQA_"))}
    env["PYTHONPATH"] = str(GUARD) + (f":{env['PYTHONPATH']}" if env.get("PYTHONPATH") else "")
    env["POLICYQA_NET_LOG"] = str(log)
    return env


def policyqa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_guard_refuses_and_records_outside_connections_only(tmp_path):
    log = tmp_path / "outbound.log"
    probe = f"""
import socket, urllib.request
for attempt in (lambda: urllib.request.urlopen("http://192.0.2.1/", timeout=2),
                lambda: socket.getaddrinfo("example.org", 443),
                lambda: socket.create_connection(("203.0.113.9", 443), timeout=2)):
    try:
        attempt(); print("reached")
    except OSError as exc:
        print("refused" if "offline test" in str(exc) else f"other {{exc}}")
try:
    socket.create_connection(("127.0.0.1", {free_port()}), timeout=2)
except ConnectionRefusedError:
    print("local passes")
"""
    run = subprocess.run([sys.executable, "-c", probe], env=guarded_env(log), capture_output=True, text=True, timeout=60)
    assert run.stdout.split("\n")[:4] == ["refused", "refused", "refused", "local passes"], run.stdout + run.stderr
    recorded = log.read_text()
    assert "192.0.2.1" in recorded and "example.org" in recorded and "203.0.113.9" in recorded and "127.0.0.1" not in recorded


@pytest.mark.integration
def test_index_ask_and_the_app_work_with_no_outside_connection(tmp_path, start_app):
    from gradio_client import Client

    log, index = tmp_path / "outbound.log", tmp_path / "index"
    env = guarded_env(log)
    built = policyqa(env, "index", "--index", str(index), "--quiet")  # the bundled plan, the bundled e5 model
    assert built.returncode == 0, built.stderr
    asked = policyqa(env, "ask", "--index", str(index), SOLAR)
    assert asked.returncode == 0 and "1400兆瓦" in asked.stdout, asked.stderr
    app = start_app(["--index", str(index)], env)
    with urllib.request.urlopen(app.url, timeout=10) as page, urllib.request.urlopen(f"{app.url}config", timeout=10) as config:
        assert page.status == 200 and "政策文件问答" in config.read().decode()
    api = Client(app.url, verbose=False, analytics_enabled=False, download_files=False)
    answer = Answer.model_validate(api.predict(question=SOLAR, api_name="/ask"))
    assert answer.found and "1400兆瓦" in answer.answer
    app.stop()  # whatever runs at exit is covered too
    assert app.log.read_text().count("offline test") == 0
    assert not log.exists() or log.read_text() == "", f"outside connections were attempted:\n{log.read_text()}"
