import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import Activity, Collection, CollectionItem, User
from app.services import collections
from tests.concurrency import run_concurrently
from tests.factories import make_collection, make_song


def positions(collection_id):
    db.session.expire_all()
    return db.session.execute(
        select(CollectionItem.song_id, CollectionItem.position)
        .where(CollectionItem.collection_id == collection_id).order_by(CollectionItem.position)
    ).all()


def order(collection_id):
    rows = positions(collection_id)
    assert [p for _, p in rows] == list(range(1, len(rows) + 1)), rows
    return [song_id for song_id, _ in rows]


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def songs():
    return [make_song(f"S{i}") for i in range(4)]


def test_creating_a_collection_records_its_activity_with_visibility(owner):
    collection = collections.create_collection(owner, "Private mix", public=False)
    activity = db.session.scalars(select(Activity)).one()
    assert (activity.action_type, activity.collection_id, activity.public) == (
        "created_collection", collection.id, False)


def test_changing_visibility_updates_the_activity(owner):
    collection = collections.create_collection(owner, "Mix")
    collections.update_collection(owner, collection.id, {"public": False})
    assert db.session.scalars(select(Activity.public)).one() is False


def test_items_are_added_at_the_end_by_default(owner, songs):
    collection = make_collection(owner)
    for song in songs:
        collections.add_item(owner, collection.id, song.id)
    assert order(collection.id) == [s.id for s in songs]


def test_adding_at_a_position_shifts_the_rest_down(owner, songs):
    collection = make_collection(owner, songs=songs[:3])
    place = collections.add_item(owner, collection.id, songs[3].id, position=2)
    assert place.position == 2
    assert order(collection.id) == [songs[0].id, songs[3].id, songs[1].id, songs[2].id]


def test_adding_beyond_the_end_clamps_to_the_end(owner, songs):
    collection = make_collection(owner, songs=songs[:2])
    assert collections.add_item(owner, collection.id, songs[2].id, position=99).position == 3


def test_adding_a_song_twice_is_a_conflict_and_changes_nothing(owner, songs):
    collection = make_collection(owner, songs=songs[:3])
    with pytest.raises(Conflict):
        collections.add_item(owner, collection.id, songs[2].id, position=1)
    assert order(collection.id) == [s.id for s in songs[:3]]


def test_adding_an_unknown_song_is_not_found(owner):
    collection = make_collection(owner)
    with pytest.raises(NotFound) as error:
        collections.add_item(owner, collection.id, 999)
    assert error.value.field == "song_id"


@pytest.mark.parametrize("song_index, position, expected", [
    (3, 1, [3, 0, 1, 2]),
    (0, 4, [1, 2, 3, 0]),
    (1, 3, [0, 2, 1, 3]),
    (2, 2, [0, 2, 1, 3]),
    (1, 2, [0, 1, 2, 3]),
    (0, 50, [1, 2, 3, 0]),
])
def test_moving_an_item_shifts_the_others(owner, songs, song_index, position, expected):
    collection = make_collection(owner, songs=songs)
    collections.move_item(owner, collection.id, songs[song_index].id, position)
    assert order(collection.id) == [songs[i].id for i in expected]


def test_moving_a_song_not_in_the_collection_is_not_found(owner, songs):
    collection = make_collection(owner, songs=songs[:1])
    with pytest.raises(NotFound):
        collections.move_item(owner, collection.id, songs[1].id, 1)


def test_removing_an_item_closes_the_gap(owner, songs):
    collection = make_collection(owner, songs=songs)
    collections.remove_item(owner, collection.id, songs[1].id)
    assert order(collection.id) == [songs[0].id, songs[2].id, songs[3].id]


def test_someone_elses_public_collection_is_forbidden_to_change(owner, make_user, songs):
    collection = make_collection(owner)
    with pytest.raises(Forbidden):
        collections.add_item(make_user(), collection.id, songs[0].id)


def test_someone_elses_private_collection_is_not_found(owner, make_user, songs):
    collection = make_collection(owner, public=False)
    with pytest.raises(NotFound):
        collections.add_item(make_user(), collection.id, songs[0].id)
    with pytest.raises(NotFound):
        collections.get_collection(collection.id, make_user().id)


def test_deleting_a_collection_leaves_no_orphans(owner, songs):
    collection = collections.create_collection(owner, "Mix")
    collections.add_item(owner, collection.id, songs[0].id)
    collections.delete_collection(owner, collection.id)
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Collection, CollectionItem, Activity)]
    assert counts == [0, 0, 0]


def test_concurrent_adds_keep_positions_without_gaps_or_duplicates(app, owner):
    song_ids = [make_song().id for _ in range(8)]
    collection_id, owner_id = make_collection(owner).id, owner.id

    def adder(song_id, position):
        return lambda: collections.add_item(db.session.get(User, owner_id), collection_id, song_id, position)

    run_concurrently(app, [adder(song_id, 1 if i % 2 else None) for i, song_id in enumerate(song_ids)])
    assert sorted(order(collection_id)) == sorted(song_ids)


def test_concurrent_moves_and_adds_keep_positions_without_gaps_or_duplicates(app, owner):
    existing = [make_song() for _ in range(6)]
    new_ids = [make_song().id for _ in range(3)]
    collection_id, owner_id = make_collection(owner, songs=existing).id, owner.id

    def as_owner(call, *args):
        return lambda: call(db.session.get(User, owner_id), collection_id, *args)

    jobs = [as_owner(collections.move_item, song.id, position)
            for song, position in zip(existing[:5], [6, 1, 3, 5, 2])]
    jobs += [as_owner(collections.add_item, song_id, 2) for song_id in new_ids]
    jobs += [as_owner(collections.remove_item, existing[5].id)]
    run_concurrently(app, jobs)
    assert sorted(order(collection_id)) == sorted([s.id for s in existing[:5]] + new_ids)
