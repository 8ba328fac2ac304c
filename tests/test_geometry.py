"""Hand-built points with known answers for the geometry helpers."""

import math

import numpy as np
import pytest

from vision import geometry as g


@pytest.mark.parametrize(
    ("u", "v", "expected_deg"),
    [
        ((1, 0), (0, 1), 90.0),
        ((1, 0), (1, 0), 0.0),
        ((1, 0), (-1, 0), 180.0),
        ((1, 0), (1, 1), 45.0),
        ((1, 0, 0), (0, 0, 2), 90.0),
        ((1, 0), (math.cos(math.radians(30)), math.sin(math.radians(30))), 30.0),
    ],
)
def test_angle_between(u, v, expected_deg):
    assert g.angle_between(np.array(u, float), np.array(v, float)) == pytest.approx(expected_deg, abs=1e-9)


def test_angle_between_zero_vector_is_nan():
    assert np.isnan(g.angle_between(np.array([0.0, 0.0]), np.array([1.0, 0.0])))


@pytest.mark.parametrize(
    ("a", "joint", "c", "expected_deg"),
    [
        ((0, 0), (1, 0), (2, 0), 180.0),  # straight limb
        ((0, 0), (1, 0), (1, 1), 90.0),
        ((0, 1), (0, 0), (1, 1), 45.0),
    ],
)
def test_joint_angle(a, joint, c, expected_deg):
    got = g.joint_angle(np.array(a, float), np.array(joint, float), np.array(c, float))
    assert got == pytest.approx(expected_deg, abs=1e-9)


@pytest.mark.parametrize(
    ("vector", "expected_deg"),
    [
        ((0, -1), 0.0),  # image up
        ((1, 0), 90.0),
        ((-1, 0), -90.0),
        ((math.sin(math.radians(30)), -math.cos(math.radians(30))), 30.0),
        ((-math.sin(math.radians(20)), -math.cos(math.radians(20))), -20.0),
    ],
)
def test_angle_from_vertical_image_convention(vector, expected_deg):
    assert g.angle_from_vertical(np.array(vector, float)) == pytest.approx(expected_deg, abs=1e-9)


def test_signed_angle_2d_sign():
    assert g.signed_angle_2d(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(90.0)
    assert g.signed_angle_2d(np.array([1.0, 0.0]), np.array([0.0, -1.0])) == pytest.approx(-90.0)


def test_to_pixels_undoes_aspect_ratio():
    # A 45° line in pixels on a 1280x720 image is not 45° in normalised coordinates.
    a = np.array([0.0, 0.0])
    b = np.array([100 / 1280, 100 / 720])
    pa, pb = g.to_pixels(a, (1280, 720)), g.to_pixels(b, (1280, 720))
    assert g.angle_between(pb - pa, np.array([1.0, 0.0])) == pytest.approx(45.0)
    assert g.distance(pa, pb) == pytest.approx(100 * math.sqrt(2))


def test_trunk_length_and_in_trunks():
    ls, rs = np.array([0.0, 0.0]), np.array([2.0, 0.0])
    lh, rh = np.array([0.0, 4.0]), np.array([2.0, 4.0])
    trunk = g.trunk_length(ls, rs, lh, rh)
    assert trunk == pytest.approx(4.0)
    assert g.in_trunks(2.0, trunk) == pytest.approx(0.5)
    assert np.isnan(g.in_trunks(2.0, 0.0))


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        ((1, 1), 1.0),  # above the middle
        ((-3, 4), 5.0),  # beyond end a
        ((5, 0), 3.0),  # beyond end b
        ((2, 0), 0.0),  # on the segment
    ],
)
def test_point_to_segment_distance(p, expected):
    got = g.point_to_segment_distance(np.array(p, float), np.array([0.0, 0.0]), np.array([2.0, 0.0]))
    assert got == pytest.approx(expected)


def test_vectorised_over_leading_axes_and_nan_propagates():
    a = np.zeros((5, 2, 2))
    b = np.ones((5, 2, 2))
    b[3, 1] = np.nan
    d = g.distance(a, b)
    assert d.shape == (5, 2)
    assert np.isnan(d[3, 1])
    assert np.allclose(np.delete(d.ravel(), 7), math.sqrt(2))
    ang = g.joint_angle(a, b, np.full((5, 2, 2), 2.0))
    assert ang.shape == (5, 2) and np.isnan(ang[3, 1])


def test_signed_distance_to_line_sides():
    a, b = np.array([0.0, 0.0]), np.array([1.0, 0.0])
    assert g.signed_distance_to_line(np.array([0.5, 2.0]), a, b) == pytest.approx(2.0)
    assert g.signed_distance_to_line(np.array([0.5, -2.0]), a, b) == pytest.approx(-2.0)


def test_nan_min_max_ignore_nan():
    x = np.array([1.0, np.nan, np.nan])
    y = np.array([3.0, 2.0, np.nan])
    assert np.array_equal(g.nan_min(x, y)[:2], [1.0, 2.0]) and np.isnan(g.nan_min(x, y)[2])
    assert np.array_equal(g.nan_max(x, y)[:2], [3.0, 2.0])


def test_wrap_deg():
    assert np.allclose(g.wrap_deg(np.array([190.0, -190.0, 180.0, 0.0])), [-170.0, 170.0, 180.0, 0.0])
