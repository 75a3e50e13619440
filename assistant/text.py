"""Normalisation and tokenising, shared by indexing and querying so both sides see the same forms."""
from __future__ import annotations

import functools
import logging
import re
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


def place_names(text: str) -> list[str]:
    """Place names in a text, as jieba's part-of-speech tagger finds them (ns), without their 省/市/区/县."""
    import jieba.posseg as pseg

    quiet_jieba()
    names = [w for w, flag in pseg.lcut(text) if flag == "ns"]
    return [re.sub(r"(省|市|自治区|区|县)$", "", n) if len(n) > 2 else n for n in names]


class Tokenizer:
    """jieba words (search mode) plus single CJK characters, over folded text.

    Characters keep recall for colloquial and mistyped questions (烧煤 still meets 煤炭); BM25's idf
    keeps common characters cheap. Corpus terms and department names join jieba's dictionary.
    """

    def __init__(self, user_words: list[str] | tuple[str, ...] = ()):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self.user_words = sorted({w for w in user_words if 1 < len(w) <= 16})
        for w in self.user_words:
            self._jieba.add_word(fold(w), freq=2000)

    def words(self, text: str) -> list[str]:
        return [w for w in self._jieba.lcut_for_search(fold(text).lower()) if w.strip() and w not in STOPWORDS]

    def tokens(self, text: str) -> list[str]:
        words = self.words(text)
        chars = [c for w in words if len(w) > 1 for c in w if _CJK_RE.match(c) and c not in STOPWORDS]
        return [w for w in words if not _is_punct(w)] + chars


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(c)[0] in "PSZ" for c in token)


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


# English questions: the dense model is multilingual, but BM25 and answer scoring read Chinese. These
# domain terms carry an English question's meaning over to them (longest phrases first).
GLOSSARY = {
    "carbon peak": "碳达峰", "peak carbon": "碳达峰", "carbon neutrality": "碳中和", "carbon neutral": "碳中和",
    "peak": "达峰", "emission": "排放", "emissions": "排放", "carbon dioxide": "二氧化碳", "co2": "二氧化碳",
    "solar": "太阳能 光伏", "photovoltaic": "光伏", "pv": "光伏", "wind": "风电", "wind power": "风电",
    "installed capacity": "装机容量", "capacity": "装机容量", "coal power": "煤电", "coal-fired": "燃煤 煤电",
    "scattered coal": "散煤", "loose coal": "散煤", "coal": "煤炭", "natural gas": "天然气", "gas": "天然气",
    "oil": "石油", "petroleum": "石油", "hydrogen": "氢能", "energy storage": "储能", "storage": "储能",
    "biomass": "生物质", "electricity": "电力", "power grid": "电网", "grid": "电网", "non-fossil": "非化石能源",
    "fossil": "化石能源", "renewable": "可再生能源", "share": "比重 占比", "proportion": "比例 比重",
    "ratio": "比例", "percentage": "比例", "target": "目标", "goal": "目标", "consumption": "消费",
    "energy consumption": "能耗", "energy intensity": "能耗强度", "intensity": "强度", "energy": "能源",
    "forest coverage": "林木覆盖率", "forest": "林木 森林", "coverage": "覆盖率", "wetland": "湿地",
    "building": "建筑", "buildings": "建筑", "green building": "绿色建筑", "prefabricated": "装配式",
    "retrofit": "改造", "renovation": "改造", "energy saving": "节能", "energy efficiency": "能效",
    "efficiency": "效率 能效", "new energy vehicle": "新能源汽车", "electric vehicle": "新能源汽车",
    "vehicle": "车辆", "vehicles": "车辆", "bus": "公交车", "buses": "公交车", "public transport": "公共交通",
    "logistics": "物流", "port": "港口", "waste": "垃圾 废物", "garbage": "垃圾", "recycling": "循环利用 回收",
    "circular": "循环", "industry": "工业 产业", "industrial": "工业", "steel": "钢铁", "chemical": "化工",
    "petrochemical": "石化", "building materials": "建材", "cement": "水泥", "textile": "纺织",
    "data center": "数据中心", "data centers": "数据中心", "5g": "5G", "semiconductor": "集成电路",
    "integrated circuit": "集成电路", "department": "部门", "departments": "部门", "responsible": "负责",
    "in charge": "负责", "lead": "牵头", "leading": "牵头", "enterprise": "企业", "enterprises": "企业",
    "company": "企业", "companies": "企业", "park": "园区", "parks": "园区", "zero-carbon": "零碳",
    "zero carbon": "零碳", "low-carbon": "低碳", "low carbon": "低碳", "green": "绿色", "finance": "金融",
    "tax": "税收", "trading": "交易", "carbon market": "碳排放交易市场", "statistics": "统计",
    "talent": "人才", "technology": "技术 科技", "innovation": "创新", "principles": "原则",
    "principle": "原则", "ecological": "生态", "yangtze": "长江", "mine": "矿山", "mines": "矿山",
    "pumped-storage": "抽水蓄能", "pumped storage": "抽水蓄能", "hydropower": "水电", "nuclear": "核电",
    "new-energy": "新能源", "new energy": "新能源", "newly added": "新增", "added": "新增", "new": "新增",
    "replaced": "更新 替换", "replacement": "更新 替换", "city": "城市", "urban": "城镇 城市", "rural": "农村 乡村",
    "monitoring": "监测", "monitor": "监测", "pilot": "试点", "pilots": "试点", "key": "重点", "industries": "行业",
    "sector": "行业", "sectors": "行业", "state council": "国务院", "action plan": "行动方案", "plan": "方案",
    "ecology": "生态", "environment": "环境", "environmental": "环境", "ministry": "部", "province": "省",
    "provincial": "省", "selected": "选取 选择", "select": "选取", "reduce": "降低 下降", "reduction": "下降 降低",
    "increase": "提高 提升", "raise": "提高", "cut": "降低", "per unit of gdp": "单位地区生产总值", "unit of gdp": "单位地区生产总值",
    "carbon intensity": "二氧化碳排放", "intensity target": "强度", "heating": "供热", "boiler": "锅炉",
    "boilers": "锅炉", "charging": "充电", "taxi": "出租车", "taxis": "出租车", "passenger": "客运", "freight": "货运",
    "railway": "铁路", "water": "水", "air quality": "空气质量", "forest stock": "森林蓄积量", "wetlands": "湿地",
}
_GLOSSARY_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")\b", re.I)


def glossary_terms(text: str) -> str:
    """The Chinese terms of an English question's domain words, and its numbers (years, figures)."""
    terms = [GLOSSARY[m.group(1).lower()] for m in _GLOSSARY_RE.finditer(text)]
    numbers = re.findall(r"\d+(?:\.\d+)?%?", text)
    return " ".join(dict.fromkeys(terms + numbers))


_EN_STOP = frozenset("""a an the of in on for to by at with and or is are was were be been will would shall should can
could do does did what what's which who whom whose when where how much many there any its it it's this that these those
have has had get reach achieve plan plans planned city county province jiangyin jiangsu china national s""".split())


def glossary_share(text: str) -> float:
    """How much of an English question the glossary understands: its content words that are domain
    terms. A question about GDP or the weather leaves most words unknown."""
    covered = {w for m in _GLOSSARY_RE.finditer(text) for w in m.group(1).lower().split()}
    words = [w for w in re.findall(r"[a-z][a-z\-']*", text.lower()) if w not in _EN_STOP]
    return sum(w in covered for w in words) / len(words) if words else 0.0
