"""A clothed, shaded human figure built from the 33 MediaPipe landmarks of one person (scene metres, y up).

The figure is what the pose detector has to find, so it carries the cues a person detector relies on: body
volume with realistic widths, a head with hair, eyes, brows, nose, mouth and ears, a neck, hands and
shoes. Everything is derived from the landmarks plus a `PersonStyle`, so the figure follows any motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stretches.render_raster import Primitive
from vision.landmarks import Landmark as L

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class PersonStyle:
    """How one person looks: colours are RGB in 0..1; `build` scales limb and trunk thickness."""

    skin: RGB = (0.87, 0.68, 0.55)
    hair: RGB = (0.22, 0.14, 0.08)
    shirt: RGB = (0.20, 0.40, 0.75)
    trousers: RGB = (0.18, 0.18, 0.22)
    shoes: RGB = (0.85, 0.85, 0.85)
    iris: RGB = (0.30, 0.20, 0.10)
    long_sleeves: bool = False
    shorts: bool = False
    long_hair: bool = False
    build: float = 1.0


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else v


def _orthogonal(v: np.ndarray, to: np.ndarray) -> np.ndarray:
    return _unit(v - (v @ to) * to)


def _darker(colour: RGB, factor: float) -> RGB:
    return (colour[0] * factor, colour[1] * factor, colour[2] * factor)


def _tapered(a: np.ndarray, b: np.ndarray, r_a: float, r_b: float, colour: RGB) -> list[Primitive]:
    """A limb whose radius changes smoothly from `r_a` to `r_b`."""
    return [Primitive(a, b, r_a, colour, radius_b_m=r_b)]


def figure_primitives(joints_m: np.ndarray, style: PersonStyle) -> list[Primitive]:
    """Capsules and spheres for one person; skips the figure when any landmark is missing (NaN)."""
    j = np.asarray(joints_m, dtype=np.float64)
    if j.shape != (33, 3) or not np.all(np.isfinite(j)):
        return []
    scale = _body_scale(j)
    w = style.build * scale
    prims: list[Primitive] = []
    prims += _trunk(j, style, w)
    prims += _arms(j, style, w)
    prims += _legs(j, style, w)
    prims += _head(j, style, scale)
    return prims


def _body_scale(j: np.ndarray) -> float:
    """Trunk length relative to an average adult, so a small person also gets slimmer limbs."""
    mid_sh = (j[L.LEFT_SHOULDER] + j[L.RIGHT_SHOULDER]) / 2
    mid_hip = (j[L.LEFT_HIP] + j[L.RIGHT_HIP]) / 2
    trunk_m = np.linalg.norm(mid_sh - mid_hip)
    return float(np.clip(trunk_m / 0.50, 0.75, 1.3))


def _trunk(j: np.ndarray, s: PersonStyle, w: float) -> list[Primitive]:
    ls, rs, lh, rh = j[L.LEFT_SHOULDER], j[L.RIGHT_SHOULDER], j[L.LEFT_HIP], j[L.RIGHT_HIP]
    mid_sh, mid_hip = (ls + rs) / 2, (lh + rh) / 2
    up = _unit(mid_sh - mid_hip)
    trunk = np.linalg.norm(mid_sh - mid_hip)
    across_sh = ls - rs
    inward = 0.12
    shirt, trousers = s.shirt, s.trousers
    return [
        # Chest, belly and the waistband overlap to make one rounded trunk seen from any side.
        Primitive(mid_hip + up * 0.30 * trunk, mid_sh - up * 0.16 * trunk, 0.125 * w, shirt),
        Primitive(mid_hip + up * 0.22 * trunk, mid_hip + up * 0.40 * trunk, 0.115 * w, shirt),
        Primitive(ls - across_sh * inward - up * 0.10 * trunk, rs + across_sh * inward - up * 0.10 * trunk,
                  0.085 * w, shirt),
        Primitive(ls - across_sh * 0.2 - up * 0.15 * trunk, lh + (lh - rh) * 0.05 + up * 0.25 * trunk,
                  0.085 * w, shirt),
        Primitive(rs + across_sh * 0.2 - up * 0.15 * trunk, rh - (lh - rh) * 0.05 + up * 0.25 * trunk,
                  0.085 * w, shirt),
        # Pelvis in trousers.
        Primitive(lh + up * 0.04 * trunk, rh + up * 0.04 * trunk, 0.105 * w, trousers),
        Primitive(mid_hip + up * 0.05 * trunk, mid_hip + up * 0.22 * trunk, 0.118 * w, trousers),
    ]


def _arms(j: np.ndarray, s: PersonStyle, w: float) -> list[Primitive]:
    prims: list[Primitive] = []
    forearm_colour = s.shirt if s.long_sleeves else s.skin
    for sh, el, wr, idx, pin, th in (
        (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_INDEX, L.LEFT_PINKY, L.LEFT_THUMB),
        (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_INDEX, L.RIGHT_PINKY, L.RIGHT_THUMB),
    ):
        shoulder, elbow, wrist = j[sh], j[el], j[wr]
        knuckles = (j[idx] + j[pin]) / 2
        hand_dir = knuckles - wrist
        if np.linalg.norm(hand_dir) < 0.03:
            hand_dir = _unit(wrist - elbow) * 0.08
        fingertips = wrist + hand_dir * 1.6
        sleeve_end = elbow + (wrist - elbow) * (0.0 if s.long_sleeves else 0.25)
        prims += [
            *_tapered(shoulder + (elbow - shoulder) * 0.05, elbow, 0.054 * w, 0.042 * w, s.shirt),
            *_tapered(elbow, wrist, 0.040 * w, 0.031 * w, forearm_colour),
            Primitive(elbow, sleeve_end, 0.044 * w, s.shirt),
            Primitive(wrist, wrist + hand_dir * 0.6, 0.030 * w, s.skin),
            Primitive(wrist + hand_dir * 0.6, fingertips, 0.023 * w, s.skin),
            Primitive(wrist, j[th] + (j[th] - wrist) * 0.3, 0.013 * w, s.skin),
        ]
    return prims


def _legs(j: np.ndarray, s: PersonStyle, w: float) -> list[Primitive]:
    prims: list[Primitive] = []
    shin_colour = s.skin if s.shorts else s.trousers
    for hip, kn, an, he, toe in (
        (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    ):
        h, k, a = j[hip], j[kn], j[an]
        prims += [
            *_tapered(h, k, 0.088 * w, 0.058 * w, s.trousers),
            *_tapered(k, a, 0.055 * w, 0.038 * w, shin_colour),
            Primitive(a + (k - a) * 0.2, a, 0.045 * w, s.trousers if not s.shorts else s.shoes),
            Primitive(j[he], j[toe], 0.040 * w, s.shoes),
            Primitive(a, j[he] + (j[toe] - j[he]) * 0.3, 0.043 * w, s.shoes),
        ]
    return prims


def _head(j: np.ndarray, s: PersonStyle, scale: float) -> list[Primitive]:
    """Cranium, jaw, neck and face features placed in a head frame (centre, face direction, up)."""
    ear_l, ear_r = j[L.LEFT_EAR], j[L.RIGHT_EAR]
    mid_ears = (ear_l + ear_r) / 2
    mid_sh = (j[L.LEFT_SHOULDER] + j[L.RIGHT_SHOULDER]) / 2
    mid_eyes = (j[L.LEFT_EYE] + j[L.RIGHT_EYE]) / 2
    mid_mouth = (j[L.MOUTH_LEFT] + j[L.MOUTH_RIGHT]) / 2
    side = _unit(ear_l - ear_r)  # toward the person's left
    face = _orthogonal(j[L.NOSE] - mid_ears, side)
    up = _unit(np.cross(face, side))  # right-handed: face x side = up
    if up @ (mid_eyes - mid_mouth) < 0:
        up = -up
    r = 0.094 * scale
    centre = mid_ears + up * 0.025 * scale + face * 0.005 * scale
    jaw = centre + face * 0.035 * scale - up * 0.06 * scale
    neck_top = centre - up * 0.06 * scale - face * 0.02 * scale
    neck_base = mid_sh + _unit(neck_top - mid_sh) * 0.02
    hairline = 0.35 if s.long_hair else 0.5
    prims = [
        Primitive(neck_base, neck_top, 0.052 * scale, s.skin),
        Primitive(centre, centre, r, s.skin, "head", (face, up), (*s.hair, hairline)),
        Primitive(jaw, jaw + up * 0.02 * scale, 0.068 * scale, s.skin),
        Primitive(ear_l, ear_l, 0.022 * scale, _darker(s.skin, 0.93)),
        Primitive(ear_r, ear_r, 0.022 * scale, _darker(s.skin, 0.93)),
    ]
    if s.long_hair:
        back = centre - face * 0.06 * scale
        prims.append(Primitive(back, back - up * 0.14 * scale - face * 0.02 * scale, 0.07 * scale, s.hair))
    lip_colour = (min(1.0, s.skin[0] * 0.85), s.skin[1] * 0.5, s.skin[2] * 0.5)
    brow = _darker(s.hair, 0.9)
    for sign in (1.0, -1.0):
        eye_dir = _unit(face * 0.84 + up * 0.12 + side * sign * 0.36)
        eye = centre + eye_dir * (r - 0.010 * scale)
        prims.append(Primitive(eye, eye, 0.016 * scale, (0.95, 0.95, 0.93), "eye", (face,), s.iris))
        brow_dir = _unit(face * 0.80 + up * 0.36 + side * sign * 0.30)
        brow_a = centre + brow_dir * (r + 0.002 * scale)
        brow_b = centre + _unit(face * 0.72 + up * 0.34 + side * sign * 0.52) * (r + 0.001 * scale)
        prims.append(Primitive(brow_a, brow_b, 0.006 * scale, brow))
    nose_root = centre + _unit(face * 0.95 + up * 0.05) * r
    nose_tip = centre + face * (r + 0.025 * scale) - up * 0.035 * scale
    prims.append(Primitive(nose_root, nose_tip, 0.013 * scale, _darker(s.skin, 0.97)))
    mouth_centre = jaw + face * 0.062 * scale + up * 0.004 * scale
    prims.append(Primitive(mouth_centre + side * 0.022 * scale, mouth_centre - side * 0.022 * scale,
                           0.0075 * scale, lip_colour))
    return prims
