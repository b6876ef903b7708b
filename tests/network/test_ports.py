"""compose `ports:` in every form → portmap entries; the free-port check (pure but for bind)."""

from __future__ import annotations

import socket

import pytest

from richcompose.errors import NetworkError
from richcompose.network.ports import (
    ensure_free,
    published_address,
    resolve,
)
from richcompose.network.types import PortMapping
from tests.network.containers import ports


def test_ranges_map_one_to_one() -> None:
    mappings = resolve(ports("9090-9091:8080-8081"), lambda *_: True)
    assert mappings == [PortMapping(8080, 9090), PortMapping(8081, 9091)]


def test_host_range_for_one_container_port_takes_the_first_free() -> None:
    mappings = resolve(ports("8000-8010:80"), lambda port, *_: port > 8001)
    assert mappings == [PortMapping(80, 8002)]


def test_port_without_host_side_gets_an_ephemeral_host_port() -> None:
    (mapping,) = resolve(ports("80"), lambda *_: True)
    assert mapping.container_port == 80
    assert mapping.host_port >= 1024


def test_mapping_becomes_portmap_runtime_config() -> None:
    assert PortMapping(80, 8080, "udp", "127.0.0.1").runtime_config() == {
        "hostPort": 8080, "containerPort": 80, "protocol": "udp", "hostIP": "127.0.0.1"}


def test_port_bound_by_a_process_is_reported_with_service_and_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(NetworkError, match=rf"service 'web': host port {port}/tcp"):
            ensure_free("web", [PortMapping(80, port)])


def test_port_published_by_another_container_is_in_use() -> None:
    with pytest.raises(NetworkError, match="already in use"):
        ensure_free("web", [PortMapping(80, 18080)], taken=[PortMapping(81, 18080)])


def test_same_port_number_on_another_protocol_is_free() -> None:
    ensure_free("web", [PortMapping(53, 18053, "udp")], taken=[PortMapping(53, 18053, "tcp")])


def test_port_verb_prints_host_address_and_port() -> None:
    mappings = [PortMapping(80, 18080), PortMapping(53, 15353, "udp", "127.0.0.1")]
    assert published_address(mappings, 80) == ["0.0.0.0:18080"]
    assert published_address(mappings, 53, "udp") == ["127.0.0.1:15353"]
    assert published_address(mappings, 53) == []
