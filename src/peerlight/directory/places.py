"""Places for the directory search: points, US ZIP codes, distances (pure Python).

Stable names other modules use:

- ``Point(latitude, longitude)`` (also exported by ``search``),
- ``zip_point(code) -> Point | None``: a US ZIP code's centre, from the
  ``zipcodes`` package, whose data ships with it (no network),
- ``parse_place(text) -> Point | None``: a ZIP code ("94110", "94110-1234")
  or "latitude, longitude" ("37.75,-122.41"); None when it is neither,
- ``distance_km(a, b)``: great-circle distance (haversine),
- ``bounding_box(point, radius_km) -> Box``: the latitude/longitude box that
  holds every point within the radius (a cheap prefilter before the exact
  distance),
- ``km_to_miles(km)``,
- ``zkey(point)`` and ``key_ranges(box)``: a point's place on a Z-order curve
  over the globe, and the few stretches of that curve that cover a box (the
  search numbers its documents along the curve, so a box becomes a few runs
  of ids).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "EARTH_RADIUS_KM",
    "Box",
    "Point",
    "bounding_box",
    "distance_km",
    "key_ranges",
    "km_to_miles",
    "parse_place",
    "zip_point",
    "zkey",
]

# The mean Earth radius (IUGG); the haversine error from the Earth's
# flattening stays under 0.5 %, far below what a "2.3 km away" needs.
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344

_ZIP = re.compile(r"(\d{5})(?:-\d{4})?")
_LAT_LON = re.compile(r"([+-]?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.latitude <= 90.0 and -180.0 <= self.longitude <= 180.0):
            raise ValueError("A latitude lies in -90..90 and a longitude in -180..180.")


@dataclass(frozen=True, slots=True)
class Box:
    """Inclusive bounds in degrees; ``min_longitude > max_longitude`` never happens:
    a box that would cross the antimeridian spans every longitude instead."""

    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float

    def contains(self, point: Point) -> bool:
        return (
            self.min_latitude <= point.latitude <= self.max_latitude
            and self.min_longitude <= point.longitude <= self.max_longitude
        )


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = math.radians(b.longitude - a.longitude) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(point: Point, radius_km: float) -> Box:
    """Every point within ``radius_km`` of ``point`` lies in this box.

    The box is a little larger than the circle (its corners), so callers
    check the exact distance afterwards. Near a pole, or where the circle
    would cross the antimeridian, the box spans all longitudes: still right,
    only a wider prefilter.
    """
    if radius_km < 0:
        raise ValueError("A radius cannot be negative.")
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular)
    min_lat = point.latitude - dlat
    max_lat = point.latitude + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return Box(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span is at the latitude where the circle touches
    # its meridian tangents: asin(sin(angular) / cos(latitude)).
    ratio = math.sin(angular) / math.cos(math.radians(point.latitude))
    if ratio >= 1.0:
        return Box(min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(math.asin(ratio))
    min_lon = point.longitude - dlon
    max_lon = point.longitude + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        return Box(min_lat, max_lat, -180.0, 180.0)
    return Box(min_lat, max_lat, min_lon, max_lon)


@lru_cache(maxsize=4096)
def zip_point(code: str) -> Point | None:
    """The centre of a US ZIP code ("94110" or "94110-1234"), or None if unknown."""
    match = _ZIP.fullmatch(code.strip())
    if match is None:
        return None
    # Imported here: it loads its whole data file, needed only when a ZIP is asked.
    import zipcodes

    try:
        found: list[dict[str, object]] = zipcodes.matching(match.group(1))  # type: ignore[no-untyped-call]
    except (TypeError, ValueError):
        return None
    for entry in found:
        try:
            return Point(float(str(entry["lat"])), float(str(entry["long"])))
        except (KeyError, TypeError, ValueError):
            continue
    return None


def parse_place(text: str) -> Point | None:
    """A place typed by someone: a US ZIP code, or "latitude, longitude".

    None when the text is neither, or names a ZIP code the data does not
    know, or coordinates off the globe; the caller says so in words.
    """
    text = text.strip()
    if not text or len(text) > 64:
        return None
    if _ZIP.fullmatch(text):
        return zip_point(text)
    match = _LAT_LON.fullmatch(text)
    if match is None:
        return None
    try:
        return Point(float(match.group(1)), float(match.group(2)))
    except ValueError:
        return None


def km_to_miles(km: float) -> float:
    return km / KM_PER_MILE


# --- The Z-order curve ------------------------------------------------------------------

# 2**16 steps each way: cells of about 600 m by 300 m at the equator.
KEY_BITS = 16
_STEPS = 1 << KEY_BITS


def _spread(value: int) -> int:
    """The bits of a 16-bit number moved to the even positions of a 32-bit one."""
    value = (value | (value << 8)) & 0x00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F
    value = (value | (value << 2)) & 0x33333333
    return (value | (value << 1)) & 0x55555555


def _step(degrees: float, low: float, span: float) -> int:
    return min(_STEPS - 1, max(0, int((degrees - low) / span * _STEPS)))


def zkey(point: Point) -> int:
    """Where ``point`` lies on the Z-order curve: points near each other mostly get near keys."""
    x = _step(point.longitude, -180.0, 360.0)
    y = _step(point.latitude, -90.0, 180.0)
    return _spread(x) | (_spread(y) << 1)


def key_ranges(box: Box, *, max_cells: int = 16) -> list[tuple[int, int]]:
    """Inclusive ranges of ``zkey`` that hold every point of ``box`` (and some more).

    The box is covered by at most ``max_cells`` cells of the finest level
    that needs no more; each cell is one run of keys, and neighbouring runs
    are joined.
    """
    x_low = _step(box.min_longitude, -180.0, 360.0)
    x_high = _step(box.max_longitude, -180.0, 360.0)
    y_low = _step(box.min_latitude, -90.0, 180.0)
    y_high = _step(box.max_latitude, -90.0, 180.0)
    shift = 0
    while ((x_high >> shift) - (x_low >> shift) + 1) * (
        (y_high >> shift) - (y_low >> shift) + 1
    ) > max_cells:
        shift += 1
    cells = sorted(
        _spread(x) | (_spread(y) << 1)
        for x in range(x_low >> shift, (x_high >> shift) + 1)
        for y in range(y_low >> shift, (y_high >> shift) + 1)
    )
    ranges: list[tuple[int, int]] = []
    for cell in cells:
        low, high = cell << (2 * shift), ((cell + 1) << (2 * shift)) - 1
        if ranges and ranges[-1][1] + 1 == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges
