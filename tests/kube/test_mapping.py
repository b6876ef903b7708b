"""What each compose key becomes (docs/kubernetes.md's table), one behaviour per test."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from richcompose.kube.rich import ENTRYPOINT
from tests.kube.conftest import find, load_snippet, objects, pod_of

IMG = "image: busybox:1.36"


def _one(tmp_path: Path, body: str, **options: object) -> list[dict[str, object]]:
    return objects(load_snippet(tmp_path, "services:\n  app:\n    " + IMG + "\n    "
                                + body.strip().replace("\n", "\n    ") + "\n"), **options)


@pytest.mark.parametrize(("restart", "kind"), [("always", "Deployment"),
                                               ("unless-stopped", "Deployment"),
                                               ("'no'", "Job"), ("on-failure", "Job")])
def test_restart_policy_chooses_the_controller(tmp_path: Path, restart: str, kind: str) -> None:
    objs = _one(tmp_path, f"restart: {restart}")
    assert find(objs, kind, "app")


def test_restart_no_is_a_job_that_never_retries(tmp_path: Path) -> None:
    job = find(_one(tmp_path, "restart: 'no'"), "Job", "app")
    assert job["spec"]["backoffLimit"] == 0
    assert pod_of(job)["restartPolicy"] == "Never"


def test_on_failure_count_is_the_jobs_backoff_limit(tmp_path: Path) -> None:
    job = find(_one(tmp_path, "restart: on-failure:3"), "Job", "app")
    assert job["spec"]["backoffLimit"] == 3
    assert pod_of(job)["restartPolicy"] == "OnFailure"


def test_named_volume_makes_a_statefulset_with_a_claim_template(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          app:
            {IMG}
            restart: always
            volumes: [data:/var/lib/data]
            x-kubernetes: {{storage_class: fast, storage_size: 5Gi}}
        volumes:
          data: {{}}
    """)
    sts = find(objects(project), "StatefulSet", "app")
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["storageClassName"] == "fast"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert sts["spec"]["serviceName"] == "app"


def test_volume_shared_by_two_services_is_one_read_write_many_claim(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          a: {{{IMG}, restart: always, volumes: [data:/d]}}
          b: {{{IMG}, restart: always, volumes: [data:/d]}}
        volumes:
          data: {{}}
    """)
    objs = objects(project)
    assert find(objs, "PersistentVolumeClaim", "data")["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("a", "b"):
        volumes = pod_of(find(objs, "StatefulSet", name))["volumes"]
        assert {"name": "data", "persistentVolumeClaim": {"claimName": "data"}} in volumes


def test_fixed_hostname_makes_a_statefulset_with_that_hostname(tmp_path: Path) -> None:
    sts = find(_one(tmp_path, "restart: always\nhostname: web01"), "StatefulSet", "app")
    assert pod_of(sts)["hostname"] == "web01"


def test_replicas_and_scale_become_replicas() -> None:
    # The loader still refuses more than one replica for the runc target (#13 lifts that), so
    # this is checked on the model directly.
    from richcompose.config.models import Service
    from richcompose.kube.workload import replicas
    assert replicas(Service.model_validate({"image": "x", "deploy": {"replicas": 3}})) == 3
    assert replicas(Service.model_validate({"image": "x", "scale": 2})) == 2


def test_every_service_gets_a_service_headless_without_ports(tmp_path: Path) -> None:
    svc = find(_one(tmp_path, "restart: always"), "Service", "app")
    assert svc["spec"]["clusterIP"] == "None" and "ports" not in svc["spec"]


def test_ports_keep_the_container_port_and_add_the_published_one(tmp_path: Path) -> None:
    svc = find(_one(tmp_path, "ports: ['8080:80', '443']\nexpose: ['9000']"), "Service", "app")
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == \
        [(80, 80), (443, 443), (8080, 80), (9000, 9000)]


def test_network_aliases_become_more_services(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          app: {{{IMG}, networks: {{back: {{aliases: [database]}}}}}}
        networks:
          back: {{}}
    """)
    alias = find(objects(project), "Service", "database")
    assert alias["spec"]["selector"]["richcompose.io/service"] == "app"


def test_healthcheck_is_a_readiness_probe_not_a_liveness_probe(tmp_path: Path) -> None:
    job = find(_one(tmp_path, "healthcheck: {test: [CMD, pg_isready], interval: 5s, "
                    "timeout: 2s, retries: 4}"), "Job", "app")
    main = pod_of(job)["containers"][0]
    assert "livenessProbe" not in main
    assert main["readinessProbe"] == {"exec": {"command": ["pg_isready"]}, "periodSeconds": 5,
                                      "timeoutSeconds": 2, "failureThreshold": 4,
                                      "successThreshold": 1}


