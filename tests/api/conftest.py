"""Fixtures of the API tests: a user of one's own (`me`) and its Bearer headers."""
import pytest


@pytest.fixture
def me(make_user):
    return make_user()


@pytest.fixture
def headers(me, auth_headers):
    return auth_headers(me)
