"""Restart policies and back-off, as docker applies them."""

from __future__ import annotations

import pytest

from richcompose.runtime.restart import BACKOFF_MAX, RestartPolicy, backoff


@pytest.mark.parametrize("code", [0, 1, 137])
def test_always_and_unless_stopped_restart_on_any_exit(code: int) -> None:
    assert RestartPolicy.parse("always").should_restart(code, 100)
    assert RestartPolicy.parse("unless-stopped").should_restart(code, 100)


def test_no_never_restarts() -> None:
    assert not RestartPolicy.parse("no").should_restart(1, 0)


def test_on_failure_restarts_only_a_non_zero_exit() -> None:
    policy = RestartPolicy.parse("on-failure")
    assert policy.should_restart(1, 50) and not policy.should_restart(0, 0)


def test_on_failure_n_gives_up_after_n_restarts() -> None:
    policy = RestartPolicy.parse("on-failure:2")
    assert policy.should_restart(1, 1) and not policy.should_restart(1, 2)


def test_backoff_doubles_from_100ms_up_to_a_minute() -> None:
    assert [backoff(i) for i in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert backoff(30) == BACKOFF_MAX
