"""xlsxwriter where slrt writes in bulk, faster and to the same bytes: cells and cell notes.

:class:`FastWorkbook` is an ``xlsxwriter.Workbook`` that writes some parts with one formatted string
where xlsxwriter builds each element and escapes each constant attribute, through the hooks
xlsxwriter keeps for it (``Workbook.worksheet_class``, and ``Workbook._get_packager``, which
"allows the default packager to be over-ridden"). Everything else is xlsxwriter's own.

**Cells.** The cells of a worksheet's XML (strings, numbers, dates, blanks: some 1,000,000 in a
messy month's fix-files, 500,000 in laporan.xlsx).

**Notes.** A messy month's fix-files carry some 90,000 notes, one on each faulty cell. xlsxwriter writes
each note's VML shape (what Excel draws) and its comment element (the text) element by element,
escaping every constant attribute: about a third of a fix-file's time.

**Cell writers.** :func:`cell_writers` gives a worksheet's undecorated writers (xlsxwriter's
``_write_string``...: its public ``write_string`` is one of them behind a check for A1 notation),
for loops that write a million cells by row and column numbers.

The bytes are xlsxwriter's: ``tests/test_xlsx.py`` writes the same workbooks both ways and
compares every part, so that an xlsxwriter that changes fails there, not in a village. A
workbook with anything else in its VML (buttons, header images) is written by xlsxwriter alone.
"""

from __future__ import annotations

from xlsxwriter import Workbook
from xlsxwriter.comments import Comments, _preserve_whitespace
from xlsxwriter.packager import Packager
from xlsxwriter.utility import xl_rowcol_to_cell, xl_rowcol_to_cell_fast
from xlsxwriter.vml import Vml
from xlsxwriter.worksheet import Worksheet

__all__ = ["FastWorkbook", "cell_writers"]


def cell_writers(ws) -> tuple:
    """``ws``'s (write_string, write_number, write_datetime, write_blank), each taking (row, column,
    value, format), without the A1-notation check of the public methods."""
    return ws._write_string, ws._write_number, ws._write_datetime, ws._write_blank


class _Worksheet(Worksheet):
    def _write_cell(self, row: int, col: int, cell) -> None:
        kind = cell.__class__.__name__
        if kind not in _PLAIN_CELLS or self.constant_memory:  # in-line strings, formulas...: xlsxwriter's
            return super()._write_cell(row, col, cell)
        # the cell's format, else its row's, else its column's (as Worksheet._write_cell)
        style = ""
        if cell.format:
            style = f' s="{cell.format._get_xf_index()}"'
        elif row in self.row_info and self.row_info[row].row_format:
            style = f' s="{self.row_info[row].row_format._get_xf_index()}"'
        elif col in self.col_info:
            column_format = self.col_info[col].column_format
            if column_format is not None:
                style = f' s="{column_format._get_xf_index()}"'
        ref = xl_rowcol_to_cell_fast(row, col)
        if kind == "Blank":
            self.fh.write(f'<c r="{ref}"{style}/>')
        elif kind in ("String", "RichString"):  # the index of a shared string
            self.fh.write(f'<c r="{ref}"{style} t="s"><v>{cell.string}</v></c>')
        else:
            self.fh.write(f'<c r="{ref}"{style}><v>{cell.number:.16G}</v></c>')
        return None


#: the cells :class:`_Worksheet` writes itself
_PLAIN_CELLS = frozenset({"String", "RichString", "Number", "Datetime", "Blank"})


class FastWorkbook(Workbook):
    """An ``xlsxwriter.Workbook`` that writes its cells and cell notes faster (see the module)."""

    worksheet_class = _Worksheet

    def _get_packager(self) -> Packager:
        return _Packager()


class _Packager(Packager):
    def _plain_notes(self) -> bool:
        """True when every sheet's VML holds notes only (no buttons, no header images)."""
        return not any(ws.has_header_vml or ws.buttons_list for ws in self.workbook.worksheets())

    def _write_vml_files(self) -> None:
        if not self._plain_notes():
            return super()._write_vml_files()
        index = 1
        for ws in self.workbook.worksheets():
            if ws.has_vml:
                vml = _Vml()
                vml._set_xml_writer(self._filename(f"xl/drawings/vmlDrawing{index}.vml"))
                vml._assemble_xml_file(ws.vml_data_id, ws.vml_shape_id, ws.comments_list, ws.buttons_list)
                index += 1
        return None

    def _write_comment_files(self) -> None:
        index = 1
        for ws in self.workbook.worksheets():
            if ws.has_comments:
                comments = _Comments()
                comments._set_xml_writer(self._filename(f"xl/comments{index}.xml"))
                comments._assemble_xml_file(ws.comments_list)
                index += 1


#: the parts of a note's VML shape that never change (xlsxwriter's Vml._write_comment_shape)
_SHAPE_MIDDLE = (
    '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
)


class _Vml(Vml):
    def _write_comment_shape(self, shape_id, z_index, comment) -> None:
        left, top, width, height = self._pixels_to_points(comment.vertices)
        col_start, row_start, x1, y1, col_end, row_end, x2, y2 = comment.vertices[:8]
        visible = bool(comment.is_visible)
        self.fh.write(
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;'
            f"margin-left:{left:.15g}pt;margin-top:{top:.15g}pt;width:{width:.15g}pt;height:{height:.15g}pt;"
            f'z-index:{z_index};visibility:{"visible" if visible else "hidden"}" '
            f'fillcolor="{self._escape_attributes(comment.color._vml_rgb_hex_value())}" o:insetmode="auto">'
            f"{_SHAPE_MIDDLE}"
            f"<x:Anchor>{col_start}, {x1}, {row_start}, {y1}, {col_end}, {x2}, {row_end}, {y2}</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{comment.row}</x:Row><x:Column>{comment.col}</x:Column>"
            f'{"<x:Visible/>" if visible else ""}</x:ClientData></v:shape>'
        )


class _Comments(Comments):
    def _write_comment(self, comment, author_id: int) -> None:
        author = f' authorId="{author_id}"' if author_id != -1 else ""
        space = ' xml:space="preserve"' if _preserve_whitespace(comment.text) else ""
        self.fh.write(
            f'<comment ref="{xl_rowcol_to_cell(comment.row, comment.col)}"{author}><text><r><rPr>'
            f'<sz val="{comment.font_size}"/><color indexed="81"/>'
            f'<rFont val="{self._escape_attributes(comment.font_name)}"/><family val="{comment.font_family}"/>'
            f"</rPr><t{space}>{self._escape_control_characters(self._escape_data(comment.text))}</t>"
            "</r></text></comment>"
        )
