"""Parsing of every recorded Deezer item shape into records."""
import datetime

import pytest

from app.services.deezer import AlbumRecord, ArtistRecord, DeezerSource
from app.services.deezer.records import MalformedItemError, parse_album, parse_artist, parse_track


def test_search_item_has_no_isrc_and_no_release_date(recorded):
    item = recorded("search_billy_jean_limit2.json")["data"][0]

    track = parse_track(item)

    assert track.deezer_id == 4603408
    assert track.title == "Billie Jean"
    assert track.duration_ms == 293_000
    assert track.preview_url == item["preview"]
    assert track.isrc is None
    assert track.explicit is False
    assert track.track_position is None
    assert track.artist == ArtistRecord(259, "Michael Jackson", item["artist"]["picture_big"])
    assert track.album == AlbumRecord(423368, "Michael Jackson's This Is It", item["album"]["cover_big"], None)


@pytest.mark.parametrize("fixture", ["chart_0_tracks.json", "chart_106_tracks.json"])
def test_chart_item_position_is_not_a_track_position(recorded, fixture):
    item = recorded(fixture)["data"][0]

    track = parse_track(item)

    assert track.deezer_id == item["id"]
    assert track.track_position is None  # "position" is the chart rank
    assert track.album.deezer_id == item["album"]["id"]
    assert track.artist.picture_url == item["artist"]["picture_big"]


def test_chart_overview_tracks_parse_like_chart_tracks(recorded):
    items = recorded("chart_0.json")["tracks"]["data"]

    tracks = [parse_track(item) for item in items]

    assert [t.deezer_id for t in tracks] == [item["id"] for item in items]


def test_album_response_gives_album_with_release_date_and_its_artist(recorded):
    body = recorded("album_302127.json")

    album = parse_album(body)
    artist = parse_artist(body["artist"])

    assert artist == ArtistRecord(27, "Daft Punk", body["artist"]["picture_big"])
    assert album == AlbumRecord(302127, "Discovery", body["cover_big"], datetime.date(2001, 3, 7), artist=artist)


def test_album_list_item_takes_its_artist_from_context(recorded):
    item = recorded("artist_27_albums_page1.json")["data"][0]
    artist = ArtistRecord(27, "Daft Punk", None)

    assert parse_album(item, artist=artist).artist == artist
    assert parse_album(item).artist is None


def test_album_track_item_carries_its_disk_number(recorded):
    item = recorded("album_302127_tracks.json")["data"][0]

    assert parse_track(item).disk_number == item["disk_number"] == 1


def test_album_track_item_takes_album_and_artist_picture_from_context(recorded):
    album_body = recorded("album_302127.json")
    album, artist = parse_album(album_body), parse_artist(album_body["artist"])
    item = recorded("album_302127_tracks.json")["data"][3]

    track = parse_track(item, album=album, artist=artist)

    assert track.deezer_id == 3135556
    assert track.title == "Harder Better Faster Stronger"
    assert track.isrc == "GBDUW0000059"
    assert track.track_position == 4
    assert track.album == album
    assert track.artist == artist
    assert track.artist.picture_url is not None


def test_album_track_by_another_artist_keeps_its_own_artist(recorded):
    album_body = recorded("album_302127.json")
    item = recorded("album_302127_tracks.json")["data"][0]
    item["artist"] = {"id": 259, "name": "Michael Jackson", "type": "artist"}

    track = parse_track(item, album=parse_album(album_body), artist=parse_artist(album_body["artist"]))

    assert track.artist == ArtistRecord(259, "Michael Jackson", None)


def test_album_track_without_context_has_unknown_album_and_picture(recorded):
    item = recorded("album_302127_tracks.json")["data"][0]

    track = parse_track(item)

    assert track.album is None
    assert track.artist == ArtistRecord(27, "Daft Punk", None)


def test_playlist_item_with_empty_preview_has_no_preview(recorded):
    items = recorded("playlist_908622995.json")["tracks"]["data"]
    unplayable = next(item for item in items if item["preview"] == "")

    track = parse_track(unplayable)

    assert track.preview_url is None
    assert track.deezer_id == unplayable["id"]


