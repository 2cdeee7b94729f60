"""Refine the stemmer's frequent classes with corpus evidence (``data/stem-classes-id.tsv``).

Not used at run time: run it by hand when the stemmer, the lexicon or the corpus change::

    .venv/bin/python -m search.analysis.build_classes --corpus ../shared/corpus-data

Corpus-based stemming after Xu and Croft (*Corpus-based stemming using cooccurrence of word
variants*, ACM TOIS 16(1), 1998): a stemmer conflates too much (``pemerintah``, government, and
``perintah``, an order, share the root ``perintah``); words that are variants of one word are used
in the same texts, so the classes are split where the corpus says their members are used apart.

1. A class is the corpus words (used at least ``--min-uses`` times, stopwords left out) that the
   analyzer gives the same stem; the frequent classes are those of roots whose family the shipped
   lexicon (``roots-id.tsv``) counts at least ``--min-family`` uses.
2. For two words a and b, Xu and Croft's association is
   ``em(a, b) = max(n_ab - n_a * n_b / N, 0) / (n_a + n_b)``, with ``n_a`` the articles holding
   a, ``n_ab`` those holding both and N all articles (an article is the window).
3. The words with enough evidence (in at least ``--min-docs`` articles) are clustered within each
   class by average linkage, joining clusters while their mean association is at least
   ``--threshold``.
4. The cluster holding the stem itself (else the most used one) keeps the stem as its term. Another
   cluster becomes a term of its own (its most used word) only when it is found in at least
   ``--min-split-docs`` articles: splitting needs strong evidence, a rare variant stays with its
   root (``pencopotan`` still finds ``copot``).
5. The hand review (``data/stem-classes-reviewed.tsv``, the 500 most used words of these classes,
   each judged) has the last word: a proposed split is applied only when the review confirms its
   most used word (``apart``); ``stem`` keeps a word with its stem, ``with:W`` gives it W's term.
   ``reader-apart`` records a split a reader would make that the relevance harness did not keep
   (it is not applied).

The evidenced words of every class that is split are written with their term; at run time a word
not listed follows the longest listed word of its class that it extends by endings only
(``pemerintahnya`` follows ``pemerintah``; ``lexicon.follows``), else its stem. ``--report`` writes every class's clusters, proposals
and associations.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from search.analysis.corpus_vocabulary import Vocabulary
from search.analysis.lexicon import DATA_DIR

OUTPUT = DATA_DIR / "stem-classes-id.tsv"
REVIEWED = DATA_DIR / "stem-classes-reviewed.tsv"


@dataclass
class ClassDecision:
    """What the evidence made of one stem class."""

    stem: str
    members: dict[str, int]  # word -> articles holding it (the evidenced words)
    clusters: list[list[str]]  # the clusters of the evidence, the main one first
    proposed: dict[str, str] = field(default_factory=dict)  # word -> term the evidence proposes
    terms: dict[str, str] = field(default_factory=dict)  # word -> term after the review
    association: dict[str, float] = field(default_factory=dict)  # word -> mean em with the main cluster


def association(a: frozenset[int] | set[int], b: frozenset[int] | set[int], n: int) -> float:
    """Xu and Croft's em(a, b) over article sets."""
    both = len(a & b)
    return max(both - len(a) * len(b) / n, 0.0) / (len(a) + len(b))


def cluster(words: list[str], postings: dict[str, frozenset[int]], n: int, threshold: float) -> list[list[str]]:
    """Average-linkage clusters of ``words`` (mean pairwise em at least ``threshold``)."""
    pair: dict[tuple[str, str], float] = {}
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            pair[a, b] = pair[b, a] = association(postings[a], postings[b], n)
    clusters = [[w] for w in words]
    while len(clusters) > 1:
        best, best_i, best_j = -1.0, -1, -1
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                mean = sum(pair[a, b] for a in clusters[i] for b in clusters[j]) / (len(clusters[i]) * len(clusters[j]))
                if mean > best:
                    best, best_i, best_j = mean, i, j
        if best < threshold:
            break
        clusters[best_i] += clusters.pop(best_j)
    return clusters


def read_reviewed(path: Path = REVIEWED) -> dict[str, str]:
    """The hand review: word -> "stem", "apart" or "with:WORD" (the last column of each row)."""
    from search.analysis.lexicon import data_lines

    out = {}
    for line in data_lines(path.name):
        cells = line.split("\t")
        out[cells[0].strip()] = cells[-1].strip()
    return out


