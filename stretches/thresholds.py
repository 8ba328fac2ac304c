"""Per-check threshold overrides: a validated TOML file and named profiles (one per person).

File layout, one table per check id:

    [supine_twist.shoulder_lift]
    threshold = 0.3        # in the check's unit
    debounce_s = 0.5       # optional: seconds the condition must last before the warning starts
    hysteresis = 0.05      # optional: how far back past the threshold the metric must fall to clear
    enabled = true         # optional: false switches the check off

Anything wrong (unknown id or key, wrong type, value out of range, broken TOML) raises ThresholdsError with
one line naming the key. Saving is atomic and validates first, so a bad file never replaces a saved profile.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from stretches.catalog import STRETCHES, Check, all_checks
from vision.atomic import write_text_atomic
from vision.errors import StretchGuardError

SETTING_KEYS = ("threshold", "debounce_s", "hysteresis", "enabled")
MAX_DEBOUNCE_S = 10.0
PROFILE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PROFILES_ENV = "STRETCHGUARD_PROFILES_DIR"


class ThresholdsError(StretchGuardError):
    """A thresholds file or profile that cannot be used; the message names the offending key."""


@dataclass(frozen=True)
class CheckSettings:
    """Overrides for one check; None keeps the catalog default."""

    threshold: float | None = None
    debounce_s: float | None = None
    hysteresis: float | None = None
    enabled: bool | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, key) is None for key in SETTING_KEYS)


@dataclass(frozen=True)
class Thresholds:
    """check id → CheckSettings. Empty = every catalog default."""

    overrides: dict[str, CheckSettings] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for check_id, settings in self.overrides.items():
            _validate_settings(check_id, settings, origin="thresholds")

    def apply(self, check: Check) -> Check:
        """The check with this file's threshold / debounce / hysteresis in place of the defaults."""
        settings = self.overrides.get(check.id)
        if settings is None:
            return check
        changes = {}
        if settings.threshold is not None:
            changes["default_threshold"] = float(settings.threshold)
        if settings.debounce_s is not None:
            changes["debounce_s"] = float(settings.debounce_s)
        if settings.hysteresis is not None:
            changes["hysteresis"] = float(settings.hysteresis)
        return replace(check, **changes) if changes else check

    def threshold(self, check: Check) -> float:
        return self.apply(check).default_threshold

    def is_enabled(self, check_id: str) -> bool:
        settings = self.overrides.get(check_id)
        return settings is None or settings.enabled is None or bool(settings.enabled)

    def with_settings(self, check_id: str, **values: float | bool | None) -> Thresholds:
        """A copy with some settings of one check changed (validated); None resets a setting to default."""
        unknown = sorted(set(values) - set(SETTING_KEYS))
        if unknown:
            raise ThresholdsError(
                f"[{check_id}] {unknown[0]}: unknown setting; use {', '.join(SETTING_KEYS)}"
            )
        current = self.overrides.get(check_id, CheckSettings())
        updated = replace(current, **values)
        overrides = dict(self.overrides)
        if updated.is_empty():
            overrides.pop(check_id, None)
        else:
            overrides[check_id] = updated
        return Thresholds(overrides)

    def with_threshold(self, check_id: str, value: float) -> Thresholds:
        return self.with_settings(check_id, threshold=value)

    def to_toml(self) -> str:
        """Only the overridden settings, with a comment per check giving its unit and direction."""
        checks = all_checks()
        lines = ["# StretchGuard threshold overrides (any check not listed keeps its default)", ""]
        for check_id in sorted(self.overrides, key=_catalog_order):
            settings = self.overrides[check_id]
            check = checks[check_id]
            lines.append(f"# {check.title}: {_describe_rule(check)}")
            lines.append(f"[{check_id}]")
            for key in SETTING_KEYS:
                value = getattr(settings, key)
                if value is not None:
                    lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


def _catalog_order(check_id: str) -> int:
    return list(all_checks()).index(check_id)


def _describe_rule(check: Check) -> str:
    low, high, _step = check.slider_range
    return f"fires when {check.direction} the threshold; unit {check.unit}; allowed {low:g} to {high:g}"


