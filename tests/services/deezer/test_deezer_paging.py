"""Walking every kind of source through Deezer's paging, up to the limit and no further."""
import datetime
import re
import weakref
from urllib.parse import parse_qs, urlsplit

import pytest

from app.services.deezer import DeezerClient, DeezerPermanentError, DeezerSource
from app.services.deezer.paging import MAX_FETCHES_WITHOUT_TRACK


def all_tracks(pages):
    return [track for page in pages for track in page.tracks]


def query_of(request):
    return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}


def paths(requests_mock):
    return [urlsplit(r.url).path for r in requests_mock.request_history]


def test_query_reads_pages_until_limit_and_truncates_the_last(deezer, serve_generated_tracks):
    served = serve_generated_tracks("/search", total=1000)

    pages = list(deezer.iter_track_pages(DeezerSource("query", "daft punk"), 250))

    assert [len(page.tracks) for page in pages] == [100, 100, 50]
    assert [page.pages_fetched for page in pages] == [1, 2, 3]
    assert [t.deezer_id for t in all_tracks(pages)] == list(range(1, 251))
    assert served == [(0, 100), (100, 100), (200, 100)]


def test_limit_below_a_page_asks_for_only_that_many(deezer, serve_generated_tracks, requests_mock):
    served = serve_generated_tracks("/search", total=1000)

    pages = list(deezer.iter_track_pages(DeezerSource("query", "daft punk"), 30))

    assert len(all_tracks(pages)) == 30
    assert served == [(0, 30)]
    assert query_of(requests_mock.last_request) == {"q": "daft punk", "limit": "30"}


def test_source_with_fewer_tracks_than_limit_reads_them_all(deezer, serve_generated_tracks):
    served = serve_generated_tracks("/search", total=130)

    pages = list(deezer.iter_track_pages(DeezerSource("query", "x"), 10_000))

    assert len(all_tracks(pages)) == 130
    assert len(served) == 2


def test_limit_zero_fetches_nothing(deezer, requests_mock):
    assert list(deezer.iter_track_pages(DeezerSource("chart"), 0)) == []
    assert requests_mock.call_count == 0


def test_query_source_keeps_search_order(deezer, requests_mock, recorded, base_url):
    body = recorded("search_lou_doillon_lay_low_one_page.json")
    requests_mock.get(f"{base_url}/search", json=body)

    pages = list(deezer.iter_track_pages(DeezerSource("query", "Lou Doillon Lay Low"), 100))

    assert [t.deezer_id for t in all_tracks(pages)] == [item["id"] for item in body["data"]]
    assert requests_mock.call_count == 1
    assert requests_mock.last_request.url == f"{base_url}/search?q=Lou%20Doillon%20Lay%20Low&limit=100"


def test_search_without_results_yields_one_empty_page(deezer, requests_mock, recorded, base_url):
    requests_mock.get(f"{base_url}/search", json=recorded("search_artist_no_results.json"))

    pages = list(deezer.iter_track_pages(DeezerSource("query", "zzzzqqq"), 100))

    assert [(page.tracks, page.pages_fetched) for page in pages] == [([], 1)]


def test_album_source_attaches_album_and_artist_metadata(deezer, requests_mock, recorded, base_url):
    album_body = recorded("album_302127.json")
    requests_mock.get(f"{base_url}/album/302127", json=album_body)
    requests_mock.get(f"{base_url}/album/302127/tracks", json=recorded("album_302127_tracks.json"))

    pages = list(deezer.iter_track_pages(DeezerSource("album", 302127), 100))

    tracks = all_tracks(pages)
    assert len(tracks) == 14
    assert [t.track_position for t in tracks] == list(range(1, 15))
    assert {t.album.release_date for t in tracks} == {datetime.date(2001, 3, 7)}
    assert {t.album.cover_url for t in tracks} == {album_body["cover_big"]}
    assert {t.artist.picture_url for t in tracks} == {album_body["artist"]["picture_big"]}
    assert all(t.isrc for t in tracks)
    assert paths(requests_mock) == ["/album/302127", "/album/302127/tracks"]
    assert pages[-1].pages_fetched == 2


