"""Client / partner from posture, tie-breaks for shared postures, and the manual override."""

from __future__ import annotations

import numpy as np
import pytest

from stretches.catalog import STRETCHES
from vision.roles import POSTURES, assign_roles, posture_scores, resolve_roles

IMAGE_SIZE = (1280, 720)


def _track(*people: np.ndarray, frames: int = 5, jitter: float = 0.002, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    stacked = np.stack(people)[None].repeat(frames, axis=0).astype(np.float32)
    stacked[..., :2] += rng.normal(0, jitter, stacked[..., :2].shape).astype(np.float32)
    return stacked


@pytest.mark.parametrize("posture", POSTURES)
@pytest.mark.parametrize("facing", [1, -1])
def test_each_posture_scores_highest_for_itself(figure, posture, facing):
    scores = posture_scores(_track(figure(posture, facing=facing)), IMAGE_SIZE)[0]
    assert POSTURES[int(np.argmax(scores))] == posture


@pytest.mark.parametrize("stretch_id", list(STRETCHES))
@pytest.mark.parametrize("client_first", [True, False])
def test_every_catalog_stretch_finds_its_client(figure, stretch_id, client_first):
    stretch = STRETCHES[stretch_id]
    same = stretch.client_posture == stretch.partner_posture
    # with a shared posture, the client is the one folding forward / leaning back (the documented tie-break)
    client = figure(stretch.client_posture, x=0.3, lean_deg=30.0 if same else 0.0)
    partner = figure(stretch.partner_posture, x=0.7, facing=-1, lean_deg=5.0 if same else 0.0)
    people = (client, partner) if client_first else (partner, client)
    expected = 0 if client_first else 1
    assert assign_roles(_track(*people), stretch.client_posture, stretch.partner_posture,
                        image_size=IMAGE_SIZE) == {"client": expected, "partner": 1 - expected}


def test_person_missing_all_along_becomes_the_other_role(figure):
    present = figure("supine")
    absent = np.full_like(present, np.nan)
    roles = assign_roles(_track(absent, present), "supine", "kneeling", IMAGE_SIZE)
    assert roles == {"client": 1, "partner": 0}


def test_hidden_frames_do_not_flip_the_decision(figure):
    track = _track(figure("kneeling", x=0.7), figure("prone", x=0.3), frames=20)
    track[5:15, 1, :, :] = np.nan  # the client is hidden for half the time
    assert assign_roles(track, "prone", "kneeling", IMAGE_SIZE) == {"client": 1, "partner": 0}


@pytest.mark.parametrize("override, expected_client", [("left", 1), ("right", 0), ("0", 0), ("1", 1), (1, 1)])
def test_manual_override(figure, override, expected_client):
    track = _track(figure("standing", x=0.8), figure("supine", x=0.2))
    roles = resolve_roles(track, "standing", "supine", IMAGE_SIZE, client=override)
    assert roles == {"client": expected_client, "partner": 1 - expected_client}


@pytest.mark.parametrize("override", ["middle", "2", ""])
def test_bad_override_is_refused(figure, override):
    track = _track(figure("standing"), figure("supine"))
    with pytest.raises(ValueError):
        resolve_roles(track, "standing", "supine", IMAGE_SIZE, client=override)


def test_unknown_posture_is_refused(figure):
    with pytest.raises(ValueError, match="posture"):
        assign_roles(_track(figure("standing"), figure("supine")), "floating", "supine")
