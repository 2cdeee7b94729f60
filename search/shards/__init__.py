"""A sharded cari index: N complete cari indexes (shards) that answer as one.

Layout of a sharded index directory::

    index/
      cari-shards.json        the sharded commit: shard count, routing rule, versions, and for each
                              shard the directory, generation and commit that belong to it; the
                              size and CRC-32 of the files below (replaced atomically: the commit
                              point of the whole index)
      cari-state-<n>.json     the corpus behind sharded commit n (roots, files, every article)
      cari-signatures-<n>.bin, cari-duplicates-<n>.json
                              near-duplicates over all the shards (``search.duplicates``)
      LOCK                    the writer lock of the whole index
      shard-000/ ... shard-NNN/
                              each a complete cari index (``search.store``: CURRENT, LOCK,
                              generations, manifests, checksums) of the articles routed to it

Articles are routed by a stable hash of their id (``layout.shard_of``: BLAKE2b of the id's UTF-8,
mod N), so an update or a deletion reaches the shard that holds the article; N is fixed when the
index is created (changing it is a rebuild). Modules:

- ``layout``: routing, the sharded commit, opening, recovery, ``stats`` and ``check``;
- ``indexing``: ``cari index --shards N`` (the corpus read once, each worker writing one segment
  per shard);
- ``engine``: what one shard answers (statistics of a query's terms, its top documents scored with
  global statistics, hits, counts);
- ``coordinator``: ``ShardedIndex``, the ``search.Index`` API over the shards (two phases, as
  Elasticsearch's dfs_query_then_fetch), merged exactly;
- ``pool``: the shards searched in worker processes of this machine;
- ``cluster``: the same on a Dask cluster (``pip install cari[cluster]``).
"""

from __future__ import annotations

from search.shards.layout import SHARDS_FILE, is_sharded, shard_of

__all__ = ["SHARDS_FILE", "is_sharded", "shard_of"]
