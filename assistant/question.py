"""The question, read once into a `Question` that retrieval and answering both read.

raw text -> normalised (繁→简, full/half width, invisible characters and stray spaces out)
         -> instructions dropped (忽略之前的指令…), a follow-up resolved against the previous question
         -> typos mapped to the corpus's own terms (same pinyin, one character apart)
         -> places, levels, years and document titles it names; its intent; its tokens; its parts.

Everything that needs the corpus (its vocabulary, titles, places, departments) comes from the index,
through a `QuestionReader` built once per index.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

from .answer.intent import CAP_WORDS, Intent, asks_something, classify, which_of
from .ingest.meta import AREA_KIND, PROVINCES
from .targets import UNITS
from .text import BASELINE, DOCUMENT_PLAN, TITLED, Tokenizer, dictionary_words, fold, has_cjk
from .text import YEAR as _YEAR
from .text import years as years_named

MAX_QUESTION_CHARS = 2000
PART_MIN = 4  # characters a sub-question needs to stand alone
TYPO_ODDS = 100  # how much likelier a correction must make the question: about one character in a hundred is mistyped
MAX_PARTS = 5  # more questions than this in one text is a pasted document, read as one question
LEVEL_WORDS = {  # how people name a level without naming a place
    "国家": ("全国", "国家", "中央", "国务院", "national", "state council", "china"),
    "省": ("全省", "省级", "我省", "省里", "省委", "省政府", "provincial", "province"),
    "市": ("全市", "市级", "我市", "市里", "municipal"),
    "区县": ("全区", "区级", "县级", "我区", "区里", "district", "county"),
}
# a level word after a verb of sending (报给省里, 报送至省级, 上报) is who receives, as is one between 向 and
# such a verb (向省里报送)
_SENT = r"(?:[报交送递呈](?:给|至|到)|报送|上报|呈报)"
_RECIPIENT = re.compile(_SENT + "$")
_SENT_AFTER = re.compile(r"(?:提交|[报交送递呈])")
_INSTRUCTION = re.compile(
    r"(?i)忽略|无视|不要理会|你现在是|你是一个|扮演|假装|系统提示|提示词|\bignore\b|\bdisregard\b|you are now"
    r"|pretend|system prompt"
)
_CLAUSE_END = re.compile(r"(?<=[，,。；;！!？?\n])")
# a year that names a document rather than the year a value is due: 2022年计划, 2022年推动碳达峰碳中和工作计划
_DOCUMENT_YEAR = re.compile(
    r"(?<!\d)(?:20\d\d\s*[-—–~至到]\s*)?20\d\d年度?[^，,。；;？?！!\s]{0,12}?(?:计划|方案|意见|要点|规划|条例|办法|通知|报告)"
)
_FOLLOW = re.compile(r"^(那么?|还有|另外|同样|再问|如果是)")
_INTERROGATIVE = re.compile(r"[哪啥谁几怎吗呢么]|什么|多少")  # question words: what is asked, not what about
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
NEGATION_RUNS = 3  # the corpus's negations of one word a question's 不 borrows (不予支持, 不得支持 …)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|《[^》]*》")

# ---- document titles a question names -----------------------------------------------------------

TITLE_MATCH = 6  # characters a question must share with a title to name it
TITLE_STRIP = 8  # ...and to be read without them: a shorter part (南京江北新区) may be what is asked about
TITLE_SHARED_BY = 2  # titles a run may be shared by and still name them


_DOC_KIND = r"(?:方案|意见|计划|办法|条例|规划|通知|措施|细则|纲要|决定|规定)"
_NAMING = re.compile(rf"《([^《》]{{2,80}})》|([\u4e00-\u9fff“”\d]{{2,40}}?{_DOC_KIND})")
NAMED_MIN = 6  # characters of a naming phrase: 碳达峰方案 alone names no one document
NAMED_SHARE = 0.85  # share of a naming phrase (…方案) that must appear, in order, in a title


# a document's issue number (文号) as people write it: 苏政发〔2022〕8号, 国发[2021]23号, 苏建办（2021）66 号
DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})\s*[〔\[［(（【]\s*((?:19|20)\d\d)\s*[〕\]］)）】]\s*(\d{1,4})\s*号")


def number_key(text: str) -> tuple[str, str, int] | None:
    """A 文号's issuer code, year and number, whatever its brackets and spaces (苏政发〔2022〕8号 ->
    (苏政发, 2022, 8)); None if the text holds none."""
    m = DOC_NUMBER.search(text or "")
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class Titles:
    """Which document titles a question names, and the part of the question that names them: a phrase
    that ends like a document (…实施方案, 《…》) most of whose characters appear in order in a title
    (省碳达峰方案 names 江苏省碳达峰实施方案), or TITLE_MATCH characters in a row shared with one.
    Titles sharing too few character pairs with the question are not compared, so a corpus of
    thousands of documents costs little per question."""

    def __init__(
        self, titles: dict[str, str], numbers: dict[str, str] | None = None, places: dict[str, str] | None = None
    ):
        """`titles`, `numbers` (文号) and `places` by doc id."""
        self.titles = {d: fold(t) for d, t in titles.items() if t}
        # a phrase names a document by its place and title (河北省…的实施意见), where the title leaves the
        # place out: titles many provinces share tell apart by the place alone
        self.named_as = {
            d: (p + t if (p := fold((places or {}).get(d, ""))) and p != "全国" and p not in t else t)
            for d, t in self.titles.items()
        }
        self.grams = {d: _bigrams(t) for d, t in self.named_as.items()}
        self.numbers: dict[tuple[str, str, int], set[str]] = {}
        for d, number in (numbers or {}).items():
            if key := number_key(number):
                self.numbers.setdefault(key, set()).add(d)
        self._seen: dict[str, tuple[frozenset[str], str]] = {}

    def named(self, question: str) -> tuple[frozenset[str], str]:
        """(the doc ids whose title the question names, the part of the question that names them)."""
        # A memo shared by the app's threads: the result is returned from a local, never read back,
        # since another thread may clear the memo between the write and a read.
        found = self._seen.get(question)
        if found is None:
            found = self._by_number(question) or self._by_phrase(question) or self._by_run(question)
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen[question] = found
        return found

    def _candidates(self, text: str) -> list[str]:
        grams = _bigrams(text)
        return [d for d in self.titles if len(grams & self.grams[d]) >= 2]

    def _by_number(self, question: str) -> tuple[frozenset[str], str] | None:
        """The documents whose 文号 the question gives (苏政发〔2022〕8号文件要求…), however bracketed."""
        docs: set[str] = set()
        parts: list[str] = []
        for m in DOC_NUMBER.finditer(question):
            # words may run into the issuer's code (江苏省政府苏政发〔2022〕8号): its end must be the code,
            # the longest that is (苏财建〔2021〕88号 is not 财建〔2021〕88号)
            issuers = [
                issuer
                for issuer, year, number in self.numbers
                if (year, number) == (m.group(2), int(m.group(3))) and m.group(1).endswith(issuer)
            ]
            if issuers:
                issuer = max(issuers, key=len)
                docs |= self.numbers[(issuer, m.group(2), int(m.group(3)))]
                parts.append(m.group(0)[len(m.group(1)) - len(issuer) :])
        return (frozenset(docs), "|".join(parts)) if docs else None

    def _by_phrase(self, question: str) -> tuple[frozenset[str], str] | None:
        """Every phrase that names documents (a question may name two: A和B分别…), the documents each
        names best, and the parts of the question they take (joined by "|")."""
        from rapidfuzz.distance import LCSseq

        docs: set[str] = set()
        parts: list[str] = []
        for m in _NAMING.finditer(question):
            phrase = (m.group(1) or m.group(2)).strip("“”")
            if len(phrase) < NAMED_MIN:
                continue
            shares = {d: LCSseq.similarity(phrase, self.named_as[d]) / len(phrase) for d in self._candidates(phrase)}
            top = max(shares.values(), default=0.0)
            if top >= NAMED_SHARE:
                docs |= {d for d, v in shares.items() if v == top}
                parts.append(m.group(0))
        return (frozenset(docs), "|".join(parts)) if docs else None

    def _by_run(self, question: str) -> tuple[frozenset[str], str]:
        from difflib import SequenceMatcher

        shared: dict[str, str] = {}
        for d in self._candidates(question):
            title = self.titles[d]
            m = SequenceMatcher(None, question, title, autojunk=False).find_longest_match(
                0, len(question), 0, len(title)
            )
            shared[d] = question[m.a : m.a + m.size]
        # a run many titles share (碳达峰碳中和) names no one document; each title is judged by its own run
        # (南京江北新区 names its plan though 碳达峰碳中和, as long, is in three titles)
        named = {
            d: part
            for d, part in shared.items()
            if len(part) >= TITLE_MATCH and sum(part in t for t in self.titles.values()) <= TITLE_SHARED_BY
        }
        return frozenset(named), max(sorted(named.values()), key=len, default="")

    def without(self, question: str) -> str:
        """The question less the title it names: what is asked, not where to look."""
        _, named = self.named(question)
        for part in named.split("|"):
            if len(part) >= TITLE_STRIP:
                question = question.replace(part, " ")
        return question


class QuestionError(ValueError):
    """The question cannot be asked as given: empty, or too long."""


class Question(BaseModel):
    raw: str  # as typed
    text: str  # normalised
    asked: str  # instructions dropped, a follow-up resolved: what is answered
    search: str  # `asked` with typos mapped to corpus terms: what is embedded and tokenised
    corrections: dict[str, str] = Field(default_factory=dict)  # typo -> corpus term
    english: bool = False
    places: list[str] = Field(default_factory=list)  # places of indexed documents the question names
    foreign_places: list[str] = Field(default_factory=list)  # places it names that no document is about
    foreign_areas: list[str] = Field(default_factory=list)  # of those, the ones named as a province or city (无锡市)
    levels: list[str] = Field(default_factory=list)  # 国家 / 省 / 市 / 区县, named as a level
    years: list[str] = Field(default_factory=list)
    value_years: list[str] = Field(
        default_factory=list
    )  # of those, the years a value is asked for (not 2022年工作计划)
    title_docs: list[str] = Field(default_factory=list)  # documents whose title the question names
    title_part: str = ""  # the part of the question that names them
    quoted: list[str] = Field(default_factory=list)  # terms it quotes (“七大行动”), titles aside
    attribute: str = ""  # what a value question asks of its subject: 利率 in 环保贷的利率是多少
    attribute_known: bool = False  # the documents use that word somewhere
    # a noun no document uses, with the word after it that it is a kind of (二氧化硫, 排放 in 二氧化硫排放总量): read
    # only for a question asking an amount (abstain.item_absent), empty for any other
    unknown_kinds: list[tuple[str, str]] = Field(default_factory=list)
    which: list[str] = Field(default_factory=list)  # what a which-question asks to be named (园区 in 哪几个园区)
    base_years: list[str] = Field(default_factory=list)  # years a change is asked against (2020 in 比2020年)
    only_instructions: bool = False  # every clause instructs the assistant (忽略之前的指令…): nothing is asked
    intent: Intent = Field(default_factory=Intent)
    tokens: list[str] = Field(default_factory=list)  # BM25 query terms (a named title left out)
    content: list[str] = Field(default_factory=list)  # what is asked about: tokens less places and titles
    # a part read in the context of the question around it (…按什么标准补？最多能补多少？): its own words, what it
    # asks further of the subject the rest of `content` names; empty for a question read alone
    own: list[str] = Field(default_factory=list)
    in_context: bool = False  # a part naming nothing of its own, read with the question around it
    parts: list[str] = Field(default_factory=list)  # the sub-questions of a question asking several things
    # the things it asks the same of, each (光伏和风电的装机目标各是多少): (the thing, the question of it alone)
    each: list[tuple[str, str]] = Field(default_factory=list)

    @property
    def untitled(self) -> str:
        """`search` without the part naming a document's title: the title names, it does not ask."""
        return self.search.replace(self.title_part, " ") if self.title_part else self.search

    @property
    def names_scope(self) -> bool:
        """Whether it says where to look: a place, a level or a document."""
        return bool(self.places or self.levels or self.title_docs)


