"""privileged and capabilities as podman does it: within the host's bounding set, cap_drop on
top, a cap_add the host lacks is a located error; domainname reaches the spec."""

from __future__ import annotations

import pytest

from richcompose.bundle import security
from richcompose.errors import BundleError
from tests.bundle.conftest import Render

# A host like this machine: everything but CAP_SYS_RESOURCE (bit 24).
HOST_STATUS = "Name:\tpython3\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n"
HOST = security.bounding_set(HOST_STATUS)


def test_bounding_set_reads_the_capbnd_mask() -> None:
    assert "CAP_SYS_RESOURCE" not in HOST
    assert "CAP_SYS_ADMIN" in HOST and "CAP_CHECKPOINT_RESTORE" in HOST
    assert len(HOST) == len(security.ALL_CAPABILITIES) - 1


def test_privileged_grants_the_hosts_bounding_set(render: Render) -> None:
    caps = render("privileged: true", host_capabilities=HOST).spec["process"]["capabilities"]
    assert caps["bounding"] == list(HOST)


def test_cap_drop_applies_on_top_of_privileged(render: Render) -> None:
    spec = render("privileged: true\ncap_drop: [SYS_ADMIN, net_raw]",
                  host_capabilities=HOST).spec
    bounding = spec["process"]["capabilities"]["bounding"]
    assert "CAP_SYS_ADMIN" not in bounding and "CAP_NET_RAW" not in bounding
    assert "CAP_SYS_MODULE" in bounding


def test_cap_add_all_means_all_the_host_has(render: Render) -> None:
    caps = render("cap_add: [ALL]", host_capabilities=HOST).spec["process"]["capabilities"]
    assert set(caps["bounding"]) == set(HOST)


def test_cap_add_of_a_capability_the_host_lacks_is_a_located_error(render: Render) -> None:
    with pytest.raises(BundleError) as caught:
        render("cap_add: [SYS_RESOURCE]", host_capabilities=HOST)
    assert "CAP_SYS_RESOURCE" in str(caught.value) and "bounding set" in str(caught.value)
    assert caught.value.location is not None and caught.value.location.line == 3


def test_a_default_capability_the_host_lacks_is_left_out(render: Render) -> None:
    host = tuple(c for c in security.ALL_CAPABILITIES if c != "CAP_AUDIT_WRITE")
    caps = render("command: sleep 1", host_capabilities=host).spec["process"]["capabilities"]
    assert "CAP_AUDIT_WRITE" not in caps["bounding"] and "CAP_CHOWN" in caps["bounding"]


def test_domainname_reaches_the_spec(render: Render) -> None:
    spec = render("hostname: vm01\ndomainname: corp.example")
    assert spec.spec["hostname"] == "vm01" and spec.spec["domainname"] == "corp.example"
