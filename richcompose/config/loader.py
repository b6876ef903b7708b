"""Project files → validated Project. This file only sequences the stages, in compose-go's order:

  first:     the project name (so files can use ${COMPOSE_PROJECT_NAME})
  per document of each file: parse → interpolate → include → extends → merge over the ones
             before (-f files and `---` documents alike)
  then:      profiles → environment (env_file) → validate (models + references) →
             unsupported keys (warnings or an error)
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.config.environment import project_environment, resolve_service_environment
from richcompose.config.extends import apply_extends
from richcompose.config.extensions import split_extensions
from richcompose.config.include import IncludeEntry, apply_include
from richcompose.config.interpolate import interpolate
from richcompose.config.merge import merge_documents, strip_tags
from richcompose.config.names import MAX_NAME, PROJECT_HINT, project_name_problem
from richcompose.config.parse import parse_documents, read_yaml_file
from richcompose.config.paths import expand_document_homes, resolve_document_paths
from richcompose.config.profiles import apply_profiles, enabled_profiles
from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError, ConfigWarning, Location
from richcompose.hostfs import home_of

if TYPE_CHECKING:
    from richcompose.config.models import Project

STDIN_FILE = "-"  # `-f -`: the project comes on standard input (relative paths: the cwd)
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


@dataclass(frozen=True)
class LoadOptions:
    files: tuple[Path, ...] = ()
    project_name: str | None = None
    project_directory: Path | None = None
    # The variables `${VAR}` and bare `KEY` take values from (the CLI passes its environment):
    # given, never read here.
    environ: Mapping[str, str] = field(kw_only=True)
    working_dir: Path = field(default_factory=Path.cwd)
    env_files: tuple[Path, ...] = ()
    profiles: tuple[str, ...] = ()
    interpolate: bool = True
    stdin: str | None = None  # the text of `-f -` (the CLI reads standard input once)


def find_project_files(directory: Path) -> tuple[Path, ...]:
    """The default project file in `directory` or its parents, as compose looks for it."""
    for folder in (directory, *directory.parents):
        for name in DEFAULT_FILES:
            candidate = folder / name
            if candidate.is_file():
                return (candidate,)
    raise ConfigError(
        f"no project file found in {directory} or its parents",
        hint=f"create one of {', '.join(DEFAULT_FILES)} or pass -f FILE",
    )


def normalize_project_name(name: str) -> str:
    """Compose's rule: lowercase, only [a-z0-9_-], starting with a letter or digit."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")


@dataclass(frozen=True)
class _Scope:
    """One project being read (the main one or an included one): the variables its files are
    interpolated with, the directory its relative paths start from, and the files being
    included on the way to it (an include cycle is an error)."""

    environ: Mapping[str, str]
    directory: Path
    seen: tuple[Path, ...] = ()


