"""Record linkage: link every village row to the register (DTKS/DTSEN) or declare it new.

Public API::

    from slrt_cli.match import MatchSettings, estimate, match, match_partition, reasons_as_json

    out = match(batch, register)                        # one row per batch row
    out = match(batch, register, MatchSettings.from_toml("match.toml"), partition_by="kode_kec", workers=2)
    w = estimate(batch, register)                       # the model alone (deterministic)
    part = match_partition(batch_part, register_part, w)  # a pure function, one partition

Inputs (polars, canonical columns of ``schemas/fields.toml``; any may be null or absent):

- ``batch``: ``source_file``, ``source_sheet``, ``source_row`` (the row key, required),
  ``status`` (``rejected`` rows are never matched), ``nik``, ``no_kk``, ``nik_numeric``,
  ``no_kk_numeric``, ``nama``, ``tanggal_lahir``, ``jenis_kelamin``, ``hub_kk``/``hub_krt``,
  ``nama_ibu_kandung``, ``alamat``, ``rt``, ``rw``, ``kode_desa``, ``kode_kec``, ``kode_kab``,
  ``household_id``, ``person_id``;
- ``register``: ``person_id``, ``household_id`` and the same person columns.

Output (:data:`OUTPUT_COLUMNS`), sorted by the row key: ``outcome`` (``matched``,
``review``, ``new``, ``rejected``, ``duplicate``), ``person_id`` / ``household_id`` (the
link, or the best candidate for ``review`` / ``duplicate``), ``score`` (posterior
match probability), ``reasons`` (List of Struct ``field, level, weight, village,
register``; identifiers masked; :func:`reasons_as_json` for CSV), ``alasan`` (the
reasons in Bahasa) and ``match_stage`` (``nik``, ``probabilistic``, ``household``).

See :mod:`.engine` (how the work is split, why partitioning does not change
results), :mod:`.matcher` (stages, one-to-one, households), :mod:`.weights`
(Fellegi-Sunter estimation), :mod:`.blocking`, :mod:`.compare`, :mod:`.names`
(Indonesian names) and ``schemas/match.toml`` (every setting, with comments).
"""

from slrt_cli.match.engine import OUTCOMES, OUTPUT_COLUMNS, estimate, match, match_details, match_partition
from slrt_cli.match.explain import reasons_as_json
from slrt_cli.match.names import normalise_name, normalise_names
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import Weights

__all__ = [
    "OUTCOMES",
    "OUTPUT_COLUMNS",
    "MatchSettings",
    "Weights",
    "estimate",
    "match",
    "match_details",
    "match_partition",
    "normalise_name",
    "normalise_names",
    "reasons_as_json",
]
