"""Registry authentication: WWW-Authenticate challenges and stored credentials.

Credentials are read where the docker and containers tools keep them: `REGISTRY_AUTH_FILE`,
`$XDG_RUNTIME_DIR/containers/auth.json`, then `$DOCKER_CONFIG/config.json` (default
`~/.docker/config.json`). Credential helpers (`credsStore`) are not run.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from richcompose.errors import ImageError


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "bearer" or "basic"
    params: dict[str, str]


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)')
_DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")


def parse_challenge(header: str) -> Challenge:
    """Parse one `WWW-Authenticate` value, e.g. `Bearer realm="…",service="…",scope="…"`."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        raise ImageError(f"registry sent an empty authentication challenge {header!r}")
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _PARAM_RE.match(rest, pos)
        if not match or match.end() == pos:
            raise ImageError(f"cannot parse the registry's authentication challenge {header!r}")
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        params[match.group(1).lower()] = value
        pos = match.end()
    return Challenge(scheme.lower(), params)


def auth_files(env: Mapping[str, str]) -> list[Path]:
    files = []
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    docker_dir = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else (
        Path(env.get("HOME", str(Path.home()))) / ".docker")
    files.append(docker_dir / "config.json")
    return files


def find_credentials(registry: str, repository: str,
                     env: Mapping[str, str] | None = None) -> Credentials | None:
    """The most specific stored credentials for `registry/repository`, if any."""
    env = os.environ if env is None else env
    wanted = _DOCKER_HUB_HOSTS if registry == "docker.io" else (registry,)
    for path in auth_files(env):
        best: tuple[int, Credentials] | None = None
        for key, entry in _read_auths(path).items():
            host, _, scope = _normalise_key(key).partition("/")
            if host not in wanted:
                continue
            if scope and repository != scope and not repository.startswith(scope + "/"):
                continue
            creds = _decode(entry, path)
            if creds and (best is None or len(scope) > best[0]):
                best = (len(scope), creds)
        if best:
            return best[1]
    return None


def _normalise_key(key: str) -> str:
    """`https://index.docker.io/v1/` → `index.docker.io`; `host/ns/repo` stays as it is."""
    key = key.removeprefix("https://").removeprefix("http://").rstrip("/")
    for suffix in ("/v1", "/v2"):
        key = key.removesuffix(suffix)
    return key


def _read_auths(path: Path) -> dict[str, dict[str, str]]:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ImageError(f"cannot read registry credentials from {path}: {e}") from e
    auths = doc.get("auths") if isinstance(doc, dict) else None
    return auths if isinstance(auths, dict) else {}


def _decode(entry: object, path: Path) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    if entry.get("username") and entry.get("password"):
        return Credentials(str(entry["username"]), str(entry["password"]))
    if not entry.get("auth"):
        return None
    try:
        user, sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
    except ValueError as e:
        raise ImageError(f"malformed auth entry in {path}: {e}") from e
    return Credentials(user, password) if sep else None
