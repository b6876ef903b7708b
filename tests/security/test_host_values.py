"""Host names and DNS values cannot inject lines into peers' /etc/hosts or a resolv.conf
(#10 item 8): the loader refuses them at their place in the file, and the writers refuse them
again."""

from __future__ import annotations

from pathlib import Path

import pytest

from richcompose.config import LoadOptions, load_project
from richcompose.errors import ConfigError, NetworkError
from richcompose.network.hosts import render_hosts, render_resolv_conf
from richcompose.network.types import HostEntry

INJECTED = '"web\\n6.6.6.6 bank.example"'
CASES = {
    "hostname": (f"    hostname: {INJECTED}\n", 4),
    "domainname": ('    domainname: "a b"\n', 4),
    "alias": (f"    networks:\n      default:\n        aliases: [{INJECTED}]\n", 6),
    "dns": ('    dns: ["1.1.1.1\\nnameserver 6.6.6.6"]\n', 4),
    "dns_search": (f"    dns_search: [{INJECTED}]\n", 4),
    "dns_opt": ('    dns_opt: ["ndots:1\\nnameserver 6.6.6.6"]\n', 4),
    "extra_hosts name": ('    extra_hosts: ["evil\\nhost:1.2.3.4"]\n', 4),
    "extra_hosts address": ('    extra_hosts: ["ok:1.2.3.4\\n6.6.6.6"]\n', 4),
}


@pytest.mark.parametrize("case", list(CASES))
def test_line_breaking_host_value_is_refused_where_it_is_written(tmp_path: Path,
                                                                 case: str) -> None:
    text, line = CASES[case]
    (tmp_path / "compose.yaml").write_text(f"services:\n  web:\n    image: busybox\n{text}")
    # The address is refused by the IP check itself (config's extra_hosts parse) before the
    # line check: either way, where it is written.
    message = "is not an IP address" if case == "extra_hosts address" else f"invalid {case}"
    with pytest.raises(ConfigError, match=message) as raised:
        load_project(LoadOptions(files=(tmp_path / "compose.yaml",), working_dir=tmp_path,
                                 environ={}))
    assert raised.value.location is not None and raised.value.location.line == line


def test_ordinary_host_values_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox\n    hostname: web-1.internal\n"
        "    domainname: example.com\n    dns: [1.1.1.1, '::1']\n    dns_search: [corp.example]\n"
        "    dns_opt: ['ndots:2', rotate]\n    extra_hosts: ['db.local:10.0.0.2', "
        "'gw:host-gateway']\n    networks:\n      default:\n        aliases: [api, api_v2]\n")
    load_project(LoadOptions(files=(tmp_path / "compose.yaml",), working_dir=tmp_path,
                             environ={}))


@pytest.mark.parametrize("entry", [HostEntry("10.0.0.2", ("web\n6.6.6.6 bank",)),
                                   HostEntry("10.0.0.2\n6.6.6.6", ("web",)),
                                   HostEntry("10.0.0.2", ("a b",))])
def test_hosts_writer_refuses_a_multi_word_value(entry: HostEntry) -> None:
    with pytest.raises(NetworkError, match="not a single word"):
        render_hosts(None, [entry])


@pytest.mark.parametrize("given", [{"nameservers": ["1.1.1.1\nnameserver 6.6.6.6"]},
                                   {"search": ["a\nnameserver 6.6.6.6"]},
                                   {"options": ["ndots:1 x"]}])
def test_resolv_writer_refuses_a_multi_word_value(given: dict[str, list[str]]) -> None:
    with pytest.raises(NetworkError, match="not a single word"):
        render_resolv_conf("nameserver 9.9.9.9\n", **given)  # type: ignore[arg-type]
