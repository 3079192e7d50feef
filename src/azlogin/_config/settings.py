"""Reading one login type's settings from the environment mapping and the override keywords.

Pure: the mapping is passed in, nothing here reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .._errors import ConfigurationError, refuse_pickling
from .variables import Variable

__all__ = ["Settings", "blank_to_none", "read_settings"]


def blank_to_none(value: str | None) -> str | None:
    """Strip surrounding whitespace; an empty result means "not set"."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


class Settings(NamedTuple):
    """The values one login type reads, by setting name, and where each came from.

    ``repr`` never shows a secret's value.
    """

    login_type: str
    variables: tuple[Variable, ...]
    values: Mapping[str, str]
    from_keyword: frozenset[str]

    def get(self, setting: str) -> str | None:
        return self.values.get(setting)

    def variable(self, setting: str) -> Variable:
        for variable in self.variables:
            if variable.setting == setting:
                return variable
        raise KeyError(setting)

    def label(self, setting: str) -> str:
        """How messages name a setting: its variable, or the keyword that set it."""
        if setting in self.from_keyword:
            return f"the {setting}= keyword"
        return self.variable(setting).name

    def where(self, setting: str) -> dict[str, str | None]:
        """A ConfigurationError's ``variable`` and ``keyword`` fields for a setting."""
        return {"variable": self.variable(setting).name, "keyword": setting}

    def missing(self, setting: str, meaning: str) -> ConfigurationError:
        """The error for a required setting that is not set: names the variable and the fix."""
        name = self.variable(setting).name
        return ConfigurationError(
            f"{self.login_type} login needs {name} ({meaning}): set {name}, "
            f"or pass {setting}= to get_credential().",
            **self.where(setting),
        )

    def with_value(self, setting: str, value: str) -> Settings:
        """A copy with ``setting`` set (as if by its keyword): for values the plan derives."""
        return Settings(
            self.login_type,
            self.variables,
            {**self.values, setting: value},
            self.from_keyword | {setting},
        )

    def require(self, setting: str, meaning: str) -> str:
        """The setting's value, or the :meth:`missing` error."""
        value = self.values.get(setting)
        if value is None:
            raise self.missing(setting, meaning)
        return value

    def public(self) -> dict[str, str]:
        """The non-secret values, for reprs and logs."""
        return {
            variable.setting: self.values[variable.setting]
            for variable in self.variables
            if not variable.secret and variable.setting in self.values
        }

    def __repr__(self) -> str:
        shown = ", ".join(f"{key}={value!r}" for key, value in self.public().items())
        return f"Settings({self.login_type}: {shown})"

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


def read_settings(
    login_type: str,
    variables: Iterable[Variable],
    env: Mapping[str, str],
    overrides: Mapping[str, str | None],
) -> Settings:
    """Each variable's value from ``env``, unless its override keyword is given (not None)."""
    variables = tuple(variables)
    values: dict[str, str] = {}
    from_keyword: set[str] = set()
    for variable in variables:
        override = overrides.get(variable.setting)
        if override is not None:
            value = blank_to_none(override)
            from_keyword.add(variable.setting)
        else:
            value = blank_to_none(env.get(variable.name))
        if value is not None:
            values[variable.setting] = value
    return Settings(login_type, variables, values, frozenset(from_keyword))
