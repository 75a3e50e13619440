"""Corpus folders -> Documents: listing, reading each file once, skipping what cannot be read."""

from __future__ import annotations

import hashlib
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from ..schema import Document
from .base import SUPPORTED, Extracted, IngestError
from .docx import read_docx
from .html import read_html
from .meta import SIDECAR_SUFFIX, read_meta
from .pdf import read_pdf
from .plain import read_md, read_txt
from .reflow import Paragraph, reflow

# Provenance notes that sit beside the documents but are not documents themselves.
_NOT_DOCUMENTS = frozenset({"SOURCES.md", "README.md"})

READERS: dict[str, Callable[[Path], Extracted]] = {
    ".txt": read_txt,
    ".md": read_md,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
}


def extract(path: Path) -> Extracted:
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; convert it to one of {', '.join(SUPPORTED)}"
        )
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    try:
        return reader(path)
    except OSError as err:
        raise IngestError(f"cannot read {path}: {err}") from err


def read_paragraphs(path: Path) -> tuple[list[Paragraph], Extracted]:
    extracted = extract(path)
    return reflow(extracted.lines), extracted


def read_text(path: Path) -> str:
    """The document's plain text: one paragraph per line, no blank lines."""
    return "\n".join(p.text for p in read_paragraphs(path)[0])


def read_document(path: Path, max_mb: float | None = None) -> Document:
    """The document at path; with max_mb, a larger file is refused before it is read."""
    path = Path(path)
    if max_mb is not None:
        _check_size(path, max_mb)
    paragraphs, extracted = read_paragraphs(path)
    text = "\n".join(p.text for p in paragraphs)
    if not text.strip():
        why = " ".join(extracted.warnings) or "it has no text to index"
        raise IngestError(f"{path} is empty: {why}")
    meta, source = read_meta(path, text)
    return Document(
        doc_id=_doc_id(path.stem),
        path=str(path),
        meta=meta,
        meta_source=source,
        text=text,
        content_hash=content_hash(text),
        page_starts=_page_starts(paragraphs),
        ocr_pages=extracted.ocr_pages,
        warnings=extracted.warnings,
    )


def _page_starts(paragraphs: list[Paragraph]) -> list[int]:
    """Offset in the text where each page's first paragraph starts, page 1 first; [] without pages."""
    if not any(p.page for p in paragraphs):
        return []
    starts: list[int] = []
    offset = 0
    for p in paragraphs:
        while p.page and len(starts) < p.page:
            starts.append(offset)
        offset += len(p.text) + 1
    return starts


def _check_size(path: Path, max_mb: float) -> None:
    try:
        size = path.stat().st_size / 2**20
    except OSError as err:  # gone since the folder was listed, or unreadable
        raise IngestError(f"cannot read {path}: {err}") from err
    if size > max_mb:
        raise IngestError(
            f"{path} is {size:.1f} MB, over the {max_mb:g} MB limit for a corpus file; split it, or raise "
            f"the limit (POLICYQA_MAX_FILE_MB={math.ceil(size)} policyqa index ...)"
        )


def content_hash(text: str) -> str:
    """sha256 of the text with white space normalised: equal content in .txt and .md hashes equal."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _doc_id(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-.\u4e00-\u9fff]", "_", stem) or "doc"


def iter_corpus_files(dirs: list[Path]) -> list[Path]:
    """Supported files under each dir, sorted within it; dirs keep their order (earlier wins)."""
    return list_corpus(dirs)[0]


def list_corpus(dirs: list[Path]) -> tuple[list[Path], list[str]]:
    """The files iter_corpus_files lists, and a warning for each link that leads outside its corpus
    folder: a corpus folder is all that indexing reads, whatever links it holds."""
    found: list[Path] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    for directory in map(Path, dirs):
        paths = _files_in(directory)
        root = directory.resolve() if directory.is_dir() else None  # a file named itself is read as named
        for path in paths:
            real = path.resolve()
            if root is not None and not real.is_relative_to(root):
                warnings.append(
                    f"skipped {path}: it links to {real}, outside the corpus folder {directory}; copy it in to index it"
                )
            elif path.is_file() and real not in seen:
                seen.add(real)
                found.append(path)
    return found, warnings


def _files_in(directory: Path) -> list[Path]:
    """The corpus path itself when it names a file, else the candidates under it (links included)."""
    try:
        if not directory.exists():
            raise IngestError(f"corpus path {directory} does not exist; check the corpus setting")
        if directory.is_file():
            if directory.suffix.lower() not in SUPPORTED:
                raise IngestError(f"{directory}: unsupported file type; supported: {', '.join(SUPPORTED)}")
            return [directory]
        if not directory.is_dir() or not os.access(directory, os.R_OK | os.X_OK):
            raise IngestError(f"corpus path {directory} is not a readable directory")
        return sorted(p for p in directory.rglob("*") if _is_candidate(p, directory))
    except OSError as err:  # a folder we may not list (permissions, a network mount gone away)
        raise IngestError(
            f"cannot read corpus path {directory} ({err}); check that it exists and you may read it"
        ) from err


def _is_candidate(path: Path, root: Path) -> bool:
    """A file of a supported type, or a link to a folder (listing does not follow it; it may lead out)."""
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        return False  # hidden files, and anything inside .git, .venv and the like
    if path.name in _NOT_DOCUMENTS or path.name.endswith(SIDECAR_SUFFIX):
        return False
    return path.suffix.lower() in SUPPORTED or (path.is_symlink() and path.is_dir())


def load_corpus(
    dirs: list[Path], progress: bool = False, max_file_mb: float | None = None
) -> tuple[list[Document], list[str]]:
    """Every readable document once, and warnings: files skipped (a bad file stops nothing, files
    over max_file_mb among them) and pages of read files that could not be read."""
    paths, warnings = list_corpus(dirs)
    if not paths:
        raise IngestError(
            f"no supported files in {', '.join(map(str, dirs))}; supported: {', '.join(SUPPORTED)}"
            + "".join(f"\n{w}" for w in warnings)
        )
    documents: list[Document] = []
    by_hash: dict[str, Document] = {}
    for path in tqdm(paths, desc="reading corpus", unit="file", disable=not progress, file=sys.stderr):
        _add_document(path, documents, by_hash, warnings, max_file_mb)
    if not documents:
        raise IngestError("no document could be read:\n" + "\n".join(warnings))
    return documents, warnings


def _add_document(
    path: Path, documents: list[Document], by_hash: dict, warnings: list[str], max_mb: float | None
) -> None:
    try:
        document = read_document(path, max_mb)
    except IngestError as err:
        warnings.append(f"skipped {path}: {err}")
        return
    first = by_hash.get(document.content_hash)
    if first is not None:
        warnings.append(f"skipped {path}: same content as {first.path}")
        return
    warnings.extend(document.warnings)
    document.doc_id = _unique_id(document.doc_id, {d.doc_id for d in documents})
    by_hash[document.content_hash] = document
    documents.append(document)


def _unique_id(doc_id: str, taken: set[str]) -> str:
    candidate, n = doc_id, 1
    while candidate in taken:
        n += 1
        candidate = f"{doc_id}-{n}"
    return candidate
