"""registries.conf (v2): prefixes, mirrors in order then the registry, insecure, blocked,
unqualified search with docker.io by default, aliases and drop-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.errors import ImageError
from richcompose.image.reference import parse_registry_reference
from richcompose.image.registries import load_registries_conf


def conf(tmp_path: Path, text: str, **drop_ins: str) -> Path:
    path = tmp_path / "registries.conf"
    path.write_text(text)
    if drop_ins:
        (tmp_path / "registries.conf.d").mkdir()
        for name, body in drop_ins.items():
            (tmp_path / "registries.conf.d" / f"{name}.conf").write_text(body)
    return path


def endpoints(path: Path, name: str) -> list[tuple[str, bool, bool]]:
    ref = parse_registry_reference(name)
    return [(str(e.ref), e.insecure, e.mirror) for e in load_registries_conf(path).endpoints(ref)]


def test_mirrors_are_tried_in_order_then_the_registry(tmp_path: Path) -> None:
    path = conf(tmp_path, '''
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "127.0.0.1:5001/hub"
[[registry.mirror]]
location = "mirror.example.com"
''')
    assert endpoints(path, "busybox:1.36") == [
        ("127.0.0.1:5001/hub/library/busybox:1.36", True, True),
        ("mirror.example.com/library/busybox:1.36", False, True),
        ("docker.io/library/busybox:1.36", False, False)]


def test_the_longest_matching_prefix_wins_and_location_rewrites_the_name(tmp_path: Path) -> None:
    path = conf(tmp_path, '''
[[registry]]
prefix = "example.com"
location = "one.example.net"
[[registry]]
prefix = "example.com/team"
location = "two.example.net/mirror/team"
insecure = true
''')
    assert endpoints(path, "example.com/team/app:1") == [
        ("two.example.net/mirror/team/app:1", True, False)]
    assert endpoints(path, "example.com/other/app:1") == [("one.example.net/other/app:1", False,
                                                           False)]
    # "example.com/teamwork" is not under the prefix "example.com/team"
    assert endpoints(path, "example.com/teamwork/app:1")[0][0] == "one.example.net/teamwork/app:1"


def test_a_wildcard_prefix_matches_subdomains_and_keeps_the_name(tmp_path: Path) -> None:
    path = conf(tmp_path, '''
[[registry]]
prefix = "*.corp.example"
insecure = true
''')
    assert endpoints(path, "reg.corp.example/app:1") == [("reg.corp.example/app:1", True, False)]
    assert endpoints(path, "corp.example.org/app:1")[0][1] is False


def test_digest_only_mirrors_serve_only_pulls_by_digest(tmp_path: Path) -> None:
    path = conf(tmp_path, '''
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "mirror.example.com"
pull-from-mirror = "digest-only"
''')
    assert [e[2] for e in endpoints(path, "busybox:1")] == [False]
    assert [e[2] for e in endpoints(path, "busybox@sha256:" + "a" * 64)] == [True, False]


def test_a_blocked_registry_is_refused_with_the_file_named(tmp_path: Path) -> None:
    path = conf(tmp_path, '[[registry]]\nlocation = "bad.example.com"\nblocked = true\n')
    with pytest.raises(ImageError, match="blocked") as info:
        endpoints(path, "bad.example.com/app:1")
    assert str(path) in (info.value.hint or "")


def test_short_names_use_docker_io_when_no_search_list_is_set(tmp_path: Path) -> None:
    config = load_registries_conf(conf(tmp_path, ""))
    assert [str(c) for c in config.candidates("busybox")] == ["docker.io/library/busybox:latest"]
    assert [str(c) for c in config.candidates("127.0.0.1:5000/x:1")] == ["127.0.0.1:5000/x:1"]


def test_short_names_are_tried_in_each_search_registry_in_order(tmp_path: Path) -> None:
    config = load_registries_conf(conf(
        tmp_path, 'unqualified-search-registries = ["127.0.0.1:5000", "docker.io"]\n'))
    assert [str(c) for c in config.candidates("team/app:2")] == [
        "127.0.0.1:5000/team/app:2", "docker.io/team/app:2"]


def test_aliases_resolve_short_names_keeping_the_tag(tmp_path: Path) -> None:
    config = load_registries_conf(conf(tmp_path, '[aliases]\n"app" = "quay.example/team/app"\n'))
    assert [str(c) for c in config.candidates("app:3")] == ["quay.example/team/app:3"]


def test_drop_ins_replace_entries_of_the_same_prefix_and_the_search_list(tmp_path: Path) -> None:
    path = conf(tmp_path, '''
unqualified-search-registries = ["docker.io"]
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "old.example.com"
''', **{"50-mirror": '''
unqualified-search-registries = ["quay.example"]
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "new.example.com"
'''})
    config = load_registries_conf(path)
    assert config.search == ("quay.example",)
    assert endpoints(path, "busybox")[0][0] == "new.example.com/library/busybox:latest"


def test_the_version_1_format_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="version 1"):
        load_registries_conf(conf(tmp_path, '[registries.search]\nregistries = ["a.io"]\n'))


def test_bad_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = conf(tmp_path, "[[registry]\n")
    with pytest.raises(ImageError, match=str(path)):
        load_registries_conf(path)


def test_a_missing_file_is_an_empty_configuration(tmp_path: Path) -> None:
    config = load_registries_conf(tmp_path / "nothing.conf")
    assert config.registries == () and config.search == ()
