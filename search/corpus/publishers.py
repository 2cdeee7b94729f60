"""One canonical name per publisher, and the section of the site an article comes from.

Datasets spell one publisher many ways (``Kompas.com``, ``KOMPAS.com``, ``bola.kompas.com``;
``ANTARA News``, ``Antara News``, ``antaranews``). Every reader's articles go through
``PublisherRules.apply`` (``search.corpus.finalize``), which sets:

- ``source``: the publisher's canonical name, its domain (``kompas.com``): the domain of a
  publisher of the rules that the source names (one of its domains or sub-domains, or one of its
  spellings), else the source's own registrable domain when it is a domain, else the publisher of
  the article's URL when the source's name starts with that site's name (``Tempo Gaya`` at
  ``gaya.tempo.co``, ``cnn indonesia`` at ``www.cnnindonesia.com``), else the source lower-cased;
- ``section``: the dataset's own category when it has one (``Bola``, ``tajuk utama``), else the
  sub-site the source or the URL names (``bola`` of ``bola.kompas.com``), lower-cased and renamed by
  the publisher's ``sections``;
- ``source_original``: the source as the dataset gave it.

The rules are data: ``data/publishers.toml`` ships with cari (see its header), and
``cari index --publishers FILE`` adds a file of the same form whose rules come first; the index
keeps the rules it was built with (``cari.json``). Rules that cannot be read raise
``InvalidArgument`` with a one-line reason.
"""

from __future__ import annotations

import re
import tomllib
import zlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from unidecode import unidecode

from search.errors import InvalidArgument

__all__ = ["Publisher", "PublisherRules", "fold_name", "shipped_rules"]

_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
MAX_RULES_BYTES = 1 << 20
SHIPPED_RULES = Path(__file__).with_name("data") / "publishers.toml"


def fold_name(text: str) -> str:
    """A spelling reduced to what tells publishers apart: lower-case letters and digits only
    (``ANTARA News`` -> ``antaranews``)."""
    return _NOT_ALNUM.sub("", unidecode(text).lower())


