"""The warm command server (richcompose/warm): a served command behaves as the same command run
cold — output, errors, exit code, environment, working directory, standard input, signals —
and the server goes away when its code changes or its state root does, and is not used when
its directory is open to others."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from richcompose import state
from richcompose.warm import client, wire
from richcompose.warm.client import served_root
from tests.conftest import REPO, Richcompose, leftovers

COMPOSE = """\
name: warmtest
services:
  a:
    rootfs: ./rootfs
    network_mode: none
    command: [sleep, "${NAP:-3600}"]
"""
# A launcher as pip's console script is: its sys.path[0] is its own folder, not the cwd, so
# commands from any project directory meet one server.
LAUNCHER = "import sys\nfrom richcompose.warm.client import main\nsys.exit(main())\n"


# --- which commands go to a server ----------------------------------------------------------

@pytest.mark.parametrize(("argv", "root"), [
    (["ps"], "/var/lib/richcompose"),
    (["--root", "/r", "down", "-t", "0"], "/r"),
    (["--root=/r", "-f", "x.yaml", "up", "-d"], "/r"),
    (["-p", "x", "--root", "/r", "up", "--wait", "a"], "/r"),
    (["--debug", "--root", "/r", "config", "-q"], "/r"),
])
def test_commands_without_a_terminal_of_their_own_are_served(argv: list[str], root: str) -> None:
    assert served_root(argv, {}) == root


@pytest.mark.parametrize("argv", [
    ["up"],  # attached: follows logs until Ctrl-C
    ["exec", "a", "sh"], ["run", "a"], ["logs", "-f"], ["login", "r"], ["build"],
    ["--roo", "/r", "ps"],  # an abbreviation argparse accepts: decided by argparse, here
    ["ps", "--help"], ["--help"], [],
])
def test_other_commands_run_in_the_client(argv: list[str]) -> None:
    assert served_root(argv, {}) is None


def test_the_environment_picks_the_root_and_can_turn_the_server_off() -> None:
    assert served_root(["ps"], {"RICHCOMPOSE_ROOT": "/x"}) == "/x"
    assert served_root(["ps"], {"RICHCOMPOSE_WARM": "0"}) is None


def test_messages_sent_back_to_back_are_received_one_by_one() -> None:
    # A copy's exit code can follow its pid before the client reads either.
    ours, theirs = socket.socketpair()
    with ours, theirs:
        wire.send(theirs, {"pid": 7})
        wire.send(theirs, {"exit": 3})
        assert wire.receive(ours)[0] == {"pid": 7}
        assert wire.receive(ours)[0] == {"exit": 3}


def test_the_client_knows_the_state_roots_default() -> None:
    assert str(state.DEFAULT_ROOT) == client.DEFAULT_ROOT


# --- served commands ------------------------------------------------------------------------

class Warm:
    """Runs the CLI through a launcher with the warm server on, from any directory."""

    def __init__(self, rc: Richcompose, launcher: Path) -> None:
        self.rc = rc
        self.launcher = launcher

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, str(self.launcher), "--root", str(self.rc.root), *args]

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), "RICHCOMPOSE_WARM": "1", **extra}

    def __call__(self, *args: str, cwd: Path | None = None, stdin: str = "",
                 **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), cwd=cwd or self.rc.project_dir, input=stdin,
                              capture_output=True, text=True, env=self.env(**extra), timeout=60)

    def directory(self) -> Path:
        return self.rc.root / wire.DIRECTORY

    def server_pids(self) -> list[int]:
        return [int(p.read_text()) for p in self.directory().glob("*.pid")]

    def wait_server(self) -> int:
        """The pid of the server the last cold command started, once it listens."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            socks = list(self.directory().glob("*.sock"))
            if socks and self.server_pids():
                return self.server_pids()[0]
            time.sleep(0.05)
        raise AssertionError("no warm server came up")

    def waiting_on_stdin(self, *wrapper: str) -> subprocess.Popen[str]:
        """`config -f -` started with a stdin that stays open: a command that is still
        running (in the client, or in a copy of the server) until its input comes."""
        return subprocess.Popen([*wrapper, *self.argv("-f", "-", "config")],
                                cwd=self.rc.project_dir, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(),
                                text=True)

    def copies_once_served(self, pid: int) -> set[int]:
        """The server's copies, once there is one (or none after 20 s)."""
        deadline = time.monotonic() + 20
        while not self.served_by(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.served_by(pid)

    def runs_in_the_client(self, pid: int, client: subprocess.Popen[str]) -> str:
        """Asserts that the waiting client got no copy of the server; its output."""
        before = set(self.served_by(pid))
        time.sleep(1.0)
        assert self.served_by(pid) == before
        out, err = client.communicate(COMPOSE.replace("./rootfs", "/"), timeout=20)
        assert client.returncode == 0, err
        return out

    def served_by(self, pid: int) -> set[int]:
        """The pids of the server's children now (its command copies)."""
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return {int(c) for c in children.read_text().split()} if children.exists() else set()


@pytest.fixture
def warm(rc: Richcompose, tmp_path: Path) -> Iterator[Warm]:
    launcher = tmp_path / "bin" / "richcompose"
    launcher.parent.mkdir()
    launcher.write_text(LAUNCHER)
    rc.write(COMPOSE)
    rc.root.mkdir(mode=0o700)  # a server is started only for a state root that exists
    runner = Warm(rc, launcher)
    yield runner
    for pid in runner.server_pids():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid)
            os.kill(pid, 0)


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.05)


