"""The Milvus chunk store against Milvus Lite (embedded, the client API a server has), in tmp_path:
the same answers as the FAISS store, scope filters in the engine, incremental rebuilds, a server URI
passed through, and BM25 sparse vectors that score as bm25s does."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.embed import KeywordEmbedder
from assistant.indexer import build_index
from assistant.pipeline import Assistant
from assistant.schema import Scope
from assistant.settings import Settings
from assistant.store import IndexLoadError, IndexWriteError, read_manifest
from conftest import plan_corpus

pytest.importorskip("pymilvus", reason="pymilvus is not installed: pip install -e '.[milvus]'")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed: pip install -e '.[milvus]'")

from assistant.search.milvus import BM25Stats, lite_path, public_uri  # noqa: E402

pytestmark = pytest.mark.slow  # Milvus Lite servers

PLAN = Path(__file__).resolve().parents[1] / "corpus" / "jiangyin_carbon_peak_plan_draft.txt"
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
PROVINCE = """江苏省测试方案
一、总体要求
（一）指导思想。推进绿色低碳发展，构建清洁低碳安全高效的能源体系。
二、主要目标
到2025年，全省光伏装机达到3000万千瓦以上。（省发展改革委牵头，省工业和信息化厅等部门按职责分工负责）
三、保障措施
加强统筹协调，每年开展一次评估。
"""
QUESTION = "到2030年太阳能发电装机容量目标是多少?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The plan (市) and a small provincial document (省)."""
    meta = {"title": "江苏省测试方案", "level": "省", "place": "江苏"}
    return plan_corpus(tmp_path / "corpus", {"province.txt": PROVINCE,
                                             "province.meta.json": json.dumps(meta, ensure_ascii=False)})


def milvus_settings(corpus: Path | list[Path], index_dir: Path, **extra) -> Settings:
    return Settings(corpus=corpus if isinstance(corpus, list) else [corpus], index_dir=index_dir, store="milvus", **extra)


def client_of(index_dir: Path):
    from pymilvus import MilvusClient

    return MilvusClient(uri=str(lite_path(index_dir)))


def collection_of(index_dir: Path) -> str:
    return read_manifest(index_dir)["store"]["collection"]


def row_count(index_dir: Path) -> int:
    return int(client_of(index_dir).query(collection_of(index_dir), filter="", output_fields=["count(*)"])[0]["count(*)"])


