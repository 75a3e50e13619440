"""The question sets are well formed and their gold answers really are in the corpus.

`eval/team.jsonl` (the project's own set) is always checked; the sets in ../shared/eval are checked
when ../shared is present (marked `shared`). The checks that need the corpus documents other than the
Jiangyin plan also need ../shared/corpus and are marked `shared` too.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant import evaluate

MAIN = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
TEAM = MAIN / "eval" / "team.jsonl"
PROJECT_CORPUS = MAIN / "corpus"
SHARED_CORPUS = SHARED / "corpus"
SHARED_SETS = sorted((SHARED / "eval").glob("*.jsonl")) if (SHARED / "eval").is_dir() else []
JIANGYIN = "jiangyin_carbon_peak_plan_draft"

FIELDS = {
    "id": str, "persona": str, "type": str, "question": str, "evidence": list, "evidence_all": bool,
    "answer_all": list, "answer_any": list, "departments": list, "abstain": bool,
}
PERSONAS = {"citizen", "official", "enterprise"}
TYPES = {
    "target", "department", "dept_tasks", "requirement", "fact", "list", "trap", "out_of_scope", "english",
    "traditional", "typo", "keywords", "spacing", "injection", "colloquial", "national", "provincial", "compare",
}
# The short department names ../shared/eval/score.py understands, with their spellings: the evaluator's copy,
# which test_known_departments_match_score_py keeps in step with score.py.
ALIASES = evaluate.ALIASES

# A question about a document other than the user's own (Jiangyin) plan says so.
PLACE_MARKERS = [
    "国家", "全国", "国务院", "中央", "江苏", "省", "南京", "《", "十四五节能减排", "“十四五”节能减排",
    "國家", "全國", "國務院", "江蘇", "State Council", "national", "Jiangsu", "Nanjing", "China",
]


def canon(dept: str) -> str:
    return "生态环境局" if dept.endswith("生态环境局") else dept


def norm(s: str) -> str:
    """score.py's matching: white space and full/half-width digits, % , ( ) : ; ? are ignored."""
    s = (s or "").translate(str.maketrans("０１２３４５６７８９％，（）：；？　", "0123456789%,():;? "))
    return re.sub(r"\s+", "", s)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_docs(include_shared: bool) -> dict[str, str]:
    """stem -> text of every corpus document (project corpus, plus ../shared/corpus when asked)."""
    docs = {p.stem: p.read_text(encoding="utf-8") for p in sorted(PROJECT_CORPUS.glob("*.txt"))}
    if include_shared:
        docs.update({p.stem: p.read_text(encoding="utf-8") for p in sorted(SHARED_CORPUS.glob("*.txt"))})
    return docs


def docs_with(span: str, docs: dict[str, str]) -> list[str]:
    return [stem for stem, text in docs.items() if span in text]


# the project's sets over the clean corpus get every check; those over ../shared/realdocs (their evidence
# is in the PDFs) get the schema, gold/abstain consistency and halves checks of the split test
CLEAN_SETS = [MAIN / "eval" / n for n in ("fresh.jsonl", "boundary.jsonl", "blind.jsonl", "blind2.jsonl", "blind3.jsonl", "blind5.jsonl", "blind7.jsonl")]
SPLIT_SETS = sorted((MAIN / "eval").glob("*.split.json"))


def question_sets():
    params = [pytest.param(TEAM, id="team")]
    params += [pytest.param(p, id=p.stem, marks=pytest.mark.shared) for p in CLEAN_SETS]
    if SHARED_SETS:
        params += [pytest.param(p, id=f"shared-{p.stem}", marks=pytest.mark.shared) for p in SHARED_SETS]
    else:
        params.append(pytest.param(None, id="shared-absent", marks=[
            pytest.mark.shared, pytest.mark.skip(reason="../shared/eval is absent: only eval/team.jsonl is checked")]))
    return params


@pytest.fixture(scope="module")
def all_docs(shared_corpus) -> dict[str, str]:
    return corpus_docs(include_shared=True)


# ----------------------------------------------------------------- every set

