"""Every service gets a Service of its name, so peers resolve it as on one host: its container
ports (what peers use under compose), plus each published port that differs; headless when
there are none. networks.aliases → more Services with the same selector."""

from __future__ import annotations

from richcompose.errors import ConfigError
from richcompose.kube.context import Obj, ServiceContext


def service_ports(sc: ServiceContext) -> list[Obj]:
    seen: dict[tuple[int, str], Obj] = {}
    for mapping in sc.service.ports:
        protocol = mapping.protocol.upper()
        seen.setdefault((mapping.target, protocol), {"port": mapping.target,
                                                     "targetPort": mapping.target,
                                                     "protocol": protocol})
        if mapping.published:
            low, _, high = mapping.published.partition("-")
            if high and high != low:
                raise ConfigError(f"service {sc.name!r}: published port range {mapping.published} "
                                  "cannot map to one container port in a Service",
                                  location=sc.locate("ports"), hint="publish one port per mapping")
            published = int(low)
            seen.setdefault((published, protocol), {"port": published, "targetPort": mapping.target,
                                                    "protocol": protocol})
        if mapping.host_ip:
            sc.warn("ports", f"port {mapping.target}: host_ip {mapping.host_ip} has no meaning "
                    "in a cluster", "x-kubernetes: service_type decides who can reach it")
    for entry in sc.service.expose:
        span, _, proto = entry.partition("/")
        low, _, high = span.partition("-")
        for number in range(int(low), int(high or low) + 1):
            protocol = (proto or "tcp").upper()
            seen.setdefault((number, protocol), {"port": number, "targetPort": number,
                                                 "protocol": protocol})
    ports = [seen[k] for k in sorted(seen)]
    for port in ports:
        port["name"] = f"{port['protocol'].lower()}-{port['port']}"
    return [{"name": p["name"], "port": p["port"], "targetPort": p["targetPort"],
             "protocol": p["protocol"]} for p in ports]


def services(sc: ServiceContext) -> list[Obj]:
    ports = service_ports(sc)
    names = [sc.name]
    for net, attached in sc.service.networks.items():
        for alias in (attached.aliases if attached else []):
            if alias not in names:
                names.append(alias)
        if attached and (attached.ipv4_address or attached.ipv6_address or attached.mac_address):
            sc.warn("networks", f"network {net}: fixed addresses are not converted")
    if not ports and sc.block.service_type != "ClusterIP":
        raise ConfigError(f"service {sc.name!r}: x-kubernetes service_type "
                          f"{sc.block.service_type} needs ports", location=sc.locate("x-kubernetes"),
                          hint="add ports: or expose:, or drop service_type")
    out = []
    for name in names:
        spec: Obj = {}
        if ports:
            spec["type"] = sc.block.service_type
        else:
            spec["clusterIP"] = "None"
        spec["selector"] = sc.selector
        if ports:
            spec["ports"] = ports
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": sc.metadata(name),
                    "spec": spec})
    return out
