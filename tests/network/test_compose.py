"""Validated config values → NetworkSpec / Endpoint / PortSpec (pure): the network stage
takes what config checked and never parses the file's strings again."""

from __future__ import annotations

from typing import Any

import pytest

from richcompose.config.models import Project
from richcompose.errors import ConfigError
from richcompose.network.compose import network_specs, port_specs, service_endpoints
from richcompose.network.ports import PortSpec
from richcompose.network.types import Endpoint, NetworkSpec
from tests.network.containers import ports


def _project(top: dict[str, Any] | None = None, **service: Any) -> Project:
    return Project.model_validate({"services": {"app": {"image": "a", **service}},
                                   "networks": top or {}})


def test_every_project_has_a_default_network() -> None:
    assert network_specs({}) == {"default": NetworkSpec("default")}


def test_ipam_subnet_and_gateway_are_read() -> None:
    specs = network_specs(_project({"back": {"ipam": {"config": [
        {"subnet": "172.28.5.0/24", "gateway": "172.28.5.254"}]}}}).networks)
    assert specs["back"] == NetworkSpec("back", "172.28.5.0/24", "172.28.5.254")


def test_internal_flag_is_read() -> None:
    assert network_specs(_project({"quiet": {"internal": True}}).networks)["quiet"].internal


def test_external_network_uses_its_name_key() -> None:
    specs = network_specs(_project({"lan": {"external": True, "name": "infra_default"}}).networks)
    assert specs["lan"] == NetworkSpec("infra_default", external=True)


def test_legacy_external_name_form_is_read() -> None:
    specs = network_specs(_project({"lan": {"external": {"name": "infra"}}}).networks)
    assert specs["lan"] == NetworkSpec("infra", external=True)


def test_external_without_name_is_the_key() -> None:
    specs = network_specs(_project({"lab": {"external": True}}).networks)
    assert specs["lab"] == NetworkSpec("lab", external=True)


def test_null_network_body_is_a_plain_bridge() -> None:
    assert network_specs(_project({"front": None}).networks)["front"] == NetworkSpec("front")


@pytest.mark.parametrize("driver", ["default", "bridge", "overlay"])
def test_any_driver_config_accepts_is_a_bridge(driver: str) -> None:
    specs = network_specs(_project({"x": {"driver": driver}}).networks)
    assert specs["x"] == NetworkSpec("x")


def test_bad_subnet_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not a network"):
        _project({"x": {"ipam": {"config": [{"subnet": "300.0.0.0/8"}]}}})


def test_service_without_networks_joins_default() -> None:
    assert service_endpoints({}) == {"default": Endpoint()}


def test_service_networks_as_a_list() -> None:
    project = _project({"front": None, "back": None}, networks=["front", "back"])
    assert service_endpoints(project.services["app"].networks) == {
        "front": Endpoint(), "back": Endpoint()}


def test_service_networks_with_aliases_and_address() -> None:
    project = _project({"front": None, "back": None}, networks={
        "back": {"aliases": ["database"], "ipv4_address": "172.28.5.10"}, "front": None})
    assert service_endpoints(project.services["app"].networks) == {
        "back": Endpoint(("database",), "172.28.5.10"), "front": Endpoint()}


@pytest.mark.parametrize(
    ("entry", "specs"),
    [
        ("80", [PortSpec((80, 80))]),
        ("8080:80", [PortSpec((80, 80), (8080, 8080))]),
        ("127.0.0.1:8080:80", [PortSpec((80, 80), (8080, 8080), host_ip="127.0.0.1")]),
        ("127.0.0.1::80", [PortSpec((80, 80), None, host_ip="127.0.0.1")]),
        ("53:53/udp", [PortSpec((53, 53), (53, 53), "udp")]),
        ("9090-9091:8080-8081", [PortSpec((8080, 8080), (9090, 9090)),
                                 PortSpec((8081, 8081), (9091, 9091))]),
        ("3000-3001", [PortSpec((3000, 3000)), PortSpec((3001, 3001))]),
        ("8000-8010:80", [PortSpec((80, 80), (8000, 8010))]),
    ],
)
def test_port_forms_become_port_specs(entry: str, specs: list[PortSpec]) -> None:
    assert ports(entry) == specs


def test_long_port_syntax_becomes_a_port_spec() -> None:
    project = _project(ports=[{"target": 80, "published": 8080, "host_ip": "127.0.0.1",
                               "protocol": "udp"}])
    assert port_specs(project.services["app"].ports) == [
        PortSpec((80, 80), (8080, 8080), "udp", "127.0.0.1")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("80/sctp", "sctp is not supported"),
        ("abc", "invalid port"),
        ("70000", "less than or equal to 65535"),
        ("8080-8082:80-81", "differ in size"),
        ("[::1]:8080:80", "IPv6 host_ip"),
        ("300.1.1.1:8080:80", "not an IP address"),
        ({"target": 80, "published": "99999"}, "out of range"),
        ({"published": 80}, "target"),
    ],
)
def test_ports_up_cannot_publish_are_refused_by_config(entry: Any, message: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=message):
        _project(ports=[entry])
