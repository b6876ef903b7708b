"""What every command handler gets: parsed global options, consoles, and the stages.

The stages are imported where a command first asks for them, so a command pays only for the
libraries it uses (`--help` and `ps` never import pydantic, jinja2 or httpx)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.state import StatePaths, state_root

if TYPE_CHECKING:
    from rich.console import Console

    from richcompose.config import LoadOptions, Project
    from richcompose.engine import Engine
    from richcompose.engine.config import EngineConfig
    from richcompose.engine.status import StatusOps
    from richcompose.image.build.builder import Builder, Output
    from richcompose.image.build.plan import BuildOptions
    from richcompose.image.progress import PullLines, PullProgress
    from richcompose.image.store import ImageStore
    from richcompose.image.types import Progress
    from richcompose.network import NetworkManager


def stderr_console() -> Console:
    from richcompose.cli.console import make_console

    return make_console(stderr=True)  # literal, and one message is one line


@dataclass
class CliContext:
    args: argparse.Namespace
    paths: StatePaths
    # The process environment, read once here (from_args) and passed to every stage that
    # needs part of it: none reads os.environ itself.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    _err: Console | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, init=False, repr=False)
    _views: StatusOps | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace, err: Console | None = None) -> CliContext:
        environ = dict(os.environ)
        return cls(args=args, paths=StatePaths(state_root(args.root, environ)), environ=environ,
                   _err=err)

    @property
    def runtime(self) -> str:
        """--runtime, else $RICHCOMPOSE_RUNTIME, else runc."""
        return self.args.runtime or self.environ.get("RICHCOMPOSE_RUNTIME") or "runc"

    def engine_config(self, *, pull_policy: str | None = None,
                      pull_progress: Progress | None = None) -> EngineConfig:
        """The engine's configuration: global flags, the command's (`up --pull`, its
        progress bars) and the environment, once (engine/config.py names the variables)."""
        from richcompose.engine.config import EngineConfig

        return EngineConfig.from_environ(self.paths, self.environ, runtime=self.runtime,
                                         pull_policy=pull_policy, pull_progress=pull_progress)

    @cached_property
    def err(self) -> Console:
        """Progress and messages."""
        return self._err if self._err is not None else stderr_console()

    @cached_property
    def out(self) -> Console:
        """Command output."""
        from richcompose.cli.console import make_console

        return make_console()

    def report(self, service: str, message: str) -> None:
        self._line(service, "bold", message)

    def _line(self, label: str, style: str, text: str) -> None:
        """A labelled line on stderr: styled on a terminal, plain (and without rich) else."""
        from richcompose.cli.console import labelled, plain_line

        if not self._styled:
            plain_line(label, text)
        else:
            self.err.print(labelled(label, style, text) if label else text)

    def write(self, text: str) -> None:
        """Command output (JSON, ids): literal; through rich only on a terminal."""
        if self._out_styled:
            self.out.print(text, markup=False)
        else:
            sys.stdout.write(text + "\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]],
              title: str | None = None) -> None:
        """A table of command output: rich's on a terminal; the same layout, unwrapped and
        without importing rich, on a pipe or in a file."""
        from richcompose.cli.console import plain_table

        if not self._out_styled:
            sys.stdout.write((f"{title}\n" if title else "") + plain_table(headers, rows) + "\n")
            return
        from rich.table import Table

        table = Table(*headers, box=None, title=title, title_justify="left")
        for row in rows:
            table.add_row(*row)
        self.out.print(table)

    @cached_property
    def _out_styled(self) -> bool:
        """Whether command output goes through rich (a terminal) or is written plainly."""
        from richcompose.cli.console import stdout_is_terminal

        return "out" in self.__dict__ or stdout_is_terminal(self.environ)

    @cached_property
    def _styled(self) -> bool:
        """Whether stderr gets rich's styled output (a console was given, or a terminal)."""
        from richcompose.cli.console import stderr_is_terminal

        return self._err is not None or stderr_is_terminal(self.environ)

    def pull_progress(self) -> PullLines | PullProgress:
        """What `up`, `run` and `container run` show of the layers they pull: rich bars on a
        terminal, plain lines (without importing rich) elsewhere."""
        from richcompose.image.progress import PullLines, PullProgress

        if self._styled:
            return PullProgress(self.err)
        return PullLines(lambda line: self._line("", "", line))

    def engine(self, *, build: BuildOptions | None = None, build_output: Output | None = None,
               pull_policy: str | None = None, pull_progress: Progress | None = None) -> Engine:
        """One engine per command, so each damaged record is reported once; `build` (up's
        --build/--no-build) sets how its builder decides, `pull_policy` (up's --pull) and
        `pull_progress` (the bars `up` draws) how it pulls."""
        if self._engine is None:
            from richcompose.engine import Engine
            from richcompose.network.setup import NetworkSetup

            config = self.engine_config(pull_policy=pull_policy, pull_progress=pull_progress)
            setups = [NetworkSetup(self.network())]
            # Factories: the store and builder (registries.conf, credentials, models) are made
            # only by a command that resolves an image; `down` and `stop` never do.
            self._engine = Engine(config, report=self.report, setups=setups,
                                  images=self.images,
                                  builder=partial(self._builder, options=build,
                                                  output=build_output))
            return self._engine
        if build is not None or build_output is not None:
            self._engine.builder = self._builder(self._engine.images, build, build_output)
        if pull_policy is not None or pull_progress is not None:
            from dataclasses import replace

            config = self._engine.config
            self._engine.config = replace(
                config, pull_policy=pull_policy or config.pull_policy,
                pull_progress=pull_progress or config.pull_progress)
        return self._engine

    def _builder(self, images: ImageStore, options: BuildOptions | None,
                 output: Output | None) -> Builder:
        from richcompose.image.build.builder import Builder

        return Builder(images, options=options, environ=self.environ,
                       output=output or self.build_line)

    def images(self) -> ImageStore:
        """The image store, reading registries.conf (--registries-conf, else
        $CONTAINERS_REGISTRIES_CONF, else /etc/containers/registries.conf and its .d/) and the
        credentials of this environment."""
        from richcompose.image.registries import load_registries_conf
        from richcompose.image.store import ImageStore

        given = getattr(self.args, "registries_conf", None) or self.environ.get(
            "CONTAINERS_REGISTRIES_CONF")
        registries = load_registries_conf(Path(given) if given else None)
        self._close_root()
        return ImageStore(self.paths.images, env=self.environ, registries=registries)

    def build_line(self, service: str, line: str) -> None:
        """Builder output when no BuildOutput was set up: plain, prefixed lines."""
        from richcompose.cli.console import labelled

        self.err.print(labelled(f"{service} |", "bold", line))

    def _close_root(self) -> None:
        from richcompose.state import close_root

        closed = close_root(self.paths.root)  # before anything is written under it
        if closed:
            self.report("", f"warning: {closed}")

    def status(self) -> StatusOps:
        """The read-only views (`ps`, `logs`, `inspect`, `ls`, `heal`): the engine's status
        queries without its bundle, image and network code (the engine itself if built)."""
        if self._engine is not None:
            return self._engine
        if self._views is None:
            from richcompose.engine.status import StatusOps

            views = StatusOps()
            views.paths, views.runtime_name, views.report = (self.paths, self.runtime,
                                                             self.report)
            self._views = views
        return self._views

    def network(self) -> NetworkManager:
        from richcompose.network import NetworkManager

        self._close_root()
        return NetworkManager(self.paths.root,
                              warn=lambda message: self.report("", f"warning: {message}"))

    _stdin: str | None = None

    def load_options(self, *, interpolate: bool = True) -> LoadOptions:
        from richcompose.config.loader import LoadOptions
        from richcompose.config.names import check_project_name

        args = self.args
        if args.project_name is not None:
            check_project_name(args.project_name, source="-p")
        directory = Path(args.project_directory) if args.project_directory else None
        if "-" in args.file and self._stdin is None:  # `-f -`, read once per command
            self._stdin = sys.stdin.read()
        return LoadOptions(files=tuple(Path(f) for f in args.file), stdin=self._stdin,
                           project_name=args.project_name, project_directory=directory,
                           env_files=tuple(Path(f) for f in getattr(args, "env_file", [])),
                           profiles=tuple(getattr(args, "profile", [])), interpolate=interpolate,
                           environ=self.environ)

    def load(self) -> Project:
        """The validated project; its warnings go to stderr, once, for every command."""
        from richcompose.config.loader import load_project

        project = load_project(self.load_options())
        self._warn(project.warnings)
        return project

    def load_document(self) -> dict[str, Any]:
        """The merged files without interpolation or validation (`config --no-interpolate`)."""
        from richcompose.config.loader import load_document

        return load_document(self.load_options(interpolate=False))

    def project_name(self, *, heal: bool = True) -> str:
        """The project a state command acts on, healed first (see `target`). Only the name:
        the services need not be validated (no pydantic) to read or act on state."""
        from richcompose.config.loader import load_project_name
        from richcompose.config.names import check_project_name

        if self.args.project_name is not None and not self.args.file:
            name = check_project_name(self.args.project_name, source="-p")
        else:
            name, warnings = load_project_name(self.load_options())
            self._warn(warnings)
        if heal:
            self.status().heal(name)
        return name

    def target(self, *, heal: bool = True) -> tuple[str, Project | None]:
        """The project's name, and the project itself unless only -p names it (then the
        engine orders its work by the stored records). Every command on a project's state
        first lets the engine repair what died meanwhile (engine `heal`); `down` need not."""
        from richcompose.config.names import check_project_name

        project: Project | None
        if self.args.project_name is not None and not self.args.file:
            # Checked, never normalised: `-p ..` once named every project in the state root.
            name, project = check_project_name(self.args.project_name, source="-p"), None
        else:
            project = self.load()
            name = project.name
        if heal:
            self.engine().heal(name)
        return name, project

    def _warn(self, warnings: Sequence[object]) -> None:
        if not warnings:
            return
        for warning in warnings:
            self._line("warning:", "yellow", str(warning))
