"""The warm command server: a process that has already imported the CLI, the config models and
the engine, and forks a copy of itself to run a client's command, as Mercurial's `chg` does.

Every `richcompose` command is otherwise a new Python process that spends ~0.2-0.4 s importing
pydantic, building the project models and loading the engine before it touches a container.
The server holds no state of its own (records, locks and containers stay where the commands
keep them); it is only imported code. When there is none, or it does not match the client
exactly (wire.identity), the command runs in the client's process as before.

  client.py  the `richcompose` entry point: routes a command to the server or runs it here
  server.py  the server: accepts, checks, forks, applies the client's process settings, runs
  wire.py    what both sides share: the identity that must match, the socket, the framing
"""
