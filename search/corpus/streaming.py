"""Reading JSONL and JSON files as streams, with bounded memory: lines, and the items of an array.

No record is ever held past ``limit`` bytes (characters for JSON arrays, which are decoded text):
an over-long JSONL line is skipped up to its newline, an over-long array item up to its end, and
each is reported for itself. The format's meaning (what a record is) lives in ``search.corpus.jsonl``;
this module only cuts a byte stream into records.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from search.corpus.limits import MAX_RECORD_BYTES
from search.corpus.repair import decode_line

# Bytes read at a time (a line is read by ``readline``; a JSON array through a refilled buffer).
CHUNK_BYTES = 1024 * 1024


def iter_lines(handle: BinaryIO, limit: int = MAX_RECORD_BYTES, end: int | None = None) -> Iterator[bytes | int]:
    """The lines of ``handle`` from its position, without their ``\\n``: each as bytes, or as its
    length (an int) when it is longer than ``limit`` (skipped to its newline, never held whole).

    Lines are what ``data.split(b"\\n")`` gives, so a file ending in a newline ends with an empty
    line. With ``end`` (a byte offset at the start of a line), the lines that start before it only,
    and no empty line after the last.
    """
    position = handle.tell()
    ended_line = True  # the last piece read ended with a newline (or nothing was read)
    while end is None or position < end:
        line = handle.readline(limit + 1)
        if not line:
            break
        position += len(line)
        if line.endswith(b"\n"):
            yield line[:-1]
            continue
        if len(line) <= limit:  # the last line, without a newline
            ended_line = False
            yield line
            break
        length = len(line)
        while True:  # over the limit: skip the rest of the line a chunk at a time
            piece = handle.readline(CHUNK_BYTES)
            position += len(piece)
            if piece.endswith(b"\n"):
                length += len(piece) - 1
                break
            length += len(piece)
            if not piece:
                ended_line = False
                break
        yield length
        if not ended_line:
            break
    if ended_line and end is None:
        yield b""


@dataclass(frozen=True, slots=True)
class Problem:
    """A part of a JSON stream that is no record: ``item`` its index in the array (None outside
    one), ``line`` where it is when known."""

    item: int | None
    line: int | None
    reason: str


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_IN_STRING = re.compile(r'["\\]')
_STRUCTURE = re.compile(r'["\[\]{}]')
_SCALAR_END = re.compile(r"[,\]}\s]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# A decoding error this far before the end of the text read so far is in the JSON, not in where
# the text was cut (an incomplete value fails at its very end, an unterminated string at its start).
_SLACK = 16


class JsonText:
    """The decoded text of a JSON stream, read a chunk at a time: a window ``text[pos:]`` of it,
    with what was dropped before counted, so errors give lines and columns of the whole file.

    Bytes that are not UTF-8 are kept as escapes (``surrogateescape``); a record holding any is
    decoded again alone with ``decode_line`` (Windows-1252), as a JSONL line would be.
    """

    def __init__(self, handle: BinaryIO, limit: int = MAX_RECORD_BYTES) -> None:
        self.handle = handle
        self.limit = limit
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text = ""
        self.pos = 0
        self.dropped = 0  # characters dropped before ``text``
        self.dropped_lines = 0  # newlines among them
        self.line_start = 0  # offset (in the file's characters) of the line ``text`` starts in
        self.eof = False
        self.escaped = False  # some bytes were not UTF-8
        self.started = False
        self._decoder = json.JSONDecoder()

    def more(self, size: int = CHUNK_BYTES) -> bool:
        """Read about ``size`` more bytes (dropping the text before ``pos``); False at the end."""
        if self.eof:
            return False
        data = self.handle.read(size)
        text = self.decoder.decode(data, final=not data)
        if not data:
            self.eof = True
        if not self.started:
            self.started = True
            if text.startswith("\ufeff"):
                text = text[1:]
                self.dropped += 1
                self.line_start += 1
        if not self.escaped and _ESCAPED_BYTE.search(text):
            self.escaped = True
        if self.pos:
            gone = self.text[: self.pos]
            newlines = gone.count("\n")
            if newlines:
                self.dropped_lines += newlines
                self.line_start = self.dropped + gone.rindex("\n") + 1
            self.dropped += self.pos
            self.text = self.text[self.pos:]
            self.pos = 0
        self.text += text
        return bool(data) or bool(text)

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), without taking it."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos: self.pos + 1]

    def take(self) -> str:
        """The next character that is not whitespace, taken."""
        char = self.peek()
        self.pos += len(char)
        return char

    def where(self, pos: int | None = None) -> tuple[int, int, int]:
        """(line, column, character offset) of ``pos`` (default the current one) in the file."""
        pos = self.pos if pos is None else pos
        line = self.dropped_lines + self.text.count("\n", 0, pos) + 1
        newline = self.text.rfind("\n", 0, pos)
        column = pos - newline if newline >= 0 else self.dropped + pos - self.line_start + 1
        return line, column, self.dropped + pos

    def error(self, message: str, pos: int | None = None) -> tuple[int, str]:
        """The line and the reason for a JSON syntax error at ``pos``, worded as ``json`` words it."""
        line, column, char = self.where(pos)
        text = f"{message}: line {line} column {column} (char {char})"
        return line, f"not valid JSON ({text if len(text) < 120 else text[:117] + '...'})"

    def value(self) -> tuple[str, Any]:
        """Decode the next value: ``("value", v)``, ``("long", characters)`` when it is over the
        limit (skipped), ``("deep", line)`` when nested too deeply (skipped), or ``("bad", (line,
        reason))`` for a syntax error (the text stays where the value starts)."""
        self.peek()
        want = 64 * 1024
        while True:
            if len(self.text) - self.pos < want and not self.eof:
                self.more(want)
            start = self.pos
            try:
                found, end = self._decoder.raw_decode(self.text, start)
            except json.JSONDecodeError as exc:
                if self.eof or exc.pos < len(self.text) - _SLACK and not exc.msg.startswith("Unterminated string"):
                    return "bad", self.error(exc.msg, exc.pos)
            except RecursionError:
                line = self.where()[0]
                return ("deep", line) if self.skip() else ("bad", self.error("Unterminated value"))
            else:
                # A number could go on past the text read so far: complete only with text after it.
                if end < len(self.text) or self.eof:
                    if end - start > self.limit:
                        self.pos = end
                        return "long", end - start
                    if self.escaped and _ESCAPED_BYTE.search(self.text, start, end):
                        found = json.loads(decode_line(self.text[start:end].encode("utf-8", "surrogateescape")))
                    self.pos = end
                    return "value", found
            if len(self.text) - self.pos > self.limit:
                size = self.skip()
                return ("long", size) if size else ("bad", self.error("Unterminated value"))
            want = max(2 * (len(self.text) - self.pos), 64 * 1024)

    def skip(self) -> int:
        """Skip the value that starts here without holding it (brackets and strings counted);
        returns its length in characters, or 0 when the text ends inside it."""
        self.peek()
        begin = self.dropped + self.pos
        text, i = self.text, self.pos
        if text[i: i + 1] not in ('"', "[", "{"):  # a number or a literal: up to its end
            while (match := _SCALAR_END.search(self.text, self.pos)) is None:
                self.pos = len(self.text)
                if not self.more():
                    return self.dropped + self.pos - begin
            self.pos = match.start()
            return self.dropped + self.pos - begin
        depth, in_string = 0, False
        while True:
            text, i = self.text, self.pos
            while True:
                if in_string:
                    match = _IN_STRING.search(text, i)
                    if match is None:
                        i = len(text)
                        break
                    if match.group() == "\\":
                        if match.end() >= len(text):  # what it escapes is in the next chunk
                            i = match.start()
                            break
                        i = match.end() + 1
                        continue
                    in_string, i = False, match.end()
                    if depth == 0:
                        self.pos = i
                        return self.dropped + i - begin
                    continue
                match = _STRUCTURE.search(text, i)
                if match is None:
                    i = len(text)
                    break
                char, i = match.group(), match.end()
                if char == '"':
                    in_string = True
                elif char in "[{":
                    depth += 1
                else:
                    depth -= 1
                    if depth <= 0:
                        self.pos = i
                        return self.dropped + i - begin
            self.pos = i
            if not self.more():
                return 0

    def items(self) -> Iterator[tuple[int, Any] | Problem]:
        """The items of the array whose ``[`` was just taken: ``(index, value)`` or a Problem; a
        syntax error between items ends the array (a Problem without an item)."""
        index = 0
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            kind, found = self.value()
            if kind == "value":
                yield index, found
            elif kind == "long":
                yield Problem(index, None, f"record over the {self.limit / 2**20:g} MiB limit for one record "
                                           f"({found / 1e6:.1f} MB), skipped")
            elif kind == "deep":
                yield Problem(index, found, "not valid JSON (nested too deeply)")
            else:
                line, reason = found
                # Resynchronise on the item's brackets when they match (a missing comma inside).
                if self.skip() and self.peek() in (",", "]"):
                    yield Problem(index, line, reason)
                else:
                    yield Problem(None, line, reason)
                    return
            char = self.take()
            if char == "]":
                return
            if char != ",":
                line, reason = self.error("Expecting ',' delimiter", self.pos - len(char))
                yield Problem(None, line, reason)
                return
            index += 1

    def members(self, wanted: tuple[str, ...]) -> Iterator[tuple[int, Any] | Problem | str]:
        """The object whose ``{`` was just taken, read as a container: the items of its first
        array under one of the ``wanted`` keys (first yielding that key), the other members skipped."""
        found = False
        while True:
            char = self.peek()
            if char == "}":
                self.pos += 1
                return
            kind, key = self.value() if char == '"' else ("bad", self.error("Expecting property name enclosed in double quotes"))
            if kind != "value" or not isinstance(key, str):
                yield Problem(None, *key) if kind == "bad" else Problem(None, None, "not valid JSON (a key too long)")
                return
            if self.take() != ":":
                yield Problem(None, *self.error("Expecting ':' delimiter", self.pos - 1))
                return
            if not found and key in wanted and self.peek() == "[":
                found = True
                self.pos += 1
                yield key
                yield from self.items()
            elif not self.skip():
                yield Problem(None, *self.error("Unterminated value"))
                return
            char = self.take()
            if char == "}":
                return
            if char != ",":
                yield Problem(None, *self.error("Expecting ',' delimiter", self.pos - len(char)))
                return