@pytest.mark.parametrize("path", question_sets())
def test_records_have_the_schema(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines, f"{path} is empty"
    ids = []
    for n, line in enumerate(lines, 1):
        rec = json.loads(line)
        assert set(rec) == set(FIELDS), f"{path.name}:{n} fields {sorted(set(rec) ^ set(FIELDS))}"
        for field, kind in FIELDS.items():
            assert isinstance(rec[field], kind), f"{path.name}:{n} {field} is not {kind.__name__}"
        for field in ("evidence", "answer_all", "answer_any", "departments"):
            assert all(isinstance(s, str) and s.strip() for s in rec[field]), f"{rec['id']}: {field} holds a non-string or blank"
        assert rec["persona"] in PERSONAS, f"{rec['id']}: persona {rec['persona']}"
        assert rec["type"] in TYPES, f"{rec['id']}: type {rec['type']}"
        assert rec["question"].strip(), f"{rec['id']}: empty question"
        ids.append(rec["id"])
    dup = [i for i, c in Counter(ids).items() if c > 1]
    assert not dup, f"duplicate ids {dup}"


@pytest.mark.parametrize("split", SPLIT_SETS, ids=[p.name.split(".")[0] for p in SPLIT_SETS])
def test_each_split_set_has_the_schema_and_two_disjoint_halves_with_both_kinds(split):
    """Tune on one half, report both: the halves cover the set, share no question, and each holds
    answerable and out-of-scope questions."""
    path = split.with_name(split.name.replace(".split.json", ".jsonl"))
    test_records_have_the_schema(path)
    test_answerable_and_abstain_questions_are_consistent(path)
    records = {r["id"]: r for r in load(path)}
    halves = json.loads(split.read_text(encoding="utf-8"))
    tune, test = set(halves["tune"]), set(halves["test"])
    assert not tune & test and tune | test == set(records), f"{split.name}: halves overlap or miss questions"
    for half in (tune, test):
        assert {records[i]["abstain"] for i in half} == {True, False}, f"{split.name}: a half lacks a kind"


@pytest.mark.parametrize("path", question_sets())
def test_answerable_and_abstain_questions_are_consistent(path):
    for rec in load(path):
        gold = rec["answer_all"] or rec["answer_any"] or rec["departments"]
        if rec["abstain"]:
            assert rec["type"] == "out_of_scope", f"{rec['id']}: abstains but is typed {rec['type']}"
            assert not rec["evidence"] and not gold and not rec["evidence_all"], f"{rec['id']}: abstains but has gold"
        else:
            assert rec["type"] != "out_of_scope", f"{rec['id']}: out_of_scope but answerable"
            assert rec["evidence"], f"{rec['id']}: no evidence"
            assert gold, f"{rec['id']}: none of answer_all / answer_any / departments"
        if rec["type"] == "compare":
            assert rec["evidence_all"] and len(rec["evidence"]) >= 2, f"{rec['id']}: compare needs all of ≥2 spans"


@pytest.mark.parametrize("path", question_sets())
def test_departments_are_names_score_py_knows(path):
    for rec in load(path):
        unknown = [d for d in rec["departments"] if canon(d) not in ALIASES]
        assert not unknown, f"{rec['id']}: unknown departments {unknown}"


@pytest.mark.shared
@pytest.mark.parametrize("path", question_sets())
def test_evidence_is_verbatim_in_the_corpus(path, all_docs):
    missing = [(rec["id"], e) for rec in load(path) for e in rec["evidence"] if not docs_with(e, all_docs)]
    assert not missing, f"evidence found in no corpus document: {missing}"


@pytest.mark.shared
@pytest.mark.parametrize("path", question_sets())
def test_gold_answers_are_in_the_evidence_documents(path, all_docs):
    problems = []
    for rec in load(path):
        if rec["abstain"]:
            continue
        texts = [norm(all_docs[s]) for e in rec["evidence"] for s in docs_with(e, all_docs)]
        for a in rec["answer_all"]:
            if not any(norm(a) in t for t in texts):
                problems.append((rec["id"], "answer_all", a))
        if rec["answer_any"] and not any(norm(a) in t for a in rec["answer_any"] for t in texts):
            problems.append((rec["id"], "answer_any", rec["answer_any"]))
    assert not problems, f"gold strings absent from the documents their evidence comes from: {problems}"


@pytest.mark.parametrize("path", question_sets())
def test_departments_are_the_responsibility_note_of_the_evidence_item(path):
    """Each task item of the Jiangyin plan ends with `(… 等部门[和单位]按职责分工负责)`: the gold set is that note."""
    plan = (PROJECT_CORPUS / f"{JIANGYIN}.txt").read_text(encoding="utf-8").splitlines()
    for rec in load(path):
        if not rec["departments"]:
            continue
        items = [line for line in plan if any(e in line for e in rec["evidence"])]
        if not items and path != TEAM:
            continue  # a department question on another document (the team set's are all on the plan)
        assert len(items) == 1, f"{rec['id']}: evidence should sit in exactly one item of the plan, found {len(items)}"
        note = re.findall(r"\(([^()]*)等部门(?:和单位)?按职责分工负责\)", items[0])
        assert note, f"{rec['id']}: the item holding the evidence has no responsibility note"
        in_note = {d for d, names in ALIASES.items() if any(n in note[-1] for n in names)}
        assert {canon(d) for d in rec["departments"]} == in_note, f"{rec['id']}: gold {rec['departments']} vs note {note[-1]}"


# ----------------------------------------------------------------- the team set only

def test_team_ids_are_x_prefixed_and_distinct_from_shared_ids():
    ids = [r["id"] for r in load(TEAM)]
    assert all(re.fullmatch(r"x\d{3}", i) for i in ids), [i for i in ids if not re.fullmatch(r"x\d{3}", i)]
    shared_ids = {r["id"] for p in SHARED_SETS for r in load(p)}
    assert not set(ids) & shared_ids


def test_team_evidence_spans_are_10_to_40_characters():
    bad = [(r["id"], e, len(e)) for r in load(TEAM) for e in r["evidence"] if not 10 <= len(e) <= 40]
    assert not bad, bad


def test_team_type_and_persona_coverage():
    recs = load(TEAM)
    types = Counter(r["type"] for r in recs)
    assert not TYPES - set(types), f"types never asked: {TYPES - set(types)}"
    thin = {t: c for t, c in types.items() if c < 3}
    assert not thin, f"types asked fewer than 3 times: {thin}"
    assert types["out_of_scope"] >= 8
    assert set(r["persona"] for r in recs) == PERSONAS
    assert 70 <= len(recs) <= 100


@pytest.mark.shared
def test_team_evidence_identifies_one_document(all_docs):
    """Under score.py's matching a span must pick out its own document, or hit@k would credit another one."""
    normed = {s: norm(t) for s, t in all_docs.items()}
    ambiguous = [(r["id"], e, [s for s, t in normed.items() if norm(e) in t])
                 for r in load(TEAM) for e in r["evidence"] if sum(norm(e) in t for t in normed.values()) != 1]
    assert not ambiguous, ambiguous


@pytest.mark.shared
def test_team_covers_every_shared_document(all_docs):
    per_doc = Counter()
    for r in load(TEAM):
        for stem in {s for e in r["evidence"] for s in docs_with(e, all_docs)}:
            per_doc[stem] += 1
    shared_stems = {p.stem for p in SHARED_CORPUS.glob("*.txt")}
    thin = {s: per_doc[s] for s in shared_stems if per_doc[s] < 4}
    assert not thin, f"documents the source of fewer than 4 questions: {thin}"
    assert per_doc[JIANGYIN] >= 25


@pytest.mark.shared
def test_team_compare_questions_span_two_documents(all_docs):
    for r in load(TEAM):
        if r["type"] == "compare":
            stems = {s for e in r["evidence"] for s in docs_with(e, all_docs)}
            assert len(stems) >= 2, f"{r['id']}: compare evidence in {stems}"


@pytest.mark.shared
def test_team_questions_on_other_documents_name_them(all_docs):
    """A question that names no place is about the user's own plan; one about another document says which."""
    for r in load(TEAM):
        stems = {s for e in r["evidence"] for s in docs_with(e, all_docs)}
        if stems - {JIANGYIN}:
            assert any(m in r["question"] for m in PLACE_MARKERS), f"{r['id']}: names no document or place: {r['question']}"


@pytest.mark.shared
def test_known_departments_match_score_py():
    score = SHARED / "eval" / "score.py"
    if not score.is_file():
        pytest.skip("../shared/eval/score.py is absent")
    namespace: dict = {}
    src = score.read_text(encoding="utf-8").split("# An answer is a reply")[0]  # ALIASES and its loop only
    exec(compile(src, str(score), "exec"), namespace)
    assert namespace["ALIASES"] == ALIASES
