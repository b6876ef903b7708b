"""User text is printed as written: rich markup and emoji codes in paths, keys, values and log
lines are not interpreted (`file:100:10` must not become an emoji)."""

from __future__ import annotations

import io

from rich.table import Table

from richcompose.cli.console import labelled, make_console
from richcompose.cli.logview import LogPrinter
from richcompose.errors import ConfigError, Location
from richcompose.logs import LogLine

TRICKY = "compose.yaml:100:10 [bold]x[/] :smile:"


def _console_output(*renderables: object) -> str:
    console = make_console()
    console.file = io.StringIO()
    for item in renderables:
        console.print(item)
    return console.file.getvalue()


def test_error_location_and_value_print_literally() -> None:
    error = ConfigError("bad value ':100:' [red]", location=Location("a.yaml", 100, 10))
    assert _console_output(labelled("error:", "bold red", str(error))) == (
        "error: a.yaml:100:10: bad value ':100:' [red]\n")


def test_table_cells_print_literally() -> None:
    table = Table("NAME", box=None)
    table.add_row(TRICKY)
    assert TRICKY in _console_output(table)


def test_log_lines_and_service_names_print_literally() -> None:
    console = make_console()
    console.file = io.StringIO()
    LogPrinter(console, [":100:"]).emit(":100:", LogLine("2026-01-01T00:00:00Z", "stdout", TRICKY))
    assert console.file.getvalue() == f":100: | {TRICKY}\n"
