"""Whoosh's on-disk format as cari writes and reads it.

``search.codec.writing`` writes segments (imported by the indexer only); the search path reads
them through ``search.matching``.
"""