def build(corpus: Path, *, min_uses: int = 5, min_family: int = 1000, min_docs: int = 20,
          threshold: float = 0.01, min_split_docs: int = 100, reviewed: dict[str, str] | None = None,
          vocabulary: Vocabulary | None = None) -> tuple[dict[str, str], list[ClassDecision]]:
    """The word -> term table (every evidenced word of a split class) and every class's decision.

    ``vocabulary``: the corpus's, when already read (``corpus_vocabulary(corpus)``)."""
    from search.analysis.corpus_vocabulary import corpus_vocabulary
    from search.analysis.lexicon import follows, roots, stopwords
    from search.analysis.terms import TermMaker


    def log(message: str) -> None:
        print(message, file=sys.stderr)

    if vocabulary is None:
        vocabulary = corpus_vocabulary(corpus)
    n = len(vocabulary.documents)
    log(f"{n} articles, {len(vocabulary.counts)} distinct tokens")
    maker = TermMaker()
    stoplist, family = stopwords(), roots()
    # Class members are the spelling variants the stemmer sees (soeharto counts as suharto).
    uses: Counter[str] = Counter()
    stem_of: dict[str, str] = {}
    member_of: dict[str, str] = {}  # corpus word -> the class member it counts as (its variant)
    for word, count in vocabulary.counts.items():
        if count < min_uses or word in stoplist or not word.replace("-", "").isalpha():
            continue
        steps = maker.steps(word)
        if "-" in steps.stem:
            continue  # compounds are split, not classed
        if family.get(steps.stem, 0) < min_family or steps.stem in maker.corrections.protected:
            continue
        uses[steps.variant] += count
        stem_of[steps.variant] = steps.stem
        member_of[word] = steps.variant
    members: dict[str, list[str]] = {}
    for word, stem in stem_of.items():
        members.setdefault(stem, []).append(word)
    postings: dict[str, set[int]] = {}
    for doc, words in enumerate(vocabulary.documents):
        for word in words:
            member = member_of.get(word)
            if member is not None:
                postings.setdefault(member, set()).add(doc)
    frozen = {w: frozenset(d) for w, d in postings.items()}
    reviewed = read_reviewed() if reviewed is None else reviewed
    table: dict[str, str] = {}
    decisions: list[ClassDecision] = []
    for stem in sorted(members, key=lambda s: -family.get(s, 0)):
        evidenced = sorted((w for w in members[stem] if len(frozen.get(w, ())) >= min_docs),
                           key=lambda w: (-uses[w], w))
        if len(evidenced) < 2:
            continue
        clusters = cluster(evidenced, frozen, n, threshold)

        def docs(group: list[str]) -> int:
            return len(frozenset().union(*(frozen[w] for w in group)))

        main = next((c for c in clusters if stem in c), None) or max(clusters, key=docs)
        kept = [main] + [c for c in clusters if c is not main and docs(c) >= min_split_docs]
        for small in (c for c in clusters if c is not main and docs(c) < min_split_docs):
            main.extend(small)  # too little evidence to split: stays with the stem
        decision = ClassDecision(stem, {w: len(frozen[w]) for w in evidenced}, kept)
        for group in kept:
            head = max(group, key=lambda w: (uses[w], w))
            for word in group:
                decision.proposed[word] = stem if group is main else head
                others = frozenset().union(*(frozen[w] for w in main if w != word))
                decision.association[word] = association(frozen[word], others, n) if others else 1.0
        # The review has the last word: a proposed split is applied only when its cluster's head
        # is confirmed "apart"; "stem" keeps a word with its stem, "with:W" gives it W's term.
        confirmed = {term for term in decision.proposed.values() if term != stem and reviewed.get(term) == "apart"}
        for word, term in decision.proposed.items():
            decision.terms[word] = term if term in confirmed else stem
        for word in evidenced:
            verdict = reviewed.get(word, "")
            if verdict == "stem":
                decision.terms[word] = stem
            elif verdict == "apart" and decision.terms[word] == stem:
                decision.terms[word] = word
        # A word left with its stem that holds a word put apart follows it, as unlisted words do
        # at run time (pemerintahannya follows pemerintah, melakukannya melakukan).
        apart_words = sorted((w for w, t in decision.terms.items() if t != stem), key=len, reverse=True)
        for word in evidenced:
            if decision.terms[word] == stem and reviewed.get(word) != "stem":
                holder = next((w for w in apart_words if w != word and follows(word, w)), None)
                if holder is not None:
                    decision.terms[word] = decision.terms[holder]
        for word in evidenced:
            verdict = reviewed.get(word, "")
            if verdict.startswith("with:"):
                other = verdict[5:]
                decision.terms[word] = decision.terms.get(other, other)
        if any(term != stem for term in decision.terms.values()):
            table.update(decision.terms)  # every evidenced word of a split class, its term
        decisions.append(decision)
    apart = sum(1 for d in decisions for w, t in d.terms.items() if t != d.stem)
    log(f"{len(decisions)} classes with two or more evidenced words; {apart} words apart from their stem")
    return table, decisions


def write_table(table: dict[str, str], path: Path = OUTPUT) -> None:
    """Write the word -> term table."""
    with path.open("w", encoding="utf-8") as out:
        out.write("# Words of a frequent stem class that the news corpus uses apart from their stem, with their\n")
        out.write("# index term (Xu & Croft co-occurrence, reviewed). Generated by search/analysis/build_classes.py\n")
        out.write("# from ../shared/corpus-data; see README.md. word<TAB>term\n")
        for word in sorted(table):
            out.write(f"{word}\t{table[word]}\n")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build ``data/stem-classes-id.tsv``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus-data"))
    parser.add_argument("--min-uses", type=int, default=5, help="min corpus uses of a class member")
    parser.add_argument("--min-family", type=int, default=1000, help="min lexicon family of a frequent class")
    parser.add_argument("--min-docs", type=int, default=20, help="min articles of an evidenced member")
    parser.add_argument("--threshold", type=float, default=0.01, help="min mean em to join two clusters")
    parser.add_argument("--min-split-docs", type=int, default=100, help="min articles of a cluster split off")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--report", type=Path, help="also write every class's clusters as JSON")
    args = parser.parse_args(argv)
    table, decisions = build(args.corpus, min_uses=args.min_uses, min_family=args.min_family,
                             min_docs=args.min_docs, threshold=args.threshold,
                             min_split_docs=args.min_split_docs)
    write_table(table, args.output)
    if args.report:
        args.report.write_text(json.dumps([
            {"stem": d.stem, "clusters": d.clusters, "docs": d.members, "proposed": d.proposed,
             "terms": d.terms,
             "association": {w: round(v, 4) for w, v in d.association.items()}} for d in decisions
        ], ensure_ascii=False, indent=1))
    print(f"wrote {args.output} ({len(table)} words)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
