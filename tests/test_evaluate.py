"""`policyqa eval` scores as ../shared/eval/score.py does: same figures on the same answers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli

from assistant import evaluate
from assistant.embed import KeywordEmbedder
from assistant.indexer import build_index
from assistant.pipeline import Assistant
from assistant.schema import QuestionRecord, read_questions
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def q(**kw) -> QuestionRecord:
    base = dict(id="q", type="target", question="?", evidence=["太阳能发电装机容量达到1400兆瓦"], answer_all=["1400兆瓦"])
    return QuestionRecord(**{**base, **kw})


def test_judging_rules():
    good = {"found": True, "answer": "到2030年，太阳能发电装机容量达到1400兆瓦[1]。"}
    assert evaluate.judge(q(), good)[0]
    assert evaluate.judge(q(), {"found": False})[1] == "abstained"
    assert evaluate.judge(q(), {**good, "answer": "x" * 301})[1].startswith("answer of 301")
    assert evaluate.judge(q(type="list"), {**good, "answer": "1400兆瓦" + "x" * 400})[0]  # lists may run to 600
    assert evaluate.judge(q(abstain=True, evidence=[], answer_all=[]), {"found": False})[0]
    dept = q(type="department", answer_all=[], departments=["发改委", "江阴生态环境局"])
    ok, _, f1 = evaluate.judge(dept, {"found": True, "answer": "由发展和改革委员会、生态环境局负责"})
    assert ok and f1 == 1.0
    assert evaluate.judge(q(), {"found": True, "answer": "１４００兆瓦"})[0]  # full-width digits fold


def test_mrr_and_hits_from_ranks():
    question = q()
    answers = {"q": {"found": True, "answer": "1400兆瓦", "citations": [{"text": "太阳能发电装机容量达到1400兆瓦"}],
                     "retrieved": [{"text": "无关"}, {"text": "…太阳能发电装机容量达到1400兆瓦。"}], "latency_ms": 5}}
    report = evaluate.score([question], answers)
    assert (report.hit_at_1, report.hit_at_5, report.mrr, report.citation_support) == (0.0, 1.0, 0.5, 1.0)


@pytest.mark.shared
def test_same_figures_as_score_py(tmp_path, shared_corpus):
    dev = SHARED / "eval" / "dev.jsonl"
    settings = Settings(corpus=[ROOT / "corpus"], index_dir=tmp_path / "index")
    build_index(settings, KeywordEmbedder())
    questions = read_questions([dev])
    answers = evaluate.run(Assistant.load(settings.index_dir, settings, KeywordEmbedder()), questions)
    ours = evaluate.score(questions, answers)
    out = tmp_path / "answers.jsonl"
    out.write_text("\n".join(json.dumps(answers[x.id], ensure_ascii=False) for x in questions), encoding="utf-8")
    theirs = json.loads(subprocess.run([sys.executable, str(SHARED / "eval" / "score.py"), str(dev), str(out), "--json"],
                                       capture_output=True, text=True, check=True).stdout)
    for key in ("accuracy", "in_scope_accuracy", "abstain_accuracy", "hit_at_1", "hit_at_5", "citation_support",
                "department_f1", "latency_p50_ms", "latency_p95_ms", "by_type"):
        assert getattr(ours, key) == pytest.approx(theirs[key]), key


@pytest.mark.shared
def test_cli_eval_prints_both_systems_and_enforces_a_floor(tmp_path, shared_corpus):
    small = tmp_path / "small.jsonl"
    rows = [json.loads(line) for line in (SHARED / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:6]]
    small.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    env = {"POLICYQA_EMBEDDER": "keyword"}
    args = ["eval", "--set", str(small), "--corpus", str(ROOT / "corpus"), "--index", str(tmp_path / "index"), "--quiet"]
    run = cli(*args, "--baseline", env=env)
    assert run.returncode == 0, run.stderr
    assert "policyqa" in run.stdout and "baseline" in run.stdout and "hit_at_5" in run.stdout and "mrr" in run.stdout
    reports = json.loads(cli(*args, "--json", env=env).stdout)
    assert reports[0]["questions"] == 6 and 0 <= reports[0]["accuracy"] <= 1
    failing = cli(*args, "--floor", "1.01", env=env)
    assert failing.returncode == 1 and "below the floor" in failing.stderr
