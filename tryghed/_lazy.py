"""Modules imported on first use (the standard library's :class:`importlib.util.LazyLoader`).

Reading and checking a configuration (``tryghed validate``) touches every kind module, but only a run computes
statistics: the kinds, ``indicators`` and ``changes`` bind :mod:`tryghed.stats` lazily so that scipy and statsmodels
load when a test is computed. A kernel started ahead of its notebook loads, with :func:`load_for`, what the notebook's
own modules bound this way.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


#: The modules bound lazily so far in this process, each with the modules that bound it.
_LAZY: dict[str, set[str]] = {}


def lazy_module(name: str) -> ModuleType:
    """``name`` as a module whose code runs at its first attribute access (at once if it is already imported)."""
    requester = sys._getframe(1).f_globals.get("__name__", "")
    if name in sys.modules:
        if name in _LAZY:
            _LAZY[name].add(requester)
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _LAZY[name] = {requester}
    return module


def load_for(namespace: dict) -> None:
    """Run now the code of the lazily bound modules that a module in ``namespace`` (a notebook's globals) bound
    itself. A kernel started ahead of its notebook does this while another notebook runs, so that 03_indicators
    finds scipy and statsmodels imported, while 01_ingest, whose modules only reach :mod:`tryghed.stats` through
    the configuration's kinds, does not import them for nothing."""
    used = {v.__name__ for v in namespace.values() if isinstance(v, ModuleType)}
    for name, requesters in _LAZY.items():
        module = sys.modules.get(name)
        if module is not None and requesters & used:
            getattr(module, "__dict__", None)
