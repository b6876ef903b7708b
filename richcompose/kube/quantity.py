"""Kubernetes resource quantities (`500m`, `1Gi`, `268435456`): written and checked."""

from __future__ import annotations

import re
from decimal import Decimal

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|)$")
_SUFFIX: dict[str, Decimal] = {
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60), "n": Decimal("1e-9"), "u": Decimal("1e-6"),
    "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal(10**3), "M": Decimal(10**6),
    "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18)}


def is_quantity(text: object) -> bool:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text >= 0
    if not isinstance(text, str):
        return False
    match = _QUANTITY.match(text)
    return match is not None and match.group(1).count(".") <= 1 and match.group(1) != "."


def value(text: str | int | float) -> Decimal:
    """The quantity's value in base units (bytes, cores)."""
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    number, suffix = match.groups()
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return Decimal(number) * (Decimal(10) ** int(suffix[1:]))
    return Decimal(number) * _SUFFIX[suffix]


def memory(size: int) -> str:
    """Bytes, in the largest binary unit that divides them (256Mi rather than 268435456)."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = int(_SUFFIX[suffix])
        if size >= unit and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def cpu(cores: float) -> str:
    """Cores, as whole cores or millicores (0.5 → 500m); at least 1m."""
    milli = max(1, round(cores * 1000))
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
