"""ingest: every format read from small files made here, plus the real corpora."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import need_chinese_font

from assistant.ingest import (
    SUPPORTED,
    IngestError,
    content_hash,
    iter_corpus_files,
    load_corpus,
    read_document,
    read_meta,
    read_text,
)

PROJECT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

TITLE = "江阴市碳达峰实施方案"
CLAUSES = [
    "一、总体要求",
    "（一）指导思想。以习近平新时代中国特色社会主义思想为指导，坚持“全国统筹、节约优先”的总方针。",
    "1.加快推进产业结构调整，到2025年，单位地区生产总值能耗比2020年下降14.5%。",
    "二、主要目标",
]
PLAIN = "\n".join([TITLE, *CLAUSES])


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def assert_in_order(text: str, expected: list[str]) -> None:
    """Each expected line is a whole line of text, and they come in this order."""
    lines = text.split("\n")
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions), (positions, lines)


# --------------------------------------------------------------------------- formats


def test_txt_keeps_clause_lines_verbatim(tmp_path):
    source = f"\n\n\u3000\u3000{TITLE}  \r\n\r\n" + "\r\n\r\n".join(f"\u3000\u3000{c}\u3000" for c in CLAUSES)
    text = read_text(write(tmp_path / "plan.txt", source))
    assert text == PLAIN  # indents and blank lines gone, full-width punctuation untouched


def test_md_drops_markup_and_keeps_numbering(tmp_path):
    source = (
        f"# {TITLE}\n\n## {CLAUSES[0]}\n\n"
        "（一）**指导思想**。以[习近平新时代中国特色社会主义思想](http://example.gov.cn/x)为指导。\n"
        f"{CLAUSES[2]}\n\n"
        "1. 推进煤电机组节能改造\n2. 发展新型储能\n\n"
        "- 项目一\n\n"
        "| 指标 | 目标值 |\n|---|---|\n| 非化石能源占比 | 20% |\n\n"
        "```\n代码行\n```\n"
    )
    text = read_text(write(tmp_path / "plan.md", source))
    assert_in_order(text, [
        TITLE, CLAUSES[0], "（一）指导思想。以习近平新时代中国特色社会主义思想为指导。", CLAUSES[2],
        "1.推进煤电机组节能改造", "2.发展新型储能", "项目一", "指标 | 目标值", "非化石能源占比 | 20%",
        "代码行",
    ])
    for markup in ("#", "**", "http://", "```", "- "):
        assert markup not in text


def test_docx_paragraphs_and_table_rows_in_document_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading(TITLE, level=1)
    for clause in CLAUSES[:3]:
        document.add_paragraph(clause)
    table = document.add_table(rows=2, cols=3)
    for cell, value in zip(table.rows[0].cells, ["指标", "2025年", "2030年"]):
        cell.text = value
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "非化石能源消费比重"
    table.cell(1, 2).text = "25%"
    document.add_paragraph(CLAUSES[3])
    path = tmp_path / "plan.docx"
    document.save(str(path))

    text = read_text(path)
    # a row stays one line, its cells apart; a merged cell is listed once
    assert_in_order(text, [TITLE, *CLAUSES[:3], "指标 | 2025年 | 2030年", "非化石能源消费比重 | 25%", CLAUSES[3]])


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # built-in CID font: no font file needed
    pdf = canvas.Canvas(str(path))
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 11)
        for row, line in enumerate(lines):
            pdf.drawString(60, 790 - 20 * row, line)
        pdf.drawString(290, 40, f"- {number} -")  # footer page number
        pdf.showPage()
    pdf.save()
    return path


def test_the_text_block_is_where_body_size_lines_run():
    """Made-up rows: a title set larger, wider than the body (here running past both margins), moves
    neither edge of the text block, so the body's full rows still reach it."""
    from assistant.ingest.pdf import _Run, _text_block

    body = [_Run("为深入贯彻落实党中央、国务院关于碳达峰", 80.0, 515.0, 700.0 - 27 * i, 15.5) for i in range(10)]
    title = [_Run("某市关于推进碳达峰碳中和工作的实施方案（征求意见稿）", -40.0, 640.0, 780.0 - 30 * i, 21.0)
             for i in range(3)]
    assert _text_block(title + body) == (80.0, 515.0, 15.5)


