"""Corpus files (PDF, Word, HTML, text, Markdown) -> Documents whose text reads as the writer wrote it.

files -> a reader per format (lines, with page and layout where the format has them)
      -> reflow (page furniture out, wrapped lines joined, stray spaces out) -> paragraphs
      -> metadata (title, issuer, 文号, date, level, place; a sidecar overrides) -> Document
"""

from .base import SUPPORTED, Extracted, IngestError, Line
from .corpus import (
    content_hash,
    extract,
    iter_corpus_files,
    list_corpus,
    load_corpus,
    read_document,
    read_text,
)
from .meta import read_meta

__all__ = [
    "SUPPORTED",
    "Extracted",
    "IngestError",
    "Line",
    "content_hash",
    "extract",
    "iter_corpus_files",
    "list_corpus",
    "load_corpus",
    "read_document",
    "read_meta",
    "read_text",
]