def check(raw: object) -> str:
    """The question normalised, or QuestionError saying why it cannot be asked."""
    if not isinstance(raw, str):
        raise QuestionError("问题必须是文字 (the question must be text)")
    if len(raw) > MAX_QUESTION_CHARS:  # the length first: a pasted book is refused before any work on it
        raise QuestionError(
            f"问题过长：共{len(raw)}字，请控制在{MAX_QUESTION_CHARS}字以内 "
            f"(the question has {len(raw)} characters; keep it under {MAX_QUESTION_CHARS})"
        )
    text = normalise(raw)
    if not text or not any(ch.isalnum() for ch in text):
        raise QuestionError(
            "问题为空：请输入一个问题，例如“到2030年太阳能发电装机容量目标是多少?” (the question is empty)"
        )
    return text


def normalise(raw: str) -> str:
    """繁→简, full/half width, invisible and control characters out, spaces inside Chinese out."""
    from .ingest.reflow import squeeze_spaces

    return squeeze_spaces(re.sub(r"\s+", " ", fold(raw)))  # fold drops lone surrogates and control characters


def without_instructions(text: str) -> str:
    """Clauses that instruct the assistant (忽略之前的指令…) are dropped; the question they wrap is kept.
    A question that is nothing but such clauses stays as it is."""
    clauses = [c for c in _CLAUSE_END.split(text) if c.strip()]
    kept = [c for c in clauses if not _INSTRUCTION.search(c)]
    return "".join(kept).strip(" ，,。；;") if kept and len(kept) < len(clauses) else text


