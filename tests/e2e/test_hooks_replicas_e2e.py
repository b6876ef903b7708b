"""Lifecycle hooks and replicas under real runc, through the CLI, as docker compose runs them:
post_start/pre_stop inside the container, pre_start as a one-off container before the service;
`deploy.replicas` / `up --scale` make proj-svc-1..N, every one reachable by the service name."""

from __future__ import annotations

import pytest

from tests.conftest import Richcompose, wait_log

pytestmark = [pytest.mark.network, pytest.mark.runc]

HOOKS = """
    name: hooks
    services:
      app:
        rootfs: ./rootfs
        command: ["sh", "-c", "echo app-running; exec sleep 300"]
        stop_grace_period: 2s
        environment: {ROLE: app}
        volumes: ["./out:/out"]
        pre_start:
          - command: ["sh", "-c", "echo pre-start-ran-as-$$(id -u) in $$PWD; echo seeded > /out/seed"]
            user: "1000"
            working_dir: /tmp
            environment: {STEP: seed}
        post_start:
          - command: ["sh", "-c", "echo post-start $$ROLE $$PHASE $$(id -u) $$PWD; echo started > /out/post"]
            user: "0"
            working_dir: /out
            environment: [PHASE=after-start]
        pre_stop:
          - command: ["sh", "-c", "echo stopping > /out/pre-stop"]
"""


def test_hooks_run_where_and_as_compose_runs_them(rc: Richcompose) -> None:
    (rc.project_dir / "out").mkdir(mode=0o777)
    (rc.project_dir / "out").chmod(0o777)
    rc.write(HOOKS)
    rc("up", "-d")
    out = rc.project_dir / "out"
    assert (out / "seed").read_text() == "seeded\n"  # pre_start: before the service, its volume
    assert (out / "post").read_text() == "started\n"  # post_start: inside the container
    logs = wait_log(rc, "app", "post-start app after-start 0 /out")
    assert "pre-start-ran-as-1000 in /tmp" in logs
    assert not (out / "pre-stop").exists()
    rc("down", "-t", "2")
    assert (out / "pre-stop").read_text() == "stopping\n"  # pre_stop: before the stop


def test_failing_post_start_fails_up_with_the_hooks_output(rc: Richcompose) -> None:
    rc.write("""
        name: failing
        services:
          app:
            rootfs: ./rootfs
            command: ["sleep", "300"]
            post_start:
              - command: ["sh", "-c", "echo no-config >&2; exit 3"]
    """)
    proc = rc("up", "-d", check=False)
    assert proc.returncode == 1
    assert "post_start[0] hook exited with status 3: no-config" in proc.stderr
    rc("down", "-t", "0")


# Each replica answers with its own address on eth0.
SERVE_OWN_ADDRESS = ("ip -4 -o addr show eth0 | grep -o 'inet [0-9.]*' | cut -d' ' -f2 "
                     "> /tmp/index.html; exec httpd -f -p 80 -h /tmp")
REPLICAS = f"""
    name: rep
    services:
      web:
        rootfs: ./rootfs
        command: ["sh", "-c", "{SERVE_OWN_ADDRESS}"]
        deploy:
          replicas: 3
        ports: ["18100-18102:80"]
      client:
        rootfs: ./rootfs
        command: ["sleep", "300"]
        depends_on: [web]
"""


# From the dependent: its hosts file, then each replica's answer by container name (retried
# while httpd starts), in one exec.
PROBE = ("cat /etc/hosts; echo ---; for i in 1 2 3; do for try in 1 2 3 4 5 6 7 8 9 10; do "
         "wget -q -O - http://rep-web-$i/ && break; sleep 0.3; done; done")


def test_replicas_are_named_reachable_and_published_on_a_shared_range(rc: Richcompose) -> None:
    rc.write(REPLICAS)
    rc("up", "-d", "--scale", "web=2")  # the flag wins over deploy.replicas
    assert "rep-web-3" not in rc("ps", "-q").stdout
    rc("up", "-d")
    assert all(f"rep-web-{i}" in rc("ps", "-q").stdout for i in (1, 2, 3))
    hosts, _, answers = rc("exec", "-T", "client", "sh", "-c", PROBE).stdout.partition("---\n")
    addresses = {line.split()[0] for line in hosts.splitlines() if "web" in line.split()[1:]}
    assert len(addresses) == 3, hosts  # the service name resolves to every replica
    assert set(answers.split()) == addresses  # each replica answers by its container name
    assert rc("port", "--index", "3", "web", "80").stdout.strip() in {
        f"0.0.0.0:{port}" for port in (18100, 18101, 18102)}  # the range is shared out
    assert rc("exec", "-T", "--index", "2", "web", "cat", "/tmp/index.html").stdout.strip() \
        in addresses
    rc("down", "-t", "0")
    assert rc("ps", "-a", "-q").stdout.strip() == ""


def test_rich_service_runs_post_start_after_its_initcmd_and_system_services(
        rc: Richcompose) -> None:
    rc.write("""
        name: richhooks
        services:
          app:
            rootfs: ./rootfs
            rich: true
            command: ["sleep", "300"]
            stop_grace_period: 1s
            initcmd: "echo init > /tmp/init-done"
            system_services:
              agent:
                command: ["sh", "-c", "sleep 0.3; echo up > /tmp/agent-ready; exec sleep 300"]
                ready: {file: /tmp/agent-ready}
            post_start:
              - command: ["sh", "-c", "cat /tmp/init-done /tmp/agent-ready > /tmp/order"]
    """)
    rc("up", "-d")
    assert rc("exec", "-T", "app", "cat", "/tmp/order").stdout == "init\nup\n"
    rc("down", "-t", "0")
