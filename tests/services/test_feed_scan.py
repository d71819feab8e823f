"""The following feed's bounded scan (PostgreSQL): a page from it, or from its fallback, is the exact page."""
import pytest

from app.extensions import db
from app.services import feed
from tests.paging import walk
from tests.services.test_feed import collection_activity, follow

pytestmark = pytest.mark.postgres


def following_ids(me, limit):
    """Every item id of the following feed, page after page."""
    return [item.id for item in walk(lambda page: feed.following_feed(me, page), feed.FOLLOWING_KEYSET, limit)]


@pytest.fixture
def quiet_followee_among_busy_strangers(make_user):
    """My followee posted long ago; strangers posted a lot since, so a small scan budget runs out."""
    me, friend, stranger = make_user(), make_user(), make_user()
    follow(me, friend)
    old = [collection_activity(friend, minute).id for minute in range(3)]
    for minute in range(10, 40):
        collection_activity(stranger, minute)
    db.session.commit()
    return me, list(reversed(old))


def test_exhausted_scan_budget_falls_back_to_the_exact_page(monkeypatch, quiet_followee_among_busy_strangers):
    me, expected = quiet_followee_among_busy_strangers
    monkeypatch.setattr(feed, "SCAN_ROWS_PER_ITEM", 2)

    assert following_ids(me, limit=2) == expected


def test_scan_and_fallback_pages_match_across_budgets(monkeypatch, make_user):
    me = make_user()
    friends = [make_user() for _ in range(3)]
    stranger = make_user()
    for friend in friends:
        follow(me, friend)
    for minute in range(40):
        actor = friends[minute % 3] if minute % 4 == 0 else stranger
        collection_activity(actor, minute)
    pages = {}
    for budget in (1, 3, 100):
        monkeypatch.setattr(feed, "SCAN_ROWS_PER_ITEM", budget)
        pages[budget] = following_ids(me, limit=3)

    assert len(pages[100]) == 10 and pages[1] == pages[3] == pages[100]
