"""Build cari's Indonesian root lexicon (``search/analysis/data/roots-id.tsv``) from hunspell-id.

Not used at run time: run it by hand when the source dictionary or the curation rules change::

    .venv/bin/pip install spylls          # build-time only (MIT): a pure-Python Hunspell
    .venv/bin/python -m search.analysis.build_lexicon --corpus ../shared/corpus-data

Source: Debian's ``hunspell-id`` package (the LibreOffice Indonesian dictionary, id_ID.dic/.aff;
LGPL-3 per debian/copyright, MPL-2.0 upstream). Without ``--hunspell-dir`` the script fetches it itself
with ``apt-get download hunspell-id`` and unpacks it with ``dpkg -x`` into a temporary folder.

Curation, in order (every rule is evidence-based, none is a hand-made list of roots):

1. Keep lower-case entries made of letters and hyphens (drops proper names and garbled lines).
2. Drop *derived* entries: an entry that the dictionary's own affix rules produce from another entry
   (``berlaku`` = ber- + ``laku``, ``pemerintah`` = pe- + ``perintah``), so confix stripping goes on to
   the root. Exception: a derived entry used far more in news than its whole root family
   (``mereka`` vs ``reka``) is a word of its own and stays.
3. Drop rare short junk roots (``andung``, ``perin``, ``tui``, ``bija``): roots of at most
   ``--short`` letters whose family (the root and every corpus word Hunspell derives from it) occurs
   fewer than ``--min-family`` times in the corpus. They would stop confix stripping too early
   (``mengandung`` -> ``andung``, ``ditemui`` -> ``tui``).

Each kept root is written with its family frequency in the corpus (the number of corpus tokens that
Hunspell analyses as this root or a form of it); the stemmer uses it to choose between several
candidate roots (``mengandung``: ``kandung`` over ``andung``). Word counts are facts about the corpus,
not its text.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
OUTPUT = DATA_DIR / "roots-id.tsv"
ENTRY_SHAPE = re.compile(r"[a-z]+(?:-[a-z]+)*")
CORPUS_WORD = re.compile(r"[a-z]+")


def fetch_hunspell_id(workdir: Path) -> Path:
    """Download Debian's hunspell-id with apt and unpack it; return the folder holding id_ID.aff."""
    subprocess.run(["apt-get", "download", "hunspell-id"], cwd=workdir, check=True)
    deb = next(workdir.glob("hunspell-id_*.deb"))
    subprocess.run(["dpkg", "-x", str(deb), str(workdir / "x")], check=True)
    return workdir / "x" / "usr" / "share" / "hunspell"


def corpus_frequencies(corpus: Path) -> collections.Counter[str]:
    """Token counts (lower-cased letter runs) over titles and bodies of every JSONL file in ``corpus``."""
    counts: collections.Counter[str] = collections.Counter()
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
    return counts


def build(
    hunspell_dir: Path, corpus: Path, short: int, min_family: int, keep_ratio: float, report: Path | None = None
) -> list[tuple[str, int]]:
    """Curated (root, family frequency) pairs, sorted by root."""
    from spylls.hunspell import Dictionary  # build-time dependency only

    dictionary = Dictionary.from_files(str(hunspell_dir / "id_ID"))
    lookup = dictionary.lookuper
    entries = {w.stem for w in dictionary.dic.words if ENTRY_SHAPE.fullmatch(w.stem)}
    print(f"{len(entries)} lower-case entries", file=sys.stderr)

    freq = corpus_frequencies(corpus)
    print(f"{sum(freq.values())} corpus tokens, {len(freq)} types", file=sys.stderr)

    # Family frequency: every corpus word credited to each root Hunspell derives it from.
    family: collections.Counter[str] = collections.Counter()
    for word, count in freq.items():
        if count < 2 and word not in entries:
            continue
        for stem in {form.stem for form in lookup.good_forms(word)}:
            family[stem] += count

    derived: dict[str, set[str]] = {}
    for entry in entries:
        roots = {form.stem for form in lookup.good_forms(entry)} - {entry}
        roots &= entries
        if roots:
            derived[entry] = roots

    kept: list[tuple[str, int]] = []
    for entry in sorted(entries):
        roots = derived.get(entry)
        if roots:
            best_family = max(family[r] - family[entry] for r in roots)
            if not (freq[entry] >= 200 and freq[entry] > keep_ratio * max(best_family, 1)):
                continue
        if len(entry) <= short and family[entry] < min_family:
            continue
        kept.append((entry, family[entry]))
    if report:
        report.write_text(json.dumps({
            "derived": {k: sorted(v) for k, v in derived.items()},
            "family": dict(family), "freq": dict(freq.most_common(20000)),
        }))
    print(f"{len(kept)} roots kept, {len(derived)} derived entries seen", file=sys.stderr)
    return kept


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build the lexicon file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hunspell-dir", type=Path, help="folder with id_ID.aff/.dic (default: apt-get download)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus-data"))
    parser.add_argument("--short", type=int, default=5, help="max length of a root checked for rarity")
    parser.add_argument("--min-family", type=int, default=3, help="min corpus family frequency of a short root")
    parser.add_argument("--keep-ratio", type=float, default=5.0, help="derived entry kept if this many times more frequent")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--report", type=Path, help="also write the evidence (derivations, frequencies) as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        hunspell_dir = args.hunspell_dir or fetch_hunspell_id(Path(tmp))
        kept = build(hunspell_dir, args.corpus, args.short, args.min_family, args.keep_ratio, args.report)
    with args.output.open("w", encoding="utf-8") as out:
        out.write("# cari Indonesian root lexicon: root<TAB>corpus family frequency.\n")
        out.write("# Built by search/analysis/build_lexicon.py from Debian hunspell-id (LGPL-3); see data/README.md.\n")
        for root, count in kept:
            out.write(f"{root}\t{count}\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
