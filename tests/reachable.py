"""Everything reachable from an object, for tests that prove a secret cannot be reached from
what the SDK hands out (hook arguments, errors)."""

from __future__ import annotations

import dataclasses
import gc
import sys
import types

__all__ = ["reachable", "texts"]


def reachable(root: object) -> list[object]:
    """Every object reachable from ``root`` through data: instances, containers, exceptions and
    their tracebacks and frames (locals included); not classes, modules or code."""
    skip = (type, types.ModuleType, types.CodeType, types.FunctionType, types.BuiltinFunctionType)
    module_dicts = {id(vars(m)) for m in list(sys.modules.values()) if m}
    seen: dict[int, object] = {}
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip) or id(obj) in module_dicts:
            continue
        seen[id(obj)] = obj
        if isinstance(obj, types.FrameType):
            stack.extend(obj.f_locals.values())
            continue
        if isinstance(obj, BaseException):
            stack.extend([obj.__traceback__, obj.__context__, obj.__cause__, obj.args])
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
        stack.extend(gc.get_referents(obj))
    return list(seen.values())


def texts(objects: list[object]) -> str:
    parts: list[str] = []
    for obj in objects:
        if isinstance(obj, str):
            parts.append(obj)
        elif isinstance(obj, (bytes, bytearray)):
            parts.append(bytes(obj).decode("latin-1"))
    return "\n".join(parts)
