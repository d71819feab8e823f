"""Configuration classes, read from the environment (and a .env file when present)."""
import json
import logging
import os
import secrets
import tempfile
from pathlib import Path

from dotenv import load_dotenv

load_dotenv()

log = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(url):
    """Accept URLs as users give them: postgres:// and postgresql:// both mean psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY")
DEV_SECRETS_FILE = "dev-secrets.json"


class Config:
    ENV_NAME = "development"

    # The SQLite file, local media and development's generated keys live here (create_app creates it).
    INSTANCE_PATH = str(INSTANCE_DIR)
    # None when unset: development keeps generated keys in the instance folder, production refuses to start.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY") or None
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    ACCESS_TOKEN_TTL = env_int("ACCESS_TOKEN_TTL", 3600)
    REFRESH_TOKEN_TTL = env_int("REFRESH_TOKEN_TTL", 30 * 24 * 3600)
    PASSWORD_RESET_TTL = 6 * 3600

    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'listify.sqlite3'}"
    )
    # No pool_pre_ping: app/database.py checks pooled connections for life without a round trip.
    SQLALCHEMY_ENGINE_OPTIONS = {}

    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Production without REDIS_URL is refused unless this says one process is intended (see ProductionConfig).
    SINGLE_PROCESS = env_bool("SINGLE_PROCESS", False)

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "300 per minute")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "5 per 20 seconds")
    RATELIMIT_SYNC = os.environ.get("RATELIMIT_SYNC", "10 per minute")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "20 per hour")
    RATELIMIT_METRICS = os.environ.get("RATELIMIT_METRICS", "60 per minute")
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

    CORS_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()]

    # Seconds after which an Idempotency-Key still in flight is taken to belong to a process that died.
    IDEMPOTENCY_IN_FLIGHT_TIMEOUT = env_int("IDEMPOTENCY_IN_FLIGHT_TIMEOUT", 60)

    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    PROFILE_PICTURE_MAX_BYTES = 5 * 1024 * 1024

    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    STORAGE_LOCAL_ROOT = os.environ.get("STORAGE_LOCAL_ROOT") or str(INSTANCE_DIR / "media")
    S3_BUCKET = os.environ.get("S3_BUCKET")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
    S3_REGION = os.environ.get("S3_REGION") or None
    MEDIA_URL_TTL = env_int("MEDIA_URL_TTL", 3600)

    DEEZER_API_URL = os.environ.get("DEEZER_API_URL", "https://api.deezer.com")
    DEEZER_MAX_REQUESTS = env_int("DEEZER_MAX_REQUESTS", 45)
    DEEZER_WINDOW_SECONDS = float(os.environ.get("DEEZER_WINDOW_SECONDS", "5"))
    # Per request to Deezer: the longest one may take, body included, and the largest body read.
    DEEZER_ATTEMPT_DEADLINE = float(os.environ.get("DEEZER_ATTEMPT_DEADLINE", "60"))
    DEEZER_MAX_RESPONSE_BYTES = env_int("DEEZER_MAX_RESPONSE_BYTES", 10 * 1024 * 1024)

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Listify <no-reply@listify.local>")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    # Where the reset link in the password-reset mail points (the client app's page).
    PASSWORD_RESET_URL = os.environ.get("PASSWORD_RESET_URL", "http://127.0.0.1:5000/reset-password?token={token}")

    API_TITLE = "Listify API"
    API_VERSION = "2.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"  # served from the swagger-ui-bundle package

    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Bearer token Prometheus sends to scrape /metrics (at least 32 characters in production); unset: /metrics is
    # off (404).
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

    @classmethod
    def finalize(cls, config):
        """Fill in or refuse what the environment left out, on the app's config mapping."""
        fail_fast_on_unreachable_database(config)


def fail_fast_on_unreachable_database(config):
    """A database host that drops packets must fail a request in seconds, not hang it until gunicorn's timeout."""
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
                                   **options.get("connect_args", {})}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options


class DevelopmentConfig(Config):
    @classmethod
    def finalize(cls, config):
        super().finalize(config)
        use_kept_dev_secrets(config)


def use_kept_dev_secrets(config):
    """Keys the environment leaves out come from a file in the instance folder, generated on the first run: a
    restart keeps every token valid, and processes started together (gunicorn's workers) use the same keys."""
    missing = [name for name in SECRET_NAMES if not config.get(name)]
    given = [name for name in SECRET_NAMES if name not in missing]
    sources = [f"{' and '.join(given)} from the environment"] if given else []
    if missing:
        path = Path(config["INSTANCE_PATH"]) / DEV_SECRETS_FILE
        created = create_once(path, json.dumps({name: secrets.token_urlsafe(32) for name in SECRET_NAMES}))
        kept = read_dev_secrets(path)
        for name in missing:
            config[name] = kept[name]
        made = "generated now" if created else "kept from an earlier run"
        sources.insert(0, f"{' and '.join(missing)} from {path} ({made})")
    log.info("Development keys: %s.", ", ".join(sources))


def create_once(path, text):
    """Create `path` (mode 0600) holding `text`, unless it exists; True if this call created it. The file appears
    whole or not at all (written aside, then hard-linked into place), and of processes racing exactly one wins."""
    if path.exists():
        return False
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


def read_dev_secrets(path):
    try:
        kept = json.loads(path.read_text())
        if all(isinstance(kept.get(name), str) and len(kept[name]) >= 32 for name in SECRET_NAMES):
            return kept
    except (ValueError, AttributeError):
        pass
    raise RuntimeError(f"{path} does not hold {' and '.join(SECRET_NAMES)}: delete it and new keys are generated.")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    JWT_SECRET_KEY = "test-jwt-secret-key-not-for-production-use"
    # Tests choose the database and Redis through the same variables users set.
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL") or "sqlite://")
    RATELIMIT_ENABLED = True
    # Cheap hashing keeps the suite fast; production keeps argon2's defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1


WITHOUT_REDIS = (
    "rate limits are counted by each process on its own (with N web processes a client gets N times every limit),"
    " and no periodic clean-up runs (expired tokens, reset requests and exports are never deleted)."
)


class ProductionConfig(Config):
    ENV_NAME = "production"

    @classmethod
    def finalize(cls, config):
        fail_fast_on_unreachable_database(config)
        missing = [name for name in ("SECRET_KEY", "JWT_SECRET_KEY") if not config.get(name)]
        if missing:
            raise RuntimeError(f"Refusing to start in production without {', '.join(missing)}.")
        weak = [name for name in ("SECRET_KEY", "JWT_SECRET_KEY", "METRICS_TOKEN")
                if config.get(name) and len(config[name]) < 32]
        if weak:
            raise RuntimeError(f"Refusing to start in production: {', '.join(weak)} must be at least 32 characters.")
        if not config.get("REDIS_URL"):
            if not config.get("SINGLE_PROCESS"):
                raise RuntimeError(
                    "Refusing to start in production without REDIS_URL: " + WITHOUT_REDIS
                    + " Set REDIS_URL, or SINGLE_PROCESS=true if one process without Redis is intended."
                )
            log.warning("SINGLE_PROCESS=true and no REDIS_URL: %s", WITHOUT_REDIS)


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def config_from_env():
    name = os.environ.get("LISTIFY_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"LISTIFY_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    return CONFIGS[name]
