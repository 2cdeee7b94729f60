"""A parsed query (``search.querylang``) compiled against one index into query nodes (``search.nodes``).

Each word goes through the index's own analyzers and is spread over the index fields its user
field stands for, each clause weighted by ``FIELD_WEIGHTS``: a plain word over the stemmed fields and
their unstemmed ``*_exact`` companions (so an article with the very word typed ranks above one that
only shares its stem); phrases, prefixes, wildcards and fuzzy words over the surface forms (what an
"exact phrase" means to a reader). ``source:``, ``location:`` and ``author:`` match stored values
in a friendly way (case and accents ignored, a word's start enough: ``kompas`` -> ``Kompas.com``).

The nodes are what ``search.matching``'s evaluator and the highlighter walk: Whoosh's own query
parser and query objects are not used.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from search import nodes as qn
from search import querylang as ql
from search.fields import FIELD_WEIGHTS, SURFACE_TARGETS, VALUE_FIELDS, WORD_TARGETS
from search.schema import DATE_FIELD

__all__ = ["FIELD_WEIGHTS", "compile_query", "fold"]

IdValues = Callable[[str], dict[str, list[str]]]  # value field -> {folded value: stored values}
# (analyzer id, query word) -> (the analyzer, its terms): a word's analysis (tens of microseconds
# a field kind) done once per process; the analyzer is kept so that its id cannot be reused.
ANALYSED_CACHE_SIZE = 50_000
_ANALYSED: dict[tuple[int, str], tuple[Any, list[str]]] = {}


def fold(text: str) -> str:
    """Lower case without accents, for friendly matching of sources, places and names."""
    from unidecode import unidecode

    return unidecode(text).lower().strip()


def resolve_values(values: dict[str, list[str]], text: str) -> list[str]:
    """The stored values a user's ``text`` means: the same value ignoring case and accents, else
    the values one of whose words starts with it (``kompas`` -> ``kompas.com``)."""
    import re

    wanted = fold(text)
    if not wanted:
        return []
    if wanted in values:
        return list(values[wanted])
    found = []
    for folded, originals in values.items():
        bare = folded.removeprefix("www.")
        if bare.startswith(wanted) or any(w.startswith(wanted) for w in re.findall(r"\w+", folded)):
            found.extend(originals)
    return sorted(found)


def compile_query(node: ql.Node, schema: Any, weights: dict[str, float], id_values: IdValues) -> qn.Node:
    """The query nodes of a parsed query tree (``Nothing`` when it can match nothing)."""
    compiled = _Compiler(schema, weights, id_values).compile(node)
    return qn.Nothing() if compiled is None else compiled


class _Compiler:
    def __init__(self, schema: Any, weights: dict[str, float], id_values: IdValues) -> None:
        self.schema = schema
        self.weights = weights
        self.id_values = id_values
        present = set(schema.names())
        self.word_targets = {k: tuple(f for f in v if f in present) for k, v in WORD_TARGETS.items()}
        self.surface_targets = {k: tuple(f for f in v if f in present) for k, v in SURFACE_TARGETS.items()}
        self._analysed: dict[tuple[int, str], list[str]] = {}

    def analysed(self, target: str, text: str) -> list[str]:
        """The query terms ``text`` gives in field ``target`` (its ``process_text``), analysed once
        per analyzer (the stemmed fields share one analyzer, the exact fields another) and kept
        for the next queries of the process (``_ANALYSED``)."""
        analyzer = self.schema[target].analyzer
        key = (id(analyzer), text)
        found = self._analysed.get(key)
        if found is None:
            kept = _ANALYSED.get(key)
            if kept is not None and kept[0] is analyzer:  # the same analyzer, not one at its old address
                found = kept[1]
            else:
                found = list(self.schema[target].process_text(text, mode="query"))
                if len(_ANALYSED) >= ANALYSED_CACHE_SIZE:
                    _ANALYSED.clear()
                _ANALYSED[key] = (analyzer, found)
            self._analysed[key] = found
        return list(found)  # a copy: the query objects keep theirs

    def compile(self, node: ql.Node) -> qn.Node | None:
        """None: the node asks for nothing (a word the analyzers drop entirely)."""
        if isinstance(node, ql.Term):
            if node.field in VALUE_FIELDS:
                return self.value(node.field, node.text, node.kind)
            return self.word(node) if node.kind == "word" else self.pattern(node)
        if isinstance(node, ql.Phrase):
            if node.field in VALUE_FIELDS:
                return self.value(node.field, node.text, "word")
            return self.phrase(node)
        if isinstance(node, ql.DateRange):
            return qn.DateRange(DATE_FIELD, node.start, node.end)
        if isinstance(node, ql.Every):
            return qn.Every()
        if isinstance(node, ql.Not):
            inner = self.compile(node.child)
            return None if inner is None else qn.Not(inner)
        parts = [c for c in (self.compile(child) for child in node.children) if c is not None]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return qn.Or(parts) if isinstance(node, ql.Or) else qn.And(parts)

    def _spread(self, clauses: list[qn.Node]) -> qn.Node | None:
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else qn.Or(clauses)

    def word(self, node: ql.Term) -> qn.Node | None:
        clauses: list[qn.Node] = []
        for target in self.word_targets[node.field]:
            boost = node.boost * self.weights.get(target, 1.0)
            tokens = self.analysed(target, node.text)
            if len(tokens) == 1:
                clauses.append(qn.Term(target, tokens[0], boost=boost))
            elif tokens:  # a word the analyzer splits (covid-19): all its parts
                clauses.append(qn.And([qn.Term(target, t, boost=boost) for t in tokens]))
        return self._spread(clauses)

    def pattern(self, node: ql.Term) -> qn.Node | None:
        clauses: list[qn.Node] = []
        for target in self.surface_targets[node.field]:
            boost = node.boost * self.weights.get(target, 1.0)
            forms = list(self.schema[target].process_text(node.text, mode="query", tokenize=False,
                                                          removestops=False))
            if not forms or not forms[0]:
                continue
            text = forms[0]
            if node.kind == "prefix":
                clauses.append(qn.Prefix(target, text, boost=boost))
            elif node.kind == "wildcard":
                clauses.append(qn.Wildcard(target, text, boost=boost))
            else:
                clauses.append(qn.Fuzzy(target, text, boost=boost, maxdist=node.edits, prefixlength=1))
        return self._spread(clauses)

    def phrase(self, node: ql.Phrase) -> qn.Node | None:
        clauses: list[qn.Node] = []
        analysed = {target: self.analysed(target, node.text) for target in self.surface_targets[node.field]}
        longest = max((len(words) for words in analysed.values()), default=0)
        for target, words in analysed.items():
            boost = node.boost * self.weights.get(target, 1.0)
            if len(words) < longest:
                # a stemmed field without a surface companion drops the phrase's stopwords
                # ("kerja sama" would be kerja alone): the phrase is not looked for there
                continue
            if len(words) == 1:
                clauses.append(qn.Term(target, words[0], boost=boost))
            elif words:
                clauses.append(qn.Phrase(target, words, slop=node.slop, boost=boost))
        return self._spread(clauses)

    def value(self, fieldname: str, text: str, kind: str) -> qn.Node:
        """``source:kompas`` & co.: the stored values the text means (NullQuery: none)."""
        if fieldname not in self.schema:
            return qn.Nothing()
        values = self.id_values(fieldname)
        if kind in ("wildcard", "fuzzy"):
            pattern = fold(text)
            found = sorted(v for folded, originals in values.items() if fnmatch.fnmatchcase(folded, pattern)
                           for v in originals)
        else:
            found = resolve_values(values, text)
        if not found:
            return qn.Nothing()
        terms = [qn.Term(fieldname, v) for v in found]
        return terms[0] if len(terms) == 1 else qn.Or(terms)
