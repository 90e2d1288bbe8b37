"""Settings of a run: defaults < config file (TOML) < ``SLRT_*`` environment < flags.

A config file's keys are named like the flags (``full_nik`` for ``--full-nik``).
Unknown keys are errors that name the key. :func:`resolve` returns the
effective settings and, for each, where it came from, which
``slrt config show`` prints.

Example ``bulan.toml``::

    register = ["/data/dtks/dtks_3201.parquet"]
    inputs = ["/srv/inbox/2026-11"]
    out = "/srv/hasil/2026-11"
    period = "2026-11"
    overwrite = true
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slrt_cli.errors import UsageError

ENV_PREFIX = "SLRT_"
DEFAULT_FILE = "slrt.toml"


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # "str", "path", "paths", "bool", "int", "float", "table" (TOML table; key=value,... in env/flags)
    default: Any
    help: str


#: Every setting a config file may hold (the flags of `slrt run`, plus the match thresholds).
KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("register", "paths", [], "register extract(s): files or folders"),
        Key("inputs", "paths", [], "village files or folders"),
        Key("out", "path", "hasil", "output folder"),
        Key("period", "str", "", "period of the batch, e.g. 2026-11"),
        Key("overwrite", "bool", False, "replace an existing output folder"),
        Key("lang", "str", "id", "language: id or en"),
        Key("full_nik", "bool", False, "full NIK/No KK in the reconciliation tables"),
        Key("coverage", "str", "household", "who counts as not found: household or desa"),
        Key("workers", "int", 1, "processes for matching"),
        Key("engine", "str", "local", "engine that reads a register dataset: local or spark"),
        Key("spark_master", "str", "local[*]", "Spark master: local[*], spark://host:port or sc://host (Connect)"),
        Key("spark_conf", "table", {}, "Spark settings passed through, e.g. spark.executor.memory = \"8g\""),
        Key("split_desa", "bool", False, "ministry update files split per desa (default: per kabupaten)"),
        Key("baca_lembar_tersembunyi", "bool", False, "read hidden and very hidden sheets too (default: skipped)"),
        Key("kolom", "path", "", "column mapping file (TOML): column title -> field, or abaikan (ignore)"),
        Key("fail_on", "str", "", "exit 1 when these outcomes occur (comma-separated)"),
        Key("state", "path", "", "state folder (review decisions, processed files); default beside out"),
        Key("decisions", "path", "", "review.xlsx with reviewers' decisions to apply"),
        Key("log_file", "path", "", "structured log file"),
        Key("quiet", "bool", False, "errors only"),
        Key("verbose", "int", 0, "more detail (0-2)"),
        Key("debug", "bool", False, "traceback on errors (identifiers masked)"),
        Key("json", "bool", False, "one JSON summary on stdout"),
        Key("match_threshold", "float", None, "posterior probability from which a pair is a match"),
        Key("review_threshold", "float", None, "posterior probability from which a pair goes to review"),
        Key("batas_hari", "int", 14, "slrt layanan: days without an answer after which a referral is overdue"),
    )
}


def load_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file and check its keys and value types.

    Raises:
        UsageError: unreadable file, TOML syntax error, unknown key, wrong type.
    """
    try:
        data = tomllib.loads(Path(path).read_text("utf-8-sig"))  # Notepad saves UTF-8 with a BOM
    except FileNotFoundError:
        raise UsageError("error_config_missing", path=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError("error_config_syntax", path=str(path), detail=str(exc)) from None
    out = {}
    for key, value in data.items():
        if key not in KEYS:
            raise UsageError("error_config_key", path=str(path), key=key)
        out[key] = _coerce(KEYS[key], value, f"{path}: {key}")
    base = Path(path).resolve().parent  # relative paths in a file are relative to the file
    for key, value in out.items():
        if KEYS[key].type == "path" and value:
            out[key] = os.path.normpath(base / os.path.expanduser(value))
        elif KEYS[key].type == "paths":
            out[key] = [os.path.normpath(base / os.path.expanduser(v)) for v in value]
    return out


def from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings from ``SLRT_<KEY>`` variables (lists separated by ``os.pathsep``)."""
    environ = os.environ if environ is None else environ
    out = {}
    for key, spec in KEYS.items():
        raw = environ.get(ENV_PREFIX + key.upper())
        if raw is None or raw == "":
            continue
        value: Any = raw.split(os.pathsep) if spec.type == "paths" else raw
        if spec.type == "path":
            value = os.path.expanduser(value)
        elif spec.type == "paths":
            value = [os.path.expanduser(v) for v in value]
        out[key] = _coerce(spec, value, ENV_PREFIX + key.upper())
    return out


def resolve(
    flags: dict[str, Any], config_path: Path | None = None, environ: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge the sources; return (settings, origin of each setting).

    ``flags`` holds only the flags given explicitly on the command line. Without
    ``config_path``, ``./slrt.toml`` is used when present.
    """
    path = config_path
    if path is None and Path(DEFAULT_FILE).is_file():
        path = Path(DEFAULT_FILE)
    layers = [
        ("default", {k: spec.default for k, spec in KEYS.items()}),
        (f"file {path}" if path else "file", load_file(path) if path else {}),
        ("env", from_env(environ)),
        ("flag", {k: _coerce(KEYS[k], v, "--" + k.replace("_", "-")) for k, v in flags.items() if k in KEYS}),
    ]
    settings: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name, layer in layers:
        for key, value in layer.items():
            settings[key] = value
            origin[key] = name
    _check(settings)
    return settings, origin


def _check(settings: dict[str, Any]) -> None:
    if settings["lang"] not in ("id", "en"):
        raise UsageError("error_bad_option", option="lang", value=settings["lang"], allowed="id, en")
    if settings["coverage"] not in ("household", "desa"):
        raise UsageError("error_bad_option", option="coverage", value=settings["coverage"], allowed="household, desa")
    if settings["engine"] not in ("local", "spark"):
        raise UsageError("error_bad_option", option="engine", value=settings["engine"], allowed="local, spark")
    if settings["workers"] < 1:
        raise UsageError("error_bad_option", option="workers", value=settings["workers"], allowed=">= 1")


def _coerce(spec: Key, value: Any, where: str) -> Any:
    try:
        if spec.type in ("str", "path"):
            if isinstance(value, (list, dict)):
                raise TypeError
            return "" if value is None else str(value)
        if spec.type == "paths":
            if isinstance(value, (str, Path)):
                value = [value]
            if not isinstance(value, list):
                raise TypeError
            return [str(v) for v in value]
        if spec.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "ya", "on"):
                return True
            if text in ("0", "false", "no", "tidak", "off", ""):
                return False
            raise ValueError
        if spec.type == "int":
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if spec.type == "float":
            return None if value is None else float(value)
        if spec.type == "table":
            if isinstance(value, str):  # SLRT_SPARK_CONF="spark.executor.memory=8g,spark.executor.cores=4"
                value = [value]
            if isinstance(value, list):  # repeated --spark-conf key=value
                pairs = [item.split("=", 1) for v in value for item in str(v).split(",") if item.strip()]
                if any(len(p) != 2 or not p[0].strip() for p in pairs):
                    raise ValueError
                value = {k.strip(): v.strip() for k, v in pairs}
            if not isinstance(value, dict):
                raise TypeError
            return {str(k): v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise UsageError("error_config_type", where=where, expected=spec.type, value=str(value)[:50]) from None
    raise AssertionError(spec.type)
