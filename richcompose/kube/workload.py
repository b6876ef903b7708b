"""The controller and its pod: restart policy → Deployment, StatefulSet or Job; the container
with its command, resources and security context."""

from __future__ import annotations

import math

from richcompose.bundle.vm import has_app
from richcompose.config.models import Service
from richcompose.kube import quantity, signals
from richcompose.kube.context import Obj, ServiceContext

PULL_POLICY = {"always": "Always", "never": "Never", "missing": "IfNotPresent",
               "if_not_present": "IfNotPresent", "daily": "Always", "weekly": "Always"}
FOREVER = 2147483647  # on-failure without a count: compose retries without end


def is_vm(service: Service) -> bool:
    """A systemd or sbin-init service without a command: its init is all it runs."""
    return service.effective_rich_mode in ("systemd", "sbin-init") and not has_app(service)


def controller_kind(service: Service, has_named_volumes: bool) -> str:
    policy = service.restart.partition(":")[0]
    # A VM is started again after a reboot inside whatever its restart policy; in a container
    # without CAP_SYS_BOOT a reboot ends PID 1 just as a poweroff does (systemd simply exits),
    # which only restartPolicy Always is sure to restart.
    if policy in ("no", "on-failure") and not is_vm(service):
        return "Job"
    return "StatefulSet" if has_named_volumes or service.hostname else "Deployment"


def replicas(service: Service) -> int:
    if service.deploy and service.deploy.replicas is not None:
        return service.deploy.replicas
    return service.scale if service.scale is not None else 1


def image(sc: ServiceContext) -> str:
    ref = sc.block.image or sc.service.image or ""
    return ref.removeprefix("docker://")


def container(sc: ServiceContext) -> Obj:
    service = sc.service
    out: Obj = {"name": sc.name, "image": image(sc)}
    if service.pull_policy in PULL_POLICY:
        out["imagePullPolicy"] = PULL_POLICY[service.pull_policy]
        if service.pull_policy in ("daily", "weekly"):
            sc.warn("pull_policy", f"pull_policy {service.pull_policy}: pulled on every start")
    if service.entrypoint is not None:
        out["command"] = service.entrypoint
    if service.command is not None:
        out["args"] = service.command
    if service.working_dir:
        out["workingDir"] = service.working_dir
    if service.tty:
        out["tty"] = True
    if service.stdin_open or service.tty:
        out["stdin"] = True
    return out


def command_argv(service: Service) -> list[str]:
    return [*(service.entrypoint or []), *(service.command or [])]


def resources(sc: ServiceContext) -> Obj:
    service = sc.service
    res = service.deploy.resources if service.deploy and service.deploy.resources else None
    limits: Obj = {}
    requests: Obj = {}
    cpus = service.cpus or (res.limits.cpus if res and res.limits else None)
    memory = service.mem_limit or (res.limits.memory if res and res.limits else None)
    if cpus:
        limits["cpu"] = quantity.cpu(cpus)
    if memory:
        limits["memory"] = quantity.memory(memory)
    r_cpus = res.reservations.cpus if res and res.reservations else None
    r_memory = service.mem_reservation or (res.reservations.memory if res and res.reservations
                                           else None)
    if r_cpus:
        requests["cpu"] = quantity.cpu(r_cpus)
    if r_memory:
        requests["memory"] = quantity.memory(r_memory)
    pids = service.pids_limit or (res.limits.pids if res and res.limits else None)
    if pids:
        sc.warn("pids_limit", "pids limits are per node in Kubernetes (kubelet podPidsLimit)")
    out: Obj = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def security_context(sc: ServiceContext) -> Obj:
    service = sc.service
    ctx: Obj = {}
    if service.privileged:
        ctx["privileged"] = True
    caps: Obj = {}
    if service.cap_add:
        caps["add"] = [c.removeprefix("CAP_") for c in service.cap_add]
    if service.cap_drop:
        caps["drop"] = [c.removeprefix("CAP_") for c in service.cap_drop]
    if caps:
        ctx["capabilities"] = caps
    if service.user:
        uid, _, gid = service.user.partition(":")
        ctx["runAsUser"] = int(uid)
        if gid:
            ctx["runAsGroup"] = int(gid)
    if service.read_only:
        ctx["readOnlyRootFilesystem"] = True
    for option in service.security_opt:
        key, _, value = option.replace(":", "=", 1).partition("=")
        if key == "no-new-privileges":
            ctx["allowPrivilegeEscalation"] = value == "false"
        elif key == "seccomp" and value == "unconfined":
            ctx["seccompProfile"] = {"type": "Unconfined"}
        elif key == "apparmor":
            ctx["appArmorProfile"] = ({"type": "Unconfined"} if value == "unconfined" else
                                      {"type": "Localhost", "localhostProfile": value})
        elif key != "seccomp":
            sc.warn("security_opt", f"security_opt {option} is not converted")
    if not service.privileged and "seccompProfile" not in ctx:
        ctx["seccompProfile"] = {"type": "RuntimeDefault"}
    return ctx


