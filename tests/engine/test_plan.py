"""The planner without runc, in the style of docker compose's reconcile_test.go: a project
graph, the desired config hashes and what is observed in; the steps, their order and their
reasons out."""

from __future__ import annotations

import pytest

from richcompose.config.models import Dependency
from richcompose.engine.plan import (
    Action,
    Dependencies,
    Desired,
    Instance,
    Observed,
    Plan,
    Reason,
    Status,
    UpOptions,
    plan_start,
    plan_stop,
    plan_up,
)
from richcompose.engine.traversal import Edge
from richcompose.graph import DepGraph

P = "p"


def graph(**services: dict[str, str]) -> DepGraph:
    """graph(db={}, web={"db": "service_healthy"}): web depends on db, healthy."""
    out = DepGraph(services)
    for name, deps in services.items():
        for target, condition in deps.items():
            out.add_edge(name, target, dep=Dependency(condition=condition),  # type: ignore[arg-type]
                         where=("depends_on", target))
    return out


def want(*services: str, hash: str = "h1", keep_layer: bool = False) -> dict[Instance, Desired]:
    return {Instance(s): Desired(Instance(s), Instance(s).container_id(P), hash,
                                 keep_layer=keep_layer) for s in services}


def seen(service: str, status: Status = Status.RUNNING, *, hash: str = "h1", index: int = 1,
         mounted: bool = True, conmon: bool = False, one_off: bool = False,
         depends_on: tuple[str, ...] = ()) -> Observed:
    instance = Instance(service, index)
    cid = f"{P}-{service}-run-1" if one_off else instance.container_id(P)
    return Observed(instance, cid, status, hash, rootfs_mounted=mounted, conmon_alive=conmon,
                    one_off=one_off, depends_on=depends_on)


def only(plan: Plan) -> tuple[Action, Reason]:
    assert len(plan.steps) == 1, plan.steps
    return plan.steps[0].action, plan.steps[0].reason


# --- up: one container ---------------------------------------------------------------------

def test_a_service_without_a_container_is_created() -> None:
    assert only(plan_up(graph(web={}), want("web"), [])) == (Action.CREATE, Reason.NEW)


def test_a_running_container_with_the_desired_config_is_kept() -> None:
    assert only(plan_up(graph(web={}), want("web"), [seen("web")])) == (Action.KEEP,
                                                                        Reason.UP_TO_DATE)


def test_a_paused_container_with_the_desired_config_is_kept() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", Status.PAUSED)])
    assert only(plan) == (Action.KEEP, Reason.UP_TO_DATE)


def test_a_running_container_whose_config_changed_is_recreated() -> None:
    plan = plan_up(graph(web={}), want("web", hash="h2"), [seen("web")])
    assert only(plan) == (Action.RECREATE, Reason.CONFIG_CHANGED)


def test_a_stopped_container_whose_config_changed_is_recreated() -> None:
    plan = plan_up(graph(web={}), want("web", hash="h2"), [seen("web", Status.STOPPED)])
    assert only(plan) == (Action.RECREATE, Reason.CONFIG_CHANGED)


def test_a_stopped_container_with_the_desired_config_is_relaunched() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", Status.STOPPED)])
    assert only(plan) == (Action.RELAUNCH, Reason.STOPPED)


def test_a_stopped_container_whose_rootfs_is_gone_is_recreated() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", Status.STOPPED, mounted=False)])
    assert only(plan) == (Action.RECREATE, Reason.ROOTFS_GONE)


def test_a_record_the_runtime_does_not_know_is_recreated() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", Status.MISSING, mounted=False)])
    assert only(plan) == (Action.RECREATE, Reason.RUNTIME_LOST)


def test_a_created_container_whose_conmon_waits_is_only_started() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", Status.CREATED, conmon=True)])
    assert only(plan) == (Action.START, Reason.CREATED)


def test_a_created_container_without_its_conmon_is_relaunched() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", Status.CREATED)])
    assert only(plan) == (Action.RELAUNCH, Reason.STOPPED)


