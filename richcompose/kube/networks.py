"""Project networks → NetworkPolicies, so services on different networks cannot reach each
other, as under compose. Only where the selected services use two networks or more: with one
network every project pod reaches every other anyway, and no policy is needed.

Each network N labels its members' pods `richcompose.io/network-N: "true"` and gets a policy
admitting ingress from its members; `internal: true` also limits egress to them (plus DNS).
Published ports stay reachable from anywhere, as a host's published ports are."""

from __future__ import annotations

from richcompose.config.models import Network, Project, Service
from richcompose.kube import labels
from richcompose.kube.context import Obj
from richcompose.kube.options import ConvertOptions

NETWORK_LABEL = "richcompose.io/network-"
_NONE = Network()


def networks_of(service: Service) -> list[str]:
    return sorted(service.networks) or ["default"]


def isolated_networks(project: Project, selected: list[str]) -> list[str]:
    if any(project.services[n].network_mode == "host" for n in selected):
        return []
    found = sorted({net for n in selected for net in networks_of(project.services[n])})
    return found if len(found) > 1 else []


def member_labels(project: Project, selected: list[str], service: str) -> dict[str, str]:
    if not isolated_networks(project, selected):
        return {}
    return {f"{NETWORK_LABEL}{net}": "true" for net in networks_of(project.services[service])}


def policies(project: Project, selected: list[str], options: ConvertOptions) -> list[Obj]:
    nets = isolated_networks(project, selected)
    if not nets:
        return []
    out: list[Obj] = []
    any_internal = any((project.networks.get(n) or _NONE).internal for n in nets)
    for net in nets:
        members = {labels.PROJECT: project.name, f"{NETWORK_LABEL}{net}": "true"}
        spec: Obj = {"podSelector": {"matchLabels": members}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": members}}]}]}
        network = project.networks.get(net)
        if network is not None and network.internal:
            spec["policyTypes"].append("Egress")
            spec["egress"] = [{"to": [{"podSelector": {"matchLabels": members}}]},
                              {"ports": [{"protocol": "UDP", "port": 53},
                                         {"protocol": "TCP", "port": 53}]}]
        elif any_internal:
            # Egress policies add up: a pod also on this (open) network keeps its way out.
            spec["policyTypes"].append("Egress")
            spec["egress"] = [{}]
        out.append(_policy(project, options, f"{project.name}-network-{net}", spec))
    for name in selected:
        published = sorted({(p.target, p.protocol.upper()) for p in project.services[name].ports
                            if p.published})
        if published:
            spec = {"podSelector": {"matchLabels": labels.selector(project.name, name)},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"ports": [{"protocol": proto, "port": port}
                                           for port, proto in published]}]}
            out.append(_policy(project, options, f"{name}-published", spec))
    return out


def _policy(project: Project, options: ConvertOptions, name: str, spec: Obj) -> Obj:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": labels.metadata(name, labels.project_labels(project.name),
                                        options.namespace),
            "spec": spec}
