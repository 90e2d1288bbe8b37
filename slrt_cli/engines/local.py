"""The local engine: a register cut to a batch's slice on one machine, piece after piece.

Two passes over the pieces (a dataset's files, or parts of a register in memory):

1. each piece is prepared for matching and gives its term counts, its rows that share a blocking
   key with the batch (the candidates) and its rows that may be in the weights' samples;
2. each piece gives its rows that are candidates or samples, or belong to a candidate's household,
   or (``--coverage desa``) to a covered desa, or are a reviewer's decision.

Only one piece and the slice are held at a time. :mod:`.spark` does the same on a Spark cluster.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from slrt_cli.engines.dataset import RegisterDataset
from slrt_cli.match import features
from slrt_cli.match import slice as sl
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import TermTables
from slrt_cli.schemas import Schema

log = logging.getLogger("slrt")

#: rows of an in-memory register per piece (a dataset's pieces are its files)
PIECE_ROWS = 500_000


@dataclass
class RegisterSlice:
    """The register rows a batch needs, in the register's order, and the whole register's term tables.

    ``positions``: each row's position in the whole register. Once the rows are linked,
    :meth:`with_households` adds the other members of the households they are linked to (the
    reconciliation counts and lists them); :meth:`close` lets go of what the engine kept for that.
    """

    register: pl.DataFrame
    tables: TermTables
    n_register: int
    engine: str
    pieces: int
    seconds: dict[str, float] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    positions: pl.Series | None = None
    fetch: Callable[[pl.Series], pl.DataFrame] | None = None  # households -> their rows, with ``_r``
    release: Callable[[], None] | None = None

    def with_households(self, households: pl.Series) -> pl.DataFrame:
        """The slice with every member of these households (register ``household_id``) added after
        its rows (the outputs order what they show themselves)."""
        if self.fetch is None or self.positions is None:
            return self.register
        t = time.perf_counter()
        ids = households.cast(pl.Utf8).str.strip_chars().drop_nulls().unique().sort()
        more = self.fetch(ids)
        more = more.filter(~pl.col("_r").is_in(self.positions.implode()))
        if more.height:  # appended (sorting would copy a slice of millions of rows for a few thousand)
            more = more.sort("_r")
            self.register = pl.concat([self.register, more.select(self.register.columns)], how="vertical_relaxed",
                                      rechunk=False)
            self.positions = pl.concat([self.positions, more["_r"].cast(pl.UInt32)], rechunk=False)
        self.seconds["households"] = round(time.perf_counter() - t, 3)
        log.info("register slice households=%d rows added=%d", ids.len(), more.height)
        return self.register

    def close(self) -> None:
        if self.release is not None:
            self.release()
            self.release = None


@dataclass(frozen=True)
class Wanted:
    """What the batch asks of the register, computed once on the batch (the driver)."""

    batch: pl.DataFrame  # the prepared batch: its blocking keys once the term counts are known
    desa: pl.Series | None  # kode_desa the batch names (coverage desa), else None
    person_ids: pl.Series  # person ids of reviewers' decisions
    # a file names no desa: the desa it covers is inferred from the persons it links (reconcile.covered_desa)
    infer_desa: bool = False


def wanted(rows: pl.DataFrame, settings: MatchSettings, coverage: str,
           person_ids: pl.Series | None = None) -> Wanted:
    b = features.prepare_batch(rows, settings.names)
    desa, infer = None, False
    if coverage == "desa":
        named = rows.select("source_file", features.col(rows, "kode_desa").alias("kode_desa"))
        desa = named["kode_desa"].drop_nulls().unique().sort()
        infer = named.group_by("source_file").agg(pl.col("kode_desa").is_not_null().any().alias("any"))["any"].not_().any()
    pids = (person_ids if person_ids is not None else pl.Series("person_id", [], pl.Utf8))
    pids = pids.cast(pl.Utf8).drop_nulls().unique().sort()
    return Wanted(b.filter(pl.col("_status") != "rejected"), desa, pids, bool(infer))


def keep_expr(piece: pl.DataFrame, rows: pl.Series, households: pl.Series, desa: pl.Series | None,
              person_ids: pl.Series) -> pl.Expr:
    """Pass 2's rule on a canonical piece with ``_r``: the rows the slice keeps."""
    cond = pl.col("_r").is_in(rows.cast(pl.UInt32).implode()) | sl.closure_filter(piece, households, desa)
    if person_ids.len():
        cond = cond | features.col(piece, "person_id").is_in(person_ids.implode()).fill_null(False)
    return cond


def _closure_columns(piece: pl.DataFrame) -> list[pl.Expr]:
    return [features.col(piece, "household_id").str.strip_chars().alias("household_id"),
            features.col(piece, "kode_desa").alias("kode_desa")]


