"""Normalisation and tokenising, shared by indexing and querying so both sides see the same forms."""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import unicodedata

SENT_END = "。！？!?；;"
CJK = r"\u4e00-\u9fff"
_CJK_RE = re.compile(f"[{CJK}]")
# spaces between two CJK characters (or CJK and a digit) are noise: 光伏 装机 -> 光伏装机
_CJK_SPACE = re.compile(rf"(?<=[{CJK}\d%])\s+(?=[{CJK}\d])|(?<=[{CJK}])\s+(?=[A-Za-z])|(?<=[A-Za-z])\s+(?=[{CJK}])")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202f\ufeff\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

STOPWORDS = frozenset(
    """的 了 和 与 及 或 是 在 对 为 把 被 将 要 有 就 都 也 还 又 并 等 之 其 这 那 哪 哪些 哪个 什么 怎么 怎样 如何 多少
    吗 呢 吧 啊 么 不 没 咱 我 我们 你 你们 他们 它 请问 请 一下 可以 能 会 需要 应该 目标 是否 多 少 几 个 方面 哪几条
    谁 由 负责 主要 有关 关于 以后 现在 今后 到底 一些 这些 那些 通过 进行 实现 达到 时候 什么时候 大概 大约 部分 几条 怎么样 怎样 为什么 哪部分 还能 可以 不能 具体 里 里面 说 中 提到 提出 定 定了 是指 指 一共 分别 各 各是 ? , . 、 ， 。 ？ ！ ： ； “ ” （ ）
        牵头 主管 分管 这件 这项 这个 这种 这类 这块 这方面 那件 那项 那个 那种 那类 那块
    """.split()
)


def scrub(text: str) -> str:
    """Lone surrogates (undecodable bytes in argv, \\ud800 escapes in JSON) as U+FFFD: they cannot be
    encoded as UTF-8, so no output, JSON or library downstream could carry them."""
    return _SURROGATE.sub("\ufffd", text)


def fold(text: str) -> str:
    """Width-fold, simplify, drop control characters (and lone surrogates) and the spaces between CJK words."""
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", text))
    text = to_simplified(text)
    text = _CJK_SPACE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text) if _CJK_RE.search(text) else text


YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
# the year a change is measured against (比2020年下降, 较2005年, 与2020年相比): a baseline, not the year asked
BASELINE = re.compile(r"(?:比|较|相比|相较于?|与|同)\s*((?:19|20)\d\d)\s*年?")
TITLED = re.compile(r"《[^》]*》")  # a document's title: its years and figures are not the text's own
# a comma-clause that is a condition (…违反建筑节能标准的，): not a purpose (为…目的，), 有的， or 是…的，
CONDITION = re.compile(r"^(?!.*是)(?:.*[^目有])?的\s*[,，]\s*$")
# a five-year plan's number in a document's name (“十四五”规划, 十四五节能减排方案, “十三五” 环保 方案): names the
# document, not its years. The name ends at its kind of document (计划 and 规划, verbs too, where the name ends:
# 十四五期间计划新增… plans nothing); a plan's own time (十四五末, 期间, 时期) names no document
DOCUMENT_PLAN = re.compile(
    r"十[一二三四五六七八九]五”?(?!\s*(?:末|期间|时期|期末|以来|开局))[^，,。；;？?！!]{0,14}?"
    r"(?:方案|意见|要点|条例|办法|通知|报告|(?:计划|规划)(?=[》”的里中内对\s，,。；;？?！!]|$))"
)
# a five-year plan named by its number (十四五, “十五五”), not a count (十四五个, 一百十四五)
# (十四五以来 and 十四五开局 mean its years so far or its first, not its last: no one year)
_PLAN = re.compile(
    r"(?<![一二三四五六七八九十百千万零〇两])十([一二三四五六七八九])五"
    r"(?![个岁人天年万亿千百元次家项条倍名位种日号所户亩米]|”?\s*(?:以来|开局))"
)
_NUMERALS = "一二三四五六七八九"
THIRD_PLAN_END = 1970  # 三五 ran 1966-1970; each plan since has run five years


def plan_end(number: int) -> int:
    """The last year of the numbered five-year plan (14 -> 2025): the year its targets fall due."""
    return THIRD_PLAN_END + 5 * (number - 3)


