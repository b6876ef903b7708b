"""Kubernetes name rules, checked, never repaired: `my_app` is refused, not turned into
`my-app` behind the user's back."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def is_dns_label(name: str) -> bool:
    """RFC 1123 label: container, volume and port-less names; at most 63 characters."""
    return len(name) <= 63 and bool(_LABEL.match(name))


def is_service_name(name: str) -> bool:
    """Service names are RFC 1035 labels: they must also start with a letter."""
    return len(name) <= 63 and bool(_LABEL_1035.match(name))


def is_dns_subdomain(name: str) -> bool:
    """ConfigMap, Secret, PVC, Deployment... names: dot-separated labels, at most 253."""
    return len(name) <= 253 and bool(_SUBDOMAIN.match(name))


def is_port_name(name: str) -> bool:
    """IANA service name: at most 15 characters, at least one letter, no double hyphen."""
    return (len(name) <= 15 and bool(_PORT_NAME.match(name)) and "--" not in name
            and any(c.isalpha() for c in name))


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def is_qualified_name(key: str) -> bool:
    """A label or annotation key: [prefix/]name, the prefix a DNS subdomain."""
    prefix, _, name = key.rpartition("/")
    if prefix and not is_dns_subdomain(prefix):
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED.match(name))


def is_config_key(key: str) -> bool:
    return 0 < len(key) <= 253 and bool(_CONFIG_KEY.match(key))


def suggest(name: str) -> str:
    """What a valid name could look like, for the hint only: nothing is renamed."""
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return fixed[:63].rstrip("-") or "name"
