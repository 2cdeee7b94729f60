"""Matching over the arrays the codec reads (the codec itself: tests/codec/)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.matching import Found, phrase_counts


def test_phrase_counts_follow_the_nearest_occurrence():
    def keys(doc_positions):
        return np.array(sorted((d << 32) | p for d, ps in doc_positions.items() for p in ps), np.int64)

    first = keys({0: [1, 10], 1: [5], 2: [3]})
    second = keys({0: [2, 14], 1: [9], 2: [1]})
    assert phrase_counts([first, second], 1, 3).tolist() == [1, 0, 0]
    assert phrase_counts([first, second], 4, 3).tolist() == [2, 1, 0]


_WORD_POSITIONS = st.dictionaries(st.integers(0, 20), st.sets(st.integers(0, 40), min_size=1), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORD_POSITIONS, min_size=2, max_size=4), st.integers(1, 3))
def test_phrase_counts_are_the_occurrences_of_the_words_in_order(words, slop):
    """Each occurrence of the first word starts a chain: each next word at most ``slop`` positions
    after the previous one, the nearest such occurrence followed (the exact phrase, slop 1, takes
    another path)."""
    def keys(doc_positions):
        return np.array(sorted((d << 32) | p for d, ps in doc_positions.items() for p in ps), np.int64)

    expected = [0] * 21
    for doc, starts in words[0].items():
        for position in starts:
            for following in words[1:]:
                later = [p for p in following.get(doc, ()) if position < p <= position + slop]
                if not later:
                    break
                position = min(later)
            else:
                expected[doc] += 1
    assert phrase_counts([keys(w) for w in words], slop, 21).tolist() == expected


_DOCS = st.sets(st.integers(0, 5_000), max_size=3_000).map(sorted)


@settings(max_examples=200, deadline=None)
@given(_DOCS, _DOCS, st.booleans())
def test_found_sets_combine_as_sets_do(left, right, some_hit):
    """AND (``both``), ``within`` and ``without`` of two sets of matches, whatever their sizes
    (a short list looked up in a long one, two long ones: the lookups take another path past a
    size), match what Python's sets give, with each side's scores where its documents are."""
    scores = {d: float(d % 13) for d in [*left, *right]}
    hit = np.array([d % 3 != 0 for d in left], dtype=bool) if some_hit else None
    mine = Found(np.array(left, dtype=np.int64), np.array([scores[d] for d in left], np.float32), hit)
    theirs = Found(np.array(right, dtype=np.int64), np.array([scores[d] * 2 for d in right], np.float32))
    matched = [d for d in left if not some_hit or d % 3 != 0]
    both = mine.both(theirs, False)
    assert both.matched().tolist() == sorted(set(matched) & set(right))
    assert both.matched_scores().tolist() == [scores[d] * 3 for d in both.matched().tolist()]
    assert mine.within(np.array(right, dtype=np.int64)).matched().tolist() == sorted(set(matched) & set(right))
    assert mine.without(np.array(right, dtype=np.int64)).matched().tolist() == sorted(set(matched) - set(right))


def _leaf_terms(whoosh_reader, fieldname, least, most):
    """Terms of ``fieldname`` in the first segment with ``least``..``most`` postings."""
    from search.codec.reading import read_postings

    sub = list(whoosh_reader.leaf_readers())[0][0]
    found = []
    for btext in sub.lexicon(fieldname):
        if least <= len(read_postings(sub, fieldname, btext).ids) <= most:
            found.append(btext)
        if len(found) >= 12:
            break
    return sub, found


@pytest.fixture(scope="module")
def small_blocks_reader(sample_corpus, tmp_path_factory):
    """A reader of the sample corpus indexed in blocks of 16 postings (of 1,024): posting lists of
    many blocks, as a large corpus has."""
    import search
    from search.codec import writing
    from search.store import open_whoosh_index

    index_dir = tmp_path_factory.mktemp("blocks") / "index"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writing, "POSTINGS_PER_BLOCK", 16)
        search.index_corpus([sample_corpus], index_dir, jobs=1)
    reader = open_whoosh_index(index_dir).reader()
    yield reader
    reader.close()


def test_positions_of_a_few_blocks_are_those_of_the_whole_list(small_blocks_reader):
    from search.codec.reading import read_positions_of, read_raw_positions, term_blocks

    sub, terms = _leaf_terms(small_blocks_reader, "body_exact", 100, 100_000)
    assert terms and len(term_blocks(sub, "body_exact", terms[0])) > 4
    assert terms
    rng = np.random.default_rng(3)
    checked = 0
    for btext in terms:
        raw = read_raw_positions(sub, "body_exact", btext)
        assert raw is not None
        for size in (1, 3, 10):
            wanted = np.sort(rng.choice(raw.ids, size=min(size, len(raw.ids)), replace=False))
            few = read_positions_of(sub, "body_exact", btext, wanted)
            if few is None:  # the candidates are in more than half of the blocks
                continue
            whole = raw.positions_of(wanted)
            checked += 1
            assert few.ids.tolist() == whole.ids.tolist() and few.tfs.tolist() == whole.tfs.tolist()
            assert few.position_keys(wanted).tolist() == whole.position_keys(wanted).tolist()
    assert checked


def test_sparse_matches_are_whooshs(index, whoosh_reader):
    """The evaluator's sets (sorted ids) are those Whoosh's own matchers find for the same query
    (``search.nodes.to_whoosh``), for every kind of node the compiler makes."""

    from whoosh.searching import Searcher

    from search import nodes as qn
    from search.matching import Evaluator

    sub, terms = _leaf_terms(whoosh_reader, "body", 20, 400)
    a, b, c = (t.decode() for t in terms[:3])
    queries = [
        qn.Or([qn.Term("body", a), qn.Term("title", a), qn.Term("body", b)]),
        qn.And([qn.Term("body", a), qn.Term("body", b)]),
        qn.And([qn.Or([qn.Term("body", a), qn.Term("body", b)]), qn.Not(qn.Term("body", c))]),
        qn.Or([qn.And([qn.Term("body", a), qn.Term("body", b)]), qn.Term("body", c)]),
        qn.Prefix("body_exact", a[:3]),
        qn.Wildcard("body_exact", a[:2] + "*" + a[-1]),
        qn.Wildcard("body_exact", a[0] + "?" + a[2:]),
        qn.Fuzzy("body_exact", a, maxdist=1),
        qn.Phrase("body_exact", ["kerja", "sama"]),
        qn.And([qn.Term("body", a), qn.ConstantScore(qn.Term("body", b), 0.0)]),
        qn.Every(),
        qn.Nothing(),
    ]
    with index._reading() as (snapshot, searcher):
        evaluator = Evaluator(searcher, index._postings, snapshot.columns(searcher))
        whoosh_searcher = Searcher(searcher.reader())
        sizes = []
        for q in queries:
            expected = sorted(whoosh_searcher.docs_for_query(qn.to_whoosh(q)))
            assert evaluator.found(q).matched().tolist() == expected, q
            mask, _scores = evaluator.evaluate(q)
            assert np.flatnonzero(mask).tolist() == expected, q
            sizes.append(len(expected))
    assert all(sizes[:8]), sizes  # the patterns and the phrase stand for something here


def test_a_fuzzy_word_counts_a_swap_as_one_edit(index, whoosh_reader):
    """``teroris~1`` typed ``tetoris`` or ``terorsi`` finds ``teroris``: the words of a fuzzy node are
    did-you-mean's near words (optimal string alignment), not Whoosh's automaton (Levenshtein,
    where a swap is two edits)."""
    from search import nodes as qn
    from search.matching import Evaluator

    words = [w.decode() for w in whoosh_reader.lexicon("body_exact") if len(w) >= 7 and w.isalpha()][::97][:20]
    assert len(words) >= 10
    with index._reading() as (snapshot, searcher):
        evaluator = Evaluator(searcher, index._postings, snapshot.columns(searcher))
        for word in words:
            swapped = word[:3] + word[4] + word[3] + word[5:]
            if swapped == word:
                continue
            expected = evaluator.found(qn.Term("body_exact", word)).matched()
            found = evaluator.found(qn.Fuzzy("body_exact", swapped, maxdist=1)).matched()
            assert len(expected) and set(expected.tolist()) <= set(found.tolist()), (word, swapped)


def test_date_ranges_are_those_of_whooshs_date_column(index, whoosh_reader):
    """A date range keeps the documents whose date (as Whoosh reads the column cari wrote) is
    inside it, ends included unless excluded; dateless ones never."""
    from datetime import datetime

    from search import nodes as qn
    from search.matching import Evaluator

    dates = whoosh_reader.column_reader("published_local")
    dated = [(d, dates[d]) for d in range(whoosh_reader.doc_count_all())]
    values = sorted({v for _d, v in dated if v is not None and v.year > 1})
    middle = values[len(values) // 2]
    cases = [(middle, None, False, False), (None, middle, False, True), (middle, middle, False, False),
             (datetime(1990, 1, 1), datetime(2100, 1, 1), True, True)]
    with index._reading() as (snapshot, searcher):
        evaluator = Evaluator(searcher, index._postings, snapshot.columns(searcher))
        live = snapshot.columns(searcher).live
        for start, end, startexcl, endexcl in cases:
            q = qn.DateRange("published_local", start, end, startexcl, endexcl)
            expected = [d for d, v in dated if live[d] and v is not None and v.year > 1
                        and (start is None or (v > start if startexcl else v >= start))
                        and (end is None or (v < end if endexcl else v <= end))]
            assert evaluator.found(q).matched().tolist() == expected, q
            assert expected, q


def test_query_nodes_are_values():
    """Nodes compare and hash by what they hold and their kind (the evaluator caches by node),
    survive pickling (a sharded index sends them to its shards), and ``accept`` rebuilds a tree."""
    import pickle

    from search import nodes as qn

    both = [qn.Term("body", "banjir", 2.0), qn.Phrase("title", ["kerja", "sama"])]
    assert qn.Or(both) == qn.Or(list(both)) and hash(qn.Or(both)) == hash(qn.Or(tuple(both)))
    assert qn.Or(both) != qn.And(both)
    assert qn.Prefix("body", "ban") != qn.Wildcard("body", "ban")
    assert qn.Fuzzy("body", "banjr", maxdist=1) != qn.Fuzzy("body", "banjr", maxdist=2)
    tree = qn.And([qn.Or(both), qn.Not(qn.Prefix("body", "ja", 3.0))])
    copy = pickle.loads(pickle.dumps(tree))
    assert copy == tree and hash(copy) == hash(tree) and repr(copy) == repr(tree)
    assert qn.Prefix("body", "ja", 3.0).unboosted() == qn.Prefix("body", "ja")
    upper = tree.accept(lambda n: qn.Term(n.fieldname, n.text.upper(), n.boost) if isinstance(n, qn.Term) else n)
    assert [leaf for leaf in qn.positive_leaves(upper)] == [qn.Term("body", "BANJIR", 2.0), both[1]]


def test_an_and_inside_an_or_adds_its_parts_where_the_or_matches(index, whoosh_reader):
    """A word the analyzer splits (``covid-19``) is an AND of its parts in each field, ORed over
    the fields: where the OR matches through another field, the parts found in this one add
    their scores too (as they always have; rankings must not move with the evaluator)."""
    from search import nodes as qn
    from search.matching import Evaluator

    _sub, terms = _leaf_terms(whoosh_reader, "body", 20, 400)
    a, b = (t.decode() for t in terms[:2])
    with index._reading() as (snapshot, searcher):
        evaluator = Evaluator(searcher, index._postings, snapshot.columns(searcher))
        only_a = evaluator.found(qn.Term("body", a))
        both = evaluator.found(qn.And([qn.Term("body", a), qn.Term("body", b)])).matched()
        partial = np.setdiff1d(only_a.ids, both)
        assert len(partial)
        lead = qn.Term("body", a, boost=2.0)  # matches every document of a, on its own
        q = qn.Or([qn.And([qn.Term("body", a), qn.Term("body", b)]), lead])
        found = evaluator.found(q)
        rows = np.searchsorted(found.ids, partial)
        lead_scores = evaluator.found(lead).scores[np.searchsorted(only_a.ids, partial)]
        a_scores = only_a.scores[np.searchsorted(only_a.ids, partial)]
        assert np.array_equal(found.scores[rows], (np.float32(0) + a_scores) + lead_scores)


def test_copies_fold_into_the_best_ranked_of_each_group():
    """The best of each group found in one pass is the first of the ranking (score, then docnum)."""
    from search.duplicates import GroupMembers, _ranking, collapse_copies, copies_of, top_of_groups

    rng = np.random.default_rng(7)
    for _ in range(50):
        n = 400
        groups = np.where(rng.random(n) < 0.6, rng.integers(0, 40, n), -1)
        mask = rng.random(n) < 0.5
        scores = rng.integers(0, 6, n).astype(np.float32)  # many ties
        kept, dropped = collapse_copies(mask, scores, groups)
        grouped = np.flatnonzero(mask & (groups >= 0))
        ranked = _ranking(grouped, scores, "relevance", None)
        _, first = np.unique(groups[ranked], return_index=True)
        expected = mask.copy()
        expected[np.setdiff1d(ranked, ranked[first])] = False
        assert np.array_equal(kept, expected) and dropped == len(grouped) - len(first)
        _collapsed, top, many = top_of_groups(mask, scores, groups, 10, members=GroupMembers(groups))
        page = [d for d, _s in top]
        assert [c.tolist() for c in many] == [copies_of(d, mask, groups).tolist() for d in page]


def test_sentence_boundaries_are_those_of_the_two_branch_pattern():
    """The boundary pattern starts with one character class (fast); it finds exactly what the
    plain alternation of its two kinds of boundary finds."""
    import random
    import re

    from search.highlight import _boundaries

    plain = re.compile(r"(?P<end>[.!?…][\"”’')\]]*)(?:[ \t\xa0]*,+\s*|\s+)(?=[\"“‘(\[]?[A-Z0-9])|\n\s*")

    def reference(text):
        out = []
        for match in plain.finditer(text):
            out.append(match.end("end") if match.group("end") else match.start())
            out.append(match.end())
        return out

    rng = random.Random(11)
    alphabet = ".!?…\n \t\xa0,\"”’')]“‘([Aa0b"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        assert _boundaries(text) == reference(text), repr(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(0, 4_000)), min_size=1, max_size=400),
       st.floats(0.1, 5.0), st.floats(0.0, 1.0), st.floats(0.5, 3.0), st.floats(0.01, 12.0))
def test_a_terms_scores_are_bm25_to_the_bit(postings, k1, b, boost, idf):
    """A term's scores, from the lengths' part computed once for a segment (``_bm25_of``), are
    BM25 as ``Evaluator._bm25`` computes it from the lengths, float32 for float32."""
    from types import SimpleNamespace

    from search.matching import Evaluator, _bm25_of

    lengths = np.array([length for _tf, length in postings] + [7.0, 900.0], dtype=np.float32)
    avg = float(lengths.mean()) or 1.0
    ids = np.arange(len(postings), dtype=np.int32)
    tf = np.array([t for t, _length in postings], dtype=np.float32)
    norms = k1 * ((1.0 - b) + b * lengths / avg)
    expected = Evaluator._bm25(SimpleNamespace(k1=k1, b=b), tf, lengths[ids], avg, idf, boost)
    found = _bm25_of(tf, norms, ids, boost * idf, k1)
    assert found.dtype == np.float32 and found.tobytes() == expected.astype(np.float32).tobytes()


_WORDS = ["kerja", "sama", "militer", "turki", "libya", "presiden", "jokowi", "banjir", "jakarta", "yang",
          "dan", "pemerintah", "indonesia", "ekonomi", "polisi", "warga"]
_FORMS = ["{a}", "{a} {b}", "{a} {b} {c}", "{a} OR {b}", "{a} -{b}", '"{a} {b}" {c}', "title:{a} {b}",
          "{a} {b} date:2020", "({a} {b}) OR {c}", "{a}* {b}", "{a} AND ({b} OR {c})", "-{a} {b} {c}",
          '{a} "{b} {c}"', "body:({a} {b})"]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(_FORMS), st.sampled_from(_WORDS), st.sampled_from(_WORDS), st.sampled_from(_WORDS))
def test_dense_and_sparse_evaluation_give_the_same_matches_and_scores(index, form, a, b, c):
    """Queries whose postings are many are added up in arrays over every document
    (``Evaluator._dense``), others merged as sorted lists: both give the same matches and the same
    float32 scores, the strict set and AND>OR's listing with its tail alike."""
    import search.matching as matching

    query = form.format(a=a, b=b, c=c)
    answers = []
    for share in (0, 10**9):  # never dense, dense whenever the query's shape allows it
        original = matching.DENSE_SHARE
        matching.DENSE_SHARE = share
        try:
            matches = index.match(query)
            listing = index.search(query, limit=2000, highlight=False, collapse=False)
        finally:
            matching.DENSE_SHARE = original
        answers.append((matches.mask.tobytes(), matches.scores[matches.mask].tobytes(),
                        [(h.id, h.score, h.tail) for h in listing.hits], listing.total, listing.tail))
    assert answers[0] == answers[1], query


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200_000), st.integers(1, 300), st.sampled_from([3, 50, 10_000]), st.integers(0, 2**32 - 1))
def test_the_kth_largest_score_is_numpys_partition(size, k, distinct, seed):
    """kth_largest's block maxima skip most values; the value found is the partition's, repeats and
    ties included (few distinct scores: many ties at the threshold)."""
    from search.matching import kth_largest

    k = min(k, size)
    rng = np.random.default_rng(seed)
    values = (rng.integers(0, distinct, size) * 0.37).astype(np.float32)
    assert kth_largest(values, k) == np.partition(values, size - k)[size - k]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50, width=32), st.booleans()), max_size=300))
def test_the_best_score_of_a_set_is_the_best_among_its_documents(rows):
    """best_score looks at the best of all first: a document outside the set may hold it."""
    from search.matching import best_score

    scores = np.array([score for score, _inside in rows], dtype=np.float32)
    mask = np.array([inside for _score, inside in rows], dtype=bool)
    expected = float(scores[mask].max()) if mask.any() else 0.0
    assert best_score(scores, mask) == expected
