"""The check character of an 18-digit 居民身份证号 (GB 11643): one rule for every app
(``applications.validators`` for workers, ``quotas.rosters`` for member rosters)."""

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]