def dev_questions() -> list[str]:
    files = [SHARED_EVAL / "dev.jsonl", SHARED_EVAL / "dev_multidoc.jsonl"]
    if not all(f.is_file() for f in files):
        pytest.skip("../shared/eval is absent: these tests need the shared question sets beside the project")
    return [json.loads(line)["question"] for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def answers(assistant: Assistant, questions: list[str]) -> tuple[list[tuple], np.ndarray]:
    """(found, answer, passages) of each question, and the passages' fused scores."""
    asked = [assistant.ask(q) for q in questions]
    return ([(a.found, a.answer, [(c.doc_id, c.clause) for c in a.retrieved]) for a in asked],
            np.array([c.score for a in asked for c in a.retrieved]))


def assert_same(ours: tuple[list[tuple], np.ndarray], theirs: tuple[list[tuple], np.ndarray]) -> None:
    assert ours[0] == theirs[0]
    assert np.allclose(ours[1], theirs[1], atol=1e-4)


@pytest.mark.shared
def test_answers_on_the_dev_sets_are_the_faiss_stores(shared_corpus, tmp_path):
    corpus = [PLAN.parent, shared_corpus]
    faiss_settings = Settings(corpus=corpus, index_dir=tmp_path / "faiss")
    build_index(faiss_settings, KeywordEmbedder())
    build_index(milvus_settings(corpus, tmp_path / "milvus"), KeywordEmbedder())
    faiss = Assistant.load(tmp_path / "faiss", faiss_settings, KeywordEmbedder())
    milvus = Assistant.load(tmp_path / "milvus", milvus_settings(corpus, tmp_path / "milvus"), KeywordEmbedder())
    assert milvus.data.dense is None and milvus.data.bm25 is None  # searched in Milvus, not in the folder
    questions = dev_questions()
    assert_same(answers(milvus, questions), answers(faiss, questions))  # found, answer, passages and their fused scores


@pytest.mark.integration
def test_with_the_real_model_the_plans_dev_answers_are_the_faiss_stores(assistant, plan_index, tmp_path):
    """The session's e5 index over the plan, rebuilt into Milvus from its own vectors (nothing is embedded)."""
    index_dir = tmp_path / "index"
    shutil.copytree(plan_index, index_dir)
    settings = milvus_settings(PLAN.parent, index_dir)
    report = build_index(settings, assistant.embedder)
    assert report.embedded == 0 and read_manifest(index_dir)["store"]["kind"] == "milvus"
    milvus = Assistant.load(index_dir, settings, assistant.embedder)
    questions = dev_questions()
    assert_same(answers(milvus, questions), answers(assistant, questions))


def test_manifest_records_the_store_without_secrets_and_the_bm25_it_used(corpus, tmp_path):
    index_dir = tmp_path / "index"
    build_index(milvus_settings(corpus, index_dir), KeywordEmbedder())
    manifest = read_manifest(index_dir)
    store = manifest["store"]
    assert store["kind"] == "milvus" and store["lite"] and store["collection_base"] == "policyqa"
    assert store["collection"].startswith("policyqa_") and client_of(index_dir).list_collections() == [store["collection"]]
    assert store["uri"] == str(lite_path(index_dir)) and store["dense_index"] == "FLAT"
    assert "sparse vectors from policyqa's tokens" in store["bm25"]
    assert store["rows"] == store["rows_written"] == row_count(index_dir) > 100
    assert not (index_dir / "dense.faiss").exists() and not (index_dir / "bm25").exists()
    assert public_uri("https://root:secret@milvus.example:19530/db") == "https://milvus.example:19530/db"


def test_scope_filters_run_in_the_engine(corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    settings = milvus_settings(corpus, index_dir)
    build_index(settings, KeywordEmbedder())
    assistant = Assistant.load(index_dir, settings, KeywordEmbedder())
    backend = assistant.retriever.backend
    filters = []
    search = backend.client.search
    monkeypatch.setattr(backend.client, "search", lambda *a, **kw: filters.append(kw["filter"]) or search(*a, **kw))

    hits = assistant.search("光伏装机达到多少?", k=8, scope=Scope(levels={"省"}))
    assert hits and {h.chunk.level for h in hits} == {"省"}
    assert 'level in ["省"]' in filters
    # the scoped candidates all come from the engine already filtered: the province has only a few chunks
    scored = backend.candidates(assistant.retriever.embed_query(assistant.read("光伏装机")), ["光伏"], Scope(levels={"省"}), 8)
    assert {assistant.data.chunks[i].level for i in scored.rows} == {"省"}

    filters.clear()
    hits = assistant.search(QUESTION, k=8, scope=Scope(doc_ids={"province"}))
    assert hits and {h.chunk.doc_id for h in hits} == {"province"}
    assert 'doc_id in ["province"]' in filters

    filters.clear()
    assert assistant.search(QUESTION, k=8, scope=Scope(doc_ids={'x"] or doc_id != "'})) == []
    assert filters == []  # ids that are not indexed never reach the engine


def test_a_rebuild_writes_and_deletes_only_the_changed_documents_rows(corpus, tmp_path):
    index_dir = tmp_path / "index"
    settings = milvus_settings(corpus, index_dir)
    first = build_index(settings, KeywordEmbedder())
    chunks = len(Assistant.load(index_dir, settings, KeywordEmbedder()).data.chunks)
    assert read_manifest(index_dir)["store"]["rows_written"] == chunks == first.chunks

    again = build_index(settings, KeywordEmbedder())
    store = read_manifest(index_dir)["store"]
    assert again.embedded == 0 and store["rows_written"] == store["rows_deleted"] == 0

    (corpus / "province.txt").write_text(PROVINCE.replace("3000万千瓦", "3500万千瓦"), encoding="utf-8")
    changed = build_index(settings, KeywordEmbedder())
    store = read_manifest(index_dir)["store"]
    assert changed.changed == ["province"]
    assert 0 < store["rows_written"] == store["rows_deleted"] <= 3  # the changed passages, not the plan
    assert row_count(index_dir) == chunks
    answer = Assistant.load(index_dir, settings, KeywordEmbedder()).ask("全省光伏装机到2025年达到多少?")
    assert "3500万千瓦" in answer.answer

    (corpus / "province.txt").unlink()
    (corpus / "province.meta.json").unlink()
    removed = build_index(settings, KeywordEmbedder())
    store = read_manifest(index_dir)["store"]
    assert removed.removed == ["province"] and store["rows_written"] == 0
    assert store["rows_deleted"] == chunks - store["rows"] > 0
    assert row_count(index_dir) == store["rows"]


def test_rows_a_killed_build_left_are_swept_by_the_next(corpus, tmp_path):
    index_dir = tmp_path / "index"
    settings = milvus_settings(corpus, index_dir)
    build_index(settings, KeywordEmbedder())
    rows = row_count(index_dir)
    stray = {"pk": "0" * 40, "doc_id": "gone", "level": "", "chunk_id": "gone#x", "dense": [0.0] * 255 + [1.0], "sparse": {7: 1.0}}
    client_of(index_dir).insert(collection_of(index_dir), [stray])
    assert row_count(index_dir) == rows + 1
    build_index(settings, KeywordEmbedder())
    assert row_count(index_dir) == rows


def test_a_full_rewrite_goes_to_a_new_collection_and_drops_the_old_only_once_the_index_is_in_place(corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    settings = milvus_settings(corpus, index_dir)
    build_index(settings, KeywordEmbedder())
    first = collection_of(index_dir)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed between writing Milvus and swapping the folder")

    # past approx_over the dense index becomes HNSW: every row is rewritten, into a new collection
    hnsw = milvus_settings(corpus, index_dir, approx_over=10)
    monkeypatch.setattr("assistant.indexer.save_index", killed)
    with pytest.raises(KeyboardInterrupt):
        build_index(hnsw, KeywordEmbedder())
    assert first in client_of(index_dir).list_collections()  # the previous index still answers
    assert "3000万千瓦" in Assistant.load(index_dir, settings, KeywordEmbedder()).ask("全省光伏装机到2025年达到多少?").answer
    monkeypatch.undo()

    build_index(hnsw, KeywordEmbedder())
    store = read_manifest(index_dir)["store"]
    assert store["dense_index"] == "HNSW" and store["collection"] != first
    assert client_of(index_dir).list_collections() == [store["collection"]]  # the old and the killed build's: dropped
    assert "3000万千瓦" in Assistant.load(index_dir, hnsw, KeywordEmbedder()).ask("全省光伏装机到2025年达到多少?").answer


def test_a_server_uri_goes_to_the_client_unchanged(corpus, tmp_path, monkeypatch):
    import pymilvus

    seen = {}

    class Refusing:
        def __init__(self, **kwargs):
            seen.update(kwargs)
            raise ConnectionError("no server here")

    monkeypatch.setattr(pymilvus, "MilvusClient", Refusing)
    uri = "http://milvus.internal:19530"
    settings = milvus_settings(corpus, tmp_path / "index", milvus_uri=uri, milvus_token="root:Milvus")
    with pytest.raises(IndexWriteError, match="cannot open Milvus at http://milvus.internal:19530.*server up"):
        build_index(settings, KeywordEmbedder())
    assert seen == {"uri": uri, "token": "root:Milvus"}
    assert not (tmp_path / "index").exists()


def test_without_pymilvus_the_message_says_what_to_install(corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(IndexWriteError, match=r"pip install -e '\.\[milvus\]'"):
        build_index(milvus_settings(corpus, tmp_path / "index"), KeywordEmbedder())


def test_an_unknown_store_is_refused_with_the_choices(corpus, tmp_path):
    with pytest.raises(IndexWriteError, match="POLICYQA_STORE.*faiss, milvus"):
        build_index(Settings(corpus=[corpus], index_dir=tmp_path / "index", store="elastic"), KeywordEmbedder())


def test_a_missing_collection_is_refused_with_what_to_run(corpus, tmp_path):
    index_dir = tmp_path / "index"
    settings = milvus_settings(corpus, index_dir)
    build_index(settings, KeywordEmbedder())
    client_of(index_dir).drop_collection(collection_of(index_dir))
    with pytest.raises(IndexLoadError, match="not there: run `policyqa index`"):
        Assistant.load(index_dir, settings, KeywordEmbedder())


def test_bm25_sparse_vectors_score_as_bm25s():
    import bm25s

    docs = [["光伏", "发电", "光", "伏", "发", "电", "光伏"], ["煤炭", "消费", "煤", "炭"], ["光伏", "建筑", "光", "伏"], ["储能", "电站"]]
    bm25 = bm25s.BM25()
    bm25.index(docs, show_progress=False)
    stats = BM25Stats.of(docs)
    for query in (["光伏"], ["光伏", "光伏", "电"], ["煤炭", "储能", "光"]):
        q = stats.query(query)
        ours = [sum(w * stats.document(d).get(i, 0.0) for i, w in q.items()) for d in docs]
        assert np.allclose(ours, bm25.get_scores(query), rtol=1e-5)
