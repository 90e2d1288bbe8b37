"""Update files for the ministry under ``kirim/``: usulan baru, perbaikan, nonaktif, manifest.

The layout of each file kind is data, not code: ``schemas/kirim/<kind>.toml`` lists
the output columns (header title, source field, format) and the file format
(delimiter, BOM, line ending, date format). No official SIKS-NG upload template is
public; the default layouts follow the columns of the SIKS-NG DTKS export.

What goes into each kind (the layout files say the same for operators):

- ``usulan_baru``: every village row whose outcome is ``new`` (new households and
  new members of a register household, ``ID DTKS`` filled for the latter).
- ``nonaktif``: one row per register person to deactivate: rows ``matched`` to a
  register person whose verivali status is one of the layout's ``statuses``
  (default MENINGGAL, PINDAH, GANDA, TIDAK_DITEMUKAN), plus the register persons
  of covered households that no village file lists (``not_found``). Rows with
  outcome ``duplicate`` (the village listed a person twice) are *not* sent: that
  register person is matched by another row and stays active.
- ``perbaikan``: one row per field that differs between a matched register
  person and the village row (``changes``), except for persons being deactivated.

Files are split per kabupaten (``kirim/3201/usulan_baru.csv``) and, on request,
per desa (``kirim/3201/3201011002/usulan_baru.csv``, instead of the kabupaten
file). Rows without a region code go to ``kirim/tanpa_wilayah/`` (and, per desa,
``kirim/<kab>/tanpa_desa/``): never dropped. Identifiers are written in full
(these files are for the ministry); cells a spreadsheet would run as formulas are
neutralised. Same inputs give byte-identical files and manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from slrt_cli import reference
from slrt_cli.atomic import DIR_MODE, replace_folder
from slrt_cli.errors import UsageError
from slrt_cli.export import escape_formula
from slrt_cli.privacy import MASK
from slrt_cli.schemas import Schema, load_schema
from slrt_cli.upload_layouts import KEYS, KIND_SOURCES, KINDS, REGION_SOURCES, Layout, UploadColumn, load_layouts

NO_REGION = "tanpa_wilayah"
NO_DESA = "tanpa_desa"
MANIFEST = "manifest.json"

_ID_FIELDS = ("nik", "no_kk")
_NOT_FROM_REGISTER = ("status_verivali", "alasan")


# ---------------------------------------------------------------- source frames


def upload_frames(result: Any, layouts: dict[str, Layout], schema: Schema, period: str = "") -> dict[str, pl.DataFrame]:
    """The rows of each file kind, with every source column a layout may name (before formatting).

    ``result`` is a :class:`slrt_cli.runs.RunReport` (``rows``, ``reconciliation``,
    optionally ``register``: the normalised register, used for the register's own
    identity values of deactivated and corrected persons).

    Each frame also has ``_kab`` and ``_desa`` (the folder keys) and is sorted in
    the order its file is written.
    """
    rec = result.reconciliation
    rows = _full_rows(result.rows, schema)
    register = _register(result, schema, layouts)
    links = rec.reconciliation
    file_desa = _file_desa(links)
    new = _usulan_baru(links, rows, file_desa)
    off = _nonaktif(links, rows, rec.not_found, register, layouts["nonaktif"], schema)
    gone = off.select("person_id").drop_nulls().unique()
    corrections = rec.changes.join(gone, on="person_id", how="anti")
    if "jenis" in corrections.columns:  # a spelling variant of the same name is not a correction
        corrections = corrections.filter(pl.col("jenis") != "ejaan")
    fix = _perbaikan(corrections, links, rows, register, layouts["perbaikan"], schema)
    frames = {"usulan_baru": new, "nonaktif": off, "perbaikan": fix}
    out = {}
    derived = _derived_ids(result)
    for kind, frame in frames.items():
        frame = _with_regions(_ensure(frame, schema)).with_columns(pl.lit(period, pl.Utf8).alias("periode"))
        frame = frame.sort(_ORDER[kind], nulls_last=True, maintain_order=True)
        if derived is not None:  # an id slrt made up for a register without person ids means nothing to the ministry
            made_up = pl.col("person_id").is_in(derived.implode())
            frame = frame.with_columns(pl.when(made_up).then(None).otherwise(pl.col("person_id")).alias("person_id"))
        out[kind] = frame
    return out


_ORDER = {
    "usulan_baru": ["_kab", "_desa", *KEYS],
    "nonaktif": ["_kab", "_desa", "household_id", "person_id", *KEYS],
    "perbaikan": ["_kab", "_desa", "household_id", "person_id", "_field_order", "field", *KEYS],
}


def _full_rows(rows: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Village rows: canonical fields only (full identifiers), keyed by source file/sheet/row."""
    keep = KEYS + [f for f in schema.fields if f in rows.columns] + [c for c in ("issue_codes",) if c in rows.columns]
    rows = rows.select(keep).unique(KEYS, keep="first", maintain_order=True)
    return _ensure(rows, schema).select(keep + [f for f in schema.fields if f not in keep])


