"""Documents of ../shared/corpus set as a government office publishes them (tests/published.py: a
font the file names but does not embed, a larger title broken into two even lines, lines wrapped
mid-sentence, digits set off by spaces, page numbers, a running header, justified lines) read back as
their clean text files: the same titles and places, the same clause trees and clause texts, and the
plan's dev questions get the same answers from either copy."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from assistant.ingest import read_document
from assistant.parse import parse_document

from published import publish

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# the documents with no published PDF in ../shared/realdocs, and how each is set
SET_AS = {
    "jiangsu_carbon_peak_implementation_plan": ("江苏省人民政府文件", False),
    "jiangsu_eco_env_dept_2022_carbon_work_plan": ("", True),
    "nanjing_jiangbei_new_area_carbon_peak_neutrality_action_plan_trial": ("江北新区管委会公报", True),
    "jiangsu_cpc_gov_opinions_high_quality_carbon_peak_neutrality": ("", False),
}

pytestmark = pytest.mark.shared


def bare(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize("stem", sorted(SET_AS))
def test_a_published_copy_reads_as_its_clean_text(shared_corpus, tmp_path, stem):
    source = shared_corpus / f"{stem}.txt"
    header, justify = SET_AS[stem]
    pdf = read_document(publish(source, tmp_path / f"{stem}.pdf", header, justify))
    txt = read_document(source)
    assert (pdf.meta.title, pdf.meta.level, pdf.meta.place) == (txt.meta.title, txt.meta.level, txt.meta.place)
    pdf_clauses, txt_clauses = parse_document(pdf), parse_document(txt)
    body = lambda cs: [(c.path, c.heading) for c in cs if c.kind not in ("preamble", "closing")]  # noqa: E731
    assert body(pdf_clauses) == body(txt_clauses)
    pdf_text = {c.path: bare(c.text) for c in pdf_clauses}
    same = [c for c in txt_clauses if c.kind not in ("preamble", "closing") and pdf_text.get(c.path) == bare(c.text)]
    assert len(same) >= 0.9 * len(body(txt_clauses))  # (pdfium drops a 。 left alone on a paragraph's last row)
    # each clause keeps its lines: no line break inside a sentence, none lost between paragraphs
    lines = {c.path: [bare(t) for t in c.text.splitlines() if t.strip()] for c in pdf_clauses}
    kept = [c for c in txt_clauses if len(lines.get(c.path, [])) == len([t for t in c.text.splitlines() if t.strip()])]
    assert len(kept) >= 0.95 * len(txt_clauses)
    assert "— 1 —" not in pdf.text and (not header or header not in pdf.text)


@pytest.mark.slow
@pytest.mark.integration
def test_the_plan_published_answers_its_dev_questions_as_the_text_does(plan_index, tmp_path):
    """The plan as a PDF, indexed with the bundled e5 model, answers the dev questions as the project's
    text file does (the plan's own sidecar of metadata set beside both)."""
    from assistant.embed import make_embedder
    from assistant.indexer import build_index
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

    dev = SHARED / "eval" / "dev.jsonl"
    if not dev.is_file():
        pytest.skip("../shared/eval is absent")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    plan = ROOT / "corpus" / "jiangyin_carbon_peak_plan_draft.txt"
    publish(plan, corpus / "jiangyin_carbon_peak_plan_draft.pdf")
    sidecar = plan.with_suffix(".meta.json")
    (corpus / "jiangyin_carbon_peak_plan_draft.pdf.meta.json").write_text(sidecar.read_text(encoding="utf-8"))
    settings = Settings(corpus=[corpus], index_dir=tmp_path / "index", embedder="e5")
    embedder = make_embedder("e5")
    build_index(settings, embedder)
    published, text = Assistant.load(settings.index_dir, settings, embedder), Assistant.load(plan_index)
    questions = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    differ = []
    for q in questions:
        a, b = published.ask(q["question"]), text.ask(q["question"])
        if (a.found, bare(a.answer)) != (b.found, bare(b.answer)):
            differ.append(q["id"])
    assert len(differ) <= 0.04 * len(questions), differ