def test_depends_on_waits_in_an_init_container_for_the_dependencys_service(
        tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          app: {{{IMG}, depends_on: {{db: {{condition: service_healthy}}}}}}
          db: {{{IMG}, ports: ['5432']}}
    """)
    waiter = pod_of(find(objects(project), "Job", "app"))["initContainers"][0]
    assert waiter["name"] == "wait-for-db"
    assert waiter["command"][-3:] == ["db", "5432", "0"]


def test_converting_one_service_brings_its_dependencies(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          app: {{{IMG}, depends_on: [db]}}
          db: {{{IMG}}}
          other: {{{IMG}}}
    """)
    names = {o["metadata"]["name"] for o in objects(project, services=("app",))}
    assert names == {"app", "db"}


def test_environment_is_a_configmap_and_unset_variables_come_from_the_shell(
        tmp_path: Path) -> None:
    objs = _one(tmp_path, "environment: {A: '1', FROM_SHELL: null}",
                environ={"FROM_SHELL": "here"})
    assert find(objs, "ConfigMap", "app-env")["data"] == {"A": "1", "FROM_SHELL": "here"}
    main = pod_of(find(objs, "Job", "app"))["containers"][0]
    assert main["envFrom"] == [{"configMapRef": {"name": "app-env"}}]


def test_secrets_become_secrets_mounted_under_run_secrets(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_text("s3cret")
    project = load_snippet(tmp_path, f"""
        services:
          app: {{{IMG}, secrets: [db-pass]}}
        secrets:
          db-pass: {{file: ./pw.txt}}
    """)
    objs = objects(project)
    secret = find(objs, "Secret", "db-pass")
    assert base64.b64decode(secret["data"]["pw.txt"]) == b"s3cret"
    mount = pod_of(find(objs, "Job", "app"))["containers"][0]["volumeMounts"][0]
    assert mount == {"name": "secret-db-pass", "mountPath": "/run/secrets/db-pass",
                     "subPath": "pw.txt", "readOnly": True}


def test_tmpfs_and_shm_are_memory_emptydirs(tmp_path: Path) -> None:
    pod = pod_of(find(_one(tmp_path, "tmpfs: ['/scratch:size=64m']\nshm_size: 128m"),
                      "Job", "app"))
    assert {"name": "tmpfs-list-0", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}} \
        in pod["volumes"]
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "128Mi"}} \
        in pod["volumes"]


def test_limits_and_reservations_are_resources(tmp_path: Path) -> None:
    main = pod_of(find(_one(tmp_path, "deploy: {resources: {limits: {cpus: '0.5', memory: 256m}, "
                            "reservations: {memory: 64m}}}"), "Job", "app"))["containers"][0]
    assert main["resources"] == {"limits": {"cpu": "500m", "memory": "256Mi"},
                                 "requests": {"memory": "64Mi"}}


