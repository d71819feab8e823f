"""The yardstick of bench/http_bench.py: a bare Flask app answering a fixed page of 20 song-shaped objects.

    gunicorn -c gunicorn.conf.py bench.bare_app:app

No database, no auth, no limiter, no logging of its own: what Flask and gunicorn cost for a JSON list of the
size /api/v2/songs?limit=20 answers. The project's endpoints are reported as ratios to it.
"""
from flask import Flask, jsonify

SONGS = [
    {
        "id": 10_000 - n,
        "title": f"Song {10_000 - n}",
        "duration_ms": 180_000 + n,
        "preview_url": f"https://cdns-preview.example/{10_000 - n}.mp3",
        "isrc": f"FRZ0{10_000 - n:08d}",
        "explicit": n % 7 == 0,
        "deezer_id": 3_000_000_000 + n,
        "artist_name": f"Artist {n % 100}",
        "artist": {"id": n % 100 + 1, "name": f"Artist {n % 100}", "deezer_id": 100 + n, "picture_url": None},
        "album": {
            "id": n + 1, "title": f"Album {n}", "cover_url": f"https://cdn.example/{n}.jpg",
            "deezer_id": 200_000 + n, "release_date": "2024-03-01",
        },
    }
    for n in range(20)
]

app = Flask(__name__)


@app.get("/api/v2/songs")
def songs():
    return jsonify({"items": SONGS, "next_cursor": "WzQ5ODBd.fixed-cursor"})
