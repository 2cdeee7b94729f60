"""A compiled query: cari's own query nodes over index fields.

``search.compiler`` turns a parsed query (``search.querylang``) into these for one index: each word
spread over the index fields its user field stands for, with their weights. ``search.matching``
evaluates them, the highlighter and did-you-mean walk them, a sharded index sends them to its
shards. They are plain values: compared and hashed by what they hold (the evaluator keeps what it
found for each compound node, which AND>OR's strict and relaxed forms share) and never changed once
made. Whoosh's query package is not imported: it costs a fifth of a second at start-up for its
English morphology and the readers it pulls in. ``to_whoosh`` gives Whoosh's equivalent, for
comparing with Whoosh's own searcher.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from fnmatch import translate
from typing import Any, ClassVar

__all__ = ["And", "ConstantScore", "DateRange", "Every", "Expansion", "Fuzzy", "Node", "Not", "Nothing", "Or",
           "Phrase", "Prefix", "Term", "Wildcard", "positive_leaves", "to_whoosh"]


class Node:
    """A query node. Subclasses name what they hold in ``_fields``, which is what they are
    compared, hashed, shown and pickled by."""

    __slots__ = ("_hash",)
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        return self is other or (type(other) is type(self) and self._values() == other._values())

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:  # computed once: the evaluator looks compound nodes up often
            self._hash: int = hash((type(self).__name__, self._values()))
            return self._hash

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(v) for v in self._values())})"

    def __getstate__(self) -> tuple[Any, ...]:
        return self._values()

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self._fields, state):
            setattr(self, name, value)

    def children(self) -> tuple[Node, ...]:
        """The nodes this one combines (none for a leaf)."""
        return ()

    def is_leaf(self) -> bool:
        return not self.children()

    def accept(self, change: Callable[[Node], Node]) -> Node:
        """This tree with ``change`` applied to every node, children before their parent."""
        return change(self)


class _Word(Node):
    """A word of a field (``boost`` carries the field weight)."""

    __slots__ = ("fieldname", "text", "boost")
    _fields: ClassVar[tuple[str, ...]] = __slots__

    def __init__(self, fieldname: str, text: str, boost: float = 1.0) -> None:
        self.fieldname = fieldname
        self.text = text
        self.boost = boost


class Term(_Word):
    """Documents with one term of a field, scored by BM25."""

    __slots__ = ()


class Phrase(Node):
    """Documents with ``words`` in order in a field, each at most ``slop`` positions after the
    previous one; scored by occurrences."""

    __slots__ = ("fieldname", "words", "slop", "boost")
    _fields: ClassVar[tuple[str, ...]] = __slots__

    def __init__(self, fieldname: str, words: Iterable[str], slop: int = 1, boost: float = 1.0) -> None:
        self.fieldname = fieldname
        self.words = tuple(words)
        self.slop = slop
        self.boost = boost


class Expansion(_Word):
    """A word that stands for the index's words of a pattern (``words``), the best-scoring of
    which counts."""

    __slots__ = ()

    def words(self, reader: Any, vocabularies: dict[Any, list[str]] | None = None) -> Iterator[bytes]:
        """The terms of the field this pattern stands for in ``reader``, in index order
        (``vocabularies``: a commit's cache of its segments' words, ``DocColumns.vocabularies``)."""
        raise NotImplementedError

    def typed(self) -> str:
        """How the user typed it (for messages)."""
        return f"'{self.text}'"

    def unboosted(self) -> Expansion:
        """The same pattern with boost 1 (what identifies its words, whatever field weight it has)."""
        values = dict(zip(self._fields, self._values()))
        values["boost"] = 1.0
        return type(self)(**values)


class Prefix(Expansion):
    """The words that start with ``text``."""

    __slots__ = ()

    def words(self, reader: Any, vocabularies: dict[Any, list[str]] | None = None) -> Iterator[bytes]:
        return iter(reader.expand_prefix(self.fieldname, self.text))

    def typed(self) -> str:
        return f"'{self.text}*'"


class Wildcard(Expansion):
    """The words that match the glob ``text`` (``*`` and ``?``)."""

    __slots__ = ()

    def words(self, reader: Any, vocabularies: dict[Any, list[str]] | None = None) -> Iterator[bytes]:
        pattern = re.compile(translate(self.text))
        fixed = re.split(r"[*?\[]", self.text, maxsplit=1)[0]
        candidates = reader.expand_prefix(self.fieldname, fixed) if fixed else reader.lexicon(self.fieldname)
        return (btext for btext in candidates if pattern.match(btext.decode("utf-8")))


class Fuzzy(Expansion):
    """The words within ``maxdist`` edits of ``text`` (a swap of two letters is one) that share
    its first ``prefixlength`` letters."""

    __slots__ = ("maxdist", "prefixlength")
    _fields: ClassVar[tuple[str, ...]] = ("fieldname", "text", "boost", "maxdist", "prefixlength")

    def __init__(self, fieldname: str, text: str, boost: float = 1.0, maxdist: int = 1, prefixlength: int = 1) -> None:
        super().__init__(fieldname, text, boost)
        self.maxdist = maxdist
        self.prefixlength = prefixlength

    def words(self, reader: Any, vocabularies: dict[Any, list[str]] | None = None) -> Iterator[bytes]:
        from search.suggest import near_words  # the search for did-you-mean's near words

        if len(self.text) < self.prefixlength:  # no word shares a longer beginning
            return iter(())
        near = near_words(reader, vocabularies, self.fieldname, self.text, self.maxdist, prefix=self.prefixlength)
        return iter(sorted(word.encode("utf-8") for word in near))

    def typed(self) -> str:
        return f"'{self.text}~'"


class _Compound(Node):
    __slots__ = ("subqueries",)
    _fields: ClassVar[tuple[str, ...]] = __slots__

    def __init__(self, subqueries: Iterable[Node]) -> None:
        self.subqueries = tuple(subqueries)

    def children(self) -> tuple[Node, ...]:
        return self.subqueries

    def accept(self, change: Callable[[Node], Node]) -> Node:
        return change(type(self)(child.accept(change) for child in self.subqueries))


class And(_Compound):
    """Documents every part matches, their scores added."""

    __slots__ = ()


class Or(_Compound):
    """Documents any part matches, the scores of the parts that match added."""

    __slots__ = ()


class Not(Node):
    """The live documents ``query`` does not match (unscored)."""

    __slots__ = ("query",)
    _fields: ClassVar[tuple[str, ...]] = __slots__

    def __init__(self, query: Node) -> None:
        self.query = query

    def children(self) -> tuple[Node, ...]:
        return (self.query,)

    def accept(self, change: Callable[[Node], Node]) -> Node:
        return change(Not(self.query.accept(change)))


class ConstantScore(Node):
    """What ``child`` matches, each with the same ``score`` (0: a filter)."""

    __slots__ = ("child", "score")
    _fields: ClassVar[tuple[str, ...]] = __slots__

    def __init__(self, child: Node, score: float = 0.0) -> None:
        self.child = child
        self.score = score

    def children(self) -> tuple[Node, ...]:
        return (self.child,)

    def accept(self, change: Callable[[Node], Node]) -> Node:
        return change(ConstantScore(self.child.accept(change), self.score))


class DateRange(Node):
    """Documents dated from ``start`` to ``end`` (None: unbounded), ends included unless
    ``startexcl`` / ``endexcl``; unscored."""

    __slots__ = ("fieldname", "start", "end", "startexcl", "endexcl")
    _fields: ClassVar[tuple[str, ...]] = __slots__

    def __init__(self, fieldname: str, start: datetime | None, end: datetime | None,
                 startexcl: bool = False, endexcl: bool = False) -> None:
        self.fieldname = fieldname
        self.start = start
        self.end = end
        self.startexcl = startexcl
        self.endexcl = endexcl


class Every(Node):
    """Every live document (unscored)."""

    __slots__ = ()


class Nothing(Node):
    """No document: what a query compiles to when it can match nothing."""

    __slots__ = ()


def positive_leaves(q: Node) -> Iterator[Node]:
    """Leaves of ``q`` that are sought, not excluded (NOT parts skipped)."""
    if isinstance(q, Not):
        return
    children = q.children()
    if not children:
        yield q
        return
    for child in children:
        yield from positive_leaves(child)


def to_whoosh(q: Node) -> Any:
    """Whoosh's query for ``q`` (to compare cari's evaluation with Whoosh's own searcher). Whoosh's
    ``FuzzyTerm`` counts a swap of two letters as two edits, where ``Fuzzy`` counts one."""
    from whoosh import query as wq

    if isinstance(q, Term):
        return wq.Term(q.fieldname, q.text, boost=q.boost)
    if isinstance(q, Phrase):
        return wq.Phrase(q.fieldname, list(q.words), slop=q.slop, boost=q.boost)
    if isinstance(q, Fuzzy):
        return wq.FuzzyTerm(q.fieldname, q.text, boost=q.boost, maxdist=q.maxdist, prefixlength=q.prefixlength)
    if isinstance(q, Prefix):
        return wq.Prefix(q.fieldname, q.text, boost=q.boost)
    if isinstance(q, Wildcard):
        return wq.Wildcard(q.fieldname, q.text, boost=q.boost)
    if isinstance(q, And):
        return wq.And([to_whoosh(c) for c in q.subqueries])
    if isinstance(q, Or):
        return wq.Or([to_whoosh(c) for c in q.subqueries])
    if isinstance(q, Not):
        return wq.Not(to_whoosh(q.query))
    if isinstance(q, ConstantScore):
        return wq.ConstantScoreQuery(to_whoosh(q.child), q.score)
    if isinstance(q, DateRange):
        return wq.DateRange(q.fieldname, q.start, q.end, startexcl=q.startexcl, endexcl=q.endexcl)
    if isinstance(q, Every):
        return wq.Every()
    if isinstance(q, Nothing):
        return wq.NullQuery
    raise TypeError(f"not a query node: {q!r}")
