"""Text repair before any analysis: decoding bytes, mojibake, whitespace, boilerplate, scraper holes.

Everything here is pure (str in, str out) and cheap on clean text: the expensive ftfy pass only runs
where a precompiled regex finds the fingerprint of mojibake, because ftfy over every record of the
shared corpus costs ~20 s while the check costs well under a second.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

# --- decoding ------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class NotText(ValueError):
    """The bytes are not text in any encoding cari accepts (a binary file)."""


def _looks_like_utf16_without_bom(data: bytes) -> str | None:
    """Name the UTF-16 byte order when every other byte of ASCII-range text is NUL, else None."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.9 * half and even_nuls < 0.1 * half:
        return "utf-16-le"
    if even_nuls > 0.9 * half and odd_nuls < 0.1 * half:
        return "utf-16-be"
    return None


def _is_binary(text: str) -> bool:
    """True when decoded text holds NULs or many control characters: a binary file, not news."""
    sample = text[:8192]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return controls > max(8, len(sample) // 100)


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a file's bytes to text and name the encoding used.

    Order: a BOM wins; then UTF-16 without BOM (NUL pattern); then strict UTF-8, which also catches
    pages whose declared charset lies (kapanlagi declares iso-8859-1 but is UTF-8); then the declared
    charset; then Windows-1252, which decodes any byte. Raises ``NotText`` for binary content.
    """
    text: str | None = None
    encoding = ""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data.decode(name), name
            except UnicodeDecodeError as exc:
                raise NotText(f"starts with a {name} byte-order mark but is not valid {name}") from exc
            break
    if text is None:
        utf16 = _looks_like_utf16_without_bom(data)
        if utf16:
            try:
                text, encoding = data.decode(utf16), utf16
            except UnicodeDecodeError:
                text = None
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = None
    if text is None and declared:
        try:
            codecs.lookup(declared)
            text, encoding = data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, encoding = _decode_legacy(data)
    if _is_binary(text):
        raise NotText("binary content (NUL or control bytes), not text")
    return text, encoding


def _decode_legacy(data: bytes) -> tuple[str, str]:
    # Any byte decodes as cp1252 except five holes; latin-1 fills those.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def decode_line(data: bytes) -> str:
    """Decode one line (or record) of a file read as a stream (``line_encoding``): strict UTF-8,
    else Windows-1252 (``decode_bytes``' fallback), so one bad byte costs its own line only."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy(data)[0]


def line_encoding(head: bytes) -> str | None:
    """How a file that starts with ``head`` decodes line by line: ``"utf-8-sig"`` (a UTF-8 BOM to
    drop from the first line), ``"utf-8"`` (``decode_line`` for every line), or None when it must
    be decoded whole (``decode_bytes``: UTF-16 or UTF-32, with or without BOM, whose newlines are
    not single bytes). Raises ``NotText`` when the head is binary, as ``decode_bytes`` would."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return "utf-8-sig" if name == "utf-8-sig" else None
    if _looks_like_utf16_without_bom(head):
        return None
    # The check counts NULs and C0 controls, the same characters in every encoding this allows;
    # the incremental decoder keeps a multi-byte sequence cut at the end of the head whole.
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=False)
    if _is_binary(text):
        raise NotText("binary content (NUL or control bytes), not text")
    return "utf-8"


# --- mojibake --------------------------------------------------------------------------------------


def _mojibake_pattern() -> re.Pattern[str]:
    """A regex for a UTF-8 lead byte followed by a continuation byte, as they look when UTF-8 was
    decoded as Mac-Roman, Windows-1252 or Latin-1: the fingerprint of every mojibake we repair."""
    leads: set[str] = set()
    conts: set[str] = set()
    for enc in ("mac_roman", "cp1252", "latin-1"):
        for b in range(0xC2, 0xF5):
            try:
                leads.add(bytes([b]).decode(enc))
            except UnicodeDecodeError:
                pass
        for b in range(0x80, 0xC0):
            try:
                conts.add(bytes([b]).decode(enc))
            except UnicodeDecodeError:
                pass
    # Curly quotes and dashes are Mac-Roman "leads" too; clean text has them next to letters, which
    # are never continuation characters, so they cost nothing.
    lead_class = "".join(re.escape(c) for c in sorted(leads))
    cont_class = "".join(re.escape(c) for c in sorted(conts))
    return re.compile(f"[{lead_class}][{cont_class}]")


MOJIBAKE = _mojibake_pattern()


def _damage(text: str) -> int:
    """0: no mojibake; 1: weak signs (ftfy's judgement only); 2: strong signs of damage."""
    # Measured: the regex alone is 3x cheaper than building set(text) first to rule texts out.
    if text.isascii() or MOJIBAKE.search(text) is None:
        return 0
    # A fingerprint next to a strong sign of damage: Indonesian text in UTF-8 gets its mojibake from
    # é, NBSP, curly quotes, dashes and emoji, which show Ã, Â, â€ (Windows-1252) or ¬, √, ‚, \uf8ff
    # (Mac-Roman). Without one, ftfy's own judgement decides: "72Ï¥àTV" (Korean 초 through Mac-Roman)
    # is damage, "–ß" is a dash and a German letter.
    if _BAD_CHARS.search(text) is not None:
        return 2
    from ftfy.badness import is_bad

    return 1 if is_bad(text) else 0


def has_mojibake(text: str) -> bool:
    """The cheap check: does ``text`` show mojibake? One precompiled character-class regex scan
    rules out nearly every clean text; only the rest gets a closer look. A lone ``Â`` (what is left
    of an NBSP, which ``fix_mojibake`` removes) counts too."""
    return _damage(text) > 0 or ("Â" in text and _LONE_A_CIRCUMFLEX.search(text) is not None)


# Characters that only appear in mojibake in Indonesian news (Mac-Roman ¬ √ ≈ ‚Ä, Latin-1 Ã Å Â â€).
# U+F8FF is Mac-Roman's 0xF0, the lead byte of every emoji in UTF-8 ("\uf8ffüòä" is 😊).
# "‚" (U+201A, Mac-Roman's 0xE2) leads every Mac-Roman-damaged quote, dash and symbol (‚Äú, ‚ù§);
# Indonesian text does not use it.
_BAD_CHARS = re.compile("[¬√≈ÃÅÂ‚\uf8ff\u0080-\u009f]|â€")

_FTFY_CONFIG = None
_LONE_A_CIRCUMFLEX = re.compile(r"(?:(?<=\s)|^)Â(?=\s|$)")
_SPLIT_QUOTE = re.compile("â€ (?=[\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122])")


def _ftfy_fix(text: str) -> str:
    """ftfy's encoding repair, without its cosmetic changes (quotes, ligatures, widths stay)."""
    global _FTFY_CONFIG
    import ftfy  # imported lazily: most texts never need it

    if _FTFY_CONFIG is None:
        _FTFY_CONFIG = ftfy.TextFixerConfig(
            unescape_html=False,
            remove_terminal_escapes=False,
            uncurl_quotes=False,
            fix_latin_ligatures=False,
            fix_character_width=False,
            fix_line_breaks=False,
            remove_control_chars=False,
            explain=False,
        )
    return ftfy.fix_text(text, _FTFY_CONFIG)


def _badness(text: str) -> int:
    return len(MOJIBAKE.findall(text)) + len(_BAD_CHARS.findall(text))


_WORD_AROUND = re.compile(r"\S+")
# What a repaired word may hold: ASCII, Latin letters with diacritics, punctuation, currency signs.
_PLAUSIBLE = re.compile("[\x20-\x7e\u00a0-\u024f\u2010-\u206f\u20a0-\u20cf\u2100-\u214f]*")


def _fix_word(word: str) -> str:
    """Re-decode one word of leftover mojibake when that clearly makes it better, else keep it.

    This catches what ftfy leaves alone because it is too short to be sure, such as the seed's
    ``AktaÅŸ`` (Aktaş through Windows-1252). Only a word whose re-decoding succeeds and removes every
    mojibake fingerprint is replaced.
    """
    import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252

    if not _BAD_CHARS.search(word):
        return word  # no strong sign of damage ("ß–" is a German word and a dash)
    best, best_bad = word, _badness(word)
    for enc in ("sloppy-windows-1252", "mac_roman", "latin-1"):
        try:
            candidate = word.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        bad = _badness(candidate)
        if bad == 0 and bad < best_bad and len(candidate) < len(word) and _PLAUSIBLE.fullmatch(candidate):
            best, best_bad = candidate, bad
    return best


def _fix_words(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        return _fix_word(word) if MOJIBAKE.search(word) else word

    return _WORD_AROUND.sub(repl, text)


# On weak signs only, a repair must give characters Indonesian news plausibly holds (Latin, Greek
# letters of science, symbols and emoji, Arabic, Hangul, CJK, kana); "”ß" read as Cyrillic "ӧ" is refused.
_PLAUSIBLE_REPAIR = re.compile(
    "[\x00-\u024f\u0370-\u03ff\u2000-\u206f\u20a0-\u20cf\u2100-\u21ff\u2600-\u27bf\u3000-\u30ff\u3130-\u318f\u4e00-\u9fff\uac00-\ud7af"
    "\u0600-\u06ff\ufb50-\ufdff\ufe00-\ufe0f\ufe70-\ufeff\U0001f000-\U0001faff]*"
)


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 text that was decoded with the wrong single-byte charset; clean text is
    returned unchanged (the same object).

    Step 1, only when the cheap check finds damage: the whole text re-encoded as Mac-Roman (click-id's
    damage, fast and exact when it round-trips), else ftfy. Step 2: word by word for what is left.
    On weak signs only (no Ã, Â, â€, ¬, √, ‚), just the exact Mac-Roman round trip is tried, and its
    result must hold plausible characters.
    """
    if "Â" in text and _LONE_A_CIRCUMFLEX.search(text):
        # What is left of an NBSP ("Â\xa0") once a tokenizer dropped the NBSP: never a word.
        text = _LONE_A_CIRCUMFLEX.sub("", text)
    damage = _damage(text)
    if not damage:
        return text
    original = text
    if "â€ " in text:
        # IndoSum's tokenizer split mojibake quotes apart ("â€ ™" for ’, "â€ ”" for —): rejoin them
        # first, or the space reads as the NBSP byte and gives a dagger (†).
        text = _SPLIT_QUOTE.sub("â€", text)
    try:
        candidate: str | None = text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        candidate = None
    if candidate is not None and not MOJIBAKE.search(candidate) and not _BAD_CHARS.search(candidate):
        fixed = candidate
    elif damage == 1:
        return original  # weak signs alone never send a text through ftfy's guesses
    else:
        fixed = _ftfy_fix(text)
    if has_mojibake(fixed):
        fixed = _fix_words(fixed)
    # Repaired text may come out decomposed (CafeÃÅ is Cafe + U+0301); store it composed.
    fixed = unicodedata.normalize("NFC", fixed)
    if damage == 1 and not _PLAUSIBLE_REPAIR.fullmatch("".join(set(fixed) - set(original))):
        return original
    return original if fixed == original else fixed


# --- whitespace ---------------------------------------------------------------------------------

_SPACE_LIKE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
# One scan for everything to replace or delete: other spaces, zero-width characters, soft hyphens,
# control characters (newlines are kept).
_ODD_CHARS = re.compile(
    "[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0e-\x1f\x7f]"
)
_TO_SPACE = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\f\v")
_MULTI_SPACE = re.compile(r" {2,}")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _replace_odd(match: re.Match[str]) -> str:
    return " " if match.group(0) in _TO_SPACE else ""


def normalize_whitespace(text: str, keep_paragraphs: bool = True) -> str:
    """NBSP and other spaces to a plain space, zero-width characters and soft hyphens removed,
    runs of spaces collapsed, lines trimmed, paragraphs separated by exactly one blank line
    (or everything on one line when ``keep_paragraphs`` is false)."""
    # Every step is guarded by a cheap test: this runs on every field of every record.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ODD_CHARS.sub(_replace_odd, text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if not keep_paragraphs:
        return " ".join(text.split())
    if "  " in text:
        text = _MULTI_SPACE.sub(" ", text)
    if "\n" in text:
        if " \n" in text or "\n " in text:
            text = _SPACE_AROUND_NEWLINE.sub("\n", text)
        if "\n\n\n" in text:
            text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


# --- boilerplate and scraper holes -------------------------------------------------------------------

# A "Baca juga" (read also) link line, or an inline one in a joined paragraph. The inline title ends
# at a quote, at a comma join, or where the next paragraph was glued on ("AustraliaNamun").
_READ_ALSO_WORDS = r"(?:Baca|BACA|Lihat|LIHAT|Simak|SIMAK)\s+(?:[Jj]uga|JUGA)"
_READ_ALSO_FIRST_WORDS = ("Baca", "BACA", "Lihat", "LIHAT", "Simak", "SIMAK")
_READ_ALSO_LINE = re.compile(rf"^[ \t]*{_READ_ALSO_WORDS}\b.*$", re.MULTILINE)
_READ_ALSO_INLINE = re.compile(
    rf"{_READ_ALSO_WORDS}\s*:?\s*"
    r"(?:[^\"“”,\n]*?(?=[\"“]|,|\n|$|(?<=[a-z0-9?!)])(?=[A-Z][a-z]))|)"
)


def drop_read_also(text: str) -> str:
    """Remove "Baca juga:" / "Lihat juga:" link lines and their inline remnants."""
    if not any(word in text for word in _READ_ALSO_FIRST_WORDS):
        return text
    text = _READ_ALSO_LINE.sub("", text)
    return _READ_ALSO_INLINE.sub(" ", text)


# click-id's scraper joined <p> texts with "," and dropped link text, leaving "atau , (,) LRT",
# "Pelatih ,, Gareth", ".,Kepala ..." where paragraphs met, and a leading ", - " where the dateline was.
# The patterns start with a literal or a class, never with \s* or a lookbehind: that keeps them fast.
_CLICK_LEADING = re.compile(r"^[\s,]*(?:[-–—]\s*)?(?:[,\s]*)")
_CLICK_EMPTY_PARENS = re.compile(r"\(\s*,?\s*\)")
_CLICK_COMMA_PARENS = re.compile(r"\(\s*,\s*\)")
_CLICK_EMPTY_QUOTES = re.compile(r"[\"“](?<![\w][\"“])\s*,\s*[\"”](?![\w])")
# A comma right after a sentence end and glued to the next word (".,Kepala"), or a run of commas
# there (".,,Baca"), is where two paragraphs met; "S.H., M.H." keeps its space and so survives.
_CLICK_PARAGRAPH_JOIN = re.compile(r"([.!?\"”’)]) ?(?:,(?=[^\s\d,])|\s*,(?:\s*,)+\s*)")
# A comma glued to an opening quote or a capital ("dan ,“Sekarang") is a join after a hole; a
# closing quote after a comma (`ketentuan," ujar`) is not.
_CLICK_GLUE_JOIN = re.compile(r",(?=[\"“‘]\w|[A-Z])")
_CLICK_HOLES = re.compile(r",(?:\s*,)+")
# A comma with a space before and a word glued after ("memilih ,yang") is a hole, not punctuation.
_CLICK_HOLE_BEFORE_WORD = re.compile(r" ,(?=[^\s\d,])")
# A comma glued to a lowercase word ("membuat,khawatir", "Istri,tersebut") is where a linked name was.
_CLICK_GLUED_HOLE = re.compile(r",(?=[a-z])")


def looks_comma_joined(body: str) -> bool:
    """True for a click-id style body: paragraphs joined by commas, (almost) no newlines, holes."""
    if body.count("\n\n") >= 3:
        return False
    if ".," in body or ",," in body or ", ," in body or ". ," in body or body.lstrip().startswith(("-", ",")):
        return True
    # One paragraph with holes only where links were ("memiliki , berminyak", "memilih\xa0,yang").
    return "\n\n" not in body and (" ," in body or "\xa0," in body)


def _paragraph_break_after(match: re.Match[str]) -> str:
    return match.group(1) + "\n\n"


def repair_comma_joined(body: str) -> str:
    """Turn a click-id comma-joined body back into paragraphs and close the scraper holes."""
    body = body.replace("\n", " ")
    if "(" in body:
        body = _CLICK_EMPTY_PARENS.sub("", body)
    body = _CLICK_LEADING.sub("", body, count=1)
    if '",' in body or "“," in body or '" ,' in body or "“ ," in body:
        body = _CLICK_EMPTY_QUOTES.sub("", body)
    body = _CLICK_PARAGRAPH_JOIN.sub(_paragraph_break_after, body)
    body = _CLICK_GLUE_JOIN.sub("\n\n", body)
    body = _CLICK_HOLES.sub(" ", body)
    body = _CLICK_HOLE_BEFORE_WORD.sub(" ", body)
    body = _CLICK_GLUED_HOLE.sub(" ", body)
    # A hole before punctuation leaves "pengacara ,." and "Presenter , sudah".
    while " ," in body or "  " in body:
        body = body.replace("  ", " ").replace(" ,", ",")
    return body.replace(",.", ".").replace(" .", ".")


def clean_text(text: str | None, keep_paragraphs: bool = True) -> str:
    """The whole repair chain for one field: mojibake, whitespace, "Baca juga" lines."""
    if not text:
        return ""
    text = fix_mojibake(text)
    if keep_paragraphs:
        text = drop_read_also(text)
    return normalize_whitespace(text, keep_paragraphs=keep_paragraphs)


def clean_body(text: str | None) -> str:
    """``clean_text`` for an article body, first undoing click-id's comma joins where present."""
    if not text:
        return ""
    text = fix_mojibake(text)
    if looks_comma_joined(text):
        text = repair_comma_joined(_SPACE_LIKE.sub(" ", text) if not text.isascii() else text)
    elif "(," in text or "( ," in text:
        text = _CLICK_COMMA_PARENS.sub("", text)  # "(,)" is a hole whatever the layout
    return normalize_whitespace(drop_read_also(text))


def clean_line(text: str | None) -> str:
    """``clean_text`` for a one-line field (title, author, caption)."""
    if not text:
        return ""
    return normalize_whitespace(fix_mojibake(text), keep_paragraphs=False)


def clean_title(text: str | None) -> str:
    """``clean_line`` plus closing click-id's scraper holes (``Sukses di ,, Riri``) in a title."""
    text = clean_line(text)
    if ",," in text or ", ," in text:
        text = " ".join(_CLICK_HOLES.sub(" ", text).split()).replace(" ,", ",")
    return text