def test_pdf_chinese_text_page_by_page_without_page_numbers(tmp_path):
    path = make_pdf(tmp_path / "plan.pdf", [[TITLE, CLAUSES[0], CLAUSES[1][:30]], [CLAUSES[2][:30], CLAUSES[3]]])
    text = read_text(path)
    assert text.split("\n") == [TITLE, CLAUSES[0], CLAUSES[1][:30], CLAUSES[2][:30], CLAUSES[3]]


def test_encrypted_pdf_raises(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [[TITLE]])
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as out:
        writer.write(out)
    with pytest.raises(IngestError, match="encrypted"):
        read_text(locked)


def test_unreadable_pdf_raises(tmp_path):
    with pytest.raises(IngestError, match="not a readable PDF"):
        read_text(write(tmp_path / "broken.pdf", b"%PDF-1.4\nthis is not a pdf body"))


def test_html_drops_scripts_and_chrome_and_splits_blocks(tmp_path):
    source = f"""<!DOCTYPE html><html><head><meta charset="gb2312"><title>站点标题</title>
<style>.x {{ color: red }}</style><script>var secret = "脚本内容";</script></head>
<body><header>网站导航头</header><nav><a href="/">首页</a></nav>
<div class="article"><h1>{TITLE}</h1>
<p>&#12288;&#12288;{CLAUSES[0]}</p>
<div>（一）指导思想。朱镕基<b>同志</b>
  强调。<p>{CLAUSES[2]}</p>尾注</div>
<ul><li>{CLAUSES[3]}</li></ul>
<table><tr><td>指标</td><td>2025年</td></tr></table>各地要加快<br>推进工作。<br>（二）下一条
<!-- 注释不应出现 --></div>
<footer>版权所有</footer><script>alert(1)</script></body></html>"""
    # Declared GB2312 but holding 镕, which only GBK/GB18030 has: a common government-site case.
    text = read_text(write(tmp_path / "plan.html", source, encoding="gb18030"))
    assert_in_order(text, [
        TITLE, CLAUSES[0], "（一）指导思想。朱镕基同志强调。", CLAUSES[2], "尾注", CLAUSES[3],
        "指标 | 2025年", "各地要加快推进工作。", "（二）下一条",  # a <br> mid-sentence is a wrap
    ])
    for dropped in ("脚本内容", "alert", "color", "网站导航头", "首页", "版权所有", "注释", "站点标题"):
        assert dropped not in text


def test_htm_without_declared_charset_is_detected(tmp_path):
    path = write(tmp_path / "page.htm", f"<html><body><p>{TITLE}</p><p>{CLAUSES[0]}</p></body></html>", "gbk")
    assert read_text(path) == f"{TITLE}\n{CLAUSES[0]}"


# --------------------------------------------------------------------------- encodings and bad input


def test_gbk_and_gb18030_txt(tmp_path):
    assert read_text(write(tmp_path / "gbk.txt", PLAIN, "gbk")) == PLAIN
    beyond_gbk = PLAIN + "\n𠀀字与€"  # 𠀀 needs GB18030's four-byte form
    assert read_text(write(tmp_path / "gb18030.txt", beyond_gbk, "gb18030")) == beyond_gbk


def test_utf8_bom_and_utf16(tmp_path):
    assert read_text(write(tmp_path / "bom.txt", PLAIN, "utf-8-sig")) == PLAIN
    assert read_text(write(tmp_path / "u16.txt", PLAIN, "utf-16")) == PLAIN


def test_other_encodings_fall_back_to_charset_normalizer(tmp_path):
    french = "Plan de réduction carbone : café à 2030, émissions réduites de moitié.\n" * 5
    raw = french.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb18030")  # so neither UTF-8 nor GB18030 can be what decoded it
    assert "réduction" in read_text(write(tmp_path / "fr.txt", raw))


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b"\x01\x02\x03\x04\x05\x06\x07\x08" * 64])
def test_binary_txt_raises(tmp_path, content):
    with pytest.raises(IngestError, match="binary"):
        read_text(write(tmp_path / "blob.txt", content))