def test_playlist_tracks_page_items_parse(recorded):
    items = recorded("playlist_9200461_tracks_page1.json")["data"]

    tracks = [parse_track(item) for item in items]

    assert [t.deezer_id for t in tracks] == [item["id"] for item in items]
    assert all(t.isrc is None and t.album.release_date is None for t in tracks)
    assert sum(t.preview_url is None for t in tracks) == 3


def test_artist_top_item_uses_main_artist_not_contributors(recorded):
    item = recorded("artist_27_top.json")["data"][0]
    artist = parse_artist(recorded("artist_27.json"))

    track = parse_track(item, artist=artist)

    assert track.title == "Instant Crush"
    assert track.artist == artist
    assert track.album == AlbumRecord(6575789, "Random Access Memories", item["album"]["cover_big"], None)


def test_full_track_response_has_isrc_position_and_release_date(recorded):
    body = recorded("track_3135556.json")

    track = parse_track(body)

    assert track.isrc == "GBDUW0000059"
    assert track.track_position == 4
    assert track.explicit is False
    assert track.album.release_date == datetime.date(2001, 3, 7)


def test_explicit_track_is_explicit(recorded):
    assert parse_track(recorded("track_1425844092_contributors.json")).explicit is True


def test_artist_album_item_has_release_date(recorded):
    item = recorded("artist_27_albums_page1.json")["data"][0]

    album = parse_album(item)

    assert album == AlbumRecord(8244118, "Human After All (Remixes)", item["cover_big"], datetime.date(2005, 3, 20))


def test_zero_release_date_means_unknown(recorded):
    # No recorded response carries it; Deezer sends it on albums without a known date.
    item = recorded("artist_27_albums_page1.json")["data"][0]
    item["release_date"] = "0000-00-00"

    assert parse_album(item).release_date is None


def test_placeholder_picture_with_empty_hash_means_no_picture(recorded):
    artists = recorded("search_artist_daft_punk.json")["data"]
    placeholder = next(a for a in artists if "/artist//" in a["picture_big"])

    assert parse_artist(placeholder).picture_url is None


def test_missing_or_empty_images_mean_no_image(recorded):
    item = recorded("artist_27_albums_page1.json")["data"][0]
    del item["cover_big"]
    artist = recorded("artist_27.json")
    artist["picture_big"] = ""

    assert parse_album(item).cover_url is None
    assert parse_artist(artist).picture_url is None


@pytest.mark.parametrize("broken", [{"id": None}, {"title": ""}, {"artist": None}])
def test_item_without_id_title_or_artist_is_malformed(recorded, broken):
    item = {**recorded("search_billy_jean_limit2.json")["data"][0], **broken}

    with pytest.raises(MalformedItemError):
        parse_track(item)


@pytest.mark.parametrize(
    ("source", "described"),
    [
        (DeezerSource("album", 302127), "album 302127"),
        (DeezerSource("artist", 27), "artist 27"),
        (DeezerSource("playlist", 9200461), "playlist 9200461"),
        (DeezerSource("query", "daft punk"), 'query "daft punk"'),
        (DeezerSource("chart", None), "chart"),
    ],
)
def test_source_describes_itself(source, described):
    assert source.describe() == described


@pytest.mark.parametrize(
    ("kind", "value"),
    [("album", "302127"), ("artist", 0), ("playlist", True), ("query", "  "), ("chart", 0), ("track", 1)],
)
def test_invalid_source_is_rejected(kind, value):
    with pytest.raises(ValueError):
        DeezerSource(kind, value)


# --- hostile items: every field checked, the item skipped or the field unknown ---------------------------------

def search_item(recorded, **changes):
    return {**recorded("search_billy_jean_limit2.json")["data"][0], **changes}


