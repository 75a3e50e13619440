"""The app, running for real (`python app.py` in a subprocess, the `served` fixture of conftest.py),
driven in headless Chromium.

The app starts on an index that does not exist yet, so it builds one first (with the keyword
embedder, for speed) from the Jiangyin plan plus a small document full of markup. Screenshots go to
artifacts/ for people to look at.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Visit, app_env

from assistant.schema import Answer, Clause, DocMeta, Document
from assistant.ui import render
from assistant.ui.serve import host_warning
from assistant.ui.targets import chart_html, label_step

SOLAR = "到2030年太阳能发电装机容量目标是多少?"
browser_test = pytest.mark.slow


@pytest.fixture(scope="module")
def browser(chromium):
    # one context for the module: each test opens its own page, the app's assets come from the cache
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def visit(browser, served):
    v = Visit(browser, served[0])
    yield v
    v.close()


@browser_test
def test_the_app_built_the_missing_index_first(served):
    console = served[1].read_text(errors="replace")
    assert "no index at" in console and "building one" in console
    assert "indexed 2 documents" in console


@browser_test
def test_a_question_gets_a_cited_answer_and_its_clause_highlighted(visit):
    answer = visit.ask(SOLAR)
    assert "已找到" in answer and "1400兆瓦" in answer and "[1]" in answer
    citations = visit.page.inner_text("#conversation .qa-turn.latest .qa-cites")
    assert "[1] 《江阴市碳达峰实施方案》（征求意见稿） 三、(三)2. 加快发展非化石能源" in citations
    visit.page.locator("#conversation .qa-cite").first.click()
    mark = visit.page.locator("#clause mark")
    assert "1400兆瓦" in mark.inner_text()
    trail = visit.page.inner_text("#clause .clause-trail")
    assert "三、重点任务" in trail and "2.加快发展非化石能源" in trail
    visit.shot("chat_answer")


@browser_test
def test_a_follow_up_is_read_with_the_question_before_it(visit):
    assert "10%" in visit.ask("2025年非化石能源消费比重目标是多少?")
    follow = visit.ask("那2030年呢?")
    assert "2030年" in follow and "非化石能源消费比重" in follow


@browser_test
def test_not_found_says_so_and_offers_the_nearest_clauses(visit):
    answer = visit.ask("今天江阴的天气怎么样?")
    assert "未找到" in answer and "相近条款" in answer
    leads = visit.page.locator("#conversation .qa-turn.latest .qa-cite")
    assert leads.count() >= 2
    heading = leads.nth(1).inner_text().split()[-1]  # [2] 《江阴市碳达峰实施方案》（征求意见稿） 三、(六)2. 推广节能低碳型交通工具
    leads.nth(1).click()
    visit.page.locator("#clause .clause-trail", has_text=heading).wait_for()
    assert visit.page.locator("#clause mark").count() == 1
    visit.shot("chat_not_found")


@browser_test
def test_the_scope_limits_the_documents_searched(visit):
    visit.open_scope()
    visit.page.locator("#scope-levels label", has_text="省").click()  # no 省 document is indexed
    assert "未找到" in visit.ask(SOLAR)
    visit.page.locator("#scope-levels label", has_text="省").click()
    assert "1400兆瓦" in visit.ask(SOLAR)


@browser_test
def test_departments_tab_lists_a_departments_tasks_and_a_tasks_departments(visit):
    visit.tab("部门职责")
    visit.page.fill("#dept-pick textarea", "供电公司")
    visit.until(lambda: set(visit.column("dept-tasks", 0)) == {"供电公司（江阴）"}, "the 供电公司 tasks only")
    assert "共 5 项任务" in visit.page.inner_text("#dept-summary")
    visit.click_cell("dept-tasks", "加快发展非化石能源")
    detail = visit.page.locator("#dept-task")
    detail.locator("mark").wait_for()
    # the note names no lead: 发改委 is listed first, not called 牵头
    assert "列首位：发改委" in detail.inner_text() and "牵头" not in detail.inner_text().split("分工说明")[0]
    assert "供电公司" in detail.inner_text()
    visit.shot("departments")


@browser_test
def test_targets_tab_filters_by_year_and_indicator_and_exports_csv(visit):
    visit.tab("目标指标")
    visit.page.locator("#target-chart").wait_for()
    visit.choose("target-year", "2030")

    def only_2030() -> bool:
        deadlines = visit.column("target-table", 0)
        return bool(deadlines) and all("2030" in d for d in deadlines)

    visit.until(only_2030, "only 2030 targets in the table")
    visit.until(lambda: "2025年" not in visit.page.inner_text("#target-chart"), "the chart to show 2030 only")
    visit.page.fill("#target-filter textarea", "太阳能")
    visit.until(lambda: visit.column("target-table", 1) == ["太阳能发电装机容量"], "the one solar target")
    assert "共 1 项" in visit.page.inner_text("#target-summary")
    with visit.page.expect_download() as download:
        visit.page.click("#target-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("文件,条款,截止时间,指标") and row.startswith("江阴市碳达峰实施方案（征求意见稿）,") and "1400" in row
    visit.click_cell("target-table", "太阳能发电装机容量")
    assert "1400兆瓦" in visit.page.locator("#target-clause mark").inner_text()
    visit.shot("targets")


@browser_test
def test_documents_tab_browses_the_clause_tree(visit):
    visit.tab("文件")
    assert "江阴市碳达峰实施方案 征求意见稿" in visit.page.inner_text("#doc-meta")  # the draft says so beside its title
    visit.click_cell("doc-tree", "加快发展非化石能源")
    view = visit.page.locator("#doc-view")
    view.locator(".clause-trail", has_text="2.加快发展非化石能源").wait_for()
    assert "1400兆瓦" in view.locator("mark").inner_text()
    visit.shot("documents")


MARKUP_TITLE = '测试通知<img src=x onerror="window.__xss=1;alert(3)">'
MARKUP_DEPT = f"<b>粗体局</b>（{render.short_title(MARKUP_TITLE)}）"  # placed by its document's (short) title


@browser_test
def test_markup_in_questions_and_documents_shows_as_text(visit):
    """Every place that shows document or user text, on every tab, shows markup as text: the
    answer, the conversation, the citations, the clause viewers, the scope selector, the
    explorers' tables and details. No script runs (no dialog, window.__xss unset), and loading
    every tab asks no other host (the `visit` fixture checks both after the test too)."""
    page = visit.page
    answer = visit.ask("<script>alert(1)</script>试点园区<img src=x onerror=alert(4)>目标是多少?")
    assert MARKUP_TITLE in answer  # the answer names the document it comes from: markup and all, as text
    assert "<script>alert(1)</script>" in page.inner_text("#conversation")
    assert f"《{render.short_title(MARKUP_TITLE)}》" in page.inner_text("#conversation .qa-cites")  # its title, as text
    assert MARKUP_TITLE in page.inner_text("#clause .clause-trail")  # the cited clause, in its document
    visit.open_scope()
    assert MARKUP_TITLE in page.inner_text("#scope-docs")  # the scope selector's document names
    visit.tab("文件")
    visit.choose("doc-pick", "测试通知")
    visit.until(lambda: MARKUP_TITLE in page.inner_text("#doc-meta"), "the document's title, as text")
    visit.click_cell("doc-tree", "总体要求")
    page.locator("#doc-view .clause-trail", has_text="总体要求").wait_for()
    view = page.locator("#doc-view mark")
    assert "${7*7}与{{value}}" in view.inner_text() and "<script>" in view.inner_text()
    visit.shot("markup_as_text")
    visit.tab("部门职责")
    page.fill("#dept-pick textarea", "粗体局")
    visit.until(lambda: MARKUP_DEPT in visit.column("dept-tasks", 0), f"the markup department, as text: {visit.column('dept-tasks', 0)}")
    visit.click_cell("dept-tasks", MARKUP_DEPT)
    visit.until(lambda: "<b>粗体局</b>" in page.inner_text("#dept-task"), "the task's departments, as text")
    assert MARKUP_TITLE in page.inner_text("#dept-task .clause-trail")
    visit.tab("目标指标")
    page.fill("#target-filter textarea", "试点")
    visit.until(lambda: visit.column("target-table", 7) == [MARKUP_TITLE], "the markup document's target")
    visit.click_cell("target-table", MARKUP_TITLE)
    visit.until(lambda: "试点园区达到5个" in page.inner_text("#target-clause mark"), "the target's clause")
    assert MARKUP_TITLE in page.inner_text("#target-clause .clause-trail")
    assert page.locator("img[src='x'], #doc-view b, #doc-view script, #dept-tasks b, #target-table b").count() == 0
    assert page.locator("#dept-task b", has_text="粗体局").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert not visit.outside and not visit.dialogs


@browser_test
def test_an_over_long_question_gets_a_message(visit):
    answer = visit.ask("碳" * 2500)
    assert "无法提问" in answer and "2000" in answer
    visit.shot("long_question")
    assert "1400兆瓦" in visit.ask(SOLAR)  # and the app goes on answering


@browser_test
def test_api_ask_returns_the_answer_contract(served):
    from gradio_client import Client

    client = Client(served[0], verbose=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask"}
    answer = Answer.model_validate(client.predict(question=SOLAR, api_name="/ask"))
    assert answer.found and answer.citations[0].clause == "三、(三)2." and "1400兆瓦" in answer.answer
    assert len(answer.retrieved) >= 5
    scoped = Answer.model_validate(client.predict(question=SOLAR, levels=["省"], api_name="/ask"))
    assert not scoped.found
    too_long = Answer.model_validate(client.predict(question="碳" * 2500, api_name="/ask"))
    assert not too_long.found and "2000" in too_long.answer


def test_serving_beyond_this_machine_warns():
    assert host_warning("127.0.0.1") is None and host_warning("localhost") is None
    assert "no login" in host_warning("0.0.0.0")


def test_rendering_escapes_markup_and_template_syntax():
    assert render.esc('<img src=x onerror="f()">${x}{{y}}`') == (
        "&lt;img src=x onerror=&quot;f()&quot;&gt;&#36;&#123;x&#125;&#123;&#123;y&#125;&#125;&#96;")
    shown = render.answer_text_html("<b>甲</b>[1]{{x}}[7]", turn=2, cited=1)
    assert shown == ('<p>&lt;b&gt;甲&lt;/b&gt;<a href="#" class="qa-ref" data-turn="2" data-cite="1" title="查看引用条款 [1] 原文">[1]</a>'
                     '&#123;&#123;x&#125;&#125;<sup class="qa-ref">[7]</sup></p>')  # no citation 7: no link


def test_a_clause_is_shown_in_its_document_with_the_cited_passage_marked():
    text = "一、总则\n甲。乙<b>。丙。\n二、附则\n丁。"
    doc = Document(doc_id="d", path="d.txt", meta=DocMeta(title="<i>文</i>"), text=text, content_hash="0")
    start = text.index("甲")
    clause = Clause(clause_id="d#一、", doc_id="d", kind="section", depth=0, label="一、", path="一、", heading="总则",
                    start=start, end=text.index("\n二"), text=text[start:text.index("\n二")])
    shown = render.clause_html(doc, clause, ["一、总则"], cited="乙<b>。")
    assert "&lt;i&gt;文&lt;/i&gt; › 一、总则" in shown
    assert '<mark class="clause-mark">乙&lt;b&gt;。</mark>' in shown and "丁。" in shown
    whole = render.clause_html(doc, clause, ["一、总则"])
    assert '<mark class="clause-mark">甲。乙&lt;b&gt;。丙。</mark>' in whole


@browser_test
def test_the_generative_switch_shows_a_checked_reply_or_the_extractive_answer_with_a_notice(browser, served, start_app):
    """With an LLM endpoint configured (a scripted OpenAI-compatible server on loopback), the chat
    offers 生成式回答; a good reply is shown as checked, one with an invented figure is not."""
    from openai_stub import Stub

    with Stub() as stub:
        app = start_app(["--index", str(served[2])], app_env(POLICYQA_LLM_BASE_URL=stub.base_url, POLICYQA_LLM_MODEL="stub"))
        v = Visit(browser, app.url)
        try:
            v.page.locator("#generative input").check()
            answer = v.ask(SOLAR)
            assert "生成式回答，已核对引用" in answer and "1400兆瓦[1]" in answer.replace("\n", "")
            assert "[1] 《江阴市碳达峰实施方案》（征求意见稿）" in v.page.inner_text("#conversation .qa-turn.latest .qa-cites")
            v.shot("chat_generative")
            stub.mode = "invented_figure"
            answer = v.ask("到2030年太阳能发电装机容量是多少?")
            assert "未通过原文核对" in answer and "1400兆瓦" in answer and "9803" not in answer
            assert len(stub.requests) == 2 and all(r["stream"] for r in stub.requests)  # tokens streamed to the page
        finally:
            v.close()


@browser_test
def test_without_an_endpoint_there_is_no_generative_switch(visit):
    assert not visit.page.locator("#generative input").is_visible()


def _turn(answer: str, shown: list, found: bool = True):
    from assistant.schema import Citation
    from assistant.ui.conversation import Turn

    cites = [Citation(doc_id="d", doc_title=title, clause=clause, heading=heading, text="", score=0, doc_status=status)
             for title, clause, heading, status in shown]
    return Turn(question="q", scope="检索范围：全部文件", shown=cites,
                answer=Answer(question="q", found=found, answer=answer, citations=cites if found else []))


def test_a_list_of_three_or_more_items_shows_as_a_list_and_copy_is_plain_text():
    turn = _turn("甲局在3项任务之列：一、(一)推进[1]；二、建设[2]；三、(二)监测(试行)[2]。",
                 [("某市方案", "一、(一)", "推进", "征求意见稿"), ("某市方案", "二、", "建设", "")])
    html = render.answer_text_html(turn.answer.answer, 0, len(turn.shown))
    assert html.startswith("<p>甲局在3项任务之列：</p><ol><li>一、(一)推进<a ") and html.count("<li>") == 3
    assert render.plain_text(turn) == ("甲局在3项任务之列：一、(一)推进[1]；二、建设[2]；三、(二)监测(试行)[2]。\n\n引用：\n"
                                       "[1] 《某市方案》（征求意见稿） 一、(一) 推进\n[2] 《某市方案》 二、 建设")
    assert render.answer_text_html("一；二。", 0, 0) == "<p>一；二。</p>"  # two items stay a sentence
    lead = _turn("未找到。", [("某市方案", "二、", "建设", "")], found=False)
    assert render.plain_text(lead).endswith("相近条款：\n[1] 《某市方案》 二、 建设")


def test_a_citation_label_always_names_its_document_shortly():
    long = "中共某某省委 某某省人民政府关于完整准确全面贯彻新发展理念做好碳达峰碳中和工作的实施意见"
    assert render.short_title(long).startswith("关于完整准确全面贯彻") and len(render.short_title(long)) <= 28
    assert render.short_title("江阴市碳达峰实施方案") == "江阴市碳达峰实施方案"
    turn = _turn("见[1]。", [("", "三、(三)1.", "", "")])
    assert render.citation_label(1, turn.shown[0]) == "[1] 《d》 三、(三)1."  # no title: the id, never nothing


def test_an_answer_naming_a_draft_says_it_is_a_draft():
    turn = _turn("《某市方案》：到2030年达到5个[1]。《某市方案》（征求意见稿）另有规定。《他方案》无状态。",
                 [("某市方案", "二、", "目标", "征求意见稿"), ("他方案", "一、", "总则", "")])
    assert render.with_status(turn.answer.answer, turn.shown) == (
        "《某市方案》（征求意见稿）：到2030年达到5个[1]。《某市方案》（征求意见稿）另有规定。《他方案》无状态。")
    assert render.plain_text(turn).startswith("《某市方案》（征求意见稿）：到2030年")


def test_crowded_chart_labels_thin_out_on_made_up_years():
    bars = [(f"{2020 + i}年", {"市": 1}) for i in range(14)]
    shown = chart_html(bars)
    labels = re.findall(r'<span class="(chart-label[^"]*)">(\d+年)</span>', shown)
    assert label_step(14, 6) == 3 and label_step(5, 6) == 1 and len(labels) == 14
    # every third label shows on a phone, the first and the last always: 2020, 2023, …, 2032, 2033
    on_phone = [year for classes, year in labels if "thin-phone" not in classes]
    assert on_phone == ["2020年", "2023年", "2026年", "2029年", "2032年", "2033年"]
    assert not any("thin-wide" in classes for classes, _ in labels)  # fourteen fit on a wide screen
    assert "thin" not in chart_html(bars[:5])  # five labels fit anywhere