@pytest.mark.parametrize("content", [b"", "\u3000\n  \r\n\t\n".encode()])
def test_empty_file_raises(tmp_path, content):
    with pytest.raises(IngestError, match="is empty"):
        read_document(write(tmp_path / "empty.txt", content))


def test_unsupported_extension_names_the_supported_ones(tmp_path):
    with pytest.raises(IngestError) as err:
        read_text(write(tmp_path / "plan.rtf", PLAIN))
    assert all(ext in str(err.value) for ext in SUPPORTED)


def test_missing_dir_raises(tmp_path):
    missing = tmp_path / "no_such_corpus"
    with pytest.raises(IngestError, match="no_such_corpus"):
        iter_corpus_files([missing])
    with pytest.raises(IngestError, match="no_such_corpus"):
        load_corpus([missing])


ALPHABET = list("一二三、（）。，：；“”1.加快推进碳达峰abc ") + ["\u3000", "\n", "\r\n", "\t"]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ALPHABET), max_size=80).map("".join))
def test_txt_keeps_every_character_but_white_space(tmp_path, source):
    """Reflow may join wrapped lines and drop spaces, never anything else, and never adds a blank line."""
    text = read_text(write(tmp_path / "any.txt", source))
    assert "".join(text.split()) == "".join(source.split())
    assert "\n\n" not in text and text == text.strip()


# --------------------------------------------------------------------------- metadata

SC_HEADER = "国务院｜国发〔2021〕23号｜2021年10月24日印发（2021年10月26日公开发布）"


def test_header_inference_from_real_header_line(tmp_path):
    text = f"国务院关于印发2030年前碳达峰行动方案的通知\n{SC_HEADER}\n各省、自治区、直辖市人民政府："
    meta, _ = read_meta(tmp_path / "sc.txt", text)
    assert (meta.title, meta.issuer, meta.doc_number) == (
        "2030年前碳达峰行动方案", "国务院", "国发〔2021〕23号",
    )
    assert (meta.date, meta.level, meta.place, meta.status) == ("2021年10月24日", "国家", "全国", "")


@pytest.mark.parametrize(
    ("lines", "level", "place", "status"),
    [
        (["江苏省碳达峰实施方案", "江苏省人民政府|苏政发〔2022〕88号"], "省", "江苏", ""),
        (["省住房城乡建设厅关于推进绿色城乡建设的指导意见", "江苏省住房和城乡建设厅｜2021年4月15日"], "省", "江苏", ""),
        (["2月1日,江苏省江阴市人民政府印发公告", "公告", "《江阴市碳达峰实施方案》(征求意见稿)全文"], "市", "江阴", "征求意见稿"),
        # a new area or development zone is its own place, below its city: 南京全市 is not 江北新区
        (["南京江北新区碳达峰、碳中和行动计划（试行）", "正文"], "区县", "江北新区", "试行"),
        (["关于推进城市更新和市场监管的工作方案", "为贯彻《某某办法（试行）》，制定本方案。"], "", "", ""),
    ],
)
def test_level_place_status_inference(tmp_path, lines, level, place, status):
    meta, _ = read_meta(tmp_path / "doc.txt", "\n".join(lines))
    assert (meta.level, meta.place, meta.status) == (level, place, status)


