"""Health probes are scheduled start to start: a slow probe does not stretch the period."""

from __future__ import annotations

from richcompose.runtime.health import HealthSpec, HealthState, next_probe_at

CHECK = HealthSpec(argv=("true",), interval=30, start_interval=0.5, start_period=10)


def test_the_next_probe_is_due_one_start_interval_after_the_last_one_started() -> None:
    assert next_probe_at(100.0, CHECK, HealthState(), in_start_period=True) == 100.5


def test_a_healthy_container_is_probed_every_interval_from_the_last_start() -> None:
    assert next_probe_at(100.0, CHECK, HealthState("healthy"), in_start_period=True) == 130.0