def _started(warm: Warm) -> int:
    first = warm("config", "-q")  # cold: runs in the client, then starts the server
    assert first.returncode == 0, first.stderr
    return warm.wait_server()


def test_a_served_command_prints_what_the_cold_one_prints(warm: Warm, rc: Richcompose) -> None:
    _started(warm)
    served = warm("config")
    cold = rc("config")
    assert (served.returncode, served.stdout, served.stderr) == (0, cold.stdout, cold.stderr)


def test_a_served_error_is_the_same_one_line_and_exit_code(warm: Warm, rc: Richcompose) -> None:
    _started(warm)
    rc.write(COMPOSE.replace("command:", "comand:"))
    served = warm("config")
    cold = rc("config", check=False)
    assert served.returncode == cold.returncode != 0
    assert served.stderr == cold.stderr and len(served.stderr.splitlines()) >= 1
    assert "Traceback" not in served.stderr


def test_each_served_command_has_its_own_environment_and_directory(warm: Warm,
                                                                    tmp_path: Path) -> None:
    _started(warm)
    other = tmp_path / "other"
    other.mkdir()
    (other / "compose.yaml").write_text(COMPOSE.replace("warmtest", "othertest"))
    assert "- sleep\n    - '7'\n" in warm("config", NAP="7").stdout
    assert "- sleep\n    - '8'\n" in warm("config", NAP="8").stdout
    assert "name: othertest" in warm("config", cwd=other).stdout
    assert "name: warmtest" in warm("config").stdout


def test_a_served_command_reads_the_clients_standard_input(warm: Warm) -> None:
    _started(warm)
    text = COMPOSE.replace("warmtest", "fromstdin").replace("./rootfs", "/")
    out = warm("-f", "-", "config", stdin=text)
    assert out.returncode == 0, out.stderr
    assert "name: fromstdin" in out.stdout


def test_ctrl_c_reaches_the_served_command(warm: Warm) -> None:
    pid = _started(warm)
    client = warm.waiting_on_stdin()
    copies = warm.copies_once_served(pid)
    assert copies, "the command was not served"
    client.send_signal(signal.SIGINT)
    _, err = client.communicate(timeout=20)
    assert client.returncode == 130, err
    for copy in copies:
        _wait_gone(copy)
        assert not Path(f"/proc/{copy}").exists()


def test_a_client_killed_outright_takes_its_served_command_with_it(warm: Warm) -> None:
    pid = _started(warm)
    client = warm.waiting_on_stdin()
    copies = warm.copies_once_served(pid)
    assert copies, "the command was not served"
    client.kill()
    client.communicate(timeout=20)
    for copy in copies:
        _wait_gone(copy)
        assert not Path(f"/proc/{copy}").exists()


def test_changed_code_retires_the_server_and_the_command_still_runs(warm: Warm) -> None:
    pid = _started(warm)
    module = REPO / "richcompose" / "warm" / "wire.py"
    before = module.stat()
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    try:
        out = warm("config", "-q")
        _wait_gone(pid)
        assert out.returncode == 0, out.stderr
        assert not Path(f"/proc/{pid}").exists()
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    warm.wait_server()  # the client started a fresh one


def test_the_server_leaves_with_its_state_root(warm: Warm) -> None:
    pid = _started(warm)
    for path in warm.directory().iterdir():
        path.unlink()
    _wait_gone(pid, timeout=5)
    assert not Path(f"/proc/{pid}").exists()
    assert not leftovers(warm.rc.root)


def test_a_server_directory_open_to_others_is_not_used(warm: Warm) -> None:
    pid = _started(warm)
    warm.directory().chmod(0o755)
    try:
        warm.runs_in_the_client(pid, warm.waiting_on_stdin())
    finally:
        warm.directory().chmod(0o700)


def test_a_client_with_fewer_capabilities_does_not_borrow_the_server(warm: Warm) -> None:
    pid = _started(warm)
    client = warm.waiting_on_stdin("setpriv", "--bounding-set", "-sys_admin")
    assert "name: warmtest" in warm.runs_in_the_client(pid, client)
    deadline = time.monotonic() + 30
    while len(warm.server_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(warm.server_pids()) == 2  # it started one of its own kind, for its next command


@pytest.mark.runc
def test_up_ps_down_served_match_cold(warm: Warm, rc: Richcompose) -> None:
    _started(warm)
    up = warm("up", "-d")
    assert up.returncode == 0, up.stderr
    assert "started" in up.stderr
    served_ps, cold_ps = warm("ps", "--format", "json"), rc("ps", "--format", "json")
    assert served_ps.returncode == 0 and served_ps.stdout == cold_ps.stdout
    assert '"running"' in served_ps.stdout
    down = warm("down", "-t", "0")
    assert down.returncode == 0, down.stderr
    assert rc("ps", "-q").stdout.strip() == ""