@pytest.mark.parametrize(
    ("title", "place", "level"),
    [
        ("深圳市南山区碳达峰实施方案", "南山", "区县"),  # a city's district, not the city
        ("湖北省武汉市东西湖区节能降碳方案", "东西湖", "区县"),
        ("内蒙古自治区包头市碳达峰方案", "包头", "市"),
        ("北京经济技术开发区碳达峰实施方案", "北京经济技术开发区", "区县"),  # a zone keeps its whole name
        ("苏州工业园区绿色发展方案", "苏州工业园区", "区县"),
        ("上海市浦东新区碳达峰实施方案", "浦东新区", "区县"),  # one jieba word: 上海市 | 浦东新区
        ("天津滨海新区关于印发节能降碳方案的通知", "滨海新区", "区县"),
        ("成都高新区节能降碳若干措施", "成都高新区", "区县"),  # a generic zone is its city's
        ("长沙经济技术开发区碳达峰方案", "长沙经济技术开发区", "区县"),
        ("江阴市长江大保护实施方案", "江阴", "市"),  # a river after the city is not an area of it
        ("江阴市产业园区绿色发展方案", "江阴", "市"),  # the city's parks in general
        ("重庆市碳达峰实施方案", "重庆", "省"),
    ],
)
def test_the_smallest_area_a_title_opens_with_is_the_documents_place(title, place, level):
    from assistant.ingest.meta import locate

    assert locate(title) == (place, level)


@pytest.mark.parametrize("sidecar", ["sc.txt.meta.json", "sc.meta.json"])
def test_sidecar_overrides_the_fields_it_gives(tmp_path, sidecar):
    path = write(tmp_path / "sc.txt", f"国务院关于印发方案的通知\n{SC_HEADER}\n正文")
    write(tmp_path / sidecar, json.dumps({"title": "另一个标题", "level": "市"}, ensure_ascii=False))
    document = read_document(path)
    assert (document.meta.title, document.meta.level, document.meta_source) == ("另一个标题", "市", "sidecar")
    # the fields the sidecar leaves out are still read from the document
    assert (document.meta.issuer, document.meta.doc_number) == ("国务院", "国发〔2021〕23号")


@pytest.mark.parametrize("sidecar", ["{not json", '{"level": "县"}', "[1, 2]"])
def test_malformed_sidecar_names_the_file(tmp_path, sidecar):
    path = write(tmp_path / "plan.txt", PLAIN)
    write(tmp_path / "plan.meta.json", sidecar)
    with pytest.raises(IngestError, match=r"plan\.meta\.json"):
        read_document(path)


def test_document_fields(tmp_path):
    document = read_document(write(tmp_path / "江阴 方案(1).txt", PLAIN))
    assert document.doc_id == "江阴_方案_1_"
    assert document.path == str(tmp_path / "江阴 方案(1).txt")
    assert document.text == PLAIN and document.meta.title == TITLE
    assert document.content_hash == content_hash(PLAIN.replace("\n", " \n\u3000"))


# --------------------------------------------------------------------------- corpus


def test_iter_corpus_files_skips_notes_hidden_and_sidecars(tmp_path):
    for name in ["b.txt", "sub/a.md", "SOURCES.md", "README.md", ".hidden.txt", ".git/x.txt",
                 "b.meta.json", "notes.rtf", "c.pdf", "d.HTML"]:
        write(tmp_path / name, PLAIN)
    files = iter_corpus_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["b.txt", "c.pdf", "d.HTML", "sub/a.md"]
    assert iter_corpus_files([tmp_path / "b.txt"]) == [tmp_path / "b.txt"]


def test_same_content_indexed_once_with_warning(tmp_path):
    write(tmp_path / "a.txt", PLAIN)
    write(tmp_path / "b.txt", PLAIN.replace("\n", "\n\n"))
    write(tmp_path / "c.md", f"# {TITLE}\n\n" + "\n\n".join(CLAUSES))
    documents, warnings = load_corpus([tmp_path])
    assert [d.doc_id for d in documents] == ["a"]
    assert len(warnings) == 2 and all("same content as" in w for w in warnings)
    assert any("b.txt" in w for w in warnings) and any("c.md" in w for w in warnings)


def test_bad_file_is_skipped_with_one_warning(tmp_path, capsys):
    write(tmp_path / "good.txt", PLAIN)
    write(tmp_path / "other.md", "# 另一份文件\n\n二、主要目标")
    write(tmp_path / "bad.pdf", b"not a pdf at all")
    documents, warnings = load_corpus([tmp_path], progress=True)
    assert sorted(d.doc_id for d in documents) == ["good", "other"]
    assert len(warnings) == 1 and "bad.pdf" in warnings[0]
    assert "reading corpus" in capsys.readouterr().err