def test_album_stops_on_an_empty_page_past_the_end(deezer, requests_mock, recorded, base_url):
    first_page = recorded("album_302127_tracks.json")
    first_page["next"] = "https://api.deezer.com/album/302127/tracks?index=14"
    requests_mock.get(f"{base_url}/album/302127", json=recorded("album_302127.json"))
    requests_mock.get(f"{base_url}/album/302127/tracks", json=first_page)
    requests_mock.get(f"{base_url}/album/302127/tracks?index=14",
                      json=recorded("album_302127_tracks_index14_past_end.json"))

    pages = list(deezer.iter_track_pages(DeezerSource("album", 302127), 100))

    assert [len(page.tracks) for page in pages] == [14, 0]
    assert pages[-1].pages_fetched == 3
    assert requests_mock.call_count == 3


def test_playlist_follows_next_from_a_recorded_page(deezer, requests_mock, recorded, base_url,
                                                    generated_track_item):
    requests_mock.get(f"{base_url}/playlist/9200461/tracks", json=recorded("playlist_9200461_tracks_page1.json"))
    requests_mock.get(f"{base_url}/playlist/9200461/tracks?index=25",
                      json={"data": [generated_track_item(n) for n in (1, 2, 3)], "total": 102})

    pages = list(deezer.iter_track_pages(DeezerSource("playlist", 9200461), 1000))

    assert [len(page.tracks) for page in pages] == [25, 3]
    assert requests_mock.request_history[1].url == f"{base_url}/playlist/9200461/tracks?index=25"


def test_chart_source_reads_chart_zero_tracks(deezer, requests_mock, recorded, base_url):
    body = recorded("chart_0_tracks.json")
    requests_mock.get(f"{base_url}/chart/0/tracks", json=body)

    pages = list(deezer.iter_track_pages(DeezerSource("chart"), 100))

    assert [t.deezer_id for t in all_tracks(pages)] == [item["id"] for item in body["data"]]
    assert paths(requests_mock) == ["/chart/0/tracks"]


@pytest.fixture
def artist_27(requests_mock, recorded, base_url, generated_track_item):
    """Artist 27 as recorded: 5 top tracks, 25 + 7 albums; every album's tracks are two generated tracks."""
    requests_mock.get(f"{base_url}/artist/27", json=recorded("artist_27.json"))
    requests_mock.get(f"{base_url}/artist/27/top", json=recorded("artist_27_top.json"))
    requests_mock.get(f"{base_url}/artist/27/top?index=5", json={"data": [], "total": 100})
    requests_mock.get(f"{base_url}/artist/27/albums", json=recorded("artist_27_albums_page1.json"))
    requests_mock.get(f"{base_url}/artist/27/albums?index=25", json=recorded("artist_27_albums_page2.json"))

    def album_tracks(request, context):
        album_id = int(re.search(r"/album/(\d+)/tracks", request.url).group(1))
        items = [generated_track_item(album_id * 10 + n) for n in (1, 2)]
        for item in items:  # album track lists carry no album and a bare artist
            del item["album"]
            item["artist"] = {"id": 27, "name": "Daft Punk", "type": "artist"}
        return {"data": items, "total": 2}

    requests_mock.get(re.compile(re.escape(base_url) + r"/album/\d+/tracks"), json=album_tracks)
    return recorded("artist_27_albums_page1.json")["data"] + recorded("artist_27_albums_page2.json")["data"]


def test_artist_source_reads_top_tracks_then_each_album(deezer, requests_mock, recorded, artist_27):
    pages = list(deezer.iter_track_pages(DeezerSource("artist", 27), 10_000))

    tracks = all_tracks(pages)
    top_ids = [item["id"] for item in recorded("artist_27_top.json")["data"]]
    album_ids = [album["id"] for album in artist_27]
    assert len(tracks) == 5 + 2 * 32
    assert [t.deezer_id for t in tracks[:5]] == top_ids
    assert [t.album.deezer_id for t in tracks[5:]] == [a for a in album_ids for _ in (1, 2)]
    first_album_track = tracks[5]
    assert first_album_track.album.release_date == datetime.date(2005, 3, 20)
    assert first_album_track.album.cover_url == artist_27[0]["cover_big"]
    picture = recorded("artist_27.json")["picture_big"]
    assert {t.artist.picture_url for t in tracks} == {picture}
    # artist + 2 top pages + 2 album-list pages + one tracks page per album
    assert pages[-1].pages_fetched == 1 + 2 + 2 + 32 == requests_mock.call_count


