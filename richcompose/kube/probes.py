"""healthcheck → a readinessProbe (compose never restarts an unhealthy container, and neither
does a failing readiness probe); depends_on → initContainers that wait for each dependency's
Service at pod start, as compose waits at `up`."""

from __future__ import annotations

import math

from richcompose.kube import names
from richcompose.kube.context import Obj, ServiceContext

# Waits on the dependency's Service: a TCP connection to its first port (the Service routes
# only to ready pods), or, for a headless Service, a DNS answer (it lists only ready pods).
WAIT_SCRIPT = """\
host=$1; port=$2; deadline=$3; waited=0
up() {
  if [ -z "$port" ]; then nslookup "$host" >/dev/null 2>&1; return; fi
  # busybox nc holds an accepted connection open: killed by timeout (124+) means connected.
  timeout 3 nc -w 2 "$host" "$port" </dev/null >/dev/null 2>&1
  code=$?; [ "$code" -eq 0 ] || [ "$code" -ge 124 ]
}
echo "waiting for $host${port:+:$port}"
until up; do
  waited=$((waited + 1))
  if [ "$deadline" -gt 0 ] && [ "$waited" -ge "$deadline" ]; then
    echo "$host is not up after ${deadline} tries; going on (required: false)"; exit 0
  fi
  sleep 1
done
echo "$host is up"
"""
OPTIONAL_WAIT = 60  # seconds a `required: false` dependency is waited for


def readiness(sc: ServiceContext) -> Obj | None:
    check = sc.service.healthcheck
    if check is None or check.disable:
        return None
    if check.test is None:
        sc.warn("healthcheck", "healthcheck without test: the image's HEALTHCHECK is not read",
                "write the test in the project")
        return None
    if check.test[0] == "NONE":
        return None
    argv = check.test[1:] if check.test[0] == "CMD" else ["/bin/sh", "-c", " ".join(check.test[1:])]
    return {"exec": {"command": argv},
            "periodSeconds": max(1, math.ceil(check.interval)),
            "timeoutSeconds": max(1, math.ceil(check.timeout)),
            "failureThreshold": max(1, check.retries),
            "successThreshold": 1}


def first_port(sc: ServiceContext, dependency: str) -> int | None:
    service = sc.project.services[dependency]
    if service.ports:
        return service.ports[0].target
    for entry in service.expose:
        return int(entry.split("/")[0].split("-")[0])
    return None


def waiters(sc: ServiceContext) -> list[Obj]:
    out: list[Obj] = []
    for dep, spec in sorted(sc.service.depends_on.items()):
        if spec.condition not in ("service_started", "service_healthy"):
            continue  # refused in refuse.py
        if dep not in sc.selected:
            if spec.required:
                continue  # select() always brings required dependencies in
            sc.warn("depends_on", f"depends_on {dep} (required: false) is not converted, so "
                    "nothing waits for it")
            continue
        name = f"wait-for-{dep}"
        if not names.is_dns_label(name):
            name = f"wait-{len(out)}"
        port = first_port(sc, dep)
        out.append({
            "name": name,
            "image": sc.block.waiter_image,
            "command": ["/bin/sh", "-c", WAIT_SCRIPT, "wait", dep,
                        "" if port is None else str(port),
                        "0" if spec.required else str(OPTIONAL_WAIT)],
            "resources": {"limits": {"cpu": "100m", "memory": "32Mi"}},
        })
    return out