def closure_sets(cand: pl.DataFrame, want: Wanted) -> pl.Series | None:
    """The desa covered with ``--coverage desa`` (the batch's, and the candidates' when a file names none)."""
    desa = None
    if want.desa is not None:
        inferred = [cand["kode_desa"].cast(pl.Utf8).drop_nulls()] if want.infer_desa else []
        desa = pl.concat([want.desa, *inferred]).unique().sort()
    return desa


def _slice(pieces: Callable[[], Iterator[tuple[pl.DataFrame, int]]], n_register: int, want: Wanted,
           settings: MatchSettings) -> tuple[pl.DataFrame, TermTables, int, dict[str, float]]:
    """Passes 1 and 2 (module docstring); the slice with ``_r``."""
    t0 = time.perf_counter()
    words, dobs, homes, sample_a, sample_b = [], [], [], [], []
    n_pieces = 0
    for piece, first in pieces():
        n_pieces += 1
        prepared = sl.prepare_piece(piece, settings, first)
        w, d, _ = sl.term_counts(prepared, settings)
        words.append(w)
        dobs.append(d)
        homes.append(sl.household_counts(prepared))
        a, b = sl.sample_candidates(prepared, n_register, settings)
        sample_a.append(a)
        sample_b.append(b)
        del prepared
    tables = sl.slice_tables(sl.add_counts(words, "w"), sl.add_counts(dobs, "_dob"), n_register, settings,
                             sl.add_households(homes))
    keys = sl.batch_keys(want.batch, settings, tables)
    picked = sl.merge_samples(sample_a, sample_b, n_register, settings)
    t1 = time.perf_counter()
    kept, cand_desa = [], []
    for piece, first in pieces():
        prepared = sl.prepare_piece(piece, settings, first)
        hit = sl.candidates(prepared, keys, settings, tables)["_r"]
        del prepared
        piece = piece.with_row_index("_r", offset=first)
        rows = pl.concat([hit, picked]).unique()
        kept.append(piece.filter(keep_expr(piece, rows, NO_HOUSEHOLDS, want.desa, want.person_ids)))
        if want.infer_desa:
            cand_desa.append(piece.join(pl.DataFrame({"_r": hit}), on="_r", how="semi").select(*_closure_columns(piece)))
    out = pl.concat(kept, how="diagonal_relaxed") if kept else pl.DataFrame(schema={"_r": pl.UInt32})
    if want.infer_desa:  # a file that names no desa covers the desa of the persons it links
        extra = closure_sets(pl.concat(cand_desa), want)
        more = [p.with_row_index("_r", offset=f) for p, f in pieces()]
        more = [p.filter(sl.closure_filter(p, NO_HOUSEHOLDS, extra)) for p in more]
        out = pl.concat([out, *more], how="diagonal_relaxed").unique("_r", keep="first")
    seconds = {"pass1": round(t1 - t0, 3), "pass2": round(time.perf_counter() - t1, 3)}
    return out.sort("_r"), tables, n_pieces, seconds


NO_HOUSEHOLDS = pl.Series("household_id", [], pl.Utf8)


def _households_of(pieces: Callable[[], Iterator[tuple[pl.DataFrame, int]]]) -> Callable[[pl.Series], pl.DataFrame]:
    """Pass 3: the rows (with ``_r``) of some households, read from the pieces again."""
    def fetch(households: pl.Series) -> pl.DataFrame:
        none = pl.Series("_r", [], pl.UInt32)
        found = [piece.with_row_index("_r", offset=first).filter(sl.closure_filter(piece, households, None))
                 for piece, first in pieces()]
        found = [f for f in found if f.height]
        return pl.concat(found, how="diagonal_relaxed") if found else pl.DataFrame({"_r": none})
    return fetch


def _made(out: pl.DataFrame, tables: TermTables, n_register: int, engine: str, pieces: int,
          seconds: dict[str, float], files: list[dict] | None = None,
          fetch: Callable[[pl.Series], pl.DataFrame] | None = None,
          release: Callable[[], None] | None = None) -> RegisterSlice:
    return RegisterSlice(out.drop("_r"), tables, n_register, engine, pieces, seconds, files or [],
                         out["_r"].cast(pl.UInt32), fetch, release)


def slice_frame(rows: pl.DataFrame, register: pl.DataFrame, settings: MatchSettings, coverage: str = "household",
                person_ids: pl.Series | None = None, piece_rows: int = PIECE_ROWS) -> RegisterSlice:
    """The slice of a register already in memory (canonical columns), in pieces of ``piece_rows``."""
    want = wanted(rows, settings, coverage, person_ids)

    def pieces() -> Iterator[tuple[pl.DataFrame, int]]:
        for first in range(0, register.height, piece_rows):
            yield register.slice(first, piece_rows), first

    out, tables, n, seconds = _slice(pieces, register.height, want, settings)
    return _made(out, tables, register.height, "local", n, seconds, fetch=_households_of(pieces))