def years(text: str) -> list[str]:
    """The years a text names, in order: written out (2025年), or as the last year of a five-year plan it
    names by number (十四五末, “十四五”期间 -> 2025), as a plan's targets are stated for its last year."""
    found = [(m.start(), m.group(1)) for m in YEAR.finditer(text)]
    written = {y for _, y in found}
    for m in _PLAN.finditer(text):
        year = str(plan_end(10 + _NUMERALS.index(m.group(1)) + 1))
        if year not in written:  # 十四五期间，到2025年: one year
            written.add(year)
            found.append((m.start(), year))
    return [y for _, y in sorted(found)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of sentences, each including its closing mark and a closing bracket or quote after it."""
    spans, start, i, n = [], 0, 0, len(text)
    while i < n:
        if text[i] in SENT_END or text[i] == "\n":
            j = i + 1
            while j < n and text[j] in "”’）)」』":
                j += 1
            if text[start:j].strip():
                spans.append((start, j))
            start = i = j
            continue
        i += 1
    if text[start:].strip():
        spans.append((start, n))
    return spans


def quiet_jieba() -> None:
    """jieba logs its dictionary loading at INFO to stderr; a command's output is not the place."""
    import jieba

    jieba.setLogLevel(logging.WARNING)


_JIEBA_LOCK = threading.RLock()  # tag() may read the dictionary while it holds it


def place_names(text: str) -> list[str]:
    """Place names in a text, as jieba's part-of-speech tagger finds them (ns), without their 省/市/区/县."""
    names = [w for w, flag in tag(text) if flag == "ns"]
    return [re.sub(r"(省|市|自治区|区|县)$", "", n) if len(n) > 2 else n for n in names]


TAG_MEMO = 65_536  # runs of characters whose tagging is remembered (cleared when full)
_TAGGER: list = []


def tag(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) for each word of the text, by jieba's tagger over its default dictionary.

    The tagger guesses the words of each run of characters its dictionary does not hold (碳达峰, 到2025年)
    with an HMM in pure Python, most of its time; the same runs come back question after question, so
    each run's tagging is remembered (a pure function of the run)."""
    if not _TAGGER:
        with _JIEBA_LOCK:
            if not _TAGGER:
                _TAGGER.append(_memo_tagger())
    return [(p.word, p.flag) for p in _TAGGER[0].lcut(text)]


def tag_table() -> dict[str, str]:
    """jieba's part-of-speech tag of each word of its dictionary (the tagger's own table)."""
    tag("")  # the tagger, and its table, loaded once
    return _TAGGER[0].word_tag_tab


def _memo_tagger():
    quiet_jieba()
    import jieba.posseg as pseg

    class MemoTagger(pseg.POSTokenizer):
        """jieba's default tagger (its dictionary and tag table, shared), remembering its HMM runs."""

        def __init__(self) -> None:  # (the base reads the dictionary's tags again: ~0.8 s)
            self.tokenizer, self.word_tag_tab = pseg.dt.tokenizer, pseg.dt.word_tag_tab
            self.memo: dict[str, list] = {}

        def _POSTokenizer__cut_detail(self, run):  # the base's private per-run step, which cut() calls
            found = self.memo.get(run)
            if found is None:
                found = list(pseg.POSTokenizer._POSTokenizer__cut_detail(self, run))
                if len(self.memo) >= TAG_MEMO:
                    self.memo.clear()
                self.memo[run] = found
            return iter(found)

    dictionary_words()
    return MemoTagger()


def dictionary_words() -> dict[str, int]:
    """jieba's default dictionary: the words of general Chinese with their frequencies (0 for a prefix
    that is no word of its own)."""
    import jieba

    if not jieba.dt.initialized:
        with _JIEBA_LOCK:
            quiet_jieba()
            jieba.dt.initialize()
    return jieba.dt.FREQ


def _jieba_copy():
    """A jieba tokenizer of its own (the corpus words added to it stay in it), over a copy of jieba's
    default dictionary, which the process reads once (~0.7 s; copying it takes ~0.05 s) and which the
    part-of-speech tagger and the common-word check read too. Nothing is ever added to the default."""
    import jieba

    dictionary_words()
    base = jieba.dt
    own = jieba.Tokenizer()
    own.FREQ, own.total, own.initialized = dict(base.FREQ), base.total, True
    return own


USER_FREQ = 2000  # the frequency a corpus term joins jieba's dictionary with


class Tokenizer:
    """jieba words (search mode) plus single CJK characters, over folded text.

    Characters keep recall for colloquial and mistyped questions (烧煤 still meets 煤炭); BM25's idf
    keeps common characters cheap. Corpus terms and department names join jieba's dictionary.
    """

    def __init__(self, user_words: list[str] | tuple[str, ...] = ()):
        self._jieba = _jieba_copy()
        self.user_words = sorted({w for w in user_words if 1 < len(w) <= 16})
        for w in self.user_words:
            self._jieba.add_word(fold(w), freq=USER_FREQ)

    def words(self, text: str) -> list[str]:
        return [w for w in self._jieba.lcut_for_search(fold(text).lower()) if w.strip() and w not in STOPWORDS]

    def segment(self, text: str) -> list[str]:
        """The words of a folded text, jieba's precise mode (no HMM guesses, no search-mode pieces)."""
        return self._jieba.lcut(text, HMM=False)

    def log_likelihood(self, text: str, domain: frozenset[str] = frozenset()) -> float:
        """The text's log-probability under jieba's word-frequency model (its likeliest segmentation,
        the corpus terms included): how much like Chinese, and like the corpus, a wording reads. Words of
        `domain` (the corpus's own, 光伏: rare in general Chinese) count as often as a corpus term."""
        text = fold(text).lower()
        if not text:
            return 0.0
        freq, logtotal = self._jieba.FREQ, math.log(self._jieba.total)
        dag = self._jieba.get_DAG(text)
        route: dict[int, float] = {len(text): 0.0}
        for i in range(len(text) - 1, -1, -1):  # jieba's own dynamic programme (Tokenizer.calc), read-only
            route[i] = max(
                math.log(max(freq.get(text[i : j + 1]) or 1, USER_FREQ if text[i : j + 1] in domain else 0))
                - logtotal
                + route[j + 1]
                for j in dag[i]
            )
        return route[0]

    def tokens(self, text: str) -> list[str]:
        words = self.words(text)
        chars = [c for w in words if len(w) > 1 for c in w if _CJK_RE.match(c) and c not in STOPWORDS]
        return [w for w in words if not _is_punct(w)] + chars


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(c)[0] in "PSZ" for c in token)


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))
