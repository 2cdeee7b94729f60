"""``cari serve``: a search page and an HTTP JSON API over a cari index (the ``serve`` extra).

``create_app(index_dir, token=None)`` (in ``search.server.app``) builds the FastAPI app; ``cari
serve`` runs it on uvicorn. Importing this package imports FastAPI, so nothing on the path of
``cari search`` imports it.
"""

from __future__ import annotations

from search.server.app import create_app, create_app_from_environment

__all__ = ["create_app", "create_app_from_environment"]
