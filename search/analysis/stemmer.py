"""cari's Indonesian stemmer: confix stripping checked against a root lexicon.

The method follows the published Nazief-Adriani algorithm and its Enhanced Confix Stripping (ECS)
refinement (Arifin, Mahendra & Ciptaningtyas 2009): strip particles (-lah -kah -pun), possessive
pronouns (-ku -mu -nya) and one derivational suffix (-i -kan -an), then up to three derivational
prefixes with the recoding rules of Indonesian morphophonemics (``menyapu`` -> ``sapu``,
``memakan`` -> ``makan``, ``pengukur`` -> ``ukur``), checking every intermediate form against the
root lexicon; when nothing is found the suffixes are given back one by one and prefix removal is
tried again. Disallowed confixes (``me-…-an``, ``di-…-an``, ``ke-…-i`` …) are skipped, and ECS's
precedence rule strips the prefix first for be-…-lah, be-…-an, me-…-i, di-…-i, pe-…-i, ter-…-i.
Words that match no root are returned unchanged, so names and unknown loans survive.

Differences from the textbook algorithm, all aimed at news text:

* Where several roots fit, the reading with the fewest prefixes wins (``penyelidikan``: ``selidik``
  with one prefix, not ``lidi`` with two), then ECS's order; among the readings of one step (a
  recoding rule gives ``andung`` and ``kandung``) the root whose word family real news uses more
  wins (frequencies recorded in the lexicon). Three-letter roots, the least reliable, yield to a
  longer root found later (``pemeran``: ``peran``, not ``per``).
* Nasal pe- takes neither -i nor -kan (``petani`` -> ``tani``, ``penegakan`` -> ``tegak``).
* Reduplication (``rekan-rekan``, ``menyebut-nyebut``, ``berbalas-balasan``) and hyphenated clitics
  (``kuasa-mu``, ``malaikat-malaikat-nya``) are folded onto the single word.
* Last resorts: the loan suffixes -isasi -isme -is straight onto a root (``idealis`` -> ``ideal``),
  the archaic particle -tah likewise (``apatah`` -> ``apa``), the infix -in- (``kinerja`` ->
  ``kerja``) and the reduplicated first syllable Ce- (``lelembut`` -> ``lembut``).
* A never-stem list (place names such as Bekasi, Mentawai, Kediri; acronyms such as pemilu, pemkot;
  frequent words whose derivation meets an unrelated word, such as mereka, menteri, setelah) is
  returned as it is; these words are roots too, so their inflected forms reach them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

VOWELS = frozenset("aeiou")
PARTICLES = ("lah", "kah", "pun")
# -tah is archaic: stripped only straight onto a root (apatah -> apa), never before prefix removal
# (pemerintah is not pemerin + -tah).
ARCHAIC_PARTICLES = ("tah",)
POSSESSIVES = ("nya", "ku", "mu")
HYPHEN_CLITICS = frozenset(("nya", "ku", "mu", "lah", "kah", "pun", "tah"))
# Prefix-suffix pairs that do not occur together in Indonesian (Nazief-Adriani's table).
DISALLOWED_CONFIXES = frozenset(
    (("be", "i"), ("di", "an"), ("ke", "i"), ("ke", "kan"), ("me", "an"), ("se", "i"), ("se", "kan"), ("te", "an"))
    # pe- and per- form nouns with -an; -i and -kan do not follow a nasal pe- (petani is pe- + tani,
    # not pe- + tan + -i; penegakan is pen- + tegak + -an, not tega + -kan). A plain pe- before r
    # keeps the ECS reading with -kan (perusakan -> rusa, as Sastrawi's gold data has it).
    + (("pe", "i"), ("pN", "i"), ("pN", "kan"))
)
# Loan suffixes are stripped only straight onto a root of at least this length (idealis -> ideal, but
# krisis, turis, logis stay: their short remainders are different words).
LOAN_SUFFIXES = (("isasi", 4), ("isme", 4), ("is", 5))
MIN_ROOT = 3
COMMON_FAMILY = 1000  # corpus uses that make a root common
MAX_PREFIXES = 3
# A part of a hyphenated word that is a word in its own right: a root whose family news uses this often.
FREE_WORD_FAMILY = 100
# Affixes written with a hyphen before a loan, an acronym or a name (di-PHK, se-Indonesia,
# meng-upload, nge-vlog, ke-Indonesia-an); they come off like the clitics.
HYPHEN_PREFIXES = frozenset((
    "di", "ke", "se", "ber", "ter", "me", "mem", "men", "meng", "meny", "pe", "pem", "pen", "peng",
    "peny", "per", "nge", "ng",
))
HYPHEN_SUFFIXES = frozenset(("kan", "an", "i"))
# Rules of a hyphenated stem that is one word (one term), not a compound to split: a reduplication
# with a sound change is a word of its own (KBBI lists bolak-balik; Sastrawi's gold data keeps it),
# and so is a hyphenated entry of the lexicon none of whose parts is a word (gembar-gembor).
SOUND_CHANGE = "reduplication with a sound change: a word of its own"
ONE_WORD = "one hyphenated word of the lexicon"
ONE_WORD_RULES = frozenset((SOUND_CHANGE, ONE_WORD))
# A reduplication written with the digit 2 (anak2, teman2nya, mudah2an): base, then what follows.
REDUPLICATION_DIGIT = re.compile(r"([a-z]{2,})2(an|kan|i|nya|ku|mu|lah|kah|pun|an?nya)?")



def _prefix_options(word: str) -> list[tuple[str, str]]:
    """Every (prefix type, remainder) that one derivational prefix removal can give, recoding included.

    A type ending in ``~`` marks a fallback reading, used only when no other reading finds a root."""
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
        nasal = "me" if c0 == "m" else "pN"  # pe- with a nasal (pem- pen- peng- peny-)
        if word.startswith(("menge", "penge")) and n > 5 and word[5] not in VOWELS:
            out.append((nasal, word[5:]))  # menge- before one-syllable roots: mengebom
        if c2 == "n" and word[3] == "g":  # meng- / peng-
            rest = word[4:]
            if rest:
                if rest[0] in VOWELS:
                    out.append((nasal, rest))
                    out.append((nasal, "k" + rest))
                    out.append((nasal + "~", "ng" + rest))  # fallback only: menganga -> nganga
                elif rest[0] in "ghqk":
                    out.append((nasal, rest))
        elif c2 == "n" and word[3] == "y":  # meny- / peny-
            rest = word[4:]
            if rest and rest[0] in VOWELS:
                out.append((nasal, "s" + rest))
                out.append((nasal, "ny" + rest))
        elif c2 == "n":  # men- / pen-
            rest = word[3:]
            if rest[0] in VOWELS:
                out.append((nasal, "n" + rest))
                out.append((nasal, "t" + rest))
            elif rest[0] in "cdjzst":
                out.append((nasal, rest))
        elif c2 == "m":  # mem- / pem-
            rest = word[3:]
            if rest[0] in VOWELS:
                out.append((nasal, "m" + rest))
                out.append((nasal, "p" + rest))
            elif rest[0] in "bfvp":
                out.append((nasal, rest))
        elif c2 in "lrwy":
            if kind == "pe" and c2 == "r":
                rest = word[3:]
                out.append(("per", rest))  # per-
                if rest and rest[0] in VOWELS:
                    out.append(("pe", word[2:]))  # pe-rV: perumahan -> rumah
            elif kind == "pe" and word.startswith("pelajar"):
                out.append(("pe", word[3:]))  # the one pel- word
                out.append(("pe", word[2:]))
            else:
                out.append((kind, word[2:]))  # me-/pe- before l r w y
        elif kind == "pe" and c2 not in VOWELS:
            out.append(("pe", word[2:]))  # pe-C: pekerja, peserta, petani
    return out


def _suffix_options(word: str) -> list[tuple[str, str]]:
    """(remainder, suffix) for each derivational suffix ``word`` may end with, most likely first."""
    out: list[tuple[str, str]] = []
    if word.endswith("kan"):
        out.append((word[:-3], "kan"))
        out.append((word[:-2], "an"))
    elif word.endswith("an"):
        out.append((word[:-2], "an"))
    elif word.endswith("i"):
        out.append((word[:-1], "i"))
    return [(rest, suffix) for rest, suffix in out if len(rest) >= MIN_ROOT]


def _prefix_first(word: str) -> bool:
    """ECS precedence rule: be-…-lah, be-…-an, me-…-i, di-…-i, pe-…-i and ter-…-i lose the prefix first."""
    if word.startswith("be"):  # but not be-…-kan: berikan is beri + -kan, not ber- + ikan
        return word.endswith("lah") or (word.endswith("an") and not word.endswith("kan"))
    if word.endswith("i"):
        return word.startswith(("me", "di", "pe", "ter"))
    return False


def _foldable_rest(part: str) -> bool:
    """Whether what follows a hyphenated prefix is a word it may be attached to (not a number:
    ``ke-2`` stays ``ke`` and ``2``)."""
    return len(part) >= 2 and part[0].isalpha()


def _consonants(word: str) -> str:
    return "".join(c for c in word if c not in VOWELS)


def _sound_change(first: str, second: str) -> bool:
    """Whether two parts differ as the two halves of a reduplication with a sound change do: by
    their first consonant (``sayur-mayur``, ``lauk-pauk``, ``ingar-bingar``) or by vowels only
    (``bolak-balik``, ``warna-warni``, ``gerak-gerik``)."""
    if first[1:] == second[1:] or first == second[1:] or first[1:] == second:
        return True
    return len(first) == len(second) and _consonants(first) == _consonants(second)


def describe_affixes(word: str, root: str) -> str:
    """What confix stripping removed from ``word`` to reach ``root``, for display:
    ``menyapu`` / ``sapu`` -> ``affixes removed: meny- (s)``, ``kebijakan`` -> ``ke- -an``."""
    start = word.find(root)
    recoded = ""
    if start < 0 and len(root) > 1:
        start = word.find(root[1:])  # a recoded first consonant (menyapu: sapu)
        if start >= 0:
            recoded = root[0]
            root_end = start + len(root) - 1
        else:
            return "affixes removed"
    else:
        root_end = start + len(root)
    prefix, suffix = word[:start], word[root_end:]
    parts = []
    if prefix:
        parts.append(f"{prefix}-" + (f" ({recoded} dropped)" if recoded else ""))
    if suffix:
        parts.append(f"-{suffix}")
    if not parts:
        return "affixes removed"
    return "affixes removed: " + " ".join(parts)


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
        for word in self.never_stem:  # roots too, so their inflected forms reach them (bekasinya)
            self.roots.setdefault(word, 0)

    def stem(self, word: str) -> str:
        """The root of one lower-case, accent-folded word; the word itself when no root fits.

        A hyphenated compound that is not a reduplication comes back with its parts joined by
        hyphens (``cibubur-dukuh``), each part to be searched on its own (``split_compound``)."""
        return self.stem_with_rule(word)[0]

    def stem_with_rule(self, word: str) -> tuple[str, str]:
        """``(stem, rule)``: the stem and a short description of what decided it (for ``cari
        analyze``): the never-stem list, the root lexicon, a reduplication, the affixes removed..."""
        if word in self.never_stem:
            return word, "never stemmed (never-stem list)"
        if "-" in word:
            return self._stem_hyphenated(word)
        if word in self.roots:
            return word, "a root of the lexicon"
        two = REDUPLICATION_DIGIT.fullmatch(word)
        if two is not None and len(word) > MIN_ROOT:
            base, ending = two.groups()
            if self.is_word(base):  # anak2 is anak-anak, moto2 (a racing class) is not moto-moto
                stem, _rule = self._stem_hyphenated(f"{base}-{base}{ending or ''}")
                return stem, "reduplication written with 2"
        if len(word) <= MIN_ROOT or not word.isalpha():
            return word, "unchanged (too short, or not only letters)"
        root = self._find_root(word)
        if root is None:
            return word, "unchanged (no root of the lexicon fits)"
        return root, describe_affixes(word, root)

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is an Indonesian word the lexicon knows: a root or a form of one."""
        if word in self.roots or word in self.never_stem:
            return True
        return len(word) > MIN_ROOT and word.isalpha() and self._find_root(word) is not None

    # -- hyphenated words ---------------------------------------------------------------------------

    def _stem_hyphenated(self, word: str) -> tuple[str, str]:
        """Reduplications fold onto their base (``anak-anak``, ``menyebut-nyebut``, ``sayur-mayur``,
        ``bolak-balik``), hyphenated clitics and affixes come off (``kuasa-mu``, ``di-PHK``); any
        other compound comes back hyphenated, to be split (``cibubur-dukuh``, ``covid-19``)."""
        parts = [p for p in word.split("-") if p]
        while len(parts) > 1 and parts[-1] in HYPHEN_CLITICS:
            parts.pop()  # kuasa-mu, malaikat-malaikat-nya
        affixed = False
        # An Indonesian affix written with a hyphen on a loan, an acronym or a name: di-PHK,
        # se-Indonesia, meng-upload, ke-Indonesia-an, di-PHK-kan.
        if len(parts) > 1 and parts[0] in HYPHEN_PREFIXES and _foldable_rest(parts[1]):
            parts.pop(0)
            affixed = True
        if len(parts) > 1 and parts[-1] in HYPHEN_SUFFIXES and (
                affixed or len(parts) > 2 or (parts[-1] != "i" and len(parts[0]) >= 3 and parts[0].isalpha())):
            parts.pop()  # di-PHK-kan, bully-an, juta-an, sharing-kan
            affixed = True
        if not parts:
            return word, "unchanged"
        if len(parts) == 1:
            stem, rule = self.stem_with_rule(parts[0])
            return stem, ("hyphenated affix or clitic removed" + (f"; {rule}" if stem != parts[0] else ""))
        if len(parts) == 2:
            folded = self._reduplication(parts[0], parts[1])
            if folded is not None:
                return folded
        joined = "-".join(parts)
        if len(parts) > 1 and joined in self.roots:  # a lexicalized compound, no part a root: one term
            return joined, ONE_WORD
        if affixed or len(parts) < len(word.split("-")):
            return joined, "compound: parts searched on their own (affix or clitic removed)"
        return word, "compound: parts searched on their own"

    def _reduplication(self, first: str, second: str) -> tuple[str, str] | None:
        """``(stem, rule)`` when ``first-second`` is a reduplication, else None."""
        # The second half may carry a clitic (anak-anaknya, uneg-unegnya) or the colloquial -in
        # (dikata-katain, ngapa-ngapain) that the first half lacks.
        bare = _strip_inflection(second, POSSESSIVES + PARTICLES) or second
        if first in (second, bare):
            return self.stem(first), "reduplication"
        stem_first, stem_second = self.stem(first), self.stem(second)
        if stem_first == stem_second:
            return stem_first, "reduplication"  # berbalas-balasan, surat-menyurat, sebaik-baiknya
        # Reduplicated root after a prefix: menyebut-nyebut, meniru-nirukan, bermain-main,
        # menyia-nyiakannya, setinggi-tingginya (onto the first half's stem).
        options = []
        for half in dict.fromkeys((second, bare)):  # ngaku ends like -ku but is not one
            options += [(half, "")] + _suffix_options(half)
            if half.endswith("in") and len(half) > 4:
                options.append((half[:-2], ""))
        for base, suffix in options:
            if len(base) >= 2 and first.endswith(base):
                return self.stem(first + suffix), "reduplication"
        # With a sound change (sayur-mayur, bolak-balik), also inside affixes: berwarna-warni,
        # digembar-gemborkan (gembar-gembor), mengutak-atik (utak-atik).
        cores = [first] + [rest for kind, rest in _prefix_options(first) if not kind.endswith("~")]
        ends = [half for half in dict.fromkeys((second, bare))]
        ends += [rest for half in list(ends) for rest, _suffix in _suffix_options(half)]
        for core_first in cores:
            for core_second in ends:
                lexicalized = f"{core_first}-{core_second}" in self.roots
                if self._imitative_base(core_first, core_second, lexicalized) is not None:
                    return f"{core_first}-{core_second}", SOUND_CHANGE
                if lexicalized and (core_first, core_second) != (first, second):
                    return f"{core_first}-{core_second}", ONE_WORD  # digembar-gemborkan
        return None

    def _imitative_base(self, first: str, second: str, lexicalized: bool) -> str | None:
        """The base of a reduplication with a sound change (``sayur-mayur``: sayur, ``bolak-balik``:
        balik, ``warna-warni``: warna), or None for a compound of two words (``suka-duka``); such
        a reduplication is then one word, ``first-second``.

        A lexicalized one (an entry of the lexicon) folds onto its part of the larger word family; one
        that only looks like it (the parts differ by a first consonant or by vowels) folds only when
        just one part is a word in its own right (in the lexicon with a family of
        ``FREE_WORD_FAMILY`` uses) and the other no name: two words side by side are a compound
        (``suka-duka``, ``Timor-Timur``)."""
        if not (first.isalpha() and second.isalpha()) or min(len(first), len(second)) < 3:
            return None
        family = self.roots.get
        if lexicalized:
            known = [part for part in (first, second) if part in self.roots]
            return max(known, key=lambda part: family(part) or 0) if known else None
        if not _sound_change(first, second):
            return None
        free = [part for part in (first, second) if (family(part) or 0) >= FREE_WORD_FAMILY]
        if len(free) != 1:
            return None
        copy = second if free[0] == first else first
        return free[0] if copy not in self.never_stem else None

    # -- single words -------------------------------------------------------------------------------

    def _find_root(self, word: str) -> str | None:
        roots = self.roots
        # Inflectional suffixes: particle, then possessive pronoun.
        stages = [word]
        archaic = _strip_inflection(word, ARCHAIC_PARTICLES)
        if archaic and archaic in roots:
            return archaic
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
        # ECS precedence: on the whole word (bermasalah: masalah), or on the word less its clitics
        # for the -i confixes (memakainya is memakai + -nya: pakai, not maka).
        precedence = word if _prefix_first(word) else base if base[-1] == "i" and _prefix_first(base) else None
        if precedence is not None:
            found = self._strip_prefixes(precedence, None, check_suffixes=True)
            if found is not None:
                return found[0]
        attempts: list[tuple[str, str | None]] = []
        direct: str | None = None
        for rest, suffix in _suffix_options(base):
            if rest in roots and (direct is None or (len(direct) <= MIN_ROOT < len(rest))):
                direct = rest  # -kan before -an, unless -kan leaves a 3-letter root (ajakan: ajak)
            attempts.append((rest, suffix))
        if direct is not None:
            return direct
        # Suffixes given back one by one (ECS), last inflection stage first.
        for stage in reversed(stages):
            attempts.append((stage, None))

        # The fewest prefix removals win; among equals, the earliest attempt (ECS order), except that
        # a root of three letters (the least reliable entries) yields to a longer one found later
        # (pemeran: peran, not per). penyelidikan -> selidik (one prefix), not lidi (two, via -kan).
        best: str | None = None
        best_depth = MAX_PREFIXES + 1
        for stem_base, stem_suffix in attempts:
            short_best = best is not None and len(best) <= MIN_ROOT
            found = self._strip_prefixes(stem_base, stem_suffix, max_depth=best_depth - (0 if short_best else 1))
            if found is not None and (best is None or found[1] < best_depth or len(found[0]) > MIN_ROOT):
                best, best_depth = found
        if best is not None:
            return best
        # Last resorts: loan suffixes straight onto a root (idealis -> ideal, not menangis -> menang),
        for suffix, shortest in LOAN_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= shortest:
                if base[: -len(suffix)] in roots:
                    return base[: -len(suffix)]
                break
        # the infix -in- (kinerja -> kerja) and the reduplicated first
        # syllable Ce- (lelembut -> lembut, rerata -> rata), with or without the suffixes.
        for form in list(reversed(stages)) + [rest for rest, _suffix in _suffix_options(stages[-1])]:
            infixless = self._remove_infix(form)
            if infixless:
                return infixless
        return None

    def _strip_prefixes(
        self, word: str, suffix: str | None, check_suffixes: bool = False, max_depth: int = MAX_PREFIXES
    ) -> tuple[str, int] | None:
        """(root, prefixes removed) reachable from ``word`` by at most ``max_depth`` prefix removals.

        With ``check_suffixes`` (ECS precedence rule) each prefix-stripped form is also tried
        without its suffixes."""
        roots = self.roots
        level = [(word, "")]
        for depth in range(max_depth):
            found: list[str] = []
            next_level: list[tuple[str, str]] = []
            fallback: list[str] = []
            for current, previous in level:
                for kind, rest in _prefix_options(current):
                    candidates = found
                    if kind[-1] == "~":
                        kind, candidates = kind[:-1], fallback
                    if kind == previous or len(rest) < MIN_ROOT:
                        continue
                    if depth == 0 and suffix and (kind, suffix) in DISALLOWED_CONFIXES:
                        continue
                    if rest in roots and (depth == 0 or len(rest) > MIN_ROOT or roots[rest] >= COMMON_FAMILY):
                        # After two prefixes a rare 3-letter "root" is more often a fragment
                        # (disekap is not di- se- kap), a common one is not (keberadaan: ada).
                        candidates.append(rest)
                    else:
                        if check_suffixes:
                            root = self._suffix_root(rest, kind if depth == 0 else "")
                            if root is not None:
                                candidates.append(root)
                                continue
                        next_level.append((rest, kind))
            found = found or fallback
            if found:  # the shallowest removal that reaches a root wins; ties go to the commoner root
                return max(found, key=roots.__getitem__), depth + 1
            level = next_level
        return None

    def _suffix_root(self, word: str, prefix: str) -> str | None:
        """A root left by removing inflectional and one derivational suffix from ``word``, or None."""
        roots = self.roots
        for form in (_strip_inflection(word, PARTICLES) or word,):
            if form in roots:
                return form
            without_possessive = _strip_inflection(form, POSSESSIVES)
            if without_possessive:
                form = without_possessive
                if form in roots:
                    return form
            for rest, suffix in _suffix_options(form):
                if (prefix, suffix) not in DISALLOWED_CONFIXES and rest in roots:
                    return rest
        return None

    def _remove_infix(self, word: str) -> str | None:
        if len(word) < 6 or word[0] in VOWELS:
            return None
        if word[1:3] == "in":  # -el- -em- -er- misread plain words (relawan is not rawan)
            candidate = word[0] + word[3:]
            if candidate in self.roots:
                return candidate
        if word[1] == "e" and word[0] == word[2] and word[2:] in self.roots:
            return word[2:]
        return None
