"""The app for real people, on a phone (390 px) and a desktop (1280 px), in a browser whose language
is English: the answer in view, [n] links that open their clause, plain-text copy, the scope on
every answer, one reset, Chinese throughout, filters that answer, targets that read naturally.

One page per screen size for the module (the app's `served` fixture is shared by the session);
each test starts a new conversation. Screenshots go to artifacts/ui_*.png.
"""
from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import DESKTOP, MARKUP_DOC, PHONE, Visit

pytestmark = pytest.mark.slow

SOLAR = "到2030年太阳能发电装机容量目标是多少?"
SUPPLY = "供电公司负责哪些工作?"
PLAN = "《江阴市碳达峰实施方案》（征求意见稿）"
SIZES = {"phone": PHONE, "desktop": DESKTOP}
# Words of the markup test document (English inside markup): document text, not the interface's.
DOCUMENT_WORDS = re.findall(r"[A-Za-z_]{2,}", MARKUP_DOC)
INTERFACE_ACRONYMS = {"CSV"}  # 导出 CSV: the file format's name


@pytest.fixture(scope="module", params=list(SIZES))
def screen(request, chromium, served):
    """(name, Visit) of one page on the app at a phone's or a desktop's width, English browser."""
    context = chromium.new_context(viewport=SIZES[request.param], locale="en-US", accept_downloads=True,
                                   permissions=["clipboard-read", "clipboard-write"])
    visit = Visit(context, served[0])
    yield request.param, visit
    visit.close()
    context.close()


@pytest.fixture
def chat(screen):
    """The 问答 tab of the module's page, in a new conversation."""
    name, visit = screen
    visit.tab("问答")
    visit.new_chat()
    return name, visit


def rect(visit: Visit, selector: str) -> dict:
    return visit.page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
        " width: r.width, height: r.height, inner: window.innerHeight}; }")


def latest(visit: Visit, part: str = "") -> str:
    return f"#conversation .qa-turn.latest {part}".strip()


def as_api_says(shown: str) -> str:
    """An answer's text as the API gives it: one line, without the status the page adds to a title."""
    return shown.replace("\n", "").replace(PLAN, PLAN.split("（")[0])


def test_the_answer_is_in_view_after_asking_and_sits_under_the_box(chat):
    name, visit = chat
    visit.ask(SOLAR)
    answer = rect(visit, latest(visit, ".qa-answer"))
    assert 0 <= answer["top"] < answer["inner"] - 80  # its start is on screen, with room to read
    assert answer["top"] > rect(visit, "#question")["bottom"]  # right under the question box …
    if name == "phone":  # … and before the clause viewer, which a phone stacks below
        assert rect(visit, "#clause")["top"] > answer["bottom"]
    assert visit.page.locator(".qa-answer").count() == 1  # shown once: no second card of the same answer
    visit.shot(f"ui_{name}_chat")


def test_clicking_a_marker_opens_its_clause_and_earlier_answers_keep_theirs(chat):
    name, visit = chat
    visit.ask(SUPPLY)
    text = visit.page.locator(latest(visit, ".qa-text"))
    assert text.locator("ol li").count() == 5  # a list of five tasks shows as a list
    text.locator("a.qa-ref", has_text="[3]").click()
    trail = visit.page.locator("#clause .clause-trail")
    trail.filter(has_text="3.创新智慧能源治理模式").wait_for()
    assert "江阴市碳达峰实施方案（征求意见稿）" in trail.inner_text()
    if name == "phone":  # the viewer below the conversation is brought into sight
        visit.page.wait_for_function("() => { const r = document.querySelector('#clause').getBoundingClientRect();"
                                     " return r.top >= -1 && r.top < window.innerHeight / 2; }")
    visit.ask(SOLAR)
    earlier = visit.page.locator("#conversation .qa-turn:not(.latest)")
    labels = earlier.locator(".qa-cite").all_inner_texts()
    assert len(labels) == 5 and all(label.startswith(f"[{n}] {PLAN} 三、") for n, label in enumerate(labels, 1))
    earlier.locator(".qa-cite").first.click()
    trail.filter(has_text="1.稳妥有序控制化石能源消费").wait_for()
    earlier.locator("a.qa-ref", has_text="[5]").click()
    trail.filter(has_text="2.推广节能低碳型交通工具").wait_for()
    visit.shot(f"ui_{name}_citation")


