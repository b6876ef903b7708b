"""Host names and DNS values a service may give, checked before they reach a peer's /etc/hosts
or a resolv.conf: one newline in `hostname`, an alias or a `dns` entry would otherwise add
lines of the container author's choosing to other containers' files.

- hostname, domainname: RFC 1123 labels (letters, digits, '-', and '_' as docker tolerates),
  dot-separated, at most 64 characters (the kernel's HOST_NAME_MAX for sethostname).
- network aliases and extra_hosts names: the same labels, at most 253 characters.
- dns: IP addresses (docker: "is not an ip address"); dns_search: domain names, or "." for
  none; dns_opt: one resolv.conf option word such as ndots:2.
network/hosts.py refuses the same things again when it writes the files (defence in depth).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator

from richcompose.config.models import Project, Service
from richcompose.config.source import PathKey
from richcompose.errors import ConfigError

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
DNS_OPTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]*")
HOST_NAME_MAX = 64
DOMAIN_MAX = 253


def host_name_problem(name: str, limit: int = DOMAIN_MAX) -> str | None:
    if len(name) > limit:
        return f"longer than {limit} characters"
    if not HOST_NAME.fullmatch(name):
        return "not a host name (letters, digits, '-', '_' and dots)"
    return None


def address_problem(value: str) -> str | None:
    try:
        ipaddress.ip_address(value.strip("[]").split("%")[0])
    except ValueError:
        return "not an IP address"
    return None


def dns_option_problem(value: str) -> str | None:
    return None if DNS_OPTION.fullmatch(value) else "not one resolv.conf option word"


def check_host_values(project: Project) -> None:
    """The first bad value as a ConfigError at its place in the file."""
    for name, service in project.services.items():
        for path, what, value, problem in _problems(service):
            shown = value if len(value) <= 60 else f"{value[:60]}..."
            raise ConfigError(f"service {name!r}: invalid {what} {shown!r}: {problem}",
                              location=project.locate(("services", name, *path)),
                              hint="host names and DNS values are single words; no spaces or "
                                   "line breaks")


def _problems(service: Service) -> Iterator[tuple[PathKey, str, str, str]]:
    for key in ("hostname", "domainname"):
        value = getattr(service, key)
        problem = None if value is None else host_name_problem(value, HOST_NAME_MAX)
        if problem:
            yield (key,), key, value, problem
    checks = (("dns", address_problem), ("dns_search", _search_problem),
              ("dns_opt", dns_option_problem))
    for key, check in checks:
        for index, value in enumerate(getattr(service, key)):
            problem = check(value)
            if problem:
                yield (key, index), key, value, problem
    for host, addresses in service.extra_hosts.items():
        problem = host_name_problem(host)
        if problem:
            yield ("extra_hosts",), "extra_hosts name", host, problem
        for address in _as_list(addresses):
            problem = None if address == "host-gateway" else address_problem(address)
            if problem:
                yield ("extra_hosts",), "extra_hosts address", address, problem
    for network, attached in service.networks.items():
        for index, alias in enumerate(attached.aliases if attached else []):
            problem = host_name_problem(alias)
            if problem:
                yield ("networks", network, "aliases", index), "alias", alias, problem


def _search_problem(value: str) -> str | None:
    return None if value == "." else host_name_problem(value)


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
