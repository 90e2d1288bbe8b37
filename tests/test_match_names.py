"""Indonesian name normalisation for matching (slrt_cli.match.names)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from slrt_cli.match.names import core_words, map_word, name_features, normalise_name, normalise_names, phonetic


@pytest.mark.parametrize(
    "variant",
    ["MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOHAMAD", "MOCHAMMAD", "MOCHAMAD", "MOCH.", "MOCH", "MOH.", "MUH.", "M."],
)
def test_muhammad_variants(variant):
    assert normalise_name(f"{variant} RIZKI") == "MUHAMMAD RIZKI"


def test_single_m_only_as_first_word():
    assert normalise_name("M RIZKI") == "MUHAMMAD RIZKI"
    assert normalise_name("RIZKI M.") == "RIZKI M"
    assert normalise_name("M") == "M"


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("ABD. ROHMAN", "ABDUL ROHMAN"),
        ("ABDOEL ROHMAN", "ABDUL ROHMAN"),
        ("SITTI AMINAH", "SITI AMINAH"),
        ("ST. AMINAH", "SITI AMINAH"),
        ("ST AMINAH", "SITI AMINAH"),
        ("NOER HAYATI", "NUR HAYATI"),
        ("NOOR HAYATI", "NUR HAYATI"),
    ],
)
def test_common_abbreviations(variant, expected):
    assert normalise_name(variant) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("SOEPARMAN", "SUPARMAN"),  # oe -> u
        ("DJOKO", "JOKO"),  # dj -> j
        ("TJETJEP", "CECEP"),  # tj -> c
        ("NJOMAN", "NYOMAN"),  # nj -> ny
        ("SJARIF", "SYARIF"),  # sj -> sy
        ("ACHMAD", "AHMAD"),  # ch -> kh (then the AHMAD alias)
        ("CHOIRUL", "KHOIRUL"),  # ch -> kh
        ("JUSUF", "YUSUF"),  # j -> y
    ],
)
def test_old_spellings(old, new):
    assert normalise_name(old) == normalise_name(new)


@pytest.mark.parametrize(
    "name",
    [
        "H. AHMAD SUBARDI",
        "HJ. SITI AMINAH",
        "DR. AHMAD SUBARDI",
        "DRS. AHMAD SUBARDI",
        "IR. AHMAD SUBARDI",
        "AHMAD SUBARDI, S.PD",
        "AHMAD SUBARDI S.PD",
        "AHMAD SUBARDI, S.AG",
        "AHMAD SUBARDI, S.E.",
        "AHMAD SUBARDI, S.H.",
        "AHMAD SUBARDI, A.MD",
        "AHMAD SUBARDI S.KOM",
        "H. AHMAD SUBARDI, S.PD.I",
        "Drs. H. Ahmad Subardi, M.Pd",
    ],
)
def test_titles_and_degrees_are_dropped(name):
    expected = "SITI AMINAH" if "SITI" in name else "AHMAD SUBARDI"
    assert normalise_name(name) == expected


def test_degree_words_that_look_like_names_need_a_dot():
    assert normalise_name("AHMAD SE") == "AHMAD SE"  # a name word
    assert normalise_name("AHMAD S.E.") == "AHMAD"  # a degree


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AHMAD BIN SALIM", "AHMAD"),
        ("SITI AMINAH BINTI ABDULLAH", "SITI AMINAH"),
        ("BIN LADEN", "BIN LADEN"),  # never the whole name
    ],
)
def test_bin_binti(name, expected):
    assert normalise_name(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "ALM. BUDI SANTOSO",
        "ALMH BUDI SANTOSO",
        "BUDI SANTOSO (ALM)",
        "BUDI SANTOSO ALM",
        "ALMARHUM BUDI SANTOSO",
        "BUDI SANTOSO, ALM.",
    ],
)
def test_deceased_markers(name):
    assert normalise_name(name) == "BUDI SANTOSO"


def test_single_word_names_are_kept():
    assert normalise_name("SLAMET") == "SLAMET"
    assert normalise_name("  slamet ") == "SLAMET"


def test_initials_and_punctuation():
    assert normalise_name("M.RIZKI") == "MUHAMMAD RIZKI"
    assert normalise_name("MA'RUF") == "MARUF"
    assert normalise_name("A. RAHMAN") == "A ROHMAN"  # alias RAHMAN/ROHMAN
    assert core_words("A ROHMAN") == ["ROHMAN"]  # initials are not distinctive


def test_alias_with_slash_keeps_both_names():
    assert normalise_name("SITI/ACIH") == "SITI ACIH"


def test_unknown_and_empty():
    assert normalise_name(None) is None
    assert normalise_name("-") is None
    assert normalise_name("H.") is None


def test_word_map_examples():
    assert map_word("MOCH.") == "MUHAMMAD"
    assert map_word("S.PD") == ""
    assert map_word("DJOKO") == "YOKO"


def test_core_words_leave_out_common_words():
    assert core_words("MUHAMMAD RIZKI") == ["RIZKI"]
    assert core_words("SITI AMINAH") == ["AMINAH"]
    assert core_words("SITI") == ["SITI"]
    assert core_words("I KETUT SUDIARTA") == ["SUDIARTA"]


def test_token_order_gives_the_same_hash():
    f = name_features(pl.Series(["RIZKI MUHAMMAD", "MUHAMMAD RIZKI", "MOCH. RIZKI", "RIZKA MUHAMMAD"]))
    h = f["name_hash"].to_list()
    assert h[0] == h[1] == h[2] != h[3]
    assert f["name_core"].to_list() == ["RIZKI", "RIZKI", "RIZKI", "RIZKA"]


def test_phonetic_keys():
    assert phonetic("RIZKI") == phonetic("RISKI")
    assert phonetic("NURHAYATI") == phonetic("NURHAYATY")
    assert phonetic("ZAINAL") == phonetic("ZAENAL")
    assert phonetic("RIZKI") != phonetic("RIZKA")


# ---------------------------------------------------------------- properties

_letters = st.sampled_from("ABCDEGHIKLMNOPRSTUWYZ")
_word = st.text(_letters, min_size=2, max_size=9)
_name = st.lists(_word, min_size=1, max_size=4).map(" ".join)
_noisy = st.text(st.sampled_from("ABCDHIJKMNOSTUY .,'/-()"), min_size=0, max_size=30)


@given(_noisy)
@settings(max_examples=300, deadline=None)
def test_normalisation_is_idempotent(text):
    once = normalise_name(text)
    assert normalise_name(once) == once


@given(st.lists(_noisy, min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_vectorised_equals_scalar(texts):
    assert normalise_names(pl.Series(texts, dtype=pl.Utf8)).to_list() == [normalise_name(t) for t in texts]


_INVERSE = (("U", "OE"), ("C", "TJ"), ("NY", "NJ"), ("SY", "SJ"), ("KH", "CH"))


def _old_spelling(word: str, picks: list[bool]) -> str:
    """Write a modern key word the old way, at the places ``picks`` says."""
    out, i, k = [], 0, 0
    while i < len(word):
        for new, old in _INVERSE:
            if word.startswith(new, i):
                use = picks[k % len(picks)]
                k += 1
                out.append(old if use else new)
                i += len(new)
                break
        else:
            ch = word[i]
            prev = word[i - 1] if i else ""
            if ch == "Y" and prev not in "DTNS" and picks[k % len(picks)]:
                out.append("J")  # the old J was a Y (JUSUF = YUSUF)
            else:
                out.append(ch)
            k += 1
            i += 1
    return "".join(out)


@given(_name, st.lists(st.booleans(), min_size=1, max_size=8))
@settings(max_examples=300, deadline=None)
def test_old_spelling_variants_collapse(name, picks):
    modern = normalise_name(name)
    if modern is None:
        return
    variant = " ".join(_old_spelling(w, picks) for w in modern.split(" "))
    assume(all(map_word(w) for w in variant.split(" ")))  # HY written HJ is the title Hj.: ambiguous by nature
    assert normalise_name(variant) == modern
