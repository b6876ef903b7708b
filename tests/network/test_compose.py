"""compose-file network shapes → NetworkSpec / Endpoint (pure)."""

from __future__ import annotations

import pytest

from richcompose.errors import NetworkError
from richcompose.network.compose import network_specs, service_endpoints
from richcompose.network.types import Endpoint, NetworkSpec


def test_every_project_has_a_default_network() -> None:
    assert network_specs(None) == {"default": NetworkSpec("default")}


def test_ipam_subnet_and_gateway_are_read() -> None:
    specs = network_specs({"back": {"ipam": {"config": [{"subnet": "172.28.5.0/24",
                                                         "gateway": "172.28.5.254"}]}}})
    assert specs["back"] == NetworkSpec("back", "172.28.5.0/24", "172.28.5.254")


def test_internal_flag_is_read() -> None:
    assert network_specs({"quiet": {"internal": True}})["quiet"].internal


def test_external_network_uses_its_name_key() -> None:
    specs = network_specs({"lan": {"external": True, "name": "infra_default"}})
    assert specs["lan"] == NetworkSpec("infra_default", external=True)


def test_external_without_name_is_the_key() -> None:
    assert network_specs({"lab": {"external": True}})["lab"] == NetworkSpec("lab", external=True)


def test_null_network_body_is_a_plain_bridge() -> None:
    assert network_specs({"front": None})["front"] == NetworkSpec("front")


def test_other_drivers_are_rejected() -> None:
    with pytest.raises(NetworkError, match="driver 'overlay'"):
        network_specs({"x": {"driver": "overlay"}})


def test_service_without_networks_joins_default() -> None:
    assert service_endpoints(None) == {"default": Endpoint()}


def test_service_networks_as_a_list() -> None:
    assert service_endpoints(["front", "back"]) == {"front": Endpoint(), "back": Endpoint()}


def test_service_networks_with_aliases_and_address() -> None:
    endpoints = service_endpoints({"back": {"aliases": ["database"],
                                            "ipv4_address": "172.28.5.10"}, "front": None})
    assert endpoints == {"back": Endpoint(("database",), "172.28.5.10"), "front": Endpoint()}


@pytest.mark.parametrize(
    ("short", "published", "host_ip"),
    [("18080:80", "18080", None), ("127.0.0.1:18080:80", "18080", "127.0.0.1"),
     ("127.0.0.1::80", None, "127.0.0.1"), ("80", None, None)],
)
def test_config_port_normalisation_feeds_port_parsing(short: str, published: str | None,
                                                      host_ip: str | None) -> None:
    from richcompose.config.models import Service
    from richcompose.network.ports import parse_port

    (port,) = Service(rootfs="./r", ports=[short]).ports
    assert (port.published, port.host_ip) == (published, host_ip)
    assert parse_port(port.model_dump()).container == (80, 80)
