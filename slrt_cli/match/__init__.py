"""Record linkage: link every village row to the register (DTKS/DTSEN) or declare it new.

Public API::

    from slrt_cli.match import MatchSettings, estimate, match, match_partition

    out = match(batch, register)                      # one row per batch row
    w = estimate(batch, register, MatchSettings.default())
    part = match_partition(batch_part, register_part, w)

See :mod:`slrt_cli.match.engine` (how the work is split), :mod:`.matcher`
(stages, one-to-one, households), :mod:`.weights` (Fellegi-Sunter estimation),
:mod:`.names` (Indonesian names) and ``schemas/match.toml`` (all settings).
"""

from slrt_cli.match.engine import OUTCOMES, OUTPUT_COLUMNS, estimate, match, match_partition
from slrt_cli.match.names import normalise_name, normalise_names
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import Weights

__all__ = [
    "OUTCOMES", "OUTPUT_COLUMNS", "MatchSettings", "Weights", "estimate", "match", "match_partition",
    "normalise_name", "normalise_names",
]
