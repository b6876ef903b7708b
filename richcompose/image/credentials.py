"""`login` and `logout`: credentials written where docker and podman keep them, in their format.

The file is `--authfile`, else `$REGISTRY_AUTH_FILE`, else `$DOCKER_CONFIG/config.json`
(`~/.docker/config.json`). When that file names a credential helper for the registry
(`credHelpers`, else `credsStore`) the helper stores the secret and the file is not touched;
otherwise the entry is `auths.<registry>.auth` (base64 `user:password`), and the file is
written atomically with mode 0600. Nothing here prints or logs a secret.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from richcompose.errors import ImageError
from richcompose.image.auth import (
    Credentials,
    docker_config_dir,
    helper_for,
    read_auth_file,
    run_helper,
    server_url,
)


def login_file(env: Mapping[str, str], authfile: Path | None = None) -> Path:
    if authfile is not None:
        return authfile
    if env.get("REGISTRY_AUTH_FILE"):
        return Path(env["REGISTRY_AUTH_FILE"])
    return docker_config_dir(env) / "config.json"


def store_credentials(registry: str, creds: Credentials, env: Mapping[str, str],
                      authfile: Path | None = None) -> str:
    """Save `creds` for `registry`; where they went (a helper's name or the file)."""
    path = login_file(env, authfile)
    doc = read_auth_file(path)
    helper = helper_for(doc, registry)
    if helper is not None:
        run_helper(helper, "store", json.dumps({"ServerURL": server_url(registry),
                                                "Username": creds.username,
                                                "Secret": creds.password}), env)
        auths = doc.setdefault("auths", {})
        if isinstance(auths, dict) and server_url(registry) not in auths:
            auths[server_url(registry)] = {}  # docker's marker: the helper holds the secret
            _write(path, doc)
        return f"docker-credential-{helper}"
    auths = doc.setdefault("auths", {})
    if not isinstance(auths, dict):
        raise ImageError(f"{path}: auths is not an object")
    token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    auths[server_url(registry)] = {"auth": token}
    _write(path, doc)
    return str(path)


def erase_credentials(registry: str, env: Mapping[str, str],
                      authfile: Path | None = None) -> bool:
    """Forget `registry`'s credentials; False when there were none."""
    path = login_file(env, authfile)
    doc = read_auth_file(path)
    found = False
    helper = helper_for(doc, registry)
    if helper is not None:
        try:
            run_helper(helper, "erase", server_url(registry), env)
            found = True
        except ImageError:
            pass
    auths = doc.get("auths")
    if isinstance(auths, dict):
        for key in [k for k in auths if _host(k) == _host(server_url(registry))]:
            del auths[key]
            found = True
        _write(path, doc)
    return found


def _host(key: str) -> str:
    key = key.removeprefix("https://").removeprefix("http://")
    host = key.split("/", 1)[0]
    return "docker.io" if host in ("index.docker.io", "registry-1.docker.io") else host


def _write(path: Path, doc: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:  # mkstemp made it 0600
            json.dump(doc, f, indent="\t")
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
