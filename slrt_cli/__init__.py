"""slrt: import, validate, match and reconcile SLRT/Puskesos verivali files.

The public API is small; analysts get pandas DataFrames from it::

    import slrt_cli
    report = slrt_cli.validate(["sample_data/desa"], out="hasil")
    report.rows  # pandas DataFrame, one row per data row read
"""

__version__ = "0.1.0"
