"""How a credential crosses a process boundary (pickle, cloudpickle: Dask, Ray, multiprocessing)
without its secrets.

A pickled credential carries only its recipe: the login type, the non-secret settings, the
extra trusted suffixes and the plain options. The copy rebuilds itself with get_credential in
the receiving process, reading secrets from that process's environment (or its saved login),
and shares tokens through that machine's token store. A secret that is missing there is a
ConfigurationError naming the variable. ``pickle_secrets=True`` (an explicit, documented
opt-in) puts the secrets in the recipe too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Recipe", "rebuild"]

# Options that survive pickling: plain values only (callables, transports and clocks do not).
PICKLED_OPTIONS = (
    "connection_verify",
    "process_timeout",
    "token_timeout",
    "token_store",
    "pickle_secrets",
)


@dataclass(frozen=True)
class Recipe:
    asynchronous: bool
    login_type: str | None  # None: the receiving process's saved login
    overrides: Mapping[str, str] = field(repr=False)
    trusted_microsoft_suffixes: tuple[str, ...]
    options: Mapping[str, Any]

    @classmethod
    def of(
        cls,
        *,
        asynchronous: bool,
        login_type: str,
        from_saved_login: bool,
        settings: Mapping[str, str],
        extra_suffixes: tuple[str, ...],
        keywords: Mapping[str, Any],
    ) -> Recipe:
        options = {
            name: keywords[name]
            for name in PICKLED_OPTIONS
            if isinstance(keywords.get(name), (str, int, float, bool))
        }
        return cls(
            asynchronous,
            None if from_saved_login else login_type,
            dict(settings),
            extra_suffixes,
            options,
        )


def rebuild(recipe: Recipe) -> Any:
    """The unpickled credential: built again, in this process, from the recipe."""
    from .resolve import get_async_credential, get_credential

    make = get_async_credential if recipe.asynchronous else get_credential
    keywords: dict[str, Any] = {**recipe.overrides, **recipe.options}
    if recipe.login_type is not None:
        keywords["login_type"] = recipe.login_type
    if recipe.trusted_microsoft_suffixes:
        keywords["trusted_microsoft_suffixes"] = list(recipe.trusted_microsoft_suffixes)
    return make(None, **keywords)
