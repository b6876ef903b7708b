"""Short syntaxes → long ones, as compose-go's normalisation does. Pure functions on plain data."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

_PORT = re.compile(
    # An IPv4 host_ip has dots: without them "8080:80" would read as host_ip 8080.
    r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|\d+\.\d+\.\d+\.\d+):)?"
    r"(?:(?P<published>\d+(?:-\d+)?)?:)?"
    r"(?P<target>\d+(?:-\d+)?)(?:/(?P<proto>tcp|udp|sctp))?$"
)


def split_command(value: Any) -> Any:
    """`command: echo hi` → ['echo', 'hi'] (shell words, as compose does); lists pass through."""
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split command into words: {exc}") from None
    return value


def environment_dict(value: Any) -> Any:
    """`[A=1, B]` → {'A': '1', 'B': None}; numbers and booleans become strings."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"environment list items are 'KEY=value' strings, not {item!r}")
            key, sep, val = item.partition("=")
            out[key] = val if sep else None
        return out
    if isinstance(value, dict):
        return {k: _env_scalar(v) for k, v in value.items()}
    return value


def _env_scalar(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"environment values are strings, numbers or booleans, not {value!r}")


def depends_on_dict(value: Any) -> Any:
    """`[db, cache]` → {'db': {'condition': 'service_started'}, ...}."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"depends_on list items are service names, not {item!r}")
            out[item] = {"condition": "service_started"}
        return out
    return value


def _range(text: str) -> list[int]:
    start, _, end = text.partition("-")
    first, last = int(start), int(end or start)
    if last < first:
        raise ValueError(f"port range {text!r} ends before it starts")
    return list(range(first, last + 1))


def port_list(value: Any) -> Any:
    """Short port syntax (`"127.0.0.1:8080:80/tcp"`, `"3000-3001:3000-3001"`, `80`) → long dicts."""
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, dict):
            out.append(item)
            continue
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"a port is 'HOST:CONTAINER[/proto]' or a number, not {item!r}")
        match = _PORT.match(str(item).strip())
        if not match:
            raise ValueError(
                f"invalid port {item!r}: use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]")
        targets = _range(match.group("target"))
        published = match.group("published")
        pubs: list[str | None] = [None] * len(targets)
        if published:
            prange = _range(published)
            if len(prange) == len(targets):
                pubs = [str(p) for p in prange]
            elif len(targets) == 1:
                pubs = [published]
            else:
                raise ValueError(f"port {item!r}: host and container ranges differ in size")
        ip = (match.group("ip") or "").strip("[]") or None
        for target, pub in zip(targets, pubs, strict=True):
            entry: dict[str, Any] = {"target": target, "protocol": match.group("proto") or "tcp",
                                     "mode": "ingress"}
            if pub is not None:
                entry["published"] = pub
            if ip:
                entry["host_ip"] = ip
            out.append(entry)
    return out


def _short_items(value: Any, expand: Callable[[str], Any]) -> Any:
    """A list whose string items are a short syntax: each one through `expand`; the long ones
    (mappings) as they are."""
    if not isinstance(value, list):
        return value
    return [expand(item) if isinstance(item, str) else item for item in value]


def volume_list(value: Any) -> Any:
    """Short volume syntax (`./data:/data:ro`, `name:/data`, `/data`) → long dicts."""
    return _short_items(value, _volume)


def _volume(item: str) -> dict[str, Any]:
    parts = item.split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    source, target = parts[0], parts[1]
    mode = parts[2] if len(parts) > 2 else ""
    kind = "bind" if source.startswith((".", "/", "~")) else "volume"
    entry: dict[str, Any] = {"type": kind, "source": source, "target": target}
    flags = set(mode.split(",")) if mode else set()
    if "ro" in flags:
        entry["read_only"] = True
    if kind == "bind":
        entry["bind"] = {"create_host_path": True}
    return entry


def string_list(value: Any) -> Any:
    """A single string where a list is allowed (`cap_add: NET_ADMIN`, `dns: 1.1.1.1`)."""
    return [value] if isinstance(value, str) else value


def text_list(value: Any) -> Any:
    """As string_list, with the whole numbers in the list as text (`expose: [80]`)."""
    value = string_list(value)
    if isinstance(value, list):
        return [int_text(v) for v in value]
    return value


def int_text(value: Any) -> Any:
    """A whole number (not a boolean) as text (`published: 8080` → '8080'); others as they are."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def build_dict(value: Any) -> Any:
    """`build: ./dir` → {'context': './dir'}."""
    return {"context": value} if isinstance(value, str) else value


def shell_command(value: Any) -> Any:
    """A command string run by the shell as one line (not split into words) → /bin/sh -c."""
    return ["/bin/sh", "-c", value] if isinstance(value, str) else value