def _with_plans(written: list[str], text: str) -> list[str]:
    """The written years, then the last years of the five-year plans `text` names by number (text.years)
    that are not among them."""
    return written + [y for y in dict.fromkeys(years_named(text)) if y not in written]


class NameUses:
    """What follows each level word (国家, 全国, 省级 …) where the documents write it, by the documents'
    level and by their place: whether a level word and the words after it are part of a name that some
    documents write. Each use is kept as the dozen characters after the word, sorted, so a lookup is a
    binary search, whatever the corpus's size."""

    SPAN = 12

    def __init__(self, documents=(), folded: list[str] | None = None) -> None:
        """`folded`: the documents' texts already folded and lower-cased, in their order (else folded here)."""
        words = [w for ws in LEVEL_WORDS.values() for w in ws if has_cjk(w)]
        found: dict[tuple[str, str], set[str]] = {}
        texts = folded if folded is not None else [fold(d.text).lower() for d in documents]
        for d, text in zip(documents, texts):
            for w in words:
                after = {text[m.end() : m.end() + self.SPAN] for m in re.finditer(re.escape(w), text)}
                for key in (d.meta.level, f"@{d.meta.place}" if d.meta.place else ""):
                    if key and after:
                        found.setdefault((key, w), set()).update(after)
        self._after = {k: sorted(v) for k, v in found.items()}

    def written(self, key: str, word: str, rest: str) -> bool:
        """Whether documents of `key` (a level, or @place) write `word` followed by `rest`."""
        after = self._after.get((key, word), [])
        i = bisect.bisect_left(after, rest)
        return i < len(after) and after[i].startswith(rest)


