"""Synonyms from the corrections stored with an index, applied to parsed queries.

A synonym group (``KPK = Komisi Pemberantasan Korupsi``) makes each of its words or phrases also
look for the others, in the same fields: the word ``KPK`` becomes ``KPK OR "komisi pemberantasan
korupsi"``, and the words ``komisi pemberantasan korupsi`` typed one after the other (or as a
phrase) also find ``KPK``. Expansion works on the query tree that ``search.query`` parsed, after it
has decided which words are required (AND, or AND>OR), so a synonym never changes that: a word and
its synonyms count as one word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from search import nodes as qn

# The fields of one word of the query, by the fields a user can name (see search.query).
_FIELD_SIGNATURES = (
    ("body", frozenset(("body", "body_exact"))),
    ("title", frozenset(("title", "title_exact"))),
)


@dataclass(frozen=True)
class SynonymTable:
    """Synonym groups by their phrases (tuples of normalized words)."""

    groups: tuple[tuple[tuple[str, ...], ...], ...] = ()

    def alternatives(self, phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The other phrases of every group ``phrase`` belongs to."""
        out: list[tuple[str, ...]] = []
        for group in self.groups:
            if phrase in group:
                out.extend(p for p in group if p != phrase and p not in out)
        return out

    @property
    def longest(self) -> int:
        return max((len(p) for group in self.groups for p in group), default=0)

    def __bool__(self) -> bool:
        return bool(self.groups)


def _word_of(node: qn.Node) -> tuple[str, str | None] | None:
    """``(word, user field)`` when ``node`` is one plain word spread over its fields (an Or of
    Terms that includes an exact field, whose text is the word as typed, normalized)."""
    nodes = [node] if isinstance(node, qn.Term) else list(node.subqueries) if isinstance(node, qn.Or) else []
    leaves = [leaf for leaf in nodes if isinstance(leaf, qn.Term)]
    if not leaves or len(leaves) != len(nodes):
        return None
    exact = {leaf.text for leaf in leaves if leaf.fieldname.endswith("_exact")}
    if len(exact) != 1:
        return None
    fields = frozenset(leaf.fieldname for leaf in leaves)
    field = None
    for name, signature in _FIELD_SIGNATURES:
        if fields <= signature:
            field = name
    if field is None and not {"title_exact", "body_exact"} <= fields:
        return None
    word = next(iter(exact))
    return (word.decode("utf-8") if isinstance(word, bytes) else word), field


def _phrase_of(node: qn.Node) -> tuple[tuple[str, ...], str | None] | None:
    """``(words, user field)`` when ``node`` is one quoted phrase spread over exact fields."""
    nodes = [node] if isinstance(node, qn.Phrase) else list(node.subqueries) if isinstance(node, qn.Or) else []
    leaves = [leaf for leaf in nodes if isinstance(leaf, qn.Phrase) and leaf.slop == 1]
    if not leaves or len(leaves) != len(nodes):
        return None
    words = {tuple(leaf.words) for leaf in leaves}
    if len(words) != 1:
        return None
    fields = {leaf.fieldname for leaf in leaves}
    field = "body" if fields == {"body_exact"} else "title" if fields == {"title_exact"} else None
    return next(iter(words)), field


class Expander:
    """Adds the synonyms of ``table`` to a parsed query; ``parse`` parses a query text with the
    index's parser (for the alternatives, in the same fields as the words they stand for)."""

    def __init__(self, table: SynonymTable, parse: Callable[[str], qn.Node]) -> None:
        self.table = table
        self.parse = parse

    def _query_for(self, phrase: tuple[str, ...], field: str | None) -> qn.Node:
        text = phrase[0] if len(phrase) == 1 else '"' + " ".join(phrase) + '"'
        return self.parse(f"{field}:{text}" if field else text)

    def _with_alternatives(self, node: qn.Node, phrase: tuple[str, ...], field: str | None) -> qn.Node:
        alternatives = self.table.alternatives(phrase)
        if not alternatives:
            return node
        return qn.Or([node, *(self._query_for(p, field) for p in alternatives)])

    def expand(self, q: qn.Node | None) -> qn.Node | None:
        """``q`` with the synonyms of its words and phrases added (``q`` itself when none apply)."""
        if q is None or not self.table:
            return q
        return self._expand(q)

    def _expand(self, q: qn.Node) -> qn.Node:
        word = _word_of(q)
        if word is not None:
            return self._with_alternatives(q, (word[0],), word[1])
        phrase = _phrase_of(q)
        if phrase is not None:
            return self._with_alternatives(q, phrase[0], phrase[1])
        if isinstance(q, (qn.And, qn.Or)):
            return type(q)(self._runs(q.subqueries, isinstance(q, qn.And)))
        return q  # a NOT, what is excluded, stays as typed

    def _runs(self, children: Sequence[qn.Node], required: bool) -> list[qn.Node]:
        """The children with their synonyms: a run of words that is a synonym phrase (``komisi
        pemberantasan korupsi``) is joined with its alternatives; each other child on its own."""
        words = [_word_of(child) for child in children]
        out: list[qn.Node] = []
        i = 0
        longest = self.table.longest
        while i < len(children):
            matched = False
            for size in range(min(longest, len(children) - i), 1, -1):
                run = words[i:i + size]
                if any(w is None for w in run) or len({w[1] for w in run}) != 1:  # type: ignore[index]
                    continue
                phrase = tuple(w[0] for w in run)  # type: ignore[index]
                alternatives = self.table.alternatives(phrase)
                if not alternatives:
                    continue
                field = run[0][1]  # type: ignore[index]
                others = [self._query_for(p, field) for p in alternatives]
                if required:  # every word, or a synonym of the phrase they make
                    out.append(qn.Or([qn.And(children[i:i + size]), *others]))
                else:  # any of the words, or a synonym
                    out.extend(self._expand(child) for child in children[i:i + size])
                    out.extend(others)
                i += size
                matched = True
                break
            if not matched:
                out.append(self._expand(children[i]))
                i += 1
        return out
