"""Mirrored re-detection: the masked frame is also searched mirrored left-right, and a pose found there is
brought back into the image's own frame (x flipped, left and right landmarks swapped)."""

from __future__ import annotations

import numpy as np
import pytest

from stretches.catalog import MIRROR_REDETECT, get_stretch
from tests.rendered_runs import people_found
from vision.estimator import DEFAULT_SETTINGS, EstimatorSettings, Pose, mirror_pose
from vision.landmarks import Landmark as L


def _pose(seed: int = 0) -> Pose:
    rng = np.random.default_rng(seed)
    return Pose(rng.uniform(0, 1, (33, 4)).astype(np.float32), rng.normal(0, 0.3, (33, 3)).astype(np.float32),
                redetected=True)


@pytest.mark.parametrize(
    ("landmark", "twin"),
    [
        (L.LEFT_WRIST, L.RIGHT_WRIST),
        (L.RIGHT_KNEE, L.LEFT_KNEE),
        (L.LEFT_EAR, L.RIGHT_EAR),
        (L.MOUTH_RIGHT, L.MOUTH_LEFT),
        (L.NOSE, L.NOSE),
    ],
)
def test_a_mirrored_landmark_comes_back_as_its_twin_at_the_flipped_x(landmark, twin):
    found = _pose()
    back = mirror_pose(found)
    # the mirror image's `twin` is the person's `landmark`, at 1 - x in the image
    assert np.isclose(back.landmarks[landmark, 0], 1.0 - found.landmarks[twin, 0])
    assert np.array_equal(back.landmarks[landmark, 1:], found.landmarks[twin, 1:])  # y, z, visibility
    assert np.isclose(back.world[landmark, 0], -found.world[twin, 0])
    assert np.array_equal(back.world[landmark, 1:], found.world[twin, 1:])


def test_mirroring_twice_gives_the_pose_back():
    pose = _pose(3)
    twice = mirror_pose(mirror_pose(pose))
    assert np.allclose(twice.landmarks, pose.landmarks, atol=1e-6) and np.array_equal(twice.world, pose.world)
    assert twice.redetected


def test_a_person_facing_the_camera_keeps_their_left_shoulder_on_the_image_right():
    # Facing the camera, a person's left shoulder is at larger x, in the image and in its mirror image
    # alike: the detector labels the mirror's shoulder at 0.6 "left". Brought back, the left shoulder must
    # again be at larger x (flipping x alone would put it at 0.4).
    found_in_mirror = _pose()
    landmarks = found_in_mirror.landmarks.copy()
    landmarks[L.LEFT_SHOULDER, 0], landmarks[L.RIGHT_SHOULDER, 0] = 0.6, 0.4
    back = mirror_pose(Pose(landmarks, found_in_mirror.world))
    assert np.isclose(back.landmarks[L.LEFT_SHOULDER, 0], 0.6)
    assert back.landmarks[L.LEFT_SHOULDER, 0] > back.landmarks[L.RIGHT_SHOULDER, 0]


def test_mirrored_redetection_finds_the_partner_at_the_feet_of_a_lying_client(model_path):
    # supine_hamstring sample, first 15 s: the partner kneels at the client's raised leg; the masked frame
    # gives them back on few frames, the same frame mirrored on most
    stretch = get_stretch("supine_hamstring")
    assert stretch.mirror_redetect and "supine_hamstring" in MIRROR_REDETECT
    assert not DEFAULT_SETTINGS.mirror_redetect  # off for code that knows no stretch (and for Live)
    plain = EstimatorSettings(strategy=stretch.pose_strategy)
    mirrored = EstimatorSettings(strategy=stretch.pose_strategy, mirror_redetect=True)
    plain_both, plain_right = people_found("supine_hamstring_fault", plain, model_path, 0, 450)
    both, right = people_found("supine_hamstring_fault", mirrored, model_path, 0, 450)
    print(f"supine_hamstring_fault, 450 frames: both people {both:.0%} ({right:.0%} on the right bodies) "
          f"with mirrored re-detection, {plain_both:.0%} ({plain_right:.0%}) without")
    assert plain_both < 0.5
    assert both >= 0.65
    assert right >= plain_right + 0.15
