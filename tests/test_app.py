"""The app, running for real (`python app.py` in a subprocess, the `served` fixture of conftest.py),
driven in headless Chromium.

The app starts on an index that does not exist yet, so it builds one first (with the keyword
embedder, for speed) from the Jiangyin plan plus a small document full of markup. Screenshots go to
artifacts/ for people to look at.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from assistant.schema import Answer, Clause, DocMeta, Document
from assistant.ui import render
from assistant.ui.serve import host_warning
from conftest import app_env

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path(os.environ.get("POLICYQA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
SOLAR = "到2030年太阳能发电装机容量目标是多少?"


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk (or set POLICYQA_CHROMIUM)")
    if shutil.which("fc-list") and not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
        pytest.skip("no Chinese font installed (the screenshots would show boxes): apt-get install fonts-noto-cjk")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # one context for the session: each test opens its own page, the app's assets come from the cache
        context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
        yield context
        context.close()
        chromium.close()


class Visit:
    """One browser page on the app, recording dialogs and any request for another host (refused)."""

    def __init__(self, context, url: str):
        self.url = url
        self.page = context.new_page()
        self.page.set_default_timeout(20_000)
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._only_local)
        self.page.on("dialog", self._dialog)
        self.page.goto(url)
        self.page.wait_for_selector("#question textarea")

    def _only_local(self, route):
        if route.request.url.startswith((self.url, "data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def ask(self, question: str) -> str:
        """Type a question, press 提问, and return the latest answer's text once it has changed."""
        page = self.page
        shown = page.locator("#answer .qa-answer")
        before = shown.inner_text() if shown.count() else ""
        page.fill("#question textarea", question)
        page.click("#ask")
        page.wait_for_function(
            "prev => { const a = document.querySelector('#answer .qa-answer'); return a && a.innerText !== prev; }", arg=before)
        return shown.inner_text()

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def choose(self, elem_id: str, option: str) -> None:
        """Pick an option of a Gradio dropdown by its visible text."""
        self.page.click(f"#{elem_id} input")
        self.page.get_by_role("option").filter(has_text=option).first.click()

    def click_cell(self, elem_id: str, text: str) -> None:
        """Click the table cell showing `text` (Gradio also keeps a hidden copy of the table to measure)."""
        self.page.locator(f"#{elem_id} [role=gridcell]").get_by_text(text, exact=True).first.click()

    def column(self, elem_id: str, col: int) -> list[str]:
        return self.page.locator(f"#{elem_id} [role=gridcell][data-col='{col}']").all_inner_texts()

    def until(self, check, what: str, seconds: float = 15) -> None:
        """Wait for a condition on the page (a table re-renders a moment after its summary)."""
        deadline = time.monotonic() + seconds
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"waited {seconds} s for {what}")
            self.page.wait_for_timeout(100)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"app_{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def visit(browser, served):
    v = Visit(browser, served[0])
    yield v
    v.page.close()
    assert not v.outside, f"the page asked another host for {v.outside}"
    assert not v.dialogs, f"a script ran and opened dialogs {v.dialogs}"


def test_the_app_built_the_missing_index_first(served):
    console = served[1].read_text(errors="replace")
    assert "no index at" in console and "building one" in console
    assert "indexed 2 documents" in console


def test_a_question_gets_a_cited_answer_and_its_clause_highlighted(visit):
    answer = visit.ask(SOLAR)
    assert "已找到" in answer and "1400兆瓦" in answer and "[1]" in answer
    citations = visit.page.inner_text("#citations")
    assert "[1] 江阴市碳达峰实施方案" in citations and "三、(三)2." in citations and "加快发展非化石能源" in citations
    assert "引用" in visit.page.inner_text("#conversation")  # the reply lists its citations beneath
    visit.page.locator("#citations label").first.click()
    mark = visit.page.locator("#clause mark")
    assert "1400兆瓦" in mark.inner_text()
    trail = visit.page.inner_text("#clause .clause-trail")
    assert "三、重点任务" in trail and "2.加快发展非化石能源" in trail
    visit.shot("chat_answer")


def test_a_follow_up_is_read_with_the_question_before_it(visit):
    assert "10%" in visit.ask("2025年非化石能源消费比重目标是多少?")
    follow = visit.ask("那2030年呢?")
    assert "2030年" in follow and "非化石能源消费比重" in follow


def test_not_found_says_so_and_offers_the_nearest_clauses(visit):
    answer = visit.ask("今天江阴的天气怎么样?")
    assert "未找到" in answer
    assert "相近条款" in visit.page.inner_text("#citations")
    leads = visit.page.locator("#citations label")
    assert leads.count() >= 2
    heading = leads.nth(1).inner_text().split()[-1]  # [2] 江阴市碳达峰实施方案 · 三、(六)2. 推广节能低碳型交通工具
    leads.nth(1).click()
    visit.page.locator("#clause .clause-trail", has_text=heading).wait_for()
    assert visit.page.locator("#clause mark").count() == 1
    visit.shot("chat_not_found")


