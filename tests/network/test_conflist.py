"""Conflist rendering and the per-plugin stdin of a CNI chain (pure)."""

from __future__ import annotations

from pathlib import Path

from richcompose.network import conflist


def render(internal: bool = False) -> dict:  # type: ignore[type-arg]
    return conflist.bridge_conflist("shop_default", subnet="10.89.3.0/24", gateway="10.89.3.1",
                                    internal=internal, ipam_dir=Path("/state/network/ipam"))


def test_project_network_is_bridge_then_portmap() -> None:
    assert [p["type"] for p in render()["plugins"]] == ["bridge", "portmap"]


def test_bridge_is_gateway_and_leaves_masquerading_to_the_networks_own_rule() -> None:
    bridge = render()["plugins"][0]
    assert bridge["isGateway"] is True
    assert bridge["ipMasq"] is False  # network/masquerade.py: one rule per network
    assert bridge["ipam"]["routes"] == [{"dst": "0.0.0.0/0"}]


def test_ipam_uses_given_subnet_and_gateway() -> None:
    ipam = render()["plugins"][0]["ipam"]
    assert ipam["type"] == "host-local"
    assert ipam["ranges"] == [[{"subnet": "10.89.3.0/24", "gateway": "10.89.3.1"}]]


def test_ipam_leases_live_under_the_state_root() -> None:
    assert render()["plugins"][0]["ipam"]["dataDir"] == "/state/network/ipam"


def test_internal_network_has_no_masquerade_and_no_default_route() -> None:
    bridge = render(internal=True)["plugins"][0]
    assert bridge["ipMasq"] is False
    assert "routes" not in bridge["ipam"]


def test_portmap_declares_the_port_mappings_capability() -> None:
    assert render()["plugins"][1]["capabilities"] == {"portMappings": True}


def test_bridge_names_fit_the_kernel_limit_and_differ_per_network() -> None:
    names = {conflist.bridge_name(f"project-with-a-long-name_{i}") for i in range(50)}
    assert len(names) == 50
    assert all(len(n) <= 15 for n in names)


def test_same_network_in_two_state_roots_gets_two_bridges() -> None:
    assert conflist.bridge_name("shop_default", "aaaaaa") != conflist.bridge_name(
        "shop_default", "bbbbbb")


def test_network_name_is_project_underscore_network() -> None:
    assert conflist.cni_network_name("shop", "backend") == "shop_backend"


def test_plugin_stdin_carries_list_name_version_and_prev_result() -> None:
    config = render()
    stdin = conflist.plugin_config(config, config["plugins"][1], {}, {"ips": []})
    assert stdin["name"] == "shop_default"
    assert stdin["cniVersion"] == "1.0.0"
    assert stdin["prevResult"] == {"ips": []}


def test_runtime_config_reaches_only_plugins_declaring_the_capability() -> None:
    config = render()
    runtime = {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}
    bridge, portmap = (conflist.plugin_config(config, p, runtime, None)
                       for p in config["plugins"])
    assert "runtimeConfig" not in bridge
    assert portmap["runtimeConfig"] == runtime


def test_first_plugin_gets_no_prev_result() -> None:
    config = render()
    assert "prevResult" not in conflist.plugin_config(config, config["plugins"][0], {}, None)


def test_single_plugin_conf_file_is_read_as_a_list(tmp_path: Path) -> None:
    path = tmp_path / "10-lan.conf"
    path.write_text('{"cniVersion": "0.4.0", "name": "lan", "type": "bridge", "bridge": "br9"}')
    loaded = conflist.load_conflist(path)
    assert loaded["name"] == "lan"
    assert loaded["plugins"] == [{"type": "bridge", "bridge": "br9"}]
    assert conflist.bridge_of(loaded) == "br9"
