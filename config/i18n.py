"""One dictionary per language for gettext: Django's translation chain, flattened.

Django builds a language's translation from every installed app's catalogue. It merges two
catalogues only when their plural functions are the same *function object*, which never
happens, so ``zh-hans`` ends up with 19 dictionaries searched in turn (``TranslationCatalog``)
and then 11 more ``GNUTranslations`` fallbacks (packages that ship ``zh`` or ``zh_CN``). Sifang's
source strings are Chinese, so under ``zh-hans`` nearly every lookup misses and walks all 30;
a public page makes several hundred lookups.

:func:`flatten` replaces that chain, in place and once per translation object, with a
:class:`FlatCatalog`: one dictionary holding, for every msgid the chain can answer, the answer
the chain would have given, so ``gettext`` is one dictionary hit (or one miss plus the plural
probe Django makes). Plural lookups keep their per-formula order (catalogues are merged only
where neighbouring formulas agree), since an index means different things under different
formulas. :func:`install` makes every translation Django creates flat.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import trans_real

PluralFunction = Callable[[int], int]
# Enough numbers to tell every plural formula gettext catalogues use apart.
_PLURAL_PROBES = (*range(0, 230), 1000, 1001, 1002, 1011, 1021, 1101, 10000, 100000, 1000000)


def _same_formula(a: PluralFunction, b: PluralFunction) -> bool:
    return a is b or all(a(n) == b(n) for n in _PLURAL_PROBES)


class FlatCatalog:
    """Stands in for Django's ``TranslationCatalog`` with every level of the chain folded in.

    ``singular`` answers ``gettext`` (msgid -> translation, context-qualified msgids included);
    ``tuples`` holds the first level's ``(msgid, index)`` entries; ``groups`` answer ``ngettext``
    as (plural function, entries) in the chain's order.
    """

    def __init__(
        self,
        singular: dict[str, str],
        tuples: dict[tuple[str, int], str],
        groups: list[tuple[PluralFunction, dict[tuple[str, int], str]]],
    ) -> None:
        self.singular = singular
        self.tuples = tuples
        self.groups = groups

    def get(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, str):
            return self.singular.get(key, default)
        return self.tuples.get(key, default)

    def __getitem__(self, key: Any) -> Any:
        missing = object()
        value = self.get(key, missing)
        if value is missing:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        return (key in self.singular) if isinstance(key, str) else (key in self.tuples)

    def __setitem__(self, key: Any, value: str) -> None:
        if isinstance(key, str):
            self.singular[key] = value
        else:
            self.tuples[key] = value

    def keys(self) -> Iterator[Any]:
        yield from self.singular.keys()
        yield from self.tuples.keys()

    def items(self) -> Iterator[tuple[Any, str]]:
        yield from self.singular.items()
        yield from self.tuples.items()

    def update(self, trans: gettext_module.GNUTranslations) -> None:
        """Add a catalogue below the current ones (the chain is already complete)."""
        level = _level_of_catalogs([trans._catalog], [trans.plural], trans.plural)  # type: ignore[attr-defined]
        _merge_below(self.singular, level[0])
        self.groups = _join_groups([*self.groups, *level[2]])

    def plural(self, msgid: str, num: int) -> str:
        for formula, entries in self.groups:
            found = entries.get((msgid, formula(num)))
            if found is not None:
                return found
        raise KeyError(msgid)


Level = tuple[
    dict[str, str],
    dict[tuple[str, int], str],
    list[tuple[PluralFunction, dict[tuple[str, int], str]]],
]


def _level_of_catalogs(
    catalogs: list[dict[Any, str]], plurals: list[PluralFunction], own_plural: PluralFunction
) -> Level:
    """What one level answers: ``gettext`` looks a msgid up in every catalogue of the level
    first, then ``(msgid, own_plural(1))`` in every catalogue; ``ngettext`` walks the catalogues
    each with its own formula."""
    singular: dict[str, str] = {}
    tuples: dict[tuple[str, int], str] = {}
    for catalog in reversed(catalogs):  # the first catalogue wins
        for key, value in catalog.items():
            if isinstance(key, str):
                singular[key] = value
            else:
                tuples[key] = value
    one = own_plural(1)
    for (msgid, index), value in tuples.items():
        if index == one and msgid not in singular:
            singular[msgid] = value
    groups = [
        (formula, {k: v for k, v in catalog.items() if isinstance(k, tuple)})
        for catalog, formula in zip(catalogs, plurals, strict=True)
    ]
    return singular, tuples, groups


def _merge_below(upper: dict[str, str], lower: dict[str, str]) -> None:
    for key, value in lower.items():
        upper.setdefault(key, value)


def _join_groups(
    groups: list[tuple[PluralFunction, dict[tuple[str, int], str]]],
) -> list[tuple[PluralFunction, dict[tuple[str, int], str]]]:
    """Merge neighbouring groups whose formulas agree (the earlier one wins); drop empty ones."""
    joined: list[tuple[PluralFunction, dict[tuple[str, int], str]]] = []
    for formula, entries in groups:
        if not entries:
            continue
        if joined and _same_formula(joined[-1][0], formula):
            merged = dict(entries)
            merged.update(joined[-1][1])
            joined[-1] = (joined[-1][0], merged)
        else:
            joined.append((formula, dict(entries)))
    return joined


def _levels(translation: gettext_module.NullTranslations) -> Iterator[Level]:
    """The levels a lookup walks, in order: the object's own catalogue, then each fallback."""
    node: gettext_module.NullTranslations | None = translation
    while node is not None:
        catalog = getattr(node, "_catalog", None)
        if isinstance(catalog, FlatCatalog):
            yield catalog.singular, catalog.tuples, catalog.groups
            return  # a flat catalogue already holds everything below it
        if isinstance(catalog, trans_real.TranslationCatalog):
            yield _level_of_catalogs(catalog._catalogs, catalog._plurals, node.plural)  # type: ignore[attr-defined]
        elif isinstance(catalog, dict):
            yield _level_of_catalogs([catalog], [node.plural], node.plural)  # type: ignore[attr-defined]
        node = node._fallback  # type: ignore[attr-defined]


def flatten(translation: Any) -> None:
    """Replace ``translation``'s catalogue chain by one :class:`FlatCatalog` answering every
    ``gettext``/``ngettext`` lookup exactly as the chain did. Idempotent."""
    if isinstance(translation._catalog, FlatCatalog):
        return
    singular: dict[str, str] = {}
    tuples: dict[tuple[str, int], str] = {}
    groups: list[tuple[PluralFunction, dict[tuple[str, int], str]]] = []
    for index, (level_singular, level_tuples, level_groups) in enumerate(_levels(translation)):
        _merge_below(singular, level_singular)
        if index == 0:
            tuples = dict(level_tuples)
        groups.extend(level_groups)
    translation._catalog = FlatCatalog(singular, tuples, _join_groups(groups))
    translation._fallback = None


_original_translation = trans_real.translation


def _flat_translation(language: str) -> Any:
    translation = _original_translation(language)
    flatten(translation)
    return translation


def install() -> None:
    """Make every ``django`` domain translation flat, those already built included."""
    built: dict[str, Any] = trans_real._translations  # type: ignore[attr-defined]
    for translation in list(built.values()):
        flatten(translation)
    trans_real.translation = _flat_translation
