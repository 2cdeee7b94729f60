"""Forms a reader treats as one word: reduplications and old spellings meet; other words do not."""

from __future__ import annotations

import pytest

from search.analysis import analyze, term
from search.analysis.variants import respellings


def terms(text: str) -> list[str]:
    return [t.term for t in analyze(text)]


@pytest.mark.parametrize(
    ("forms", "base"),
    [
        (["anak-anak", "Anak-anak", "ANAK-ANAK", "anak2", "anak-anaknya", "anak2nya", "anak"], "anak"),
        (["kupu-kupu", "Kupu-Kupu", "kupu2", "kupu-kupunya"], "kupu"),  # a root only used reduplicated
        (["sayur-mayur", "Sayur-Mayur", "sayur-mayurnya"], None),  # a word of its own, one term
        (["bolak-balik", "Bolak-balik", "bolak-baliknya", "berbolak-balik"], None),
        (["rekan-rekan", "rekan2", "rekan"], "rekan"),
        (["undang-undang", "undang-undangnya"], "undang"),
        (["menyebut-nyebut", "disebut-sebut", "sebut"], "sebut"),
        (["warna-warni", "berwarna-warni", "Warna-Warni"], None),
        (["teman2nya", "teman-temannya", "teman2", "Teman-teman"], "teman"),
        (["mudah2an", "mudah-mudahan"], None),
    ],
)
def test_every_form_of_a_reduplication_folds_the_same_way(forms: list[str], base: str | None) -> None:
    found = {form: terms(form) for form in forms}
    for form, tokens in found.items():
        assert len(tokens) == 1, (form, tokens)  # one token, not two
    assert len({tuple(tokens) for tokens in found.values()}) == 1, found  # the same one
    if base is not None:
        assert found[forms[0]] == [term(base)]


def test_compounds_and_word_pairs_are_searched_as_their_parts() -> None:
    assert terms("Cibubur-Dukuh") == ["cibubur", "dukuh"]
    assert terms("covid-19") == ["covid", "19"]
    assert terms("suka-duka") == [term("suka"), term("duka")]  # two words, not a reduplication
    assert terms("Timor-Timur") == ["timor", "timur"]  # a name is no sound copy


def test_hyphenated_affixes_and_clitics_come_off() -> None:
    assert terms("di-PHK") == ["phk"]
    assert terms("se-Indonesia") == ["indonesia"]
    assert terms("Instagram-nya") == ["instagram"]
    assert terms("ke-2") == ["ke", "2"]  # an ordinal keeps its number


def test_names_written_with_a_2_stay_names() -> None:
    assert terms("Moto2") == ["moto2"] and terms("CO2") == ["co2"]


@pytest.mark.parametrize(
    ("old", "new"),
    [("Soeharto", "Suharto"), ("Soekarno", "Sukarno"), ("Djoko", "Joko"), ("Tjahjo", "Cahjo"),
     ("Sjamsul", "Syamsul"), ("Achmad", "Akhmad"), ("Djakarta", "Jakarta"), ("Soesilo", "Susilo")],
)
def test_old_and_new_spellings_meet(old: str, new: str) -> None:
    assert term(old) == term(new)


def test_spelling_folding_creates_no_collision_and_leaves_new_spelling_alone() -> None:
    assert term("Koeman") != term("kuman")  # exempted: Ronald Koeman is not a germ
    assert term("Djarum") != term("jarum")
    assert term("masjid") == "masjid"  # a word of the lexicon is new spelling already
    assert term("menjadi") == term("jadi")  # nj>ny is not a kept rule
    assert term("koefisien") == "koefisien"
    assert terms("DJ TJ") == ["dj", "tj"]  # acronyms: no vowel after the letters


def test_respellings_go_both_ways() -> None:
    assert "soekarno" in respellings("sukarno")
    assert "sukarno" in respellings("soekarno")
    assert "nyonya" in respellings("njonja")  # by the dropped rule too, for "did you mean"
    assert "akhir" in respellings("achir")
