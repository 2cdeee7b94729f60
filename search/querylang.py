"""The cari query language, parsed into a small tree of cari's own (no index needed).

``parse_query(text)`` gives a :class:`Query`; ``search.query`` compiles it against an index. The
language is the one people know from web search engines and Lucene::

    kerja sama militer          plain words: every word first, then some of them (AND>OR)
    kerja AND militer           AND / DAN between words: every word, strictly
    teroris OR milisi           OR / ATAU
    libya NOT turki, -turki     NOT / BUKAN, or a leading minus; a query of exclusions only
                                means every article without them
    +word                       a word that must be there even under AND>OR
    (turki OR libya) DAN teroris
    "kerja sama", "kerja sama"~3     a phrase; words within 3 positions
    kerja*  k?rja  teroris~  teroris~1   prefix, wildcard, fuzzy (at most 2 edits)
    word^2                      boost
    title:teroris  body:(militer turki libya)   a field: a word, a phrase or a group
    source:kompas  location:jakarta  author:...
    date:2024  date:2020-06  date:2020-06-17  date:[2020-01-01 TO 2020-06-30]  date:>2021-01-01
    *                           every article

Which words AND>OR may relax is decided here: the plain words of the top-level group (those
typed without an operator between them), and the words of a field group typed the same way
(``body:(a b c)`` behaves as ``a b c`` restricted to the body). Fielded words (``title:x``),
phrases, ``+word``, exclusions and dates are conditions: always required.

Bad queries raise ``QuerySyntaxError`` with a one-line reason; so do queries over the bounds on
length, nesting and clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from search.errors import QuerySyntaxError
from search.fields import FIELD_ALIASES, USER_FIELDS

__all__ = [
    "MAX_CLAUSES",
    "MAX_NESTING",
    "MAX_QUERY_CHARS",
    "And",
    "DateRange",
    "Every",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "Term",
    "parse_query",
]

MAX_QUERY_CHARS = 2000
MAX_NESTING = 32
MAX_CLAUSES = 256
MAX_FUZZY_EDITS = 2
MAX_BOOST = 100.0

_OPERATORS = {"AND": "AND", "DAN": "AND", "OR": "OR", "ATAU": "OR", "NOT": "NOT", "BUKAN": "NOT"}
_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


# --- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word as typed, with what it asks: ``kind`` is "word", "prefix", "wildcard" or "fuzzy";
    ``field`` None (every text field), a text field, or a value field (source, location, author)."""

    text: str
    field: str | None = None
    kind: str = "word"
    boost: float = 1.0
    edits: int = 0  # fuzzy: edit distance
    required: bool = False  # +word


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words in order (``slop`` > 1: within that many positions)."""

    text: str
    field: str | None = None
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class DateRange:
    """Articles published (local date and time) from ``start`` to ``end``, both inclusive; None: open."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Every:
    """Every article."""


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class And:
    """All children; ``relaxable`` marks the children AND>OR may join by OR instead."""

    children: tuple[Node, ...]
    relaxable: tuple[bool, ...] = ()


