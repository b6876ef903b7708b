"""What the container runs and as whom: compose keys over image defaults, as docker does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from richcompose.bundle.imagefs import ImageFS
from richcompose.config.models import Service
from richcompose.errors import BundleError, Location
from richcompose.image import defaults
from richcompose.image.types import ImageConfig

_ETC_CAP = 8 << 20  # a passwd or group file larger than this is not one


def process_args(service: Service, image: ImageConfig) -> list[str]:
    """Entrypoint + command over the image's, by docker's rules; a shell when both are empty."""
    return defaults.process_args(image, service.entrypoint, service.command) or ["/bin/sh"]


def environment(service: Service, image: ImageConfig, host_env: Mapping[str, str]) -> dict[str, str]:
    """Image Env, overridden by the service's; `KEY` without a value takes the host's value
    (and is left out when the host has none), as compose does."""
    own = {key: given if given is not None else host_env.get(key)
           for key, given in service.environment.items()}
    merged = defaults.environment(image, {k: v for k, v in own.items() if v is not None})
    pairs = (item.partition("=") for item in merged)
    return {key: value for key, eq, value in pairs if valid_env_name(key) and eq}


def valid_env_name(name: str) -> bool:
    """runc refuses an empty name (an image's `Env: ["="]`) and a NUL cannot pass exec."""
    return bool(name) and "\0" not in name


def invalid_image_env(image: ImageConfig) -> list[str]:
    """The image's Env entries that name no variable (left out, with a warning)."""
    return [item for item in image.env
            if not valid_env_name(item.partition("=")[0]) or "=" not in item]


def resolve_user(user: str, layers: Sequence[Path], location: Location | None = None
                 ) -> tuple[int, int]:
    """`uid[:gid]` or `name[:group]`, names looked up in the image's /etc/passwd and /etc/group."""
    if not user:
        return 0, 0
    name, _, group = user.partition(":")
    uid, default_gid = _lookup(name, _read_etc(layers, "passwd"), 2, 3, "user", location)
    gid = default_gid if not group else _lookup(group, _read_etc(layers, "group"), 2, 2, "group",
                                                location)[0]
    return uid, gid


def resolve_groups(groups: Sequence[str], layers: Sequence[Path],
                   location: Location | None = None) -> list[int]:
    """`group_add:` names or ids, names looked up in the image's /etc/group."""
    rows = _read_etc(layers, "group") if any(not g.isdigit() for g in groups) else []
    return [_lookup(g, rows, 2, 2, "group", location)[0] for g in groups]


def _read_etc(layers: Sequence[Path], name: str) -> list[list[str]]:
    """The image's own /etc/passwd or /etc/group, as the container would see it: links (an
    /etc that points at the host's) resolved inside the image, never on the host."""
    data = ImageFS(layers).read_file(f"/etc/{name}", _ETC_CAP)
    if data is None:
        return []
    return [line.split(":") for line in data.decode(errors="replace").splitlines()
            if line and not line.startswith("#")]


def _lookup(name: str, rows: list[list[str]], id_col: int, gid_col: int, what: str,
            location: Location | None) -> tuple[int, int]:
    if name.isdigit():
        numeric = int(name)
        for row in rows:
            if len(row) > gid_col and row[id_col] == name:
                return numeric, int(row[gid_col])
        return numeric, numeric if what == "group" else 0
    for row in rows:
        if row and row[0] == name and len(row) > gid_col:
            return int(row[id_col]), int(row[gid_col])
    table = "passwd" if what == "user" else "group"
    raise BundleError(f"{what} {name!r} not found in the image's /etc/{table}",
                      location=location, hint=f"use a numeric id or a {what} the image defines")