def test_artist_source_stops_mid_album_at_the_limit(deezer, requests_mock, artist_27):
    pages = list(deezer.iter_track_pages(DeezerSource("artist", 27), 10))

    assert len(all_tracks(pages)) == 10
    assert paths(requests_mock) == ["/artist/27", "/artist/27/top", "/artist/27/top", "/artist/27/albums",
                                    f"/album/{artist_27[0]['id']}/tracks", f"/album/{artist_27[1]['id']}/tracks",
                                    f"/album/{artist_27[2]['id']}/tracks"]
    assert query_of(requests_mock.request_history[-1]) == {"limit": "1"}


def test_artist_album_that_is_gone_is_skipped(deezer, requests_mock, recorded, base_url, artist_27):
    gone = artist_27[1]["id"]
    requests_mock.get(f"{base_url}/album/{gone}/tracks", json=recorded("error_album_not_found.json"))

    tracks = all_tracks(deezer.iter_track_pages(DeezerSource("artist", 27), 10_000))

    assert len(tracks) == 5 + 2 * 31
    assert gone not in {t.album.deezer_id for t in tracks[5:]}


def test_short_page_with_next_is_not_the_last(deezer, requests_mock, recorded, base_url, generated_track_item):
    # Like editorial_106_releases_page1.json: 19 items on a 20-item page, and a `next`.
    first_page = recorded("search_lou_doillon_page1.json")
    first_page["data"] = first_page["data"][:19]
    requests_mock.get(f"{base_url}/search", json=first_page)
    requests_mock.get(f"{base_url}/search?index=25",
                      json={"data": [generated_track_item(n) for n in range(1, 6)], "total": 164})

    pages = list(deezer.iter_track_pages(DeezerSource("query", "Lou Doillon"), 100))

    assert [len(page.tracks) for page in pages] == [19, 5]
    assert requests_mock.call_count == 2


def test_next_on_another_host_is_fetched_from_the_base_url(deezer, requests_mock, base_url, generated_track_item):
    requests_mock.get(f"{base_url}/search", json={
        "data": [generated_track_item(1)], "total": 2,
        "next": "https://attacker.example:8443/search?q=x&index=1"})
    requests_mock.get(f"{base_url}/search?index=1", json={"data": [generated_track_item(2)], "total": 2})

    tracks = all_tracks(deezer.iter_track_pages(DeezerSource("query", "x"), 100))

    assert [t.deezer_id for t in tracks] == [1, 2]
    assert [r.netloc for r in requests_mock.request_history] == ["127.0.0.1:9", "127.0.0.1:9"]
    assert requests_mock.request_history[1].url == f"{base_url}/search?q=x&index=1"


def test_base_url_with_a_path_keeps_it_for_next_links(limiter, requests_mock, serve_generated_tracks, base_url):
    served = serve_generated_tracks("/fake-deezer/search", total=150)
    deezer = DeezerClient(f"{base_url}/fake-deezer/", limiter)

    tracks = all_tracks(deezer.iter_track_pages(DeezerSource("query", "x"), 150))

    assert len(tracks) == 150
    assert served == [(0, 100), (100, 100)]
    assert all(urlsplit(r.url).path == "/fake-deezer/search" for r in requests_mock.request_history)


def test_next_pointing_back_to_the_same_page_stops(deezer, requests_mock, base_url, generated_track_item):
    requests_mock.get(f"{base_url}/search", json={
        "data": [generated_track_item(1)], "total": 1000,
        "next": "https://api.deezer.com/search?q=x&limit=100"})

    pages = list(deezer.iter_track_pages(DeezerSource("query", "x"), 1000))

    assert len(all_tracks(pages)) == 1
    assert requests_mock.call_count == 1


