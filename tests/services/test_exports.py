"""The export document and the export job's service: content, streaming, outcomes."""
import io
import json
import tracemalloc
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select

from app.errors import RateLimited
from app.extensions import db
from app.models import (
    Activity,
    Album,
    Artist,
    Collection,
    CollectionItem,
    Comment,
    Export,
    Follow,
    Like,
    Review,
    Song,
)
from app.services import exports
from tests.concurrency import run_concurrently

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def add(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return rows[0] if len(rows) == 1 else rows


def make_songs(count, start=0):
    artist = add(Artist(name="The Exporters"))
    album = add(Album(artist_id=artist.id, title="Streams"))
    db.session.execute(insert(Song), [
        {"album_id": album.id, "title": f"Song {start + n}", "artist_name": "The Exporters"} for n in range(count)
    ])
    db.session.commit()
    return list(db.session.scalars(select(Song.id).where(Song.album_id == album.id).order_by(Song.id)))


def seed_history(user, friend, fan):
    """A small but complete history for `user`; returns the ids the document should mention."""
    song_a, song_b, song_c = make_songs(3)
    follow = add(Follow(follower_id=user.id, followed_id=friend.id, created_at=T0))
    add(Follow(follower_id=fan.id, followed_id=user.id, created_at=T0))
    review = add(Review(user_id=user.id, song_id=song_a, rating=5, review_text="Stunning ✨", created_at=T0))
    friends_review = add(Review(user_id=friend.id, song_id=song_b, rating=2, review_text="meh"))
    like_review = add(Like(user_id=user.id, likeable_type="Review", review_id=friends_review.id))
    add(Like(user_id=user.id, likeable_type="Song", song_id=song_c))
    comment = add(Comment(user_id=user.id, review_id=friends_review.id, text='Disagree, "really"'))
    add(Comment(user_id=friend.id, review_id=review.id, text="not the user's comment"))
    mixtape = add(Collection(user_id=user.id, title="Mixtape", description="for the road", public=False))
    add(CollectionItem(collection_id=mixtape.id, song_id=song_c, position=1),
        CollectionItem(collection_id=mixtape.id, song_id=song_a, position=2))
    empty = add(Collection(user_id=user.id, title="Empty"))
    add(Collection(user_id=friend.id, title="Not theirs"))
    add(Activity(actor_id=user.id, action_type="followed", follow_id=follow.id),
        Activity(actor_id=user.id, action_type="reviewed", review_id=review.id),
        Activity(actor_id=user.id, action_type="liked", like_id=like_review.id),
        Activity(actor_id=user.id, action_type="commented", comment_id=comment.id),
        Activity(actor_id=user.id, action_type="created_collection", collection_id=mixtape.id, public=False),
        Activity(actor_id=friend.id, action_type="reviewed", review_id=friends_review.id))
    # Plain values, so they survive the session being cleared (after a worker wrote in another process).
    return SimpleNamespace(
        user=SimpleNamespace(id=user.id, email=user.email), friend=(friend.id, friend.username),
        fan=(fan.id, fan.username), songs=(song_a, song_b, song_c), review_id=review.id,
        friends_review_id=friends_review.id, mixtape_id=mixtape.id, empty_id=empty.id,
    )


def check_document(document, history):
    """Assert `document` is exactly the user's history as seeded by `seed_history`."""
    user, (friend_id, _) = history.user, history.friend
    assert set(document) == {
        "exported_at", "user", "activities", "reviews", "likes", "comments", "collections", "following", "followers",
    }
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None
    assert document["user"]["id"] == user.id and document["user"]["email"] == user.email
    assert (document["user"]["following_count"], document["user"]["followers_count"]) == (1, 1)
    song_a, song_b, song_c = history.songs
    assert [(a["action_type"], a["target"]) for a in document["activities"]] == [
        ("followed", {"type": "User", "id": friend_id}),
        ("reviewed", {"type": "Song", "id": song_a}),
        ("liked", {"type": "Review", "id": history.friends_review_id}),
        ("commented", {"type": "Review", "id": history.friends_review_id}),
        ("created_collection", {"type": "Collection", "id": history.mixtape_id}),
    ]
    [review] = document["reviews"]
    assert review["id"] == history.review_id and review["rating"] == 5 and review["review_text"] == "Stunning ✨"
    assert review["song"] == {"id": song_a, "title": "Song 0", "artist_name": "The Exporters"}
    assert review["created_at"] == T0.isoformat()
    assert [(like["likeable_type"], like["likeable_id"]) for like in document["likes"]] == [
        ("Review", history.friends_review_id), ("Song", song_c),
    ]
    assert [(c["review_id"], c["text"]) for c in document["comments"]] == [
        (history.friends_review_id, 'Disagree, "really"')
    ]
    mixtape, empty = document["collections"]
    assert (mixtape["id"], mixtape["title"], mixtape["public"]) == (history.mixtape_id, "Mixtape", False)
    assert [(item["position"], item["song"]["id"]) for item in mixtape["items"]] == [(1, song_c), (2, song_a)]
    assert (empty["id"], empty["items"]) == (history.empty_id, [])
    assert [(f["id"], f["username"]) for f in document["following"]] == [history.friend]
    assert [(f["id"], f["username"]) for f in document["followers"]] == [history.fan]


@pytest.fixture
def people(make_user):
    return make_user(), make_user(), make_user()


def render(user_id, **options):
    out = io.BytesIO()
    exports.write_document(user_id, out, **options)
    return json.loads(out.getvalue())


def test_document_holds_the_whole_history_of_the_user_only(people):
    user, friend, fan = people
    history = seed_history(user, friend, fan)
    check_document(render(user.id), history)


def test_document_is_the_same_whatever_the_batch_size(people):
    user, friend, fan = people
    seed_history(user, friend, fan)
    assert {**render(user.id, batch_size=1), "exported_at": None} == {**render(user.id), "exported_at": None}


def test_document_of_a_new_user_has_empty_sections(make_user):
    user = make_user()
    document = render(user.id)
    for section in ("activities", "reviews", "likes", "comments", "collections", "following", "followers"):
        assert document[section] == []
    assert document["user"]["username"] == user.username


def new_export(user):
    return add(Export(id=f"e{user.id:031d}", user_id=user.id, status="queued"))


def test_write_export_stores_the_file_and_finishes(people, local_backend):
    user, friend, fan = people
    history = seed_history(user, friend, fan)
    export_id = new_export(user).id
    exports.write_export(export_id)
    export = db.session.get(Export, export_id)
    assert export.status == "finished" and export.error is None
    assert export.storage_key.startswith("exports/") and export.storage_key.endswith(".json")
    assert export.expires_at == export.finished_at + timedelta(days=7)
    check_document(json.loads(local_backend.read(export.storage_key)), history)


def test_failed_write_marks_the_export_failed_and_leaves_no_file(make_user, local_backend, monkeypatch):
    user = make_user()
    export_id = new_export(user).id

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(local_backend.storage, "save", broken_save)
    with pytest.raises(OSError):
        exports.write_export(export_id)
    export = db.session.get(Export, export_id)
    assert export.status == "failed"
    assert export.error == exports.FAILED_MESSAGE
    assert export.storage_key is None and export.expires_at is not None
    assert local_backend.keys("exports") == []


@pytest.mark.parametrize("status", ["finished", "failed"])
def test_write_export_does_nothing_for_an_ended_export(make_user, local_backend, status):
    user = make_user()
    export = add(Export(id="x" * 32, user_id=user.id, status=status))
    exports.write_export(export.id)
    assert db.session.get(Export, "x" * 32).status == status
    assert local_backend.keys("exports") == []


def export_peak(user_id):
    """Peak traced memory while writing one export (the file goes to local storage)."""
    export_id = add(Export(id=f"{datetime.now().timestamp():.6f}".replace(".", "").ljust(32, "0"),
                           user_id=user_id, status="queued")).id
    db.session.expunge_all()
    tracemalloc.start()
    try:
        exports.write_export(export_id)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def add_reviews(user_id, count, start):
    db.session.execute(insert(Review), [
        {"user_id": user_id, "song_id": song_id, "rating": 1 + n % 5, "review_text": "x" * 200}
        for n, song_id in enumerate(make_songs(count, start))
    ])
    db.session.commit()


def test_memory_stays_flat_as_the_history_grows(make_user, local_backend):
    """Streaming: ten times the reviews must not take anywhere near ten times the memory."""
    user_id = make_user().id
    add_reviews(user_id, 2_000, 0)
    export_peak(user_id)  # warm-up: statement caches, imports
    small = export_peak(user_id)
    add_reviews(user_id, 18_000, 2_000)
    large = export_peak(user_id)
    document = json.loads(local_backend.read(db.session.scalars(
        select(Export.storage_key).where(Export.status == "finished").order_by(Export.finished_at.desc())
    ).first()))
    assert len(document["reviews"]) == 20_000
    # Building the list in memory would need ~10x; batches keep the peak about the same.
    print(f"peak memory: {small} bytes for 2,000 reviews, {large} bytes for 20,000")
    assert large < 2 * small, (small, large)


def test_concurrent_requests_make_one_export_and_one_job(app, make_user, monkeypatch):
    user = SimpleNamespace(id=make_user().id)  # not the test session's row: each thread reads on its own session
    queued = []
    monkeypatch.setattr(exports, "enqueue", lambda queue, job, export_id, **kwargs: queued.append(export_id))
    ids = run_concurrently(app, [lambda: exports.request_export(user).id] * 6)
    assert len(set(ids)) == 1
    assert queued == ids[:1]
    assert db.session.scalars(select(Export.id)).all() == ids[:1]


def test_concurrent_requests_never_pass_the_daily_quota(app, make_user, monkeypatch):
    """Four exports today, and each request's job ends at once: of concurrent requests, one more gets through."""
    user = SimpleNamespace(id=make_user().id)
    for n in range(4):
        add(Export(id=f"{n}".ljust(32, "f"), user_id=user.id, status="finished", created_at=exports.utcnow()))

    def request():
        try:
            export = exports.request_export(user)
        except RateLimited:
            return None
        export.status = "finished"
        db.session.commit()
        return export.id

    monkeypatch.setattr(exports, "enqueue", lambda *args, **kwargs: None)
    results = run_concurrently(app, [request] * 6)
    assert len({result for result in results if result}) == 1  # the others got it while it was under way, or 429
    assert db.session.scalar(select(func.count()).select_from(Export)) == 5