@dataclass
class _Run:
    """One load: the options, the parsed files, and the warnings gathered."""

    options: LoadOptions
    warnings: list[ConfigWarning] = field(default_factory=list)
    parsed: dict[Path, list[tuple[Any, SourceMap]]] = field(default_factory=dict)

    def parse(self, path: Path) -> list[tuple[Any, SourceMap]]:
        """The documents of a file, parsed once per load (the name is read before the rest)."""
        if path not in self.parsed:
            if path.name == STDIN_FILE and self.options.stdin is not None:
                self.parsed[path] = parse_documents(self.options.stdin, STDIN_FILE)
            else:
                self.parsed[path] = read_yaml_file(path)
        documents = self.parsed[path]
        # Interpolation builds new values; without it, later stages must not change the cache.
        return documents if self.options.interpolate else copy.deepcopy(documents)

    def documents(self, path: Path, environ: Mapping[str, str]
                  ) -> list[tuple[dict[str, Any], SourceMap]]:
        """parse → interpolate, for each document of one file."""
        out = []
        for data, smap in self.parse(path):
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise ConfigError("a project file must be a mapping with a services: key",
                                  location=smap.locate(()), hint="start the file with 'services:'")
            if self.options.interpolate:
                data = interpolate(data, smap, environ, self.warnings.append)
            out.append((data, smap))
        return out

    def read_project(self, files: list[Path], scope: _Scope) -> tuple[dict[str, Any], SourceMap]:
        """Each document of each file in turn, as compose-go does: interpolate → include →
        extends, then merged over the documents before it."""
        merged: dict[str, Any] | None = None
        smap = SourceMap()
        for path in files:
            inner = _Scope(scope.environ, scope.directory, (*scope.seen, path.resolve()))

            def included(entry: IncludeEntry, inner: _Scope = inner
                         ) -> tuple[dict[str, Any], SourceMap]:
                return self._read_included(entry, inner)

            def base_file(other: Path) -> tuple[dict[str, Any], SourceMap]:
                return self._read_base(other, scope)

            for data, positions in self.documents(path, scope.environ):
                apply_include(data, positions, scope.directory, inner.seen, included)
                apply_extends(data, positions, base_file, str(path.resolve()), scope.directory,
                              home_of(self.options.environ))
                if merged is None:
                    merged, smap = data, positions
                else:
                    merged, smap = merge_documents(merged, smap, data, positions)
        return strip_tags(merged or {}), smap

    def _read_base(self, path: Path, scope: _Scope) -> tuple[dict[str, Any], SourceMap]:
        """A file named by `extends: {file: ...}`: its documents merged, tags kept for the
        extends merge; no include (as compose-go)."""
        merged: dict[str, Any] = {}
        smap = SourceMap()
        for data, positions in self.documents(path, scope.environ):
            merged, smap = (data, positions) if not merged else merge_documents(
                merged, smap, data, positions)
        return merged, smap

    def _read_included(self, entry: IncludeEntry, scope: _Scope
                       ) -> tuple[dict[str, Any], SourceMap]:
        # The including project's variables win over the included one's env_file (compose-go).
        environ = project_environment(scope.environ, entry.project_directory, entry.env_files)
        inner = _Scope(environ, entry.project_directory, scope.seen)
        data, smap = self.read_project(entry.files, inner)
        data = resolve_document_paths(data, entry.project_directory)
        if self.options.interpolate:
            resolve_service_environment(data, smap, entry.project_directory, environ)
        return data, smap


def project_files(options: LoadOptions) -> tuple[Path, ...]:
    """-f files, else COMPOSE_FILE (split on COMPOSE_PATH_SEPARATOR), else the default file."""
    files = options.files
    if not files and options.environ.get("COMPOSE_FILE"):
        separator = options.environ.get("COMPOSE_PATH_SEPARATOR", os.pathsep)
        files = tuple(Path(f) for f in options.environ["COMPOSE_FILE"].split(separator) if f)
    files = files or find_project_files(options.working_dir)
    return tuple(f if f.is_absolute() else options.working_dir / f for f in files)


@dataclass
class _Document:
    """A project merged and resolved up to, not including, validation."""

    data: dict[str, Any]
    smap: SourceMap
    warnings: list[ConfigWarning]
    profiles: list[str]
    environ: Mapping[str, str] = field(default_factory=dict)


def _prepare(options: LoadOptions) -> _Document:
    files = project_files(options)
    directory = (options.working_dir / options.project_directory if options.project_directory
                 else files[0].parent).resolve()
    if options.project_directory is not None and not directory.is_dir():
        raise ConfigError(f"project directory {directory} does not exist",
                          hint="fix --project-directory")
    environ = project_environment(options.environ, directory, options.env_files)
    run = _Run(options)
    # As compose-go: the name is settled first, so files can use ${COMPOSE_PROJECT_NAME}.
    name = _project_name(options, environ, _name_in_files(run, files, environ), directory)
    environ = {**environ, "COMPOSE_PROJECT_NAME": name}
    merged, smap = run.read_project(list(files), _Scope(environ, directory))
    if not merged:
        raise ConfigError("empty compose file", location=Location(str(files[0])),
                          hint="add a services: section")
    enabled = enabled_profiles(options.profiles, environ.get("COMPOSE_PROFILES"))
    all_profiles = apply_profiles(merged, smap, enabled)
    if options.interpolate:
        resolve_service_environment(merged, smap, directory, environ)
    merged = {"name": name, **{k: v for k, v in merged.items() if k != "name"}}
    merged["directory"] = str(directory)
    return _Document(merged, smap, run.warnings, all_profiles, environ)


