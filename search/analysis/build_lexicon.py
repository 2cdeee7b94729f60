"""Build cari's Indonesian root lexicon (``search/analysis/data/roots-id.tsv``) from hunspell-id.

Not used at run time: run it by hand when the source dictionary or the curation rules change::

    .venv/bin/pip install -e '.[lexicon]'   # build-time only: spylls (MIT), a pure-Python Hunspell
    .venv/bin/python -m search.analysis.build_lexicon --corpus ../shared/corpus-data

Source: Debian's ``hunspell-id`` package (LibreOffice's Indonesian dictionary, id_ID.dic/.aff;
LGPL-3 per debian/copyright). Without ``--hunspell-dir`` the script fetches it itself with
``apt-get download hunspell-id`` (run ``apt-get update`` once first) and unpacks it with ``dpkg -x``
into a temporary folder. The corpus (``--corpus``) supplies frequency evidence: how often each word
is used, and how often it is capitalised in running text.

Curation, in the order of ``build`` (details and figures in ``data/README.md``):

1. lower-case entries of letters and hyphens; rare short junk roots dropped (``andung``, ``perin``,
   ``tui``: roots of at most ``--short`` letters whose family is used fewer than ``--min-family``
   times), which stopped confix stripping early (``mengandung`` -> ``andung``);
2. derived entries dropped: by Hunspell's own affix rules (``berlaku`` = ber- + ``laku``) unless
   lexicalised (``mereka``), by morphology Hunspell does not model (``kinerja``, ``idealisme``,
   ``besaran``), and bound stems with no evidence of their own (``ketahu``);
3. corpus words the dictionary lacks added as roots when the stemmer's reading of them is unlikely
   or absent (``prediksi``, ``kuliner``, ``laman``);
4. names never to stem, from capitalisation (``persebaya``, ``maluku``) -> ``data/names-id.txt``;
5. the hand-curated ``data/never-stem.txt`` and two KBBI roots missing from hunspell-id.

Each kept root is written with its family frequency in the corpus (the number of corpus tokens that
Hunspell analyses as this root or a form of it); the stemmer uses it to choose between several
candidate roots (``mengandung``: ``kandung`` over ``andung``). Word counts are facts about the corpus,
not its text. The Hunspell analyses of the corpus words are cached in the temporary folder (keyed
by the dictionary's contents), so a rebuild after a rule change takes about a minute.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from search.analysis.lexicon import DATA_DIR
from search.analysis.stemmer import LOAN_SUFFIXES, MIN_ROOT, VOWELS, IndonesianStemmer

OUTPUT = DATA_DIR / "roots-id.tsv"
NAMES_OUTPUT = DATA_DIR / "names-id.txt"
ENTRY_SHAPE = re.compile(r"[a-z]+(?:-[a-z]+)*")
CORPUS_WORD = re.compile(r"[a-z]+")
CAPITALIZED_WORD = re.compile(r"\b[A-Z][a-z]+\b")


def fetch_hunspell_id(workdir: Path) -> Path:
    """Download Debian's hunspell-id with apt and unpack it; return the folder holding id_ID.aff."""
    subprocess.run(["apt-get", "download", "hunspell-id"], cwd=workdir, check=True)
    deb = next(workdir.glob("hunspell-id_*.deb"))
    subprocess.run(["dpkg", "-x", str(deb), str(workdir / "x")], check=True)
    return workdir / "x" / "usr" / "share" / "hunspell"


