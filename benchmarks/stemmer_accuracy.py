"""Accuracy of cari's Indonesian stemmer beside PySastrawi and Snowball, on the same gold files.

Usage: .venv/bin/python benchmarks/stemmer_accuracy.py [--misses]

Gold pairs come from ../shared/stemming (or $CARI_SHARED/stemming; the copies in tests/fixtures/analysis
otherwise). PySastrawi (Kateglo dictionary, CC BY-NC-SA) and PyStemmer's Snowball ``indonesian`` run
here only, as benchmark dependencies; neither is on cari's runtime path. Also printed: the frequent
news words Snowball ruins, the 200 most frequent corpus words that a stemmer maps onto another
of those 200 words (a conflation to review), and each stemmer's memoized speed.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOLD = ("sastrawi-integration.tsv", "sastrawi.tsv", "lucene.tsv")
TARGETS = {"sastrawi-integration.tsv": 1.0, "sastrawi.tsv": 0.95, "lucene.tsv": 0.85}
FREQUENT_NEWS_WORDS = {
    "mereka": "mereka", "menteri": "menteri", "ketua": "ketua", "kepala": "kepala",
    "masalah": "masalah", "mengatakan": "kata", "berita": "berita",
}  # fmt: skip


def gold_dir() -> Path:
    shared = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared")) / "stemming"
    return shared if shared.is_dir() else ROOT / "tests" / "fixtures" / "analysis"


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, expected = line.split("\t")
            pairs.append((word, expected))
    return pairs


def stemmers() -> dict[str, Callable[[str], str]]:
    """Name -> stem function, for the stemmers installed here."""
    from search.analysis import stem as cari_stem

    found: dict[str, Callable[[str], str]] = {"cari": cari_stem}
    try:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        found["PySastrawi"] = StemmerFactory().create_stemmer().stem
    except ImportError:
        print("(PySastrawi not installed: pip install -e '.[bench]')")
    try:
        import Stemmer

        found["Snowball"] = Stemmer.Stemmer("indonesian").stemWord
    except ImportError:
        print("(PyStemmer not installed: pip install -e '.[bench]')")
    return found


def speed(stem: Callable[[str], str], words: list[str]) -> float:
    """Tokens/s of ``stem`` over ``words`` behind an lru_cache, as an analyzer would use it (CPU time)."""
    memo = functools.lru_cache(maxsize=100_000)(stem)
    start = time.process_time()
    for word in words:
        memo(word)
    return len(words) / (time.process_time() - start)


def corpus_words(limit_docs: int = 2000) -> list[str]:
    """Lower-case word tokens of real article bodies, for the speed column."""
    import json
    import re

    corpus = Path(os.environ.get("CARI_SHARED", ROOT.parent / "shared")) / "corpus-data"
    words: list[str] = []
    for path in sorted(corpus.glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for index, line in enumerate(handle):
                if index >= limit_docs // 25:
                    break
                words.extend(re.findall(r"[a-z]+(?:-[a-z]+)*", (json.loads(line).get("body") or "").lower()))
    return words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every miss of every stemmer")
    args = parser.parse_args()

    folder = gold_dir()
    print(f"gold files: {folder}")
    found = stemmers()
    names = list(found)
    words = corpus_words()

    header = f"{'stemmer':<12}" + "".join(f"{g.removesuffix('.tsv') + f' ({len(read_pairs(folder / g))})':>28}" for g in GOLD)
    print(header + f"{'tokens/s, memoized':>22}")
    ok = True
    misses: dict[str, list[str]] = {}
    for name in names:
        stem = found[name]
        cells = []
        for gold in GOLD:
            pairs = read_pairs(folder / gold)
            wrong = [f"{w}->{stem(w)} (gold {e})" for w, e in pairs if stem(w) != e]
            misses[f"{name} {gold}"] = wrong
            score = 1 - len(wrong) / len(pairs)
            cell = f"{len(pairs) - len(wrong)}/{len(pairs)} {score:6.1%}"
            if name == "cari":
                passed = score >= TARGETS[gold]
                ok = ok and passed
                cell += f" {'ok' if passed else 'LOW'}"
            cells.append(f"{cell:>28}")
        rate = speed(stem, words) if words else float("nan")
        print(f"{name:<12}" + "".join(cells) + f"{rate:>22,.0f}")
    print(f"targets for cari: {', '.join(f'{g} >= {t:.0%}' for g, t in TARGETS.items())}")

    print("\nfrequent news words (expected stem):")
    for name in names:
        results = {w: found[name](w) for w in FREQUENT_NEWS_WORDS}
        bad = [f"{w}->{s}" for w, s in results.items() if s != FREQUENT_NEWS_WORDS[w]]
        if name == "cari":
            ok = ok and not bad
        print(f"  {name:<12} {len(FREQUENT_NEWS_WORDS) - len(bad)}/{len(FREQUENT_NEWS_WORDS)} right  {' '.join(bad)}")

    reviewed = read_pairs(ROOT / "tests" / "fixtures" / "analysis" / "frequent-200.tsv")
    top = [w for w, _ in reviewed]
    top_set = set(top)
    print("\n200 most frequent corpus words mapped onto another of them:")
    for name in names:
        merged = [f"{w}->{found[name](w)}" for w in top if found[name](w) != w and found[name](w) in top_set]
        print(f"  {name:<12} {len(merged):>3}  {' '.join(merged)}")
    wrong = [f"{w}->{found['cari'](w)} (reviewed {e})" for w, e in reviewed if found["cari"](w) != e]
    ok = ok and not wrong
    print(f"  cari against the hand-reviewed stems of those 200 words: {200 - len(wrong)}/200 {' '.join(wrong)}")

    if args.misses:
        for key, wrong_list in misses.items():
            print(f"\n{key}: {len(wrong_list)} misses\n  " + "\n  ".join(wrong_list))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
