"""Subnet allocation from the pool, and checks of user-given subnets (pure)."""

from __future__ import annotations

import pytest

from richcompose.errors import NetworkError
from richcompose.network.subnets import allocate, validate_fixed


def test_first_network_gets_the_first_slice_of_the_pool() -> None:
    assert str(allocate([])) == "10.89.0.0/24"


def test_allocation_skips_subnets_already_taken() -> None:
    assert str(allocate(["10.89.0.0/24", "10.89.1.0/24"])) == "10.89.2.0/24"


def test_allocation_skips_slices_overlapping_a_host_route() -> None:
    assert str(allocate(["10.89.0.0/23"])) == "10.89.2.0/24"


def test_allocation_skips_a_slice_containing_a_host_address() -> None:
    assert str(allocate(["10.89.0.7"])) == "10.89.1.0/24"


def test_pool_and_prefix_are_configurable() -> None:
    assert str(allocate([], pool="172.30.0.0/16", prefix=26)) == "172.30.0.0/26"


def test_exhausted_pool_is_an_error() -> None:
    with pytest.raises(NetworkError, match="no free /24"):
        allocate(["10.89.0.0/24"], pool="10.89.0.0/24")


def test_fixed_subnet_gets_first_host_as_default_gateway() -> None:
    assert validate_fixed("172.28.5.0/24", "", [], "n") == ("172.28.5.0/24", "172.28.5.1")


def test_fixed_subnet_keeps_its_gateway() -> None:
    assert validate_fixed("172.28.5.0/24", "172.28.5.254", [], "n")[1] == "172.28.5.254"


def test_fixed_subnet_overlapping_another_network_is_rejected() -> None:
    with pytest.raises(NetworkError, match="overlaps"):
        validate_fixed("10.89.0.0/16", "", ["10.89.4.0/24"], "n")


def test_gateway_outside_the_subnet_is_rejected() -> None:
    with pytest.raises(NetworkError, match="outside"):
        validate_fixed("172.28.5.0/24", "172.28.6.1", [], "n")


def test_ipv6_subnet_is_rejected() -> None:
    with pytest.raises(NetworkError, match="IPv4"):
        validate_fixed("fd00::/64", "", [], "n")
