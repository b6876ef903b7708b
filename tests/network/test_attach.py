"""NetworkManager against the real CNI plugins, inside a private network namespace."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
from pathlib import Path

import pytest

from richcompose.errors import NetworkError
from richcompose.network import Endpoint, NetworkManager, NetworkSpec
from richcompose.network.conflist import LOOPBACK_NETWORK
from tests.network.containers import ports
from tests.network.sandbox import Sandbox, named_netns, own_netns

pytestmark = pytest.mark.network

DEFAULT = {"default": Endpoint()}


def in_netns(manager: NetworkManager, container_id: str, *args: str) -> str:
    proc = subprocess.run(["nsenter", f"--net={manager.netns_path(container_id)}", *args],
                          capture_output=True, text=True, check=True)
    return proc.stdout


def start(manager: NetworkManager, project: str, cid: str, service: str, **kw: object):  # type: ignore[no-untyped-def]
    path = manager.create_netns(project, cid)
    networks = kw.pop("networks", DEFAULT)
    return manager.attach(project, cid, service, path, networks, **kw)  # type: ignore[arg-type]


def test_container_gets_an_address_in_its_network_subnet(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    att = start(manager, "shop", "c1" * 8, "db")
    subnet = ipaddress.ip_network(manager.subnet("shop", "default"))
    assert ipaddress.ip_address(att.addresses["default"]) in subnet
    assert f"inet {att.addresses['default']}/" in in_netns(manager, "c1" * 8, "ip", "-4", "addr", "show",
                                                           "eth0")


def test_loopback_is_up_in_the_container_namespace(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "db")
    assert "UP" in in_netns(manager, "c1" * 8, "ip", "link", "show", "lo")


def test_hosts_file_lists_every_service_on_the_network(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    db = start(manager, "shop", "c1" * 8, "db",
               networks={"default": Endpoint(aliases=("database",))}, container_name="shop-db-1")
    app = start(manager, "shop", "c2" * 8, "app")
    assert app.hosts_file is not None
    hosts = app.hosts_file.read_text().splitlines()
    assert f"{db.addresses['default']}\tdb database shop-db-1" in hosts


def test_hosts_file_of_a_running_container_is_updated_in_place(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    db = start(manager, "shop", "c1" * 8, "db")
    assert db.hosts_file is not None
    inode = db.hosts_file.stat().st_ino
    app = start(manager, "shop", "c2" * 8, "app")
    assert f"{app.addresses['default']}\tapp" in db.hosts_file.read_text()
    manager.detach("shop", "c2" * 8)
    assert "app" not in db.hosts_file.read_text()
    assert db.hosts_file.stat().st_ino == inode


def test_hostname_file_holds_the_hostname(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    att = start(manager, "shop", "c1" * 8, "db", hostname="db.internal")
    assert att.hostname_file is not None
    assert att.hostname_file.read_text() == "db.internal\n"


def test_fixed_ipv4_address_is_honoured(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "back", NetworkSpec("back", subnet="172.29.7.0/24"))
    att = start(manager, "shop", "c1" * 8, "db",
                networks={"back": Endpoint(ipv4_address="172.29.7.42")})
    assert att.addresses == {"back": "172.29.7.42"}


def test_address_outside_the_subnet_is_rejected(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "back", NetworkSpec("back", subnet="172.29.7.0/24"))
    with pytest.raises(NetworkError, match="outside"):
        start(manager, "shop", "c1" * 8, "db",
              networks={"back": Endpoint(ipv4_address="172.29.8.42")})


def test_two_networks_give_two_interfaces(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "front")
    manager.ensure_network("shop", "back")
    att = start(manager, "shop", "c1" * 8, "api",
                networks={"front": Endpoint(), "back": Endpoint()})
    assert set(att.addresses) == {"front", "back"}
    links = in_netns(manager, "c1" * 8, "ip", "-o", "link")
    assert "eth0" in links and "eth1" in links


def test_internal_network_has_no_default_route(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default", NetworkSpec("default", internal=True))
    start(manager, "shop", "c1" * 8, "db")
    assert "default" not in in_netns(manager, "c1" * 8, "ip", "route")


def test_normal_network_routes_through_its_gateway(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "db")
    gateway = ipaddress.ip_network(manager.subnet("shop", "default")).network_address + 1
    assert f"default via {gateway}" in in_netns(manager, "c1" * 8, "ip", "route")


def test_two_projects_get_subnets_that_do_not_overlap(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    manager.ensure_network("blog", "default")
    one = ipaddress.ip_network(manager.subnet("shop", "default"))
    two = ipaddress.ip_network(manager.subnet("blog", "default"))
    assert not one.overlaps(two)


def test_external_network_is_shared_and_outlives_its_owner(manager: NetworkManager,
                                                            sandbox: Sandbox) -> None:
    shared = manager.ensure_network("infra", "default")
    manager.ensure_network("shop", "shared", NetworkSpec(shared, external=True))
    att = start(manager, "shop", "c1" * 8, "app", networks={"shared": Endpoint()})
    manager.cleanup_project("infra")
    assert any(link.startswith("rcbr") for link in sandbox.links())
    manager.cleanup_project("shop")
    assert att.addresses["shared"]
    assert not any(link.startswith("rcbr") for link in sandbox.links())


def test_unknown_external_network_is_an_error(manager: NetworkManager) -> None:
    with pytest.raises(NetworkError, match="external network 'nowhere' not found"):
        manager.ensure_network("shop", "x", NetworkSpec("nowhere", external=True))


def test_external_network_from_the_system_cni_directory(sandbox: Sandbox, tmp_path: Path) -> None:
    conf = tmp_path / "net.d"
    conf.mkdir()
    (conf / "10-lab.conflist").write_text(json.dumps({
        "cniVersion": "1.0.0", "name": "lab", "plugins": [{
            "type": "bridge", "bridge": "rctestlab0", "isGateway": True,
            "ipam": {"type": "host-local", "subnet": "172.31.9.0/24",
                     "dataDir": str(tmp_path / "leases")}}]}))
    manager = NetworkManager(tmp_path / "state", system_conf_dir=conf)
    manager.ensure_network("shop", "lab", NetworkSpec("lab", external=True))
    att = start(manager, "shop", "c1" * 8, "app", networks={"lab": Endpoint()})
    assert att.addresses["lab"].startswith("172.31.9.")
    manager.cleanup_project("shop")
    # Not ours: its bridge stays (it belongs to whoever wrote the conflist).
    assert "rctestlab0" in sandbox.links()
    subprocess.run(["ip", "link", "delete", "rctestlab0"], check=True)


def test_port_in_use_fails_before_anything_is_attached(manager: NetworkManager,
                                                       sandbox: Sandbox) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "web", published=ports("18080:80"))
    path = manager.create_netns("shop", "c2" * 8)
    with pytest.raises(NetworkError, match="service 'web2': host port 18080/tcp"):
        manager.attach("shop", "c2" * 8, "web2", path, DEFAULT, ports("18080:80"))
    # Only the first container's veth exists: the second was refused before any CNI ADD.
    assert len([link for link in sandbox.links() if link.startswith("veth")]) == 1


def test_port_verb_data_lists_published_mappings(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "web", published=ports("18080:80", "127.0.0.1:15353:53/udp"))
    assert [str(m) for m in manager.ports("shop", "web")] == [
        "0.0.0.0:18080->80/tcp", "127.0.0.1:15353->53/udp"]


def test_plugin_error_is_a_network_error_with_the_plugins_message(
    manager: NetworkManager, tmp_path: Path, sandbox: Sandbox
) -> None:
    plugins = tmp_path / "cni"
    plugins.mkdir()
    for plugin in ("bridge", "host-local", "loopback"):
        (plugins / plugin).symlink_to(Path("/usr/lib/cni") / plugin)
    (plugins / "portmap").write_text(
        '#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = DEL ] && exit 0\n'
        'echo \'{"code": 11, "msg": "no iptables today"}\'; exit 1\n')
    os.chmod(plugins / "portmap", 0o755)
    broken = NetworkManager(tmp_path / "state2", cni_path=plugins)
    broken.ensure_network("shop", "default")
    path = broken.create_netns("shop", "c1" * 8)
    with pytest.raises(NetworkError, match="CNI portmap ADD .* no iptables today"):
        broken.attach("shop", "c1" * 8, "web", path, DEFAULT, ports("18080:80"))
    # The failed attach undid itself: no veth, no lease; only netns and bridge remain.
    assert not any(link.startswith("veth") for link in sandbox.links())
    assert not list((tmp_path / "state2" / "network" / "ipam").rglob("1*"))
    broken.cleanup_project("shop")
    assert not any(link.startswith(("veth", "rcbr")) for link in sandbox.links())
    assert not list((tmp_path / "state2" / "network" / "ipam").rglob("*"))


def test_cleanup_removes_veths_bridge_rules_leases_and_namespaces(
    manager: NetworkManager, sandbox: Sandbox, tmp_path: Path
) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "db")
    start(manager, "shop", "c2" * 8, "web", published=ports("18080:80"))
    assert sandbox.iptables_rules()
    manager.cleanup_project("shop")
    assert [link for link in sandbox.links() if link != "lo"] == []
    assert sandbox.iptables_rules() == []
    assert own_netns(tmp_path / "state") == set()
    assert not list((tmp_path / "state" / "network" / "ipam").rglob("*"))


def test_cleanup_after_a_crash_uses_only_what_is_on_disk(sandbox: Sandbox,
                                                         tmp_path: Path) -> None:
    first = NetworkManager(tmp_path / "state")
    first.ensure_network("shop", "default")
    start(first, "shop", "c1" * 8, "web", published=ports("18080:80"))
    # A new process (fresh manager) after the first one died: only the state root remains.
    NetworkManager(tmp_path / "state").cleanup_project("shop")
    assert [link for link in sandbox.links() if link != "lo"] == []
    assert sandbox.iptables_rules() == []


def test_detach_twice_is_harmless(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "db")
    manager.detach("shop", "c1" * 8)
    manager.detach("shop", "c1" * 8)
    assert manager.netns_path("c1" * 8).name not in named_netns()


def test_down_after_a_process_killed_mid_attach_removes_everything(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # portmap that SIGKILLs its caller: the bridge ADD is done, the chain never finishes.
    plugins = tmp_path / "cni"
    plugins.mkdir()
    for plugin in ("bridge", "host-local", "loopback"):
        (plugins / plugin).symlink_to(Path("/usr/lib/cni") / plugin)
    (plugins / "portmap").write_text(
        '#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] && kill -9 $PPID\n'
        'echo "{}"\n')
    os.chmod(plugins / "portmap", 0o755)
    script = (
        "from pathlib import Path\n"
        "from richcompose.network import NetworkManager, Endpoint\n"
        "from richcompose.network.ports import PortSpec\n"
        f"m = NetworkManager(Path({str(tmp_path / 'state')!r}), cni_path=Path({str(plugins)!r}))\n"
        "m.ensure_network('shop', 'default')\n"
        "p = m.create_netns('shop', 'c1' * 8)\n"
        "m.attach('shop', 'c1' * 8, 'web', p, {'default': Endpoint()},\n"
        "         [PortSpec((80, 80), (18080, 18080))])\n"
    )
    crashed = subprocess.run(["python3", "-c", script], cwd=Path(__file__).parents[2],
                             capture_output=True, check=False)
    assert crashed.returncode == -9
    assert any(link.startswith("veth") for link in sandbox.links())

    NetworkManager(tmp_path / "state", cni_path=plugins).cleanup_project("shop")
    assert [link for link in sandbox.links() if link != "lo"] == []
    assert sandbox.iptables_rules() == []
    assert NetworkManager(tmp_path / "state").netns_path("c1" * 8).name not in named_netns()
    assert not list((tmp_path / "state" / "network" / "ipam").rglob("*"))


def test_check_passes_on_a_healthy_attachment(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "web", published=ports("18080:80"))
    manager.check("c1" * 8)


def test_check_reports_an_interface_removed_behind_our_back(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "web")
    in_netns(manager, "c1" * 8, "ip", "link", "delete", "eth0")
    with pytest.raises(NetworkError, match="CNI bridge CHECK"):
        manager.check("c1" * 8)


def test_bridges_and_rules_exist_only_inside_the_test_sandbox(manager: NetworkManager,
                                                              sandbox: Sandbox) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "web", published=ports("18080:80"))
    assert any(link.startswith("rcbr") for link in sandbox.links())
    assert "rcbr" not in sandbox.on_host("ip", "-o", "link")
    assert "CNI-" not in sandbox.on_host("iptables-save")


def test_parallel_attaches_get_distinct_addresses_and_complete_hosts_files(
    manager: NetworkManager,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    manager.ensure_network("shop", "default")
    cids = [f"{i:02d}" * 8 for i in range(6)]
    # Threads started here inherit the sandbox namespace from the test thread.
    with ThreadPoolExecutor(6) as pool:
        attachments = list(pool.map(lambda c: start(manager, "shop", c, f"svc{c[:2]}"), cids))
    addresses = {a.addresses["default"] for a in attachments}
    assert len(addresses) == 6
    hosts = attachments[0].hosts_file.read_text()  # type: ignore[union-attr]
    assert all(address in hosts for address in addresses)


def test_published_udp_port_becomes_a_udp_dnat_rule(manager: NetworkManager,
                                                      sandbox: Sandbox) -> None:
    # busybox has no UDP server to test with traffic; the rule portmap writes is the proof.
    manager.ensure_network("shop", "default")
    att = start(manager, "shop", "c1" * 8, "dns", published=ports("127.0.0.1:15353:53/udp"))
    target = f"--to-destination {att.addresses['default']}:53"
    assert any("-p udp" in r and "--dport 15353" in r and target in r
               for r in sandbox.iptables_rules())


def test_service_dns_settings_reach_its_resolv_conf(manager: NetworkManager) -> None:
    from richcompose.network.types import DnsConfig

    manager.ensure_network("shop", "default")
    att = start(manager, "shop", "c1" * 8, "web",
                dns=DnsConfig(("192.0.2.1",), ("corp.example",), ("ndots:2",)))
    assert att.resolv_file is not None
    resolv = att.resolv_file.read_text().splitlines()
    assert {"nameserver 192.0.2.1", "search corp.example", "options ndots:2"} <= set(resolv)


def test_extra_hosts_and_host_gateway_reach_the_hosts_file(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    gateway = str(ipaddress.ip_network(manager.subnet("shop", "default")).network_address + 1)
    att = start(manager, "shop", "c1" * 8, "web",
                extra_hosts={"host.docker.internal": ["host-gateway"], "legacy": ["192.0.2.7"]})
    assert att.hosts_file is not None
    hosts = att.hosts_file.read_text().splitlines()
    assert f"{gateway}\thost.docker.internal" in hosts
    assert "192.0.2.7\tlegacy" in hosts


def test_host_gateway_without_a_network_fails_before_any_cni_call(manager: NetworkManager,
                                                                  sandbox: Sandbox) -> None:
    path = manager.create_netns("shop", "c1" * 8)
    with pytest.raises(NetworkError, match="no network gateway"):
        manager.attach("shop", "c1" * 8, "web", path, {}, extra_hosts={"x": ["host-gateway"]})
    assert not any(link.startswith("veth") for link in sandbox.links())


def test_two_state_roots_never_share_a_namespace_name(tmp_path: Path) -> None:
    one = NetworkManager(tmp_path / "one")
    two = NetworkManager(tmp_path / "two")
    assert one.netns_path("shop-db-1") != two.netns_path("shop-db-1")
    assert one.netns_path("shop-db-1").name.endswith("-shop-db-1")


def test_portmap_runs_only_for_a_container_that_publishes_ports(manager: NetworkManager) -> None:
    manager.ensure_network("shop", "default")
    start(manager, "shop", "c1" * 8, "db")
    start(manager, "shop", "c2" * 8, "web", published=ports("127.0.0.1:18081:80"))

    def chain(cid: str) -> list[str]:
        (cached,) = [c for c in manager._cni.cached(cid) if c["config"]["name"] != LOOPBACK_NETWORK]
        return [plugin["type"] for plugin in cached["config"]["plugins"]]

    assert chain("c1" * 8) == ["bridge"] and chain("c2" * 8) == ["bridge", "portmap"]
    for cid in ("c1" * 8, "c2" * 8):  # DEL runs what the cache says ADD ran
        manager.detach("shop", cid)
        assert manager._cni.cached(cid) == []


def test_a_network_masquerades_with_one_rule_whatever_its_containers(
        manager: NetworkManager, sandbox: Sandbox) -> None:
    manager.ensure_network("shop", "default")
    manager.ensure_network("shop", "back", NetworkSpec(name="back", internal=True))
    for index in range(3):
        start(manager, "shop", f"c{index}" * 8, f"svc{index}",
              networks={"default": Endpoint(), "back": Endpoint()})
    subnet = manager.subnet("shop", "default")
    masquerading = [r for r in sandbox.iptables_rules() if "MASQUERADE" in r]
    # docker's rule, once, for the network that reaches out; none for the internal one
    assert masquerading == [f"-A POSTROUTING -s {subnet} ! -o "
                            f"{masquerading[0].split()[6]} -j MASQUERADE"]
    assert not [r for r in sandbox.iptables_rules() if "CNI-" in r]
    manager.cleanup_project("shop")
    assert not [r for r in sandbox.iptables_rules() if "MASQUERADE" in r]
