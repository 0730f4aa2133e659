"""Which matters are likely the same problem: a pure core over plain data, no ORM.

Two matters are compared only when they share a category and a place (the same building, else
the same grid); that blocking keeps the work near-linear in the number of matters, since a
building rarely has more than a few dozen open matters. Texts are segmented with jieba (Chinese
has no spaces), the words residents use for one thing are brought to one term (电瓶车, 电单车 →
电动车), and jieba's TF-IDF keeps the words that carry the topic. Two matters score by the share
of the shorter keyword set found in the other (overlap coefficient, 0-100): a short slip from the
box ("楼道电瓶车充电") matches a long complaint about the same thing. Character-level fuzzy ratios
were tried first and scored unrelated complaints as high as related ones, since Chinese words
share characters (车 in 电动车 and 私家车).
Pairs at or above the threshold are joined into groups (union-find), so A~B and B~C put A, B and
C in one group even when A and C score lower.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

DEFAULT_THRESHOLD = 50
TOP_WORDS = 8

# One term for the words residents use for the same thing. Phrases first (longest wins): they are
# also added to jieba's dictionary (``_jieba``) so segmentation keeps them whole.
SYNONYMS: dict[str, str] = {
    "电动自行车": "电动车",
    "电瓶车": "电动车",
    "电单车": "电动车",
    "电摩": "电动车",
    "飞线充电": "充电",
    "飞线": "充电",
    "私拉电线": "充电",
    "消防车通道": "消防通道",
    "消防车道": "消防通道",
    "生命通道": "消防通道",
    "私家车": "汽车",
    "车辆": "汽车",
    "垃圾箱": "垃圾桶",
    "清运": "清理",
    "臭味": "异味",
    "臭": "异味",
    "楼梯间": "楼道",
    "过道": "楼道",
    "路灯": "照明",
    "灯坏": "照明",
    "漏水": "渗水",
    "渗漏": "渗水",
}


@lru_cache(maxsize=1)
def _jieba() -> tuple[ModuleType, Any]:
    """jieba and its TF-IDF keyword extractor, loaded on first use.

    Loading them reads jieba's dictionary and IDF table into about 150 MB of Python objects.
    Every process imports this module with the app (views import the services), and daphne
    workers and the minutes renderer never segment a word: done at import, it held that
    memory in each of them and slowed their garbage collection (docs/performance.md)."""
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    for phrase in SYNONYMS:
        jieba.add_word(phrase)
    for term in ("消防通道", "楼道", "电动车"):
        jieba.add_word(term)
    return jieba, jieba.analyse


# Words that say nothing about the topic, beyond jieba's own stop list.
_FILLER = "希望 建议 请求 麻烦 问题 反映 情况 现在 经常 总是 一直 非常 能否 是否 没有 小区 社区"
_PEOPLE_AND_TIME = "居民 业主 有人 存在 一下 管一管 请管 号楼 晚上 白天 天天 每天 几天 很多 影响"
# Places: blocking already compares only matters of one building or grid.
_PLACES = "楼道 楼下 楼上 门口 单元 单元楼 楼栋 附近 旁边"
STOP_WORDS = frozenset(f"{_FILLER} {_PEOPLE_AND_TIME} {_PLACES}".split())


@dataclass(frozen=True, slots=True)
class MatterText:
    """What the comparison needs of one matter."""

    id: int
    category: str
    text: str
    building_id: int | None = None
    grid_id: int | None = None


@lru_cache(maxsize=16384)
def keywords(text: str) -> frozenset[str]:
    """The topic words of ``text``: segmented, synonyms unified, TF-IDF's top words."""
    jieba, analyse = _jieba()
    words = [SYNONYMS.get(word, word) for word in jieba.lcut(text)]
    normalised = " ".join(word for word in words if word.strip() and word not in STOP_WORDS)
    tags = analyse.extract_tags(normalised, topK=TOP_WORDS)
    return frozenset(SYNONYMS.get(tag, tag) for tag in tags if tag not in STOP_WORDS)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share (0-100) of the smaller keyword set found in the other."""
    if not a or not b:
        return 0.0
    return 100.0 * len(a & b) / min(len(a), len(b))


def score(a: str, b: str) -> float:
    """Similarity of two texts, 0-100."""
    return overlap(keywords(a), keywords(b))


def _place_keys(matter: MatterText) -> list[tuple[str, str, int]]:
    """Blocks a matter falls in: its building's and its grid's, within its category."""
    keys = []
    if matter.building_id is not None:
        keys.append((matter.category, "b", matter.building_id))
    if matter.grid_id is not None:
        keys.append((matter.category, "g", matter.grid_id))
    return keys


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A likely group: the matters' ids (ascending) and the best pair score that joined them."""

    ids: tuple[int, ...]
    score: float


def suggest_groups(
    new: Sequence[MatterText],
    existing: Iterable[MatterText] = (),
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Suggestion]:
    """Groups of two or more matters, each holding at least one of ``new``.

    ``new`` are compared with each other and with ``existing`` (open matters already there);
    ``existing`` are never compared with each other (they were grouped when they were new).
    Matters without a building or grid are not grouped: their place is unknown.
    """
    new_ids = {m.id for m in new}
    blocks: dict[tuple[str, str, int], list[MatterText]] = defaultdict(list)
    for matter in [*new, *(m for m in existing if m.id not in new_ids)]:
        for key in _place_keys(matter):
            blocks[key].append(matter)

    uf = _UnionFind()
    best: dict[frozenset[int], float] = {}
    for members in blocks.values():
        fresh = [m for m in members if m.id in new_ids]
        if not fresh or len(members) < 2:
            continue
        words = {m.id: keywords(m.text) for m in members}
        for a in fresh:
            for b in members:
                if a.id == b.id:
                    continue
                value = overlap(words[a.id], words[b.id])
                if value < threshold:
                    continue
                uf.union(a.id, b.id)
                pair = frozenset((a.id, b.id))
                best[pair] = max(best.get(pair, 0.0), float(value))

    groups: dict[int, set[int]] = defaultdict(set)
    for pair in best:
        for matter_id in pair:
            groups[uf.find(matter_id)].add(matter_id)
    suggestions = []
    for ids in groups.values():
        top = max(s for pair, s in best.items() if pair <= ids)
        suggestions.append(Suggestion(ids=tuple(sorted(ids)), score=top))
    return sorted(suggestions, key=lambda s: s.ids)