class QuestionReader:
    """Reads questions against one index's corpus."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        titles,
        doc_places: dict[str, str],
        departments: Iterable[str],
        vocabulary: dict[str, int],
        corpus_text: str,
        uses: NameUses | None = None,
    ):
        self.tokenizer = tokenizer
        self.titles = titles  # retrieve.Titles
        self.titled = " ".join(getattr(titles, "titles", {}).values())  # every title, folded: the places they hold
        self.doc_places = doc_places
        self.places = sorted({p for p in doc_places.values() if p}, key=len, reverse=True)
        self.departments = sorted({d for d in departments if d}, key=len, reverse=True)
        self.vocabulary = vocabulary  # corpus word -> in how many passages it occurs
        self.corpus_text = corpus_text  # folded, lower case
        self.uses = uses or NameUses()  # where the documents write a level word as part of a name
        # the corpus's runs of two and three characters: whether a short run occurs in it, without a search
        self.grams = {corpus_text[i : i + n] for n in (2, 3) for i in range(len(corpus_text) - n + 1)}
        self._negated: dict[str, Counter[str]] = {}  # word -> the corpus's runs negating it (filled as asked)

    def read(self, raw: str, previous: str | None = None) -> Question:
        text = check(raw)
        asked = without_instructions(text)
        if previous:
            asked = self.follow_up(asked, normalise(previous))
        search, corrections = self.correct(asked)
        english = not has_cjk(search)
        places, levels, foreign, areas = self.named_places(search)
        titled, part = self.titles.named(search)
        without_title = self.titles.without(search)
        unquoted = _QUOTED.sub(" ", without_title)  # 《2030年前碳达峰行动方案》 names a document, not a year
        # a five-year plan named by number (“十四五”末) is a year too, quoted or not, unless it is part of
        # a document's name (《…》, 十四五节能减排方案): that names the document, as its title would
        plain = DOCUMENT_PLAN.sub(" ", _YEAR.sub(" ", TITLED.sub(" ", without_title)))
        years = _with_plans(_YEAR.findall(unquoted), plain)
        value_years = _with_plans(_YEAR.findall(BASELINE.sub(" ", _DOCUMENT_YEAR.sub(" ", unquoted))), plain)
        tokens = self.tokenizer.tokens(
            without_title
        )  # an English question's own words: crosslingual.py adds corpus terms
        negation = [t for t in self.negations(without_title) if t not in tokens]
        tokens += negation
        intent = classify(without_title, self.departments)
        attribute = asked_attribute(without_title)
        content = [t for t in self.content_tokens(without_title, places, tokens) if t not in negation] + negation
        if intent.asks_cap:  # 封顶多少 asks the bound of an amount: 封顶 is its grammar, not a thing asked of
            attribute = "" if CAP_WORDS.fullmatch(attribute) and attribute not in self.corpus_text else attribute
            content = [t for t in content if not CAP_WORDS.search(t) or t in self.corpus_text]
        return Question(
            raw=raw,
            text=text,
            asked=asked,
            search=search,
            corrections=corrections,
            english=english,
            places=places,
            foreign_places=foreign,
            foreign_areas=areas,
            levels=levels,
            years=years,
            value_years=value_years,
            title_docs=sorted(titled),
            title_part=part,
            intent=intent,
            attribute=attribute,
            attribute_known=bool(attribute) and attribute in self.corpus_text,
            # (read only where abstain.item_absent looks: a question asking an amount)
            unknown_kinds=self.unknown_kinds(without_title) if intent.asks_amount and not english else [],
            which=sorted(which_of(asked)),
            base_years=BASELINE.findall(asked),
            only_instructions=all(_INSTRUCTION.search(c) for c in _CLAUSE_END.split(text) if c.strip()),
            quoted=[t for t in re.findall(r"“([^”]{2,20})”|\"([^\"]{2,20})\"", without_title) for t in t if t],
            tokens=tokens,
            content=content,
            parts=split_parts(asked),
            # (two places compared are sides, pipeline._sides, or one the documents are not about)
            each=[] if len(places) + len(foreign) >= 2 else self._each(asked, places + foreign),
        )

    def _each(self, asked: str, places: list[str]) -> list[tuple[str, str]]:
        """each_of over the question's words (segmented only when it asks of each); its places (as written,
        成都 and 成都市), the level words and the words of now are where and when, said of every thing."""
        if not _EACH.search(asked):
            return []
        scope = {p + k for p in places for k in ("", "市", "省", "区", "县", "全市", "全省")} | _WHERE_WHEN
        return each_of(asked, self.tokenizer.segment(fold(asked)), frozenset(scope), self.corpus_text)

    # ---- what it names ---------------------------------------------------------------------------

    def named_places(self, text: str) -> tuple[list[str], list[str], list[str], list[str]]:
        """(places of indexed documents, levels, places no document is about, those of them named as a
        province or city) the text names."""
        low = text.lower()
        places = [p for p in self.places if (p in text or self._pinyin_of(p) in low) and p != "全国"]
        levels = [lv for lv, words in LEVEL_WORDS.items() if any(self._scopes(lv, w, low, places) for w in words)]
        if "国家" in levels and "全国" in self.places:
            places.append("全国")
        unquoted = _QUOTED.sub(" ", text)
        foreign = [p for p in place_names(unquoted) if names_area(p, unquoted) and self._foreign(p, unquoted)]
        foreign = [p + _zone_after(p, unquoted) for p in foreign]  # 东湖高新区: as written, not 东湖 (东湖新城)
        areas = [p for p in foreign if _named_as_area(p, unquoted)]
        if not has_cjk(text):  # Suzhou's target: a Chinese place by its pinyin, when no document is its
            ours = {self._pinyin_of(p) for p in self.places}
            for word in re.findall(r"\b[A-Z][a-z]+\b", text):
                if word.lower() not in ours:
                    # (Nanjing in Nanjing Jiangbei New Area: a document's title names it, as part of its place)
                    named = [
                        n
                        for n in english_place_names().get(word.lower(), [])
                        if n not in foreign and n not in self.titled
                    ]
                    foreign += named
                    areas += named
        return places, levels, foreign, areas

    def _pinyin_of(self, place: str) -> str:
        """江苏 -> jiangsu, 江北新区 -> jiangbei (Jiangbei New Area): how an English question writes a
        Chinese place, an area by its own name (its kind is translated: New Area, Development Zone)."""
        name = AREA_KIND.sub("", place)
        name = name if len(name) >= 2 else place
        return "".join(pinyin_key(name)).lower() if re.fullmatch(r"[\u4e00-\u9fff]+", name) else "\0"

    def _scopes(self, level: str, word: str, low: str, places: list[str]) -> bool:
        """Whether the level word names where to look somewhere in the question, not what is asked. It is
        part of a name (争创国家级绿色工厂示范: what a city competes for) where, with the two words after
        it, the documents of a place the question names write it so, or documents of another level write
        it so and its own level's never do: then it says nothing of which documents to read."""
        for m in re.finditer(re.escape(word), low):
            before, after = low[max(0, m.start() - 3) : m.start()], low[m.end() : m.end() + 2]
            if _RECIPIENT.search(before) or (before.endswith("向") and _SENT_AFTER.match(after)):
                continue  # 报给省里, 向省里报送: to whom a thing goes, written in the rules of who sends it
            rest = "".join(self.tokenizer.segment(low[m.end() : m.end() + NameUses.SPAN])[:2])
            if not re.fullmatch(r"[\u4e00-\u9fff]{3,}", rest):
                return True
            named = any(self.uses.written(f"@{p}", word, rest) for p in places)
            elsewhere = not self.uses.written(level, word, rest) and any(
                self.uses.written(other, word, rest) for other in LEVEL_WORDS if other != level
            )
            if not (named or elsewhere):
                return True
        return False

    def _foreign(self, place: str, text: str) -> bool:
        """A place no document is about: the corpus never names it, or the question names it as a
        province or city (无锡市, 浙江省) and no document is that place's."""
        if any(place in p or p in place for p in self.places):
            return False
        # a zone written in full (东湖高新区) that no document names so, though one names 东湖 (东湖新城)
        zone = _zone_after(place, text)
        zoned = bool(zone) and place + zone not in self.corpus_text
        return _named_as_area(place, text) or place not in self.corpus_text or zoned

    def content_tokens(self, text: str, places: list[str], tokens: list[str] | None = None) -> list[str]:
        """What is asked about: the tokens less the place and level words (they route the search).
        `tokens`, the text's own tokens, serve when it names no place or level."""
        bare = text
        for word in sorted([*places, *(w for ws in LEVEL_WORDS.values() for w in ws)], key=len, reverse=True):
            bare = re.sub(re.escape(word) + "(市|省|区|县)?", " ", bare, flags=re.I)
        tokens = tokens if tokens is not None and bare == text else self.tokenizer.tokens(bare)
        return [t for t in tokens if not _INTERROGATIVE.search(t)]

    def negations(self, text: str) -> list[str]:
        """The words the documents negate with where the question negates a word of theirs in its own way
        (明确不给支持的 → 不予支持: 不予): for each 不 before one of the corpus's words (up to two characters
        between; not an A不A question, 能不能), the corpus's own runs of 不, up to two characters and that
        word, tokenised, less that word. 不 itself is a stopword, so without them a question of what is not
        allowed reads as one of what is."""
        folded = fold(text).lower()
        found: list[str] = []
        for m in re.finditer("不", folded):
            i = m.start()
            if (0 < i < len(folded) - 1 and folded[i - 1] == folded[i + 1]) or (
                i >= 2 and folded[i - 2 : i] == folded[i + 1 : i + 3]
            ):
                continue  # 能不能, 支持不支持: asks yes or no
            for gap in (0, 1, 2):
                head = folded[i + 1 + gap : i + 3 + gap]
                if len(head) < 2 or not _CJK_RUN.fullmatch(head) or head not in self.vocabulary:
                    continue
                runs = self._negated.get(head)
                if runs is None:  # a scan of the whole corpus: once per word, not once per question
                    runs = Counter(re.findall(rf"不[\u4e00-\u9fff]{{0,2}}?{re.escape(head)}", self.corpus_text))
                    self._negated[head] = runs
                if folded[i : i + 3 + gap] in runs:
                    break  # the question negates it as the documents do
                for run, _ in runs.most_common(NEGATION_RUNS):
                    found += [t for t in self.tokenizer.tokens(run[: -len(head)]) if len(t) >= 2 and t not in found]
                break
        return found

    # ---- typos ----------------------------------------------------------------------------------

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """Runs of 2-4 Chinese characters the corpus never uses, replaced by a corpus word with the same
        pinyin that differs in one character (天然汽 -> 天然气, 拉圾 -> 垃圾). The candidates are the
        corpus's own words; a run that is a common word elsewhere (jieba knows it) is left alone."""
        corrections: dict[str, str] = {}
        # where a Chinese run ends, from each position; the positions inside a known word (光|伏)
        han_end, end = [0] * (len(text) + 1), len(text)
        for i in range(len(text) - 1, -1, -1):
            end = end if "\u4e00" <= text[i] <= "\u9fff" else i
            han_end[i] = end
        inside = {
            p
            for n in (2, 3, 4)
            for a in range(len(text) - n + 1)
            if text[a : a + n] in self.vocabulary or _common_word(text[a : a + n])
            for p in range(a + 1, a + n)
        }
        for size in (4, 3, 2):
            for start in range(len(text) - size + 1):
                end = start + size
                run = text[start:end]
                if run in corrections or han_end[start] < end:
                    continue
                if self._in_corpus(run):
                    continue
                if _common_word(run) or start in inside or end in inside:
                    continue  # a word of general Chinese, or a run across two corpus words (光伏|装机)
                better = self._homophone(run)
                if better and self._likelier(text, run, better):
                    corrections[run] = better
        for typo, word in sorted(corrections.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(typo, word)
        return text, corrections

    def _likelier(self, text: str, run: str, word: str) -> bool:
        """Whether the text reads as Chinese TYPO_ODDS times likelier with the word in place of the run: a
        mistyped character is rare, so a same-sounding corpus word must explain the text much better than
        the text as typed (拉圾分类 -> 垃圾分类 does; 占比要降到 -> 占必要降到 and 人社局 -> 人设局 do not)."""
        # a word the corpus writes as a word (光伏: rare in general Chinese) is as common as its terms; not a
        # piece of a longer one (设局 in 建设局)
        domain = frozenset([word]) if word in self._corpus_words() else frozenset()
        likelihood = self.tokenizer.log_likelihood
        return likelihood(text.replace(run, word), domain) - likelihood(text, domain) >= math.log(TYPO_ODDS)

    @functools.cache  # noqa: B019 - one reader per index, kept for the index's life
    def _corpus_words(self) -> frozenset[str]:
        """The words of the corpus as jieba segments its text (its terms included), read at the first
        correction (about 0.3 s for ten documents)."""
        return frozenset(self.tokenizer.segment(self.corpus_text))

    def unknown_kinds(self, text: str) -> list[tuple[str, str]]:
        """The question's common nouns of two Chinese characters or more that no document uses, each with the
        word right after it that it names a kind of (二氧化硫排放总量 -> (二氧化硫, 排放)): a word of two characters
        or more the documents use. A noun followed by grammar (咱厂子的氨氮, 老板问下) names no kind of anything
        asked. (A place's name is another matter: question.foreign_places.)"""
        from .text import STOPWORDS, tag

        words = [(w, f) for w, f in tag(text) if w.strip()]
        return [
            (w, after)
            for (w, f), (after, _) in zip(words, words[1:])
            if f in ("n", "nz")
            and re.fullmatch(r"[\u4e00-\u9fff]{2,}", w)
            and not self._in_corpus(w)
            and len(after) >= 2
            and after not in STOPWORDS
            and self._in_corpus(after)
        ]

    def _in_corpus(self, run: str) -> bool:
        if len(run) <= 3:
            return run in self.grams
        return all(run[i : i + 3] in self.grams for i in range(len(run) - 2)) and run in self.corpus_text

    def _homophone(self, run: str) -> str:
        """The corpus word of the run's length, one character apart, that sounds the same (the most
        frequent, the first in the vocabulary's order on a tie)."""
        near = sorted({o_w for i in range(len(run)) for o_w in self._by_mask().get(run[:i] + "?" + run[i + 1 :], ())})
        if not near:  # (most runs have no corpus word one character apart: their pinyin is never needed)
            return ""
        key = pinyin_key(run)
        candidates = [w for _, w in near if w != run and pinyin_key(w) == key]
        return max(candidates, key=lambda w: self.vocabulary.get(w, 0), default="")

    @functools.cache  # noqa: B019 - one reader per index, kept for the index's life
    def _by_mask(self) -> dict[str, list[tuple[int, str]]]:
        """The corpus's words of 2-4 Chinese characters, by each form with one character masked
        (天然气 under ?然气, 天?气 and 天然?), with their place in the vocabulary's order."""
        index: dict[str, list[tuple[int, str]]] = {}
        for order, word in enumerate(self.vocabulary):
            if 2 <= len(word) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", word):
                for i in range(len(word)):
                    index.setdefault(word[:i] + "?" + word[i + 1 :], []).append((order, word))
        return index

    # ---- follow-ups -----------------------------------------------------------------------------

    def follow_up(self, question: str, previous: str) -> str:
        """A short follow-up read in the context of the previous question: after
        2025年非化石能源消费比重目标是多少?, 那2030年呢? asks the same of 2030; 江苏呢? the same of 江苏."""
        bare = _FOLLOW.sub("", question).strip(" ?？呢吗的")
        if not (_FOLLOW.match(question) or question.rstrip("?？ ").endswith("呢")) or len(bare) > 12 or not previous:
            return question
        years = _YEAR.findall(bare)
        if years and _YEAR.search(previous):
            return _YEAR.sub(years[0], previous, count=1)
        places, _, _, _ = self.named_places(bare)
        if places:
            before, _, _, _ = self.named_places(previous)
            for old in before:
                if old not in places:
                    return previous.replace(old, places[0], 1)
            return f"{bare}{previous}"
        return f"{previous} {bare}"


_VALUE_ASKED = re.compile(r"(是)?(多少|多大|多高|多长|(?<!哪)几|什么(?!时候))")
# A占B的(多少): the share of A in B, up to the question word
_SHARE_OF = re.compile(r"占(?![地用有据领])[^，。？！,.?!;；]*的(?:是)?$")  # (not 占地, 占用, 占有…: words of 占)
_NOUNISH = ("n", "nz", "vn", "eng", "j", "an", "nt", "ng")
_LIGHT_TAGS = ("u", "p", "d", "c", "y", "r")  # particles, prepositions, adverbs, conjunctions, pronouns
# verbs that only link a thing to its value (是, 为, 达到 …): a closed class of the language
_LIGHT_VERBS = frozenset("是 为 有 要 定 达 达到 能 会 将 应 需 需要 设 设定 定为 规定 提高到 降到 控制在".split())


_MEASURES = frozenset(UNITS) - {"个", "万个", "家", "座", "项", "条", "%", "％"}


def asked_attribute(text: str) -> str:
    """The noun a value question asks about, the word before its question word (环保贷的利率是多少 ->
    利率, GDP是多少 -> gdp); "" when that word is not a noun (压下去多少) or says nothing (目标是多少)."""
    from .text import STOPWORDS, tag

    m = _VALUE_ASKED.search(text)
    if not m:
        return ""
    if _SHARE_OF.search(text, 0, m.start()):
        return "占比"  # 销量占总销量的多少: a share is asked, the noun before it is what it is a share of
    after = [(w, f) for w, f in tag(text[m.end() :]) if w.strip()][:2]
    # 用水量达到多少的单位: the noun after 多少的 is what the clause describes, the value asked comes
    # before it (多大的规模 asks the 规模 itself)
    relative = m.group(2) == "多少" and bool(after) and after[0][0] == "的"
    # 多少亩林地, 多少吨标准煤: a measure asks the figure in it, and the noun after it is only what is
    # measured (not a counter: 多少家企业 asks of 企业)
    measured = bool(after) and after[0][0] in _MEASURES
    after = [(w, f) for w, f in after if f in _NOUNISH and w not in STOPWORDS and len(w) >= 2]
    if after and not relative and not measured:
        if m.group(0).endswith("什么"):
            return ""  # 成立什么机构: the kind of thing the answer names (领导小组), not a word it must carry
        return after[0][0].lower()  # 发多少购车补贴: the thing asked follows its question word
    words = [(w, f) for w, f in tag(text[: m.start()]) if w.strip()]
    while words and (words[-1][1][:1] in _LIGHT_TAGS or words[-1][0] in _LIGHT_VERBS):
        words.pop()  # 的, 是, 定, 有, 达到 …: the grammar between the thing asked about and the question word
    if not words:
        return ""
    word, flag = words[-1]
    return word.lower() if flag in _NOUNISH and word not in STOPWORDS and len(word) >= 2 else ""


# the kinds of area a place's name is written with (无锡市, 浦东新区, 繁昌县, 鄂尔多斯…旗)
_AREA_KINDS = ("省", "市", "县", "区", "新区", "镇", "乡", "州", "自治区", "自治州", "旗", "盟")
_WITH_KIND = re.compile("(?:全省|全市|" + "|".join(sorted(_AREA_KINDS, key=len, reverse=True)) + ")")


def names_area(place: str, text: str) -> bool:
    """Whether a word jieba tags as a place names an area: written with its kind here (无锡市, 浦东新区), a
    province, or a word jieba's dictionary also holds with an area's kind after it (杭州: 杭州市). Not so
    the common words its tagger also tags as places (上马 in 项目盲目上马, 东西, 英雄): no dictionary holds
    them as an area's name."""
    words = dictionary_words()
    after = text[text.find(place) + len(place) :] if place in text else ""
    kind = re.match(_WITH_KIND.pattern, after)
    # (the kind not the start of a longer word: 东西区域, 上马市场化 name no 区 or 市)
    longer = range(len(kind.group()) + 1, min(len(after), 4) + 1) if kind else range(0)
    if place in PROVINCES or (kind and not any(words.get(after[:n], 0) for n in longer)) or _zone_after(place, text):
        return True
    return any(words.get(place + kind, 0) > 0 for kind in _AREA_KINDS)


# a zone's kind, with the words that may lead it (高新区, 经济技术开发区, 新区): ingest.meta's, unanchored
_ZONE = re.compile(AREA_KIND.pattern.removesuffix("$"))


def _zone_after(place: str, text: str) -> str:
    """The zone kind written right after the place (东湖 in 东湖高新区 -> 高新区), or ""."""
    at = text.find(place)
    m = _ZONE.match(text, at + len(place)) if at >= 0 else None
    return m.group() if m else ""


def _named_as_area(place: str, text: str) -> bool:
    """Named as a province or city (无锡市, 浙江省, 南京全市, or a province's own name), not a word that
    jieba happens to tag as a place."""
    return bool(re.search(re.escape(place) + "(省|市|自治区|全省|全市)", text)) or place in PROVINCES


# 各是多少, 分别定了什么目标, 各自要做什么: the same asked of each (not 各地, 各级: every place, every level)
_EACH = re.compile(r"分别|各(?:自|是|有(?!关)|要|为|定|提|占|达|需|应|设|多|几)")
_JOINS = frozenset("和 与 及 以及 、".split())
_YEAR_WORD = re.compile(r"(?:19|20)\d\d年")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# the closed classes that end a noun phrase: particles, prepositions, the copula, a date's 年 月 日
_PHRASE_ENDS = frozenset(
    "的 地 得 了 着 对 给 在 中 里 于 从 把 被 为 向 按 是 有 要 到 将 其 等 各 各自 分别 都 年 月 日".split()
)


# what may stand between a word and the word it compounds with (光伏发电装机), no join or mark among it (光伏、风电 is
# two things listed, 光伏和风电 too)
_COMPOUND_GAP = "(?:(?![和与及或])[\u4e00-\u9fff]){0,3}"
MAX_EACH = 4  # things asked of each at most: a longer run of them is a list, read as one question
# words of when (现在, 目前): said of every thing a question asks of, like its places and levels
NOW_WORDS = frozenset("现在 目前 当前 如今 眼下 迄今 现阶段 当下 时下 现今".split())
_WHERE_WHEN = frozenset({w for ws in LEVEL_WORDS.values() for w in ws} | NOW_WORDS)


def each_of(
    text: str, words: list[str], scope: frozenset[str] = frozenset(), corpus: str = ""
) -> list[tuple[str, str]]:
    """The things a question asks the same of, each (光伏和风电的装机目标各是多少: 光伏, 风电), with the
    question asked of each alone (…光伏的装机目标各是多少, …风电的装机目标各是多少). `words`: the text's
    words, in order. A thing is a run of words and years (2025年) no particle, preposition or question word
    breaks; the things are joined by 和, 与, 及 or 、. Where and when (`scope`'s words: places, levels, 现在;
    and years) before the first thing are said of all of them, unless another thing opens with its own;
    so are the words after the last thing when the others are single words the `corpus` compounds them
    with (光伏和风电装机: 光伏发电装机, 风电装机), or years. None when the question does not ask of each (分别, 各是…),
    joins no two things, or joins more than MAX_EACH."""
    if not _EACH.search(text):
        return []
    spans: list[tuple[str, int, int]] = []
    at = 0
    for w in words:
        start = text.find(w, at)
        if start < 0:
            return []  # the words are not the text's: nothing to cut it by
        if w == "年" and spans and re.fullmatch(r"(19|20)\d\d", spans[-1][0]) and spans[-1][2] == start:
            spans[-1] = (spans[-1][0] + w, spans[-1][1], start + 1)  # 2025年: a year, itself a thing to ask of
        else:
            spans.append((w, start, start + len(w)))
        at = start + len(w)

    # 比2020年, 较2005年: a baseline, which ends a thing (单位GDP二氧化碳排放比2020年分别下降多少)
    baseline = {
        n for n in range(len(spans) - 1) if spans[n][0] in ("比", "较") and _YEAR_WORD.fullmatch(spans[n + 1][0])
    }
    spans = [(w, a, b) if n not in baseline else ("，", a, b) for n, (w, a, b) in enumerate(spans)]

    def in_phrase(w: str) -> bool:
        if _YEAR_WORD.fullmatch(w) or _LATIN_WORD.fullmatch(w):  # 2025年; GDP in 单位GDP能耗
            return True
        return (
            bool(_CJK_RUN.fullmatch(w)) and w not in _PHRASE_ENDS and w not in _JOINS and not _INTERROGATIVE.search(w)
        )

    def leading(w: str) -> bool:
        return bool(_YEAR_WORD.fullmatch(w)) or w in scope

    for i, (w, _, _) in enumerate(spans):
        if w not in _JOINS or i == 0 or not in_phrase(spans[i - 1][0]):
            continue
        first = i - 1
        while first > 0 and in_phrase(spans[first - 1][0]):
            first -= 1
        groups, j, begin = [], i, first  # each thing as its first and last word
        while j < len(spans) and spans[j][0] in _JOINS and j + 1 < len(spans) and in_phrase(spans[j + 1][0]):
            groups.append((begin, j - 1))
            end = j + 1
            while end + 1 < len(spans) and in_phrase(spans[end + 1][0]):
                end += 1
            begin, j = j + 1, end + 1
        groups.append((begin, j - 1))
        if not 2 <= len(groups) <= MAX_EACH:
            return []
        if not any(leading(spans[b][0]) for b, _ in groups[1:]):
            b, e = groups[0]
            while b < e and leading(spans[b][0]):
                b += 1
            groups[0] = (b, e)
        b, e = groups[-1]
        if e > b and all(gb == ge for gb, ge in groups[:-1]):
            shared = spans[b + 1][0]
            if all(
                _YEAR_WORD.fullmatch(spans[gb][0])
                or re.search(re.escape(spans[gb][0]) + _COMPOUND_GAP + re.escape(shared), corpus)
                for gb, _ in groups[:-1]
            ):
                groups[-1] = (b, b)
        lo, hi = spans[groups[0][0]][1], spans[groups[-1][1]][2]
        things = [text[spans[b][1] : spans[e][2]] for b, e in groups]
        return [(t, text[:lo] + t + text[hi:]) for t in things]
    return []


def split_parts(text: str) -> list[str]:
    """The sub-questions of a question that asks several things (几个项目?总投资多少?), each at least
    PART_MIN characters and asking something; one part for a plain question."""
    pieces = [p.strip() for p in re.split(r"(?<=[？?；;。！!])", text) if p.strip()]
    asking = list(dict.fromkeys(p for p in pieces if sum(ch.isalnum() for ch in p) >= PART_MIN and asks_something(p)))
    return asking if 2 <= len(asking) <= MAX_PARTS else [text]


def _common_word(run: str) -> bool:
    """A word of general Chinese (jieba's dictionary, frequent enough): not a typo, whatever the corpus says."""
    return dictionary_words().get(run, 0) >= 20


@functools.cache
def english_place_names() -> dict[str, list[str]]:
    """Chinese place names by their pinyin (suzhou -> 宿州, 苏州): the place words (ns) of two and three
    characters in jieba's dictionary that name areas (names_area: wuxi -> 无锡, not the hamlets 乌溪 and
    武溪), from the tag table its tagger already holds, read at the first English question."""
    from .text import tag_table

    names: dict[str, list[str]] = {}
    for word, flag in tag_table().items():
        if flag == "ns" and 2 <= len(word) <= 3 and names_area(word, ""):
            names.setdefault("".join(pinyin_key(word)).lower(), []).append(word)
    return names


@functools.lru_cache(maxsize=65536)
def pinyin_key(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(word))


def place_names(text: str) -> list[str]:
    """Place names in a text, as jieba's part-of-speech tagger finds them (ns), without 省/市/区/县."""
    from .text import place_names as names

    return names(text)
