"""Configuration: production refuses missing or weak secrets; database URLs work as users give them."""
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


def production(app_config, **overrides):
    attrs = {"SQLALCHEMY_DATABASE_URI": app_config.SQLALCHEMY_DATABASE_URI, **overrides}
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
    app = make_app(production(app_config, SECRET_KEY="k" * 40, JWT_SECRET_KEY="j" * 40))
    assert app.config["SECRET_KEY"] == "k" * 40


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