def pod_spec_extras(sc: ServiceContext) -> Obj:
    service = sc.service
    spec: Obj = {}
    if service.hostname:
        spec["hostname"] = service.hostname
    if service.network_mode == "host":
        spec["hostNetwork"] = True
    elif service.network_mode == "none":
        sc.warn("network_mode", "network_mode: none: a pod always has its network")
    if service.init and not service.rich:
        # The pod's pause process is PID 1 of a shared PID namespace and reaps, as tini does.
        spec["shareProcessNamespace"] = True
    aliases: dict[str, list[str]] = {}
    for host, value in service.extra_hosts.items():
        for address in (value if isinstance(value, list) else [value]):
            if address == "host-gateway":
                address = sc.block.host_gateway or address
            aliases.setdefault(address, []).append(host)
    if aliases:
        spec["hostAliases"] = [{"ip": ip, "hostnames": sorted(hosts)}
                               for ip, hosts in sorted(aliases.items())]
    dns: Obj = {}
    if service.dns:
        dns["nameservers"] = service.dns
    if service.dns_search:
        dns["searches"] = service.dns_search
    if service.dns_opt:
        dns["options"] = [dict(zip(("name", "value"), o.split(":", 1), strict=False))
                          for o in service.dns_opt]
    if dns:
        spec["dnsConfig"] = dns
    if service.sysctls:
        spec["securityContext"] = {"sysctls": [{"name": k, "value": v}
                                               for k, v in sorted(service.sysctls.items())]}
    spec["terminationGracePeriodSeconds"] = math.ceil(service.stop_grace_period)
    return spec


def lifecycle(sc: ServiceContext) -> Obj:
    service = sc.service
    out: Obj = {}
    for key, field in (("post_start", "postStart"), ("pre_stop", "preStop")):
        hooks = getattr(service, key)
        if hooks:
            hook = hooks[0]
            out[field] = {"exec": {"command": hook.command}}
            if hook.user or hook.privileged or hook.working_dir or hook.environment:
                sc.warn(key, f"{key}: user/privileged/working_dir/environment are not "
                        "converted; the hook runs as the container does")
    if service.stop_signal:
        name = signals.canonical(service.stop_signal)
        if sc.options.stop_signal_allowed and name:
            out["stopSignal"] = name
        elif service.effective_rich_mode != "dumb-init":
            sc.warn("stop_signal", f"stop_signal {service.stop_signal}: Kubernetes "
                    f"{sc.options.kube_version} sends TERM (or the image's STOPSIGNAL)",
                    "convert with --feature-gates ContainerStopSignals=true on 1.33 or later, "
                    "or make the service rich (dumb-init rewrites the signal)")
    return out


def controller(sc: ServiceContext, kind: str, pod: Obj, claim_templates: list[Obj],
               extra_labels: dict[str, str]) -> Obj:
    service = sc.service
    template = {"metadata": {"labels": {**sc.labels, **extra_labels}}, "spec": pod}
    annotations = {**service.labels, **service.annotations}
    if annotations:
        template["metadata"]["annotations"] = dict(sorted(annotations.items()))
    if kind == "Job":
        policy, _, count = service.restart.partition(":")
        pod["restartPolicy"] = "Never" if policy == "no" else "OnFailure"
        spec: Obj = {"backoffLimit": 0 if policy == "no" else int(count) if count else FOREVER}
        n = replicas(sc.service)
        if n != 1:
            spec["parallelism"] = n
            spec["completions"] = n
        spec["template"] = template
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": sc.metadata(sc.name),
                "spec": spec}
    pod["restartPolicy"] = "Always"
    spec = {"replicas": replicas(service), "selector": {"matchLabels": sc.selector}}
    if kind == "StatefulSet":
        spec["serviceName"] = sc.name
    spec["template"] = template
    if claim_templates:
        spec["volumeClaimTemplates"] = claim_templates
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": sc.metadata(sc.name), "spec": spec}
