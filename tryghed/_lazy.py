"""Modules imported on first use (the standard library's :class:`importlib.util.LazyLoader`).

Reading and checking a configuration (``tryghed validate``) touches every kind module, but only a run computes
statistics: the kinds bind :mod:`tryghed.stats` lazily so that scipy and statsmodels load when a test is computed.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """``name`` as a module whose code runs at its first attribute access (at once if it is already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _LAZY.append(name)
    return module


#: The modules bound lazily so far in this process.
_LAZY: list[str] = []


def load_all() -> None:
    """Run the code of every lazily bound module now (a kernel started ahead of its notebook does this while
    another notebook runs, so the notebook finds scipy and statsmodels imported)."""
    for name in _LAZY:
        module = sys.modules.get(name)
        if module is not None:
            getattr(module, "__dict__", None)
