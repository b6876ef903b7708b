"""Commands import only the libraries they use: structural checks on sys.modules after a
command ran in a fresh interpreter (timing is bench/startup.py's job, not a test's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO

HEAVY = ("httpx", "networkx", "jinja2", "pydantic", "rich", "yaml")
PROBE = textwrap.dedent("""
    import json, sys
    from richcompose.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
    print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
""")


def imported_by(tmp_path: Path, *args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, "--root", str(tmp_path / "state"), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    return set(json.loads(proc.stderr.strip().splitlines()[-1])) & set(HEAVY)


def write_project(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    rootfs: ./rootfs\n")


def test_help_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    assert imported_by(tmp_path, "--help") == set()


def test_ps_reads_the_file_but_builds_no_models(tmp_path: Path) -> None:
    write_project(tmp_path)
    # a pipe gets the plain table: no rich (a terminal gets rich's, styled)
    assert imported_by(tmp_path, "ps") == {"yaml"}


def test_down_needs_no_registry_client_or_templates(tmp_path: Path) -> None:
    write_project(tmp_path)
    assert imported_by(tmp_path, "down") & {"httpx", "jinja2"} == set()


def test_config_validates_without_images_or_templates(tmp_path: Path) -> None:
    write_project(tmp_path)
    assert imported_by(tmp_path, "config", "-q") == {"yaml", "pydantic"}


def test_the_graph_command_orders_services_without_networkx(tmp_path: Path) -> None:
    write_project(tmp_path)
    assert "networkx" not in imported_by(tmp_path, "graph")


def test_the_monitor_imports_no_config_image_or_template_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, richcompose.runtime.monitor; "
         "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert set(proc.stdout.split()) & set(HEAVY) == set()