def _toml_value(value: float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _validate_settings(check_id: str, settings: CheckSettings, origin: str) -> None:
    checks = all_checks()
    if check_id not in checks:
        raise ThresholdsError(
            f"{origin}: [{check_id}] is not a known check id (see `stretchguard stretches`)"
        )
    check = checks[check_id]
    low, high, _step = check.slider_range
    if settings.threshold is not None:
        if not _is_number(settings.threshold):
            raise ThresholdsError(
                f"{origin}: [{check_id}] threshold must be a number, got {settings.threshold!r}"
            )
        if not low <= settings.threshold <= high:
            raise ThresholdsError(
                f"{origin}: [{check_id}] threshold = {settings.threshold:g} is out of range "
                f"{low:g} to {high:g} ({check.unit})"
            )
    if settings.debounce_s is not None:
        if not _is_number(settings.debounce_s):
            raise ThresholdsError(
                f"{origin}: [{check_id}] debounce_s must be a number, got {settings.debounce_s!r}"
            )
        if not 0.0 <= settings.debounce_s <= MAX_DEBOUNCE_S:
            raise ThresholdsError(
                f"{origin}: [{check_id}] debounce_s = {settings.debounce_s:g} is out of range 0 to "
                f"{MAX_DEBOUNCE_S:g} (s)"
            )
    if settings.hysteresis is not None:
        if not _is_number(settings.hysteresis):
            raise ThresholdsError(
                f"{origin}: [{check_id}] hysteresis must be a number, got {settings.hysteresis!r}"
            )
        span = high - low
        if not 0.0 <= settings.hysteresis <= span:
            raise ThresholdsError(
                f"{origin}: [{check_id}] hysteresis = {settings.hysteresis:g} is out of range 0 to {span:g} "
                f"({check.unit})"
            )
    if settings.enabled is not None and not isinstance(settings.enabled, bool):
        raise ThresholdsError(
            f"{origin}: [{check_id}] enabled must be true or false, got {settings.enabled!r}"
        )


def parse_thresholds(text: str, origin: str = "thresholds") -> Thresholds:
    """Parse and validate TOML text; `origin` (usually the file name) prefixes every error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThresholdsError(f"{origin}: not valid TOML ({error})") from None
    checks = all_checks()
    overrides: dict[str, CheckSettings] = {}
    for group, group_value in data.items():
        if not isinstance(group_value, dict):
            raise ThresholdsError(f"{origin}: {group} must be a table like [{group}.<check>], not a value")
        if group != "common" and group not in STRETCHES:
            raise ThresholdsError(f"{origin}: [{group}] is not a stretch id or 'common'")
        for name, table in group_value.items():
            check_id = f"{group}.{name}"
            if check_id not in checks:
                raise ThresholdsError(
                    f"{origin}: [{check_id}] is not a known check id (see `stretchguard stretches`)"
                )
            if not isinstance(table, dict):
                raise ThresholdsError(f"{origin}: {check_id} must be a table with threshold = <number>")
            unknown = [key for key in table if key not in SETTING_KEYS]
            if unknown:
                raise ThresholdsError(
                    f"{origin}: [{check_id}] {unknown[0]} is not a setting; use {', '.join(SETTING_KEYS)}"
                )
            settings = CheckSettings(**{key: table.get(key) for key in SETTING_KEYS})
            _validate_settings(check_id, settings, origin)
            if not settings.is_empty():
                overrides[check_id] = settings
    return Thresholds(overrides)


def load_thresholds(path: str | os.PathLike) -> Thresholds:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ThresholdsError(f"thresholds file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ThresholdsError(f"{path.name}: cannot be read as UTF-8 text ({error})") from None
    return parse_thresholds(text, origin=path.name)


def save_thresholds(thresholds: Thresholds, path: str | os.PathLike) -> Path:
    """Write atomically; the text is re-parsed first so nothing invalid ever lands on disk."""
    text = thresholds.to_toml()
    parse_thresholds(text, origin=Path(path).name)
    return write_text_atomic(path, text)


def default_thresholds_toml() -> str:
    """Every check with its default threshold, debounce and hysteresis, commented, ready to edit."""
    lines = [
        "# StretchGuard thresholds: every check with its default settings.",
        "# threshold is in the check's unit; the warning fires when the metric is above / below it for at",
        "# least debounce_s seconds, and clears once it is back past threshold -/+ hysteresis.",
        "# Delete what you do not change; unknown ids, wrong types and out-of-range values are rejected.",
        "",
    ]
    for check_id, check in all_checks().items():
        low, high, _step = check.slider_range
        lines.append(f"# {check.title} ({check.role}): {check.description}")
        lines.append(f"# {_describe_rule(check)}")
        lines.append(f"[{check_id}]")
        lines.append(f"threshold = {_toml_value(check.default_threshold)}")
        if check.kind == "frame":
            lines.append(f"debounce_s = {_toml_value(check.debounce_s)}")
            lines.append(f"hysteresis = {_toml_value(check.hysteresis)}")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- named profiles


def profiles_dir() -> Path:
    """$STRETCHGUARD_PROFILES_DIR, else $XDG_CONFIG_HOME/stretchguard/profiles (~/.config by default)."""
    explicit = os.environ.get(PROFILES_ENV)
    if explicit:
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "stretchguard" / "profiles"


def _profile_path(name: str) -> Path:
    if not isinstance(name, str) or not PROFILE_NAME_PATTERN.match(name):
        raise ThresholdsError(
            f"profile name {name!r} is not allowed; use letters, digits, '-' or '_' (up to 64 characters)"
        )
    return profiles_dir() / f"{name}.toml"


def list_profiles() -> list[str]:
    folder = profiles_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if PROFILE_NAME_PATTERN.match(p.stem))


def load_profile(name: str) -> Thresholds:
    path = _profile_path(name)
    if not path.is_file():
        known = ", ".join(list_profiles()) or "none saved yet"
        raise ThresholdsError(f"no profile named '{name}' (profiles: {known})")
    return load_thresholds(path)


def save_profile(name: str, thresholds: Thresholds) -> Path:
    return save_thresholds(thresholds, _profile_path(name))


def import_profile(name: str, source: str | os.PathLike) -> Path:
    """Validate a thresholds file and store it as a profile; a bad file leaves any saved profile untouched."""
    thresholds = load_thresholds(source)
    return save_profile(name, thresholds)


def delete_profile(name: str) -> None:
    path = _profile_path(name)
    if not path.is_file():
        raise ThresholdsError(f"no profile named '{name}' to delete")
    path.unlink()
