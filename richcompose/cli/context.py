"""What every command handler gets: parsed global options, consoles, and the stages."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from richcompose.config import LoadOptions, Project, load_project
from richcompose.config.loader import load_document
from richcompose.config.names import check_project_name
from richcompose.image.build.builder import Builder, Output
from richcompose.image.build.plan import BuildOptions
from richcompose.image.registries import load_registries_conf
from richcompose.image.store import ImageStore
from richcompose.state import StatePaths, close_root, state_root

if TYPE_CHECKING:  # the engine and networking are imported by the commands that use them
    from richcompose.engine import Engine
    from richcompose.network import NetworkManager


def literal_console(*, stderr: bool = False) -> Console:
    """A console that prints text as given: no markup, no emoji codes, no highlighting.

    User text (paths, keys, values, log lines) reaches every print; rich would turn
    `file:100:10` into an emoji and `[HOST_IP:]` into nothing. Styles come from `styled`.
    """
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def styled(head: str, style: str, rest: str) -> Text:
    """`head` in `style`, then `rest` literally."""
    return Text.assemble((head, style), " ", rest) if rest else Text(head, style=style)


@dataclass
class CliContext:
    args: argparse.Namespace
    err: Console  # progress and messages
    out: Console  # command output
    paths: StatePaths
    _engine: Engine | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace, err: Console) -> CliContext:
        return cls(args=args, err=err, out=literal_console(),
                   paths=StatePaths(state_root(args.root)))

    def report(self, service: str, message: str) -> None:
        self.err.print(styled(service, "bold", message) if service else message)

    def engine(self, *, build: BuildOptions | None = None,
               build_output: Output | None = None) -> Engine:
        """One engine per command, so each damaged record is reported once; `build` (up's
        --build/--no-build) sets how its builder decides."""
        if self._engine is None:
            from richcompose.engine import Engine
            from richcompose.network.hook import NetworkHook

            hooks = [NetworkHook(self.network())]
            images = self.images()
            self._engine = Engine(self.paths, runtime=self.args.runtime, report=self.report,
                                  hooks=hooks, images=images,
                                  builder=self._builder(images, build, build_output))
        elif build is not None or build_output is not None:
            self._engine.builder = self._builder(self._engine.images, build, build_output)
        return self._engine

    def _builder(self, images: ImageStore, options: BuildOptions | None,
                 output: Output | None) -> Builder:
        return Builder(images, options=options, environ=os.environ,
                       output=output or self.build_line)

    def images(self) -> ImageStore:
        """The image store, reading registries.conf (--registries-conf, else
        $CONTAINERS_REGISTRIES_CONF, else /etc/containers/registries.conf and its .d/) and the
        credentials of this environment."""
        given = getattr(self.args, "registries_conf", None) or os.environ.get(
            "CONTAINERS_REGISTRIES_CONF")
        registries = load_registries_conf(Path(given) if given else None)
        self._close_root()
        return ImageStore(self.paths.images, env=os.environ, registries=registries)

    def build_line(self, service: str, line: str) -> None:
        """Builder output when no BuildOutput was set up: plain, prefixed lines."""
        self.err.print(styled(f"{service} |", "bold", line))

    def _close_root(self) -> None:
        closed = close_root(self.paths.root)  # before anything is written under it
        if closed:
            self.report("", f"warning: {closed}")

    def network(self) -> NetworkManager:
        from richcompose.network import NetworkManager

        self._close_root()
        return NetworkManager(self.paths.root,
                              warn=lambda message: self.report("", f"warning: {message}"))

    def load_options(self, *, interpolate: bool = True) -> LoadOptions:
        args = self.args
        if args.project_name is not None:
            check_project_name(args.project_name, source="-p")
        directory = Path(args.project_directory) if args.project_directory else None
        return LoadOptions(files=tuple(Path(f) for f in args.file),
                           project_name=args.project_name, project_directory=directory,
                           env_files=tuple(Path(f) for f in getattr(args, "env_file", [])),
                           profiles=tuple(getattr(args, "profile", [])), interpolate=interpolate)

    def load(self) -> Project:
        """The validated project; its warnings go to stderr, once, for every command."""
        project = load_project(self.load_options())
        for warning in project.warnings:
            self.err.print(styled("warning:", "yellow", str(warning)))
        return project

    def load_document(self) -> dict[str, Any]:
        """The merged files without interpolation or validation (`config --no-interpolate`)."""
        return load_document(self.load_options(interpolate=False))

    def project_name(self) -> str:
        """Commands that act on state only work without the project file when given -p."""
        return self.target()[0]

    def target(self, *, heal: bool = True) -> tuple[str, Project | None]:
        """The project's name, and the project itself unless only -p names it (then the
        engine orders its work by the stored records). Every command on a project's state
        first lets the engine repair what died meanwhile (engine `heal`); `down` need not."""
        if self.args.project_name is not None and not self.args.file:
            # Checked, never normalised: `-p ..` once named every project in the state root.
            name, project = check_project_name(self.args.project_name, source="-p"), None
        else:
            project = self.load()
            name = project.name
        if heal:
            self.engine().heal(name)
        return name, project
