import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from slrt_cli.privacy import mask_id, mask_id_expr, mask_name, scrub


def test_mask_nik_hides_the_date_block():
    assert mask_id("3201014508900001") == "320101******0001"


@given(st.text(alphabet="0123456789", min_size=0, max_size=20))
def test_mask_never_shows_a_long_value_whole_and_agrees_with_the_expression(value):
    masked = mask_id(value)
    assert len(masked) == len(value)
    if len(value) >= 3:
        assert masked != value
    assert pl.DataFrame({"v": [value]}).select(mask_id_expr(pl.col("v")))[0, 0] == masked


def test_scrub_masks_ids_in_free_text_also_with_separators():
    text = "gagal untuk 3201014508900001 dan 3201 0145 0890 0002, baris 12"
    out = scrub(text)
    assert "3201014508900001" not in out and "0145 0890" not in out
    assert "320101******0001" in out and "baris 12" in out


def test_mask_name():
    assert mask_name("SITI AMINAH") == "S*** A*****"


@given(st.text(alphabet="0123456789", min_size=16, max_size=16), st.text(alphabet="0123456789", min_size=16, max_size=16))
def test_a_masked_pair_shows_every_digit_that_differs_and_hides_what_both_share(a, b):
    from slrt_cli.privacy import mask_pair

    shown_a, shown_b = mask_pair(a, b)
    assert (shown_a == shown_b) == (a == b)  # masking never hides the change it reports
    assert "*" in shown_a and "*" in shown_b  # and never shows an identifier whole
    if mask_id(a) != mask_id(b):  # the difference shows already: nothing more is shown
        assert (shown_a, shown_b) == (mask_id(a), mask_id(b))
        return
    hidden = [i for i, m in enumerate(mask_id(a)) if m == "*"]
    all_differ = all(a[i] != b[i] for i in hidden)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and not (all_differ and i == hidden[-1]):
            assert shown_a[i] == x and shown_b[i] == y
        elif i in hidden:
            assert shown_a[i] == shown_b[i] == "*"


def test_two_unrelated_identifiers_are_masked_each_on_its_own():
    """Showing the hidden digits of two NIKs that differ anyway would show two whole NIKs but one digit."""
    from slrt_cli.privacy import mask_pair

    assert mask_pair("3508180203900010", "3201092704040003") == ("350818******0010", "320109******0003")
