"""Reports for people: the operator's workbook (laporan.xlsx), the offline page (laporan.html), fix-files."""

from slrt_cli.report.excel import write_workbook
from slrt_cli.report.html import write_html

__all__ = ["write_html", "write_workbook"]
