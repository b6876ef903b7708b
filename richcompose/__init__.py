"""richcompose: rich containers (a real init as PID 1, init scripts on every start) from
compose-style project files, brought up in dependency order under runc."""

__version__ = "0.1.0"
