"""Registry authentication: WWW-Authenticate challenges and stored credentials.

Credentials are read where the docker and containers tools keep them (containers-auth.json(5)):
`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json`,
then `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). In each file a
`credHelpers` entry for the registry, else an `auths` entry, else `credsStore`, answers; a
helper is the `docker-credential-NAME` program on PATH (credentials.py runs it).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from richcompose.errors import ImageError
from richcompose.hostfs import home_of


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "bearer" or "basic"
    params: dict[str, str]


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    # An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user) instead of a login.
    identity_token: str | None = field(default=None, repr=False)


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
    files.append(home_dir(env) / ".config" / "containers" / "auth.json")
    files.append(docker_config_dir(env) / "config.json")
    return files


def home_dir(env: Mapping[str, str]) -> Path:
    """$HOME of the given environment, else the user's home from the password database (never
    the process's own environment: the caller's is the one that counts)."""
    return Path(home_of(env))


def docker_config_dir(env: Mapping[str, str]) -> Path:
    return Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home_dir(env) / ".docker"


def find_credentials(registry: str, repository: str,
                     env: Mapping[str, str]) -> Credentials | None:
    """The most specific stored credentials for `registry/repository`, if any, in the files
    and helpers `env` points at."""
    wanted = _DOCKER_HUB_HOSTS if registry == "docker.io" else (registry,)
    for path in auth_files(env):
        doc = read_auth_file(path)
        helper = helper_for(doc, registry)
        if helper is not None and helper in _helpers(doc):
            creds = run_helper_get(helper, server_url(registry), env)
            if creds is not None:
                return creds
        best: tuple[int, Credentials] | None = None
        for key, entry in _auths(doc).items():
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
        if helper is not None:
            creds = run_helper_get(helper, server_url(registry), env)
            if creds is not None:
                return creds
    return None


def server_url(registry: str) -> str:
    """The key docker uses for a registry in auth files and helpers."""
    return "https://index.docker.io/v1/" if registry in _DOCKER_HUB_HOSTS else registry


def helper_for(doc: dict[str, Any], registry: str) -> str | None:
    """The credential helper answering for `registry` in one auth file: credHelpers, then
    credsStore."""
    for host in (_DOCKER_HUB_HOSTS if registry in _DOCKER_HUB_HOSTS else (registry,)):
        name = _helpers(doc).get(host)
        if name:
            return name
    store = doc.get("credsStore")
    return store if isinstance(store, str) and store else None


def _helpers(doc: dict[str, Any]) -> dict[str, str]:
    helpers = doc.get("credHelpers")
    return {k: v for k, v in helpers.items() if isinstance(v, str)} if isinstance(
        helpers, dict) else {}


def _auths(doc: dict[str, Any]) -> dict[str, Any]:
    auths = doc.get("auths")
    return auths if isinstance(auths, dict) else {}


def _normalise_key(key: str) -> str:
    """`https://index.docker.io/v1/` → `index.docker.io`; `host/ns/repo` stays as it is."""
    key = key.removeprefix("https://").removeprefix("http://").rstrip("/")
    for suffix in ("/v1", "/v2"):
        key = key.removesuffix(suffix)
    return key


def read_auth_file(path: Path) -> dict[str, Any]:
    """One auth file as a mapping; a missing file is empty."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ImageError(f"cannot read registry credentials from {path}: {e}") from e
    if not isinstance(doc, dict):
        raise ImageError(f"registry credentials file {path} is not a JSON object")
    return doc


def _decode(entry: object, path: Path) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    if isinstance(entry.get("identitytoken"), str) and entry["identitytoken"]:
        return Credentials("", "", identity_token=entry["identitytoken"])
    if entry.get("username") and entry.get("password"):
        return Credentials(str(entry["username"]), str(entry["password"]))
    if not entry.get("auth"):
        return None
    try:
        user, sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
    except ValueError as e:
        raise ImageError(f"malformed auth entry in {path}: {e}") from e
    return Credentials(user, password) if sep else None


HELPER_TIMEOUT = 30.0
_MAX_HELPER_OUTPUT = 64 << 10


def helper_program(name: str, env: Mapping[str, str]) -> str:
    """The path of `docker-credential-NAME` on the PATH of `env`."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ImageError(f"invalid credential helper name {name!r}")
    found = shutil.which(f"docker-credential-{name}", path=env.get("PATH", os.defpath))
    if found is None:
        raise ImageError(f"credential helper docker-credential-{name} is not on PATH",
                         hint="install it, or remove it from credHelpers/credsStore")
    return found


def run_helper(name: str, action: str, payload: str, env: Mapping[str, str]) -> str:
    """Run `docker-credential-NAME ACTION` with `payload` on stdin; its stdout. Neither the
    payload nor the output is ever put in a message: both may hold secrets."""
    program = helper_program(name, env)
    try:
        done = subprocess.run([program, action], input=payload.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, env=dict(env), check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ImageError(f"credential helper docker-credential-{name} {action} failed: "
                         f"{type(e).__name__}") from None
    out = done.stdout[:_MAX_HELPER_OUTPUT].decode(errors="replace")
    if done.returncode != 0:
        if "credentials not found" in out.lower() or "credentials not found" in \
                done.stderr.decode(errors="replace").lower():
            raise _NotFound()
        raise ImageError(f"credential helper docker-credential-{name} {action} exited with "
                         f"status {done.returncode}")
    return out


class _NotFound(ImageError):
    def __init__(self) -> None:
        super().__init__("credentials not found")


def run_helper_get(name: str, server: str, env: Mapping[str, str]) -> Credentials | None:
    """Credentials for `server` from a helper (the docker-credential-helpers protocol)."""
    try:
        out = run_helper(name, "get", server, env)
    except _NotFound:
        return None
    try:
        doc = json.loads(out)
        user, secret = doc["Username"], doc["Secret"]
    except (ValueError, KeyError, TypeError):
        raise ImageError(f"credential helper docker-credential-{name} sent a malformed "
                         "answer") from None
    if not isinstance(user, str) or not isinstance(secret, str) or not secret:
        return None
    if user == "<token>":
        return Credentials("", "", identity_token=secret)
    return Credentials(user, secret)
