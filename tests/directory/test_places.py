"""Places for the directory search (``directory.places``): pure, offline."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerlight.directory import places
from peerlight.directory.places import Point

SAN_FRANCISCO = Point(37.7749, -122.4194)
LOS_ANGELES = Point(34.0522, -118.2437)


def test_it_resolves_a_zip_code_from_the_packaged_data() -> None:
    point = places.zip_point("94110")
    assert point is not None
    assert places.distance_km(point, SAN_FRANCISCO) < 5


def test_a_zip_plus_four_is_its_zip_code() -> None:
    assert places.zip_point("94110-1234") == places.zip_point("94110")


@pytest.mark.parametrize("code", ["00000", "99999", "9411", "941100", "abcde", "", " "])
def test_an_unknown_or_malformed_zip_code_is_none(code: str) -> None:
    assert places.zip_point(code) is None


def test_distance_between_two_cities() -> None:
    # About 559 km as the crow flies.
    assert places.distance_km(SAN_FRANCISCO, LOS_ANGELES) == pytest.approx(559, abs=3)
    assert places.distance_km(SAN_FRANCISCO, SAN_FRANCISCO) == 0


def test_distance_across_the_antimeridian_and_to_the_antipode() -> None:
    assert places.distance_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.2, abs=0.5)
    half_the_earth = math.pi * places.EARTH_RADIUS_KM
    assert places.distance_km(Point(0, 0), Point(0, 180)) == pytest.approx(half_the_earth)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("37.75,-122.41", Point(37.75, -122.41)),
        (" 37.75 , -122.41 ", Point(37.75, -122.41)),
        ("37.75 -122.41", Point(37.75, -122.41)),
        ("-33.9;151.2", Point(-33.9, 151.2)),
    ],
)
def test_parse_place_reads_coordinates(text: str, expected: Point) -> None:
    assert places.parse_place(text) == expected


def test_parse_place_reads_a_zip_code() -> None:
    assert places.parse_place(" 94110 ") == places.zip_point("94110")


@pytest.mark.parametrize(
    "text", ["", "Springfield", "91.0,10", "10,181", "1,2,3", "94110 street", "9" * 100]
)
def test_parse_place_refuses_what_it_cannot_place(text: str) -> None:
    assert places.parse_place(text) is None


def test_a_point_off_the_globe_is_refused() -> None:
    with pytest.raises(ValueError, match="latitude"):
        Point(95, 0)


def test_km_to_miles() -> None:
    assert places.km_to_miles(1.609344) == pytest.approx(1.0)


def test_bounding_box_near_a_pole_or_across_the_antimeridian_spans_all_longitudes() -> None:
    polar = places.bounding_box(Point(89.5, 10), 100)
    assert (polar.min_longitude, polar.max_longitude, polar.max_latitude) == (-180, 180, 90)
    pacific = places.bounding_box(Point(10, 179.9), 50)
    assert (pacific.min_longitude, pacific.max_longitude) == (-180, 180)


def test_a_negative_radius_is_refused() -> None:
    with pytest.raises(ValueError, match="radius"):
        places.bounding_box(SAN_FRANCISCO, -1)


points = st.builds(
    Point,
    st.floats(-80, 80, allow_nan=False),
    st.floats(-180, 180, allow_nan=False),
)


@given(points, st.floats(0.1, 500), st.floats(0, 1), st.floats(0, 360))
def test_every_point_within_the_radius_is_in_the_box(
    centre: Point, radius: float, share: float, bearing: float
) -> None:
    """Walk ``share`` of the radius from the centre in any direction: still in the box."""
    distance = radius * share * 0.999
    angular = distance / places.EARTH_RADIUS_KM
    lat1, lon1, theta = (
        math.radians(centre.latitude),
        math.radians(centre.longitude),
        math.radians(bearing),
    )
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(theta)
    )
    lon2 = lon1 + math.atan2(
        math.sin(theta) * math.sin(angular) * math.cos(lat1),
        math.cos(angular) - math.sin(lat1) * math.sin(lat2),
    )
    longitude = (math.degrees(lon2) + 540) % 360 - 180
    walked = Point(math.degrees(lat2), longitude)
    assert places.distance_km(centre, walked) == pytest.approx(distance, rel=1e-6, abs=1e-6)
    assert places.bounding_box(centre, radius).contains(walked)


@given(points, st.floats(0.1, 300), st.integers(1, 32), st.floats(0, 1), st.floats(0, 1))
def test_the_key_ranges_of_a_box_hold_the_key_of_every_point_in_it(
    centre: Point, radius: float, cells: int, across: float, up: float
) -> None:
    box = places.bounding_box(centre, radius)
    ranges = places.key_ranges(box, max_cells=cells)
    assert 1 <= len(ranges) <= cells
    assert all(low <= high for low, high in ranges)
    inside = Point(
        box.min_latitude + up * (box.max_latitude - box.min_latitude),
        box.min_longitude + across * (box.max_longitude - box.min_longitude),
    )
    corners = [
        Point(box.min_latitude, box.min_longitude),
        Point(box.max_latitude, box.max_longitude),
        Point(box.min_latitude, box.max_longitude),
        centre,
        inside,
    ]
    for point in corners:
        key = places.zkey(point)
        assert any(low <= key <= high for low, high in ranges)


def test_nearby_points_share_the_leading_bits_of_their_keys() -> None:
    a, b = places.zkey(Point(37.7749, -122.4194)), places.zkey(Point(37.7750, -122.4195))
    far = places.zkey(LOS_ANGELES)
    assert (a ^ b).bit_length() < (a ^ far).bit_length()
    assert places.zkey(Point(-90, -180)) == 0
    assert places.zkey(Point(90, 180)) == 2**32 - 1
