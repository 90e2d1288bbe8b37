"""A month's run as a result: :class:`RunReport`, what :func:`slrt_cli.run` returns, and reading
one back from the folder `slrt run` wrote (``slrt report`` rewrites its reports from it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from slrt_cli.atomic import atomic_write
from slrt_cli.errors import UsageError
from slrt_cli.lock import output_lock
from slrt_cli.model import FileResult, ValidationReport

if TYPE_CHECKING:
    from slrt_cli.reconcile import Reconciliation


@dataclass
class RunReport:
    """Result of :func:`run` or :func:`match_rows`: validation, links and the reconciliation.

    Frames are polars inside; the properties hand pandas DataFrames to analysts.
    """

    validation: ValidationReport | None
    rows: pl.DataFrame
    register_rows: int
    reconciliation: Reconciliation
    outputs: list[str] = field(default_factory=list)
    period: str = ""
    #: the SLRT desk's section of the month's report (``slrt report --layanan``): label, value rows
    desk: pl.DataFrame | None = None
    #: the normalised register (for review.xlsx and the reports); after a run that wrote an output
    #: folder, only the rows and columns the outputs show (:func:`slrt_cli.outputs.shown_register`)
    register: pl.DataFrame | None = None
    full_ids: bool = False
    register_files: list[dict] = field(default_factory=list)  # the register files read: name, rows, SHA-256

    @property
    def links(self):  # -> pandas.DataFrame
        return self.reconciliation.reconciliation.to_pandas()

    @property
    def not_found(self):
        return self.reconciliation.not_found.to_pandas()

    @property
    def households(self):
        return self.reconciliation.households.to_pandas()

    @property
    def changes(self):
        return self.reconciliation.changes.to_pandas()

    def counts(self) -> dict[str, int]:
        return self.reconciliation.counts()


def load_run(folder: str | Path) -> RunReport:
    """Rebuild a :class:`RunReport` from the files `slrt run` wrote (without the register).

    Raises:
        UsageError: ``folder`` is not a complete `slrt run` output folder.
    """
    folder = Path(folder)
    names = ("reconciliation", "not_found", "households", "changes")
    needed = ["rows.parquet", "summary.json", "issues.parquet", *(f"{n}.parquet" for n in names)]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise UsageError("error_not_a_run", path=str(folder), missing=", ".join(missing))
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    rows = pl.read_parquet(folder / "rows.parquet")
    from slrt_cli.reconcile import Reconciliation

    rec = Reconciliation(*(pl.read_parquet(folder / f"{n}.parquet") for n in names))
    files = [
        FileResult(file=f["file"], path=folder / f["file"], sha256=f.get("sha256", ""), size=f.get("size", 0),
                   format=f.get("format", ""), readable=f.get("readable", True))
        for f in summary.get("files", [])
    ]
    validation = ValidationReport(files=files, table=rows, issue_table=pl.read_parquet(folder / "issues.parquet"),
                                  schema_version=summary.get("schema_version", ""))
    settings = summary.get("settings", {})
    return RunReport(validation=validation, rows=rows, register_rows=summary.get("match", {}).get("register_rows", 0),
                     reconciliation=rec, period=summary.get("period", ""), full_ids=bool(settings.get("full_nik")))


def write_reports(folder: str | Path, *, lang: str = "id", desk: str | Path | None = None) -> list[str]:
    """(Re)write laporan.xlsx and laporan.html of an existing run folder, each file atomically;
    with ``desk`` (an output folder of ``slrt layanan``), with the SLRT desk's section."""
    from slrt_cli.report import write_html, write_workbook

    folder = Path(folder)
    section = None
    if desk is not None:
        from slrt_cli.desk import desk_section

        section = desk_section(desk, lang)
    with output_lock(folder):
        result = load_run(folder)
        result.desk = section
        written = []
        for name, writer in (("laporan.xlsx", write_workbook), ("laporan.html", write_html)):
            atomic_write(folder / name, lambda tmp, writer=writer: writer(tmp, result, lang=lang))
            written.append(name)
    return written