def test_next_links_going_round_in_a_circle_stop(deezer, requests_mock, base_url, generated_track_item):
    requests_mock.get(f"{base_url}/search", json={
        "data": [generated_track_item(1)], "next": "https://api.deezer.com/search?q=x&index=1"})
    requests_mock.get(f"{base_url}/search?index=1", json={
        "data": [generated_track_item(2)], "next": "https://api.deezer.com/search?q=x&index=2"})
    requests_mock.get(f"{base_url}/search?index=2", json={
        "data": [generated_track_item(3)], "next": "https://api.deezer.com/search?q=x&index=1"})

    tracks = all_tracks(deezer.iter_track_pages(DeezerSource("query", "x"), 1000))

    assert [t.deezer_id for t in tracks] == [1, 2, 3]
    assert requests_mock.call_count == 3


def test_error_on_a_later_page_is_raised_not_taken_as_the_end(deezer, requests_mock, recorded, base_url,
                                                               generated_track_item):
    requests_mock.get(f"{base_url}/playlist/5/tracks", json={
        "data": [generated_track_item(1)], "next": "https://api.deezer.com/playlist/5/tracks?index=1"})
    requests_mock.get(f"{base_url}/playlist/5/tracks?index=1", json=recorded("error_playlist_not_found.json"))

    pages = deezer.iter_track_pages(DeezerSource("playlist", 5), 100)

    assert len(next(pages).tracks) == 1
    with pytest.raises(DeezerPermanentError):
        next(pages)


def test_malformed_items_are_skipped(deezer, requests_mock, base_url, generated_track_item):
    broken = generated_track_item(2)
    del broken["id"]
    requests_mock.get(f"{base_url}/chart/0/tracks",
                      json={"data": [generated_track_item(1), broken, generated_track_item(3)]})

    tracks = all_tracks(deezer.iter_track_pages(DeezerSource("chart"), 100))

    assert [t.deezer_id for t in tracks] == [1, 3]


def test_large_source_is_streamed_one_page_at_a_time(deezer, serve_generated_tracks):
    served = serve_generated_tracks("/search", total=5000)
    previous_page_tracks: list[weakref.ref] = []
    seen = 0

    for number, page in enumerate(deezer.iter_track_pages(DeezerSource("query", "x"), 5000), start=1):
        # Nothing fetched ahead of the consumer...
        assert len(served) == page.pages_fetched == number
        # ...and nothing kept from the page before: records hold no cycles, so once the consumer lets go of
        # a page its tracks are freed at once unless the client still holds them.
        assert previous_page_tracks and all(ref() is None for ref in previous_page_tracks) or number == 1
        previous_page_tracks = [weakref.ref(track) for track in page.tracks]
        seen += len(page.tracks)
        assert page.tracks[-1].deezer_id == seen

    assert seen == 5000
    assert len(served) == 50


# --- a source that keeps answering without usable tracks ----------------------------------------------------------

def serve_pages(requests_mock, url, page_of, *, pages=200):
    """Serve `pages` pages at `url` (Deezer's `index` paging, `next` on every page but the last); `page_of(n)` gives
    the n-th page's items. Returns the indexes served, in order."""
    served = []

    def page(request, context):
        number = int(query_of(request).get("index", 0))
        served.append(number)
        body = {"data": page_of(number), "total": pages}
        if number + 1 < pages:
            body["next"] = f"https://api.deezer.com{urlsplit(url).path}?index={number + 1}"
        return body

    requests_mock.get(url, json=page)
    return served


def malformed(number):
    return {"id": "²", "title": f"broken {number}"}


def test_endless_pages_of_malformed_items_are_given_up(deezer, requests_mock, base_url):
    served = serve_pages(requests_mock, f"{base_url}/search", lambda n: [malformed(n)] * 10)

    pages = list(deezer.iter_track_pages(DeezerSource("query", "x"), 50))

    assert len(served) == MAX_FETCHES_WITHOUT_TRACK  # not every page Deezer would give
    assert all_tracks(pages) == []
    assert pages[-1].cut_short and "10 requests in a row without a usable track" in pages[-1].cut_short
    assert pages[-1].items_skipped == 10 * MAX_FETCHES_WITHOUT_TRACK
    assert [page.cut_short for page in pages[:-1]] == [None] * MAX_FETCHES_WITHOUT_TRACK