@pytest.mark.parametrize("changes", [
    {"id": "²"},  # passes str.isdigit(), fails int()
    {"id": "١٢٣"},  # Arabic-Indic digits: a decimal to Python, not to Deezer
    {"id": 2**63}, {"id": str(2**63)}, {"id": "9" * 5000}, {"id": 0}, {"id": -3}, {"id": "-3"}, {"id": "1e3"},
    {"id": 1.0}, {"id": True},
    {"duration": 10**12}, {"duration": -1}, {"duration": "²"}, {"duration": 3.5}, {"duration": 24 * 3600 + 1},
    {"track_position": 2**31}, {"disk_number": -1},
    {"title": "x" * 301}, {"title": "nul \x00 inside"}, {"title": "lone \ud800 surrogate"}, {"title": 42},
], ids=lambda changes: repr(changes)[:40])
def test_item_with_an_unusable_value_is_malformed(recorded, changes):
    with pytest.raises(MalformedItemError):
        parse_track(search_item(recorded, **changes))


@pytest.mark.parametrize("field, value", [("id", 2**63), ("id", "²"), ("name", " "), ("name", "n" * 301)])
def test_item_whose_artist_or_album_is_unusable_is_malformed(recorded, field, value):
    item = search_item(recorded)
    for nested in ("artist", "album"):
        broken = {**item, nested: {**item[nested], field: value}}
        if nested == "album" and field == "name":
            broken["album"] = {**item["album"], "title": value}
        with pytest.raises(MalformedItemError):
            parse_track(broken)


def test_values_at_the_edges_of_their_ranges_are_kept(recorded):
    item = search_item(recorded, id=str(2**63 - 1), duration=24 * 3600, title="t" * 300,
                       track_position=2**31 - 1, disk_number=0)

    track = parse_track(item)

    assert (track.deezer_id, track.duration_ms, len(track.title)) == (2**63 - 1, 24 * 3600 * 1000, 300)
    assert (track.track_position, track.disk_number) == (2**31 - 1, 0)


def test_html_in_a_title_is_kept_as_data(recorded):
    title = '<script>alert("x")</script> & <b>bold</b>'
    assert parse_track(search_item(recorded, title=title)).title == title


@pytest.mark.parametrize("url", [
    "javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "http://cdnt-preview.dzcdn.net/preview.mp3", "ftp://cdnt-preview.dzcdn.net/preview.mp3", "//evil.example/x",
    "https:///no-host", " https://cdnt-preview.dzcdn.net/a.mp3", "https://cdnt-preview.dzcdn.net/a\n.mp3",
    "https://[::1/a.mp3", "https://cdnt-preview.dzcdn.net/" + "a" * 500, 12,
])
def test_preview_cover_and_picture_urls_other_than_https_are_unknown(recorded, url):
    item = search_item(recorded, preview=url)
    item["album"] = {**item["album"], "cover_big": url}
    artist = {**recorded("artist_27.json"), "picture_big": url}

    track = parse_track(item)

    assert (track.preview_url, track.album.cover_url, parse_artist(artist).picture_url) == (None, None, None)


def test_https_urls_are_kept_and_more_schemes_only_when_allowed(recorded):
    item = search_item(recorded, preview="http://127.0.0.1:8000/preview.mp3")

    assert parse_track(item).preview_url is None
    assert parse_track(item, url_schemes=frozenset({"https", "http"})).preview_url == item["preview"]
    assert parse_track(search_item(recorded)).preview_url.startswith("https://")


@pytest.mark.parametrize("isrc", ["X" * 13, "", "nul\x00", 12345])
def test_unusable_isrc_is_unknown(recorded, isrc):
    assert parse_track(search_item(recorded, isrc=isrc)).isrc is None


@pytest.mark.parametrize("date", ["2024-02-30", "0000-00-00", "yesterday", "2024-01-01" + "0" * 1000, 20240101])
def test_invalid_release_date_is_unknown(recorded, date):
    item = {**recorded("artist_27_albums_page1.json")["data"][0], "release_date": date}
    assert parse_album(item).release_date is None


def test_a_malformed_items_message_is_short_and_escaped(recorded):
    with pytest.raises(MalformedItemError) as malformed:
        parse_track(search_item(recorded, id="\n" + "9" * 10_000))
    assert len(str(malformed.value)) < 120 and "\n" not in str(malformed.value)
