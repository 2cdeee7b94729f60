"""Near-duplicate articles: the same story republished with a new dateline, a credit line, a
paragraph more or less, or light edits.

**Signatures.** An article's lead and body are read as words (letters and digits, lower case)
and cut into shingles of ``SHINGLE_WORDS`` consecutive words; the set of shingles gets a MinHash
signature of ``BINS`` values by one-permutation hashing (Li, Owen and Zhang 2012: each shingle's
hash falls in one of ``BINS`` bins and each bin keeps its smallest value), with the empty bins of
short texts filled by optimal densification (Shrivastava 2017). Two signatures agree in a bin
with a probability equal to the Jaccard similarity of the two shingle sets. Texts of fewer than
``MIN_SHINGLES`` shingles get no signature (stubs, captions): they are never grouped. The work is
done with numpy over all the articles of a corpus file at once, in the indexing workers.

**Candidates and groups.** Locality-sensitive hashing by banding: the signature is cut into
``BANDS`` bands of ``ROWS`` values, and two articles that agree on a whole band are
candidates; a candidate is a copy when the signatures agree in at least ``THRESHOLD`` of the bins.
Each article joins the group of the earlier article it is most similar to (earlier: indexed
before it, or before it in corpus order within one run), else it starts a group of its own. Group
numbers never change once given, so groups are stable as the corpus grows; a rebuild numbers
them afresh in corpus order.

**Where it lives.** Each commit holds two files (listed in its manifest, so checksummed):
``cari-signatures-<n>.bin`` (every signed article's id, group and signature: what the next
indexing run compares new articles with) and ``cari-duplicates-<n>.json`` (the groups with two
live members or more: what searching reads to collapse copies).
"""

from __future__ import annotations

import array
import functools
import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "BANDS",
    "BINS",
    "GROUPS_PREFIX",
    "MIN_SHINGLES",
    "SHINGLE_WORDS",
    "SIGNATURES_PREFIX",
    "THRESHOLD",
    "GroupMembers",
    "SignatureStore",
    "collapse_copies",
    "top_of_groups",
    "copies_of",
    "group_column",
    "groups_of",
    "member_docnums",
    "read_group_members",
    "read_groups",
    "signatures",
    "signed_text",
    "similarity",
]

SHINGLE_WORDS = 5
BINS = 64  # a power of two (a shingle's bin is the top bits of its hash)
BANDS = 21
ROWS = 3  # values of a band (BANDS * ROWS <= BINS)
THRESHOLD = 0.5
MIN_SHINGLES = 20
# Candidates an article is compared with per band at most (the nearest earlier ones): a band that
# very many articles share (a stock text) must not make the comparisons quadratic.
MAX_BAND_CANDIDATES = 64
# Candidate pairs whose similarity is computed at a time (two signatures of 256 bytes a pair).
PAIR_BLOCK = 100_000
# Signatures whose band keys are computed at a time: their 8-byte temporaries (2 MiB) stay in the
# CPU's cache (blocks of 100,000 rows took twice as long, 11-23 ms against 5-6 for 28,939 rows).
KEY_BLOCK = 4096
VERSION = 2  # of the signatures: a change here needs a rebuild (schema version)
# b-bit MinHash (Li and König 2010): a bin keeps the low SIGNATURE_BITS bits of its minimum. Two
# bins of different minima agree by chance once in 65,536 (a bias of 0.0015% on a similarity
# estimate); the signature file is half the size of 32-bit values. In memory they stay uint32.
SIGNATURE_BITS = 16

SIGNATURES_PREFIX = "cari-signatures-"
GROUPS_PREFIX = "cari-duplicates-"
_MAGIC = b"CARISIG1"

_U64 = np.uint64
_EMPTY = np.uint32(0xFFFFFFFF)
_ROWS = ROWS
_BIN_BITS = int(BINS).bit_length() - 1
_LOW_20_BITS = _U64(0xFFFFF)


