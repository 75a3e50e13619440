"""Fitting the decision (decision.py) on labelled questions.

    policyqa calibrate collect --index IDX --set A.jsonl [--set B.jsonl] [--half tune] --out feats.npz
    policyqa calibrate fit feats.npz [more.npz] --out assistant/data/decision.json

`collect` runs each question through the real reader and retrieval of an index and keeps every
candidate sentence's features, labelled 1 when the sentence holds the question's evidence (for a
responsibility question, when the note that closes it does). Out-of-scope questions label every
candidate 0. `fit` fits a logistic regression (scikit-learn) on them, scores each question's candidates
out of fold (5 folds, grouped by question, so no question is scored by weights that saw it), picks the
threshold at which the question-level decision is right most often, and reports that out-of-fold
accuracy. A question counts as right when it is out of scope and its best candidate falls below the
threshold, or in scope and its best candidate clears it and holds the evidence.

A set with a `<name>.split.json` beside it (`{"tune": [ids], "test": [ids]}`) gives only the half
asked for with --half; the other half is never read here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from .candidates import FEATURES
from .decision import QUESTION_FEATURES, model_of

FOLDS = 5
REPEATS = 5
# step 2's inverse regularisation (sklearn's C: smaller regularises more); the one right most often out
# of fold is kept: a few dozen out-of-scope questions against a few hundred in scope overfit a weakly
# regularised model. (The reported out-of-fold accuracy is the best of these, so slightly optimistic.)
C_VALUES = (1.0, 0.3, 0.1)


@dataclass
class Collected:
    x: np.ndarray  # candidates × features
    y: np.ndarray  # 1: the candidate holds the evidence
    group: np.ndarray  # question number of each candidate
    abstain: np.ndarray  # per question: out of scope
    answerable: np.ndarray  # per question: in scope and some candidate holds the evidence
    english: np.ndarray  # per question
    kind: np.ndarray  # per question: the intent's kind
    ids: list[str]
    embedder: str = ""  # the model whose similarities the features hold


def norm(text: str) -> str:
    """score.py's matching: white space out, full/half width of digits and a few marks folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def questions_of(paths: list[Path], half: str | None) -> list[dict]:
    out = []
    for path in paths:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        split = Path(path).with_name(Path(path).stem + ".split.json")
        if half and split.is_file():
            keep = set(json.loads(split.read_text(encoding="utf-8"))[half])
            rows = [r for r in rows if r["id"] in keep]
        out += rows
    return out


def collect(assistant, questions: list[dict], progress: bool = False) -> Collected:
    """Candidates and labels of each single-part question that names at most one place."""
    from tqdm import tqdm

    from .strategies import Ask

    xs, ys, groups, abstain, answerable, english, kinds = [], [], [], [], [], [], []
    ids: list[str] = []
    for row in tqdm(questions, desc="collecting", unit="q", disable=not progress, leave=False):
        q = assistant.read(row["question"])
        if len(q.parts) > 1 or len(q.places) > 1 or row.get("evidence_all"):
            continue  # several parts or places: answered piece by piece, each judged with the whole
        query = assistant.retriever.embed_query(q)
        hits = assistant.retriever.search(q, k=assistant.settings.top_k, query=query)
        ask = Ask(q, hits, query, assistant.retriever.preferred_docs(q))
        cands = assistant.answerer.scorer.candidates(q, hits, query, ask.preferred)
        evidence = [norm(e) for e in row.get("evidence", [])] if not row.get("abstain") else []
        labels = [_holds(assistant, c, evidence) for c in cands]
        for cand, label in zip(cands, labels):
            xs.append([cand.features.get(f, 0.0) for f in FEATURES])
            ys.append(label)
            groups.append(len(ids))
        abstain.append(bool(row.get("abstain")))
        answerable.append(any(labels))
        english.append(q.english)
        kinds.append(q.intent.kind)
        ids.append(row["id"])
    return Collected(
        np.array(xs, dtype=np.float64).reshape(-1, len(FEATURES)),
        np.array(ys, dtype=np.int8),
        np.array(groups, dtype=np.int32),
        np.array(abstain),
        np.array(answerable),
        np.array(english),
        np.array(kinds),
        ids,
        model_of(assistant.embedder.id),
    )


