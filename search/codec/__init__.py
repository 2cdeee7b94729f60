"""Whoosh's on-disk format as cari writes and reads it, in one place.

``search.codec.writing`` writes segments (imported by the indexer only, it loads Whoosh's writing
machinery); ``search.codec.reading`` reads posting lists and columns as numpy arrays for searching;
``search.codec.terms`` is the segments' codec (``CariCodec``, Whoosh's W3 with cari's term
dictionary) and ``search.codec.formats`` the varint positions and the packed values of a posting
block; ``search.codec.assembly`` puts the parts a parallel build's workers write into one
segment. Whoosh's own reader reads every segment cari writes (through the codec it finds pickled
with each segment).
"""

# Whoosh pickles posting blocks with protocol 2, in which each value (bytes) becomes a call of
# _codecs.encode(latin-1 text): 9 times slower to write than protocol 3's raw bytes, and 40% larger
# for a block of position values. Whoosh reads any protocol (pickle.loads), and so does the reader.
BLOCK_PICKLE_PROTOCOL = 3