class _Constants(NamedTuple):
    shingle_multipliers: np.ndarray
    band_multipliers: np.ndarray
    borrow: np.ndarray  # densification: the bins an empty bin borrows from, tried in this order


@functools.cache
def _constants() -> _Constants:
    """The hashing constants, drawn on first use (numpy.random costs start-up time a search
    does not need); the seed is fixed: signatures must be the same in every process."""
    rng = np.random.default_rng(20240613)
    shingle = rng.integers(0, 2**63, size=SHINGLE_WORDS, dtype=np.uint64) * _U64(2) + _U64(1)
    band = rng.integers(0, 2**63, size=(BANDS, _ROWS), dtype=np.uint64) * _U64(2) + _U64(1)
    borrow = np.stack([rng.permutation(BINS) for _ in range(BINS)])
    return _Constants(shingle, band, borrow)


# Bytes of a UTF-8 text to word bytes: ASCII letters and digits lower-cased, other ASCII bytes
# spaces, and the bytes of non-ASCII characters kept (they are letters as often as not).
_WORD_BYTES = bytes(ord(chr(i).lower()) if chr(i).isalnum() else 0x20 if i < 0x80 else i
                    for i in range(256))


def signed_text(article: Any) -> str:
    """What an article's signature is made of: its lead and body (headlines are rewritten by
    the outlets that republish a story; the text is not)."""
    return f"{article.lead}\n{article.body}" if article.lead else article.body


def _mix(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: every bit of the result depends on every bit of the input."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> _U64(30))
        values = values * _U64(0xBF58476D1CE4E5B9)
        values = values ^ (values >> _U64(27))
        values = values * _U64(0x94D049BB133111EB)
        mixed: np.ndarray = values ^ (values >> _U64(31))
        return mixed


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, owners)``: a 64-bit hash of every word of the texts, in order, and the index of
    the text each word is in. (Splitting and CRC-32 run in C, a word at a time; numpy mixes the
    CRCs into 64 bits: faster than hashing the bytes with numpy.)"""
    words = [text.encode("utf-8", "replace").translate(_WORD_BYTES).split() for text in texts]
    counts = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    crcs = array.array("L", map(zlib.crc32, chain.from_iterable(words)))
    hashes = _mix(np.frombuffer(crcs, dtype=np.dtype(f"u{crcs.itemsize}")).astype(np.uint64) + _U64(1))
    return hashes, np.repeat(np.arange(len(words), dtype=np.int64), counts)


def shingle_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, owners)``: a 64-bit hash of every shingle (``SHINGLE_WORDS`` consecutive words)
    of the texts, and the index of the text each is in."""
    hashes, owners = _word_hashes(texts)
    k = SHINGLE_WORDS
    if len(hashes) < k:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    m = len(hashes) - k + 1
    multipliers = _constants().shingle_multipliers
    with np.errstate(over="ignore"):
        shingles = hashes[:m] * multipliers[0]
        for j in range(1, k):
            shingles += hashes[j:m + j] * multipliers[j]
    within = owners[:m] == owners[k - 1:]  # shingles that do not cross from one text to the next
    return _mix(shingles[within]), owners[:m][within]


def jaccard(a: str, b: str) -> float:
    """The exact Jaccard similarity of the shingle sets of two texts (what signatures estimate)."""
    hashes, owners = shingle_hashes([a, b])
    first, second = set(hashes[owners == 0].tolist()), set(hashes[owners == 1].tolist())
    return len(first & second) / len(first | second) if first or second else 0.0


