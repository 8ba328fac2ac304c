"""Crop re-detection: a person lost behind or under their partner is looked for round where they were last
seen, on the rendered supine_twist sample where MediaPipe keeps losing the partner kneeling behind the
client."""

from __future__ import annotations

import numpy as np

from tests.rendered_runs import people_found
from vision.estimator import DEFAULT_SETTINGS, EstimatorSettings, Pose, crop_box, to_crop, uncrop

CLIP = "supine_twist_good"


def test_crop_box_is_a_square_round_the_person_clipped_to_the_image():
    landmarks = np.zeros((33, 4), dtype=np.float32)
    landmarks[:, 0] = np.linspace(0.40, 0.50, 33)  # 64 px wide on a 640 × 480 image
    landmarks[:, 1] = np.linspace(0.50, 0.70, 33)  # 96 px tall
    assert crop_box(landmarks, (640, 480), 1.5) == (216, 216, 360, 360)
    landmarks[:, 1] += 0.25  # near the bottom edge: the box is cut at the image
    x0, y0, x1, y1 = crop_box(landmarks, (640, 480), 1.5)
    assert (x1 - x0, y1) == (144, 480)


def test_uncrop_maps_crop_coordinates_back_to_the_image():
    landmarks = np.zeros((33, 4), dtype=np.float32)
    landmarks[:, :2] = 0.5  # centre of the crop
    landmarks[:, 2] = 0.1
    pose = uncrop(Pose(landmarks, np.zeros((33, 3), dtype=np.float32)), (100, 50, 300, 250), (640, 480))
    assert np.allclose(pose.landmarks[0, :2], [200 / 640, 150 / 480])
    assert np.isclose(pose.landmarks[0, 2], 0.1 * 200 / 640)  # z shrinks with the crop's width


def test_crop_redetection_keeps_the_partner_kneeling_behind_a_lying_client(model_path):
    # the first 10 s: after frame ~100 the partner kneels behind the client's hips and the 2-pose landmarker
    # and the masked re-detection find only the client; both were seen together before, so the crop knows
    # where to look
    assert DEFAULT_SETTINGS.crop_redetect
    without = EstimatorSettings(crop_redetect=False)
    plain_both, plain_right = people_found(CLIP, without, model_path, 0, 300)
    both, right = people_found(CLIP, DEFAULT_SETTINGS, model_path, 0, 300)
    print(f"supine_twist, 300 frames: both people {both:.0%} ({right:.0%} on the right bodies) with crop "
          f"re-detection, {plain_both:.0%} ({plain_right:.0%}) without")
    assert plain_both < 0.5
    assert both >= 0.75
    assert right >= 0.65


def test_to_crop_undoes_uncrop():
    rng = np.random.default_rng(0)
    landmarks = rng.uniform(0, 1, (33, 4)).astype(np.float32)
    pose = Pose(landmarks, np.zeros((33, 3), dtype=np.float32))
    box, size = (40, 30, 360, 350), (640, 480)
    assert np.allclose(to_crop(uncrop(pose, box, size), box, size).landmarks, landmarks, atol=1e-5)