def healthcheck_test(value: Any) -> Any:
    """`test: curl -f x` → ['CMD-SHELL', 'curl -f x'] (a plain string is CMD-SHELL, as in
    compose); a list starts with CMD, CMD-SHELL or NONE."""
    if isinstance(value, str):
        return ["CMD-SHELL", value]
    if isinstance(value, list) and value and value[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise ValueError("a healthcheck test list starts with CMD, CMD-SHELL or NONE")
    return value


def labels_dict(value: Any) -> Any:
    """`[a=b]` → {'a': 'b'}; mapping values that are numbers, booleans or null become text as
    compose-go makes them (`42` → '42', `true` → 'true', null → '')."""
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            key, _, val = str(item).partition("=")
            out[key] = val
        return out
    if isinstance(value, dict):
        return {k: "" if v is None else _env_scalar(v) if isinstance(v, int | float) else v
                for k, v in value.items()}
    return value


def sysctls_dict(value: Any) -> Any:
    """As labels_dict, with every value as text (`net.core.somaxconn: 1024` → '1024')."""
    value = labels_dict(value)
    return {k: str(v) for k, v in value.items()} if isinstance(value, dict) else value


def extra_hosts_dict(value: Any) -> Any:
    """compose-go's HostsList: `["db=10.0.0.2", "db:10.0.0.3", "v6=[::1]"]`, `{db: 10.0.0.2}` or
    `{db: [a, b]}` → {'db': ['10.0.0.2', '10.0.0.3'], ...}: a host named twice keeps both
    addresses; `host=a,b` gives two; brackets around an IPv6 address are dropped."""
    out: dict[str, list[str]] = {}
    if isinstance(value, list):
        for item in value:
            host, sep, ip = str(item).partition("=")
            if not sep:
                host, sep, ip = str(item).partition(":")
            if not sep:
                raise ValueError(f"extra_hosts entry {item!r} is not HOST=IP or HOST:IP")
            out.setdefault(host, []).extend(ip.split(","))
    elif isinstance(value, dict):
        for host, ips in value.items():
            items = ips if isinstance(ips, list) else ["" if ips is None else ips]
            out[host] = [str(ip) for ip in items]
    else:
        return value
    for host, ips in out.items():
        if not host or any(c in host for c in ":="):
            raise ValueError(f"extra_hosts: bad host name {host!r}")
        out[host] = [ip[1:-1] if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]" else ip
                     for ip in ips]
    return out


def file_mode(value: Any) -> Any:
    """compose-go's FileMode: a string is octal (`"0440"`, `"555"`); a YAML number is taken as
    written (YAML reads `0440` as octal already)."""
    if isinstance(value, str):
        try:
            return int(value, 8)
        except ValueError:
            raise ValueError(f"file mode {value!r} is not an octal number") from None
    return value


def whole_number(value: Any) -> Any:
    """`"555"` where a number is expected (often from interpolation), as compose-go casts it."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def ulimits_dict(value: Any) -> Any:
    """`nofile: 1024` → {'nofile': {'soft': 1024, 'hard': 1024}}: a single value is both limits;
    `"555"` (often interpolated) is a number, as compose-go casts it."""
    if isinstance(value, dict):
        singles = {k: whole_number(v) for k, v in value.items()}
        return {k: ({"soft": v, "hard": v} if isinstance(v, int) else value[k])
                for k, v in singles.items()}
    return value


def env_file_list(value: Any) -> Any:
    """`env_file: a.env` / `[a.env, {path: b.env, required: false}]` → long dicts."""
    return _short_items(string_list(value), lambda item: {"path": item, "required": True})


def file_ref_list(value: Any) -> Any:
    """Service `secrets:`/`configs:` short syntax (`- db_password`) → {'source': ...}."""
    return _short_items(value, lambda item: {"source": item})


def device_list(value: Any) -> Any:
    """`/dev/fuse`, `/dev/sda:/dev/xvda:rwm` → {'source', 'target', 'permissions'}."""
    return _short_items(value, _device)


def _device(item: str) -> dict[str, Any]:
    parts = item.split(":")
    if len(parts) > 3:
        raise ValueError(f"device {item!r} is not HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]")
    source = parts[0]
    target = parts[1] if len(parts) > 1 else source
    return {"source": source, "target": target,
            "permissions": parts[2] if len(parts) > 2 else "rwm"}


def network_dict(value: Any) -> Any:
    """`networks: [front, back]` → {'front': None, 'back': None}."""
    if not isinstance(value, list):
        return value
    if not all(isinstance(name, str) for name in value):
        raise ValueError("networks list items are network names")
    return dict.fromkeys(value)
