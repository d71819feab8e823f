"""Configuration: production refuses missing or weak secrets and a multi-process setup without Redis; development
keeps generated keys in its instance folder; database URLs work as users give them."""
import json
import logging
import stat
import threading

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


def development(app_config, instance_path, **overrides):
    """Development on the test database, with its instance folder at `instance_path` and no keys given."""
    from config import DevelopmentConfig

    attrs = {"SQLALCHEMY_DATABASE_URI": app_config.SQLALCHEMY_DATABASE_URI, "INSTANCE_PATH": str(instance_path),
             "SECRET_KEY": None, "JWT_SECRET_KEY": None, **overrides}
    return type("Dev", (DevelopmentConfig,), attrs)


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


def test_development_takes_a_short_metrics_token(app_config, make_app, tmp_path):
    assert make_app(development(app_config, tmp_path, METRICS_TOKEN="short")).config["METRICS_TOKEN"] == "short"


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



def test_development_keeps_its_generated_keys_across_restarts(app_config, make_app, tmp_path):
    first, second = make_app(development(app_config, tmp_path)), make_app(development(app_config, tmp_path))
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        assert len(first.config[name]) >= 32
        assert second.config[name] == first.config[name]
    assert first.config["SECRET_KEY"] != first.config["JWT_SECRET_KEY"]


def test_development_keys_differ_between_instance_folders(app_config, make_app, tmp_path):
    first = make_app(development(app_config, tmp_path / "a"))
    second = make_app(development(app_config, tmp_path / "b"))
    assert first.config["JWT_SECRET_KEY"] != second.config["JWT_SECRET_KEY"]


def test_a_token_from_before_a_restart_is_still_valid(app_config, make_app, make_user, tmp_path):
    make_user(email="restart@example.com", password="long password")
    before = make_app(development(app_config, tmp_path, RATELIMIT_ENABLED=False))
    login = before.test_client().post("/api/v1/auth/login",
                                      json={"email": "restart@example.com", "password": "long password"})
    assert login.status_code == 200, login.get_json()
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}

    after = make_app(development(app_config, tmp_path, RATELIMIT_ENABLED=False))
    assert after.test_client().get("/api/v1/users/me", headers=headers).status_code == 200
    elsewhere = make_app(development(app_config, tmp_path / "other", RATELIMIT_ENABLED=False))
    assert elsewhere.test_client().get("/api/v1/users/me", headers=headers).status_code == 401


def test_development_keys_file_is_readable_by_its_owner_only(app_config, make_app, tmp_path):
    make_app(development(app_config, tmp_path))
    assert stat.S_IMODE((tmp_path / "dev-secrets.json").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["dev-secrets.json"]  # nothing left beside it


def test_development_keys_from_the_environment_win(app_config, make_app, tmp_path):
    app = make_app(development(app_config, tmp_path, SECRET_KEY="s" * 40))
    assert app.config["SECRET_KEY"] == "s" * 40
    kept = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert app.config["JWT_SECRET_KEY"] == kept["JWT_SECRET_KEY"]


def test_development_with_both_keys_given_writes_no_file(app_config, make_app, tmp_path):
    app = make_app(development(app_config, tmp_path, SECRET_KEY="s" * 40, JWT_SECRET_KEY="j" * 40))
    assert (app.config["SECRET_KEY"], app.config["JWT_SECRET_KEY"]) == ("s" * 40, "j" * 40)
    assert not (tmp_path / "dev-secrets.json").exists()


def test_development_says_where_its_keys_come_from(app_config, make_app, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="config"):
        make_app(development(app_config, tmp_path, SECRET_KEY="s" * 40))
        make_app(development(app_config, tmp_path, SECRET_KEY="s" * 40))
    lines = [r.getMessage() for r in caplog.records if r.name == "config"]
    path = tmp_path / "dev-secrets.json"
    assert lines == [
        f"Development keys: JWT_SECRET_KEY from {path} (generated now), SECRET_KEY from the environment.",
        f"Development keys: JWT_SECRET_KEY from {path} (kept from an earlier run), SECRET_KEY from the environment.",
    ]


def test_development_processes_starting_together_agree_on_the_keys(tmp_path):
    from config import use_kept_dev_secrets

    configs = [{"INSTANCE_PATH": str(tmp_path)} for _ in range(8)]
    barrier = threading.Barrier(len(configs))

    def start(config):
        barrier.wait()
        use_kept_dev_secrets(config)

    threads = [threading.Thread(target=start, args=(config,)) for config in configs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({(c["SECRET_KEY"], c["JWT_SECRET_KEY"]) for c in configs}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["dev-secrets.json"]


def test_development_refuses_a_damaged_keys_file(app_config, make_app, tmp_path):
    (tmp_path / "dev-secrets.json").write_text('{"SECRET_KEY": "short"}')
    with pytest.raises(RuntimeError, match="dev-secrets.json does not hold SECRET_KEY and JWT_SECRET_KEY"):
        make_app(development(app_config, tmp_path))


def test_production_ignores_development_keys_and_refuses(app_config, make_app, tmp_path):
    make_app(development(app_config, tmp_path))
    with pytest.raises(RuntimeError, match="Refusing to start in production without SECRET_KEY, JWT_SECRET_KEY"):
        make_app(production(app_config, INSTANCE_PATH=str(tmp_path), SECRET_KEY=None, JWT_SECRET_KEY=None))


def test_postgresql_connections_time_out_quickly(app_config, make_app):
    cls = type("Pg", (app_config,), {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/x"})
    app = make_app(cls)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert "connect_args" not in app_config.SQLALCHEMY_ENGINE_OPTIONS  # the class's dict is left alone
