"""The column recognition a sheet gets once its header is found: content decides what titles could
not (:mod:`slrt_cli.io.content`), combined columns are split, repeated key columns compared, and
each column remembers how its field was recognised (for ``slrt inspect``).

The functions take the layout's header object (``texts``, ``mapping``, ``matches``) and change it
in place; they never read a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

from slrt_cli.io import content
from slrt_cli.io.titles import TitleMatch, TitleRecogniser
from slrt_cli.model import Issue, SourceColumn
from slrt_cli.schemas import Schema

if TYPE_CHECKING:
    from slrt_cli.io.layout import _Header


def recognise_by_content(header: _Header, text_cols: list[list], kind_cols: list[list], schema: Schema,
                          label: Callable[[int], str], *, file: str, sheet: str) -> list[Issue]:
    """Profile the columns and let content decide what titles could not (see :mod:`.content`)."""
    issues = []
    for c, m in sorted(header.matches.items()):
        if m.field is None and m.rivals:
            issues.append(_issue(schema, "COLUMN_AMBIGUOUS", file, sheet, header.texts[c] or label(c),
                                 fields=", ".join(m.rivals)))
    profiles = {c: content.profile_column(t, k, schema) for c, (t, k) in enumerate(zip(text_cols, kind_cols))
                if t.count(None) < len(t) and header.matches.get(c, _UNSEEN).how != "ignored"}  # abaikan: never a field
    titles = {c: (header.texts[c] if c < len(header.texts) else "") for c in profiles}
    free = {c: t for c, t in titles.items() if c not in header.mapping}  # what content may still decide
    rec = TitleRecogniser.for_schema(schema)
    not_for = {c: rec.speaks_of(t) for c, t in free.items()}

    def same_values(a: int, b: int) -> float:
        pairs = [(x, y) for x, y in zip(text_cols[a], text_cols[b]) if x is not None and y is not None]
        return sum(x.strip() == y.strip() for x, y in pairs) / (len(pairs) or 1)

    near = {c: rec.overlaps(t) for c, t in free.items()}
    untitled = {c for c, t in free.items() if not rec.words_of(t)}
    for d in content.resolve(header.mapping, profiles, not_for, same_values, near, untitled):
        title = titles.get(d.column) or label(d.column)
        header.matches[d.column] = TitleMatch(d.field, d.codelist, round(d.evidence, 2), d.how)
        params = {"header": title, "letter": label(d.column), "field": d.field or "", "pct": round(100 * d.evidence),
                  "previous": d.previous or ""}
        issues.append(_issue(schema, d.issue, file, sheet, title, **params))
    return issues


_UNSEEN = TitleMatch(None)


def _issue(schema: Schema, code: str, file: str, sheet: str, column: str, **params) -> Issue:
    return Issue(code, schema.severity(code), file, sheet, column=column, params=params)


def split_combined(header: _Header, text_cols: list[list], kind_cols: list[list], label: Callable[[int], str],
                    schema: Schema, *, file: str, sheet: str):
    """Split place+date of birth and RT/RW held in one cell into their fields (the original is kept).

    Returns the column labeller (new columns are named by their source's letter), issues, and
    the source columns split.
    """
    rec = TitleRecogniser.for_schema(schema)
    mapped = {m[0] for m in header.mapping.values()}
    letters: dict[int, str] = {}
    issues: list[Issue] = []
    split_from: list[int] = []
    for c, (fld, _) in sorted(header.mapping.items()):
        combo = _combined_kind(fld, text_cols[c], kind_cols[c], schema, rec)
        if combo is None:
            continue
        splitter = content.split_place_date if combo == "tempat_tanggal_lahir" else content.split_rt_rw
        parts = [splitter(t) for t in text_cols[c]]
        targets = rec.combined_fields(combo)
        title = header.texts[c] if c < len(header.texts) else ""
        del header.mapping[c]
        split_from.append(c)
        for k, target in enumerate(targets):
            if target in mapped and target != fld:
                continue  # the sheet has its own column for it
            texts = [p[k] for p in parts]
            new = len(text_cols)
            text_cols.append(texts)
            kind_cols.append([None if t is None else "s" for t in texts])
            while len(header.texts) < new:
                header.texts.append("")
            header.texts.append(f"{title or label(c)} [{schema.fields[target].label_id}]")
            header.mapping[new] = (target, None)
            header.matches[new] = TitleMatch(target, None, 1.0, "combined")
            letters[new] = label(c)
            mapped.add(target)
        issues.append(_issue(schema, "COLUMN_SPLIT", file, sheet, title or label(c), header=title or label(c),
                             fields=", ".join(targets)))
    if not letters:
        return label, issues, split_from
    return (lambda i: letters.get(i) or label(i)), issues, split_from


def _combined_kind(fld: str, texts: list, kinds: list, schema: Schema, rec: TitleRecogniser) -> str | None:
    """The combined entry a column holds: by its title, or by content under a plain title."""
    if rec.combined_fields(fld):
        return fld
    if fld in ("tempat_lahir", "tanggal_lahir", "rt", "rw"):
        prof = content.profile_column(texts, kinds, schema)
        if fld in ("tempat_lahir", "tanggal_lahir") and prof.fit("ttl") >= content.DECIDES:
            return "tempat_tanggal_lahir"
        if fld in ("rt", "rw") and prof.fit("rtrw") >= content.DECIDES:
            return "rt_rw"
    return None


#: key fields a questionnaire repeats in several column groups: the copies must agree
_REPEATED_KEYS = ("nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin")
_KEY_NOISE = re.compile(r"[\s'.\-/,]")


def repeated_keys_disagree(columns: list[SourceColumn], header: _Header, data: pl.DataFrame, schema: Schema,
                            *, file: str, sheet: str) -> list[Issue]:
    """One warning per row where a repeated key column holds another value than the column read
    (``KEY_COLUMNS_DISAGREE``): a disagreement is reported, never settled by a silent pick."""
    first = {c.field: c for c in columns if c.field in _REPEATED_KEYS}
    issues = []
    for col in columns:
        mapped = header.mapping.get(col.index)
        if col.field is not None or mapped is None or mapped[0] not in first:
            continue
        main = first[mapped[0]]
        rows = data.select(
            "source_row",
            pl.col(main.key).str.replace_all(_KEY_NOISE.pattern, "").str.to_uppercase().alias("a"),
            pl.col(col.key).str.replace_all(_KEY_NOISE.pattern, "").str.to_uppercase().alias("b"),
        ).filter(pl.col("a").is_not_null() & pl.col("b").is_not_null() & (pl.col("a") != pl.col("b")))
        for row in rows["source_row"].to_list():
            issues.append(Issue("KEY_COLUMNS_DISAGREE", schema.severity("KEY_COLUMNS_DISAGREE"), file, sheet,
                                row=row, column=f"{col.header} ({col.letter})",
                                params={"field": mapped[0], "first": main.letter, "other": col.letter}))
    return issues


def note_how(columns: list[SourceColumn], header: _Header) -> None:
    """Remember on each column how its field was recognised (for ``slrt inspect``)."""
    for col in columns:
        m = header.matches.get(col.index)
        if col.field and m is not None:
            col.how, col.confidence = m.how or "alias", m.confidence
        elif m is not None and m.how == "ignored":
            col.how, col.confidence = "ignored", m.confidence