def test_copy_gives_the_answer_and_its_citations_as_plain_text(chat):
    _, visit = chat
    visit.ask(SUPPLY)
    visit.page.locator(latest(visit, ".qa-copy")).click()
    visit.page.locator(latest(visit, ".qa-copy"), has_text="已复制").wait_for()
    copied = visit.page.evaluate("navigator.clipboard.readText()")
    answer, cited = copied.split("\n\n引用：\n")
    assert answer.startswith("供电公司（江阴）在5项任务的责任单位之列：三、(三)1.稳妥有序控制化石能源消费[1]；")
    assert cited.splitlines() == visit.page.locator(latest(visit, ".qa-cite")).all_inner_texts()
    assert cited.splitlines()[0] == f"[1] {PLAN} 三、(三)1. 稳妥有序控制化石能源消费"
    assert "\\" not in copied and "<" not in copied and "**" not in copied  # no Markdown, no markup


def test_the_scope_shows_on_its_header_and_on_every_answer(chat):
    name, visit = chat
    header = visit.page.locator("#scope").get_by_text("检索范围").first
    assert "检索范围：全部文件" in header.inner_text()
    assert "检索范围：全部文件" in visit.ask(SOLAR)
    visit.open_scope()
    visit.page.locator("#scope-levels label", has_text="市").click()
    visit.until(lambda: "检索范围：市级文件" in header.inner_text(), "the header to say the scope")
    visit.page.locator("#scope").get_by_text("检索范围").first.click()  # folded again: the header still says it
    assert "检索范围：市级文件" in visit.ask(SOLAR)
    assert "检索范围：全部文件" in visit.page.inner_text("#conversation .qa-turn:not(.latest)")  # each answer keeps its own
    visit.shot(f"ui_{name}_scope")
    visit.open_scope()
    visit.page.locator("#scope-levels label", has_text="市").click()
    visit.until(lambda: "检索范围：全部文件" in header.inner_text(), "the scope cleared")


def test_new_chat_forgets_the_conversation_and_its_follow_up_context(chat, served):
    from gradio_client import Client

    _, visit = chat
    first = "2025年非化石能源消费比重目标是多少?"
    api = Client(served[0], verbose=False)
    alone = api.predict(question="那2030年呢?", api_name="/ask")["answer"]
    followed = api.predict(question="那2030年呢?", previous=first, api_name="/ask")["answer"]
    assert alone != followed  # the question means something else after the first one
    visit.ask(first)
    visit.page.locator("#clause .clause-trail").wait_for()  # its first citation, opened beside it
    visit.new_chat()
    assert visit.turns() == 0 and visit.page.locator("#clause .clause-trail").count() == 0  # side panel cleared too
    answer = visit.page.locator(latest(visit, ".qa-text"))
    visit.ask("那2030年呢?")
    assert as_api_says(answer.inner_text()) == alone  # read on its own, not about the old topic
    assert visit.page.locator("button[aria-label='清空对话'], button[aria-label='Clear']").count() == 0  # one reset only


def test_questions_show_at_once_and_quick_ones_are_answered_in_order(chat, served):
    from gradio_client import Client

    followed = Client(served[0], verbose=False).predict(question="那2030年呢?", previous="2025年非化石能源消费比重目标是多少?",
                                                        api_name="/ask")["answer"]
    name, visit = chat
    page = visit.page
    page.evaluate("() => { window.__pendingSeen = false; new MutationObserver(() => {"
                  " if (document.querySelector('#conversation .qa-answer[data-state=pending]')) window.__pendingSeen = true; })"
                  ".observe(document.querySelector('#conversation'), {subtree: true, childList: true}); }")
    page.fill("#question textarea", "2025年非化石能源消费比重目标是多少?")
    page.press("#question textarea", "Enter")
    page.wait_for_function("() => document.querySelector('#question textarea').value === ''")  # taken: the box is free
    page.fill("#question textarea", "那2030年呢?")  # at once, not waiting for the first answer
    page.press("#question textarea", "Enter")
    try:
        visit.answered(2)
    finally:
        visit.shot(f"ui_{name}_quick")
    assert page.evaluate("window.__pendingSeen")  # each question showed, marked 检索中, before its answer
    questions = page.locator("#conversation .qa-q").all_inner_texts()
    assert questions == ["那2030年呢?", "2025年非化石能源消费比重目标是多少?"]  # the latest first
    assert "10%" in page.inner_text("#conversation .qa-turn:not(.latest)")
    follow = page.locator(latest(visit, ".qa-text")).inner_text()
    assert as_api_says(follow) == followed  # read after the first, as its follow-up: answered in order
    if PLAN.split("（")[0] in followed:  # the answer names the plan: the page says it is a draft
        assert PLAN in follow


