import uuid

import pytest

from .factories import make_program, make_tree, make_worker


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Hundreds of accounts per test: PBKDF2 would dominate the run. test_accounts restores
    # the configured hashers where hashing itself is the point.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _redis_cache(settings):
    # Login throttling lives in the shared cache: test it on Redis, as in production.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": f"qx-q2-{uuid.uuid4().hex[:8]}",
        }
    }


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def program(tree):
    return make_program(tree["city"])


@pytest.fixture
def worker(tree):
    return make_worker(tree["shop"])
