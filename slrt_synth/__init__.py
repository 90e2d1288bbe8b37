"""Synthetic test data for slrt: a register extract, a month of village files, and the truth.

Synthetic people only. The same seed gives byte-identical files.

    python -m slrt_synth sample --out sample_data --overwrite
    python -m slrt_synth bench --out benchmarks/_data/validate --files 100 --rows 100000 \\
        --register-persons 1000000

Library use::

    from slrt_synth import generate_sample, generate_bench, build_population
    from slrt_synth import generate_wild  # the second layout source (titles made from words)
"""

from slrt_synth.generate import Written, generate_bench, generate_sample
from slrt_synth.population import Population, build_population, nik_for

__all__ = ["Population", "Written", "build_population", "generate_bench", "generate_sample", "generate_wild",
           "nik_for"]


def __getattr__(name: str):
    # imported on first use, so that ``python -m slrt_synth.wild`` runs the module only once
    if name == "generate_wild":
        from slrt_synth.wild import generate_wild

        return generate_wild
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
