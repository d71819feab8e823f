"""What every benchmark needs: a fresh PostgreSQL database, and the app bound to it without Redis."""
import os


def bench_url(default: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL", default)


def reset_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def make_app(url: str):
    from app import create_app
    from config import DevelopmentConfig, database_url

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = database_url(url)
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"
        LOG_LEVEL = "WARNING"

    return create_app(BenchConfig)
