"""Sharded indexes: N shards, each a complete cari index of the articles routed to it, searched
as one index ranks (the global statistics of a query's terms first, then every shard's top hits,
merged exactly).

- ``layout``: routing (``shard_of``), the manifest ``cari-shards.json``, stats and check;
- ``indexing``: ``cari index --shards N`` (each shard's run keeps its own articles; near-duplicate
  groups settled over all the shards);
- ``engine``: what one shard answers (statistics of a query's terms, its top documents scored with
  the global statistics, counts, hits);
- ``coordinator``: ``ShardedIndex``, the ``search.Index`` API over the shards, in this process or
  in a pool of worker processes.
"""

from __future__ import annotations

from search.shards.layout import SHARDS_FILE, is_sharded, shard_of

__all__ = ["SHARDS_FILE", "is_sharded", "shard_of"]
