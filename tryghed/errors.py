"""The package's exceptions: each carries a message written for the person who has to fix the input."""

from __future__ import annotations


class TryghedError(Exception):
    """Base class: the CLI prints these without a traceback and exits with code 2."""


class ConfigError(TryghedError):
    """A pipeline YAML that cannot be used: names the file, the key and the fix."""


class InputError(TryghedError):
    """A raw input that cannot be used: names the file, the row or column, what was expected and what to do."""

    def __init__(self, path, problem: str, fix: str, where: str | None = None):
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        self.where = where
        place = f" ({where})" if where else ""
        super().__init__(f"{self.path}{place}: {problem}. {fix}")
