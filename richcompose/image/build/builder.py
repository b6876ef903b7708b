"""Builds services' images with buildah and adds them to richcompose's store.

Per build: the base images the Dockerfile names are resolved by richcompose (registries.conf
mirrors, credentials, verification) and handed to buildah from the store; buildah runs with
`--pull=never`, its RUN steps as runc containers with no network (unless `network: host`),
and commits in docker format (HEALTHCHECK kept); the image is pushed to a scratch directory,
which becomes an OCI layout the store adopts under the service's image name and tags.
Independent builds run in parallel.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from richcompose.config.models import Project
from richcompose.errors import ImageError
from richcompose.image.build.buildah import Buildah
from richcompose.image.build.dockerfile import replace_references
from richcompose.image.build.plan import (
    BuildJob,
    BuildOptions,
    build_job,
    canonical,
    dependencies,
    image_name,
    should_build,
    should_try_pull,
)
from richcompose.image.content import digest_hex, write_layout_index
from richcompose.image.policy import parse_pull_policy
from richcompose.image.store import ImageStore
from richcompose.image.types import ResolvedImage

Output = Callable[[str, str], None]  # (service, line of builder output)
MAX_PARALLEL_BUILDS = 4
_STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: ")


class Builder:
    def __init__(self, store: ImageStore, *, options: BuildOptions | None = None,
                 environ: Mapping[str, str] | None = None, output: Output | None = None,
                 buildah: Buildah | None = None) -> None:
        self.store = store
        self.options = options or BuildOptions()
        self.environ = environ or {}
        self.output: Output = output or (lambda service, line: None)
        self.buildah = buildah or Buildah(store.root / "builder", path=self.environ.get("PATH"))
        self._decided: set[str] = set()
        self._lock = threading.RLock()  # ensure() and build() decide one caller at a time

    # -- what `up` builds --------------------------------------------------------------------

    def ensure(self, project: Project, services: Iterable[str]) -> None:
        """Make the images of `services` exist as compose's `up` would: pull an `image:` first
        when its pull_policy says so, build when it is missing or the policy (or --build) asks.
        Each service is decided once per Builder; a caller asking while another one's build
        runs waits for it."""
        with self._lock:
            self._ensure(project, services)

    def _ensure(self, project: Project, services: Iterable[str]) -> None:
        todo = []
        wanted = [n for n in _with_context_services(project, services)
                  if project.services[n].build is not None and n not in self._decided]
        self._decided.update(wanted)
        for name in wanted:
            service = project.services[name]
            image = image_name(project, name)
            record = self.store.record(image)
            present = self.store.has(image)
            policy = self.options.policy_of(service)
            stale = present and record is not None and parse_pull_policy(
                "missing" if policy == "build" else policy
            ).stale(record.pulled or record.created, _now())
            if should_try_pull(service, self.options, present, stale):
                try:
                    self.store.resolve(image, pull="always", base_dir=Path(project.directory),
                                       location=project.locate(("services", name, "image")))
                    present = True
                except ImageError as e:
                    self.output(name, f"pull of {image} failed, building it: {e.message}")
            if should_build(service, self.options, present):
                todo.append(name)
        if todo:
            self._build(project, todo)

    def image(self, project: Project, name: str) -> ResolvedImage:
        """The image of buildable service `name`, built first if `ensure` says so; it is never
        pulled here."""
        self.ensure(project, [name])
        image = image_name(project, name)
        where = project.locate(("services", name, "build"))
        if not self.store.has(image):
            hint = "drop --no-build, or run `richcompose build`" if self.options.no_build \
                else "run `richcompose build`"
            raise ImageError(f"image {image} of service {name!r} has not been built",
                             location=where, hint=hint)
        return self.store.resolve(image, pull="never", location=where,
                                  base_dir=Path(project.directory))

    # -- `build` -------------------------------------------------------------------------------

    def build(self, project: Project, services: Iterable[str]) -> dict[str, ResolvedImage]:
        """Build every service of `services` that has `build:` (and the services they name as
        `service:` contexts whose images are missing), dependencies first, others in parallel."""
        with self._lock:
            return self._build(project, list(services))

    def _build(self, project: Project, asked: list[str]) -> dict[str, ResolvedImage]:
        names = [n for n in _with_context_services(project, asked)
                 if project.services[n].build is not None]
        names = [n for n in names if n in asked or not self.store.has(image_name(project, n))]
        self._decided.update(names)
        jobs = {n: build_job(project, n, self.options, self.environ) for n in names}
        if not jobs:
            return {}
        self.buildah.setup()
        # an image built earlier (not rebuilt now) is no dependency to wait for
        pending = {n: needs & jobs.keys() for n, needs in dependencies(jobs).items()}
        results: dict[str, ResolvedImage] = {}
        errors: list[ImageError] = []
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_BUILDS, len(jobs))) as pool:
            running: dict[Future[ResolvedImage], str] = {}
            while pending or running:
                ready = [] if errors else [n for n, d in pending.items() if d <= results.keys()]
                for name in ready:
                    del pending[name]
                    running[pool.submit(self._run, project, jobs[name])] = name
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    try:
                        results[name] = future.result()
                    except ImageError as e:
                        errors.append(e)
        if errors:
            raise errors[0]
        if pending:
            raise ImageError("the builds wait on each other: " + ", ".join(sorted(pending)),
                             hint="a service's Dockerfile uses an image another of them builds "
                                  "from the first one")
        return results

    def _run(self, project: Project, job: BuildJob) -> ResolvedImage:
        scratch = Path(tempfile.mkdtemp(prefix=f"build-{job.service}-",
                                        dir=self.store.root / "tmp"))
        try:
            provided = {base: self._provide(project, job, base) for base in job.bases}
            # a base pinned by digest is handed over under a tag (buildah cannot tag a digest)
            job = replace(job, dockerfile_text=replace_references(
                job.dockerfile_text, {k: v for k, v in provided.items() if k != v}))
            contexts = {k: self._context(project, job, v) for k, v in job.contexts.items()}
            # A stable name in buildah's store per service: it keeps the last step cached, so an
            # unchanged rebuild yields the same image (and digest), as docker's does.
            local = f"localhost/richcompose-build/{project.name}-{job.service}:latest"
            args, env = self._arguments(job, scratch, contexts, local)
            self.output(job.service, f"building {job.image}")
            code, tail = self.buildah.bud(args, cwd=Path(project.directory), env=env,
                                          on_line=lambda line: self.output(job.service, line))
            if code != 0:
                raise _failure(job, code, tail)
            self.buildah.export(local, scratch / "image")
            layout = _as_layout(scratch / "image", scratch / "layout")
            resolved = self.store.add_layout(layout, "build", job.names)
            self.output(job.service, f"built {job.image} {resolved.digest}")
            return resolved
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _provide(self, project: Project, job: BuildJob, name: str, *,
                 as_name: str | None = None) -> str:
        """Resolve `name` through the store and load it into buildah as `as_name` (default: as
        the Dockerfile spells it)."""
        built = {canonical(image_name(project, n)) for n, s in project.services.items()
                 if s.build is not None}
        pull = "always" if job.pull and canonical(name) not in built else "missing"
        resolved = self.store.resolve(name, pull=pull, base_dir=Path(project.directory),
                                      location=job.location)
        if as_name is None and "@" in name and resolved.digest:
            as_name = f"localhost/richcompose-pinned/{digest_hex(resolved.digest)[:32]}:latest"
        if resolved.served_by:
            self.output(job.service, f"base image {name} from {resolved.served_by}")
        layout = Path(tempfile.mkdtemp(prefix="base-", dir=self.store.root / "tmp"))
        try:
            if not self.store.export_dir(resolved.reference, layout):
                raise ImageError(f"base image {name!r} of service {job.service!r} cannot be "
                                 "handed to the builder: its layers are not kept in the store",
                                 location=job.location,
                                 hint="name it with its transport in the Dockerfile (FROM "
                                      "oci:DIR), or pull it from a registry")
            assert resolved.digest is not None
            self.buildah.load(layout, [as_name or name], resolved.digest)
        finally:
            shutil.rmtree(layout, ignore_errors=True)
        return as_name or name

    def _context(self, project: Project, job: BuildJob, value: str) -> str:
        if value.startswith("service:"):
            name = image_name(project, value[8:])
            return "container-image://" + self._provide(project, job, name)
        if value.startswith("docker-image://"):
            return "container-image://" + self._provide(project, job, value[15:])
        return value

    def _arguments(self, job: BuildJob, scratch: Path, contexts: Mapping[str, str],
                   tag: str) -> tuple[list[str], dict[str, str]]:
        # RUN steps run as runc containers (namespaces, docker's default capabilities and
        # seccomp, a network namespace of their own): stronger than chroot isolation, and it
        # honours --network and --shm-size
        args = ["--isolation", "oci", "--runtime", self.buildah.runtime,
                "--network", "host" if job.network == "host" else "none",
                "--layers", "--force-rm", "--pull=never", "--format", "docker",
                "--signature-policy", str(self.buildah.policy), "-t", tag]
        env: dict[str, str] = {}
        if job.no_cache:
            args.append("--no-cache")
        if job.target:
            args += ["--target", job.target]
        for key, value in job.args.items():
            args += ["--build-arg", f"{key}={value}"]
        for key, value in job.labels.items():
            args += ["--label", f"{key}={value}"]
        if job.network == "host":
            args += [a for host, ips in job.extra_hosts.items() for ip in ips
                     for a in ("--add-host", f"{host}:{ip}")]
        else:
            # with no network buildah writes no /etc/hosts: RUN steps get this one (localhost
            # and extra_hosts), read-only; only an empty mount point reaches the layer
            hosts = scratch / "hosts"
            hosts.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n" + "".join(
                f"{ip}\t{host}\n" for host, ips in job.extra_hosts.items() for ip in ips))
            args += ["--volume", f"{hosts}:/etc/hosts:ro"]
        if job.shm_size is not None:
            # passed through to the tmpfs mount, which takes k but not b
            args += ["--shm-size", f"{-(-job.shm_size // 1024)}k"]
        for index, secret in enumerate(job.secrets):
            if secret.file is not None:
                args += ["--secret", f"id={secret.id},src={secret.file}"]
            else:
                # through buildah's environment: never on a command line others can read
                variable = f"RICHCOMPOSE_BUILD_SECRET_{index}"
                env[variable] = secret.value or ""
                args += ["--secret", f"id={secret.id},env={variable}"]
        for key, value in contexts.items():
            args += ["--build-context", f"{key}={value}"]
        dockerfile = job.dockerfile
        if dockerfile is None or dockerfile.read_text() != job.dockerfile_text:
            dockerfile = scratch / "Dockerfile"  # inline, or with local transports made absolute
            dockerfile.write_text(job.dockerfile_text)
        args += ["-f", str(dockerfile), str(job.context)]
        return args, env

    def prune(self) -> None:
        self.buildah.prune()


def _with_context_services(project: Project, services: Iterable[str]) -> list[str]:
    """`services` plus, transitively, the services named as `service:` build contexts."""
    out: list[str] = []
    todo = list(services)
    while todo:
        name = todo.pop(0)
        if name in out or name not in project.services:
            continue
        out.append(name)
        build = project.services[name].build
        if build is not None:
            todo += [v[8:] for v in build.additional_contexts.values() if v.startswith("service:")]
    return out


def _failure(job: BuildJob, code: int, tail: list[str]) -> ImageError:
    """The step that failed and buildah's own message."""
    step = next((line for line in reversed(tail) if _STEP.match(line)), None)
    message = next((line.removeprefix("Error: ") for line in reversed(tail)
                    if line.startswith("Error: ")), None)
    if message is None:
        message = next((line for line in reversed(tail) if line.strip()),
                       f"buildah exited with status {code}")
    elif step and message.startswith('building at STEP "'):
        message = message.rsplit('": ', 1)[-1]  # the step is named already
    where = ""
    if step:
        head = _STEP.match(step)
        assert head is not None
        where = f" at {head.group(0).rstrip(': ')} ({step[head.end():]})"
    return ImageError(f"build of service {job.service!r} failed{where}: {message}",
                      location=job.location, hint="see the build output above")


def _as_layout(image_dir: Path, layout: Path) -> Path:
    """buildah's `dir:` output (manifest.json plus blobs named by hex digest) as an OCI image
    layout, by hard links."""
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    manifest = (image_dir / "manifest.json").read_bytes()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    (blobs / digest_hex(digest)).write_bytes(manifest)
    for path in image_dir.iterdir():
        if re.fullmatch(r"[0-9a-f]{64}", path.name):
            os.link(path, blobs / path.name)
    write_layout_index(layout, manifest, "build")
    return layout


def _now() -> datetime:
    return datetime.now(UTC)