def _section_text(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True, slots=True)
class Publisher:
    """One publisher: its canonical name, its domains, the spellings of its name, and how its
    sections are renamed (lower-cased name -> section)."""

    name: str
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class PublisherRules:
    """The rules: publishers (earlier ones win a spelling or a domain), labels of sub-domains that
    name no section, and the second-level suffixes of registrable domains."""

    publishers: list[Publisher]
    plain_labels: frozenset[str]
    second_level: frozenset[str]
    user: dict[str, Any] | None = None  # the rules a user's file added (what the index records)
    _by_alias: dict[str, Publisher] = field(default_factory=dict, repr=False)
    _by_domain: dict[str, Publisher] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for publisher in self.publishers:
            for domain in (publisher.name, *publisher.domains):
                if _HOST.fullmatch(domain):
                    self._by_domain.setdefault(domain, publisher)
            for spelling in (publisher.name, *publisher.domains, *publisher.aliases):
                key = fold_name(spelling)
                if key:
                    self._by_alias.setdefault(key, publisher)

    # -- building

    @classmethod
    def from_data(cls, data: dict[str, Any], *, base: PublisherRules | None = None,
                  where: str = "publisher rules") -> PublisherRules:
        """Rules from parsed TOML (``data``), before ``base``'s when given. Raises
        ``InvalidArgument`` for a shape that is not the one of ``data/publishers.toml``."""
        if not isinstance(data, dict):
            raise InvalidArgument(f"{where}: not a table of rules")
        unknown = set(data) - {"publisher", "plain_labels", "second_level"}
        if unknown:
            raise InvalidArgument(f"{where}: unknown key {sorted(unknown)[0]!r} (use publisher, "
                                  "plain_labels, second_level)")
        entries = data.get("publisher", []) or []
        if not isinstance(entries, list):
            raise InvalidArgument(f"{where}: publisher must be a list of tables ([[publisher]])")
        publishers = [_publisher(entry, where, n) for n, entry in enumerate(entries, 1)]
        plain = _strings(data.get("plain_labels", []), f"{where}: plain_labels")
        second = _strings(data.get("second_level", []), f"{where}: second_level")
        if base is not None:
            publishers += base.publishers
            plain += sorted(base.plain_labels)
            second += sorted(base.second_level)
        return cls(publishers, frozenset(p.lower() for p in plain), frozenset(s.lower() for s in second),
                   user=data if base is not None else None)

    @classmethod
    def from_toml(cls, text: str, *, where: str = "publisher rules") -> PublisherRules:
        """The shipped rules with the rules of a user's TOML text first."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidArgument(f"{where}: not valid TOML ({error})") from None
        return cls.from_data(data, base=shipped_rules(), where=where)

    @classmethod
    def from_file(cls, path: str) -> PublisherRules:
        """The shipped rules with those of the TOML file at ``path`` first."""
        try:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_RULES_BYTES + 1)
        except OSError as error:
            raise InvalidArgument(f"publisher rules {path}: cannot be read ({error.strerror or error})",
                                  parameter="publishers") from None
        if len(raw) > MAX_RULES_BYTES:
            raise InvalidArgument(f"publisher rules {path}: over {MAX_RULES_BYTES // 1024} KB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidArgument(f"publisher rules {path}: not UTF-8 text") from None
        return cls.from_toml(text, where=f"publisher rules {path}")

    @classmethod
    def recorded(cls, user: dict[str, Any] | None) -> PublisherRules:
        """The rules an index recorded: the shipped ones, after the user's when it had some."""
        if not user:
            return shipped_rules()
        return cls.from_data(user, base=shipped_rules())

    # -- canonical names

    def registrable(self, host: str) -> str:
        """The registrable domain of ``host`` (``bola.kompas.com`` -> ``kompas.com``,
        ``nasional.republika.co.id`` -> ``republika.co.id``)."""
        labels = host.split(".")
        size = 3 if len(labels) >= 3 and ".".join(labels[-2:]) in self.second_level else 2
        return ".".join(labels[-size:])

    def _site(self, host: str) -> tuple[Publisher | None, str, str]:
        """``(publisher, canonical domain, section label)`` of a host name."""
        host = host.lower().rstrip(".")
        labels = host.split(".")
        for start in range(len(labels) - 1):  # the longest domain of the rules first
            publisher = self._by_domain.get(".".join(labels[start:]))
            if publisher is not None:
                return publisher, publisher.name, self._label(labels[:start])
        domain = self.registrable(host)
        return None, domain, self._label(labels[:len(labels) - len(domain.split("."))])

    def _label(self, labels: list[str]) -> str:
        named = [label for label in labels if label not in self.plain_labels]
        return named[-1] if named else ""

    def canonical(self, source: str, url: str = "", section: str = "") -> tuple[str, str]:
        """``(source, section)``: the canonical name of the publisher of ``source`` (as a dataset
        spells it) and ``url``, and its section (the dataset's ``section``, else the sub-site)."""
        raw = " ".join(source.split())
        host = _host(url)
        publisher: Publisher | None = None
        name = ""
        label = ""
        lowered = raw.lower().removeprefix("http://").removeprefix("https://").rstrip("/")
        if lowered and _HOST.fullmatch(lowered):
            publisher, name, label = self._site(lowered)
            if publisher is None:
                aliased = self._by_alias.get(fold_name(raw))
                if aliased is not None:
                    publisher, name = aliased, aliased.name
        elif raw:
            publisher = self._by_alias.get(fold_name(raw))
            if publisher is not None:
                name = publisher.name
            elif host:
                site_publisher, domain, site_label = self._site(host)
                head = fold_name(domain.split(".")[0])
                folded = fold_name(raw)
                if head and folded and (folded.startswith(head) or head.startswith(folded)):
                    publisher, name, label = site_publisher, domain, site_label
            if not name:
                name = raw.lower()
        elif host:
            publisher, name, label = self._site(host)
        if publisher is not None and host and not label:
            site_publisher, _domain, site_label = self._site(host)
            if site_publisher is publisher:
                label = site_label
        elif publisher is None and host and not label and name and _HOST.fullmatch(name):
            _p, domain, site_label = self._site(host)
            if domain == name:
                label = site_label
        chosen = _section_text(section) or label
        if publisher is not None:
            chosen = publisher.sections.get(chosen, chosen)
        return name, chosen

    def apply(self, article: Any) -> Any:
        """``article`` with its canonical source and section, the source as given kept in
        ``source_original``."""
        original = article.source_original or article.source
        source, section = self.canonical(original, article.url, article.section)
        if (source, section, original) == (article.source, article.section, article.source_original):
            return article
        return replace(article, source=source, section=section, source_original=original)

    def digest(self) -> int:
        """A checksum of the rules (what an index records to notice that they changed)."""
        parts = [repr((p.name, p.domains, p.aliases, sorted(p.sections.items()))) for p in self.publishers]
        parts += sorted(self.plain_labels) + ["|"] + sorted(self.second_level)
        return zlib.crc32("\n".join(parts).encode("utf-8")) & 0xFFFFFFFF


def _host(url: str) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host if _HOST.fullmatch(host) else ""


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{where}: expected a list of strings")
    return [v.strip() for v in value if v.strip()]


def _publisher(entry: Any, where: str, number: int) -> Publisher:
    place = f"{where}: publisher {number}"
    if not isinstance(entry, dict):
        raise InvalidArgument(f"{place}: expected a table ([[publisher]] with name = ...)")
    unknown = set(entry) - {"name", "domains", "aliases", "sections"}
    if unknown:
        raise InvalidArgument(f"{place}: unknown key {sorted(unknown)[0]!r} (use name, domains, aliases, sections)")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"{place}: needs a name")
    name = " ".join(name.split()).lower()
    domains = tuple(d.lower() for d in _strings(entry.get("domains", []), f"{place} ({name}): domains"))
    for domain in domains:
        if not _HOST.fullmatch(domain):
            raise InvalidArgument(f"{place} ({name}): {domain!r} is not a domain name")
    aliases = tuple(_strings(entry.get("aliases", []), f"{place} ({name}): aliases"))
    sections = entry.get("sections", {}) or {}
    if not isinstance(sections, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in sections.items()):
        raise InvalidArgument(f"{place} ({name}): sections must map section names to section names")
    return Publisher(name, domains, aliases, {_section_text(k): _section_text(v) for k, v in sections.items()})


@lru_cache(maxsize=1)
def shipped_rules() -> PublisherRules:
    """The rules that ship with cari (``search/corpus/data/publishers.toml``)."""
    text = SHIPPED_RULES.read_text(encoding="utf-8")
    return PublisherRules.from_data(tomllib.loads(text), where="data/publishers.toml")
