"""Which services to build, and with what: pure decisions from the project and the options.

As docker compose (pkg/compose/build.go, pull.go, cmd/compose/create.go): a service with
`build:` is built when its image is not in the store, when its pull_policy is `build`, or with
`--build` (which makes every buildable service's policy `build`); `--no-build` never builds.
A service that also names an `image:` is first pulled when its pull_policy says so (always; a
refresh policy past its age; missing and absent) — a failed pull then falls back to the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from richcompose.config.build import Build
from richcompose.config.models import Project, Service
from richcompose.errors import ImageError, Location
from richcompose.image.build.dockerfile import external_images, replace_references
from richcompose.image.manifest import host_platform
from richcompose.image.reference import parse_registry_reference


@dataclass(frozen=True)
class BuildOptions:
    """What the verbs add: `build --no-cache --pull --build-arg`, `up --build / --no-build`."""

    no_cache: bool = False
    pull: bool = False
    args: Mapping[str, str | None] = field(default_factory=dict)
    force: bool = False  # up --build: every buildable service's pull_policy becomes build
    no_build: bool = False  # up --no-build
    pull_policy: str | None = None  # up --pull POLICY: replaces every service's pull_policy

    def policy_of(self, service: Service) -> str:
        """The pull policy in force for `service`, as compose's `up` options apply it."""
        if self.force and service.build is not None:
            return "build"
        return self.pull_policy or service.pull_policy or "missing"


@dataclass(frozen=True)
class SecretSource:
    """A build secret, by the id the Dockerfile mounts: from a file, or from a value that is
    handed to buildah through its environment (never on its command line)."""

    id: str
    file: Path | None = None
    value: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BuildJob:
    service: str
    image: str  # the name it is stored under: image:, or <project>-<service>
    tags: tuple[str, ...]
    context: Path
    dockerfile: Path | None
    dockerfile_text: str  # what buildah reads (local transport paths made absolute)
    args: dict[str, str]
    target: str | None
    labels: dict[str, str]
    network: str  # none or host
    no_cache: bool
    pull: bool
    secrets: tuple[SecretSource, ...]
    extra_hosts: dict[str, list[str]]
    shm_size: int | None
    contexts: dict[str, str]  # additional contexts: a directory, docker-image://REF, service:NAME
    bases: tuple[str, ...]  # registry images it needs (FROM, COPY --from, RUN --mount=from)
    location: Location | None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.image, *self.tags)


def image_name(project: Project, name: str) -> str:
    """compose's GetImageNameOrDefault: `image:`, else `<project>-<service>`."""
    service = project.services[name]
    return service.image or f"{project.name}-{name}"


def canonical(name: str) -> str:
    try:
        return str(parse_registry_reference(name))
    except ImageError:
        return name


def should_build(service: Service, options: BuildOptions, present: bool) -> bool:
    """Whether `up` builds this service's image (its image stored or not)."""
    if service.build is None or options.no_build:
        return False
    return options.policy_of(service) == "build" or not present


def should_try_pull(service: Service, options: BuildOptions, present: bool, stale: bool) -> bool:
    """Whether `up` pulls a buildable service's `image:` first (compose's mustPull, after
    `--build` turned the policy into `build`)."""
    if service.image is None or service.build is None:
        return False
    policy = options.policy_of(service)
    if policy in ("never", "build"):
        return False
    if policy == "always":
        return True
    return not present or stale


