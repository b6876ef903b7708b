"""Runs one converted pod's main container under runc the way a kubelet would set it up:
its command, its environment (ConfigMap envFrom, downward API), its volumes (the projected
ConfigMaps written out with their modes, emptyDirs as directories that outlive a container
restart, subPath files). Only what the wrapper needs; a test helper, not a kubelet."""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from richcompose.bundle.render import write_bundle
from richcompose.bundle.spec import (
    bind_mount,
    build_spec,
    with_env,
    with_mounts,
    with_process_args,
    with_user,
)

Obj = dict[str, Any]
POD_NAME = "app-7f9c4"


@dataclass
class PodRun:
    workdir: Path
    objects: list[Obj]
    workload: Obj
    rootfs_source: Path

    def _configmap(self, name: str) -> Obj:
        return next(o for o in self.objects if o["kind"] == "ConfigMap"
                    and o["metadata"]["name"] == name)

    def _write_item(self, configmap: Obj, key: str, target: Path, mode: int) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if key in configmap.get("binaryData", {}):
            target.write_bytes(base64.b64decode(configmap["binaryData"][key]))
        else:
            target.write_text(configmap["data"][key])
        target.chmod(mode)

    def _volume(self, volume: Obj) -> Path:
        path = self.workdir / "volumes" / volume["name"]
        if path.exists():  # an emptyDir lives as long as the pod, across container restarts
            return path
        if "emptyDir" in volume:
            path.mkdir(parents=True)
            path.chmod(0o777)
        for source in volume.get("projected", {}).get("sources", []):
            configmap = self._configmap(source["configMap"]["name"])
            for item in source["configMap"]["items"]:
                self._write_item(configmap, item["key"], path / item["path"], item["mode"])
        if "configMap" in volume:
            configmap = self._configmap(volume["configMap"]["name"])
            for item in volume["configMap"]["items"]:
                self._write_item(configmap, item["key"], path / item["path"],
                                 item.get("mode", 0o644))
        return path

    def bundle(self) -> Path:
        pod = self.workload["spec"]["template"]["spec"]
        container = pod["containers"][0]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        env: dict[str, str] = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "HOSTNAME": POD_NAME}
        for source in container.get("envFrom", []):
            env.update(self._configmap(source["configMapRef"]["name"])["data"])
        fields = {"metadata.name": POD_NAME, "metadata.namespace": "default",
                  "metadata.uid": "5d0b6c1e-6e43-4b8e-9d57-4b0e2f8f3c11"}
        for item in container.get("env", []):
            env[item["name"]] = item.get("value") or fields[item["valueFrom"]["fieldRef"]["fieldPath"]]
        mounts = []
        for mount in container.get("volumeMounts", []):
            source = self._volume(volumes[mount["name"]])
            if "subPath" in mount:
                source = source / mount["subPath"]
            mounts.append(bind_mount(str(source), mount["mountPath"],
                                     readonly=bool(mount.get("readOnly"))))
        bundle = self.workdir / "bundle"
        if not (bundle / "rootfs").exists():
            shutil.copytree(self.rootfs_source, bundle / "rootfs", symlinks=True)
        user = container.get("securityContext", {}).get("runAsUser", 0)
        spec = build_spec([with_process_args([*container["command"], *container.get("args", [])]),
                           with_env(env), with_user(user, user), with_mounts(mounts)])
        spec["root"]["path"] = str(bundle / "rootfs")
        write_bundle(spec, bundle)
        return bundle

    def start(self, runc_root: Path, timeout: float = 60) -> tuple[int, str]:
        """One container start, to its end: (exit status, its log)."""
        bundle = self.bundle()
        log = self.workdir / "container.log"
        cid = f"kube-podrun-{self.workdir.name}"[:60]
        try:
            with open(log, "w") as out:
                proc = subprocess.run(["runc", "--root", str(runc_root), "run", "-b", str(bundle),
                                       cid], stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, timeout=timeout)
        finally:
            subprocess.run(["runc", "--root", str(runc_root), "delete", "-f", cid],
                           capture_output=True)
        return proc.returncode, log.read_text()
