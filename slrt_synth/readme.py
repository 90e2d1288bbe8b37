"""The README of a generated sample: what is inside, every file's layout, expected rejections."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

from slrt_synth.layouts import FileStyle

if TYPE_CHECKING:
    from slrt_synth.generate import Written
    from slrt_synth.population import Population

NOISE_DOC = {
    "duplicate": "the same person listed again (same file or the desa's other file)",
    "name:muhammad": "MUHAMMAD written MUHAMAD / MOCH. / M. / ...",
    "name:siti_nur_abdul": "SITI -> ST./SITTI, NUR -> NOER, ABDUL -> ABD., AHMAD -> ACHMAD",
    "name:old_spelling": "old spelling back and forth (oe/u, dj/j, tj/c, sj/sy, nj/ny, ch/kh, j/y)",
    "name:title": "H./HJ./DRS. prefix or a degree suffix (S.Pd, S.Ag, ...)",
    "name:bin_binti": "BIN/BINTI + father's name appended",
    "name:drop_word": "a middle or last word left out",
    "name:typo": "one typing slip (swap, drop, double, wrong vowel)",
    "name:alm": "ALM/ALMH (deceased) marker on a MENINGGAL row",
    "name:spacing": "double space inside, or a leading/trailing space",
    "name:case": "lower case or Title Case",
    "nik:missing": "NIK cell empty or '-'",
    "nik:none_in_register": "the person has no NIK in the register either (cell empty)",
    "nik:none": "a new person without NIK (cell empty)",
    "nik:digit_off": "one digit of the NIK wrong",
    "nik:transposed": "two adjacent digits swapped",
    "nik:kk_in_nik": "the No KK typed in the NIK column",
    "nik:head_nik": "the household head's NIK copied to this member",
    "nik:15_digits": "last digit missing (15 digits)",
    "nik:excel_number": "numeric cell: Excel kept 15 digits, the 16th is 0",
    "nik:scientific": "CSV saved by Excel: 3,20101E+15",
    "nik:apostrophe": "typed with a leading ' ('3201...)",
    "kk:missing": "No KK empty",
    "kk:digit_off": "one digit of the No KK wrong",
    "kk:excel_number": "No KK as a numeric cell (16th digit 0)",
    "date:missing": "birth date empty (the NIK is clean)",
    "date:day_month_swapped": "day and month swapped (both <= 12)",
    "date:year_off": "year off by 1 or 10",
    "date:invalid": "a date that does not exist, e.g. 31-02-1990 (the NIK is clean)",
    "date:placeholder": "01-01-1900 (the NIK is clean)",
    "sex:invalid": "sex X, - or 0",
    "sex:flipped": "the other sex (disagrees with the NIK)",
    "rtrw:missing": "RT and RW empty",
    "place:variant": "birthplace KAB. X / Title case / trailing space",
    "mother:unknown": "mother's name '-', empty or TIDAK TAHU",
    "name:typographic_apostrophe": "' in a name written as the cp1252 right quote (MA\u2019RUF)",
    "address:typographic_apostrophe": "' in the address written as the cp1252 right quote (GG. H. MA\u2019RUF)",
}

REJECT_DOC = {
    "NAME_MISSING": "name cell empty (NIK and birth date present)",
    "IDENTITY_MISSING": "no NIK and no birth date",
    "BIRTH_DATE_FUTURE": "birth date in the future (year digits swapped, e.g. 2052); NIK clean",
}


def _format_desc(style: FileStyle) -> str:
    if style.fmt == "csv":
        enc = {"utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252", "utf-8": "UTF-8"}[style.encoding]
        return f"CSV `{style.delimiter}` {enc}"
    return style.fmt


def _features(style: FileStyle) -> str:
    f = []
    if style.title:
        f.append(f"{len(style.title)} title row(s)" + (" + blank" if style.blank_after_title else ""))
    if style.two_row_header:
        groups = sorted({c.group for c in style.columns if c.group})
        f.append("two-row header (" + ", ".join(f"'{g}' over " + " \\| ".join(
            c.header for c in style.columns if c.group == g) for g in groups) + ")")
    if style.numbering:
        f.append("numbering row under the header")
    if style.by_rw:
        f.append("one sheet per RW")
    if style.id_numeric:
        f.append("NIK/No KK as numbers")
    f.append(f"dates: {style.date_fmt}" + (f" ({style.date_cell_format})" if "cell" in style.date_fmt else ""))
    f.append(f"sex: {style.sex_fmt}")
    rel = next((c for c in style.columns if c.field in ("hub_kk", "hub_krt")), None)
    if rel:
        f.append(f"relation: {'SHDK ' if rel.codelist == 'shdk' else ''}{style.rel_fmt} under '{rel.header}'")
    f.append("RT/RW only in the address" if style.rtrw_fmt == "address" else f"RT/RW: {style.rtrw_fmt}")
    st = next((c for c in style.columns if c.field == "status_verivali"), None)
    if st:
        f.append(f"outcome: {'Sta_keberadaan_art codes' if st.codelist else 'labels'} under '{st.header}'")
    extras = [c.header for c in style.columns if c.field is None and c.extra != "no"]
    if any(c.extra == "no" for c in style.columns):
        extras.insert(0, next(c.header for c in style.columns if c.extra == "no"))
    if extras:
        f.append("extra columns: " + ", ".join(f"'{e}'" for e in extras))
    if style.blank_rows:
        f.append("blank rows among the data")
    if style.trailer:
        f.append("JUMLAH + signature block below the data")
    if style.notes_sheet:
        f.append("'Catatan' notes sheet")
    if style.sci_nik:
        f.append("some NIKs in scientific notation")
    if style.apostrophe_nik:
        f.append("some NIKs with a leading '")
    return "; ".join(f)


def sample_readme(w: Written, pop: Population, seed: int, kab: str) -> str:
    """Markdown describing the sample in ``w``."""
    geo = pop.geo
    truth = w.truth
    statuses = collections.Counter(r["truth_status"] for r in truth)
    tags = collections.Counter(t for r in truth for t in r["noise"].split(";") if t)
    new = sum(1 for r in truth if not r["person_id"])
    rejects = [r for r in truth if "reject:" in r["noise"]]
    desa_names = sorted({geo.desa[f["desa"]] for f in w.files})
    lines = [
        "# sample_data: synthetic verivali batch and register",
        "",
        "**Everyone in this folder is synthetic.** Names were drawn from lists of common Indonesian name",
        "parts, birth dates and households at random; no record of a real person was used. NIKs and",
        "No KKs are *structurally* valid (real Kemendagri kecamatan codes, DDMMYY with +40 for women,",
        "serial from 0001) so that validation and matching behave as on real data, but they were made",
        "up. Register keys are obviously fake: every `household_id` / `ID DTKS` starts with `SYN`",
        f"(`SYN{kab}0000001`), every `person_id` is that key plus a 2-digit member number.",
        "",
        f"Kabupaten: {geo.kab_name} (`{kab}`), {geo.prov_name}. Register extract dated "
        f"{pop.snapshot.isoformat()}; village files for the round of {w.files and 'Oktober 2025'}.",
        "",
        "## Regenerate",
        "",
        "```",
        "python tools/make_sample_data.py            # rewrites sample_data/ (byte-identical for the same seed)",
        # the committed sample_data/README.md says slrt_cli.synth (the generator's old home, now slrt_synth):
        # kept until sample_data/ is regenerated on purpose, so that it stays byte-identical
        f"python -m slrt_cli.synth sample --out DIR --seed {seed}",
        "```",
        "",
        "## Contents",
        "",
        f"- `register/dtks_siksng.csv`: the register as a SIKS-NG DTKS export (23 columns, `|`, UTF-8, "
        f"no person id; `ID DTKS` is the household). {w.register_persons} persons in "
        f"{w.register_households} households of {len({p for p in pop.df['kode_desa'].unique().to_list()})} desa.",
        "- `register/dtks.parquet`: the same people, same order, canonical columns (`household_id`, `person_id`,",
        "  `no_kk`, `nik`, `nama`, `tanggal_lahir` (date), `jenis_kelamin` `1`/`2`, `hub_krt`, `hub_kk` (BDT codes),",
        "  ..., `kode_desa`); `nik` is null for the people without NIK. Row *i* of the Parquet file is line *i + 1*",
        "  of the CSV (after its header): use it to turn `person_id` into a CSV row.",
        f"- `desa/<KECAMATAN>/<file>`: {len(w.files)} village files from {len(desa_names)} desa "
        f"({', '.join(desa_names)}), {w.data_rows} data rows in total.",
        "- `truth.csv`: one line per data row: `source_file` (relative to `desa/`), `source_sheet` (empty for CSV),",
        "  `source_row` (row number as Excel or a text editor shows it, title and header rows counted),",
        "  `person_id` / `household_id` (empty for people not in the register), `truth_status`, `noise`",
        "  (`;`-joined tags, below).",
        "- `truth_missing.csv`: register people of the visited households that no file lists (the desa left",
        f"  them out): {len(w.missing)} people. A matcher should report them as not found.",
        "",
        "Outcomes in the files (`truth_status`): " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) + ".",
        f"Rows of people not in the register: {new}. Duplicate rows (`duplicate`): {tags.get('duplicate', 0)}.",
        "",
        "## Files",
        "",
        "| file | format | sheets | header row(s) | data rows | layout |",
        "|---|---|---|---|---|---|",
    ]
    for f in w.files:
        spans = []
        for sheet in f["sheets"]:
            rows_of = [r["source_row"] for r in truth if r["source_file"] == f["path"] and r["source_sheet"] == sheet]
            spans.append(f"{min(rows_of)}-{max(rows_of)}" + (f" on `{sheet}`" if len(f["sheets"]) > 1 else ""))
        sheets = ", ".join(f"`{s}`" for s in f["sheets"] if s) or "-"
        if f["extra_sheets"]:
            sheets += " (+ " + ", ".join(f"`{s}`" for s in f["extra_sheets"]) + ")"
        lines.append(
            f"| `{f['path']}` | {_format_desc(f['style'])} | {sheets} | {', '.join(map(str, f['header_rows']))} | "
            f"{f['rows']} (rows {', '.join(spans)}) | {_features(f['style'])} |"
        )
    lines += [
        "",
        "Rows that are not data (titles, header, numbering row, blank rows, the JUMLAH/signature block)",
        "never hold a value in a NIK, No KK, name or birth-date column. Every data row holds at least a name",
        "or a NIK. Two-row headers: the upper cell is merged across its columns; single titles are merged",
        "over both header rows.",
        "",
        "## Rows that must be rejected",
        "",
        "Only these rows are unusable (rules.toml: no name; neither a NIK nor a birth date; a future birth",
        "date). Every other row has a name and either its clean 16-digit NIK or a real birth date, so it",
        "must be accepted or flagged, never rejected.",
        "",
        "| file | sheet | row | issue | why |",
        "|---|---|---|---|---|",
    ]
    for r in rejects:
        code = next(t.split(":", 1)[1] for t in r["noise"].split(";") if t.startswith("reject:"))
        detail = REJECT_DOC[code]
        if code == "IDENTITY_MISSING":
            detail += " (" + ("placeholder 01-01-1900" if "date:placeholder" in r["noise"] else "date empty") + ")"
        lines.append(f"| `{r['source_file']}` | {r['source_sheet'] or '-'} | {r['source_row']} | `{code}` | {detail} |")
    lines += [
        "",
        "## Noise tags",
        "",
        "| tag | rows | meaning |",
        "|---|---|---|",
    ]
    for tag, n in sorted(tags.items()):
        if not tag.startswith("reject:"):
            lines.append(f"| `{tag}` | {n} | {NOISE_DOC.get(tag, '')} |")
    lines += [
        "",
        "Every value issue above is a warning at most (see `schemas/rules.toml`); a tag says what was done to",
        "the value, not which issue code a validator must report.",
        "",
    ]
    return "\n".join(lines)
