"""The pipeline on real footage (../shared/footage): accuracy, both people, stable ids, false poses."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from vision.estimator import EstimatorSettings, PoseEstimator
from vision.landmarks import Landmark
from vision.pipeline import track_video

MEDIAPIPE_DEFAULTS = dict(min_detection_confidence=0.5, min_presence_confidence=0.5,
                          min_tracking_confidence=0.5)


@pytest.fixture(scope="module")
def squats_track(footage, model_path):
    return track_video(footage("tfjs_pose_squats.mp4"), model_path=model_path)


@pytest.fixture(scope="module")
def multi_track(footage, model_path):
    return track_video(footage("pose2sim_multi_cam01.mp4"), model_path=model_path)


def test_squats_landmarks_match_reference_within_15px_p95(squats_track, footage):
    reference = np.asarray(json.loads(footage("tfjs_pose_squats.full.json").read_text()))[..., :2]
    assert squats_track.num_frames == reference.shape[0] == 65
    present = squats_track.present()
    assert present[:, 0].all() and not present[:, 1].any()  # one woman, always in slot 0, never a ghost
    width, height = squats_track.image_size
    pixels = squats_track.landmarks[:, 0, :, :2] * np.array([width, height])
    error_px = np.linalg.norm(pixels - reference, axis=-1)
    p95 = float(np.percentile(error_px, 95))
    print(f"squats: mean {error_px.mean():.1f} px, median {np.median(error_px):.1f} px, p95 {p95:.1f} px")
    assert p95 <= 15.0


def test_multi_two_people_with_stable_ids(multi_track):
    present = multi_track.present()
    both = present.all(axis=1)
    # Identity label independent of the tracker: in this clip the man on the platform always has his head
    # above the woman standing in front, so the slot with the higher nose must stay the same slot.
    nose_y = multi_track.landmarks[:, :, Landmark.NOSE, 1]
    upper_slot = np.argmin(np.where(np.isnan(nose_y), np.inf, nose_y), axis=1)
    majority = np.bincount(upper_slot[both]).argmax()
    stable = both & (upper_slot == majority)
    fraction = float(stable.mean())
    print(f"multi: both people on {both.mean():.1%} of frames, stable ids on {fraction:.1%}")
    assert fraction >= 0.97
    assert multi_track.meta["frames_both_people"] == int(both.sum())


def test_multi_track_round_trips_through_npz(multi_track, tmp_path):
    from vision.track import Track

    loaded = Track.load(multi_track.save(tmp_path / "track.npz"))
    np.testing.assert_array_equal(loaded.landmarks, multi_track.landmarks)
    assert loaded.meta["source"] == "pose2sim_multi_cam01.mp4"


@pytest.mark.parametrize("image, people", [
    ("opencv_basketball2.png", 2),
    ("intel_one-by-one_frame0_empty_scene.png", 0),
    ("yogait_assets_images_test_t5.jpg", 1),
])
def test_people_counted_in_still_images(footage, model_path, image, people):
    track = track_video(footage(image), model_path=model_path)
    assert track.num_frames == 1
    assert int(track.present()[0].sum()) == people


def test_empty_scene_confident_false_pose_is_rejected_with_a_reason(footage, model_path):
    estimator = PoseEstimator(model_path)
    try:
        detection = estimator.detect(cv2.imread(str(footage("intel_one-by-one_frame0_empty_scene.png"))), 0)
    finally:
        estimator.close()
    assert detection.poses == []
    assert detection.rejected, "MediaPipe reports a pose here; the estimator must be the one rejecting it"
    assert all("too small" in reason or "collapsed" in reason or "trunk" in reason
               for _, reason in detection.rejected)


def _side_by_side(footage, names, height_px=480):
    images = [cv2.imread(str(footage(name))) for name in names]
    images = [cv2.resize(i, (round(i.shape[1] * height_px / i.shape[0]), height_px)) for i in images]
    return np.hstack(images)


def test_redetection_finds_the_second_person_the_detector_dropped(footage, model_path):
    # Two real people side by side; at MediaPipe's default confidence only one is reported.
    frame = _side_by_side(footage, ("tfexamples_image3.jpeg", "tfjs_pose.jpg"))
    default = MEDIAPIPE_DEFAULTS
    counts = {}
    for redetect in (False, True):
        estimator = PoseEstimator(model_path, EstimatorSettings(**default, redetect=redetect))
        try:
            counts[redetect] = estimator.detect(frame, 0)
        finally:
            estimator.close()
    assert len(counts[False].poses) == 1
    assert len(counts[True].poses) == 2
    assert [pose.redetected for pose in counts[True].poses] == [False, True]
    centres = sorted(float(np.mean(p.landmarks[:, 0])) for p in counts[True].poses)
    assert centres[0] < 0.5 < centres[1]  # one person in each half, not the same person twice



def test_redetection_recovers_the_frames_mediapipe_defaults_lose(footage, model_path):
    path = footage("pose2sim_multi_cam01.mp4")
    both = {}
    for redetect in (False, True):
        settings = EstimatorSettings(**MEDIAPIPE_DEFAULTS, redetect=redetect)
        track = track_video(path, model_path=model_path, estimator_settings=settings)
        both[redetect] = float(track.present().all(axis=1).mean())
    print(f"multi at MediaPipe defaults: both people {both[False]:.0%} plain, "
          f"{both[True]:.0%} with re-detection")
    assert both[False] < 0.95  # the problem is real on this footage...
    assert both[True] >= 0.99  # ...and re-detection fixes it


def test_small_people_letterboxed_need_redetection(footage, model_path, tmp_path):
    # the whole portrait clip letterboxed into 640x480: MediaPipe alone often returns one of the two
    clip = tmp_path / "letterboxed.mp4"
    with av.open(str(footage("pose2sim_multi_cam01.mp4"))) as source, av.open(str(clip), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for index, frame in enumerate(source.decode(video=0)):
            if index == 60:
                break
            image = frame.to_ndarray(format="bgr24")
            small = cv2.resize(image, (round(image.shape[1] * 480 / image.shape[0]), 480))
            canvas = np.full((480, 640, 3), 40, np.uint8)
            left = (640 - small.shape[1]) // 2
            canvas[:, left:left + small.shape[1]] = small
            encoded = av.VideoFrame.from_ndarray(canvas, format="bgr24")
            encoded.pts, encoded.time_base = index, Fraction(1, 30)
            out.mux(stream.encode(encoded))
        out.mux(stream.encode())
    plain = track_video(clip, model_path=model_path, estimator_settings=EstimatorSettings(redetect=False))
    full = track_video(clip, model_path=model_path)
    both_plain, both_full = (float(t.present().all(axis=1).mean()) for t in (plain, full))
    print(f"letterboxed: both people {both_plain:.0%} plain, {both_full:.0%} with re-detection")
    assert both_plain < 0.6 and both_full >= 0.9


def test_live_pipeline_is_reusable_and_timestamp_driven(footage, model_path):
    from vision.pipeline import LivePipeline
    from vision.sources import open_source

    live = LivePipeline(model_path)
    results = []
    try:
        with open_source(footage("pose2sim_multi_cam01.mp4")) as source:
            for frame in source:
                if frame.index % 3 == 1:
                    continue  # the live view drops frames
                t_ms = frame.t_ms if frame.index != 30 else results[-1].t_ms  # and may repeat a timestamp
                results.append(live.process(frame.image_bgr, t_ms))
    finally:
        live.close()
    times = [r.t_ms for r in results]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert results[0].landmarks.shape == (2, 33, 4) and results[0].world.shape == (2, 33, 3)
    both = np.array([r.present.all() for r in results])
    assert both.mean() >= 0.95
    nose_y = np.array([r.landmarks[:, 0, 1] for r in results])
    upper = np.argmin(np.nan_to_num(nose_y, nan=np.inf), axis=1)[both]
    assert (upper == upper[0]).mean() >= 0.97
