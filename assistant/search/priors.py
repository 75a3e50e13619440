"""Which documents a question points to, as a score added to every chunk of a document: a named title
over a named place or level over the home documents (the user's own plan)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..question import Question

PLACE_PRIOR = 0.3
HOME_PRIOR = 0.5
TITLE_PRIOR = 0.5


def doc_priors(
    question: Question, doc_place: Mapping[str, str], doc_level: Mapping[str, str], home_place: str
) -> dict[str, float]:
    prior: dict[str, float] = {}
    for doc_id, place in doc_place.items():
        home = bool(place) and place == home_place
        if question.title_docs:
            prior[doc_id] = TITLE_PRIOR if doc_id in question.title_docs else 0.0
        elif question.places:
            prior[doc_id] = PLACE_PRIOR if place in question.places else 0.0
        elif question.levels:  # 全市 / 省里: that level's documents, the home one first (全市 in its own plan)
            of_level = doc_level.get(doc_id) in question.levels
            prior[doc_id] = (HOME_PRIOR if home else PLACE_PRIOR) if of_level else 0.0
        else:
            prior[doc_id] = HOME_PRIOR if home else 0.0
    return prior


def preferred(prior: dict[str, float]) -> set[str]:
    """The documents with the highest prior, if any has one."""
    top = max(prior.values(), default=0.0)
    return {d for d, p in prior.items() if top > 0 and p == top}
