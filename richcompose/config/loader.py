"""Project files → validated Project. This file only sequences the stages, in compose-go's order:

  per file:  parse (source.py) → interpolate → include
  then:      merge the -f files → extends → profiles → environment (env_file) → validate
             (models + references) → unsupported keys (warnings or an error)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.config.environment import project_environment, resolve_service_environment
from richcompose.config.extends import apply_extends
from richcompose.config.include import apply_include
from richcompose.config.interpolate import interpolate
from richcompose.config.merge import merge_documents, strip_tags
from richcompose.config.names import MAX_NAME, PROJECT_HINT, project_name_problem
from richcompose.config.parse import parse_yaml, read_yaml_file
from richcompose.config.profiles import apply_profiles, enabled_profiles
from richcompose.config.source import SourceMap
from richcompose.errors import ConfigError, ConfigWarning

if TYPE_CHECKING:
    from richcompose.config.models import Project

STDIN_FILE = "-"  # `-f -`: the project comes on standard input (relative paths: the cwd)
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


@dataclass(frozen=True)
class LoadOptions:
    files: tuple[Path, ...] = ()
    project_name: str | None = None
    project_directory: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
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


@dataclass
class _Run:
    """One load: the options, the environment in force, and the warnings gathered."""

    options: LoadOptions
    environ: Mapping[str, str]
    warnings: list[ConfigWarning] = field(default_factory=list)

    def read_file(self, path: Path, environ: Mapping[str, str] | None = None,
                  seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], SourceMap]:
        """parse → interpolate → include, for one file."""
        if path.name == STDIN_FILE and self.options.stdin is not None:
            data, smap = parse_yaml(self.options.stdin, STDIN_FILE)
        else:
            data, smap = read_yaml_file(path)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("a project file must be a mapping with a services: key",
                              location=smap.locate(()), hint="start the file with 'services:'")
        if self.options.interpolate:
            data = interpolate(data, smap, self.environ if environ is None else environ,
                               self.warnings.append)
        apply_include(data, smap, path, self._read_included, (*seen, path.resolve()))
        return data, smap

    def read_files(self, files: list[Path], environ: Mapping[str, str] | None = None,
                   seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], SourceMap]:
        merged: Any = None
        smap = SourceMap()
        for path in files:
            data, positions = self.read_file(path, environ, seen)
            if merged is None:
                merged, smap = data, positions
            else:
                merged, smap = merge_documents(merged, smap, data, positions)
        merged = strip_tags(merged or {})
        apply_extends(merged, smap, lambda p: self.read_file(p, environ, seen), str(files[0]))
        return merged, smap

    def _read_included(self, files: list[Path], project_dir: Path, env_files: list[Path],
                       seen: tuple[Path, ...]) -> tuple[dict[str, Any], SourceMap]:
        environ = project_environment(self.options.environ, project_dir, env_files)
        return self.read_files(files, environ, seen)


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
    run = _Run(options, environ)
    merged, smap = run.read_files(list(files))
    enabled = enabled_profiles(options.profiles, environ.get("COMPOSE_PROFILES"))
    all_profiles = apply_profiles(merged, smap, enabled)
    if options.interpolate:
        resolve_service_environment(merged, smap, directory, environ)
    name = _project_name(options, environ, merged, directory, smap)
    merged = {"name": name, **{k: v for k, v in merged.items() if k != "name"}}
    merged["directory"] = str(directory)
    return _Document(merged, smap, run.warnings, all_profiles, environ)


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
    from richcompose.config.extensions import split_extensions
    from richcompose.config.hostnames import check_host_values
    from richcompose.config.systemd_mounts import check as check_systemd_mounts
    from richcompose.config.unsupported import check as check_unsupported
    from richcompose.config.validate import check_references, validate_project

    doc = _prepare(options)
    extensions = split_extensions(doc.data)
    project = validate_project(doc.data, doc.smap)
    project.extensions.update(extensions)
    check_references(project)
    check_host_values(project)
    project.warnings.extend(doc.warnings)
    project.warnings.extend(check_unsupported(project))
    project.warnings.extend(check_systemd_mounts(project))
    project.all_profiles.extend(doc.profiles)
    for objects in (project.secrets, project.configs):
        for obj in objects.values():
            if obj.environment and obj.environment in doc.environ:
                project.file_environment[obj.environment] = doc.environ[obj.environment]
    return project


def _project_name(options: LoadOptions, environ: Mapping[str, str], data: Mapping[str, Any],
                  directory: Path, smap: SourceMap) -> str:
    # Precedence as compose: -p > COMPOSE_PROJECT_NAME > name: > directory name. A name the
    # user wrote must already be valid; one taken from the directory is normalised.
    for given, where in ((options.project_name, None),
                         (environ.get("COMPOSE_PROJECT_NAME"), None),
                         (data.get("name"), smap.locate(("name",)))):
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
