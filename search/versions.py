"""The versions an index records (``cari.json``) and every open checks: an index written with another
schema or analyzer version is refused with a one-line "rebuild" message (``search.store``).

A module of its own, importing nothing, so that checking an index (``cari index`` with nothing to do,
``cari stats``) loads neither Whoosh nor numpy.
"""

from __future__ import annotations

__all__ = ["ANALYZER_VERSION", "SCHEMA_VERSION"]

# The fields and their on-disk form (``search.fields``, ``search.schema``, ``search.codec``). Bump
# when they change; an index with another version is refused (rebuild it).
# 2: path ids start with the corpus folder's name; published_local; dates always zone-aware.
# 3: canonical sources, section and source_original; near-duplicate signatures and groups.
# 4: title and body (stemmed) keep frequencies only, no positions or character offsets (nothing
#    read them: their phrases go to title_exact and body_exact); posting blocks zlib-compressed;
#    dates are columns only (not indexed); positions as varints (search.codec.formats); url and
#    content_hash stored only (nothing looks them up).
# 5: cari's term dictionary (search.codec.terms: sorted, prefix-compressed, a term's single
#    posting inlined) instead of Whoosh's hash file.
# 6: a posting block's ids and weights packed as arrays (search.codec.formats.PackedIds and
#    PackedWeights) instead of Whoosh's tuples of deltas and floats.
SCHEMA_VERSION = 6

# The analyzer chain (``search.analysis``): bump whenever the terms it makes from a text change.
ANALYZER_VERSION = "id-11"