def register_columns(layouts: dict[str, Layout] | None = None, schema: Schema | None = None) -> set[str]:
    """The register's columns the files are written from: the deactivations' (their layout's
    sources), the identity of the corrected persons, and what the files are keyed and sorted by
    (usulan baru take nothing from the register)."""
    layouts = layouts or load_layouts(schema=schema)
    named = {source for col in layouts["nonaktif"].columns for source in col.sources}
    return (named | {"person_id", "household_id", *REGION_SOURCES, *_ID_FIELDS, "nama"}) - set(_NOT_FROM_REGISTER)


def _register(result: Any, schema: Schema, layouts: dict[str, Layout]) -> pl.DataFrame | None:
    """The register's own values of the persons a file may name (:func:`register_columns`), each
    person once. Narrow on purpose: with ``--coverage desa`` hundreds of thousands of persons not
    found join it."""
    reg = getattr(result, "register", None)
    if not isinstance(reg, pl.DataFrame) or "person_id" not in reg.columns:
        return None
    named = register_columns(layouts)
    keep = [f for f in schema.fields if f in reg.columns and f in named]
    return reg.select(keep).filter(pl.col("person_id").is_not_null()).unique("person_id", keep="first", maintain_order=True)


def _derived_ids(result: Any) -> pl.Series | None:
    """Person ids the register reader derived (column ``person_id_derived`` of ``result.register``), if known."""
    reg = getattr(result, "register", None)
    if not isinstance(reg, pl.DataFrame) or "person_id_derived" not in reg.columns:
        return None
    return reg.select("person_id", "person_id_derived").filter(pl.col("person_id_derived").fill_null(False))["person_id"]


def _unmask(frame: pl.DataFrame) -> pl.DataFrame:
    """A masked identifier (``320101******0001``) is never sent: it becomes empty."""
    cols = [c for c in _ID_FIELDS if c in frame.columns]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(MASK, literal=True)).then(None).otherwise(pl.col(c)).alias(c) for c in cols
    )


def _file_desa(links: pl.DataFrame) -> pl.DataFrame:
    """The desa of each village file: the commonest ``kode_desa`` of its rows (ties: lowest code)."""
    return (
        links.filter(pl.col("kode_desa").is_not_null())
        .group_by(["source_file", "kode_desa"]).len()
        .sort(["source_file", "len", "kode_desa"], descending=[False, True, False])
        .unique("source_file", keep="first", maintain_order=True)
        .select("source_file", pl.col("kode_desa").alias("_file_desa"))
    )


def _usulan_baru(links: pl.DataFrame, rows: pl.DataFrame, file_desa: pl.DataFrame) -> pl.DataFrame:
    new = links.filter(pl.col("outcome") == "new").select(
        KEYS + [pl.col("household_id").alias("_rec_household"), "status_verivali", pl.col("kode_desa").alias("_rec_desa")]
    )
    village = rows.drop([c for c in ("status_verivali",) if c in rows.columns])
    out = new.join(village, on=KEYS, how="left").join(file_desa, on="source_file", how="left")
    return out.with_columns(
        pl.coalesce("_rec_household", "household_id").alias("household_id"),
        pl.coalesce("kode_desa", "_rec_desa", "_file_desa").alias("kode_desa"),
    ).drop("_rec_household", "_rec_desa", "_file_desa")


