"""A perceptual hash of a paper's picture, to find the same photo under two workers.

dHash (difference hash): grayscale, shrink to 9×8, one bit per pixel pair "left brighter
than right". Re-saving a photo at another size or JPEG quality changes a few bits at most;
two different pictures differ in about half of the 64. The hash is taken of the re-encoded
image we store (``uploads._clean_image``), so EXIF rotation and format are already settled.

Near-duplicate search stays an indexed look-up (LSH bands with one-bit probes): the 64
bits are cut into ``BANDS`` = 4 bands of 16 bits, each in its own indexed column
(``Attachment.phash_b0`` … ``phash_b3``). Two hashes at most ``MAX_DISTANCE`` = 6 bits apart
spread those bits over 4 bands, so in at least one band they differ in at most 1 bit
(pigeonhole). The candidates are therefore the rows whose band equals, in some band, one of
the 17 probes of ours (the value and its 16 one-bit neighbours): an ``IN`` on each indexed
column, about N/65536 rows a probe; the exact distance is then checked on those rows.
"""

import io

from PIL import Image

BANDS = 4
BAND_BITS = 64 // BANDS
MAX_DISTANCE = 6  # of 64 bits; measured: re-saves 0–4, different photos ~20–40


def dhash(data: bytes) -> int | None:
    """The 64-bit dHash of an image file, or None if it is no image (a PDF)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("L", (64, 64))
            small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    except Exception:  # not an image: PDFs have no picture hash
        return None
    pixels = small.tobytes()  # mode L: one byte a pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return bits


def phash_hex(value: int | None) -> str:
    return "" if value is None else f"{value:016x}"


def bands(hex_hash: str) -> list[int]:
    """The hash's ``BANDS`` sub-hashes (each 0–65535), for the indexed band columns."""
    value = int(hex_hash, 16)
    mask = (1 << BAND_BITS) - 1
    return [(value >> (BAND_BITS * (BANDS - 1 - i))) & mask for i in range(BANDS)]


def probes(band: int) -> list[int]:
    """The band value and its one-bit neighbours."""
    return [band, *(band ^ (1 << bit) for bit in range(BAND_BITS))]


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
