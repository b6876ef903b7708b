"""Running a CNI plugin chain without cnitool: ADD in order, DEL in reverse with the cached result.

The result of a successful ADD is cached on disk per container and network together with the
exact conflist and runtime config used, so DEL works even after a crash or after the network's
definition changed.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from richcompose.childenv import child_env
from richcompose.errors import NetworkError
from richcompose.hostfs import safe_join
from richcompose.network import netns
from richcompose.network.conflist import plugin_config
from richcompose.state import file_lock

# portmap 1.1.1's CHECK also looks for its chain in ip6tables, even for an IPv4-only
# container, and always fails there (upstream checkPorts ignores isV6).
CHECK_SKIPPED = frozenset({"portmap"})
# portmap 1.1.1 makes its shared CNI-HOSTPORT-* chains with check-then-create: two ADDs at once
# in one namespace both create, and one fails ("CHAIN_USER_ADD failed (File exists)"). Those
# run one at a time (a lock file beside the CNI cache: threads and other commands alike).
SERIALISED = frozenset({"portmap"})


@dataclass(frozen=True)
class CniCall:
    """Who a chain is run for: the CNI_* environment minus the command."""

    container_id: str
    netns: Path
    ifname: str


class CniRunner:
    """Invokes plugins from `cni_path`, caching results under `cache_dir`."""

    def __init__(self, cni_path: Path, cache_dir: Path) -> None:
        self._cni_path = cni_path
        self._cache_dir = cache_dir

    def add(
        self, conflist: dict[str, Any], call: CniCall, runtime_config: dict[str, Any]
    ) -> dict[str, Any]:
        """ADD every plugin in order, each seeing the previous result; returns the last result.

        A failure part-way DELs what was added before raising, so nothing is left half-made.
        """
        # Cache first: if we crash mid-chain, a later DEL still knows what to undo.
        self._write_cache(conflist, call, runtime_config, result=None)
        result: dict[str, Any] | None = None
        try:
            for plugin in conflist["plugins"]:
                stdin = plugin_config(conflist, plugin, runtime_config, result)
                result = self._exec(plugin["type"], "ADD", call, stdin, conflist["name"])
        except NetworkError:
            self._delete_chain(conflist, call, runtime_config, result)
            self._cache_path(conflist["name"], call).unlink(missing_ok=True)
            raise
        assert result is not None
        self._write_cache(conflist, call, runtime_config, result)
        return result

    def delete(self, network: str, call: CniCall) -> None:
        """DEL a cached attachment in reverse plugin order; unknown attachments are a no-op."""
        path = self._cache_path(network, call)
        if not path.exists():
            return
        cached = json.loads(path.read_text())
        self._delete_chain(
            cached["config"], CniCall(call.container_id, call.netns, cached["ifname"]),
            cached["runtimeConfig"], cached["result"], strict=True,
        )
        path.unlink()

    def check(self, network: str, call: CniCall) -> None:
        """CHECK a cached attachment: each plugin in order verifies what it set up."""
        path = self._cache_path(network, call)
        if not path.exists():
            raise NetworkError(f"container {call.container_id[:12]} is not on {network!r}")
        cached = json.loads(path.read_text())
        config = cached["config"]
        for plugin in config["plugins"]:
            if plugin["type"] in CHECK_SKIPPED:
                continue
            stdin = plugin_config(config, plugin, cached["runtimeConfig"], cached["result"])
            self._exec(plugin["type"], "CHECK", CniCall(call.container_id, call.netns,
                                                        cached["ifname"]), stdin, network)

    def cached(self, container_id: str) -> list[dict[str, Any]]:
        """Every cached attachment of a container in attach order (what recovery must DEL)."""
        folder = safe_join(self._cache_dir, container_id)
        if not folder.is_dir():
            return []
        records = [json.loads(p.read_text()) for p in folder.glob("*.json")]
        return sorted(records, key=lambda r: float(r.get("seq", 0)))

    def _delete_chain(
        self,
        conflist: dict[str, Any],
        call: CniCall,
        runtime_config: dict[str, Any],
        prev_result: dict[str, Any] | None,
        *,
        strict: bool = False,
    ) -> None:
        errors: list[NetworkError] = []
        for plugin in reversed(conflist["plugins"]):
            stdin = plugin_config(conflist, plugin, runtime_config, prev_result)
            try:
                self._exec(plugin["type"], "DEL", call, stdin, conflist["name"])
            except NetworkError as err:
                errors.append(err)
        if strict and errors:
            raise errors[0]

    def _exec(
        self, plugin: str, command: str, call: CniCall, stdin: dict[str, Any], network: str
    ) -> dict[str, Any]:
        binary = self._cni_path / plugin
        if not binary.exists():
            raise NetworkError(
                f"CNI plugin {plugin!r} not found in {self._cni_path}",
                hint="install containernetworking-plugins",
            )
        # A plugin needs only CNI_* and PATH (for iptables); the caller's variables, which
        # may hold registry tokens, stay out of it (childenv.py).
        env = child_env(
            CNI_COMMAND=command,
            CNI_CONTAINERID=call.container_id,
            # DEL must work after the namespace is gone (crash recovery); plugins accept "".
            # A stale file where a namespace was is no namespace either ("unknown FS magic").
            CNI_NETNS=str(call.netns) if call.netns.exists() and (
                command != "DEL" or netns.is_namespace(call.netns)) else "",
            CNI_IFNAME=call.ifname,
            CNI_PATH=str(self._cni_path),
        )
        with file_lock(self._cache_dir.parent / f"{plugin}.lock") if plugin in SERIALISED \
                else contextlib.nullcontext():
            proc = subprocess.run(
                [str(binary)], input=json.dumps(stdin), env=env,
                capture_output=True, text=True, check=False,
            )
        output = proc.stdout.strip()
        if proc.returncode != 0:
            raise NetworkError(
                f"CNI {plugin} {command} on network {network!r} failed: "
                f"{_plugin_message(output, proc.stderr)}",
                hint=f"container {call.container_id[:12]}, interface {call.ifname}",
            )
        return json.loads(output) if output else {}

    def _cache_path(self, network: str, call: CniCall) -> Path:
        return safe_join(self._cache_dir, call.container_id, f"{network}.json")

    def _write_cache(
        self,
        conflist: dict[str, Any],
        call: CniCall,
        runtime_config: dict[str, Any],
        result: dict[str, Any] | None,
    ) -> None:
        path = self._cache_path(conflist["name"], call)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Attach order, so a recovery DELs networks in reverse of how they were added.
        seq = json.loads(path.read_text())["seq"] if path.exists() else time.time()
        record = {"seq": seq, "config": conflist, "ifname": call.ifname, "netns": str(call.netns),
                  "runtimeConfig": runtime_config, "result": result}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1))
        tmp.replace(path)


def _plugin_message(stdout: str, stderr: str) -> str:
    """A plugin reports errors as JSON `{code, msg, details}` on stdout; fall back to raw text."""
    try:
        error = json.loads(stdout)
    except ValueError:
        return (stdout or stderr).strip() or "no output"
    message = str(error.get("msg", stdout))
    if error.get("details"):
        message += f" ({error['details']})"
    return message
