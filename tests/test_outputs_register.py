"""The register the outputs are written from (:func:`slrt_cli.outputs.shown_register`)."""

import polars as pl

from slrt_cli.outputs import shown_register
from slrt_cli.reconcile import Reconciliation
from slrt_cli.runs import RunReport


def _result(register: pl.DataFrame | None) -> RunReport:
    rec = Reconciliation(
        reconciliation=pl.DataFrame({"person_id": ["p3", None, "p1"]}),
        not_found=pl.DataFrame({"person_id": ["p5"]}),
        households=pl.DataFrame(),
        changes=pl.DataFrame({"person_id": ["p1", "p7"]}),
    )
    return RunReport(validation=None, rows=pl.DataFrame(), register_rows=0, reconciliation=rec, register=register)


def test_only_the_persons_shown_in_register_order_with_made_up_ids():
    reg = pl.DataFrame({
        "person_id": ["p1", "p2", "p3", "p4", "p5", "p1", "p6", "p7"],
        "nama": list("abcdefgh"),
        "person_id_derived": [False, False, False, True, False, False, False, None],
    })
    out = shown_register(_result(reg))
    assert out["nama"].to_list() == ["a", "c", "d", "e", "f", "h"]  # duplicates of a person kept, in order
    assert out.columns == reg.columns


def test_no_register_or_no_person_ids():
    assert shown_register(_result(None)) is None
    reg = pl.DataFrame({"nama": ["a"]})
    assert shown_register(_result(reg)) is reg


def test_only_the_columns_the_outputs_read_when_named():
    """With --coverage desa some 500,000 persons are shown: a copy of the register's 50-odd columns
    for them costs some 350 MiB, and the outputs read some 25."""
    reg = pl.DataFrame({
        "person_id": ["p1", "p2", "p5"], "nama": list("abc"), "pekerjaan": list("xyz"),
        "person_id_derived": [False, False, False],
    })
    out = shown_register(_result(reg), columns={"nama", "person_id_derived", "not_in_register"})
    assert out.columns == ["person_id", "nama", "person_id_derived"]  # the register's order, person_id always
    assert out["nama"].to_list() == ["a", "c"]


def test_the_outputs_name_every_register_column_they_read():
    from slrt_cli.outputs import shown_columns
    from slrt_cli.report.review import FIELDS
    from slrt_cli.schemas import load_schema
    from slrt_cli.upload_layouts import load_layouts

    named = shown_columns(load_schema())
    layouts = load_layouts()
    assert set(FIELDS) <= named and {"person_id", "household_id", "tanggal_lahir", "person_id_derived"} <= named
    assert {s for col in layouts["nonaktif"].columns for s in col.sources} - {"status_verivali", "alasan"} <= named


def test_a_run_with_an_output_folder_lets_go_of_the_rest_of_the_register(tmp_path):
    """Once matched, the outputs read only the register rows they show: the run keeps only those
    (with --coverage desa on 1M persons the whole register alongside the outputs' own copies put
    the run over 2 GiB). Without an output folder an analyst gets the whole register back."""
    from slrt_cli import run
    from slrt_cli.outputs import shown_columns
    from slrt_cli.schemas import load_schema

    desa, register = ["sample_data/desa"], ["sample_data/register/dtks.parquet"]
    whole = run(desa, register)
    written = run(desa, register, tmp_path / "hasil")
    assert whole.register.height == whole.register_rows
    assert written.register_rows == whole.register_rows
    assert 0 < written.register.height < whole.register.height
    assert set(written.register.columns) <= shown_columns(load_schema()) | {"person_id"}
    rec = written.reconciliation
    shown = set(pl.concat([rec.reconciliation["person_id"], rec.not_found["person_id"], rec.changes["person_id"]])
                .drop_nulls().to_list())
    derived = written.register.filter(pl.col("person_id_derived").fill_null(False)) if "person_id_derived" in \
        written.register.columns else written.register.clear()
    assert set(written.register["person_id"].to_list()) - set(derived["person_id"].to_list()) <= shown
    assert shown <= set(written.register["person_id"].to_list())