def test_the_scope_limits_the_documents_searched(visit):
    visit.page.get_by_text("检索范围").click()
    visit.page.locator("#scope-levels label", has_text="省").click()  # no 省 document is indexed
    assert "未找到" in visit.ask(SOLAR)
    visit.page.locator("#scope-levels label", has_text="省").click()
    assert "1400兆瓦" in visit.ask(SOLAR)


def test_departments_tab_lists_a_departments_tasks_and_a_tasks_departments(visit):
    visit.tab("部门职责")
    visit.choose("dept-pick", "供电公司")
    visit.until(lambda: set(visit.column("dept-tasks", 0)) == {"供电公司（江阴）"}, "the 供电公司 tasks only")
    assert "共 5 项任务" in visit.page.inner_text("#dept-summary")
    visit.click_cell("dept-tasks", "加快发展非化石能源")
    detail = visit.page.locator("#dept-task")
    detail.locator("mark").wait_for()
    # the note names no lead: 发改委 is listed first, not called 牵头
    assert "列首位：发改委" in detail.inner_text() and "牵头" not in detail.inner_text().split("分工说明")[0]
    assert "供电公司" in detail.inner_text()
    visit.shot("departments")


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
    assert header.startswith("doc_id,path,deadline,indicator") and "1400" in row
    visit.click_cell("target-table", "太阳能发电装机容量")
    assert "1400兆瓦" in visit.page.locator("#target-clause mark").inner_text()
    visit.shot("targets")


def test_documents_tab_browses_the_clause_tree(visit):
    visit.tab("文件")
    assert "江阴市碳达峰实施方案" in visit.page.inner_text("#doc-meta")
    visit.click_cell("doc-tree", "加快发展非化石能源")
    view = visit.page.locator("#doc-view")
    view.locator(".clause-trail", has_text="2.加快发展非化石能源").wait_for()
    assert "1400兆瓦" in view.locator("mark").inner_text()
    visit.shot("documents")


MARKUP_TITLE = '测试通知<img src=x onerror="window.__xss=1;alert(3)">'
MARKUP_DEPT = "<b>粗体局</b>（markup_notice）"


def test_markup_in_questions_and_documents_shows_as_text(visit):
    """Every place that shows document or user text, on every tab, shows markup as text: the
    answer, the conversation, the citations, the clause viewers, the scope selector, the
    explorers' tables and details. No script runs (no dialog, window.__xss unset), and loading
    every tab asks no other host (the `visit` fixture checks both after the test too)."""
    page = visit.page
    answer = visit.ask("<script>alert(1)</script>试点园区<img src=x onerror=alert(4)>目标是多少?")
    assert MARKUP_TITLE in answer  # the answer names the document it comes from: markup and all, as text
    assert "<script>alert(1)</script>" in page.inner_text("#conversation")
    assert MARKUP_TITLE in page.inner_text("#citations")  # the markup document's title, as text
    assert MARKUP_TITLE in page.inner_text("#clause .clause-trail")  # the cited clause, in its document
    page.get_by_text("检索范围").click()
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
    page.fill("#dept-filter textarea", "试点")
    visit.until(lambda: MARKUP_DEPT in visit.column("dept-tasks", 0), "the markup department, as text")
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


def test_an_over_long_question_gets_a_message(visit):
    answer = visit.ask("碳" * 2500)
    assert "无法提问" in answer and "2000" in answer
    visit.shot("long_question")
    assert "1400兆瓦" in visit.ask(SOLAR)  # and the app goes on answering


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
    assert render.md("<script>*x*</script> [1]") == r"&lt;script&gt;\*x\*&lt;/script&gt; \[1\]"


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
            v.page.wait_for_function("() => document.querySelector('#answer .qa-answer').innerText.includes('已核对引用')")
            answer = v.page.inner_text("#answer .qa-answer")
            assert "生成式回答，已核对引用" in answer and "1400兆瓦[1]" in answer.replace("\n", "")
            assert "[1] 江阴市碳达峰实施方案" in v.page.inner_text("#citations")
            v.shot("chat_generative")
            stub.mode = "invented_figure"
            answer = v.ask("到2030年太阳能发电装机容量是多少?")
            v.page.wait_for_function("() => document.querySelector('#answer .qa-answer').innerText.includes('未通过原文核对')")
            answer = v.page.inner_text("#answer .qa-answer")
            assert "未通过原文核对" in answer and "1400兆瓦" in answer and "9803" not in answer
            assert len(stub.requests) == 2 and all(r["stream"] for r in stub.requests)  # tokens streamed to the page
            assert not v.outside and not v.dialogs
        finally:
            v.page.close()


def test_without_an_endpoint_there_is_no_generative_switch(visit):
    assert not visit.page.locator("#generative input").is_visible()
