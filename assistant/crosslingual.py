"""An English question read in the corpus's own Chinese terms, through the multilingual dense model; a
Chinese word the documents never use read the same way.

Each English word or two-word phrase of the question (function words aside) is embedded as a query; the
index holds the corpus's subject words (headings, target indicators, its own terms) embedded once at
build time (indexer.lexicon). A phrase takes the word it is closest to, when that is clearly closer than
the rest. The words found give BM25 and the answer's coverage features something to match, as a Chinese
question's own words would. No word list is written for this: the words come from the corpus, the
pairing from the model.
"""

from __future__ import annotations

import re

import numpy as np

TITLE_MARGIN = 0.01  # cosine by which the title an English naming phrase is closest to must beat the next
MARGIN = 4.0  # how many standard deviations above the phrase's mean similarity its word must stand
SURE = 5.0  # ...for one pairing alone to show the question is about the corpus (else two are needed)
# English function words: the closed class that carries no subject matter
_FUNCTION = frozenset(
    """a an the of in on at to for by with from into and or but is are was were be been being
will would shall should can could may might must do does did what which who whom whose when where why how much many
there their its it this that these those have has had get gets set sets reach reached achieve plan plans planned
under per than as about any all each other such more most new also so if not no yes please tell me we our us you
your they them he she his her i my by until before after over s percent""".split()
)


# an English question naming its document: "According to the State Council's Action Plan for …", "In the
# Jiangsu Department of Ecology and Environment's 2022 work plan, …" (a kind of document ends the name)
_NAMING = re.compile(
    r"(?i)\b(?:according to|under|in|from|per)\s+(?:the\s+|its\s+)?"
    r"((?:[\w'’\-]+\s+){0,14}?(?:plan|opinions?|measures|regulations?|programme|program|scheme|notice|guidelines?"
    r"|guidance|rules)\b(?:\s+(?:for|on|of|to)\s+[^,?;]{3,80})?)"
)


def named_document(text: str, titles: dict[str, np.ndarray], embedder) -> tuple[str, str]:
    """The document an English question names by a phrase that ends in a kind of document (…Action Plan
    for Carbon Dioxide Peaking Before 2030), as the multilingual model pairs that phrase with the titles'
    vectors: the closest, when it is closer than the next by TITLE_MARGIN, and the phrase; else ("", "")."""
    m = _NAMING.search(text)
    if not m or len(titles) < 2:
        return "", ""
    docs = list(titles)
    sims = np.array([titles[d] for d in docs]) @ embedder.embed_queries([m.group(1)])[0]
    first, second = np.argsort(-sims)[:2]
    return (docs[int(first)], m.group(1)) if sims[first] - sims[second] >= TITLE_MARGIN else ("", "")


def english_phrases(text: str) -> list[str]:
    """Content words of an English question, and each pair of neighbouring ones."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z\-']*", text.lower()) if w not in _FUNCTION and len(w) > 1]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def pairings(phrases: list[str], lexicon: list[str], vectors: np.ndarray, embedder) -> dict[str, float]:
    """The corpus word each phrase is clearly closest to (MARGIN standard deviations above the phrase's
    mean similarity to the lexicon), with that margin."""
    if not phrases or not lexicon or len(vectors) != len(lexicon):
        return {}
    sims = embedder.embed_queries(phrases) @ vectors.T
    found: dict[str, float] = {}
    for row in sims:
        j = int(np.argmax(row))
        z = float((row[j] - row.mean()) / (row.std() or 1.0))
        if z >= MARGIN:
            found[lexicon[j]] = max(z, found.get(lexicon[j], 0.0))
    return found


def corpus_terms(text: str, lexicon: list[str], vectors: np.ndarray, embedder) -> list[str]:
    """The corpus words the English question's phrases stand for."""
    found = pairings(english_phrases(text), lexicon, vectors, embedder)
    sure = max(found.values(), default=0.0) >= SURE or len(found) >= 2
    return list(found) if sure else []  # one weak pairing is chance (svg -> 方式), not understanding


def stand_ins(words: list[str], lexicon: list[str], vectors: np.ndarray, embedder) -> list[str]:
    """For Chinese words the documents never use (烧煤), the corpus words they clearly stand for (煤电,
    散煤); none for words of another subject (明天, 下雨)."""
    return list(pairings(words, lexicon, vectors, embedder))