def signatures(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(signatures, signed)``: the MinHash signature of each text (``BINS`` values a row, of
    ``SIGNATURE_BITS`` bits in uint32)
    and whether it has one (texts of fewer than ``MIN_SHINGLES`` shingles do not)."""
    count = len(texts)
    sigs = np.full((count, BINS), _EMPTY, dtype=np.uint32)
    if not count:
        return sigs, np.zeros(0, dtype=bool)
    shingles, shingle_owners = shingle_hashes(texts)
    per_text = np.bincount(shingle_owners, minlength=count)
    signed = per_text >= MIN_SHINGLES
    keep = signed[shingle_owners]
    shingles, shingle_owners = shingles[keep], shingle_owners[keep]
    bins = (shingles >> _U64(64 - _BIN_BITS)).astype(np.int64)
    values = ((shingles >> _U64(64 - _BIN_BITS - 32)) & _U64(0xFFFFFFFF)).astype(np.uint32)
    flat = sigs.reshape(-1)
    np.minimum.at(flat, shingle_owners * BINS + bins, values)
    _densify(sigs, signed)
    # the low bits of a minimum (its top bits are mostly zeros: it is the least of many values)
    sigs[signed] &= np.uint32((1 << SIGNATURE_BITS) - 1)
    return sigs, signed


def _densify(sigs: np.ndarray, signed: np.ndarray) -> None:
    """Fill each empty bin of the signed rows with the value of the first non-empty bin of its
    borrowing order (the same order for every text, so copies borrow alike)."""
    rows = np.flatnonzero(signed & (sigs == _EMPTY).any(axis=1))
    if not len(rows):
        return
    block = sigs[rows]
    filled = block != _EMPTY  # [rows, bins]
    borrow = _constants().borrow
    tries = filled[:, borrow]  # [rows, empty bin, attempt]: is the bin tried non-empty
    choice = borrow[np.arange(BINS)[None, :], tries.argmax(axis=2)]  # [rows, bins]
    borrowed = np.take_along_axis(block, choice, axis=1)
    sigs[rows] = np.where(filled, block, borrowed)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The estimated Jaccard similarity of signatures ``a`` and ``b`` (rows of either may be many)."""
    agree: np.ndarray = (np.asarray(a) == np.asarray(b)).mean(axis=-1)
    return agree


def _band_keys(sigs: np.ndarray) -> np.ndarray:
    """One 64-bit key per band of each signature: equal keys, equal bands (but for collisions,
    which the similarity check removes)."""
    keys = np.empty((len(sigs), BANDS), dtype=np.uint64)
    multipliers = _constants().band_multipliers
    for start in range(0, len(sigs), KEY_BLOCK):
        block = sigs[start:start + KEY_BLOCK, :BANDS * _ROWS]
        shaped = block.reshape(len(block), BANDS, _ROWS).astype(np.uint64)
        with np.errstate(over="ignore"):
            # the sum of each band's values times its multipliers, a row of the band at a time
            # (a third faster than multiplying them all and summing over the last axis)
            part = shaped[:, :, 0] * multipliers[:, 0]
            for row in range(1, _ROWS):
                part += shaped[:, :, row] * multipliers[:, row]
            part += np.arange(BANDS, dtype=np.uint64) * _U64(0x9E3779B97F4A7C15)
        keys[start:start + len(block)] = _mix(part)
    return keys


def _candidate_pairs(keys: np.ndarray, first_new: int) -> np.ndarray:
    """``[[earlier, later], ...]``: pairs of rows that share a band, the later row new (at
    ``first_new`` or after), at most ``MAX_BAND_CANDIDATES`` earlier rows per band and row;
    sorted, each pair once."""
    count = len(keys)
    found = np.zeros(0, dtype=np.int64)  # pairs coded as earlier * count + later
    rows = np.arange(count)
    for band in range(keys.shape[1]):
        band_keys, band_rows = keys[:, band], rows
        if 0 < count - first_new <= count // 4:
            # An update, a few new rows: only the rows that share a key with a new row can pair
            # with one, and they are every row of those keys, so sorting them alone finds the same
            # pairs. They are found by the keys' low 20 bits first (a table look-up, where a
            # search of sorted keys took 1.5 ms a band for 29,000 rows), then by the whole key.
            low = (band_keys & _LOW_20_BITS).astype(np.intp)
            band_rows = np.flatnonzero(np.isin(low, low[first_new:], kind="table"))
            band_rows = band_rows[np.isin(band_keys[band_rows], band_keys[first_new:])]
            band_keys = band_keys[band_rows]
        order = band_rows[np.lexsort((band_rows, band_keys))]
        sorted_keys = keys[order, band]
        band_pairs = [found]
        for step in range(1, MAX_BAND_CANDIDATES + 1):
            same = sorted_keys[step:] == sorted_keys[:-step]
            if not same.any():
                break
            later, earlier = order[step:][same], order[:-step][same]
            new = later >= first_new
            band_pairs.append(earlier[new].astype(np.int64) * count + later[new])
        # Merged band by band: a corpus of many copies shares most pairs across its 21 bands,
        # and holding every band's pairs before merging them took gigabytes (10 copies of each
        # of 28,913 articles: 27 million pairs for 1.3 million distinct).
        if len(band_pairs) > 1:
            found = np.unique(np.concatenate(band_pairs))
    return np.stack([found // count, found % count], axis=1) if len(found) else np.zeros((0, 2), dtype=np.int64)


def _best_earlier(sigs: np.ndarray, pairs: np.ndarray) -> dict[int, int]:
    """For each later row of ``pairs`` with an earlier row at least ``THRESHOLD`` similar, the most
    similar earlier row (the first of a tie); the similarities are computed a block of pairs at
    a time, so memory stays bounded by the block, not by the pairs."""
    kept_pairs, kept_scores = [], []
    for start in range(0, len(pairs), PAIR_BLOCK):
        block = pairs[start:start + PAIR_BLOCK]
        scores = similarity(sigs[block[:, 0]], sigs[block[:, 1]])
        good = scores >= THRESHOLD
        kept_pairs.append(block[good])
        kept_scores.append(scores[good])
    if not kept_pairs:
        return {}
    good_pairs, good_scores = np.concatenate(kept_pairs), np.concatenate(kept_scores)
    order = np.lexsort((good_pairs[:, 0], -good_scores, good_pairs[:, 1]))  # by later, best first
    later = good_pairs[order, 1]
    first = np.flatnonzero(np.r_[True, later[1:] != later[:-1]]) if len(later) else np.zeros(0, dtype=np.int64)
    return dict(zip(later[first].tolist(), good_pairs[order[first], 0].tolist()))


@dataclass(slots=True)
class SignatureStore:
    """The signed articles of a commit, in the order they were indexed: id, group, signature."""

    ids: list[str] = field(default_factory=list)
    groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sigs: np.ndarray = field(default_factory=lambda: np.zeros((0, BINS), dtype=np.uint32))
    next_group: int = 0

    def without(self, ids: set[str]) -> SignatureStore:
        """This store without the articles ``ids`` (removed, or about to be replaced)."""
        keep = np.array([aid not in ids for aid in self.ids], dtype=bool)
        return SignatureStore([aid for aid, k in zip(self.ids, keep) if k], self.groups[keep],
                              self.sigs[keep], self.next_group)

    def added(self, ids: Sequence[str], sigs: np.ndarray) -> SignatureStore:
        """This store with new articles appended, in the order given, each joining the group of
        the most similar earlier article it copies (else a new group)."""
        if not len(ids):
            return self
        first_new = len(self.ids)
        all_sigs = np.concatenate([self.sigs, sigs.astype(np.uint32)])
        groups = np.concatenate([self.groups, np.full(len(ids), -1, dtype=np.int64)])
        best = _best_earlier(all_sigs, _candidate_pairs(_band_keys(all_sigs), first_new))
        next_group = self.next_group
        for row in range(first_new, len(groups)):
            match = best.get(row)
            if match is not None:
                groups[row] = groups[match]
            else:
                groups[row] = next_group
                next_group += 1
        return SignatureStore([*self.ids, *ids], groups, all_sigs, next_group)

    def copies(self) -> list[list[str]]:
        """The groups of two articles or more (ids in indexing order), by group number."""
        members: dict[int, list[str]] = {}
        for aid, group in zip(self.ids, self.groups.tolist()):
            members.setdefault(group, []).append(aid)
        return [ids for _group, ids in sorted(members.items()) if len(ids) > 1]

    def group_of(self) -> dict[str, int]:
        """Article id -> group number, for the articles of groups of two or more."""
        members: dict[int, int] = {}
        for group in self.groups.tolist():
            members[group] = members.get(group, 0) + 1
        return {aid: g for aid, g in zip(self.ids, self.groups.tolist()) if members[g] > 1}

    # -- files

    def to_bytes(self) -> bytes:
        header = json.dumps({"version": VERSION, "bins": BINS, "shingle_words": SHINGLE_WORDS,
                             "count": len(self.ids), "next_group": self.next_group,
                             "ids": self.ids}).encode("utf-8")
        return b"".join([_MAGIC, struct.pack("<Q", len(header)), header,
                         self.groups.astype("<i8").tobytes(), self.sigs.astype("<u2").tobytes()])

    @classmethod
    def from_bytes(cls, data: bytes) -> SignatureStore:
        """The store of ``to_bytes``; ValueError when the bytes are not one (or another version)."""
        if data[:len(_MAGIC)] != _MAGIC:
            raise ValueError("not a cari signature file")
        try:
            (size,) = struct.unpack_from("<Q", data, len(_MAGIC))
            start = len(_MAGIC) + 8
            header = json.loads(data[start:start + size].decode("utf-8"))
            if (header.get("version"), header.get("bins"), header.get("shingle_words")) != (
                    VERSION, BINS, SHINGLE_WORDS):
                raise ValueError("signatures of another version")
            count = int(header["count"])
            offset = start + size
            groups = np.frombuffer(data, dtype="<i8", count=count, offset=offset).astype(np.int64)
            offset += 8 * count
            sigs = np.frombuffer(data, dtype="<u2", count=count * BINS, offset=offset)
            if offset + 2 * count * BINS != len(data) or len(header["ids"]) != count:
                raise ValueError("the signature file has an unexpected size")
            return cls(list(header["ids"]), groups, sigs.reshape(count, BINS).astype(np.uint32),
                       int(header["next_group"]))
        except (struct.error, KeyError, TypeError, UnicodeDecodeError) as error:
            raise ValueError(f"the signature file cannot be read ({type(error).__name__})") from error


def groups_of(store: SignatureStore) -> dict[int, list[str]]:
    """The groups of two articles or more of a store (group number -> ids)."""
    members: dict[int, list[str]] = {}
    for aid, group in zip(store.ids, store.groups.tolist()):
        members.setdefault(group, []).append(aid)
    return {g: ids for g, ids in sorted(members.items()) if len(ids) > 1}


def groups_bytes(groups: dict[int, list[str]], docnums: dict[int, list[list[int]]] | None = None) -> bytes:
    """The ``cari-duplicates-<n>.json`` of ``groups`` (``groups_of`` a store), and when given
    (``member_docnums`` of the commit the file belongs to) their document numbers, so that a
    search needs no look-up of every member's id to find its copies."""
    data: dict[str, Any] = {"format": "cari-duplicates", "version": VERSION,
                            "groups": {str(g): ids for g, ids in groups.items()}}
    if docnums is not None:
        data["docnums"] = {str(g): numbers for g, numbers in sorted(docnums.items())}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signatures_name(whoosh_generation: int) -> str:
    return f"{SIGNATURES_PREFIX}{whoosh_generation}.bin"


def groups_name(whoosh_generation: int) -> str:
    return f"{GROUPS_PREFIX}{whoosh_generation}.json"


def load_store(directory: Path, whoosh_generation: int) -> SignatureStore:
    """The signature store of a commit (an empty one when the commit has none)."""
    try:
        data = (directory / signatures_name(whoosh_generation)).read_bytes()
    except FileNotFoundError:
        return SignatureStore()
    return SignatureStore.from_bytes(data)


def _groups_file(directory: Path, whoosh_generation: int) -> dict[str, Any]:
    try:
        data = json.loads((directory / groups_name(whoosh_generation)).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{groups_name(whoosh_generation)} cannot be read") from error
    if not isinstance(data, dict):
        raise ValueError(f"{groups_name(whoosh_generation)} cannot be read")
    return data


def read_groups(directory: Path, whoosh_generation: int) -> dict[int, list[str]]:
    """The groups of two articles or more of a commit (group number -> ids); empty when the
    commit has no such file."""
    return read_group_members(directory, whoosh_generation)[0]


def read_group_members(directory: Path, whoosh_generation: int
                       ) -> tuple[dict[int, list[str]], dict[int, list[list[int]]] | None]:
    """The groups of a commit (``read_groups``) and their members' document numbers (a list for
    each id) as the commit recorded them (``groups_bytes``), None when it did not: a file written
    before they were, or in another layout (the file's checksum is the manifest's: the numbers
    are then looked up)."""
    data = _groups_file(directory, whoosh_generation)
    groups = {int(g): list(ids) for g, ids in data.get("groups", {}).items()}
    found = data.get("docnums")
    if not isinstance(found, dict):
        return groups, None
    try:
        return groups, {int(g): [[int(n) for n in numbers] for numbers in per_id] for g, per_id in found.items()}
    except (TypeError, ValueError):
        return groups, None


def member_docnums(groups: dict[int, list[str]], leaves: list[tuple[Any, int]],
                   recorded: tuple[dict[str, list[int]], int] | None = None) -> dict[int, list[list[int]]]:
    """The document numbers of each group's articles in a commit, a list for each of its ids in
    their order (``leaves``: the commit's segment readers and the number of each one's first
    document), deleted ones included: one look-up of every member's id.

    ``recorded`` (``(numbers, end)``: ids and their document numbers as an earlier commit recorded
    them, and where the documents of that commit's segments that this one keeps as they were
    end): those ids are looked up in the leaves from ``end`` on only (a commit keeps the numbers
    of the segments it does not merge, deleted documents included), and a small leaf is read
    whole instead of looked up in once per id."""
    from search.codec.reading import documents_with_ids

    known, end = recorded if recorded is not None else ({}, 0)
    kept = [(sub, offset) for sub, offset in leaves if offset < end]
    rest = [(sub, offset) for sub, offset in leaves if offset >= end]
    wanted = {aid for ids in groups.values() for aid in ids}
    in_rest = documents_with_ids(rest, wanted)
    found: dict[int, list[list[int]]] = {}
    for group, ids in groups.items():
        per_id: list[list[int]] = []
        for aid in ids:
            if aid in known:
                numbers = [n for n in known[aid] if n < end]
            else:
                numbers = documents_with_ids(kept, {aid}).get(aid, [])
            per_id.append(numbers + in_rest.get(aid, []))
        found[group] = per_id
    return found


def _fits(docnums: dict[int, list[list[int]]], groups: dict[int, list[str]], documents: int) -> bool:
    """Whether recorded document numbers fit a commit's groups and documents (else they are
    looked up again)."""
    return docnums.keys() == groups.keys() and all(
        len(docnums[group]) == len(ids) and all(0 <= n < documents for numbers in docnums[group] for n in numbers)
        for group, ids in groups.items())


def group_column(groups: dict[int, list[str]], searcher: Any, live: np.ndarray, *,
                 keep_alone: bool = False, docnums: dict[int, list[list[int]]] | None = None,
                 names: dict[int, str] | None = None) -> np.ndarray | None:
    """For each document of ``searcher`` (one commit), its group number (``groups``: the commit's,
    from ``read_groups``) when a live copy of it is in the index too, else -1; None when the
    commit has no copies at all. ``docnums``: the members' document numbers as the commit
    recorded them (``read_group_members``), else they are looked up. ``keep_alone``: every live
    member is marked, even alone here (one shard of index-wide groups, whose other copies live
    in the other shards). ``names`` receives the id of each live member (docnum -> id): a hit's
    copies are named without reading their stored fields."""
    if not groups:
        return None
    documents = searcher.doc_count_all()
    if docnums is None or not _fits(docnums, groups, documents):
        docnums = member_docnums(groups, list(searcher.reader().leaf_readers()))
    column = np.full(documents, -1, dtype=np.int64)
    for group, ids in groups.items():
        for aid, numbers in zip(ids, docnums.get(group, [])):
            for docnum in numbers:
                if live[docnum]:
                    column[docnum] = group
                    if names is not None:
                        names[docnum] = aid
    # a group whose other members are gone (deleted meanwhile) is no group
    present = column[column >= 0]
    if len(present) and not keep_alone:
        values, counts = np.unique(present, return_counts=True)
        alone = values[counts < 2]
        if len(alone):
            column[np.isin(column, alone)] = -1
    return column if (column >= 0).any() else None


def _ranking(candidates: np.ndarray, scores: np.ndarray, order: str,
             dates: np.ndarray | None) -> np.ndarray:
    """``candidates`` (docnums) best first, as ``search.matching.top_documents`` ranks them."""
    from search.codec.reading import MISSING_DATE

    cand_scores = scores[candidates]
    if order == "relevance" or dates is None:
        return candidates[np.lexsort((candidates, -cand_scores))]
    cand_dates = dates[candidates]
    key = ~cand_dates if order == "newest" else cand_dates
    return candidates[np.lexsort((candidates, -cand_scores, key, cand_dates == MISSING_DATE))]


def collapse_copies(mask: np.ndarray, scores: np.ndarray, groups: np.ndarray, *, order: str = "relevance",
                    dates: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """``mask`` with every group of copies reduced to its best-ranked member (in the listing's
    ``order``), and how many copies were taken out."""
    grouped = np.flatnonzero(mask)
    grouped = grouped[groups[grouped] >= 0]  # (a pass over the matches, not over every document)
    if len(grouped) < 2:
        return mask, 0
    if order == "relevance" or dates is None:
        # the best of each group without sorting them all: the highest score, then the lowest
        # docnum (as _ranking orders), each found in one pass
        codes = groups[grouped]
        cand_scores = scores[grouped].astype(np.float64)
        best = np.full(int(codes.max()) + 1, -np.inf)
        np.maximum.at(best, codes, cand_scores)
        top = cand_scores == best[codes]
        first = np.full(len(best), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, codes[top], grouped[top])
        dropped = grouped[grouped != first[codes]]
    else:
        ranked = _ranking(grouped, scores, order, dates)
        _, first_rows = np.unique(groups[ranked], return_index=True)
        drop = np.ones(len(ranked), dtype=bool)
        drop[first_rows] = False
        dropped = ranked[drop]
    if not len(dropped):
        return mask, 0
    kept = mask.copy()
    kept[dropped] = False
    return kept, int(len(dropped))


class GroupMembers:
    """The documents of each group of a group column (``group_column``), found by the group
    number: a hit's copies are looked up among its group's members, not among every match."""

    def __init__(self, groups: np.ndarray) -> None:
        self._order = np.argsort(groups, kind="stable")  # by group, each group's docnums ascending
        self._sorted = groups[self._order]

    def copies(self, docnum: int, group: int, mask: np.ndarray) -> np.ndarray:
        """The other documents of ``mask`` in ``group`` (``docnum``'s; -1: none), in index order:
        ``copies_of``."""
        if group < 0:
            return np.zeros(0, dtype=np.int64)
        start, end = np.searchsorted(self._sorted, [group, group + 1])
        found = self._order[start:end]
        found = found[mask[found]]
        others: np.ndarray = found[found != docnum].astype(np.int64, copy=False)
        return others


def top_of_groups(mask: np.ndarray, scores: np.ndarray, groups: np.ndarray, wanted: int, *,
                  order: str = "relevance", dates: np.ndarray | None = None,
                  members: GroupMembers | None = None) -> tuple[int, list[tuple[int, float]], list[np.ndarray]]:
    """``(collapsed, top, copies)``: the first ``wanted`` matches of ``mask`` with every group of
    copies reduced to its best-ranked member, as ``collapse_copies`` then
    ``search.matching.top_documents`` give them (``[(docnum, score), ...]``), how many copies the
    whole set loses, and, with the ``members`` of ``groups``, the copies in ``mask`` of each of
    ``top`` (``copies_of`` each; none without). By relevance only the best-ranked matches are
    sorted: the best of the copies among them is the best of all its group's copies, and the
    first ``wanted`` groups to appear are the listing's."""
    from search.matching import kth_largest, top_documents

    candidates = np.flatnonzero(mask)
    codes = groups[candidates]
    if order != "relevance" and dates is not None:
        kept, collapsed = collapse_copies(mask, scores, groups, order=order, dates=dates)
        top = top_documents(kept, scores, wanted, order=order, dates=dates)[1]
        return collapsed, top, _copies_of_top(top, groups, mask, members)
    grouped = codes[codes >= 0]
    if not len(grouped):
        top = top_documents(mask, scores, wanted)[1]
        return 0, top, [np.zeros(0, dtype=np.int64) for _ in top] if members is not None else []
    present = np.zeros(int(grouped.max()) + 1, dtype=bool)
    present[grouped] = True
    collapsed = len(grouped) - int(np.count_nonzero(present))
    total = len(candidates)
    if wanted <= 0:
        return collapsed, [], []
    cand_scores = scores[candidates]
    # the page takes ``wanted`` entries; each stands for total / (total - collapsed) matches on average
    size = min(total, max(int(4 * wanted * total / max(total - collapsed, 1)), 64))
    while True:
        if size < total:  # the best ``size`` by score, and every match tied with the last of them
            threshold = kth_largest(cand_scores, size)
            rows = np.flatnonzero(cand_scores >= threshold)
        else:
            rows = np.arange(total)
        ranked = rows[np.lexsort((candidates[rows], -cand_scores[rows]))]
        ranked_codes = codes[ranked]
        first = ranked_codes < 0  # not a copy of anything: listed
        distinct, at = np.unique(ranked_codes, return_index=True)
        first[at[distinct >= 0]] = True  # the first of each group in the ranking
        listed = ranked[first]
        if len(listed) >= wanted or len(rows) == total:
            top = [(int(candidates[r]), float(cand_scores[r])) for r in listed[:wanted]]
            return collapsed, top, _copies_of_top(top, groups, mask, members)
        size = min(total, size * 4)


def copies_of(docnum: int, mask: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The other documents of ``mask`` in ``docnum``'s group (docnums, in index order)."""
    group = groups[docnum]
    if group < 0:
        return np.zeros(0, dtype=np.int64)
    found = np.flatnonzero(mask & (groups == group))
    others: np.ndarray = found[found != docnum]
    return others


def _copies_of_top(top: list[tuple[int, float]], groups: np.ndarray, mask: np.ndarray,
                   members: GroupMembers | None) -> list[np.ndarray]:
    """The copies in ``mask`` of each document of ``top`` (none without ``members``)."""
    if members is None:
        return []
    return [members.copies(docnum, int(groups[docnum]), mask) for docnum, _score in top]


def representatives(mask: np.ndarray, groups: np.ndarray | None, ranked: np.ndarray) -> np.ndarray:
    """``ranked`` (docnums of ``mask``, in a listing's order) keeping only the first of each group."""
    if groups is None or not len(ranked):
        return ranked
    codes = groups[ranked]
    grouped = codes >= 0
    if not grouped.any():
        return ranked
    _, first = np.unique(codes[grouped], return_index=True)
    keep = ~grouped
    keep[np.flatnonzero(grouped)[first]] = True
    kept: np.ndarray = ranked[keep]
    return kept