def test_every_step_names_its_container_and_reason() -> None:
    step = plan_up(graph(web={}), want("web", hash="h2"), [seen("web")]).steps[0]
    assert step.describe() == "recreate p-web-1: its configuration changed"


# --- up: options ---------------------------------------------------------------------------

def test_force_recreate_recreates_an_unchanged_container() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web")], UpOptions(force_recreate=True))
    assert only(plan) == (Action.RECREATE, Reason.FORCED)


def test_force_recreate_creates_what_does_not_exist() -> None:
    plan = plan_up(graph(web={}), want("web"), [], UpOptions(force_recreate=True))
    assert only(plan) == (Action.CREATE, Reason.NEW)


def test_no_recreate_keeps_a_running_changed_container() -> None:
    plan = plan_up(graph(web={}), want("web", hash="h2"), [seen("web")],
                   UpOptions(no_recreate=True))
    assert only(plan) == (Action.KEEP, Reason.NOT_RECREATED)


def test_no_recreate_starts_a_stopped_changed_container_again() -> None:
    plan = plan_up(graph(web={}), want("web", hash="h2"), [seen("web", Status.STOPPED)],
                   UpOptions(no_recreate=True))
    assert only(plan) == (Action.RELAUNCH, Reason.NOT_RECREATED)


def test_no_recreate_still_creates_a_missing_container() -> None:
    plan = plan_up(graph(web={}), want("web"), [], UpOptions(no_recreate=True))
    assert only(plan) == (Action.CREATE, Reason.NEW)


def test_a_layer_keeping_instance_recreates_with_its_writable_layer() -> None:
    plan = plan_up(graph(vm={}), want("vm", hash="h2", keep_layer=True), [seen("vm")])
    assert plan.steps[0].action is Action.RECREATE and plan.steps[0].keep_layer


def test_keep_layer_means_nothing_without_a_recreate() -> None:
    plan = plan_up(graph(vm={}), want("vm", keep_layer=True), [seen("vm")])
    assert not plan.steps[0].keep_layer


# --- up: selection, order, orphans ---------------------------------------------------------

def test_steps_come_in_dependency_order_with_their_conditions() -> None:
    project = graph(web={"db": "service_healthy", "cache": "service_started"}, db={}, cache={})
    plan = plan_up(project, want("web", "db", "cache"), [])
    assert [s.instance.service for s in plan.steps] == ["cache", "db", "web"]
    assert set(plan.edges) == {Edge("p-web-1", "p-db-1", "service_healthy"),
                               Edge("p-web-1", "p-cache-1", "service_started")}


def test_naming_a_service_brings_its_dependencies_too() -> None:
    project = graph(web={"db": "service_started"}, db={}, other={})
    plan = plan_up(project, want("web", "db", "other"), [], UpOptions(services=("web",)))
    assert plan.actions() == {"p-db-1": Action.CREATE, "p-web-1": Action.CREATE}


def test_no_deps_converges_only_the_named_service_and_orders_nothing() -> None:
    project = graph(web={"db": "service_started"}, db={})
    plan = plan_up(project, want("web", "db"), [], UpOptions(services=("web",), no_deps=True))
    assert plan.actions() == {"p-web-1": Action.CREATE}
    assert plan.edges == ()


def test_an_orphan_is_only_warned_about_by_default() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web"), seen("gone")])
    assert plan.orphans == () and "p-gone-1" in plan.warnings[0]
    assert "--remove-orphans" in plan.warnings[0]


def test_remove_orphans_removes_containers_of_services_no_longer_defined() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web"), seen("gone", Status.STOPPED)],
                   UpOptions(remove_orphans=True))
    assert plan.step("p-gone-1").action is Action.REMOVE_ORPHAN
    assert plan.step("p-gone-1").reason is Reason.ORPHAN and plan.warnings == ()


