"""What is there, for the planner: each container's record joined with what the runtime, the
mount table and its conmon say. What is observed wins over the record (a record's container
the runtime does not know is MISSING), so the plan repairs what disagrees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from richcompose.engine.plan import Instance, Observed, Status
from richcompose.runtime.headless import conmon_alive
from richcompose.runtime.mounts import is_mounted

if TYPE_CHECKING:
    from richcompose.engine.records import ContainerRecord
    from richcompose.runtime.oci import ContainerState, OCIRuntime
    from richcompose.state import ProjectPaths


@dataclass(frozen=True)
class Observation:
    containers: tuple[Observed, ...]
    records: dict[str, ContainerRecord]  # by container id

    def record(self, container_id: str) -> ContainerRecord:
        return self.records[container_id]


def observe(ppaths: ProjectPaths, records: Sequence[ContainerRecord],
            runtime: Callable[[str | None], OCIRuntime]) -> Observation:
    # One `runc list` per runtime, not one `runc state` per container.
    states: dict[tuple[str, str], ContainerState] = {}
    for name in {r.runtime for r in records}:
        known = runtime(name)
        if any(known.known(r.id) for r in records if r.runtime == name):
            states.update(((name, s.id), s) for s in known.list())
    return Observation(tuple(_observed(ppaths, r, states.get((r.runtime, r.id)))
                             for r in records), {r.id: r for r in records})


def _observed(ppaths: ProjectPaths, record: ContainerRecord,
              state: ContainerState | None) -> Observed:
    cpaths = ppaths.container(record.id)
    status = Status.MISSING if state is None else Status(state.status)
    return Observed(
        instance=Instance(record.service, record.index), container_id=record.id,
        status=status, config_hash=record.config_hash,
        rootfs_mounted=state is not None and is_mounted(cpaths.rootfs),
        conmon_alive=status is Status.CREATED and conmon_alive(cpaths) is True,
        one_off=record.one_off, depends_on=tuple(record.depends_on))
