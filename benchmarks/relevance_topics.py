"""Test collections for ``benchmarks/relevance.py``: known-item topics built from real news, by a seed.

Nothing is hand-picked. Three topic sets, each split into train and test:

``summary``
    IndoSum records: the query is 2-5 words sampled from the human-written ``summary`` (text written
    separately from the article body), the target is the record's id.
``title``
    CLICK-ID records: the query is 2-5 words sampled from the headline; the evaluation corpus has no
    titles at all, so the headline is searched against the body fields only.
``inflected``
    Other records of both datasets, built like the two above, but at least half of the words are
    swapped for another inflection of the same root that does **not** occur in the target article
    (``membangun`` in the article, ``pembangunan`` in the query). Variants are generated with
    Indonesian affix rules from the root, must occur elsewhere in the corpus, and must stem back to the
    same root under PySastrawi (an independent stemmer: cari's own stemmer is not used to build topics).
``body``
    Other CLICK-ID records, built like ``title``, but the topic names the field to search: the
    headline's words go to cari as ``body:(w1 w2 ...)``, as the issue's private evaluation has them
    (every system indexes only bodies in that collection, so peers get the plain words).

How a person types a query is simulated after Azzopardi, de Rijke & Balog, "Building simulated
queries for known-item topics" (SIGIR 2007): words are drawn without replacement with probability
proportional to their IDF over the corpus, stopwords and very common words are skipped, and the drawn
words keep the order they had in the source text.

Everything is derived from the raw JSONL of ``../shared/corpus-data`` with the seed; the evaluation
corpus that every system indexes (``write_eval_corpus``) holds only ``id``, ``date``, ``source`` and
``body``: no title, no URL (whose slug repeats the headline), no summary.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from unidecode import unidecode

TOPIC_FORMAT = 5  # bump when topic generation changes, so cached topics are rebuilt
CORPUS_FORMAT = 3  # bump when the evaluation corpus changes, so cached indexes are rebuilt
TITLED_FORMAT = 1  # the same for the collection with titles and leads (``write_eval_corpus(titled=True)``)
# Where the first paragraph of a body ends: a blank line (IndoSum), or a comma right after the end of
# a sentence (CLICK-ID's scraper joined the <p> elements with ",").
FIRST_PARAGRAPH_END = re.compile(r"\n\s*\n|(?<=[.!?\"\u201d])\s*,(?=\S)")
MAX_LEAD_CHARS = 600
WORD = re.compile(r"[a-z]+")
# Query length a person types: mostly 2-4 words.
LENGTH_WEIGHTS = {2: 0.3, 3: 0.35, 4: 0.25, 5: 0.1}
MOJIBAKE_MARKERS = ("Ã", "Â", "‚Ä", "¬", "Å", "â€")


@dataclass(slots=True)
class Topic:
    """One known-item topic: the query, the relevant ids (the target and exact duplicates)."""

    qid: str
    set: str
    split: str
    query: str
    target: str
    relevant: list[str]
    source_text: str = ""
    inflected: list[list[str]] = field(default_factory=list)  # [article-side word, query word]
    field: str = ""  # the one field a fielded system searches, as ``field:(words)``; "" for all


@dataclass(slots=True)
class Record:
    """The parts of a raw corpus record that topic building uses."""

    id: str
    dataset: str
    title: str
    body: str
    summary: str
    date: str | None
    source: str | None


def repair(text: str) -> str:
    """Undo the scrapers' mojibake when a cheap check finds it (ftfy is slow on clean text)."""
    if not text or not any(m in text for m in MOJIBAKE_MARKERS):
        return text
    try:
        # CLICK-ID's xlsx-derived records are UTF-8 read as Mac-Roman (see corpus-data/README.md).
        fixed = text.encode("mac_roman").decode("utf-8")
        if not any(m in fixed for m in MOJIBAKE_MARKERS):
            return fixed
    except UnicodeError:
        pass
    import ftfy

    return ftfy.fix_text(text, uncurl_quotes=False)


