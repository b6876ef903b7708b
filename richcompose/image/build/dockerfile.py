"""What a Dockerfile needs from outside: the images its FROM, COPY --from and RUN --mount=from
name. richcompose resolves those itself (mirrors, credentials, its own store) and hands them to
buildah, which then never contacts a registry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    arguments: str
    line: int


def instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped (heredoc bodies are
    skipped: they are RUN/COPY content, never FROM)."""
    lines = text.splitlines()
    escape = "\\"
    for line in lines:  # parser directives come first, before any instruction or comment
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
    out: list[Instruction] = []
    i = 0
    while i < len(lines):
        start = i
        stripped = lines[i].strip()
        i += 1
        if not stripped or stripped.startswith("#"):
            continue
        parts = [stripped]
        while parts[-1].endswith(escape) and i < len(lines):
            parts[-1] = parts[-1][:-1]
            nxt = lines[i].strip()
            i += 1
            # comments and empty lines inside a continuation are dropped; it goes on
            parts.append(escape if not nxt or nxt.startswith("#") else nxt)
        joined = " ".join(p for p in parts if p)
        keyword, _, arguments = joined.partition(" ")
        heredoc = re.search(r"<<-?[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?", arguments)
        if heredoc:
            end = heredoc.group(1)
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1
        out.append(Instruction(keyword.upper(), arguments.strip(), start + 1))
    return out


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Dockerfile variable expansion: $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}."""
    def expand(match: re.Match[str]) -> str:
        name, operator, word = match.group(1) or match.group(4), match.group(2), match.group(3)
        value = values.get(name)
        if operator == "-":
            return value if value else word or ""
        if operator == "+":
            return (word or "") if value else ""
        return value or ""

    return _VARIABLE.sub(expand, text)


@dataclass(frozen=True)
class Stage:
    base: str  # the FROM image (expanded), or an earlier stage's name
    name: str | None
    line: int


def stages(text: str, args: Mapping[str, str | None]) -> list[Stage]:
    """The stages in order; FROM images expanded with the ARGs declared before the first FROM
    (their defaults overridden by the build args)."""
    values: dict[str, str] = {}
    out: list[Stage] = []
    for ins in instructions(text):
        if ins.keyword == "ARG" and not out:
            for decl in ins.arguments.split():
                key, sep, default = decl.partition("=")
                given = args.get(key)
                if given is not None:
                    values[key] = given
                elif sep:
                    values[key] = substitute(default.strip("\"'"), values)
        elif ins.keyword == "FROM":
            words = [w for w in ins.arguments.split() if not w.startswith("--")]
            if not words:
                continue
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            out.append(Stage(substitute(words[0], values), name, ins.line))
    return out


def external_images(text: str, args: Mapping[str, str | None],
                    contexts: Mapping[str, str] | None = None) -> list[str]:
    """Images the build needs from outside, in order of first use: FROM bases that are not an
    earlier stage or `scratch`, and the same for COPY --from / RUN --mount=from sources."""
    found = stages(text, args)
    named: set[str] = set()
    images: list[str] = []
    contexts = contexts or {}

    def want(ref: str) -> None:
        if ref.lower() == "scratch" or ref in named or ref in contexts or ref.isdigit() \
                or ref in images:
            return
        images.append(ref)

    index = 0
    for ins in instructions(text):
        if ins.keyword == "FROM":
            stage = found[index]
            index += 1
            want(stage.base)
            if stage.name:
                named.add(stage.name)
        elif ins.keyword == "COPY":
            for flag in re.findall(r"--from=(\S+)", ins.arguments):
                want(flag)
        elif ins.keyword == "RUN":
            for mount in re.findall(r"--mount=(\S+)", ins.arguments):
                for option in mount.split(","):
                    key, _, value = option.partition("=")
                    if key == "from" and value:
                        want(value)
    return images


def replace_references(text: str, names: Mapping[str, str]) -> str:
    """`text` with each image reference of `names` (a whole word after a space or `=`, as in
    `FROM x` or `--from=x`) replaced by its value."""
    for old, new in names.items():
        text = re.sub(rf"(?<=[\s=]){re.escape(old)}(?=\s|$)", new.replace("\\", r"\\"), text)
    return text