def build_job(project: Project, name: str, options: BuildOptions,
              environ: Mapping[str, str]) -> BuildJob:
    service = project.services[name]
    build = service.build
    assert build is not None
    where = project.locate(("services", name, "build"))
    directory = Path(project.directory)
    context = (directory / (build.context or ".")).resolve()
    if not context.is_dir():
        raise ImageError(f"build context {str(context)!r} of service {name!r} is not a directory",
                         location=project.locate(("services", name, "build", "context")) or where,
                         hint="fix build.context (relative to the project directory)")
    here = "/".join(host_platform())
    for index, value in enumerate(build.platforms):
        if value.strip("/").lower() != here:
            raise ImageError(f"service {name!r} asks to build for platform {value!r}; this host "
                             f"builds {here} only (no emulation)",
                             location=project.locate(("services", name, "build", "platforms",
                                                      index)) or where,
                             hint=f"remove it, or set platforms: [{here}]")
    dockerfile, text = _dockerfile(project, name, build, context)
    args = {k: v for k, v in {**build.args, **options.args}.items() if v is not None}
    # compose adds com.docker.compose.* labels too; each --label is one more commit for
    # buildah (~0.2 s), so only the user's labels are set
    labels = dict(build.labels)
    contexts = {k: (v if v.startswith(("docker-image://", "service:")) else
                    str((directory / v).resolve())) for k, v in build.additional_contexts.items()}
    # buildah reads local transports (FROM oci:DIR) itself; a relative path is made absolute
    # (against the project directory, as for image:), which buildah needs
    images = external_images(text, args, contexts)
    bases = [b for b in images if not b.startswith(_LOCAL_TRANSPORTS)]
    text = _absolute_transports(text, [b for b in images if b.startswith(_LOCAL_TRANSPORTS)],
                                directory)
    return BuildJob(
        service=name, image=image_name(project, name), tags=tuple(build.tags), context=context,
        dockerfile=dockerfile, dockerfile_text=text, args=args, target=build.target,
        labels=labels, network=build.network_mode, no_cache=build.no_cache or options.no_cache,
        pull=build.pull or options.pull, secrets=_secrets(project, name, build, environ),
        extra_hosts={k: list(v) for k, v in build.extra_hosts.items()},
        shm_size=build.shm_size, contexts=contexts,
        bases=tuple(bases), location=where)


_LOCAL_TRANSPORTS = ("oci:", "oci-archive:", "docker-archive:")


def _absolute_transports(text: str, references: list[str], directory: Path) -> str:
    absolute = {}
    for reference in references:
        transport, _, rest = reference.partition(":")
        if rest and not rest.startswith("/"):
            absolute[reference] = f"{transport}:{(directory / rest).resolve()}"
    return replace_references(text, absolute)


def _dockerfile(project: Project, name: str, build: Build,
                context: Path) -> tuple[Path | None, str]:
    if build.dockerfile_inline is not None:
        return None, build.dockerfile_inline
    path = context / (build.dockerfile or "Dockerfile")
    try:
        return path, path.read_text()
    except OSError as e:
        raise ImageError(f"cannot read the Dockerfile {str(path)!r} of service {name!r}: "
                         f"{e.strerror}",
                         location=project.locate(("services", name, "build", "dockerfile"))
                         or project.locate(("services", name, "build")),
                         hint="build.dockerfile is relative to build.context") from None


def _secrets(project: Project, name: str, build: Build,
             environ: Mapping[str, str]) -> tuple[SecretSource, ...]:
    out = []
    for index, ref in enumerate(build.secrets):
        where = project.locate(("services", name, "build", "secrets", index))
        obj = project.secrets[ref.source]
        if obj.file is not None:
            path = Path(obj.file)
            out.append(SecretSource(ref.target or ref.source, file=path if path.is_absolute()
                                    else Path(project.directory) / path))
        elif obj.environment is not None:
            if obj.environment not in environ:
                raise ImageError(f"build secret {ref.source!r} comes from ${obj.environment}, "
                                 "which is not set", location=where,
                                 hint=f"export {obj.environment} before building")
            out.append(SecretSource(ref.target or ref.source, value=environ[obj.environment]))
        elif obj.content is not None:
            out.append(SecretSource(ref.target or ref.source, value=obj.content))
        else:
            raise ImageError(f"secret {ref.source!r} has no file:, environment: or content: "
                             "to build with", location=where)
    return tuple(out)


def dependencies(jobs: Mapping[str, BuildJob]) -> dict[str, set[str]]:
    """Which builds must finish before each: another service's image used as a base or a
    `service:` context."""
    owner = {canonical(n): job.service for job in jobs.values() for n in job.names}
    deps: dict[str, set[str]] = {}
    for job in jobs.values():
        needs = {owner[canonical(b)] for b in job.bases if canonical(b) in owner}
        needs |= {v[8:] for v in job.contexts.values() if v.startswith("service:")}
        deps[job.service] = needs - {job.service}
    return deps
