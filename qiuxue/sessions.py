"""Sessions in the database, read through the shared cache while it is up.

Django's ``cached_db`` reads Redis first and writes through to the database; but a read,
an existence check or a delete against a dead Redis raises, and every signed-in page then
answered 500. Here each cache operation goes through ``qiuxue.cache_guard``: with Redis
down the session is read from and written to the database alone, and nobody is logged out.

Cached copies live at most ``CACHE_TTL`` seconds (not the session's 8 hours): a logout or
password change made while Redis was down only reached the database, so a copy cached
before the outage must not outlive it by long.
"""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore

from .cache_guard import CACHE_DOWN, cache_call

CACHE_TTL = 300


class SessionStore(CachedDBStore):
    def _ttl(self, age: int) -> int:
        return max(0, min(age, CACHE_TTL))

    def load(self):
        cached = cache_call(self._cache.get, self.cache_key)
        if cached is not None and cached is not CACHE_DOWN:
            return cached
        s = self._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        if cached is not CACHE_DOWN:
            cache_call(self._cache.set, self.cache_key, data, self._ttl(self.get_expiry_age(expiry=s.expire_date)))
        return data

    def exists(self, session_key):
        if session_key:
            cached = cache_call(self._cache.__contains__, self.cache_key_prefix + session_key)
            if cached is True:
                return True
        return DBStore.exists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        cache_call(self._cache.set, self.cache_key, self._session, self._ttl(self.get_expiry_age()))

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        cache_call(self._cache.delete, self.cache_key_prefix + session_key)
