"""What every command handler gets: parsed global options, consoles, and the stages."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from richcompose.config import LoadOptions, Project, load_project
from richcompose.config.loader import load_document, normalize_project_name
from richcompose.engine import Engine
from richcompose.network import NetworkManager
from richcompose.network.hook import NetworkHook
from richcompose.state import StatePaths, state_root


@dataclass
class CliContext:
    args: argparse.Namespace
    err: Console  # progress and messages
    out: Console  # command output
    paths: StatePaths

    @classmethod
    def from_args(cls, args: argparse.Namespace, err: Console) -> CliContext:
        return cls(args=args, err=err, out=Console(highlight=False, soft_wrap=True),
                   paths=StatePaths(state_root(args.root)))

    def report(self, service: str, message: str) -> None:
        self.err.print(f"[bold]{service}[/] {message}" if service else message)

    def engine(self) -> Engine:
        return Engine(self.paths, runtime=self.args.runtime, report=self.report,
                      hooks=[NetworkHook(self.network())])

    def network(self) -> NetworkManager:
        return NetworkManager(self.paths.root)

    _stdin: str | None = None

    def load_options(self, *, interpolate: bool = True) -> LoadOptions:
        args = self.args
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
        if self.args.project_name and not self.args.file:
            return normalize_project_name(self.args.project_name)
        return self.load().name