def test_doc_id_collision_gets_suffix(tmp_path):
    write(tmp_path / "plan.txt", PLAIN)
    write(tmp_path / "plan.md", "# 另一份方案\n\n不同的内容")
    documents, warnings = load_corpus([tmp_path])
    assert sorted(d.doc_id for d in documents) == ["plan", "plan-2"] and warnings == []


def test_nothing_readable_raises(tmp_path):
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "bad.docx", b"not a zip")
    with pytest.raises(IngestError, match="no document could be read"):
        load_corpus([tmp_path])


def test_real_project_corpus():
    documents, warnings = load_corpus([PROJECT / "corpus"])
    assert len(documents) == 1 and warnings == []
    meta = documents[0].meta
    assert (meta.title, meta.level, meta.status) == ("江阴市碳达峰实施方案", "市", "征求意见稿")


@pytest.mark.shared
def test_shared_corpus():
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} is absent: ../shared is not beside the project")
    documents, warnings = load_corpus([SHARED_CORPUS])
    assert len(documents) == 10 and warnings == []
    assert all(not d.path.endswith("SOURCES.md") for d in documents)
    for document in documents:
        first_line = Path(document.path).read_text(encoding="utf-8").split("\n", 1)[0].strip()
        if document.doc_id.startswith("jiangyin_"):
            # the news item opens with a lead sentence and a notice citing 《江阴市碳达峰实施方案》,
            # whose own title line follows: the first heading line, not the lead, is the title
            assert document.meta.title == "江阴市碳达峰实施方案"
        elif "关于印发" in first_line:  # a notice wrapping the plan: the document is the plan
            assert document.meta.title and document.meta.title in first_line and "通知" not in document.meta.title
        else:
            assert document.meta.title and document.meta.title == "".join(first_line.split())
    levels = {d.doc_id: d.meta.level for d in documents}
    expected = {"cpc_sc": "国家", "sc_": "国家", "jiangsu_": "省", "jiangyin_": "市", "nanjing_": "区县"}  # 江北新区: an area of 南京
    for doc_id, level in levels.items():
        prefix = next(p for p in expected if doc_id.startswith(p))
        assert level == expected[prefix], doc_id


def test_title_skips_a_news_lead_and_takes_the_cited_document(tmp_path):
    path = tmp_path / "news.txt"
    path.write_text(
        "3月1日,某市人民政府印发关于征求《某市节能方案》意见的公告,某市将推进节能工作,确保目标实现。\n"
        "关于征求《某市节能方案》意见的公告\n现将全文予以公布。\n某市节能方案\n一、总体要求\n内容。\n",
        encoding="utf-8",
    )
    assert read_document(path).meta.title == "某市节能方案"
    plain = tmp_path / "plain.txt"
    plain.write_text("长文标题的第一行\n一、总体要求\n内容。\n", encoding="utf-8")
    assert read_document(plain).meta.title == "长文标题的第一行"


def test_a_title_that_lost_characters_at_its_wrap_is_taken_whole_from_the_line_that_quotes_it(tmp_path):
    """A PDF's title line may lose the characters at its wrap (…节能降碳工 / 实施意见》); the news lead
    that says the document was issued quotes it whole and gives its title. A shorter title that is not
    the quoted one less a few characters keeps its own reading."""
    path = tmp_path / "lead.txt"
    whole = "关于全面推进节能降碳工作的实施意见"
    lead = f"日前，某省委、省政府出台《{whole}》，全文如下。\n一、总体要求\n内容。\n"
    for first, title in ((whole, whole), ("关于全面推进节能降碳工实施意见", whole), ("关于节能的实施意见", "关于节能的实施意见")):
        path.write_text(f"某省委省政府出台《{first}》\n" + lead, encoding="utf-8")
        assert read_document(path).meta.title == title, first
    cited = "关于全面推进节能降碳工实施意见"  # a line that cites a document (根据《X》) does not name this one
    path.write_text(f"{cited}\n根据《{whole}》，结合本地实际制定本方案。\n一、总体要求\n内容。\n", encoding="utf-8")
    assert read_document(path).meta.title == cited


