"""Integration machinery: patches kept as a data table, installed and removed idempotently.

An :class:`Integration` (Sentry-shaped) has an ``identifier``, ``install()`` and
``uninstall()``. ``install`` raises :class:`DidNotEnable` when the client library is absent
or too old (silent under auto-install); ``uninstall`` restores the exact original attributes.
Each row of the patch table names ``module``, ``"Class.method"`` and the wrapper to apply.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import wrapt

logger = logging.getLogger("spyglass.sdk")

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


class DidNotEnable(Exception):  # noqa: N818 (Sentry's name, kept on purpose)
    """The integration cannot be enabled here (library missing or too old)."""


@dataclass(frozen=True, slots=True)
class Patch:
    module: str
    target: str  # "Class.method", or "function" for a module-level function
    wrapper: Wrapper


def _version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


class Integration:
    """Patches one client library. Subclasses set ``identifier``, ``package``, ``min_version``, ``patches``."""

    identifier: str = ""
    package: str = ""  # distribution name, checked with importlib.metadata
    module: str = ""  # import name whose import triggers the patching ("" = same as package)
    min_version: tuple[int, ...] = ()

    def __init__(self) -> None:
        self.tracer_provider: Any = None  # set before install(); used by instrumentor-based ones
        self._originals: list[tuple[Any, str, Any]] = []
        self._wanted = False
        self._lock = threading.Lock()

    def patches(self) -> Sequence[Patch]:
        raise NotImplementedError

    @property
    def installed(self) -> bool:
        """True once installed, whether patched already or waiting for the app's import."""
        return self._wanted

    @property
    def patched(self) -> bool:
        return bool(self._originals)

    def install(self) -> None:
        """Patch now if the library is imported; otherwise patch when the app imports it.

        Deferring keeps ``spyglass.init`` from importing (slow, heavy) client libraries the
        app never uses. Raises DidNotEnable when the library is absent or too old.
        """
        if self._wanted:
            return
        try:
            version = metadata.version(self.package)
        except metadata.PackageNotFoundError:
            raise DidNotEnable(f"{self.package} is not installed") from None
        if _version_tuple(version) < self.min_version:
            wanted = ".".join(map(str, self.min_version))
            raise DidNotEnable(f"{self.package} {version} is older than the supported {wanted}")
        self._check_requirements()
        self._wanted = True
        module = self.module or self.package
        if module in sys.modules:
            self._apply()
        else:
            wrapt.register_post_import_hook(self._on_import, module)

    def _check_requirements(self) -> None:
        """Raise DidNotEnable when something else this integration needs is missing."""

    def _on_import(self, module: Any) -> None:
        try:
            self._apply()
        except Exception:
            logger.warning("spyglass: patching %s failed; calls are not traced", self.package, exc_info=True)

    def _apply(self) -> None:
        with self._lock:
            if not self._wanted or self._originals:
                return
            self._apply_patches()

    def _apply_patches(self) -> None:
        for patch in self.patches():
            try:
                module = importlib.import_module(patch.module)
                owner_name, _, attr = patch.target.rpartition(".")
                owner = module
                for part in owner_name.split(".") if owner_name else ():
                    owner = getattr(owner, part)
                original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
            except (ImportError, AttributeError, KeyError):
                logger.debug(
                    "spyglass: %s has no %s.%s; skipping that patch", self.package, patch.module, patch.target
                )
                continue
            if _is_ours(original):
                continue  # patched by an earlier install that was never undone: do not stack
            setattr(owner, attr, wrapt.FunctionWrapper(original, patch.wrapper))
            self._originals.append((owner, attr, original))
        if not self._originals and self.patches():
            logger.warning(
                "spyglass: %s has none of the expected methods; calls are not traced", self.package
            )

    def uninstall(self) -> None:
        """Restore the original methods (and cancel a pending patch-on-import)."""
        with self._lock:
            self._wanted = False
            while self._originals:
                owner, attr, original = self._originals.pop()
                setattr(owner, attr, original)


def _is_ours(obj: Any) -> bool:
    wrapper = getattr(obj, "_self_wrapper", None) if isinstance(obj, wrapt.FunctionWrapper) else None
    return bool(wrapper is not None and getattr(wrapper, "__name__", "").startswith("_spyglass_patched"))


def all_integrations() -> dict[str, type[Integration]]:
    from spyglass.sdk.integrations.anthropic import AnthropicIntegration
    from spyglass.sdk.integrations.frameworks import FRAMEWORK_INTEGRATIONS
    from spyglass.sdk.integrations.openai import OpenAIIntegration

    classes: tuple[type[Integration], ...] = (
        OpenAIIntegration,
        AnthropicIntegration,
        *FRAMEWORK_INTEGRATIONS,
    )
    return {cls.identifier: cls for cls in classes}


def install_integrations(
    names: Sequence[str] | None,
    disabled: Iterable[str] = (),
    tracer_provider: Any = None,
) -> list[Integration]:
    """Install the named integrations minus ``disabled`` (``None`` = every installed client and
    framework, silently skipping absent ones).

    An explicitly named integration that cannot be enabled is logged at WARNING; an unknown
    name in ``names`` raises ``ValueError`` (programmer error). Unknown ``disabled`` names are
    checked by the caller. Framework integrations instrument with ``tracer_provider``.
    """
    available = all_integrations()
    explicit = names is not None
    wanted = list(names) if names is not None else list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise ValueError(f"unknown integrations {unknown}; known: {sorted(available)}")
    skip = set(disabled)
    installed: list[Integration] = []
    for name in wanted:
        if name in skip:
            logger.debug("spyglass: %s integration disabled", name)
            continue
        integration = available[name]()
        integration.tracer_provider = tracer_provider
        try:
            integration.install()
        except DidNotEnable as exc:
            (logger.warning if explicit else logger.debug)(
                "spyglass: %s integration not enabled: %s", name, exc
            )
            continue
        except Exception:
            logger.warning("spyglass: %s integration failed to install", name, exc_info=True)
            integration.uninstall()
            continue
        installed.append(integration)
    return installed