Node = Term | Phrase | DateRange | Every | Not | Or | And


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its tree, and the tree AND>OR searches after the strict matches (None
    when there is nothing to relax: fewer than two plain words, or operators typed)."""

    text: str
    root: Node
    relaxed: Node | None = None

    @property
    def has_relaxed_form(self) -> bool:
        return self.relaxed is not None


# --- lexing ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Token:
    kind: str  # "(", ")", "phrase", "field", "word", "op"
    text: str
    slop: int = 1
    boost: float = 1.0
    glued: bool = False  # the next token follows without a space (``-(``, ``-"``)


_LEX = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | "(?P<phrase>[^"]*)"(?:~(?P<slop>\d{1,6}))?(?:\^(?P<pboost>\d{1,6}(?:\.\d{1,6})?))?
  | (?P<field>[^\W\d_]\w*):(?=[^\s)])
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = -1
    for match in _LEX.finditer(text):
        if match.group("ws"):
            continue
        if tokens and match.start() == previous_end:
            tokens[-1].glued = True
        previous_end = match.end()
        if match.group("lparen"):
            tokens.append(_Token("(", "("))
        elif match.group("rparen"):
            tokens.append(_Token(")", ")"))
        elif match.group("phrase") is not None:
            boost = _boost(match.group("pboost")) if match.group("pboost") else 1.0
            slop = int(match.group("slop")) if match.group("slop") else 1
            tokens.append(_Token("phrase", match.group("phrase"), slop=max(slop, 1), boost=boost))
        elif match.group("field"):
            tokens.append(_Token("field", match.group("field")))
        else:
            word = match.group("word")
            tokens.append(_Token("op" if word in _OPERATORS else "word", word))
    return tokens


def _boost(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_BOOST:
        raise QuerySyntaxError(f"a boost must be above 0 and at most {MAX_BOOST:g} (^{text})")
    return value


# --- parsing -----------------------------------------------------------------------------------


def check_syntax(text: str) -> str:
    """The query with typographic quotes made plain; raises ``QuerySyntaxError`` on what no query
    may be: empty, too long, a NUL, unbalanced quotes or parentheses, nesting too deep."""
    if not isinstance(text, str):
        raise QuerySyntaxError("the query must be text")
    text = text.translate(_CURLY_QUOTES)
    if not text.strip():
        raise QuerySyntaxError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,})")
    if "\x00" in text:
        raise QuerySyntaxError("the query holds a NUL character")
    if text.count('"') % 2:
        raise QuerySyntaxError('unbalanced quote: a " is not closed')
    depth = 0
    for i, part in enumerate(text.split('"')):
        if i % 2:  # inside a phrase: parentheses are text
            continue
        for char in part:
            if char == "(":
                depth += 1
                if depth > MAX_NESTING:
                    raise QuerySyntaxError(f"parentheses nested too deep (more than {MAX_NESTING} levels)")
            elif char == ")":
                depth -= 1
                if depth < 0:
                    raise QuerySyntaxError("unbalanced parenthesis: a ) has no (")
    if depth:
        raise QuerySyntaxError("unbalanced parenthesis: a ( is not closed")
    return text


def parse_query(text: str, *, operator: str = "AND>OR") -> Query:
    """Parse ``text``; ``operator`` is what plain words are joined by: "AND>OR" (all words first,
    then some), "AND" (all, strictly) or "OR". Raises ``QuerySyntaxError``."""
    op = operator.upper()
    if op not in ("AND>OR", "AND", "OR"):
        raise QuerySyntaxError(f"unknown operator {operator!r} (use AND>OR, AND or OR)")
    text = check_syntax(text)
    if text.strip() in ("*", "*:*"):
        return Query(text, Every())
    parser = _Parser(_lex(text), op)
    root = parser.parse()
    if parser.clauses > MAX_CLAUSES:
        raise QuerySyntaxError(f"too many words and clauses ({parser.clauses}; the limit is {MAX_CLAUSES})")
    root = _only_exclusions(root)
    relaxed = _relaxed(root) if op == "AND>OR" else None
    return Query(text, root, relaxed)


class _Parser:
    """Recursive descent over the tokens: or_expr := and_expr (OR and_expr)*;
    and_expr := unary ([AND] unary)*; unary := NOT unary | -unary | +unary | atom."""

    def __init__(self, tokens: list[_Token], operator: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.operator = operator
        self.clauses = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.or_expr(None)
        if self.peek() is not None:  # only a stray ")" can be left (parentheses are balanced)
            raise QuerySyntaxError("unexpected ')'")
        return node

    def or_expr(self, field_name: str | None) -> Node:
        parts = [self.and_expr(field_name)]
        while (token := self.peek()) is not None and token.kind == "op" and _OPERATORS[token.text] == "OR":
            self.take()
            if self._at_end():
                raise QuerySyntaxError(f"{token.text} needs something after it")
            parts.append(self.and_expr(field_name))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _at_end(self) -> bool:
        token = self.peek()
        return token is None or token.kind == ")"

    def and_expr(self, field_name: str | None) -> Node:
        token = self.peek()
        if token is None or token.kind == ")":
            raise QuerySyntaxError("empty parentheses" if token is not None else "nothing to search for")
        if token.kind == "op" and _OPERATORS[token.text] in ("AND", "OR"):
            raise QuerySyntaxError(f"{token.text} needs a word on each side")
        children: list[Node] = [self.unary(field_name)]
        implicit: list[bool] = [True]
        while (token := self.peek()) is not None and token.kind != ")":
            if token.kind == "op" and _OPERATORS[token.text] == "OR":
                break
            explicit = token.kind == "op" and _OPERATORS[token.text] == "AND"
            if explicit:
                self.take()
                if self._at_end():
                    raise QuerySyntaxError(f"{token.text} needs a word on each side")
                implicit[-1] = False
            children.append(self.unary(field_name))
            implicit.append(not explicit)
        if len(children) == 1:
            return children[0]
        plain = [i and _is_plain(c, field_name) for c, i in zip(children, implicit)]
        if self.operator == "OR":
            # OR between plain words; the explicitly joined and the conditions stay required
            words = [c for c, p in zip(children, plain) if p]
            rest = [c for c, p in zip(children, plain) if not p]
            if len(words) >= 2:
                return Or(tuple(words)) if not rest else And((*rest, Or(tuple(words))))
            return And(tuple(children))
        if self.operator == "AND":
            return And(tuple(children))
        # AND>OR: plain words, and field groups of plain words, typed without an operator
        relaxable = tuple(p or (i and _is_word_group(c)) for c, i, p in zip(children, implicit, plain))
        return And(tuple(children), relaxable)

    def unary(self, field_name: str | None) -> Node:
        token = self.peek()
        if token is None or token.kind == ")":
            raise QuerySyntaxError("NOT needs something after it")
        if token.kind == "op" and _OPERATORS[token.text] == "NOT":
            self.take()
            following = self.peek()
            if following is None or following.kind == ")" or (
                    following.kind == "op" and _OPERATORS[following.text] != "NOT"):
                raise QuerySyntaxError(f"{token.text} needs something after it")
            return Not(self.unary(field_name))
        if token.kind == "op":
            raise QuerySyntaxError(f"{token.text} needs a word on each side")
        if token.kind == "word" and token.text[0] in "-+" and (len(token.text) > 1 or token.glued):
            # a leading - excludes, + requires: only at the start of a word (covid-19 stays whole)
            sign = token.text[0]
            if len(token.text) > 1:
                self.tokens[self.pos] = _Token("word", token.text[1:], glued=token.glued)
            else:
                self.take()
            if self._at_end():
                raise QuerySyntaxError(f"nothing after {sign}")
            node = self.unary(field_name)
            return Not(node) if sign == "-" else _required(node)
        return self.atom(field_name)

    def atom(self, field_name: str | None) -> Node:
        token = self.take()
        if token.kind == "(":
            node = self.or_expr(field_name)
            self.take()  # ")": parentheses are balanced
            return node
        if token.kind == "field":
            if field_name is not None:
                raise QuerySyntaxError(f"a field inside a field ({token.text}: inside {field_name}:)")
            name = FIELD_ALIASES.get(token.text.lower())
            if name is None:
                raise QuerySyntaxError(f"unknown field '{token.text}:' (fields: {USER_FIELDS})")
            return self.field_value(name)
        if token.kind == "phrase":
            return self.phrase(token, field_name)
        return self.word(token.text, field_name)

    def phrase(self, token: _Token, field_name: str | None) -> Node:
        self.clauses += 1
        if not token.text.strip():
            raise QuerySyntaxError('empty phrase ""')
        if field_name == "date":
            return _date_node(token.text)
        return Phrase(token.text, field_name, token.slop, token.boost)

    def field_value(self, name: str) -> Node:
        token = self.peek()
        if token is None or token.kind == ")":
            raise QuerySyntaxError(f"{name}: needs a value")
        if token.kind == "(":
            self.take()
            node = self.or_expr(name)
            self.take()
            return node
        if name == "date":
            return self.date_value()
        token = self.take()
        if token.kind == "phrase":
            return self.phrase(token, name)
        if token.kind == "field":
            raise QuerySyntaxError(f"{name}: needs a value, not another field ({token.text}:)")
        return self.word(token.text, name)

    def date_value(self) -> Node:
        token = self.take()
        self.clauses += 1
        text = token.text
        if token.kind == "phrase":
            return _date_node(text)
        if text[:1] in "[{":
            parts = [text]
            while not parts[-1].endswith(("]", "}")):
                following = self.peek()
                if following is None or following.kind not in ("word", "op"):
                    raise QuerySyntaxError(f"bad date range {' '.join(parts)!r}: {_DATE_USAGE}")
                parts.append(self.take().text)
            return _date_range(" ".join(parts))
        return _date_node(text)

    def word(self, text: str, field_name: str | None) -> Node:
        self.clauses += 1
        boost = 1.0
        if "^" in text[1:]:
            text, _, raw = text.rpartition("^")
            try:
                boost = _boost(raw)
            except ValueError:
                raise QuerySyntaxError(f"bad boost ^{raw}: use a number such as ^2") from None
        if field_name == "date":
            return _date_node(text)
        fuzzy = re.fullmatch(r"(.+?)~(\d?)", text)
        if fuzzy and fuzzy.group(1).strip("*?"):
            edits = int(fuzzy.group(2)) if fuzzy.group(2) else MAX_FUZZY_EDITS
            return Term(fuzzy.group(1), field_name, "fuzzy", boost, min(max(edits, 1), MAX_FUZZY_EDITS))
        if "*" in text or "?" in text:
            if not text.strip("*?"):
                raise QuerySyntaxError(f"{text!r} stands for every word: use * alone to list every article")
            if text.endswith("*") and "*" not in text[:-1] and "?" not in text:
                return Term(text[:-1], field_name, "prefix", boost)
            return Term(text, field_name, "wildcard", boost)
        return Term(text, field_name, "word", boost)


def _is_plain(node: Node, group_field: str | None) -> bool:
    """A word AND>OR may relax: a plain word typed in its group (unfielded at the top, or inside
    a field group, whose field it inherits); ``title:x`` typed alone is a condition."""
    return (isinstance(node, Term) and node.kind == "word" and not node.required
            and node.field == group_field)


def _is_word_group(node: Node) -> bool:
    """A field group of plain words typed without operators (``body:(a b c)``)."""
    return (isinstance(node, And) and bool(node.relaxable) and all(node.relaxable)
            and all(isinstance(c, Term) and c.field is not None for c in node.children))


def _required(node: Node) -> Node:
    if isinstance(node, Term):
        return Term(node.text, node.field, node.kind, node.boost, node.edits, required=True)
    return node


def _only_exclusions(node: Node) -> Node:
    """A query of exclusions only (``-korupsi``) means every article without them."""
    if isinstance(node, Not):
        return And((Every(), node))
    if isinstance(node, And) and all(isinstance(c, Not) for c in node.children):
        return And((Every(), *node.children))
    return node


def _relaxed(node: Node) -> Node | None:
    """The AND>OR form of the top-level group: its relaxable words (a field group typed the same
    way counts as its words) joined by OR, every other child still required; None when fewer
    than two words could be relaxed."""
    if isinstance(node, Term) or not isinstance(node, And) or not node.relaxable:
        return _relaxed_group(node) if isinstance(node, And) and _is_word_group(node) else None
    words: list[Node] = []
    required: list[Node] = []
    for child, relaxable in zip(node.children, node.relaxable):
        if not relaxable:
            required.append(child)
        elif isinstance(child, And):
            words.extend(child.children)
        else:
            words.append(child)
    if len(words) < 2:
        return None
    alternatives: Node = Or(tuple(words))
    return And((*required, alternatives)) if required else alternatives


def _relaxed_group(node: And) -> Node | None:
    """``body:(a b c)`` alone: its words joined by OR."""
    return Or(node.children) if len(node.children) >= 2 else None


# --- dates -------------------------------------------------------------------------------------

_DATE_USAGE = ("use date:YYYY, date:YYYY-MM, date:YYYY-MM-DD, date:>YYYY-MM-DD (also >=, <, <=) "
               "or date:[YYYY-MM-DD TO YYYY-MM-DD]")
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def date_bounds(text: str) -> tuple[datetime, datetime]:
    """The first and last moment of the year, month or day ``text`` names (``2020``,
    ``2020-06``, ``2020-06-17``). Raises QuerySyntaxError otherwise, or for a year outside 1..9999."""
    match = _DATE_RE.fullmatch(text.strip())
    if not match:
        raise QuerySyntaxError(f"bad date {text!r}: {_DATE_USAGE}")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        start = datetime(year, month or 1, day or 1)
    except ValueError as error:
        raise QuerySyntaxError(f"bad date {text!r}: {error}") from None
    try:
        if day is not None:
            following = start + timedelta(days=1)
        elif month is not None:
            following = datetime(year + (month == 12), month % 12 + 1, 1)
        else:
            following = datetime(year + 1, 1, 1)
    except (ValueError, OverflowError):  # the end of year 9999
        return start, datetime.max
    return start, following - timedelta(microseconds=1)


def _date_node(text: str) -> DateRange:
    text = text.strip()
    for prefix in (">=", "<=", ">", "<"):
        if text.startswith(prefix):
            start, end = date_bounds(text[len(prefix):])
            if prefix == ">=":
                return DateRange(start, None)
            if prefix == "<=":
                return DateRange(None, end)
            if prefix == ">":
                return DateRange(end + timedelta(microseconds=1) if end != datetime.max else end, None)
            return DateRange(None, start - timedelta(microseconds=1) if start != datetime.min else start)
    start, end = date_bounds(text)
    return DateRange(start, end)


def _date_range(text: str) -> DateRange:
    match = re.fullmatch(r"([\[{])\s*(?:(\S+)\s+)?TO(?:\s+(\S+))?\s*([\]}])", text)
    if not match:
        raise QuerySyntaxError(f"bad date range {text!r}: {_DATE_USAGE}")
    low, high = match.group(2) or "*", match.group(3) or "*"  # [TO x], [x TO]: open at one end
    start = None if low == "*" else date_bounds(low)[0]
    end = None if high == "*" else date_bounds(high)[1]
    if match.group(1) == "{" and start is not None:
        start = date_bounds(low)[1] + timedelta(microseconds=1)
    if match.group(4) == "}" and end is not None:
        end = date_bounds(high)[0] - timedelta(microseconds=1)
    if start is not None and end is not None and start > end:
        raise QuerySyntaxError(f"bad date range {text!r}: it starts after it ends")
    return DateRange(start, end)