def corpus_frequencies(corpus: Path) -> tuple[collections.Counter[str], dict[str, float]]:
    """Token counts (lower-cased letter runs) over titles and bodies of every JSONL file in
    ``corpus``, and the share of each word's body-text occurrences that were capitalised
    (evidence for proper names)."""
    counts: collections.Counter[str] = collections.Counter()
    capitalized: collections.Counter[str] = collections.Counter()
    body_counts: collections.Counter[str] = collections.Counter()
    for path in sorted(corpus.glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                text = f"{record.get('title') or ''} {record.get('body') or ''}"
                if "\u201a" in text or "\u00ac" in text:
                    # click-id's Mac-Roman mojibake (see corpus README): restore before counting.
                    try:
                        text = text.encode("mac_roman").decode("utf-8")
                    except (UnicodeError, ValueError):
                        pass
                counts.update(CORPUS_WORD.findall(text.lower()))
                body = record.get("body") or ""
                body_counts.update(CORPUS_WORD.findall(body.lower()))
                capitalized.update(w.lower() for w in CAPITALIZED_WORD.findall(body))
    # Share of body occurrences that were capitalised.
    share = {w: capitalized[w] / n for w, n in body_counts.items() if capitalized[w]}
    return counts, share


ECS_NOT_ROOTS = frozenset({"lajar"})
# KBBI roots missing from hunspell-id whose derived forms appear in the gold data (added by hand).
EXTRA_ROOTS = frozenset({"henyak", "qasar"})
ECS_IRREGULAR = {"belajar": "ajar", "pelajar": "ajar"}


def _pattern_root(entry: str, stemmer: IndonesianStemmer) -> str | None:
    """The root ``entry`` derives from by morphology Hunspell does not model, if any."""
    if entry in ECS_IRREGULAR:
        return ECS_IRREGULAR[entry]
    roots = stemmer.roots
    # Infixes -el- -em- -er- -in- (kinerja) and Ce- reduplication (rerata, lelembut).
    if len(entry) >= 6 and entry[0] not in VOWELS:
        # Only -in- (kinerja): -el- -em- -er- entries are mostly plain words (selidik, lemari, serang).
        if entry[1:3] == "in" and len(entry) - 2 >= 5 and entry[0] + entry[3:] in roots:
            return entry[0] + entry[3:]
        if entry[1] == "e" and entry[0] == entry[2] and len(entry) - 2 >= 4 and entry[2:] in roots:
            return entry[2:]
    # Loan suffixes (idealis, idealisme, finalisasi).
    for suffix, shortest in LOAN_SUFFIXES:
        if entry.endswith(suffix) and len(entry) - len(suffix) >= shortest and entry[: -len(suffix)] in roots:
            return entry[: -len(suffix)]
    # Particles, possessives and derivational suffixes missing from the root's flags (besaran).
    for suffix, shortest in (("lah", 3), ("kah", 3), ("tah", 3), ("pun", 3), ("nya", 4), ("kan", 3), ("an", 3), ("i", 4)):
        if entry.endswith(suffix) and len(entry) - len(suffix) >= shortest and entry[: -len(suffix)] in roots:
            return entry[: -len(suffix)]
    return None


def _changed_beyond_inflection(word: str, stem: str) -> bool:
    """True when ``stem`` is not just ``word`` less a clitic or -kan (Inggrisnya, Hebohkan stay stemmable)."""
    if stem == word:
        return False
    return not any(word == stem + ending for ending in ("nya", "ku", "mu", "lah", "kah", "pun", "kan"))


def _read_never_stem() -> set[str]:
    words = set()
    for line in (DATA_DIR / "never-stem.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.add(line.split()[0])
    return words


def build(
    hunspell_dir: Path,
    corpus: Path,
    short: int = 6,
    min_family: int = 10,
    keep_ratio: float = 5.0,
    keep_min: int = 200,
    add_min: int = 20,
    pattern_ratio: float = 10.0,
    report: Path | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Curated lexicon (root -> family frequency) and the list of corpus names never to stem."""
    from spylls.hunspell import Dictionary  # build-time dependency only


    def log(message: str) -> None:
        print(message, file=sys.stderr)

    dictionary = Dictionary.from_files(str(hunspell_dir / "id_ID"))
    lookup = dictionary.lookuper
    entries = {w.stem for w in dictionary.dic.words if ENTRY_SHAPE.fullmatch(w.stem)}
    log(f"{len(entries)} lower-case entries")
    never_stem = _read_never_stem()

    freq, capitalized = corpus_frequencies(corpus)
    log(f"{sum(freq.values())} corpus tokens, {len(freq)} types")

    def analyses(word: str) -> set[str]:
        return {form.stem for form in lookup.good_forms(word)} & entries

    # Hunspell's analyses of the corpus words (entries analyse as themselves); slow, so cached.
    digest = hashlib.sha1()
    for suffix in (".aff", ".dic"):
        digest.update((hunspell_dir / f"id_ID{suffix}").read_bytes())
    cache_file = Path(tempfile.gettempdir()) / f"cari-hunspell-analyses-{digest.hexdigest()[:12]}.pickle"
    analysed: dict[str, set[str]] = {}
    if cache_file.exists():
        analysed = pickle.loads(cache_file.read_bytes())
    for word, count in freq.items():
        if (count >= 2 or word in entries) and word not in analysed:
            analysed[word] = analyses(word)
    cache_file.write_bytes(pickle.dumps(analysed))
    # Family frequency, each corpus word credited once: to itself when it is an entry, otherwise to
    # the root Hunspell derives it from that is itself used most as a word.
    family: collections.Counter[str] = collections.Counter()
    for word, roots in analysed.items():
        if word in entries:
            family[word] += freq[word]
        elif roots:
            family[max(sorted(roots), key=lambda r: freq[r])] += freq[word]

    def lexicalised(word: str, root: str) -> bool:
        """A derived form used far more than the rest of its root's family is a word of its own."""
        rest = family[root]  # entries credit themselves, so the word is not in its root's family
        return freq[word] >= keep_min and freq[word] > keep_ratio * max(rest, 1)

    # 1. rare short junk roots, and hunspell's "lajar" (it reads belajar/pelajar as be-/pe- + lajar;
    #    the ECS rules read bel-/pel- + ajar, which the gold data and KBBI agree with).
    lexicon = {
        e for e in entries if len(e) >= MIN_ROOT and not (len(e) <= short and family[e] < min_family)
    } - ECS_NOT_ROOTS
    lexicon |= never_stem | EXTRA_ROOTS
    for word in never_stem | EXTRA_ROOTS:  # not entries: give them their own use as evidence
        family[word] = max(family[word], freq[word])
    log(f"{len(entries) - len(lexicon & entries)} rare short roots dropped")

    # 2. derived entries. (a) By Hunspell's own affix rules: dropped unless lexicalised, or derived
    #    from a root of at most three letters (peran = per + -an, sepak = se- + pak: Hunspell's short
    #    roots give more false derivations than true ones). (b) By the morphology Hunspell does not
    #    model (infixes, Ce- reduplication, loan suffixes, bel-/pel-ajar, suffixes missing from a
    #    root's flags): dropped only when the root's family is used far more than the entry.
    stemmer = IndonesianStemmer({r: family[r] for r in lexicon}, never_stem)
    derived: dict[str, str] = {}
    dropped: set[str] = set()
    for entry in sorted(lexicon):
        if entry in never_stem or "-" in entry:
            continue
        hunspell_roots = {r for r in analyses(entry) if r != entry and r in lexicon and len(r) > 3}
        if hunspell_roots:
            root = max(sorted(hunspell_roots), key=lambda r: family[r])
            derived[entry] = root
            if not lexicalised(entry, root):
                dropped.add(entry)
            continue
        pattern_root = _pattern_root(entry, stemmer)
        if pattern_root is not None:
            derived[entry] = pattern_root
            if entry in ECS_IRREGULAR or family[pattern_root] >= pattern_ratio * max(freq[entry], 1):
                dropped.add(entry)
            continue
        if family[entry] < min_family or freq[entry] == 0:
            # (c) A bound stem never used alone in news, or with (almost) no evidence at all, that the
            #    stemmer reads as a derived form of a root news uses at least as much
            #    (ketahu = ke- + tahu, keduduk = ke- + duduk): it only stops stripping early.
            del stemmer.roots[entry]
            root = stemmer.stem(entry)
            stemmer.roots[entry] = family[entry]
            if root != entry and family[root] >= max(family[entry], 1):
                derived[entry] = root
                dropped.add(entry)
    lexicon -= dropped
    added_derived: set[str] = set()
    log(f"{len(derived)} derived entries, {len(dropped)} dropped")

    # 4. words the dictionary lacks (loans, names, new coinages) become roots when the stemmer would
    #    leave them unchanged anyway: their inflected and derived forms can then reach them
    #    (bernafas -> nafas, diprediksi -> prediksi), and also when the stemmer's reading is
    #    unlikely (see below). Shorter words first, so a derived form of an added word is not
    #    added itself.
    stemmer = IndonesianStemmer({r: family[r] for r in lexicon}, never_stem)
    added_unknown = []
    for word in sorted(analysed, key=lambda w: (len(w), w)):
        if word in lexicon or analysed[word] or freq[word] < add_min or len(word) < 4:
            continue
        if capitalized.get(word, 0.0) > 0.5:
            continue  # mostly a name: a root it would only capture other words (pendidikan -> didi)
        stem = stemmer.stem(word)
        # Unchanged anyway; or used far more than the whole family of the root it would be read as
        # (kuliner is not ku- + liner), or just more for a 3-letter root (laman is not lam + -an).
        if stem == word or freq[word] > (1 if len(stem) <= 3 else keep_ratio) * max(family[stem], 1):
            stemmer.roots[word] = freq[word]
            added_unknown.append(word)
            family[word] = freq[word]
    lexicon |= set(added_unknown)
    log(f"{len(added_unknown)} unknown corpus words added as roots")

    # 5. names: words the stemmer would change that running text treats as names. Either
    #    capitalised in 90% of their body-text uses and unknown to Hunspell (persebaya), or in 99% of
    #    them (and at least 30 uses) whatever Hunspell says (Maluku is not malu + -ku), unless only a
    #    clitic comes off a name (Inggrisnya -> inggris).
    def is_name(word: str, hunspell_roots: set[str]) -> bool:
        share = capitalized.get(word, 0.0)
        if word in lexicon or freq[word] < 10 or share < 0.9:
            return False
        stem = stemmer.stem(word)
        if stem == word:
            return False
        if not hunspell_roots and _changed_beyond_inflection(word, stem):
            return True
        if share < 0.99 or freq[word] < 30:  # Title Case headlines quoted in bodies fake a few
            return False
        return _changed_beyond_inflection(word, stem) or capitalized.get(stem, 0.0) < 0.5

    names = sorted(word for word, roots in analysed.items() if is_name(word, roots))
    log(f"{len(names)} names never to stem")

    if report:
        report.write_text(
            json.dumps(
                {
                    "dropped": {e: derived[e] for e in sorted(dropped)},
                    "kept_derived": {e: r for e, r in derived.items() if e not in dropped},
                    "added_derived": sorted(added_derived),
                    "added_unknown": added_unknown,
                    "names": names,
                    "family": dict(family),
                    "freq": dict(freq.most_common(30000)),
                }
            )
        )
    return {r: family[r] for r in sorted(lexicon)}, names


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build the lexicon and the names list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hunspell-dir", type=Path, help="folder with id_ID.aff/.dic (default: apt-get download)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus-data"))
    parser.add_argument("--short", type=int, default=6, help="max length of a root checked for rarity")
    parser.add_argument("--min-family", type=int, default=10, help="min corpus family frequency of a short root")
    parser.add_argument("--keep-ratio", type=float, default=5.0, help="a derived word this many times more used than its family is kept")
    parser.add_argument("--keep-min", type=int, default=200, help="...and used at least this often")
    parser.add_argument("--add-min", type=int, default=20, help="min frequency of an unknown corpus word added as a root")
    parser.add_argument("--pattern-ratio", type=float, default=10.0, help="root family vs entry use needed to drop a pattern-derived entry")
    parser.add_argument("--report", type=Path, help="also write the evidence (derivations, frequencies) as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        hunspell_dir = args.hunspell_dir or fetch_hunspell_id(Path(tmp))
        lexicon, names = build(
            hunspell_dir, args.corpus, args.short, args.min_family, args.keep_ratio, args.keep_min, args.add_min, args.pattern_ratio,
            report=args.report,
        )
    with OUTPUT.open("w", encoding="utf-8") as out:
        out.write("# cari Indonesian root lexicon: root<TAB>family frequency in the news corpus.\n")
        out.write("# Generated by search/analysis/build_lexicon.py from Debian hunspell-id (LGPL-3); see README.md.\n")
        for root, count in lexicon.items():
            out.write(f"{root}\t{count}\n")
    with NAMES_OUTPUT.open("w", encoding="utf-8") as out:
        out.write("# Proper names never to stem: capitalised in running news text, unknown to hunspell-id, and\n")
        out.write("# otherwise misread as derived words (bekasi). Generated by build_lexicon.py; see README.md.\n")
        out.writelines(f"{name}\n" for name in names)
    from search.analysis.lexicon import write_roots_cache

    write_roots_cache()  # the parsed copy loaded at start-up
    print(f"wrote {OUTPUT} ({len(lexicon)} roots) and {NAMES_OUTPUT} ({len(names)} names)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