def _nonaktif(
    links: pl.DataFrame,
    rows: pl.DataFrame,
    not_found: pl.DataFrame,
    register: pl.DataFrame | None,
    layout: Layout,
    schema: Schema,
) -> pl.DataFrame:
    listed = links.filter((pl.col("outcome") == "matched") & pl.col("status_verivali").is_in(list(layout.statuses)))
    listed = listed.select(KEYS + ["person_id", "household_id", "status_verivali", pl.col("kode_desa").alias("_rec_desa")])
    remarks = rows.select(KEYS + [c for c in ("alasan",) if c in rows.columns])
    if register is not None:
        a = listed.drop("household_id").join(remarks, on=KEYS, how="left").join(register, on="person_id", how="left")
        a = a.with_columns(pl.coalesce("kode_desa", "_rec_desa").alias("kode_desa"))
    else:
        village = rows.drop([c for c in ("person_id", "household_id", "status_verivali") if c in rows.columns])
        a = listed.join(village, on=KEYS, how="left").with_columns(pl.coalesce("_rec_desa", "kode_desa").alias("kode_desa"))
    parts = [a.drop("_rec_desa")]
    if layout.include_not_found and not_found.height:
        nf = not_found.with_columns(
            pl.lit("TIDAK_DITEMUKAN").alias("status_verivali"), pl.lit(layout.not_found_note or None, pl.Utf8).alias("alasan")
        )
        if register is not None:
            nf = nf.select("person_id", "status_verivali", "alasan").join(register, on="person_id", how="left")
        parts.append(_unmask(nf))
    frame = pl.concat([_ensure(p, schema) for p in parts], how="diagonal_relaxed")
    return _unmask(frame)


def _perbaikan(
    changes: pl.DataFrame,
    links: pl.DataFrame,
    rows: pl.DataFrame,
    register: pl.DataFrame | None,
    layout: Layout,
    schema: Schema,
) -> pl.DataFrame:
    order = {f: i for i, f in enumerate(layout.field_titles)}
    titles = {f: layout.field_titles.get(f, schema.fields[f].label_id.upper() if f in schema.fields else f.upper())
              for f in changes["field"].unique().to_list()}
    village = rows.select(KEYS + [pl.col(c).alias(f"_v_{c}") for c in ("nik", "no_kk", "nama", "issue_codes") if c in rows.columns])
    desa = links.select(KEYS + [pl.col("kode_desa")])
    out = changes.join(village, on=KEYS, how="left").join(desa, on=KEYS, how="left")
    if "_v_issue_codes" in out.columns and layout.skip_when_flagged:
        out = out.filter(~_flagged(layout.skip_when_flagged))
    if register is not None:
        reg = register.select(["person_id"] + [pl.col(c).alias(f"_r_{c}") for c in ("nik", "no_kk", "nama") if c in register.columns])
        out = out.join(reg, on="person_id", how="left")
    out = _ensure_cols(out, [f"_{s}_{c}" for s in "vr" for c in ("nik", "no_kk", "nama")])
    fld = pl.col("field")
    lama, baru = pl.col("nilai_dtks"), pl.col("nilai_desa")
    for c in _ID_FIELDS:  # changes may hold masked identifiers: take the full ones
        lama = pl.when(fld == c).then(pl.coalesce(f"_r_{c}", pl.col("nilai_dtks"))).otherwise(lama)
        baru = pl.when(fld == c).then(pl.coalesce(f"_v_{c}", pl.col("nilai_desa"))).otherwise(baru)
    out = out.with_columns(
        lama.alias("nilai_lama"),
        baru.alias("nilai_baru"),
        pl.coalesce("_r_nik", "_v_nik").alias("nik"),
        pl.coalesce("_r_no_kk", "_v_no_kk").alias("no_kk"),
        pl.coalesce("_r_nama", "_v_nama").alias("nama"),
        fld.replace_strict(titles, default=fld, return_dtype=pl.Utf8).alias("kolom"),
        fld.replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_field_order"),
    )
    masked = fld.is_in(list(_ID_FIELDS)) & pl.col("nilai_lama").str.contains(MASK, literal=True)
    out = out.with_columns(pl.when(masked).then(None).otherwise(pl.col("nilai_lama")).alias("nilai_lama"))
    masked = fld.is_in(list(_ID_FIELDS)) & pl.col("nilai_baru").str.contains(MASK, literal=True)
    out = out.with_columns(pl.when(masked).then(None).otherwise(pl.col("nilai_baru")).alias("nilai_baru"))
    return _unmask(out.select([c for c in out.columns if not c.startswith(("_v_", "_r_"))]))


def _flagged(skip: dict[str, tuple[str, ...]]) -> pl.Expr:
    """True for a change whose village value the validator flagged (layout ``skip_when_flagged``)."""
    codes = pl.col("_v_issue_codes")
    hit = pl.lit(False)
    for name, flagged in skip.items():
        has = codes.list.eval(pl.element().is_in(list(flagged))).list.any().fill_null(False)
        hit = hit | ((pl.col("field") == name) & has)
    return hit


def _ensure_cols(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    return frame.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in names if c not in frame.columns)