def words(text: str) -> list[str]:
    """Lower-case ASCII-folded letter runs: the one tokenization used to build topics."""
    return WORD.findall(unidecode(text).lower())


def read_records(corpus_data: Path) -> list[Record]:
    """Every JSONL record of ``corpus_data`` (click-id and indosum), in a stable order."""
    records: list[Record] = []
    seen: set[str] = set()
    for path in sorted(corpus_data.glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                raw = json.loads(line)
                if raw["id"] in seen:
                    continue
                seen.add(raw["id"])
                records.append(
                    Record(
                        id=raw["id"],
                        dataset=path.parent.name,
                        title=repair(raw.get("title") or ""),
                        body=repair(raw.get("body") or ""),
                        summary=repair(raw.get("summary") or ""),
                        date=raw.get("date"),
                        source=raw.get("source"),
                    )
                )
    return records


def split_lead(body: str) -> tuple[str, str]:
    """(first paragraph, the rest) of a body: the lead of the titled collection; ("", body) when
    the first paragraph is missing or longer than a lead (``MAX_LEAD_CHARS``)."""
    end = FIRST_PARAGRAPH_END.search(body)
    if end is None or end.start() > MAX_LEAD_CHARS or not body[: end.start()].strip(" ,-\u2013\xa0"):
        return "", body
    return body[: end.start()], body[end.end() :]


def write_eval_corpus(records: Iterable[Record], out_dir: Path, *, titled: bool = False) -> Path:
    """Write the corpus every system indexes: id, date, source and body only (no title, URL, summary).

    Bodies are written repaired (``repair``), so every system sees the same clean text whatever its
    reader does; cari reads the files with ``search.index_corpus``. Returns ``out_dir``.

    ``titled`` writes the collection with titles: CLICK-ID's headline as ``title`` (IndoSum has
    none) and the body's first paragraph as ``lead`` (``split_lead``), the rest as ``body``, so that
    cari's title and lead weights can be measured; peers index the three as one text.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    by_dataset: dict[str, list[Record]] = {}
    for record in records:
        by_dataset.setdefault(record.dataset, []).append(record)
    # Files of 1,000 records: far below readers' size limits, and enough files to share out.
    for dataset, group in by_dataset.items():
        for start in range(0, len(group), 1000):
            path = out_dir / f"{dataset}-{start // 1000 + 1:03d}.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for r in group[start : start + 1000]:
                    row = {"id": r.id, "date": r.date, "source": r.source, "body": r.body}
                    if titled:
                        lead, rest = split_lead(r.body)
                        row.update(title=r.title or None, lead=lead or None, body=rest)
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out_dir


class Vocabulary:
    """Corpus statistics used to pick query words: document frequency, case, duplicates."""

    def __init__(self, records: list[Record], stopwords: Iterable[str]) -> None:
        self.n_docs = len(records)
        self.df: Counter[str] = Counter()
        self.cf: Counter[str] = Counter()
        lower: Counter[str] = Counter()
        self.body_words: dict[str, set[str]] = {}  # body only: what the evaluation corpus indexes
        self.title_words: dict[str, set[str]] = {}
        fingerprints: dict[tuple[str, ...], list[str]] = {}
        for r in records:
            body_words = words(r.body)
            self.body_words[r.id] = set(map(sys.intern, body_words))
            self.title_words[r.id] = set(words(r.title))
            self.df.update(self.doc_words(r.id))
            self.cf.update(body_words)
            # Case share tells common words from names: a word written in lower case mid-text.
            lower.update(w for w in WORD.findall(unidecode(r.body)) if w.islower())
            fingerprints.setdefault(tuple(body_words[:60]), []).append(r.id)
        self.lower_share = {w: lower[w] / c for w, c in self.cf.items()}
        self.duplicates = {i: sorted(ids) for ids in fingerprints.values() if len(ids) > 1 for i in ids}
        self.stopwords = frozenset(stopwords)

    def doc_words(self, doc_id: str) -> set[str]:
        """Words of the article's title and body: what the article says."""
        return self.body_words[doc_id] | self.title_words[doc_id]

    def idf(self, word: str) -> float:
        """Robertson-Sparck Jones IDF, floored at a small positive value."""
        n = self.df.get(word, 0)
        return max(0.05, math.log((self.n_docs - n + 0.5) / (n + 0.5)))

    def is_query_word(self, word: str) -> bool:
        """A word a person might type: not a stopword, not too common, seen in at least 2 articles."""
        return (
            len(word) >= 3
            and word not in self.stopwords
            and 2 <= self.df.get(word, 0) <= 0.2 * self.n_docs
        )

    def is_common_word(self, word: str) -> bool:
        """Mostly written in lower case in the corpus, so not a name (``Bekasi``, ``Kediri``)."""
        return self.lower_share.get(word, 0.0) >= 0.6


# --- Indonesian affix rules, to generate other inflections of a root ---------------------------

VOWELS = set("aeiou")


def _nasal(base: str, root: str) -> set[str]:
    """``meN-``/``peN-`` + root with the nasal assimilation rules (``me`` or ``pe`` as ``base``)."""
    first, rest = root[0], root[1:]
    forms: set[str] = set()
    if first in VOWELS:
        forms.add(base + "ng" + root)
    elif first == "k":
        forms.update({base + "ng" + rest, base + "ng" + root})
    elif first in "gh":
        forms.add(base + "ng" + root)
    elif first == "p":
        forms.update({base + "m" + rest, base + "mp" + rest})
    elif first in "bfv":
        forms.add(base + "m" + root)
    elif first == "t":
        forms.update({base + "n" + rest, base + "nt" + rest})
    elif first in "dcjz":
        forms.add(base + "n" + root)
    elif first == "s":
        forms.update({base + "ny" + rest, base + "n" + root})
    else:  # l, r, w, y, m, n (and ny-, ng-)
        forms.add(base + root)
    return forms


def derived_forms(root: str) -> set[str]:
    """Inflections of ``root`` by the productive prefixes, suffixes and confixes (no clitics)."""
    if len(root) < 3:
        return set()
    forms = {root, root + "an", root + "kan", root + "i"}
    for me in _nasal("me", root):
        forms.update({me, me + "kan", me + "i"})
    for pe in _nasal("pe", root) | {"pe" + root, "per" + root}:
        forms.update({pe, pe + "an"})
    ber = "be" if root.startswith("r") or root[:4].endswith("er") else "ber"
    ter = "te" if root.startswith("r") else "ter"
    forms.update({ber + root, ber + root + "an", ber + root + "kan"})
    forms.update({ter + root, ter + root + "kan", ter + root + "i"})
    forms.update({"di" + root, "di" + root + "kan", "di" + root + "i"})
    forms.update({"ke" + root + "an"})
    for per in ("memper", "diper"):
        forms.update({per + root, per + root + "kan", per + root + "i"})
    forms.update({"per" + root + "kan", "per" + root + "i"})
    return forms


class Inflector:
    """Finds, for a word, other inflections of its root that the corpus attests."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        stemmer = StemmerFactory().create_stemmer()
        self.vocabulary = vocabulary
        self.root: dict[str, str] = {}
        families: dict[str, set[str]] = {}
        for word, count in vocabulary.cf.items():
            if count < 3 or len(word) < 3 or not vocabulary.is_common_word(word):
                continue
            root = stemmer.stem(word)
            self.root[word] = root
            families.setdefault(root, set()).add(word)
        # Keep only members that the affix rules derive from the root: PySastrawi's root decides the
        # family, the rules guard against its overstemming (``kediri`` -> ``diri``).
        self.family = {
            root: members & derived_forms(root) for root, members in families.items()
        }

    def variants(self, word: str, target_words: set[str], indexed_words: set[str]) -> list[str]:
        """Attested inflections of ``word``'s root, other than ``word``, absent from the target
        article (``target_words``: its title and body).

        Empty unless ``word`` is itself a rule-derived form of its root and some form of the root
        occurs in the indexed text of the target (``indexed_words``: its body), so that a stemmer
        can connect query and article.
        """
        root = self.root.get(word)
        if root is None:
            return []
        members = self.family.get(root, set())
        if word not in members or not (members & indexed_words):
            return []
        return sorted(v for v in members if v != word and v not in target_words)


# --- Query sampling ------------------------------------------------------------------------------


def _ordered_unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [w for w in items if not (w in seen or seen.add(w))]


def _weighted_sample(rng: random.Random, items: list[str], weights: list[float], k: int) -> list[str]:
    """``k`` distinct items drawn without replacement, each draw proportional to its weight."""
    items, weights = list(items), list(weights)
    chosen: list[str] = []
    while items and len(chosen) < k:
        i = rng.choices(range(len(items)), weights=weights)[0]
        chosen.append(items.pop(i))
        weights.pop(i)
    return chosen


def _query_length(rng: random.Random) -> int:
    lengths = list(LENGTH_WEIGHTS)
    return rng.choices(lengths, weights=[LENGTH_WEIGHTS[n] for n in lengths])[0]


def sample_query(rng: random.Random, text: str, vocabulary: Vocabulary) -> list[str] | None:
    """2-5 distinctive words of ``text`` in their original order, or None if it has fewer than 2."""
    candidates = [w for w in _ordered_unique(words(text)) if vocabulary.is_query_word(w)]
    if len(candidates) < 2:
        return None
    k = min(_query_length(rng), len(candidates))
    chosen = set(_weighted_sample(rng, candidates, [vocabulary.idf(w) for w in candidates], k))
    return [w for w in candidates if w in chosen]


def sample_inflected_query(
    rng: random.Random, text: str, target_id: str, vocabulary: Vocabulary, inflector: Inflector
) -> tuple[list[str], list[list[str]]] | None:
    """Like ``sample_query``, with at least half of the words swapped for an inflection absent
    from the target article ``target_id``."""
    candidates = [w for w in _ordered_unique(words(text)) if vocabulary.is_query_word(w)]
    target_words, indexed_words = vocabulary.doc_words(target_id), vocabulary.body_words[target_id]
    options = {w: inflector.variants(w, target_words, indexed_words) for w in candidates}
    inflectable = [w for w in candidates if options[w]]
    if not inflectable or len(candidates) < 2:
        return None
    k = min(_query_length(rng), len(candidates))
    n_inflected = min(len(inflectable), max(1, math.ceil(k / 2)))
    picked = _weighted_sample(rng, inflectable, [vocabulary.idf(w) for w in inflectable], n_inflected)
    rest = [w for w in candidates if w not in picked]
    picked += _weighted_sample(rng, rest, [vocabulary.idf(w) for w in rest], k - n_inflected)
    chosen = set(picked)
    swaps: dict[str, str] = {}
    for w in picked[:n_inflected]:
        variants = options[w]
        # People type the forms that are commonly written: draw by the square root of frequency.
        weights = [math.sqrt(vocabulary.cf[v]) for v in variants]
        swaps[w] = rng.choices(variants, weights=weights)[0]
    query = [swaps.get(w, w) for w in candidates if w in chosen]
    return query, [[w, swaps[w]] for w in candidates if w in swaps]


def _split(rng: random.Random) -> str:
    return "train" if rng.random() < 0.5 else "test"


def build_topics(
    records: list[Record],
    *,
    seed: int = 13,
    per_set: int = 600,
    stopwords: Iterable[str] | None = None,
    min_body_words: int = 50,
) -> list[Topic]:
    """The three topic sets (``per_set`` topics each, at most), each topic assigned train or test.

    Records are drawn from a seeded shuffle; each record serves at most one topic across all sets.
    """
    if stopwords is None:
        stopwords = default_stopwords()
    vocabulary = Vocabulary(records, stopwords)
    inflector = Inflector(vocabulary)
    rng = random.Random(seed)
    # Stub bodies (scraper leftovers such as ",,,,,loading...") cannot be found by anything.
    usable = [r for r in records if len(words(r.body)) >= min_body_words]
    rng.shuffle(usable)
    indosum = [r for r in usable if r.summary]
    clickid = [r for r in usable if r.title and not r.summary]
    topics: list[Topic] = []
    used: set[str] = set()

    def relevant(record: Record) -> list[str]:
        return vocabulary.duplicates.get(record.id, [record.id])

    def add(set_name: str, record: Record, query: list[str], text: str, swaps=None, field="") -> None:
        n = sum(1 for t in topics if t.set == set_name)
        topics.append(
            Topic(
                qid=f"{set_name}-{n:04d}",
                set=set_name,
                split=_split(rng),
                query=" ".join(query),
                target=record.id,
                relevant=relevant(record),
                source_text=text,
                inflected=swaps or [],
                field=field,
            )
        )
        used.update(relevant(record))

    for set_name, pool, text_of in (
        ("summary", indosum, lambda r: r.summary),
        ("title", clickid, lambda r: r.title),
    ):
        count = 0
        for record in pool:
            if count >= per_set:
                break
            if record.id in used:
                continue
            query = sample_query(rng, text_of(record), vocabulary)
            if query is not None:
                add(set_name, record, query, text_of(record))
                count += 1

    # Inflected topics come half from summaries, half from headlines, of records not used above.
    count = 0
    pools = [iter([r for r in indosum if r.id not in used]), iter([r for r in clickid if r.id not in used])]
    turn = 0
    while count < per_set and pools:
        pool = pools[turn % len(pools)]
        record = next(pool, None)
        if record is None:
            pools.remove(pool)
            continue
        turn += 1
        if record.id in used:
            continue
        text = record.summary or record.title
        sampled = sample_inflected_query(rng, text, record.id, vocabulary, inflector)
        if sampled is not None:
            add("inflected", record, sampled[0], text, sampled[1])
            count += 1

    # Headlines searched in the body field only, from CLICK-ID records not used above (after the
    # other sets, so that adding this set left their topics as they were).
    count = 0
    for record in clickid:
        if count >= per_set:
            break
        if record.id in used:
            continue
        query = sample_query(rng, record.title, vocabulary)
        if query is not None:
            add("body", record, query, record.title, field="body")
            count += 1
    return topics


def default_stopwords() -> list[str]:
    """PySastrawi's Indonesian stopword list (809 words): independent of cari's own list."""
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return list(StopWordRemoverFactory().get_stop_words())


def save_topics(topics: list[Topic], path: Path) -> None:
    """Write topics as JSONL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for t in topics:
            handle.write(json.dumps(asdict(t), ensure_ascii=False) + "\n")


def load_topics(path: Path) -> list[Topic]:
    """Read topics written by ``save_topics``."""
    with path.open(encoding="utf-8") as handle:
        return [Topic(**json.loads(line)) for line in handle if line.strip()]


def corpus_fingerprint(corpus_data: Path) -> str:
    """A short hash of the corpus files' names and sizes, to key the caches."""
    h = hashlib.sha1()
    for path in sorted(corpus_data.glob("*/*.jsonl")):
        h.update(f"{path.parent.name}/{path.name}:{path.stat().st_size}".encode())
    return h.hexdigest()[:10]


def iter_topics(topics: list[Topic], set_name: str | None = None, split: str | None = None) -> Iterator[Topic]:
    """Topics of one set and/or split."""
    for t in topics:
        if (set_name is None or t.set == set_name) and (split is None or t.split == split):
            yield t
