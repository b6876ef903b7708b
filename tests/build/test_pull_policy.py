"""compose's pull policies as compose-go reads them: daily, weekly and every_<duration> are
`missing` with an age limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from richcompose.errors import ImageError
from richcompose.image.policy import parse_pull_policy

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


@pytest.mark.parametrize(("text", "kind", "max_age"), [
    (None, "missing", None), ("if_not_present", "missing", None), ("always", "always", None),
    ("never", "never", None), ("build", "build", None),
    ("daily", "missing", timedelta(days=1)), ("weekly", "missing", timedelta(days=7)),
    ("every_12h", "missing", timedelta(hours=12)),
])
def test_policies_parse_as_compose_go_reads_them(text: str | None, kind: str,
                                                  max_age: timedelta | None) -> None:
    policy = parse_pull_policy(text)
    assert (policy.kind, policy.max_age) == (kind, max_age)


def test_a_refresh_policy_makes_an_old_image_stale() -> None:
    daily = parse_pull_policy("daily")
    assert daily.stale(ago(days=2), NOW)
    assert not daily.stale(ago(hours=3), NOW)
    assert not parse_pull_policy("missing").stale(ago(days=400), NOW)


def test_an_unknown_policy_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ImageError, match="unknown pull policy 'sometimes'") as info:
        parse_pull_policy("sometimes")
    assert "daily" in (info.value.hint or "")
