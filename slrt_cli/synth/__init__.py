"""Synthetic test data for slrt: a register extract, a month of village files, and the truth.

Synthetic people only. The same seed gives byte-identical files.

    python -m slrt_cli.synth sample --out sample_data --overwrite
    python -m slrt_cli.synth bench --out benchmarks/_data/validate --files 100 --rows 100000 \\
        --register-persons 1000000

Library use::

    from slrt_cli.synth import generate_sample, generate_bench, build_population
"""

from slrt_cli.synth.generate import Written, generate_bench, generate_sample
from slrt_cli.synth.population import Population, build_population, nik_for

__all__ = ["Population", "Written", "build_population", "generate_bench", "generate_sample", "nik_for"]