# --------------------------------------------------------------------------- bad files and scans


def scanned_pdf(path: Path, lines: list[str]) -> Path:
    """A PDF whose one page is only an image of Chinese text (drawn with reportlab's built-in CID font,
    rendered to pixels, and saved as an image-only PDF): what a scanner gives."""
    import pypdfium2 as pdfium

    need_chinese_font("pdfium draws the CID font's characters with a system font: without one the scan is blank")
    source = make_pdf(path.with_suffix(".src.pdf"), [lines])
    image = pdfium.PdfDocument(str(source))[0].render(scale=200 / 72).to_pil().convert("L")
    image.save(str(path), resolution=200)
    source.unlink()
    return path


SCANNED = ["某市节能降碳实施方案", "一、主要目标", "到2025年，全市光伏发电装机容量达到500兆瓦。", "二、重点任务"]


def test_a_scanned_page_is_read_by_ocr_offline(tmp_path):
    pytest.importorskip("rapidocr_onnxruntime", reason="the OCR extra is not installed: pip install -e '.[ocr]'")
    document = read_document(scanned_pdf(tmp_path / "scan.pdf", SCANNED))
    assert document.ocr_pages == [1] and document.warnings == []
    lines = document.text.split("\n")
    assert lines[1] == "一、主要目标" and "2025年" in lines[2] and "500兆瓦" in lines[2]
    from difflib import SequenceMatcher

    assert SequenceMatcher(None, document.text, "\n".join(SCANNED)).ratio() >= 0.9
    assert document.meta.title == "某市节能降碳实施方案"


def test_without_the_ocr_extra_a_scan_is_named_in_a_warning(tmp_path, monkeypatch):
    from assistant.ingest import ocr

    def missing():
        raise ocr.OcrUnavailable("pip install 'policyqa[ocr]'")

    monkeypatch.setattr(ocr, "_engine", missing)
    write(tmp_path / "plan.txt", PLAIN)
    scanned_pdf(tmp_path / "scan.pdf", SCANNED)
    documents, warnings = load_corpus([tmp_path])
    assert [d.doc_id for d in documents] == ["plan"]
    assert len(warnings) == 1 and "scan.pdf" in warnings[0] and "page 1" in warnings[0] and "policyqa[ocr]" in warnings[0]


def test_each_bad_file_gets_a_warning_with_its_reason_and_the_build_goes_on(tmp_path):
    from pypdf import PdfReader, PdfWriter

    write(tmp_path / "plan.txt", PLAIN)
    plain = make_pdf(tmp_path / "source.pdf.tmp", [[TITLE]])
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt(user_password="secret", algorithm="AES-256")
    with (tmp_path / "locked.pdf").open("wb") as out:
        writer.write(out)
    write(tmp_path / "damaged.pdf", plain.read_bytes()[: len(plain.read_bytes()) // 3])
    with (tmp_path / "empty.pdf").open("wb") as out:
        PdfWriter().write(out)
    import zipfile

    with zipfile.ZipFile(tmp_path / "fake.docx", "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff not a word document")
    documents, warnings = load_corpus([tmp_path])
    assert [d.doc_id for d in documents] == ["plan"]
    reasons = {name: next(w for w in warnings if name in w) for name in ("locked.pdf", "damaged.pdf", "empty.pdf", "fake.docx")}
    assert "encrypted" in reasons["locked.pdf"]
    assert "not a readable PDF" in reasons["damaged.pdf"]
    assert "zero pages" in reasons["empty.pdf"]
    assert "not a readable Word .docx" in reasons["fake.docx"]


def test_pdf_pages_are_kept_for_citations(tmp_path):
    path = make_pdf(tmp_path / "plan.pdf", [[TITLE, CLAUSES[0], CLAUSES[1][:30]], [CLAUSES[2][:30], CLAUSES[3]]])
    document = read_document(path)
    assert len(document.page_starts) == 2
    assert document.page_at(document.text.index(CLAUSES[0])) == 1
    assert document.page_at(document.text.index(CLAUSES[3])) == 2
