"""The bench report as text: the figures beside their floors, reading speed, and the scale tables."""

from __future__ import annotations

from ..search.faiss import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M
from ..tables import render


def num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".rstrip()


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}×"


def _dense(kind: str) -> str:
    return "exact" if kind in ("IndexFlatIP", "FLAT") else "HNSW"


def render_table(report: dict) -> str:
    m, c = report["machine"], report["corpus"]
    lines = [
        f"policyqa bench · {m['date']}",
        f"machine: {m['cpu']} · {m['cores']} cores · {m['ram_gib']} GiB RAM · Python {m['python']} · "
        f"load average (1 min) {num(m['load_start'])} at start, {num(m['load_end'])} at end",
        f"embedder: {report['embedder']} · corpus: {c['documents']} documents, {c['chars']:,} characters"
        f"{' · QUICK' if c['quick'] else ''} · every side in a fresh process of its own",
        "",
        render(
            [
                (
                    f["label"],
                    num(f["value"], f["unit"]),
                    f["floor_label"],
                    num(f["floor"], f["unit"]),
                    ratio(f["ratio"]),
                )
                for f in report["figures"].values()
            ],
            ["figure", "value", "floor (same run)", "floor value", "ratio"],
            left=(0, 2),
        ),
    ]
    reading = report.get("reading")
    if reading:
        rows = [
            (
                "PDF text layer, reflowed",
                f"{reading['pages']} pages",
                num(reading["pages_per_s"], "pages/s"),
                num(reading["embed_pages_per_s"], "pages/s"),
            )
        ]
        ocr = reading.get("ocr")
        if ocr:
            rows.append(
                (
                    "OCR (rapidocr, pages rendered at 200 dpi)",
                    f"{ocr['pages']} pages",
                    num(ocr["pages_per_s"], "pages/s"),
                    num(ocr["embed_pages_per_s"], "pages/s"),
                )
            )
        lines += [
            "",
            "reading documents, beside the bare model embedding the same pages' text:",
            render(rows, ["step", "measured on", "read", "embedding the text"]),
        ]
        if not ocr and reading.get("ocr_missing"):
            lines.append("OCR not measured: the ocr extra is not installed (pip install 'policyqa[ocr]')")
    if report["scale"]:
        lines += ["", *scale_lines(report)]
    return "\n".join(lines)


def scale_lines(report: dict) -> list[str]:
    s0 = report["scale"][0]
    lines = [
        f"scale: {report['scale_corpus']['documents']} documents copied N times, figures and names varied per copy; "
        f"{s0['questions']} questions. Embedding at scale is EXTRAPOLATED from the real model's throughput on a sample; "
        "the index is built from replayed vectors; all else is measured.",
        f"Dense search is exact up to {report['settings']['approx_over']:,} chunks, HNSW past it (M={HNSW_M}, "
        f"efConstruction={HNSW_EF_CONSTRUCTION}, efSearch={HNSW_EF_SEARCH}); a search takes the union of the dense and "
        f"BM25 best {report['settings']['candidates']} and scores each exactly. Agreement: answers equal to exact "
        "search's over the same vectors; recall@10: exact search's top 10 passages found in the store's top 10.",
    ]
    rows = []
    for s in report["scale"]:
        rows.append(
            (
                f"{s['n']}×",
                "faiss",
                f"{s['documents']:,}",
                f"{s['chunks']:,}",
                _dense(s["dense_index"]),
                num(s["build_measured_s"], "s"),
                num(s["embed_extrapolated_s"], "s"),
                num(s["index_mib"], "MiB"),
                num(s["load_s"], "s"),
                num(s["ask_p50_ms"], "ms"),
                num(s["ask_p95_ms"], "ms"),
                f"{s['agreement']:.3f}",
                f"{s['recall']:.3f}",
                num(s["peak_rss_mib"], "MiB"),
            )
        )
        mv = s.get("milvus")
        if mv:
            rows.append(
                (
                    f"{s['n']}×",
                    "milvus",
                    f"{s['documents']:,}",
                    f"{mv['chunks']:,}",
                    _dense(mv["dense_index"]),
                    num(mv["build_measured_s"], "s"),
                    num(s["embed_extrapolated_s"], "s"),
                    num(mv["index_mib"], "MiB"),
                    num(mv["load_s"], "s"),
                    num(mv["ask_p50_ms"], "ms"),
                    num(mv["ask_p95_ms"], "ms"),
                    f"{mv['agreement']:.3f}",
                    f"{mv['recall']:.3f}",
                    num(mv["peak_rss_mib"], "MiB"),
                )
            )
    lines.append(
        render(
            rows,
            [
                "N",
                "store",
                "docs",
                "chunks",
                "dense",
                "build w/o embedding",
                "embedding (EXTRAPOLATED)",
                "index",
                "load",
                "ask p50",
                "ask p95",
                "agreement",
                "recall@10",
                "peak RSS",
            ],
            left=(0, 1, 4),
        )
    )
    lines.append(
        "embedding extrapolation: "
        + "; ".join(
            f"{s['n']}× {s['embed_sample']['texts']} sampled texts at {num(s['embed_sample']['chars_per_s'])} chars/s"
            + (
                f", copy↔original cosine {s['embed_sample']['copy_cosine']:.3f} → noise {s['embed_sample']['noise']:.3f}"
                if s["embed_sample"]["copy_cosine"] is not None
                else ""
            )
            for s in report["scale"]
        )
    )
    mv = next((s["milvus"] for s in report["scale"] if "milvus" in s), None)
    if mv:
        lines.append(f"milvus: {mv['uri']}; BM25 as {mv['bm25']}")
    return lines
