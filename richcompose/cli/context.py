"""What every command handler gets: parsed global options, consoles, and the stages."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from richcompose.config import LoadOptions, Project, load_project
from richcompose.config.loader import load_document
from richcompose.config.names import check_project_name
from richcompose.engine import Engine
from richcompose.network import NetworkManager
from richcompose.network.hook import NetworkHook
from richcompose.state import StatePaths, close_root, state_root


@dataclass
class CliContext:
    args: argparse.Namespace
    err: Console  # progress and messages
    out: Console  # command output
    paths: StatePaths
    _engine: Engine | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace, err: Console) -> CliContext:
        return cls(args=args, err=err, out=Console(highlight=False, soft_wrap=True),
                   paths=StatePaths(state_root(args.root)))

    def report(self, service: str, message: str) -> None:
        self.err.print(f"[bold]{service}[/] {message}" if service else message)

    def engine(self) -> Engine:
        """One engine per command, so each damaged record is reported once."""
        if self._engine is None:
            self._engine = Engine(self.paths, runtime=self.args.runtime, report=self.report,
                                  hooks=[NetworkHook(self.network())])
        return self._engine

    def network(self) -> NetworkManager:
        closed = close_root(self.paths.root)  # before anything is written under it
        if closed:
            self.report("", f"warning: {closed}")
        return NetworkManager(self.paths.root,
                              warn=lambda message: self.report("", f"warning: {message}"))

    _stdin: str | None = None

    def load_options(self, *, interpolate: bool = True) -> LoadOptions:
        args = self.args
        if args.project_name is not None:
            check_project_name(args.project_name, source="-p")
        directory = Path(args.project_directory) if args.project_directory else None
        if "-" in args.file and self._stdin is None:  # `-f -`, read once per command
            self._stdin = sys.stdin.read()
        return LoadOptions(files=tuple(Path(f) for f in args.file), stdin=self._stdin,
                           project_name=args.project_name, project_directory=directory,
                           env_files=tuple(Path(f) for f in getattr(args, "env_file", [])),
                           profiles=tuple(getattr(args, "profile", [])), interpolate=interpolate)

    def load(self) -> Project:
        """The validated project; its warnings go to stderr, once, for every command."""
        project = load_project(self.load_options())
        for warning in project.warnings:
            self.err.print(f"[yellow]warning:[/] {escape(str(warning))}", markup=True,
                           soft_wrap=True, highlight=False)
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
