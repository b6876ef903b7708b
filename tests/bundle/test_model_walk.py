"""No key can be accepted and ignored (issue #12, item 6): every field of the Service model
either changes the rendered bundle, is read by a named engine stage (ENGINE), or is reported
as unsupported (a warning or a located error). A new field without one of the three fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from richcompose.bundle.render import RenderContext, render_bundle
from richcompose.config.loader import LoadOptions, load_project
from richcompose.config.models import RICH_ONLY_KEYS, Project, Service
from richcompose.errors import RichComposeError
from richcompose.image.types import ImageConfig, ResolvedImage
from tests.bundle.conftest import image_dir
from tests.conftest import REPO

# A value for each key, as a user would write it (None: covered by ENGINE only, since the
# base project cannot carry it: it selects, merges or replaces what the walk renders).
SAMPLES: dict[str, dict[str, Any] | None] = {
    "image": None, "rootfs": None,
    "keep_layer": {"keep_layer": False},
    "build": {"build": "."},
    "command": {"command": "sleep 2"},
    "entrypoint": {"entrypoint": ["/bin/sh", "-c"]},
    "environment": {"environment": {"A": "1"}},
    "env_file": {"env_file": "vars.env"},
    "working_dir": {"working_dir": "/srv"},
    "user": {"user": "nobody"},
    "hostname": {"hostname": "h1"},
    "domainname": {"domainname": "example.org"},
    "container_name": {"container_name": "named"},
    "labels": {"labels": {"a": "b"}},
    "label_file": {"label_file": "labels.env"},
    "annotations": {"annotations": {"a": "b"}},
    "profiles": None,
    "platform": {"platform": "linux/arm64"},
    "pull_policy": {"pull_policy": "always"},
    "pull_refresh_after": {"pull_refresh_after": "1h"},
    "runtime": {"runtime": "crun"},
    "tty": {"tty": True},
    "stdin_open": {"stdin_open": True},
    "attach": {"attach": False},
    "init": {"init": True},
    "scale": {"scale": 2},
    "extends": None,
    "provider": {"provider": {"type": "x"}},
    "develop": {"develop": {"watch": []}},
    "models": {"models": ["m"]},
    "depends_on": None,
    "healthcheck": {"healthcheck": {"test": ["CMD", "true"]}},
    "restart": {"restart": "always"},
    "stop_signal": {"stop_signal": "SIGINT"},
    "stop_grace_period": {"stop_grace_period": "3s"},
    "post_start": {"post_start": [{"command": "true"}]},
    "pre_stop": {"pre_stop": [{"command": "true"}]},
    "pre_start": {"pre_start": [{"command": "true"}]},
    "logging": {"logging": {"driver": "syslog"}},
    "privileged": {"privileged": True},
    "cap_add": {"cap_add": ["NET_ADMIN"]},
    "cap_drop": {"cap_drop": ["CHOWN"]},
    "security_opt": {"security_opt": ["seccomp=unconfined"]},
    "read_only": {"read_only": True},
    "tmpfs": {"tmpfs": ["/cache"]},
    "ulimits": {"ulimits": {"nofile": 1024}},
    "sysctls": {"sysctls": {"net.core.somaxconn": "1024"}},
    "mem_limit": {"mem_limit": "64m"},
    "mem_reservation": {"mem_reservation": "32m"},
    "memswap_limit": {"memswap_limit": "128m"},
    "mem_swappiness": {"mem_swappiness": 10},
    "oom_kill_disable": {"oom_kill_disable": True},
    "oom_score_adj": {"oom_score_adj": 100},
    "cpus": {"cpus": 0.5},
    "cpu_shares": {"cpu_shares": 512},
    "cpu_period": {"cpu_period": 50000},
    "cpu_quota": {"cpu_quota": 25000},
    "cpu_rt_period": {"cpu_rt_period": 1000000},
    "cpu_rt_runtime": {"cpu_rt_runtime": 950000},
    "cpuset": {"cpuset": "0"},
    "cpu_count": {"cpu_count": 1},
    "cpu_percent": {"cpu_percent": 50},
    "pids_limit": {"pids_limit": 100},
    "shm_size": {"shm_size": "128m"},
    "blkio_config": {"blkio_config": {"weight": 300}},
    "devices": {"devices": ["/dev/null:/dev/xnull"]},
    "device_cgroup_rules": {"device_cgroup_rules": ["c 1:3 mr"]},
    "gpus": {"gpus": "all"},
    "group_add": {"group_add": ["100"]},
    "pid": {"pid": "host"},
    "ipc": {"ipc": "host"},
    "uts": {"uts": "host"},
    "userns_mode": {"userns_mode": "keep-id"},
    "cgroup": {"cgroup": "private"},
    "cgroup_parent": {"cgroup_parent": "/x"},
    "storage_opt": {"storage_opt": {"size": "1G"}},
    "isolation": {"isolation": "process"},
    "credential_spec": {"credential_spec": {"file": "x"}},
    "use_api_socket": {"use_api_socket": True},
    "deploy": {"deploy": {"resources": {"limits": {"memory": "64m"}}}},
    "volumes": {"volumes": ["./data:/data"]},
    "volumes_from": {"volumes_from": ["other"]},
    "secrets": {"secrets": ["s"]},
    "configs": {"configs": ["c"]},
    "ports": {"ports": ["8080:80"]},
    "expose": {"expose": ["80"]},
    "networks": {"networks": ["front"]},
    "network_mode": {"network_mode": "none"},
    "mac_address": {"mac_address": "02:42:ac:11:00:02"},
    "extra_hosts": {"extra_hosts": ["db:10.0.0.1"]},
    "dns": {"dns": ["10.0.0.53"]},
    "dns_search": {"dns_search": ["example.org"]},
    "dns_opt": {"dns_opt": ["ndots:2"]},
    "links": {"links": ["other"]},
    "external_links": {"external_links": ["x"]},
    "rich": {"rich": True},
    "rich_mode": {"rich_mode": "sbin-init"},
    "initscript": {"initscript": "/init.sh"},
    "initcmd": {"initcmd": "true"},
    "initscript_timeout": {"initscript_timeout": "5s", "initcmd": "true"},
    "system_services": {"system_services": {"s": {"command": "sleep 1"}}},
    "poststop": {"poststop": "true"},
}

# Keys that change what the engine does rather than the bundle, and the stage that reads them.
ENGINE: dict[str, tuple[str, str]] = {
    "image": ("richcompose/engine/core.py", "the image whose layers are the rootfs"),
    "rootfs": ("richcompose/engine/core.py", "the rootfs directory or tarball"),
    "keep_layer": ("richcompose/engine/disk.py", "whether the writable layer is kept"),
    "profiles": ("richcompose/config/profiles.py", "which services the project has"),
    "extends": ("richcompose/config/extends.py", "merged in by the loader"),
    "depends_on": ("richcompose/graph.py", "start and stop order, conditions"),
    "pull_policy": ("richcompose/engine/core.py", "when the image is pulled"),
    "runtime": ("richcompose/engine/core.py", "the OCI runtime that runs it"),
    "healthcheck": ("richcompose/engine/core.py", "the monitor's health checks"),
    "restart": ("richcompose/engine/core.py", "the monitor's restart policy"),
    "stop_grace_period": ("richcompose/engine/core.py", "how long a stop waits"),
    "ports": ("richcompose/network/service.py", "published through portmap"),
    "networks": ("richcompose/network/service.py", "the project networks joined"),
    "network_mode": ("richcompose/network/service.py", "host, none or another's netns"),
    "extra_hosts": ("richcompose/network/service.py", "the container's /etc/hosts"),
    "dns": ("richcompose/network/service.py", "the container's resolv.conf"),
    "dns_search": ("richcompose/network/service.py", "the container's resolv.conf"),
    "dns_opt": ("richcompose/network/service.py", "the container's resolv.conf"),
    "links": ("richcompose/graph.py", "an implicit dependency"),
    "scale": ("richcompose/config/replicas.py", "how many containers the service has"),
    "post_start": ("richcompose/engine/core.py", "run in the container after it starts"),
    "pre_stop": ("richcompose/engine/core.py", "run in the container before it stops"),
    "pre_start": ("richcompose/engine/core.py", "a one-off container before the first start"),
}

LAYER_FILES = {
    "/bin/busybox": "\x7fELF", "/bin/sh": "-> busybox", "/bin/sleep": "-> busybox",
    "/init.sh": "#!/bin/sh\n", "/sbin/init": "-> ../bin/busybox",
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
    "/etc/group": "root:x:0:\nnogroup:x:65534:\nusers:x:100:\n",
}


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("walk")
    layer = image_dir(root / "layer", LAYER_FILES)
    (root / "vars.env").write_text("A=2\n")
    (root / "labels.env").write_text("a=b\n")

    def render(extra: dict[str, Any]) -> tuple[Project, str]:
        service: dict[str, Any] = {"rootfs": "./rootfs", "command": "sleep 1"}
        if any(key in RICH_ONLY_KEYS for key in extra):
            service["rich"] = True
        service.update(extra)
        document = {"services": {"app": service, "other": {"rootfs": "./rootfs"}},
                    "networks": {"front": {}}, "secrets": {"s": {"file": "./vars.env"}},
                    "configs": {"c": {"file": "./vars.env"}}}
        (root / "compose.yaml").write_text(json.dumps(document))
        project = load_project(LoadOptions(files=(root / "compose.yaml",), project_name="p",
                                           environ={}, working_dir=root))
        image = ResolvedImage("rootfs", (layer,), ImageConfig())
        bundle = render_bundle(RenderContext(project=project, service_name="app",
                                             container_id="p-app-1", image=image,
                                             volumes_root=root / "volumes", host_env={}))
        return project, json.dumps([bundle.spec, {k: v.text for k, v in bundle.files.items()},
                                    bundle.stop_signal], sort_keys=True)
    return render


def test_every_service_field_has_a_sample_or_an_engine_stage() -> None:
    missing = [name for name in Service.model_fields if name not in SAMPLES]
    assert not missing, f"add a sample (and make it do something) for {missing}"


@pytest.mark.parametrize("name", list(Service.model_fields))
def test_field_changes_the_bundle_or_the_engine_or_is_reported(walk: Any, name: str) -> None:
    _, base = walk({})
    sample = SAMPLES[name]
    if name in ENGINE:
        module, why = ENGINE[name]
        source = (REPO / module).read_text()
        assert f".{name}" in source or f'"{name}"' in source, \
            f"{name} is listed as read by {module} ({why}) but that module never reads it"
        return
    assert sample is not None, f"{name}: no sample and no engine stage"
    try:
        project, rendered = walk(sample)
    except RichComposeError as exc:  # an unsupported key with an error, located
        assert exc.location is not None, f"{name}: error without a location: {exc}"
        return
    warned = [w for w in project.warnings if name in w.message]
    assert rendered != base or warned, f"{name} is accepted and changes nothing: render it, " \
        "list the engine stage that reads it in ENGINE, or add an unsupported rule"
    if warned:
        assert warned[0].location is not None
