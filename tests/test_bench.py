"""policyqa bench on a tiny corpus with the keyword embedder: what the report holds, never its timings."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.bench import FIGURES, bench_command, canonical, render_table, replica
from assistant.search.faiss import build_faiss, is_exact
from assistant.chunk import chunk_document
from assistant.parse import parse_document

DOC_A = """江阴市节能降碳工作方案
江阴市人民政府｜澄政发〔2023〕12号｜2023年3月1日
为推动江阴市绿色低碳发展，制定本方案。
一、总体要求
（一）主要目标。到2025年，江阴市单位地区生产总值能耗下降14%，非化石能源消费比重达到12%。到2030年，太阳能发电装机容量达到1400兆瓦。
二、重点任务
（一）能源结构调整。
1.加快发展光伏。全面推进分布式光伏建设，到2025年新增光伏装机300兆瓦。（市发改委牵头，市工信局、供电公司按职责分工负责）
2.控制煤炭消费。严格控制煤炭消费增长，到2025年煤炭消费量控制在1500万吨以内。（市发改委、市生态环境局按职责分工负责）
（二）工业降碳。
1.推动钢铁行业节能。实施节能改造项目20个，年节约标准煤10万吨。（市工信局牵头）
2.发展循环经济。到2025年，工业固体废物综合利用率达到95%以上。
三、保障措施
加强组织领导，建立江阴市碳达峰工作领导小组，每年召开2次会议。
"""
DOC_B = """江苏省绿色建筑发展意见
江苏省住房和城乡建设厅｜苏建科〔2021〕8号｜2021年6月5日
为推进江苏省城乡建设绿色发展，提出如下意见。
一、发展目标
到2025年，城镇新建建筑全面执行绿色建筑标准，星级绿色建筑占比达到30%。南京、苏州等城市率先达到40%。
二、主要任务
（一）提升建筑能效。新建居住建筑节能率达到75%。推广超低能耗建筑500万平方米。（省住房城乡建设厅牵头）
（二）推广可再生能源。到2025年，新增太阳能光热建筑应用面积3000万平方米。（省住房城乡建设厅、省发展改革委按职责分工负责）
（三）发展装配式建筑。装配式建筑占新建建筑比例达到50%。
三、组织实施
各设区市于每年12月底前报送工作进展。
"""
QUESTIONS = ["到2030年太阳能发电装机容量目标是多少?", "谁负责光伏建设?", "装配式建筑比例要达到多少?"]
APPROX_OVER = 60  # the two documents make 17 chunks: exact at 1x, HNSW at 10x


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(DOC_A, encoding="utf-8")
    (corpus / "b.txt").write_text(DOC_B, encoding="utf-8")
    questions = root / "questions.jsonl"
    questions.write_text("".join(json.dumps({"id": str(i), "question": q}, ensure_ascii=False) + "\n"
                                 for i, q in enumerate(QUESTIONS)), encoding="utf-8")
    return corpus, questions


@pytest.fixture(scope="module")
def report(tiny_corpus) -> dict:
    corpus, questions = tiny_corpus
    args = ["--json", "--quick", "--quiet", "--corpus", str(corpus), "--questions", str(questions),
            "--embedder", "keyword", "--approx-over", str(APPROX_OVER), "--store", "milvus", "--users", "2",
            "--serve-seconds", "3"]
    result = CliRunner().invoke(bench_command, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_every_figure_has_its_floor_and_a_positive_ratio(report):
    assert set(report["figures"]) == set(FIGURES)
    for key, fig in report["figures"].items():
        assert fig["value"] > 0 and fig["floor"] > 0, key
        assert isinstance(fig["ratio"], float) and fig["ratio"] > 0, key
        assert fig["label"] and fig["floor_label"] and fig["unit"], key
    # each floor says how it was measured: the bare model in a process of its own
    assert all("own process" in how for how in report["floors"].values())
    assert report["figures"]["ask_p50_ms"]["floor_label"] == report["floors"]["query"]
    # each side of the ask ratio is its median over the runs (one in --quick), every run kept in the report
    ask = report["details"]["ask"]
    assert len(ask["runs"]) == 1 and ask["p50_ms"] == ask["runs"][0]["p50_ms"] > 0
    assert ask["bare_p50_ms"] == ask["runs"][0]["bare_p50_ms"] > 0
    assert "median of 1" in report["figures"]["ask_p50_ms"]["label"]


@pytest.mark.slow
def test_the_build_floor_embeds_the_corpus_text_once_in_short_passages(report):
    build = report["details"]["build"]
    assert build["chars"] >= sum(len(d.replace("\n", "")) for d in (DOC_A, DOC_B)) * 0.9
    assert build["bare_passages"] >= build["chars"] / 200  # passages of about 200 characters, none longer
    assert build["chars"] <= build["bare_passages"] * 200


@pytest.mark.slow
def test_report_names_the_machine_and_what_was_measured(report):
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["ram_gib"] > 0 and machine["cpu"] and machine["python"] and machine["date"]
    assert report["corpus"]["documents"] == 2 and report["questions"]["count"] == len(QUESTIONS)
    assert report["embedder"].startswith("keyword")
    assert report["command"].startswith("policyqa bench --corpus ") and "--quick" in report["command"]


@pytest.mark.slow
def test_incremental_rebuild_embeds_only_what_changed(report):
    incremental = report["details"]["incremental"]
    assert incremental["changed"] == ["a"]
    assert 0 < incremental["embedded"] < report["details"]["build"]["embedded"]


@pytest.mark.slow
def test_the_app_served_every_request_from_its_own_process(report):
    serve = report["details"]["serve"]
    assert serve["users"] == 2 and serve["requests"] > 0 and serve["per_s"] > 0


@pytest.mark.slow
def test_quick_scales_one_and_ten_with_ten_times_the_chunks(report):
    one, ten = report["scale"]
    assert (one["n"], ten["n"]) == (1, 10)
    assert ten["documents"] == 10 * one["documents"]
    assert 9 * one["chunks"] <= ten["chunks"] <= 11 * one["chunks"]
    # every copy traced to its original, but a lexicon word a varied place name made new (well under 1%)
    assert ten["replayed"]["missed"] <= ten["replayed"]["copy"] / 100 and ten["replayed"]["copy"] > 0
    for row in (one, ten):
        assert row["index_mib"] > 0 and row["ask_p50_ms"] > 0 and row["build_measured_s"] > 0
        assert row["embed_extrapolated_s"] > 0 and row["embed_sample"]["texts"] > 0


@pytest.mark.slow
def test_past_the_threshold_the_index_is_approximate_and_agrees_with_exact_search(report):
    one, ten = report["scale"]
    assert one["dense_index"] == "IndexFlatIP" and one["chunks"] <= APPROX_OVER
    assert ten["dense_index"] == "IndexHNSWFlat" and ten["chunks"] > APPROX_OVER
    assert one["agreement"] == one["recall"] == 1.0  # exact at 1x: the same search
    assert 0.0 <= ten["agreement"] <= 1.0 and 0.0 <= ten["recall"] <= 1.0
    assert report["settings"]["approx_over"] == APPROX_OVER


@pytest.mark.slow
def test_with_store_milvus_each_scale_has_milvus_figures_beside_faiss(report):
    for row in report["scale"]:
        milvus = row["milvus"]
        assert milvus["chunks"] == row["chunks"] and milvus["questions"] == len(QUESTIONS)
        assert milvus["build_measured_s"] > 0 and milvus["chunks_per_s"] > 0 and milvus["load_s"] > 0
        assert 0 < milvus["ask_p50_ms"] <= milvus["ask_p95_ms"] and milvus["peak_rss_mib"] > 0 and milvus["index_mib"] > 0
        assert 0.0 <= milvus["agreement"] <= 1.0 and 0.0 <= milvus["recall"] <= 1.0
        assert "exact_answers" not in row and "exact_tops" not in row  # compared, not reported
    one, ten = report["scale"]
    assert one["milvus"]["dense_index"] == "FLAT" and ten["milvus"]["dense_index"] == "HNSW"  # as FAISS, past approx_over
    assert one["milvus"]["agreement"] == 1.0  # both exact at 1x: the same answers
    assert report["settings"]["store"] == "milvus"
    table = render_table(report)
    assert "milvus: Milvus Lite (embedded)" in table
    assert sum(line.split()[1:2] == ["milvus"] for line in table.splitlines()) == 2


@pytest.mark.slow
def test_table_labels_the_extrapolation_and_gives_each_floor(report):
    table = render_table(report)
    assert "EXTRAPOLATED" in table and "recall@10" in table and "agreement" in table and "cores" in table
    for fig in report["figures"].values():
        assert fig["floor_label"] in table


def _structure(doc):
    clauses = parse_document(doc)
    chunks = chunk_document(doc, clauses, 360, 80)
    return [(c.kind, c.depth, c.label, c.path) for c in clauses], [(c.clause_id.split("#")[1], c.start, c.end) for c in chunks]


def test_copies_vary_figures_and_names_but_parse_into_the_same_clauses(jiangyin):
    doc, _ = jiangyin
    copies = [replica(doc, i) for i in range(1, 6)]
    assert len({c.content_hash for c in copies} | {doc.content_hash}) == 6
    for copy in copies:
        assert copy.text != doc.text and "江阴" not in copy.text and "江阴" not in copy.meta.title
        assert copy.meta.place != "江阴"
        assert _structure(copy) == _structure(doc)
        assert canonical(copy.text) == canonical(doc.text)
    assert replica(doc, 0) is doc


def test_copies_are_deterministic(jiangyin):
    doc, _ = jiangyin
    assert replica(doc, 7).text == replica(doc, 7).text != replica(doc, 8).text


def test_build_faiss_switches_to_hnsw_past_the_threshold_and_finds_the_nearest_vector():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert is_exact(build_faiss(vectors, approximate_over=200))
    approx = build_faiss(vectors, approximate_over=199)
    assert not is_exact(approx)
    _, ids = approx.search(vectors[3:4], 5)
    assert ids[0][0] == 3


@pytest.mark.slow
def test_policyqa_report_rewrites_only_the_readme_section_from_real_eval_and_bench_output(tiny_corpus, report, tmp_path,
                                                                                          monkeypatch):
    from assistant.report import END, START, report_command

    corpus, _ = tiny_corpus
    monkeypatch.setenv("POLICYQA_EMBEDDER", "keyword")
    monkeypatch.setenv("POLICYQA_EVAL_INDEX_DIR", str(tmp_path / "eval-index"))
    saved = tmp_path / "bench.json"
    saved.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    questions = tmp_path / "set.jsonl"
    rows = [{"id": "s1", "type": "target", "question": QUESTIONS[0], "evidence": ["太阳能发电装机容量达到1400兆瓦"],
             "answer_all": ["1400兆瓦"]},
            {"id": "s2", "type": "out_of_scope", "question": "江阴市明天的天气怎么样?", "abstain": True}]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nintro\n\n## Quality and speed\n\n{START}\nold figures\n{END}\n\n## After\nkept\n",
                      encoding="utf-8")
    args = ["--readme", str(readme), "--bench", str(saved), "--set", str(questions), "--corpus", str(corpus),
            "--index", str(tmp_path / "index"), "--quiet"]
    result = CliRunner().invoke(report_command, args)
    assert result.exit_code == 0, result.output
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# title\n\nintro\n\n## Quality and speed\n\n") and text.endswith(f"{END}\n\n## After\nkept\n")
    assert "old figures" not in text
    section = text[text.index(START):text.index(END)]
    assert report["machine"]["date"][:10] in section and report["machine"]["cpu"] in section
    assert "policyqa eval --baseline" in section and report["command"] in section
    assert "policyqa " in section and "baseline " in section  # both systems' rows
    assert render_table(report).splitlines()[5] in section
    assert "2 questions" in section

    readme.write_text("# no markers\n", encoding="utf-8")
    result = CliRunner().invoke(report_command, args)
    assert result.exit_code == 1 and "quality-and-speed:start" in result.output
    assert readme.read_text(encoding="utf-8") == "# no markers\n"
