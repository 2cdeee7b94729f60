"""cari's Indonesian stemmer: confix stripping checked against a root lexicon.

The method follows the published Nazief-Adriani algorithm and its Enhanced Confix Stripping (ECS)
refinement (Arifin, Mahendra & Ciptaningtyas 2009): strip particles (-lah -kah -tah -pun), possessive
pronouns (-ku -mu -nya) and one derivational suffix (-i -kan -an, and the loan suffixes -isme -isasi
-is), then up to three derivational prefixes with the recoding rules of Indonesian morphophonemics
(``menyapu`` -> ``sapu``, ``memakan`` -> ``makan``, ``pengukur`` -> ``ukur``), checking every
intermediate form against the root lexicon; when nothing is found the suffixes are given back one by
one and prefix removal is tried again. Disallowed confixes (``me-…-an``, ``di-…-an``, ``ke-…-i`` …)
are skipped. Words that match no root are returned unchanged, so names and unknown loans survive.

Differences from the textbook algorithm, all aimed at news text:

* Where several roots fit (a recoding rule gives ``andung`` and ``kandung``), the root whose word
  family is used more in real news wins (frequencies recorded in the lexicon); an earlier step still
  wins over a later one unless the later root is far more common (``penyelidikan``: ``selidik``, not
  ``lidi``).
* Reduplication (``rekan-rekan``, ``menyebut-nyebut``, ``berbalas-balasan``) and hyphenated clitics
  (``kuasa-mu``, ``malaikat-malaikat-nya``) are folded onto the single word.
* The infixes -el- -em- -er- -in- (``kinerja`` -> ``kerja``) and the reduplicated prefix Ce-
  (``lelembut`` -> ``lembut``) are removed as a last resort.
* A never-stem list (place names such as Bekasi, Mentawai, Kediri; acronyms such as pemilu, pemkot;
  lexicalised frequent words such as mereka, menteri) is returned as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

VOWELS = frozenset("aeiou")
PARTICLES = ("lah", "kah", "tah", "pun")
POSSESSIVES = ("nya", "ku", "mu")
HYPHEN_CLITICS = frozenset(("nya", "ku", "mu", "lah", "kah", "pun", "tah"))
# Prefix-suffix pairs that do not occur together in Indonesian (Nazief-Adriani's table).
DISALLOWED_CONFIXES = frozenset(
    (("be", "i"), ("di", "an"), ("ke", "i"), ("ke", "kan"), ("me", "an"), ("se", "i"), ("se", "kan"), ("te", "an"))
)
MIN_ROOT = 3
MAX_PREFIXES = 3
# A later stripping attempt beats an earlier one only when its root family is this many times larger.
LATER_ATTEMPT_FACTOR = 20.0


def _prefix_options(word: str) -> list[tuple[str, str]]:
    """Every (prefix type, remainder) that one derivational prefix removal can give, recoding included."""
    out: list[tuple[str, str]] = []
    n = len(word)
    if n < 5:
        return out
    c0, c1, c2 = word[0], word[1], word[2]
    if c0 == "d" and c1 == "i":
        out.append(("di", word[2:]))
    elif c0 == "k":
        if c1 == "e":
            out.append(("ke", word[2:]))
        elif c1 == "u":
            out.append(("ku", word[2:]))  # proclitic ku- (kupukul)
        elif c1 == "a" and c2 == "u":
            out.append(("ku", word[3:]))  # proclitic kau- (kauhajar)
    elif c0 == "s" and c1 == "e":
        out.append(("se", word[2:]))
    elif c0 == "b" and c1 == "e":
        if c2 == "r":
            rest = word[3:]
            out.append(("be", rest))
            if rest and rest[0] in VOWELS:
                out.append(("be", word[2:]))  # be-rV: berambut -> rambut
        elif word.startswith("belajar"):
            out.append(("be", word[3:]))  # the one bel- word
        elif c2 not in VOWELS and word[3:5] == "er":
            out.append(("be", word[2:]))  # be-C1erC2: bekerja, beternak
    elif c0 == "t" and c1 == "e":
        if c2 == "r":
            rest = word[3:]
            out.append(("te", rest))
            if rest and rest[0] in VOWELS:
                out.append(("te", word[2:]))
        elif c2 not in VOWELS and word[3:5] == "er":
            out.append(("te", word[2:]))  # te-C1erC2: teterbang -> terbang
    elif c0 in "mp" and c1 == "e":
        kind = "me" if c0 == "m" else "pe"
        if word.startswith("menge") or word.startswith("penge"):
            if n > 5 and word[5] not in VOWELS:
                out.append((kind, word[5:]))  # menge- before one-syllable roots: mengebom
        if c2 == "n" and word[3] == "g":  # meng- / peng-
            rest = word[4:]
            if rest:
                if rest[0] in VOWELS:
                    out.append((kind, rest))
                    out.append((kind, "k" + rest))
                elif rest[0] in "ghqk":
                    out.append((kind, rest))
        elif c2 == "n" and word[3] == "y":  # meny- / peny-
            rest = word[4:]
            if rest and rest[0] in VOWELS:
                out.append((kind, "s" + rest))
                out.append((kind, "ny" + rest))
        elif c2 == "n":  # men- / pen-
            rest = word[3:]
            if rest[0] in VOWELS:
                out.append((kind, "n" + rest))
                out.append((kind, "t" + rest))
            elif rest[0] in "cdjzst":
                out.append((kind, rest))
        elif c2 == "m":  # mem- / pem-
            rest = word[3:]
            if rest[0] in VOWELS:
                out.append((kind, "m" + rest))
                out.append((kind, "p" + rest))
            elif rest[0] in "bfvp":
                out.append((kind, rest))
        elif c2 in "lrwy":
            if kind == "pe" and c2 == "r":
                rest = word[3:]
                out.append(("pe", rest))  # per-
                if rest and rest[0] in VOWELS:
                    out.append(("pe", word[2:]))  # pe-rV: perumahan -> rumah
            elif kind == "pe" and word.startswith("pelajar"):
                out.append(("pe", word[3:]))  # the one pel- word
                out.append(("pe", word[2:]))
            else:
                out.append((kind, word[2:]))  # me-/pe- before l r w y
        elif kind == "pe" and c2 not in VOWELS:
            out.append(("pe", word[2:]))  # pe-C: pekerja, peserta, petani
    # Reduplicated first syllable Ce-: lelembut -> lembut, rerata -> rata.
    if c1 == "e" and c0 == c2 and c0 not in VOWELS:
        out.append(("ce", word[2:]))
    return out


def _suffix_options(word: str) -> list[tuple[str, str]]:
    """(remainder, suffix) for each derivational suffix ``word`` may end with, most likely first."""
    out: list[tuple[str, str]] = []
    if word.endswith("kan"):
        out.append((word[:-3], "kan"))
        out.append((word[:-2], "an"))
    elif word.endswith("isasi"):
        out.append((word[:-5], "isasi"))
    elif word.endswith("isme"):
        out.append((word[:-4], "isme"))
    elif word.endswith("an"):
        out.append((word[:-2], "an"))
    elif word.endswith("i"):
        out.append((word[:-1], "i"))
    elif word.endswith("is"):
        out.append((word[:-2], "is"))
    return [(rest, suffix) for rest, suffix in out if len(rest) >= MIN_ROOT]


def _strip_inflection(word: str, endings: tuple[str, ...]) -> str | None:
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_ROOT:
            return word[: -len(ending)]
    return None


class IndonesianStemmer:
    """Confix-stripping stemmer over a root lexicon (root -> family frequency) and a never-stem set."""

    def __init__(self, roots: Mapping[str, int], never_stem: Iterable[str] = ()) -> None:
        self.roots = dict(roots)
        self.never_stem = frozenset(never_stem)

    def stem(self, word: str) -> str:
        """The root of one lower-case, accent-folded word; the word itself when no root fits."""
        if word in self.never_stem or word in self.roots:
            return word
        if "-" in word:
            return self._stem_hyphenated(word)
        if len(word) <= MIN_ROOT or not word.isalpha():
            return word
        return self._find_root(word) or word

    # -- hyphenated words ---------------------------------------------------------------------------

    def _stem_hyphenated(self, word: str) -> str:
        parts = [p for p in word.split("-") if p]
        while len(parts) > 1 and parts[-1] in HYPHEN_CLITICS:
            parts.pop()  # kuasa-mu, malaikat-malaikat-nya
        if not parts:
            return word
        if len(parts) == 1:
            return self.stem(parts[0])
        if len(parts) == 2:
            first, second = parts
            if first == second:
                return self.stem(first)
            stem_first, stem_second = self.stem(first), self.stem(second)
            if stem_first == stem_second:
                return stem_first  # berbalas-balasan, anak-anaknya
            # Reduplicated root after a prefix: menyebut-nyebut, meniru-nirukan, bermain-main.
            for base, suffix in [(second, "")] + _suffix_options(second):
                if len(base) >= 2 and first.endswith(base):
                    return self.stem(first + suffix)
        return "-".join(parts) if len(parts) < len(word.split("-")) else word

    # -- single words -------------------------------------------------------------------------------

    def _find_root(self, word: str) -> str | None:
        roots = self.roots
        # Inflectional suffixes: particle, then possessive pronoun.
        stages = [word]
        without_particle = _strip_inflection(word, PARTICLES)
        if without_particle:
            if without_particle in roots:
                return without_particle
            stages.append(without_particle)
        base = stages[-1]
        without_possessive = _strip_inflection(base, POSSESSIVES)
        if without_possessive:
            if without_possessive in roots:
                return without_possessive
            stages.append(without_possessive)
        base = stages[-1]
        attempts: list[tuple[str, str | None]] = []
        for rest, suffix in _suffix_options(base):
            if rest in roots:
                return rest
            attempts.append((rest, suffix))
        # Suffixes given back one by one (ECS), last inflection stage first.
        for stage in reversed(stages):
            attempts.append((stage, None))

        best: str | None = None
        best_score = 0.0
        weight = 1.0
        for stem_base, suffix in attempts:
            found = self._strip_prefixes(stem_base, suffix)
            if found is not None:
                score = weight * (self.roots[found] + 1)
                if best is None or score > best_score:
                    best, best_score = found, score
            weight /= LATER_ATTEMPT_FACTOR
        if best is not None:
            return best
        for stage in reversed(stages):
            infixless = self._remove_infix(stage)
            if infixless:
                return infixless
        for rest, _suffix in _suffix_options(stages[-1]):
            infixless = self._remove_infix(rest)
            if infixless:
                return infixless
        return None

    def _strip_prefixes(self, word: str, suffix: str | None) -> str | None:
        """Best root reachable from ``word`` by up to three prefix removals, or None."""
        roots = self.roots
        level = [(word, "")]
        for depth in range(MAX_PREFIXES):
            found: list[str] = []
            next_level: list[tuple[str, str]] = []
            for current, previous in level:
                for kind, rest in _prefix_options(current):
                    if kind == previous or len(rest) < MIN_ROOT:
                        continue
                    if depth == 0 and suffix and (kind, suffix) in DISALLOWED_CONFIXES:
                        continue
                    if rest in roots:
                        found.append(rest)
                    else:
                        next_level.append((rest, kind))
            if found:  # the shallowest removal that reaches a root wins; ties go to the commoner root
                return max(found, key=roots.__getitem__)
            level = next_level
        return None

    def _remove_infix(self, word: str) -> str | None:
        if len(word) < 6:
            return None
        if word[1:3] in ("el", "em", "er", "in") and word[0] not in VOWELS:
            candidate = word[0] + word[3:]
            if candidate in self.roots:
                return candidate
        return None