def _holds(assistant, cand, evidence: list[str]) -> bool:
    """Whether the candidate's sentence (its note included), or the note that closes it, holds evidence."""
    if not evidence:
        return False
    sentence = norm(cand.chunk.text[cand.span[0] : cand.span[1]])
    note = assistant.answerer.note_for(cand.chunk, cand.text)
    closing = norm(note.note) if note is not None else ""
    return any(e in sentence or (closing and e in closing) for e in evidence)


def save(collected: Collected, path: Path) -> None:
    np.savez_compressed(
        path,
        x=collected.x,
        y=collected.y,
        group=collected.group,
        abstain=collected.abstain,
        answerable=collected.answerable,
        english=collected.english,
        kind=collected.kind,
        ids=np.array(collected.ids),
        features=np.array(FEATURES),
        embedder=np.array(collected.embedder),
    )


def load_collected(paths: list[Path]) -> Collected:
    parts = []
    offset = 0
    for path in paths:
        data = np.load(path)
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was collected with other features: collect it again")
        parts.append((data, offset))
        offset += len(data["ids"])
    return Collected(
        np.concatenate([d["x"] for d, _ in parts]),
        np.concatenate([d["y"] for d, _ in parts]),
        np.concatenate([d["group"] + o for d, o in parts]),
        np.concatenate([d["abstain"] for d, _ in parts]),
        np.concatenate([d["answerable"] for d, _ in parts]),
        np.concatenate([d["english"] for d, _ in parts]),
        np.concatenate([d["kind"] for d, _ in parts]),
        [str(i) for d, _ in parts for i in d["ids"]],
        embedder=_one_embedder({str(d["embedder"]) for d, _ in parts}),
    )


def _one_embedder(models: set[str]) -> str:
    if len(models) > 1:
        raise ValueError(
            f"features collected with different embedders ({', '.join(sorted(models))}) cannot be fitted together"
        )
    return models.pop() if models else ""


def fit(data: Collected, regularisation: float = 1.0):
    """(Decision fitted on everything, report with the out-of-fold figures).

    Step 1 (which sentence) is scored out of fold; step 2 (does the best one answer) is fitted on those
    out-of-fold scores, as it will meet scores of questions the weights did not see, and is itself
    scored out of fold for the report and the threshold."""
    from .decision import Decision

    # out-of-fold scores averaged over REPEATS shufflings of the folds: one split's luck moves the
    # threshold by a few questions, and with them the out-of-scope figure
    oof = np.zeros(len(data.y))
    for seed in range(REPEATS):
        groups = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed)  # both classes in every fold
        for train, test in groups.split(data.x, data.y, data.group):
            model = _logistic(data.x[train], data.y[train], FEATURES, regularisation)
            oof[test] += model([_row(x) for x in data.x[test]]) / REPEATS
    rows, target, of_question, cand = _question_rows(data, oof)
    qx = np.array([[r[f] for f in QUESTION_FEATURES] for r in rows])
    # step 2 is fitted on each question's first candidate, and learns answerable from not there: an
    # in-scope question whose first candidate is the wrong one is neither (declined or answered, it is
    # lost), so it is not fitted on. It then reads each of the first TOP_K (_likeliest).
    first = np.r_[True, of_question[1:] != of_question[:-1]]
    fitted_on = first & (data.abstain[of_question] | (target == 1))
    fitted = []
    for c in C_VALUES:
        q_oof = _question_oof(qx, target, of_question, fitted_on, rows, c)
        fitted.append((best_threshold(data, *_likeliest(q_oof, of_question, cand, len(data.ids))), c))
    # the first of equals: the largest C, the least regularised
    (threshold, accuracy, table), answer_c = max(fitted, key=lambda f: f[0][1])
    decision = Decision(
        _logistic(data.x, data.y, FEATURES, regularisation),
        _logistic(qx[fitted_on], target[fitted_on], QUESTION_FEATURES, answer_c),
        threshold,
        data.embedder,
    )
    report = {
        "questions": int(len(data.ids)),
        "candidates": int(len(data.y)),
        "out_of_fold_accuracy": accuracy,
        "threshold": round(threshold, 3),
        "answer_C": answer_c,
        "by_kind": table,
        "sentence_weights": _weights(decision.sentence),
        "answer_weights": _weights(decision.answer),
    }
    return decision, report


