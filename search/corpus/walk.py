"""Finding the files of a corpus: recursive, sorted, deterministic, safe against symlink loops."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from search.corpus.article import ReadError
from search.errors import CorpusNotFound

JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
CORPUS_SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the corpus root as a posix string (the root's own name for a file root)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return path.as_posix()
    text = rel.as_posix()
    return path.name if text in ("", ".") else text


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop: the link points back to itself or to a link that does"
    if exc.errno == errno.ENOENT:
        return "broken symlink: its target does not exist"
    if isinstance(exc, PermissionError):
        return "permission denied: cannot be read by this user"
    return f"cannot be read: {exc.strerror or exc}"


def is_corpus_file(name: str) -> bool:
    """True for names cari reads in a directory walk (by extension; hidden files are never read)."""
    if name.startswith("."):
        return False
    return os.path.splitext(name)[1].lower() in CORPUS_SUFFIXES


def iter_corpus_files(root: Path, errors: list[ReadError], base: Path | None = None) -> Iterator[Path]:
    """Yield the files to read under ``root`` (or ``root`` itself when it is a file), sorted by path.

    Directories are walked recursively in name order, following symlinks; a symlink loop, a broken
    link, a directory that cannot be listed or a special file is appended to ``errors`` and skipped.
    Files with other extensions (README.md, MANIFEST.tsv...) and hidden files are skipped silently.
    Raises ``CorpusNotFound`` only when ``root`` does not exist at all. Errors name paths relative
    to ``base`` (the directory ids are relative to; default ``root``).
    """
    root = Path(root)
    base = root if base is None else Path(base)
    if not os.path.lexists(root):
        raise CorpusNotFound(f"corpus path not found: {root}")
    try:
        st = os.stat(root)
    except OSError as exc:
        errors.append(ReadError(display_path(root, base), None, _why(exc)))
        return
    if not stat.S_ISDIR(st.st_mode):
        if stat.S_ISREG(st.st_mode):
            yield root
        else:
            errors.append(ReadError(display_path(root, base), None, "not a regular file (device, pipe or socket)"))
        return
    yield from _walk(root, base, st, [(st.st_dev, st.st_ino)], set(), errors)


def _walk(
    directory: Path,
    root: Path,
    dir_stat: os.stat_result,
    ancestors: list[tuple[int, int]],
    seen_dirs: set[tuple[int, int]],
    errors: list[ReadError],
) -> Iterator[Path]:
    seen_dirs.add((dir_stat.st_dev, dir_stat.st_ino))
    try:
        with os.scandir(directory) as scan:
            names = sorted(entry.name for entry in scan)
    except OSError as exc:
        reason = _why(exc)
        if isinstance(exc, PermissionError):
            reason = "permission denied: this directory cannot be listed"
        errors.append(ReadError(display_path(directory, root), None, reason))
        return
    for name in names:
        if name.startswith("."):
            continue
        path = directory / name
        try:
            st = os.stat(path)
        except OSError as exc:
            if os.path.islink(path) and (exc.errno == errno.ENOENT) and not is_corpus_file(name):
                continue  # a dangling link to something cari would not read anyway
            errors.append(ReadError(display_path(path, root), None, _why(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                errors.append(
                    ReadError(
                        display_path(path, root),
                        None,
                        "symlink loop: this directory links back to one that contains it; skipped",
                    )
                )
                continue
            if key in seen_dirs:
                errors.append(
                    ReadError(
                        display_path(path, root),
                        None,
                        "directory already read through another path (linked twice); skipped",
                    )
                )
                continue
            yield from _walk(path, root, st, [*ancestors, key], seen_dirs, errors)
        elif is_corpus_file(name):
            if stat.S_ISREG(st.st_mode):
                yield path
            else:
                errors.append(
                    ReadError(display_path(path, root), None, "not a regular file (device, pipe or socket)")
                )
