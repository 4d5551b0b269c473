import logging

import pytest

from .factories import admin_make, city_make, seed


@pytest.fixture
def jinan(db):
    return seed(city_make())


@pytest.fixture
def city_admin(jinan):
    return admin_make(jinan.city, email="city@example.org")


@pytest.fixture
def county_admin(jinan):
    return admin_make(jinan.counties[0], email="county@example.org")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def sms_log():
    """Every SMS the logging backend 'sends' (the qiuxue.sms logger does not propagate)."""
    handler = _Collect()
    logger = logging.getLogger("qiuxue.sms")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