def test_security_keys_are_the_security_context(tmp_path: Path) -> None:
    pod = pod_of(find(_one(tmp_path, "user: '1000:1000'\nread_only: true\ncap_add: [NET_ADMIN]\n"
                           "cap_drop: [ALL]\nsysctls: {net.core.somaxconn: '1024'}\n"
                           "security_opt: [no-new-privileges:true]"), "Job", "app"))
    ctx = pod["containers"][0]["securityContext"]
    assert ctx == {"capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}, "runAsUser": 1000,
                   "runAsGroup": 1000, "readOnlyRootFilesystem": True,
                   "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["securityContext"]["sysctls"] == [{"name": "net.core.somaxconn", "value": "1024"}]


def test_extra_hosts_and_grace_period(tmp_path: Path) -> None:
    pod = pod_of(find(_one(tmp_path, "extra_hosts: ['a:10.0.0.1', 'b:10.0.0.1']\n"
                           "stop_grace_period: 1m30s"), "Job", "app"))
    assert pod["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["a", "b"]}]
    assert pod["terminationGracePeriodSeconds"] == 90


def test_stop_signal_is_set_only_where_the_version_and_gate_allow_it(tmp_path: Path) -> None:
    gated = _one(tmp_path, "stop_signal: SIGINT", kube_version="1.33",
                 feature_gates={"ContainerStopSignals": True})
    assert pod_of(find(gated, "Job", "app"))["containers"][0]["lifecycle"] == \
        {"stopSignal": "SIGINT"}
    assert pod_of(find(gated, "Job", "app"))["os"] == {"name": "linux"}
    plain = _one(tmp_path, "stop_signal: SIGINT", kube_version="1.37")
    assert "lifecycle" not in pod_of(find(plain, "Job", "app"))["containers"][0]


def test_dumb_init_rewrites_term_into_the_stop_signal_without_the_gate(tmp_path: Path) -> None:
    main = pod_of(find(_one(tmp_path, "rich: true\ncommand: sleep 9\nstop_signal: SIGINT"),
                       "Job", "app"))["containers"][0]
    assert main["command"] == [ENTRYPOINT, "/.richcompose/bin/dumb-init", "--rewrite", "15:2",
                               "--", "sleep", "9"]


def test_rich_files_come_from_a_configmap_projected_at_richcompose(tmp_path: Path) -> None:
    objs = _one(tmp_path, "rich: true\ncommand: sleep 9\ninitcmd: echo hi")
    pod = pod_of(find(objs, "Job", "app"))
    projected = next(v for v in pod["volumes"] if v["name"] == "richcompose")["projected"]
    assert [s["configMap"]["name"] for s in projected["sources"]] == ["app-rich", "demo-dumb-init"]
    assert "run-hook initcmd 60 /bin/sh -c 'echo hi'" in \
        find(objs, "ConfigMap", "app-rich")["data"]["bin_entrypoint"]
    assert pod["nodeSelector"] == {"kubernetes.io/arch": "amd64"}


def test_systemd_mode_has_memory_dirs_tty_runtime_class_and_a_pre_stop(tmp_path: Path) -> None:
    pod = pod_of(find(_one(tmp_path, "rich: true\nrich_mode: systemd\ncommand: sleep 9\n"
                           "x-kubernetes: {runtime_class: crio-systemd}"), "Job", "app"))
    main = pod["containers"][0]
    assert pod["runtimeClassName"] == "crio-systemd"
    assert main["tty"] and main["stdin"]
    assert main["lifecycle"] == {"preStop": {"exec": {"command": ["/.richcompose/bin/stop-systemd"]}}}
    memory = {m["mountPath"] for m in main["volumeMounts"] if m["name"].startswith("systemd-")}
    assert memory == {"/run", "/run/lock", "/tmp"}
    # The journal is kept on disk across container restarts (a reboot inside), not in memory.
    journal = next(m for m in main["volumeMounts"] if m["mountPath"] == "/var/log/journal")
    assert next(v for v in pod["volumes"] if v["name"] == journal["name"]) == \
        {"name": "journal", "emptyDir": {}}
    units = find(_one(tmp_path, "rich: true\nrich_mode: systemd\ncommand: sleep 9\n"
                      "x-kubernetes: {runtime_class: crio-systemd}"), "ConfigMap", "app-rich")
    assert "units_richcompose-app.service" in units["data"]
    assert not any("reboot" in key for key in units["data"])


def test_systemd_service_without_a_command_is_a_vm_whose_init_is_all_it_runs(
        tmp_path: Path) -> None:
    objs = _one(tmp_path, "rich: true\nrich_mode: sbin-init\n"
                "x-kubernetes: {runtime_class: crio-systemd, sbin_init: systemd}")
    # A reboot inside ends PID 1 as a poweroff does: only restartPolicy Always restarts it.
    deployment = find(objs, "Deployment", "app")
    assert pod_of(deployment)["restartPolicy"] == "Always"
    main = pod_of(deployment)["containers"][0]
    assert main["command"] == ["/.richcompose/bin/entrypoint", "/sbin/init",
                               "--unit=multi-user.target"]
    assert "args" not in main
    data = find(objs, "ConfigMap", "app-rich")["data"]
    assert not any("richcompose-app" in key for key in data)


def test_systemd_mode_stop_signal_with_version_and_gate(tmp_path: Path) -> None:
    pod = pod_of(find(_one(tmp_path, "rich: true\nrich_mode: systemd\ncommand: sleep 9\n"
                           "x-kubernetes: {runtime_class: crio-systemd}", kube_version="1.37",
                           feature_gates={"ContainerStopSignals": True}), "Job", "app"))
    lifecycle = pod["containers"][0]["lifecycle"]
    assert lifecycle["stopSignal"] == "SIGRTMIN+3" and "preStop" in lifecycle
    assert pod["os"] == {"name": "linux"}


def test_unconverted_keys_are_warned_about_at_their_line(tmp_path: Path) -> None:
    from richcompose.kube.convert import convert
    from richcompose.kube.options import ConvertOptions
    from tests.kube.conftest import DUMB_INIT
    project = load_snippet(tmp_path, f"services:\n  app:\n    {IMG}\n    cpu_shares: 512\n")
    warnings = convert(project, ConvertOptions(dumb_init=DUMB_INIT)).warnings
    assert [str(w.location).rsplit(":", 2)[1] for w in warnings] == ["4"]
    assert "cpu_shares is not converted" in warnings[0].message


def test_two_networks_become_network_policies_that_keep_them_apart(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          web: {{{IMG}, networks: [front, back], ports: ['8080:80']}}
          db: {{{IMG}, networks: [back]}}
          edge: {{{IMG}, networks: [front]}}
        networks:
          front: {{}}
          back: {{internal: true}}
    """)
    objs = objects(project)
    template = find(objs, "Job", "db")["spec"]["template"]["metadata"]["labels"]
    assert template["richcompose.io/network-back"] == "true"
    assert "richcompose.io/network-front" not in template
    back = find(objs, "NetworkPolicy", "demo-network-back")["spec"]
    members = {"richcompose.io/project": "demo", "richcompose.io/network-back": "true"}
    assert back["ingress"] == [{"from": [{"podSelector": {"matchLabels": members}}]}]
    assert back["policyTypes"] == ["Ingress", "Egress"]  # internal: no way out but DNS
    assert find(objs, "NetworkPolicy", "demo-network-front")["spec"]["egress"] == [{}]
    published = find(objs, "NetworkPolicy", "web-published")["spec"]
    assert published["ingress"] == [{"ports": [{"protocol": "TCP", "port": 80}]}]


def test_one_network_needs_no_network_policy(tmp_path: Path) -> None:
    objs = _one(tmp_path, "ports: ['80']")
    assert not [o for o in objs if o["kind"] == "NetworkPolicy"]


def test_sbin_init_busybox_mounts_the_generated_inittab_over_the_images(tmp_path: Path) -> None:
    objs = _one(tmp_path, "rich: true\nrich_mode: sbin-init\ncommand: sleep 9\n"
                "x-kubernetes: {sbin_init: busybox}")
    main = pod_of(find(objs, "Job", "app"))["containers"][0]
    assert main["command"] == [ENTRYPOINT, "/sbin/init"]
    assert {"name": "richcompose", "mountPath": "/etc/inittab", "subPath": "inittab",
            "readOnly": True} in main["volumeMounts"]
    data = find(objs, "ConfigMap", "app-rich")["data"]
    assert "::once:/.richcompose/bin/app" in data["inittab"]
    assert data["bin_app"].rstrip().endswith("exec sleep 9")


def test_external_objects_are_used_not_made_and_listed_for_the_checks(tmp_path: Path) -> None:
    from richcompose.kube import semantic
    project = load_snippet(tmp_path, f"""
        services:
          app: {{{IMG}, restart: always, volumes: [data:/d]}}
        volumes:
          data: {{external: true}}
    """)
    objs = objects(project)
    assert not [o for o in objs if o["kind"] in ("Secret", "PersistentVolumeClaim")]
    sts = find(objs, "StatefulSet", "app")
    assert sts["spec"]["template"]["metadata"]["annotations"]["richcompose.io/external-refs"] \
        == "persistentvolumeclaim/data"
    by_file = {f"{o['kind']}-{o['metadata']['name']}.yaml": [o] for o in objs}
    assert semantic.check(by_file, (1, 37), {}) == []


def test_systemd_mode_keeps_a_stop_signal_the_user_set(tmp_path: Path) -> None:
    pod = pod_of(find(_one(tmp_path, "rich: true\nrich_mode: systemd\ncommand: sleep 9\n"
                           "stop_signal: SIGINT\nx-kubernetes: {runtime_class: crio-systemd}",
                           kube_version="1.37", feature_gates={"ContainerStopSignals": True}),
                      "Job", "app"))
    assert pod["containers"][0]["lifecycle"]["stopSignal"] == "SIGINT"


def test_a_vm_told_not_to_restart_is_warned_that_it_runs_under_always(tmp_path: Path) -> None:
    from richcompose.kube.convert import convert
    from richcompose.kube.options import ConvertOptions
    from tests.kube.conftest import DUMB_INIT
    project = load_snippet(tmp_path, f"services:\n  app:\n    {IMG}\n    rich: true\n"
                           "    rich_mode: systemd\n    restart: 'no'\n"
                           "    x-kubernetes: {runtime_class: crio-systemd}\n")
    result = convert(project, ConvertOptions(dumb_init=DUMB_INIT))
    assert any(o["kind"] == "Deployment" for o in result.objects)
    (warning,) = [w for w in result.warnings if "restartPolicy Always" in w.message]
    assert str(warning.location).rsplit(":", 2)[1] == "6"


def test_a_busybox_vm_boots_the_images_own_inittab(tmp_path: Path) -> None:
    objs = _one(tmp_path, "rich: true\nrich_mode: sbin-init\nx-kubernetes: {sbin_init: busybox}")
    main = pod_of(find(objs, "Deployment", "app"))["containers"][0]
    assert main["command"] == ["/.richcompose/bin/entrypoint", "/sbin/init"]
    assert not any(m["mountPath"] == "/etc/inittab" for m in main["volumeMounts"])
