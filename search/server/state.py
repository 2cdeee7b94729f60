"""The one ``Index`` a server process searches, opened on first use.

Opening is lazy so that ``cari serve`` can start before the first ``cari index``: until an index
exists every request gets 503, and the first request after the index appears opens it. An index
that disappears or must be rebuilt (``IndexNotFound``/``IndexIncompatible`` raised by a search) is
dropped, and opened afresh by the next request. Commits are picked up by ``Index.refresh``, which
every search calls itself.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from search.errors import CariError

__all__ = ["IndexHolder"]


class IndexHolder:
    """Gives the shared ``search.Index`` of ``index_dir``, opening it when needed."""

    def __init__(self, index_dir: str | os.PathLike[str], *, time_limit: float | None = None,
                 cluster: str | None = None, replicas: int = 1) -> None:
        self.index_dir = Path(os.path.abspath(index_dir))
        self.time_limit = time_limit
        self.cluster = cluster  # a sharded index searched on a Dask cluster (search.shards.cluster)
        self.replicas = replicas
        self._index: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The open index; raises ``IndexNotFound``/``IndexIncompatible`` when there is none."""
        index = self._index
        if index is not None:
            return index
        with self._lock:
            if self._index is None:
                from search.query import DEFAULT_TIME_LIMIT, open_index

                limit = DEFAULT_TIME_LIMIT if self.time_limit is None else self.time_limit
                self._index = open_index(self.index_dir, time_limit=limit, cluster=self.cluster,
                                         replicas=self.replicas)
            return self._index

    def forget_after(self, error: CariError) -> None:
        """Drop the open index after it raised ``error``, when that means the index is gone, stale
        or damaged (an error answered 503: ``IndexNotFound``, ``IndexIncompatible``...).

        The old object is not closed: another thread may still be answering with it; its files
        close when the last reference goes."""
        from search.server.errors import error_status

        if error_status(error) == 503:
            with self._lock:
                self._index = None

    def close(self) -> None:
        """Close the open index (at server shutdown)."""
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None