def test_an_empty_question_adds_nothing_and_an_example_asks(chat):
    _, visit = chat
    visit.page.fill("#question textarea", "   ")
    visit.page.click("#ask")
    visit.page.locator("#question textarea[placeholder^='请先输入问题']").wait_for()
    assert visit.turns() == 0
    example = visit.page.locator("#examples button", has_text="垃圾分类有什么要求?")
    example.scroll_into_view_if_needed()  # the last examples: below the conversation, on a phone far below
    example.click()
    answer = visit.answered(1)
    assert visit.page.inner_text(latest(visit, ".qa-q")) == "垃圾分类有什么要求?" and "100%" in answer
    card = rect(visit, latest(visit, ".qa-answer"))
    assert 0 <= card["top"] < card["inner"] - 80  # the page went back up to the answer


def test_the_page_holds_no_english_interface_string(screen):
    """An English browser sees Chinese: Gradio's own strings (table menus, tooltips, the footer) too."""
    _, visit = screen
    page = visit.page
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    visit.tab("问答")
    visit.new_chat()
    visit.ask(SUPPLY)
    seen = english(visit)
    for tab, table in (("部门职责", "dept-tasks"), ("目标指标", "target-table"), ("文件", "doc-tree")):
        visit.tab(tab)
        page.locator(f"#{table} [role=gridcell]").first.wait_for()
        seen |= english(visit)
        page.locator(f"#{table} th:visible").first.hover()  # a column's menu: sort, filter
        page.locator(f"#{table} .cell-menu-button:visible").first.click()
        page.locator(".cell-menu:visible").first.wait_for()
        menu = page.locator(".cell-menu:visible").first.inner_text()
        assert "升序" in menu and "筛选" in menu
        seen |= english(visit)
        page.keyboard.press("Escape")
        page.mouse.click(2, 2)
    assert page.get_by_text("API", exact=False).count() == 0  # no "Use via API" footer
    english_ui = {w: where for w, where in seen.items() if w not in INTERFACE_ACRONYMS and not in_document(w)}
    assert not english_ui, f"English on the page: {english_ui}"


ENGLISH_WORDS = """() => { const words = []; const attrs = ['title', 'aria-label', 'placeholder', 'alt'];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) { const n = walk.currentNode, el = n.parentElement;
    if (!el || el.closest('script, style, textarea.qa-plain')) continue;
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (!box.width || style.visibility === 'hidden' || style.display === 'none') continue;
    for (const w of n.nodeValue.match(/[A-Za-z_]{2,}/g) || []) words.push([w, n.nodeValue.slice(0, 80)]); }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]'))
    for (const a of attrs) for (const w of (el.getAttribute(a) || '').match(/[A-Za-z_]{2,}/g) || [])
      words.push([w, a + '=' + el.getAttribute(a).slice(0, 80)]);
  return words; }"""


def in_document(word: str) -> bool:
    """A word of the markup document, whole or cut short where a long title is shortened (win…)."""
    return any(w.startswith(word) or word in w for w in DOCUMENT_WORDS)


def english(visit: Visit) -> dict[str, str]:
    """Latin words shown on the page or said by its tooltips, labels and placeholders, each with
    where it was seen."""
    return dict(visit.page.evaluate(ENGLISH_WORDS))


def test_tabs_all_show_and_tables_keep_readable_columns(screen):
    name, visit = screen
    visit.tab("问答")
    tabs = visit.page.locator("[role=tablist] [role=tab]:visible").all_inner_texts()
    assert tabs == ["问答", "部门职责", "目标指标", "文件"]  # never folded into a ··· menu
    visit.tab("部门职责")
    role = visit.page.locator("#dept-tasks [role=gridcell][data-col='1']").first
    role.wait_for()
    assert role.evaluate("e => e.getBoundingClientRect().width") >= 52  # 列首位 on one or two lines, not one character
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= SIZES[name]["width"]  # the page itself does not scroll sideways
    visit.shot(f"ui_{name}_departments")


