"""The page's words in Indonesian (the default) and English, and how a request chooses between them:
``?lang=en`` or ``?lang=id`` first, then the browser's ``Accept-Language``, else Indonesian."""

from __future__ import annotations

from datetime import datetime

__all__ = ["DEFAULT_LANGUAGE", "LABELS", "choose_language", "format_date", "format_number"]

DEFAULT_LANGUAGE = "id"

LABELS: dict[str, dict[str, str]] = {
    "id": {
        "search": "Cari",
        "placeholder": "Cari berita: kata, \"frasa\", title:kata, date:2020…",
        "syntax_help": "Bantuan sintaks",
        "syntax_intro": "Kata-kata biasa: artikel yang memuat semua kata tampil lebih dulu, lalu yang memuat sebagian.",
        "syntax_all": "semua kata wajib ada",
        "syntax_or": "salah satu kata",
        "syntax_not": "tanpa kata itu",
        "syntax_phrase": "frasa persis, atau kata berjarak paling jauh 3",
        "syntax_prefix": "awalan kata, kata mirip (salah ketik)",
        "syntax_field": "kata di satu kolom (judul, isi, sumber, lokasi, penulis…)",
        "syntax_date": "tanggal atau rentang tanggal",
        "sort": "Urutkan",
        "relevance": "Relevansi",
        "newest": "Terbaru",
        "oldest": "Terlama",
        "source": "Sumber",
        "date": "Tanggal",
        "year": "Tahun",
        "month": "Bulan",
        "since": "Dari",
        "until": "Sampai",
        "date_format": "TTTT, TTTT-BB atau TTTT-BB-HH",
        "date_placeholder": "TTTT-BB-HH",
        "apply": "Terapkan",
        "filters": "Saring",
        "active_filters": "Filter aktif",
        "remove_filter": "hapus filter",
        "clear_filters": "Hapus semua filter",
        "articles": "artikel",
        "article": "artikel",
        "results_for": "untuk",
        "no_results": "Tidak ada artikel yang cocok dengan",
        "with_every_word": "memuat semua kata",
        "then_some_words": "lalu {n} yang memuat sebagian kata",
        "tail_start": "Artikel yang hanya memuat sebagian kata (tidak dihitung):",
        "copies": "+ {n} salinan",
        "did_you_mean": "Mungkin maksud Anda",
        "partial": "Pencocokan frasa berhenti pada batas waktu; sebagian hasil mungkin tidak tampil.",
        "missing_shards": "Sebagian indeks (shard {shards}) sedang tidak tersedia; hasil ini dari bagian lainnya.",
        "page": "Halaman",
        "of": "dari",
        "previous": "Sebelumnya",
        "next": "Berikutnya",
        "pages": "Halaman hasil",
        "depth_note": "Hanya {n} hasil pertama yang dapat dibuka; persempit pencarian untuk melihat yang lain.",
        "over_time": "Artikel yang cocok per bulan",
        "over_time_year": "Artikel yang cocok per tahun",
        "no_date": "tanpa tanggal",
        "published": "Terbit",
        "author": "Penulis",
        "location": "Lokasi",
        "keywords": "Kata kunci",
        "url": "Tautan asli",
        "id": "ID",
        "file": "Berkas",
        "caption": "Keterangan foto",
        "similar": "Artikel serupa",
        "no_similar": "Tidak ada artikel serupa.",
        "back": "Kembali ke hasil",
        "home": "Beranda",
        "index_holds": "Indeks memuat",
        "from_sources": "dari {n} sumber",
        "browse": "Jelajahi per sumber",
        "error": "Kesalahan",
        "not_found": "Tidak ditemukan",
        "unavailable": "Indeks belum tersedia",
        "token_title": "Token akses",
        "token_intro": "Server ini meminta token akses. Token disimpan dalam cookie di peramban ini.",
        "token_label": "Token",
        "token_wrong": "Token salah.",
        "sign_in": "Masuk",
        "language": "Bahasa",
        "api": "API",
        "more": "lainnya",
    },
    "en": {
        "search": "Search",
        "placeholder": "Search the news: words, \"phrase\", title:word, date:2020…",
        "syntax_help": "Query syntax",
        "syntax_intro": "Plain words: articles with every word come first, then those with some of them.",
        "syntax_all": "every word required",
        "syntax_or": "either word",
        "syntax_not": "without a word",
        "syntax_phrase": "an exact phrase, or words at most 3 apart",
        "syntax_prefix": "a prefix, a fuzzy word (typos)",
        "syntax_field": "a word in one field (title, body, source, location, author…)",
        "syntax_date": "a date or a date range",
        "sort": "Sort by",
        "relevance": "Relevance",
        "newest": "Newest",
        "oldest": "Oldest",
        "source": "Source",
        "date": "Date",
        "year": "Year",
        "month": "Month",
        "since": "From",
        "until": "To",
        "date_format": "YYYY, YYYY-MM or YYYY-MM-DD",
        "date_placeholder": "YYYY-MM-DD",
        "apply": "Apply",
        "filters": "Filter",
        "active_filters": "Active filters",
        "remove_filter": "remove filter",
        "clear_filters": "Clear all filters",
        "articles": "articles",
        "article": "article",
        "results_for": "for",
        "no_results": "No articles match",
        "with_every_word": "with every word",
        "then_some_words": "then {n} with some of the words",
        "tail_start": "Articles with only some of the words (not counted):",
        "copies": "+ {n} copies",
        "did_you_mean": "Did you mean",
        "partial": "The phrase check stopped at the time limit; some matches may be missing.",
        "missing_shards": "Part of the index (shards {shards}) is not available; these results are from the rest.",
        "page": "Page",
        "of": "of",
        "previous": "Previous",
        "next": "Next",
        "pages": "Result pages",
        "depth_note": "Only the first {n} hits can be paged to; narrow the search to see the others.",
        "over_time": "Matching articles per month",
        "over_time_year": "Matching articles per year",
        "no_date": "no date",
        "published": "Published",
        "author": "Author",
        "location": "Location",
        "keywords": "Keywords",
        "url": "Original link",
        "id": "ID",
        "file": "File",
        "caption": "Photo caption",
        "similar": "Similar articles",
        "no_similar": "No similar articles.",
        "back": "Back to the results",
        "home": "Home",
        "index_holds": "The index holds",
        "from_sources": "from {n} sources",
        "browse": "Browse by source",
        "error": "Error",
        "not_found": "Not found",
        "unavailable": "The index is not available",
        "token_title": "Access token",
        "token_intro": "This server asks for an access token. It is kept in a cookie in this browser.",
        "token_label": "Token",
        "token_wrong": "Wrong token.",
        "sign_in": "Sign in",
        "language": "Language",
        "api": "API",
        "more": "more",
    },
}

