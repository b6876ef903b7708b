"""Health checks follow docker's rules: defaults, CMD/CMD-SHELL/NONE, image Healthcheck,
start period, retries."""

from __future__ import annotations

from richcompose.runtime.health import HealthSpec, HealthState, Probe, next_delay, resolve

OK = Probe(0, 0, 0, "ok")
FAIL = Probe(0, 0, 1, "no")


def spec(**kw: object) -> HealthSpec:
    return HealthSpec(argv=("true",), **kw)  # type: ignore[arg-type]


def test_defaults_are_dockers() -> None:
    check = resolve({"test": ["CMD", "true"]}, None)
    assert check == HealthSpec(argv=("true",), interval=30, timeout=30, retries=3,
                               start_period=0, start_interval=5)


def test_cmd_shell_runs_under_sh() -> None:
    check = resolve({"test": ["CMD-SHELL", "curl -f localhost || exit 1"]}, None)
    assert check is not None and check.argv == ("/bin/sh", "-c", "curl -f localhost || exit 1")


def test_none_and_disable_turn_the_check_off() -> None:
    assert resolve({"test": ["NONE"]}, {"Test": ["CMD", "true"]}) is None
    assert resolve({"disable": True}, {"Test": ["CMD", "true"]}) is None


def test_image_healthcheck_is_used_when_the_service_has_none() -> None:
    image = {"Test": ["CMD-SHELL", "test -f /ok"], "Interval": 2_000_000_000, "Retries": 5}
    check = resolve(None, image)
    assert check == HealthSpec(argv=("/bin/sh", "-c", "test -f /ok"), interval=2.0, retries=5)


def test_service_keys_override_the_image_field_by_field() -> None:
    check = resolve({"interval": 1.0}, {"Test": ["CMD", "true"], "Interval": 9_000_000_000})
    assert check is not None and check.argv == ("true",) and check.interval == 1.0


def test_one_success_makes_it_healthy() -> None:
    assert HealthState().record(OK, spec(), in_start_period=False).status == "healthy"


def test_retries_consecutive_failures_make_it_unhealthy() -> None:
    state = HealthState()
    for _ in range(2):
        state = state.record(FAIL, spec(retries=3), in_start_period=False)
    assert state.status == "starting"
    assert state.record(FAIL, spec(retries=3), in_start_period=False).status == "unhealthy"


def test_failures_in_the_start_period_do_not_count() -> None:
    state = HealthState()
    for _ in range(5):
        state = state.record(FAIL, spec(retries=1), in_start_period=True)
    assert state.status == "starting" and state.failing_streak == 0


def test_a_success_resets_the_failing_streak() -> None:
    state = HealthState("healthy", 2).record(OK, spec(), in_start_period=False)
    assert state.failing_streak == 0


def test_only_the_last_five_probes_are_kept() -> None:
    state = HealthState()
    for code in range(7):
        state = state.record(Probe(code, code, 0, str(code)), spec(), in_start_period=False)
    assert [p.output for p in state.log] == ["2", "3", "4", "5", "6"]


def test_start_interval_applies_only_while_starting_in_the_start_period() -> None:
    check = spec(interval=30, start_interval=1, start_period=10)
    assert next_delay(check, HealthState(), in_start_period=True) == 1
    assert next_delay(check, HealthState("healthy"), in_start_period=True) == 30
    assert next_delay(check, HealthState(), in_start_period=False) == 30


def test_state_round_trips_through_json() -> None:
    state = HealthState().record(FAIL, spec(), in_start_period=False)
    assert HealthState.from_json(state.to_json()) == state
