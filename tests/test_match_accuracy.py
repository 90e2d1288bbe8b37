"""Accuracy of the matcher on synthetic data with ground truth (slrt_synth population and noise)."""

from __future__ import annotations

import pytest

from slrt_cli.match import match
from slrt_synth.linkage import link_data
from slrt_cli.match.quality import link_quality

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data():
    return link_data(register_persons=40_000, batch_rows=4_000, seed=3)


def test_f1_on_a_synthetic_month(data):
    out = match(data.batch, data.register)
    q = link_quality(out, data.truth)
    assert out.height == data.batch.height
    assert q["f1"] >= 0.98, q
    assert q["precision"] >= 0.99, q
    assert q["review_rate"] <= 0.03, q
    assert q["new_recall"] >= 0.95, q


def test_partitioning_does_not_change_a_synthetic_month(data):
    sub = data.batch.head(1500)
    assert match(sub, data.register, partition_by="kode_kab").equals(match(sub, data.register, partition_by="kode_kec"))


def test_sampled_estimation_does_not_depend_on_row_order(data):
    """With small samples (so that the hash sampling really picks), shuffled inputs give the same result."""
    from slrt_cli.match import MatchSettings

    s = MatchSettings.default().replace(m_pairs=300, u_pairs=3000)
    batch, register = data.batch.head(2000), data.register
    first = match(batch, register, s)
    again = match(
        batch.sample(fraction=1.0, shuffle=True, seed=3), register.sample(fraction=1.0, shuffle=True, seed=4), s
    )
    assert first.equals(again)
