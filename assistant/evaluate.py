"""Runs question sets and scores the answers.

The judging rules are those of ../shared/eval/score.py (answer length, answer_all/answer_any, the
department F1 with its aliases, hit@k and citation support on the evidence spans, latency
percentiles), so both give the same figures on the same answers; MRR is added: the reciprocal rank
of the first retrieved passage that holds the evidence.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .schema import QuestionRecord, read_questions

SHORT, LONG = 300, 600
LONG_TYPES = ("list", "requirement", "dept_tasks", "colloquial")
# the department names score.py recognises in an answer, short and full forms
ALIASES = {
    "发改委": ["发展和改革委员会", "发展改革委", "发改委"],
    "资规局": ["自然资源和规划局", "资规局"],
    "工信局": ["工业和信息化局", "工信局"],
    "住建局": ["住房和城乡建设局", "住建局"],
    "生态环境局": ["生态环境局"],
    "城管局": ["城市管理局", "城管局"],
    "国资办": ["国有资产监督管理", "国资办", "国资委"],
    "人社局": ["人力资源和社会保障局", "人社局"],
    "市场监管局": ["市场监督管理局", "市场监管局"],
    "交通运输局": ["交通运输局"],
    "行政审批局": ["行政审批局"],
    "农业农村局": ["农业农村局"],
    "机关事务管理局": ["机关事务管理局"],
    "金融监管局": ["金融监管局", "金融监督管理局"],
    "邮政管理局": ["邮政管理局"],
    "供电公司": ["供电公司"],
    **{d: [d] for d in ["宣传部", "教育局", "科技局", "商务局", "公安局", "财政局", "税务局", "统计局", "水利局"]},
}
_FOLD = str.maketrans("０１２３４５６７８９％，（）：；？　", "0123456789%,():;? ")


def norm(text: str) -> str:
    return re.sub(r"\s+", "", (text or "").translate(_FOLD))


def departments_in(text: str) -> set[str]:
    t = norm(text)
    return {d for d, names in ALIASES.items() if any(n in t for n in names)}


def _canon(dept: str) -> str:
    return "生态环境局" if dept.endswith("生态环境局") else dept


def f1(pred: set[str], gold: set[str]) -> float:
    tp = len(pred & gold)
    if not pred or not gold or not tp:
        return 0.0
    p, r = tp / len(pred), tp / len(gold)
    return 2 * p * r / (p + r)


def supports(passages: list[dict] | None, q: QuestionRecord, k: int) -> bool | None:
    if not q.evidence:
        return None
    texts = [norm(p.get("text", "")) for p in (passages or [])[:k]]
    hit = [any(norm(e) in t for t in texts) for e in q.evidence]
    return all(hit) if q.evidence_all else any(hit)


def first_rank(passages: list[dict], q: QuestionRecord) -> int | None:
    """1-based rank of the first passage holding the evidence (all of it for evidence_all)."""
    for k in range(1, len(passages or []) + 1):
        if supports(passages, q, k):
            return k
    return None


def judge(q: QuestionRecord, a: dict | None) -> tuple[bool, str, float | None]:
    """(correct, why, department F1): the rules of score.py."""
    if a is None:
        return False, "no answer", None
    if q.abstain:
        return a.get("found") is False, "" if a.get("found") is False else "answered out-of-scope", None
    if not a.get("found"):
        return False, "abstained", None
    text = norm(a.get("answer", ""))
    limit = LONG if q.type in LONG_TYPES else SHORT
    if len(text) > limit:
        return False, f"answer of {len(text)} chars, over {limit}", None
    missing = [s for s in q.answer_all if norm(s) not in text]
    if missing:
        return False, "missing " + "/".join(missing), None
    if q.answer_any and not any(norm(s) in text for s in q.answer_any):
        return False, "none of " + "/".join(q.answer_any), None
    if q.departments:
        score = f1(departments_in(a.get("answer", "")), {_canon(d) for d in q.departments})
        return (score >= 0.8), ("" if score >= 0.8 else f"department F1 {score:.2f}"), score
    return True, "", None


@dataclass
class Report:
    name: str
    questions: int = 0
    accuracy: float = 0.0
    in_scope_accuracy: float = 0.0
    abstain_accuracy: float = 0.0
    hit_at_1: float = 0.0
    hit_at_5: float = 0.0
    mrr: float = 0.0
    citation_support: float = 0.0
    department_f1: float = 0.0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    by_type: dict[str, float] = field(default_factory=dict)
    # how often each strategy answered (or each rule declined: not_found:<rule>), and how often rightly
    strategies: dict[str, dict[str, float]] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)


def _mean(values: list) -> float:
    return sum(values) / max(1, len(values))


def score(questions: list[QuestionRecord], answers: dict[str, dict], name: str = "policyqa") -> Report:
    rows, by_type, by_strategy = [], defaultdict(list), defaultdict(list)
    hit1, hit5, rr, cite, dept, lat = [], [], [], [], [], []
    for q in questions:
        a = answers.get(q.id)
        correct, why, dept_f1 = judge(q, a)
        rows.append((q, correct, why))
        by_type[q.type].append(correct)
        for strategy in strategies_of(a):
            by_strategy[strategy].append(correct)
        if dept_f1 is not None:
            dept.append(dept_f1)
        elif q.departments:
            dept.append(0.0)
        if not q.abstain and q.evidence:
            retrieved = (a or {}).get("retrieved") or []
            hit1.append(bool(supports(retrieved, q, 1)))
            hit5.append(bool(supports(retrieved, q, 5)))
            rank = first_rank(retrieved, q)
            rr.append(1.0 / rank if rank else 0.0)
            if a is None or a.get("found"):
                cite.append(bool(a is not None and supports(a.get("citations"), q, 10)))
        if a and isinstance(a.get("latency_ms"), (int, float)):
            lat.append(float(a["latency_ms"]))
    inscope = [c for q, c, _ in rows if not q.abstain]
    outscope = [c for q, c, _ in rows if q.abstain]
    return Report(
        name=name,
        questions=len(questions),
        accuracy=_mean([c for _, c, _ in rows]),
        in_scope_accuracy=_mean(inscope),
        abstain_accuracy=_mean(outscope),
        hit_at_1=_mean(hit1),
        hit_at_5=_mean(hit5),
        mrr=_mean(rr),
        citation_support=_mean(cite),
        department_f1=_mean(dept),
        latency_p50_ms=statistics.median(lat) if lat else None,
        latency_p95_ms=sorted(lat)[int(0.95 * (len(lat) - 1))] if lat else None,
        by_type={t: round(_mean(v), 3) for t, v in sorted(by_type.items())},
        strategies={s: {"fired": len(v), "right": round(_mean(v), 3)} for s, v in sorted(by_strategy.items())},
        failures=[{"id": q.id, "type": q.type, "why": why, "question": q.question} for q, c, why in rows if not c],
    )


def strategies_of(answer: dict | None) -> list[str]:
    """The strategies (or rules) behind an answer: a question of parts counts each part's."""
    name = (answer or {}).get("strategy") or "unknown"
    return name.removeprefix("parts:").split(",") if name.startswith("parts:") else [name]