def test_pages_without_tracks_between_good_ones_do_not_stop_the_walk(deezer, requests_mock, base_url,
                                                                     generated_track_item):
    # One good track every ninth page: each run of junk stays under the cut.
    def page_of(number):
        return [generated_track_item(number + 1)] if number % 9 == 8 else [malformed(number)]

    serve_pages(requests_mock, f"{base_url}/search", page_of, pages=90)

    pages = list(deezer.iter_track_pages(DeezerSource("query", "x"), 1000))

    assert len(all_tracks(pages)) == 10
    assert pages[-1].pages_fetched == 90 and pages[-1].cut_short is None
    assert pages[-1].items_skipped == 80


def test_artist_whose_endless_albums_are_all_gone_is_given_up(deezer, requests_mock, recorded, base_url):
    requests_mock.get(f"{base_url}/artist/27", json=recorded("artist_27.json"))
    requests_mock.get(f"{base_url}/artist/27/top", json={"data": [], "total": 0})
    album = recorded("artist_27_albums_page1.json")["data"][0]
    serve_pages(requests_mock, f"{base_url}/artist/27/albums", lambda n: [{**album, "id": 1000 + n}])
    gone = recorded("error_album_not_found.json")
    requests_mock.get(re.compile(re.escape(base_url) + r"/album/\d+/tracks"), json=gone)

    pages = list(deezer.iter_track_pages(DeezerSource("artist", 27), 100))

    assert requests_mock.call_count == MAX_FETCHES_WITHOUT_TRACK
    assert pages[-1].cut_short is not None


def test_items_that_are_not_objects_are_skipped_and_counted(deezer, requests_mock, base_url, generated_track_item):
    requests_mock.get(f"{base_url}/chart/0/tracks",
                      json={"data": [None, "track", 7, [], generated_track_item(1), malformed(2)]})

    pages = list(deezer.iter_track_pages(DeezerSource("chart"), 100))

    assert [t.deezer_id for t in all_tracks(pages)] == [1]
    assert pages[-1].items_skipped == 5


def test_unusable_next_link_ends_the_walk(deezer, requests_mock, base_url, generated_track_item):
    requests_mock.get(f"{base_url}/search", json={"data": [generated_track_item(1)], "next": "https://[::1/search"})

    pages = list(deezer.iter_track_pages(DeezerSource("query", "x"), 100))

    assert len(all_tracks(pages)) == 1 and requests_mock.call_count == 1


def test_a_base_served_over_http_keeps_http_links_and_only_those(limiter, requests_mock, base_url,
                                                                  generated_track_item):
    assert base_url.startswith("http://")
    kept, dropped = generated_track_item(1), generated_track_item(2)
    kept["preview"], dropped["preview"] = "http://127.0.0.1:9/preview/1.mp3", "javascript:alert(1)"
    requests_mock.get(f"{base_url}/chart/0/tracks", json={"data": [kept, dropped]})

    with DeezerClient(base_url, limiter, sleep=lambda seconds: None) as client:
        tracks = all_tracks(client.iter_track_pages(DeezerSource("chart"), 100))

    assert [t.preview_url for t in tracks] == [kept["preview"], None]


def test_an_https_base_refuses_http_links(limiter, requests_mock, generated_track_item):
    item = generated_track_item(1)
    item["preview"] = "http://cdnt-preview.dzcdn.net/preview/1.mp3"
    requests_mock.get("https://api.deezer.test/chart/0/tracks", json={"data": [item]})

    with DeezerClient("https://api.deezer.test", limiter, sleep=lambda seconds: None) as client:
        tracks = all_tracks(client.iter_track_pages(DeezerSource("chart"), 100))

    assert tracks[0].preview_url is None
