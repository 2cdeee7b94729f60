"""The user's corrections to the analyzer: protected words, stem overrides and synonyms.

A corrections file is plain UTF-8 text, one entry a line; ``#`` starts a comment, blank lines are
ignored, case and accents do not matter (entries are normalized like the text they correct)::

    # protected words: one word alone on its line, never stemmed nor respelled
    Bekasi
    Jokowi
    # stem overrides: word -> the word it is indexed and searched as (-> or →)
    pemerintahan -> pemerintah
    # synonyms: two or more words or phrases joined by =, searched for one another
    KPK = Komisi Pemberantasan Korupsi
    Jokowi = Joko Widodo

Protected words and overrides change the index (``Corrections.indexing``): they are applied when
articles are indexed and when queries are analysed, so changing them needs a rebuild. Synonyms
only change queries: a query word or phrase of a synonym group also looks for the others.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from search.errors import CorrectionsError

MAX_FILE_BYTES = 4 * 1024 * 1024
_ARROW = re.compile(r"\s*(?:->|→)\s*")


@dataclass(frozen=True, slots=True)
class Corrections:
    """The entries of a corrections file, normalized.

    ``protected``: words never stemmed; ``overrides``: (word, target) pairs, the word analysed as
    its target is; ``synonyms``: groups of phrases (each a tuple of normalized words)."""

    protected: frozenset[str] = frozenset()
    overrides: tuple[tuple[str, str], ...] = ()
    synonyms: tuple[tuple[tuple[str, ...], ...], ...] = ()
    text: str = field(default="", compare=False)  # the file as given (stored with the index)
    source: str = field(default="", compare=False)  # where it was read from

    @property
    def indexing(self) -> Corrections:
        """The part that changes the index: protected words and stem overrides."""
        return Corrections(self.protected, self.overrides)

    @property
    def is_empty(self) -> bool:
        return not (self.protected or self.overrides or self.synonyms)

    def digest(self) -> str:
        """A short digest of the indexing part (equal digests: the same index)."""
        data = repr((sorted(self.protected), self.overrides)).encode("utf-8")
        return hashlib.blake2b(data, digest_size=8).hexdigest()

    def differences(self, other: Corrections) -> str:
        """What differs between the indexing parts of ``self`` and ``other``, in a few words."""
        parts = []
        added, removed = self.protected - other.protected, other.protected - self.protected
        if added or removed:
            parts.append(f"protected words +{len(added)} -{len(removed)}")
        mine, theirs = dict(self.overrides), dict(other.overrides)
        changed = {w for w in mine.keys() | theirs.keys() if mine.get(w) != theirs.get(w)}
        if changed:
            parts.append(f"{len(changed)} stem override{'s' if len(changed) != 1 else ''}")
        return ", ".join(parts)


def _words(text: str) -> list[str]:
    """The normalized tokens of ``text`` (as the tokenizer sees them)."""
    from search.analysis.tokenizer import token_spans

    return token_spans(text)[0]


def parse_corrections(text: str, source: str = "corrections") -> Corrections:
    """Parse the text of a corrections file; raises ``CorrectionsError`` naming the bad line."""
    protected: set[str] = set()
    overrides: dict[str, str] = {}
    synonyms: list[tuple[tuple[str, ...], ...]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue

        def fail(reason: str, number: int = number, line: str = line) -> CorrectionsError:
            return CorrectionsError(f"{source}:{number}: {reason}: {line!r}")

        if _ARROW.search(line):
            sides = _ARROW.split(line)
            if len(sides) != 2:
                raise fail("a stem override is one word -> one word")
            word, target = (_words(side) for side in sides)
            if len(word) != 1 or len(target) != 1:
                raise fail("a stem override is one word -> one word")
            if word[0] in overrides and overrides[word[0]] != target[0]:
                raise fail(f"{word[0]!r} already has a stem override")
            overrides[word[0]] = target[0]
        elif "=" in line:
            group = tuple(tuple(_words(side)) for side in line.split("="))
            if len(group) < 2 or any(not phrase for phrase in group):
                raise fail("a synonym line is two or more words or phrases joined by =")
            group = tuple(dict.fromkeys(group))
            if len(group) >= 2:
                synonyms.append(group)
        else:
            word = _words(line)
            if len(word) != 1:
                raise fail("a protected word is one word alone on its line (or use -> or =)")
            protected.add(word[0])
    both = protected & overrides.keys()
    if both:
        raise CorrectionsError(f"{source}: {sorted(both)[0]!r} is both protected and overridden")
    return Corrections(frozenset(protected), tuple(sorted(overrides.items())), tuple(synonyms), text, source)


def read_corrections(path: str | os.PathLike[str]) -> Corrections:
    """Read and parse the corrections file at ``path`` (``CorrectionsError`` when it cannot)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CorrectionsError(f"{path}: a corrections file is at most {MAX_FILE_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except CorrectionsError:
        raise
    except OSError as error:
        raise CorrectionsError(f"cannot read the corrections file {path}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorrectionsError(f"{path}: a corrections file must be UTF-8 text") from None
    return parse_corrections(text, str(path))
