"""Accuracy of the matcher on synthetic data with ground truth (slrt_cli.synth population and noise)."""

from __future__ import annotations

import polars as pl
import pytest

from slrt_cli.match import match
from slrt_cli.match._synth import link_data
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
