import re
import string

import pytest

from slrt_cli.i18n import LANGUAGES, catalog, t
from slrt_cli.schemas import load_schema


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders():
    ids, ens = catalog("id"), catalog("en")
    assert ids.keys() == ens.keys()
    for key in ids:
        assert placeholders(ids[key]) == placeholders(ens[key]), key


def test_every_rule_code_has_a_message_in_both_languages():
    codes = load_schema().rules.keys()
    for lang in LANGUAGES:
        missing = [c for c in codes if c not in catalog(lang)]
        assert not missing, (lang, missing)


def test_every_catalog_issue_code_is_a_rule():
    rules = load_schema().rules
    issue_keys = [k for k in catalog("id") if re.fullmatch(r"[A-Z][A-Z_]+", k)]
    assert [k for k in issue_keys if k not in rules] == []


def test_render_fills_placeholders_and_keeps_unknown_ones_visible():
    assert "320101******0001" in t("NIK_NUMERIC", lang="id", value="320101******0001")
    assert "{value}" in t("NIK_NUMERIC", lang="en")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        catalog("fr")
