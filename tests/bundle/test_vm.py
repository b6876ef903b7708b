"""A VM in systemd/sbin-init mode, rendered: no command means PID 1 and nothing else; system
services are Wants= strength unless required; a reboot marker, an own boot id per boot, a
persistent journal; the launcher of the other modes supervises services after the start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from richcompose.bundle.vm import BOOT_ANNOTATION
from tests.bundle.conftest import Render

VM = "rich: true\nrich_mode: systemd\n"


def _mount(spec: dict[str, Any], destination: str) -> dict[str, Any] | None:
    return next((m for m in spec["mounts"] if m["destination"] == destination), None)


def test_a_systemd_vm_without_a_command_has_no_app_unit(render: Render, systemd_like: Path
                                                        ) -> None:
    bundle = render(VM, layer=systemd_like)
    assert "units/richcompose-app.service" not in bundle.files
    assert bundle.spec["process"]["args"] == ["/lib/systemd/systemd", "--unit=multi-user.target"]
    assert bundle.spec["annotations"][BOOT_ANNOTATION] == "systemd"


def test_system_services_are_wanted_not_required_by_default(render: Render, systemd_like: Path
                                                            ) -> None:
    bundle = render(VM + "command: sleep 1\nsystem_services:\n  db: {command: sleep 9}\n"
                    "  web: {command: sleep 9, after: [db]}", layer=systemd_like)
    web = bundle.files["units/richcompose-inner-web.service"].text
    app = bundle.files["units/richcompose-app.service"].text
    for unit in (web, app):
        assert "Wants=richcompose-inner-db.service" in unit and "Requires=" not in unit
    assert "FailureAction" not in web


def test_a_required_system_service_ends_the_container_when_it_fails(
        render: Render, systemd_like: Path) -> None:
    bundle = render(VM + "system_services:\n  db: {command: sleep 9, required: true, "
                    "restart: on-failure}", layer=systemd_like)
    unit = bundle.files["units/richcompose-inner-db.service"].text
    assert "FailureAction=exit" in unit and "Restart=on-failure" in unit


def test_an_image_unit_keeps_its_own_restart_unless_set(render: Render, systemd_like: Path
                                                        ) -> None:
    bundle = render(VM + "system_services:\n  cron: {unit: cron}", layer=systemd_like)
    dropin = bundle.files["units/cron.service.d/richcompose.conf"].text
    assert "Restart=" not in dropin and "FailureAction" not in dropin


def test_reboot_leaves_a_marker_through_reboot_target(render: Render, systemd_like: Path
                                                      ) -> None:
    bundle = render(VM, layer=systemd_like)
    assert "Wants=richcompose-reboot.service" in \
        bundle.files["units/reboot.target.d/richcompose.conf"].text
    assert "/.richcompose/run/reboot" in bundle.files["units/richcompose-reboot.service"].text


def test_the_boot_opens_with_a_marker_that_systemd_is_up(render: Render, systemd_like: Path
                                                         ) -> None:
    bundle = render(VM, layer=systemd_like)
    assert "Wants=richcompose-systemd-up.service" in \
        bundle.files["units/sysinit.target.d/richcompose.conf"].text
    unit = bundle.files["units/richcompose-systemd-up.service"].text
    assert "DefaultDependencies=no" in unit and "/.richcompose/run/systemd-up" in unit


def test_each_boot_binds_its_own_boot_id(render: Render, systemd_like: Path) -> None:
    hooks = render(VM, layer=systemd_like).spec["hooks"]["createContainer"]
    assert any("/proc/sys/kernel/random/boot_id" in " ".join(h["args"]) for h in hooks)


def test_the_journal_is_persistent_unless_a_tmpfs_is_asked_for(render: Render,
                                                               systemd_like: Path) -> None:
    spec = render(VM, layer=systemd_like).spec
    assert _mount(spec, "/var/log/journal") is None
    assert _mount(spec, "/run/systemd/journald.conf.d/richcompose.conf") is not None
    volatile = render(VM + "tmpfs: [/var/log/journal]", layer=systemd_like).spec
    journal = _mount(volatile, "/var/log/journal")
    assert journal is not None and journal["type"] == "tmpfs"
    assert _mount(volatile, "/run/systemd/journald.conf.d/richcompose.conf") is None


def test_sbin_init_vm_boots_the_images_inittab_plus_the_marker_entry(
        render: Render, busybox_like: Path) -> None:
    (busybox_like / "etc" / "inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    bundle = render("rich: true\nrich_mode: sbin-init", layer=busybox_like)
    inittab = bundle.files["inittab"].text
    assert inittab.index("::sysinit:/etc/init.d/rcS") < inittab.index("::once:")
    assert "/.richcompose/run/booted" in bundle.files["bin/app"].text
    assert "exec " not in bundle.files["bin/app"].text
    assert bundle.spec["annotations"][BOOT_ANNOTATION] == "inittab"


def test_the_launcher_restarts_a_service_that_says_so_and_stops_for_a_required_one(
        render: Render) -> None:
    bundle = render("rich: true\ncommand: sleep 1\nsystem_services:\n"
                    "  a: {command: sleep 9, restart: always}\n"
                    "  b: {command: sleep 9, required: true}")
    launcher = bundle.files["bin/launcher"].text
    assert "restarting system service a" in launcher
    assert "required system service b ended: stopping the container" in launcher