def run(assistant, questions: list[QuestionRecord], progress: bool = False) -> dict[str, dict]:
    """Each question through `assistant.ask`; answers as the JSON of the answer contract, by id."""
    from tqdm import tqdm

    out = {}
    for q in tqdm(questions, desc="asking", unit="q", disable=not progress, leave=False):
        out[q.id] = json.loads(assistant.ask(q.question, qid=q.id).model_dump_json())
    return out


def evaluate_sets(paths: list[Path], settings, baseline: bool = False, progress: bool = False):
    """Build or update the index of settings.corpus at settings.index_dir, run the question sets, and
    score them; with `baseline`, the generic baseline too. Returns (questions, [reports])."""
    from .embed import make_embedder
    from .indexer import build_index
    from .ingest import load_corpus
    from .pipeline import Assistant

    questions = read_questions(paths)
    embedder = make_embedder(settings.embedder)
    build_index(settings, embedder, progress=progress)
    assistant = Assistant.load(settings.index_dir, settings, embedder)
    reports = [score(questions, run(assistant, questions, progress))]
    if baseline:
        from .baseline import BaselineAssistant

        documents, _ = load_corpus(list(settings.corpus))
        generic = BaselineAssistant(documents, embedder, settings.eval_index_dir.parent, progress=progress)
        reports.append(score(questions, run(generic, questions, progress), name="baseline"))
    return questions, reports


def eval_inputs(command):
    """The options `policyqa eval` and `policyqa report` share: the question sets, the corpus, the index."""
    import click

    for option in reversed(
        [
            click.option(
                "--set",
                "sets",
                multiple=True,
                required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="A question set (JSONL: id, question, evidence, answer_all/answer_any, departments, "
                "abstain; repeatable), e.g. eval/team.jsonl.",
            ),
            click.option(
                "--corpus",
                "corpus",
                multiple=True,
                type=click.Path(path_type=Path),
                help="Corpus folder (repeatable). Default: the project's corpus/ (POLICYQA_CORPUS).",
            ),
            click.option(
                "--index",
                "index_dir",
                type=click.Path(path_type=Path),
                help="Index to build or reuse. Default: .cache/eval-index.",
            ),
        ]
    ):
        command = option(command)
    return command


METRICS = [
    "accuracy",
    "in_scope_accuracy",
    "abstain_accuracy",
    "hit_at_1",
    "hit_at_5",
    "mrr",
    "citation_support",
    "department_f1",
    "latency_p50_ms",
    "latency_p95_ms",
]


def render(reports: list[Report], show_failures: bool = True) -> str:
    """Overall figures (a row per system), by type, then the failures with their reasons."""
    from .export import to_table

    rows = [{"system": r.name, "questions": r.questions, **{m: _fmt(getattr(r, m)) for m in METRICS}} for r in reports]
    parts = [to_table(rows, ["system", "questions", *METRICS], max_width=60)]
    types = sorted({t for r in reports for t in r.by_type})
    type_rows = [{"type": t, **{r.name: _fmt(r.by_type.get(t)) for r in reports}} for t in types]
    parts.append(to_table(type_rows, ["type", *[r.name for r in reports]]))
    names = sorted({s for r in reports for s in r.strategies})
    strategy_rows = [
        {
            "strategy or rule": s,
            **{f"{r.name} fired": r.strategies.get(s, {}).get("fired", 0) for r in reports},
            **{f"{r.name} right": _fmt(r.strategies.get(s, {}).get("right")) for r in reports},
        }
        for s in names
    ]
    columns = ["strategy or rule", *[f"{r.name} {k}" for r in reports for k in ("fired", "right")]]
    parts.append(to_table(strategy_rows, columns))
    if show_failures:
        for r in reports:
            lines = [f"failures of {r.name} ({len(r.failures)}):"]
            lines += [f"  {f['id']:6} {f['type']:12} {f['why'][:40]:40} {f['question']}" for f in r.failures]
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _fmt(value) -> str:
    if value is None:
        return "-"
    return (
        f"{value:.3f}"
        if isinstance(value, float) and value <= 1.0
        else (f"{value:.1f}" if isinstance(value, float) else str(value))
    )