def _name_in_files(run: _Run, files: tuple[Path, ...], environ: Mapping[str, str]
                   ) -> tuple[str, Location | None] | None:
    """The last non-empty top-level `name:` of the files, interpolated, and where it is."""
    found: tuple[str, Location | None] | None = None
    for path in files:
        for data, smap in run.parse(path):
            if not isinstance(data, dict) or data.get("name") in (None, ""):
                continue
            value = data["name"]
            if run.options.interpolate:
                value = interpolate({"name": value}, smap, environ, lambda _: None)["name"]
            if value not in (None, ""):
                found = str(value), smap.locate(("name",))
    return found


def load_document(options: LoadOptions) -> dict[str, Any]:
    """The merged project as plain data, not validated (`config --no-interpolate` prints it:
    `${PORT}:80` is no valid port until it is interpolated)."""
    data = _prepare(options).data
    data.pop("directory", None)
    return data


def load_project_name(options: LoadOptions) -> tuple[str, list[ConfigWarning]]:
    """The project's name as load_project would give it, and the warnings met on the way,
    without validating the services."""
    doc = _prepare(options)
    return str(doc.data["name"]), doc.warnings


def load_project(options: LoadOptions) -> Project:
    """Loads, merges, resolves and validates; `Project.warnings` holds what was accepted but
    will not be done as written."""
    # Validation is where pydantic comes in: commands that only need the name (`ps`, `down`)
    # stop at project_name() and never import it.
    from richcompose.config.hostnames import check_host_values
    from richcompose.config.replicas import check_replicas
    from richcompose.config.systemd_mounts import check as check_systemd_mounts
    from richcompose.config.unsupported import check as check_unsupported
    from richcompose.config.validate import check_references, validate_project

    doc = _prepare(options)
    extensions = split_extensions(doc.data)
    # `~` after merging, before validation: `config --no-interpolate` shows it as written.
    project = validate_project(expand_document_homes(doc.data, home_of(options.environ)),
                               doc.smap)
    project.extensions.update(extensions)
    check_references(project)
    check_host_values(project)
    check_replicas(project)
    project.warnings.extend(doc.warnings)
    project.warnings.extend(check_unsupported(project))
    project.warnings.extend(check_systemd_mounts(project))
    project.all_profiles.extend(doc.profiles)
    for objects in (project.secrets, project.configs):
        for obj in objects.values():
            if obj.environment and obj.environment in doc.environ:
                project.file_environment[obj.environment] = doc.environ[obj.environment]
    return project


def _project_name(options: LoadOptions, environ: Mapping[str, str],
                  in_files: tuple[str, Location | None] | None, directory: Path) -> str:
    # Precedence as compose: -p > COMPOSE_PROJECT_NAME > name: > directory name. A name the
    # user wrote must already be valid; one taken from the directory is normalised.
    for given, where in ((options.project_name, None),
                         (environ.get("COMPOSE_PROJECT_NAME"), None),
                         in_files or (None, None)):
        if given is None or given == "":
            continue
        text = str(given)
        problem = project_name_problem(text)
        if problem is not None:
            suggestion = normalize_project_name(text)[:MAX_NAME]
            raise ConfigError(problem, location=where,
                              hint=PROJECT_HINT + (f", e.g. {suggestion!r}" if suggestion else ""))
        return text
    name = normalize_project_name(directory.name)[:MAX_NAME]
    if not name:
        raise ConfigError(f"cannot make a project name from directory {directory.name!r}",
                          hint="set name: in the file or pass -p NAME")
    return name
