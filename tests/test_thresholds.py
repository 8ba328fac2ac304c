"""Threshold files: overrides apply, bad input is a one-line error naming the key, saving is atomic."""

import pytest

from stretches.catalog import all_checks, get_stretch
from stretches.thresholds import (
    Thresholds,
    ThresholdsError,
    default_thresholds_toml,
    import_profile,
    list_profiles,
    load_profile,
    load_thresholds,
    parse_thresholds,
    save_profile,
    save_thresholds,
)
from vision.errors import StretchGuardError


@pytest.fixture(autouse=True)
def _profiles_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("STRETCHGUARD_PROFILES_DIR", str(tmp_path / "profiles"))


def test_override_applies_to_the_check():
    t = parse_thresholds("[supine_twist.shoulder_lift]\nthreshold = 0.3\ndebounce_s = 1.5\n")
    check = get_stretch("supine_twist").check("supine_twist.shoulder_lift")
    applied = t.apply(check)
    assert applied.default_threshold == 0.3 and applied.debounce_s == 1.5
    assert applied.hysteresis == check.hysteresis
    other = get_stretch("supine_twist").check("supine_twist.hand_placement")
    assert t.apply(other) == other


def test_enabled_false_switches_a_check_off():
    t = parse_thresholds("[common.jerky_motion]\nenabled = false\n")
    assert not t.is_enabled("common.jerky_motion") and t.is_enabled("supine_twist.shoulder_lift")


def test_default_file_round_trips_to_the_defaults():
    t = parse_thresholds(default_thresholds_toml())
    checks = all_checks()
    assert set(t.overrides) == set(checks)
    for check in checks.values():
        assert t.apply(check) == check


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[supine_twist.no_such_check]\nthreshold = 1\n", "supine_twist.no_such_check"),
        ("[headstand.depth]\nthreshold = 1\n", "headstand"),
        ('[supine_twist.shoulder_lift]\nthreshold = "high"\n', "supine_twist.shoulder_lift] threshold"),
        ("[supine_twist.shoulder_lift]\nthreshold = true\n", "supine_twist.shoulder_lift] threshold"),
        ("[supine_twist.shoulder_lift]\nthreshold = 5.0\n", "supine_twist.shoulder_lift] threshold = 5"),
        ("[supine_twist.shoulder_lift]\ndebounce_s = -1\n", "supine_twist.shoulder_lift] debounce_s"),
        ("[supine_twist.shoulder_lift]\nhysteresis = 9\n", "supine_twist.shoulder_lift] hysteresis"),
        ("[supine_twist.shoulder_lift]\nenabled = 1\n", "supine_twist.shoulder_lift] enabled"),
        ("[supine_twist.shoulder_lift]\nthreshhold = 0.3\n", "threshhold"),
        ("supine_twist = 3\n", "supine_twist"),
        ("[supine_twist.shoulder_lift\nthreshold = 0.3\n", "not valid TOML"),
    ],
)
def test_bad_input_is_a_one_line_error_naming_the_key(text, needle):
    with pytest.raises(ThresholdsError) as info:
        parse_thresholds(text, origin="mine.toml")
    message = str(info.value)
    assert isinstance(info.value, StretchGuardError)
    assert needle in message and message.startswith("mine.toml") and "\n" not in message


def test_load_names_the_file_and_missing_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[prone_quad.hip_lift]\nthreshold = 0.25\n")
    assert load_thresholds(path).threshold(get_stretch("prone_quad").check("prone_quad.hip_lift")) == 0.25
    with pytest.raises(ThresholdsError, match="not found"):
        load_thresholds(tmp_path / "missing.toml")


def test_save_then_load_round_trip(tmp_path):
    t = Thresholds().with_threshold("butterfly.soles_apart", 0.5)
    t = t.with_settings("common.jerky_motion", enabled=False)
    path = save_thresholds(t, tmp_path / "out.toml")
    assert load_thresholds(path) == t
    assert not list(tmp_path.glob(".thresholds-*")), "no temp file left behind"


def test_with_settings_validates():
    with pytest.raises(ThresholdsError, match="butterfly.soles_apart"):
        Thresholds().with_threshold("butterfly.soles_apart", 50.0)
    assert (
        Thresholds()
        .with_threshold("butterfly.soles_apart", 0.5)
        .with_settings("butterfly.soles_apart", threshold=None)
        == Thresholds()
    )


def test_profiles_save_list_load(tmp_path):
    assert list_profiles() == []
    save_profile("anna", Thresholds().with_threshold("prone_quad.hip_lift", 0.3))
    save_profile("ben", Thresholds())
    assert list_profiles() == ["anna", "ben"]
    assert load_profile("anna").overrides["prone_quad.hip_lift"].threshold == 0.3
    with pytest.raises(ThresholdsError, match="no profile named 'carl'"):
        load_profile("carl")
    with pytest.raises(ThresholdsError, match="not allowed"):
        save_profile("../evil", Thresholds())


def test_bad_file_never_overwrites_a_saved_profile(tmp_path):
    good = Thresholds().with_threshold("prone_quad.hip_lift", 0.3)
    path = save_profile("anna", good)
    before = path.read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text("[prone_quad.hip_lift]\nthreshold = 99\n")
    with pytest.raises(ThresholdsError, match="prone_quad.hip_lift"):
        import_profile("anna", bad)
    assert path.read_bytes() == before
    assert load_profile("anna") == good