def _ensure(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Every canonical field, source key and per-kind source exists (null when unknown)."""
    extra = [*KEYS, *KIND_SOURCES["perbaikan"], "_field_order"]
    add = []
    for name in [*schema.fields, *extra]:
        if name not in frame.columns:
            spec = schema.fields.get(name)
            dtype = _KIND_DTYPES.get(spec.kind, pl.Utf8) if spec else pl.Int64 if name in ("source_row", "_field_order") else pl.Utf8
            add.append(pl.lit(None, dtype).alias(name))
    return frame.with_columns(add) if add else frame


_KIND_DTYPES = {"date": pl.Date, "flag": pl.Boolean, "int": pl.Int64}


def _with_regions(frame: pl.DataFrame) -> pl.DataFrame:
    """Region codes and Kemendagri names from ``kode_desa``; folder keys ``_kab`` and ``_desa``."""
    desa = pl.col("kode_desa")
    full = desa.str.len_chars() == 10
    frame = frame.with_columns(
        pl.when(full).then(desa).otherwise(None).alias("kode_desa"),
        pl.when(full).then(desa.str.slice(0, 2)).otherwise(pl.col("kode_prov")).alias("kode_prov"),
        pl.when(full).then(desa.str.slice(0, 4)).otherwise(pl.col("kode_kab")).alias("kode_kab"),
        pl.when(full).then(desa.str.slice(0, 6)).otherwise(pl.col("kode_kec")).alias("kode_kec"),
    )
    names = _region_names(frame.get_column("kode_desa").drop_nulls().unique().sort().to_list())
    frame = frame.join(names, on="kode_desa", how="left")
    frame = frame.with_columns(pl.coalesce(f"_ref_{c}", c).alias(c) for c in ("nama_prov", "nama_kab", "nama_kec", "nama_desa"))
    kab = pl.when(pl.col("kode_kab").str.len_chars() == 4).then(pl.col("kode_kab"))
    return frame.drop([c for c in frame.columns if c.startswith("_ref_")]).with_columns(
        kab.fill_null(NO_REGION).alias("_kab"), pl.col("kode_desa").fill_null(NO_DESA).alias("_desa")
    )


def _region_names(codes: list[str]) -> pl.DataFrame:
    rows = []
    for code in codes:
        names = [reference.lookup(code[:n]) for n in (2, 4, 6, 10)]
        rows.append([code, *[r.name if r else None for r in names]])
    names = ["kode_desa", "_ref_nama_prov", "_ref_nama_kab", "_ref_nama_kec", "_ref_nama_desa"]
    return pl.DataFrame(rows, schema={n: pl.Utf8 for n in names}, orient="row")


# ---------------------------------------------------------------- formatting


def format_frame(frame: pl.DataFrame, layout: Layout, schema: Schema) -> pl.DataFrame:
    """The output columns of ``layout`` (all text), formula-looking cells neutralised."""
    exprs = []
    for col in layout.columns:
        values = [_format(frame, source, col, layout, schema) for source in col.sources]
        expr = values[0] if len(values) == 1 else pl.coalesce(values)
        if col.case == "upper":
            expr = expr.str.to_uppercase()
        exprs.append(escape_formula(expr).alias(col.title))
    return frame.select(exprs)


def _format(frame: pl.DataFrame, source: str, col: UploadColumn, layout: Layout, schema: Schema) -> pl.Expr:
    dtype = frame.schema[source]
    c = pl.col(source)
    if col.format == "date":
        return _date_text(c, dtype, layout.date_format)
    if col.format == "value":
        dates = [f for f, spec in schema.fields.items() if spec.kind == "date"]
        as_date = c.str.strptime(pl.Date, "%Y-%m-%d", strict=False).dt.strftime(layout.date_format)
        return pl.when(pl.col("field").is_in(dates)).then(pl.coalesce(as_date, c)).otherwise(c)
    text = _code_text(c, dtype)
    if col.format == "label":
        labels = schema.codelists[col.codelist].labels_id
        return text.replace_strict(labels, default=text, return_dtype=pl.Utf8)
    return text


def _date_text(c: pl.Expr, dtype: pl.DataType, fmt: str) -> pl.Expr:
    if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
        return c.dt.strftime(fmt)
    text = c.cast(pl.Utf8)
    return pl.coalesce(text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False).dt.strftime(fmt), text)


def _code_text(c: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:  # flags: 1 Ya, 2 Tidak (schemas/codes/flag.csv)
        return pl.when(c).then(pl.lit("1")).when(~c).then(pl.lit("2")).otherwise(None)
    if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
        return c.dt.strftime("%Y-%m-%d")
    return c.cast(pl.Utf8)


def write_csv(frame: pl.DataFrame, layout: Layout, target: Path) -> str:
    """Write the file in the layout's delimiter, BOM and line ending; its SHA-256 (hex).

    Straight to the file, then read back in blocks for the hash: with ``--coverage desa`` the
    nonaktif file of a month can hold every register person of the covered desa (90 MB for
    420,000 persons), which as bytes in memory, and their copy, would cost twice that."""
    frame.write_csv(target, separator=layout.delimiter, include_bom=layout.bom, line_terminator=layout.line_terminator)
    digest = hashlib.sha256()
    with target.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- writing


def write_uploads(
    folder: Path,
    result: Any,
    *,
    period: str,
    settings: dict,
    split_desa: bool = False,
    schema: Schema | None = None,
    layouts: dict[str, Layout] | None = None,
) -> list[str]:
    """Write the ministry's update files and ``manifest.json`` into ``folder`` (a run's ``kirim/``).

    One set of files (usulan baru, perbaikan, nonaktif, each in the layout of
    ``schemas/kirim/<kind>.toml``) per kabupaten that any row names, or per desa
    with ``split_desa``. A kind with no row in a folder is written with its header
    only, so every folder holds the same files. The folder is replaced as a whole.

    Args:
        folder: the ``kirim`` folder (created or replaced).
        result: a :class:`slrt_cli.runs.RunReport`.
        period: the month the files are for, e.g. ``"2025-10"`` (written in the manifest).
        settings: the run's settings (written in the manifest; must be JSON-able, paths are turned into text).
        split_desa: one folder per desa inside each kabupaten folder instead of one file set per kabupaten.
        schema: schema files (default: the bundled ones).
        layouts: layouts (default: :func:`load_layouts`).

    Returns:
        The written paths relative to the run folder (``folder``'s parent),
        e.g. ``["kirim/3201/nonaktif.csv", …, "kirim/manifest.json"]``.

    Raises:
        InputError: a layout file is missing or wrong.
        UsageError: ``folder`` exists, is not empty and holds no ``manifest.json`` (not ours to replace).

    Example:
        >>> r = run(["sample_data/desa"], ["sample_data/register/dtks.parquet"])     # doctest: +SKIP
        >>> write_uploads(Path("hasil/kirim"), r, period="2025-10", settings={})   # doctest: +SKIP
        ['kirim/3201/nonaktif.csv', 'kirim/3201/perbaikan.csv', 'kirim/3201/usulan_baru.csv', 'kirim/manifest.json']
    """
    schema = schema or load_schema()
    layouts = layouts or load_layouts(schema=schema)
    folder = Path(folder)
    _check_folder(folder)
    frames = upload_frames(result, layouts, schema, period)
    keys = ["_kab", "_desa"] if split_desa else ["_kab"]
    groups = sorted({tuple(k) for f in frames.values() for k in f.select(keys).unique().iter_rows()})
    files: list[dict[str, Any]] = []
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}-tmp-", dir=folder.parent))
    try:
        for group in groups:
            for kind in KINDS:
                layout = layouts[kind]
                part = frames[kind].filter(pl.all_horizontal(pl.col(k) == v for k, v in zip(keys, group, strict=True)))
                rel = "/".join([*group, layout.file_name])
                target = stage / rel
                target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                # full NIK/No KK: owner only once swapped in (replace_folder)
                digest = write_csv(format_frame(part, layout, schema), layout, target)
                entry = {"path": rel, "rows": part.height, "sha256": digest, "kind": kind, "kabupaten": group[0]}
                if split_desa:
                    entry["desa"] = group[1]
                files.append(entry)
        files.sort(key=lambda e: e["path"])
        (stage / MANIFEST).write_bytes(manifest_bytes(files, period, settings, schema, layouts))
        replace_folder(stage, folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return [f"{folder.name}/{e['path']}" for e in files] + [f"{folder.name}/{MANIFEST}"]


def manifest_bytes(files: list[dict], period: str, settings: dict, schema: Schema, layouts: dict[str, Layout]) -> bytes:
    """``manifest.json``: files (path relative to ``kirim/``, rows, sha256), period, settings; keys sorted."""
    from slrt_cli import __version__

    body = {
        "files": files,
        "period": period,
        "settings": _jsonable(settings),
        "schema_version": schema.version,
        "slrt_version": __version__,
        "layouts": {
            kind: {
                "file": lay.file_name,
                "delimiter": lay.delimiter,
                "encoding": "utf-8-sig" if lay.bom else "utf-8",
                "columns": lay.titles,
            }
            for kind, lay in layouts.items()
        },
    }
    return (json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError("error_output_not_dir", path=str(folder))
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST).is_file():
        raise UsageError("error_output_foreign", path=str(folder))