class _Spilled:
    """A dataset's files as pieces, read and normalised once: the first pass keeps each normalised
    piece in a temporary Parquet file, which the second pass reads back (normalising a file costs
    some ten times more than reading it). The files go when the pieces do (:meth:`close`)."""

    def __init__(self, dataset: RegisterDataset, schema: Schema, today: dt.date):
        import tempfile

        self.dataset, self.schema, self.today = dataset, schema, today
        self.tmp = tempfile.TemporaryDirectory(prefix="slrt-register-")
        self.kept: list[tuple[Path, int]] | None = None

    def __call__(self) -> Iterator[tuple[pl.DataFrame, int]]:
        if self.kept is not None:
            for path, first in self.kept:
                yield pl.read_parquet(path), first
            return
        kept = []
        for i, f in enumerate(self.dataset.files):
            if f.rows:
                piece = self.dataset.read(f, self.schema, self.today)
                path = Path(self.tmp.name) / f"{i:06d}.parquet"
                piece.write_parquet(path, compression="lz4")
                kept.append((path, f.first))
                yield piece, f.first
        self.kept = kept

    def close(self) -> None:
        self.tmp.cleanup()


def slice_local(rows: pl.DataFrame, dataset: RegisterDataset, settings: MatchSettings, schema: Schema,
                today: dt.date, coverage: str = "household", person_ids: pl.Series | None = None) -> RegisterSlice:
    """The slice of a register dataset, read file after file."""
    want = wanted(rows, settings, coverage, person_ids)
    pieces = _Spilled(dataset, schema, today)
    try:
        out, tables, n, seconds = _slice(pieces, dataset.rows, want, settings)
    except BaseException:
        pieces.close()
        raise
    log.info("register dataset rows=%d files=%d slice=%d", dataset.rows, n, out.height)
    files = [{"file": f.name, "rows": f.rows} for f in dataset.files]
    return _made(out, tables, dataset.rows, "local", n, seconds, files, _households_of(pieces), pieces.close)


# ---------------------------------------------------------------- slrt dedup


@dataclass
class DedupSlice:
    """The persons of a register who share a block with someone (``slrt dedup`` needs no other),
    with the whole register's name counts and rows (:func:`slrt_cli.match.dedup.block_keys`)."""

    register: pl.DataFrame
    name_counts: pl.DataFrame
    n_rows: int
    n_register: int
    engine: str
    seconds: dict[str, float] = field(default_factory=dict)


def person_filter(piece: pl.DataFrame, ids: pl.Series) -> pl.Expr:
    """Rows of a canonical piece whose person id (as the dedup reads it: stripped) is in ``ids``."""
    return features.col(piece, "person_id").str.strip_chars().is_in(ids.implode()).fill_null(False)


def _dedup_slice(pieces: Callable[[], Iterator[tuple[pl.DataFrame, int]]], settings: MatchSettings,
                 n_register: int) -> DedupSlice:
    from slrt_cli.match.dedup import block_keys, shared_blocks

    t0 = time.perf_counter()
    keys, names, n_rows = [], [], 0
    for piece, _first in pieces():
        k, nm, n = block_keys(piece, settings)
        keys.append(k)
        names.append(nm)
        n_rows += n
    ids = shared_blocks(pl.concat(keys)) if keys else pl.Series("person_id", [], pl.Utf8)
    del keys
    counts = add_name_counts(names)
    t1 = time.perf_counter()
    kept = [piece.filter(person_filter(piece, ids)) for piece, _ in pieces()]
    out = pl.concat(kept, how="diagonal_relaxed") if kept else pl.DataFrame()
    return DedupSlice(out, counts, n_rows, n_register, "local",
                      {"pass1": round(t1 - t0, 3), "pass2": round(time.perf_counter() - t1, 3)})


def add_name_counts(parts: list[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema={"name_hash": pl.Int64, "n": pl.UInt64})
    return pl.concat(parts, how="vertical_relaxed").group_by("name_hash").agg(pl.col("n").sum())


def dedup_frame(register: pl.DataFrame, settings: MatchSettings, piece_rows: int = PIECE_ROWS) -> DedupSlice:
    """:class:`DedupSlice` of a register in memory, in pieces of ``piece_rows``."""
    def pieces() -> Iterator[tuple[pl.DataFrame, int]]:
        for first in range(0, register.height, piece_rows):
            yield register.slice(first, piece_rows), first

    return _dedup_slice(pieces, settings, register.height)


def dedup_local(dataset: RegisterDataset, settings: MatchSettings, schema: Schema, today: dt.date) -> DedupSlice:
    """:class:`DedupSlice` of a register dataset, read file after file."""
    pieces = _Spilled(dataset, schema, today)
    try:
        return _dedup_slice(pieces, settings, dataset.rows)
    finally:
        pieces.close()
