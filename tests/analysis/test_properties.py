"""Property tests: any text in, no exception; offsets always inside the text and on the token."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from search.analysis import analyze, indonesian_analyzer, normalize, stem, surface_analyzer

# Text mixing Indonesian-looking words, digits, punctuation the tokenizer treats specially and
# arbitrary Unicode (accents, combining marks, full-width forms, emoji, surrogate-free code points).
pieces = st.one_of(
    st.sampled_from(
        ["rekan", "-", "'", "’", ".", ",", "@", "://", "www.", "Rp", "1", "000", "A.", "nya", "kan", "di", " ", "\n"]
    ),
    st.text(max_size=8),
    st.text(alphabet=st.characters(min_codepoint=0x00C0, max_codepoint=0x024F), max_size=6),
    st.text(alphabet=st.characters(min_codepoint=0x0300, max_codepoint=0x036F), max_size=3),
    st.text(alphabet=st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E), max_size=4),
)
texts = st.lists(pieces, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_analyze_never_fails_and_offsets_point_at_the_surface(text: str) -> None:
    previous = -1
    for token in analyze(text):
        assert 0 <= token.start < token.end <= len(text)
        assert text[token.start : token.end] == token.text
        assert token.normalized == normalize(token.text)
        assert token.stem
        assert token.position >= previous
        previous = token.position


@settings(max_examples=300, deadline=None)
@given(texts)
def test_surface_analyzer_offsets_and_text(text: str) -> None:
    for token in surface_analyzer()(text, positions=True, chars=True):
        assert 0 <= token.startchar < token.endchar <= len(text)
        assert token.text == normalize(text[token.startchar : token.endchar])
        assert token.text


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=1000))
def test_start_pos_and_start_char_are_honoured(text: str, start_pos: int, start_char: int) -> None:
    tokens = list(
        (t.pos, t.startchar, t.endchar)
        for t in indonesian_analyzer()(text, positions=True, chars=True, start_pos=start_pos, start_char=start_char)
    )
    for pos, startchar, endchar in tokens:
        assert pos >= start_pos
        assert start_char <= startchar < endchar <= start_char + len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_stem_accepts_any_string(word: str) -> None:
    assert isinstance(stem(word), str)