MONTHS: dict[str, tuple[str, ...]] = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def choose_language(requested: str | None, accept_language: str | None) -> str:
    """``requested`` (the ``lang`` parameter) when it is a language of the page, else the first
    page language of ``Accept-Language`` by preference (``q``), else Indonesian."""
    if requested in LABELS:
        return requested
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary == "in":  # the old ISO 639 code of Indonesian, still sent by some systems
            primary = "id"
        if primary in LABELS and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE


def format_number(value: int, language: str) -> str:
    """``12345`` as ``12.345`` (Indonesian) or ``12,345`` (English)."""
    text = f"{value:,}"
    return text.replace(",", ".") if language == "id" else text


def format_date(when: datetime | None, language: str, *, with_time: bool = False) -> str:
    """``17 Juni 2020`` / ``17 June 2020``; with the time and UTC offset when asked and known."""
    if when is None:
        return LABELS[language]["no_date"]
    text = f"{when.day} {MONTHS[language][when.month - 1]} {when.year}"
    if with_time and (when.hour or when.minute):
        text += f", {when:%H:%M}"
        offset = when.utcoffset()
        if offset is not None:
            hours = offset.total_seconds() / 3600
            zone = INDONESIAN_ZONES.get(hours)
            text += f" {zone}" if zone else f" UTC{when.isoformat()[-6:]}"
    return text


INDONESIAN_ZONES = {7.0: "WIB", 8.0: "WITA", 9.0: "WIT"}


def month_label(key: str, language: str) -> str:
    """``2020-06`` as ``Juni 2020`` / ``June 2020``."""
    year, _, month = key.partition("-")
    return f"{MONTHS[language][int(month) - 1]} {year}"


def axis_label(period: str, language: str, *, first: bool) -> str:
    """A chart label: ``2020`` as it is; ``2020-06`` as ``Jun`` (``Jun 2020`` when ``first`` or in
    January, where a year begins)."""
    if len(period) == 4:
        return period
    year, month = period[:4], int(period[5:7])
    name = MONTHS[language][month - 1][:3]
    return f"{name} {year}" if first or month == 1 else name
