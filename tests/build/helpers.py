"""A docker-credential-* helper for tests: a script on PATH keeping secrets in a JSON file
beside it, speaking the docker-credential-helpers protocol (get/store/erase/list)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

_SCRIPT = '''#!/usr/bin/env python3
import json, pathlib, sys
store = pathlib.Path(__file__).with_name("helper-store.json")
data = json.loads(store.read_text()) if store.exists() else {}
action, body = sys.argv[1], sys.stdin.read()
if action == "get":
    entry = data.get(body.strip())
    if entry is None:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({"ServerURL": body.strip(), **entry}))
elif action == "store":
    doc = json.loads(body)
    data[doc["ServerURL"]] = {"Username": doc["Username"], "Secret": doc["Secret"]}
    store.write_text(json.dumps(data))
elif action == "erase":
    data.pop(body.strip(), None)
    store.write_text(json.dumps(data))
elif action == "list":
    print(json.dumps({k: v["Username"] for k, v in data.items()}))
'''


def install_helper(bin_dir: Path, name: str = "testhelper",
                   secrets: dict[str, tuple[str, str]] | None = None) -> Path:
    """Write `docker-credential-NAME` into `bin_dir`, holding `secrets` (server → user, secret)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(_SCRIPT)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    store = {k: {"Username": u, "Secret": s} for k, (u, s) in (secrets or {}).items()}
    (bin_dir / "helper-store.json").write_text(json.dumps(store))
    return script


def env_with(bin_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{bin_dir}:{os.environ.get('PATH', os.defpath)}", "HOME": str(home),
            **extra}
