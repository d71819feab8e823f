"""Configuration: production refuses missing or weak secrets and a multi-process setup without Redis; database
URLs work as users give them."""
import logging

import pytest

from config import ProductionConfig, database_url


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db:5432/listify", "postgresql+psycopg://u:p@db:5432/listify"),
    ("postgresql://u:p@db/listify", "postgresql+psycopg://u:p@db/listify"),
    ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_accepts_postgres_urls_as_given(given, expected):
    assert database_url(given) == expected


STRONG = {"SECRET_KEY": "k" * 40, "JWT_SECRET_KEY": "j" * 40}


def production(app_config, **overrides):
    """Production on the test database; one process without Redis unless the test says otherwise."""
    attrs = {"SQLALCHEMY_DATABASE_URI": app_config.SQLALCHEMY_DATABASE_URI, "REDIS_URL": None,
             "SINGLE_PROCESS": True, **overrides}
    return type("Prod", (ProductionConfig,), attrs)


@pytest.mark.parametrize("secrets", [
    {"SECRET_KEY": None, "JWT_SECRET_KEY": None},
    {"SECRET_KEY": "k" * 40, "JWT_SECRET_KEY": None},
    {"SECRET_KEY": None, "JWT_SECRET_KEY": "j" * 40},
    {"SECRET_KEY": "short", "JWT_SECRET_KEY": "j" * 40},
])
def test_production_refuses_to_start_without_strong_secrets(app_config, secrets, make_app):
    with pytest.raises(RuntimeError, match="Refusing to start in production"):
        make_app(production(app_config, **secrets))


def test_production_starts_with_secrets(app_config, make_app):
    app = make_app(production(app_config, **STRONG))
    assert app.config["SECRET_KEY"] == "k" * 40


@pytest.mark.parametrize("token", ["short", "m" * 31])
def test_production_refuses_a_metrics_token_under_32_characters(app_config, make_app, token):
    with pytest.raises(RuntimeError, match="METRICS_TOKEN must be at least 32 characters"):
        make_app(production(app_config, **STRONG, METRICS_TOKEN=token))


def test_production_takes_a_metrics_token_of_32_characters(app_config, make_app):
    assert make_app(production(app_config, **STRONG, METRICS_TOKEN="m" * 32)).config["METRICS_TOKEN"] == "m" * 32


def test_development_takes_a_short_metrics_token(app_config, make_app):
    from config import DevelopmentConfig

    cls = type("Dev", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": app_config.SQLALCHEMY_DATABASE_URI,
                                             "METRICS_TOKEN": "short"})
    assert make_app(cls).config["METRICS_TOKEN"] == "short"


def test_production_refuses_to_start_without_redis(app_config, make_app):
    """Without Redis every process keeps its own rate limits and no periodic clean-up runs."""
    with pytest.raises(RuntimeError) as refused:
        make_app(production(app_config, **STRONG, SINGLE_PROCESS=False))
    message = str(refused.value)
    assert message.startswith("Refusing to start in production without REDIS_URL")
    assert "rate limits are counted by each process" in message and "no periodic clean-up runs" in message
    assert "SINGLE_PROCESS=true" in message


def test_production_without_redis_starts_when_single_process_is_intended_and_says_so(app_config, make_app,
                                                                                       caplog):
    with caplog.at_level(logging.WARNING, logger="config"):
        make_app(production(app_config, **STRONG, SINGLE_PROCESS=True))
    [warning] = [r for r in caplog.records if r.name == "config"]
    assert warning.levelname == "WARNING"
    assert "rate limits are counted by each process" in warning.getMessage()
    assert "no periodic clean-up runs" in warning.getMessage()


def test_production_with_redis_starts_without_the_warning(app_config, make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="config"):
        make_app(production(app_config, **STRONG, REDIS_URL="redis://127.0.0.1:6379/14", SINGLE_PROCESS=False))
    assert [r for r in caplog.records if r.name == "config"] == []



def test_development_makes_random_secrets_per_process(app_config, make_app):
    from config import DevelopmentConfig

    cls = type("Dev", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": app_config.SQLALCHEMY_DATABASE_URI,
                                             "SECRET_KEY": None, "JWT_SECRET_KEY": None})
    first, second = make_app(cls), make_app(cls)
    assert len(first.config["JWT_SECRET_KEY"]) >= 32
    assert first.config["JWT_SECRET_KEY"] != second.config["JWT_SECRET_KEY"]


def test_postgresql_connections_time_out_quickly(app_config, make_app):
    cls = type("Pg", (app_config,), {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/x"})
    app = make_app(cls)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert "connect_args" not in app_config.SQLALCHEMY_ENGINE_OPTIONS  # the class's dict is left alone