def test_orphans_are_removed_in_their_recorded_reverse_order() -> None:
    plan = plan_up(graph(web={}), want("web"),
                   [seen("old-api", depends_on=("old-db",)), seen("old-db")],
                   UpOptions(remove_orphans=True))
    assert Edge("p-old-api-1", "p-old-db-1") in plan.edges


def test_one_off_containers_are_neither_instances_nor_orphans() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", one_off=True)],
                   UpOptions(remove_orphans=True))
    assert plan.actions() == {"p-web-1": Action.CREATE}


def test_instances_beyond_the_desired_replicas_are_removed() -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web"), seen("web", index=2)])
    assert plan.step("p-web-2").action is Action.REMOVE
    assert plan.step("p-web-2").reason is Reason.SURPLUS


def test_each_replica_waits_for_every_replica_of_its_dependency() -> None:
    project = graph(web={"db": "service_started"}, db={})
    desired = {**want("web", "db"),
               Instance("db", 2): Desired(Instance("db", 2), "p-db-2", "h1")}
    plan = plan_up(project, desired, [])
    assert {e.dependency for e in plan.edges} == {"p-db-1", "p-db-2"}
    assert [s.container_id for s in plan.steps] == ["p-db-1", "p-db-2", "p-web-1"]


# --- start and stop ------------------------------------------------------------------------

def test_start_relaunches_stopped_containers_and_keeps_running_ones() -> None:
    plan = plan_start([seen("db"), seen("web", Status.STOPPED, depends_on=("db",))],
                      Dependencies())
    assert plan.actions() == {"p-db-1": Action.KEEP, "p-web-1": Action.RELAUNCH}


def test_start_without_a_project_orders_by_the_records() -> None:
    observed = [seen("web", Status.STOPPED, depends_on=("db",)), seen("db", Status.STOPPED)]
    plan = plan_start(observed, Dependencies.of_records(observed))
    assert plan.edges == (Edge("p-web-1", "p-db-1"),)


def test_start_with_a_project_takes_its_conditions() -> None:
    observed = [seen("web", Status.STOPPED, depends_on=("db",)), seen("db", Status.STOPPED)]
    deps = Dependencies.of_graph(graph(web={"db": "service_healthy"}, db={}))
    assert plan_start(observed, deps).edges == (Edge("p-web-1", "p-db-1", "service_healthy"),)


def test_start_leaves_one_off_containers_alone() -> None:
    assert plan_start([seen("web", Status.STOPPED, one_off=True)], Dependencies()).steps == ()


def test_stop_gives_stopped_containers_a_step_too() -> None:
    plan = plan_stop([seen("db", Status.STOPPED), seen("web")], Dependencies())
    assert plan.actions() == {"p-db-1": Action.STOP, "p-web-1": Action.STOP}
    assert plan.step("p-db-1").reason is Reason.NOT_RUNNING


def test_stop_of_named_services_stops_only_those() -> None:
    plan = plan_stop([seen("db"), seen("web")], Dependencies(), ["web"])
    assert plan.actions() == {"p-web-1": Action.STOP}


def test_down_removes_every_container_including_one_offs() -> None:
    observed = [seen("db"), seen("web", depends_on=("db",)), seen("web", one_off=True)]
    plan = plan_stop(observed, Dependencies.of_records(observed), remove=True)
    assert set(plan.actions().values()) == {Action.REMOVE} and len(plan.steps) == 3
    assert plan.edges == (Edge("p-web-1", "p-db-1"),)


@pytest.mark.parametrize("status", list(Status))
def test_every_observed_status_gets_a_decision(status: Status) -> None:
    plan = plan_up(graph(web={}), want("web"), [seen("web", status)])
    assert len(plan.steps) == 1


def test_an_instance_that_could_not_be_rendered_fails_in_its_turn() -> None:
    project = graph(web={"db": "service_started"}, db={})
    desired = {**want("db"), Instance("web"): Desired(Instance("web"), "p-web-1", "",
                                                      failed=True)}
    plan = plan_up(project, desired, [seen("web")])
    assert plan.actions() == {"p-db-1": Action.CREATE, "p-web-1": Action.FAIL}
