"""Small runtime inputs from outside: signal names from images, runc's error output, the
mount table's cgroup filesystems."""

from __future__ import annotations

import pytest

from richcompose.runtime.oci import error_message
from richcompose.runtime.preflight import cgroup_mounts
from richcompose.signals import signal_name


@pytest.mark.parametrize(("raw", "name"), [("SIGTERM", "TERM"), ("term", "TERM"), ("9", "9"),
                                          ("SIGRTMIN+3", "RTMIN+3"), ("KILL", "KILL")])
def test_signal_names_are_taken_in_runc_spelling(raw: str, name: str) -> None:
    assert signal_name(raw) == name


@pytest.mark.parametrize("raw", ["SIGNOPE", "999", "0", "", "RTMIN+99", "SIG"])
def test_what_names_no_signal_is_refused(raw: str) -> None:
    assert signal_name(raw) is None


def test_a_runc_message_with_escaped_quotes_is_read_whole() -> None:
    stderr = ('time="t" level=error msg="runc create failed: error mounting \\"/a b\\" to '
              'rootfs at \\"/c\\": no such file or directory"\n')
    assert error_message(stderr) == ('runc create failed: error mounting "/a b" to rootfs at '
                                     '"/c": no such file or directory')


def test_output_without_logfmt_gives_its_last_line() -> None:
    assert error_message("first\nsecond\n") == "second"


def test_cgroup_mounts_are_found_in_mountinfo() -> None:
    mountinfo = ("30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                 "31 25 0:27 / /sys rw - sysfs sysfs rw\n")
    assert cgroup_mounts(mountinfo) == ["/sys/fs/cgroup/memory"]


def test_a_mount_namespace_without_cgroups_has_none() -> None:
    assert cgroup_mounts("31 25 0:27 / /sys rw - sysfs sysfs rw\n") == []