def _question_oof(
    qx: np.ndarray, target: np.ndarray, of_question: np.ndarray, fitted_on: np.ndarray, rows: list[dict], c: float
) -> np.ndarray:
    """Step 2's out-of-fold probabilities at inverse regularisation `c`, averaged over REPEATS shufflings
    (a question's rows all in one fold)."""
    q_oof = np.zeros(len(rows))
    for seed in range(REPEATS):
        groups = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed)
        for train, test in groups.split(qx, target, of_question):
            train = train[fitted_on[train]]
            model = _logistic(qx[train], target[train], QUESTION_FEATURES, c)
            q_oof[test] += model([rows[i] for i in test]) / REPEATS
    return q_oof


def _likeliest(q: np.ndarray, of_question: np.ndarray, cand: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per question: the highest of its rows' probabilities, and that row's candidate (-1: none)."""
    prob, best = np.zeros(n), np.full(n, -1)
    for i in range(len(q)):
        g = of_question[i]
        if best[g] < 0 or q[i] > prob[g]:
            prob[g], best[g] = q[i], cand[i]
    return prob, best


def _row(x: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURES, x))


def _weights(model) -> dict[str, float]:
    pairs = sorted(zip(model.features, model.weights), key=lambda fw: -abs(fw[1]))
    return {f: round(float(w), 3) for f, w in pairs}


def _logistic(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from .decision import Logistic

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit((x - scaler.mean_) / scale, y)
    return Logistic(features, scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]))


def _question_rows(data: Collected, p: np.ndarray) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray]:
    """Step 2's rows: one for each of a question's first TOP_K candidates ranked by p, as the answerer
    reads them, with whether that candidate answers it (in scope and holding the evidence), the question
    it belongs to and the candidate's number."""
    from .decision import TOP_K, question_row

    rows, target, of_question, cand = [], [], [], []
    for g in range(len(data.ids)):
        idx = np.flatnonzero(data.group == g)
        order = idx[np.argsort(-p[idx], kind="stable")]
        ps = [float(p[i]) for i in order]
        for j, i in enumerate(order[:TOP_K]):
            rows.append(question_row(j, ps, _row(data.x[i]), bool(data.english[g]), str(data.kind[g])))
            target.append(int(bool(data.y[i]) and not data.abstain[g]))
            of_question.append(g)
            cand.append(int(i))
    return rows, np.array(target), np.array(of_question), np.array(cand)


def best_threshold(data: Collected, q: np.ndarray, best: np.ndarray) -> tuple[float, float, dict]:
    """The threshold on step 2's probability at which the question-level decision is right most often,
    that accuracy, and the accuracy on in-scope and out-of-scope questions there."""
    right = np.array([b >= 0 and bool(data.y[b]) for b in best])
    curve = [
        (float(t), float(np.where(data.abstain, q < t, (q >= t) & right).mean()))
        for t in np.unique(np.concatenate([[0.0, 1.0], q]))
    ]
    top = max(curve, key=lambda ta: ta[1])
    t = top[0]
    inscope = ~data.abstain
    table = {
        "in_scope": round(float(((q >= t) & right)[inscope].mean()), 3) if inscope.any() else None,
        "in_scope_ranked_right": round(float(right[inscope].mean()), 3) if inscope.any() else None,
        "out_of_scope": round(float((q < t)[data.abstain].mean()), 3) if data.abstain.any() else None,
    }
    return t, round(top[1], 3), table
