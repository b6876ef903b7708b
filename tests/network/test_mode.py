"""network_mode values (pure)."""

from __future__ import annotations

import pytest

from richcompose.errors import NetworkError
from richcompose.network.mode import NetworkMode, parse_network_mode


@pytest.mark.parametrize("value", [None, "", "bridge"])
def test_default_mode_is_bridge(value: str | None) -> None:
    assert parse_network_mode(value) == NetworkMode("bridge")


def test_host_mode_has_no_namespace_of_its_own() -> None:
    mode = parse_network_mode("host")
    assert not mode.owns_netns and not mode.attaches


def test_none_mode_owns_a_namespace_but_joins_no_network() -> None:
    mode = parse_network_mode("none")
    assert mode.owns_netns and not mode.attaches


@pytest.mark.parametrize(("value", "kind", "target"),
                         [("service:db", "service", "db"), ("container:abc123", "container",
                                                            "abc123")])
def test_join_modes_name_their_target(value: str, kind: str, target: str) -> None:
    assert parse_network_mode(value) == NetworkMode(kind, target)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["service:", "macvlan", "bridge:x"])
def test_unknown_modes_are_rejected(value: str) -> None:
    with pytest.raises(NetworkError, match="not supported"):
        parse_network_mode(value)
