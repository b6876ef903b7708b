"""The VM's disk rule in the planner (engine/disk.py): a kept writable layer is only put back
on the rootfs it was made on; a changed rootfs refuses the recreate unless --force-recreate,
which discards the disk; a changed configuration on the same rootfs keeps it."""

from __future__ import annotations

from richcompose.engine.plan import Action, Desired, Instance, Reason, UpOptions, plan_up
from tests.engine.test_plan import P, graph, only, seen


def vm(*, base: str = "sha256:a", found: str = "sha256:a", hash: str = "h1"
       ) -> dict[Instance, Desired]:
    instance = Instance("vm")
    return {instance: Desired(instance, instance.container_id(P), hash, keep_layer=True,
                              layer_base=base, layer_found=found)}


def test_a_changed_config_on_the_same_rootfs_recreates_keeping_the_disk() -> None:
    plan = plan_up(graph(vm={}), vm(hash="h2"), [seen("vm")])
    assert only(plan) == (Action.RECREATE, Reason.CONFIG_CHANGED)
    assert plan.steps[0].keep_layer and not plan.steps[0].discard_layer


def test_a_changed_rootfs_under_the_disk_is_refused() -> None:
    plan = plan_up(graph(vm={}), vm(base="sha256:b", hash="h2"), [seen("vm")])
    assert only(plan) == (Action.FAIL, Reason.DISK_REFUSED)


def test_force_recreate_discards_a_disk_whose_rootfs_changed() -> None:
    plan = plan_up(graph(vm={}), vm(base="sha256:b", hash="h2"), [seen("vm")],
                   UpOptions(force_recreate=True))
    assert only(plan) == (Action.RECREATE, Reason.DISK_DISCARDED)
    assert plan.steps[0].discard_layer


def test_a_disk_left_by_down_is_checked_too() -> None:
    plan = plan_up(graph(vm={}), vm(base="sha256:b"), [])
    assert only(plan) == (Action.FAIL, Reason.DISK_REFUSED)
    assert only(plan_up(graph(vm={}), vm(), [])) == (Action.CREATE, Reason.NEW)


def test_a_first_disk_has_nothing_to_compare() -> None:
    assert only(plan_up(graph(vm={}), vm(found=""), [])) == (Action.CREATE, Reason.NEW)
