"""Torso colour as an identity cue: how much a colour looks like the other person, table-driven."""

from __future__ import annotations

import numpy as np
import pytest

from vision.appearance import colours_differ, likeness_to_other

OWN = np.array([136.0, 200.0, 190.0])
OTHER = np.array([80.0, 150.0, 60.0])  # 150 Lab units from OWN
MIN_SEPARATION = 25.0


@pytest.mark.parametrize(
    ("case", "colour", "own", "other", "expected"),
    [
        ("exactly this person's colour", OWN, OWN, OTHER, 0.0),
        ("exactly the other's colour", OTHER, OWN, OTHER, 1.0),
        ("half way between", (OWN + OTHER) / 2, OWN, OTHER, 0.0),
        ("three quarters toward the other", OWN + 0.75 * (OTHER - OWN), OWN, OTHER, 0.5),
        ("past the other's colour", OTHER + (OTHER - OWN) * 0.2, OWN, OTHER, 1.0),
        ("the two dress alike", OTHER, OWN, OWN + 10.0, 0.0),
        ("colour not measured", None, OWN, OTHER, 0.0),
        ("colour not finite", np.array([np.nan, 0.0, 0.0]), OWN, OTHER, 0.0),
        ("this person's colour not yet learnt", OTHER, None, OTHER, 0.0),
        ("the other's colour not yet learnt", OTHER, OWN, None, 0.0),
    ],
)
def test_likeness_to_other(case, colour, own, other, expected):
    assert likeness_to_other(colour, own, other, MIN_SEPARATION) == pytest.approx(expected, abs=1e-6), case


@pytest.mark.parametrize(
    ("a", "b", "differ"),
    [(OWN, OTHER, True), (OWN, OWN + 5.0, False), (None, OTHER, False), (OWN, None, False)],
)
def test_colours_differ(a, b, differ):
    assert colours_differ(a, b, MIN_SEPARATION) == differ


def test_the_estimators_poses_carry_colours_that_tell_the_two_people_apart(model_path):
    # real model on a rendered sample: each pose's torso colour is nearer its own person's than the other's
    import av

    from tests.rendered_runs import SAMPLES
    from vision.estimator import EstimatorSettings, PoseEstimator
    from vision.tracking import DEFAULT_TRACKER_SETTINGS

    clip = "seated_thoracic_extension_good"
    with np.load(SAMPLES / f"{clip}.truth.npz") as data:
        truth = data["joints_2d"]
    colours: dict[int, list[np.ndarray]] = {0: [], 1: []}
    with PoseEstimator(model_path, EstimatorSettings(strategy="cascade")) as estimator, \
            av.open(str(SAMPLES / f"{clip}.mp4")) as source:
        for index, frame in enumerate(source.decode(video=0)):
            if index >= 60:
                break
            image = frame.to_ndarray(format="bgr24")
            size = np.array(image.shape[1::-1], dtype=np.float32)
            for pose in estimator.detect(image, int(round(frame.time * 1000))).poses:
                pixels = pose.landmarks[:, :2] * size
                errors = [np.nanmean(np.linalg.norm(pixels - truth[index, k], axis=-1)) for k in (0, 1)]
                if pose.appearance is not None:
                    colours[int(np.argmin(errors))].append(pose.appearance)
    assert len(colours[0]) >= 50 and len(colours[1]) >= 50
    own = [np.median(colours[person], axis=0) for person in (0, 1)]
    separation = DEFAULT_TRACKER_SETTINGS.appearance_min_separation
    assert np.linalg.norm(own[0] - own[1]) > separation  # the cue is on for these two
    likeness = [likeness_to_other(colour, own[person], own[1 - person], separation)
                for person in (0, 1) for colour in colours[person]]
    assert np.mean(np.array(likeness) < 0.5) >= 0.95