def test_department_and_keyword_filters_answer_as_typed(screen):
    _, visit = screen
    page = visit.page
    visit.tab("部门职责")
    page.fill("#dept-filter textarea", "")
    page.fill("#dept-pick textarea", "")
    page.locator("#dept-pick textarea").press_sequentially("供电", delay=50)  # typed, not pasted
    visit.until(lambda: set(visit.column("dept-tasks", 0)) == {"供电公司（江阴）"}, "the list narrowed as typed")
    assert "匹配部门 1 个：供电公司" in page.inner_text("#dept-summary")
    page.locator("#dept-filter textarea").press_sequentially("光伏", delay=50)  # the box's own example
    # found in the clauses' text: neither heading (加快发展非化石能源, 加快提升建筑能效水平) nor note says 光伏
    visit.until(lambda: visit.column("dept-tasks", 2) == ["三、(三)2.", "三、(五)3."], "供电公司's tasks about 光伏")
    page.fill("#dept-pick textarea", "")
    visit.until(lambda: "匹配部门" not in page.inner_text("#dept-summary"), "every department's tasks about 光伏")
    assert "共" in page.inner_text("#dept-summary") and len(set(visit.column("dept-tasks", 0))) >= 2
    page.fill("#dept-filter textarea", "光伏并网储能卫星")
    visit.until(lambda: "没有符合条件的任务" in page.inner_text("#dept-summary"), "an empty result saying so")
    assert "光伏并网储能卫星" in page.inner_text("#dept-summary")
    page.fill("#dept-filter textarea", "")
    visit.until(lambda: "没有" not in page.inner_text("#dept-summary"), "every task again")
    names = set(visit.column("dept-tasks", 0))
    assert not {n for n in names if n.startswith(("各", "地方各级", "有关", "相关"))}  # departments only (rows in view)
    assert {"列首位", "参与"} <= set(visit.column("dept-tasks", 1))


def test_targets_read_naturally_and_filters_answer(screen):
    name, visit = screen
    page = visit.page
    visit.tab("目标指标")
    page.fill("#target-filter textarea", "")
    page.locator("#target-table [role=gridcell]").first.wait_for()
    labels = page.locator("#target-chart .chart-label")
    visit.until(lambda: labels.count() >= 2, "the chart of every year")
    boxes = labels.evaluate_all("ls => ls.filter(l => getComputedStyle(l).visibility !== 'hidden')"
                                ".map(l => { const r = l.getBoundingClientRect(); return [r.left, r.right]; })")
    assert len(boxes) >= 2 and all(a[1] <= b[0] for a, b in pairwise(boxes))  # year labels never overlap
    visit.shot(f"ui_{name}_targets")
    assert "二、主要目标" in visit.column("target-table", 6)  # the clause with its heading, not 二、 alone
    for keyword, value in (("风电", "力争40兆瓦以上"), ("新能源汽车", "不低于30%（原则上）")):
        page.fill("#target-filter textarea", keyword)  # the table shows the rows in view only: narrow it first
        visit.until(lambda value=value: value in visit.column("target-table", 2), f"{value} in the table")
    narrowed = page.inner_text("#target-summary")
    page.fill("#target-filter textarea", "")
    visit.until(lambda: page.inner_text("#target-summary") != narrowed, "every target again")
    visit.choose("target-year", "未注明")
    visit.until(lambda: set(visit.column("target-table", 0)) == {"未注明"}, "targets with no year stated")
    assert [t.strip() for t in page.locator("#target-chart .chart-label").all_inner_texts()] == ["未注明"]
    page.fill("#target-filter textarea", "不存在的指标")
    visit.until(lambda: "没有符合条件的目标" in page.inner_text("#target-summary"), "an empty result saying so")
    assert "没有可显示的目标" in page.inner_text("#target-chart")  # not a blank chart
    page.fill("#target-filter textarea", "")
    visit.choose("target-year", "全部年份")
    visit.until(lambda: "共" in page.inner_text("#target-summary"), "every target again")
    with page.expect_download() as download:
        page.click("#target-csv")
    header, row = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.split(",")[:4] == ["文件", "条款", "截止时间", "指标"]
    assert row.startswith("江阴市碳达峰实施方案（征求意见稿）,") and "jiangyin_carbon_peak_plan_draft" not in row


def test_documents_tab_says_a_draft_is_a_draft(screen):
    name, visit = screen
    visit.tab("文件")
    assert "江阴市碳达峰实施方案 征求意见稿" in visit.page.inner_text("#doc-meta")
    assert visit.page.locator("#doc-pick input").input_value() == "江阴市碳达峰实施方案（征求意见稿）"
    visit.shot(f"ui_{name}_documents")
