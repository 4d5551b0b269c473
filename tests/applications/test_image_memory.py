"""Image decoding keeps a worker under 200 MB for any file (issue 14): the hostile set is
cleaned in a fresh process and its peak resident memory read from the kernel."""

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 200

CHILD = """
import json, os, sys
import django


def high_water_mb():
    # VmHWM belongs to this program's memory map (reset at exec); ru_maxrss would also
    # count the forked copy of the parent test process.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiuxue.settings")
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from applications.uploads import upload_clean
base = high_water_mb()
out = {}
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    try:
        clean = upload_clean(SimpleUploadedFile(os.path.basename(path), data))
        out[os.path.basename(path)] = "ok %dx%d" % __import__("PIL.Image").Image.open(
            __import__("io").BytesIO(clean.content)).size
    except ValidationError as exc:
        out[os.path.basename(path)] = "refused " + exc.messages[0]
out["_base_mb"] = base
out["_peak_mb"] = high_water_mb()
print(json.dumps(out, ensure_ascii=False))
"""


def png_solid(width: int, height: int, *, color_type: int = 6) -> bytes:
    """A real PNG of width × height blank pixels (RGBA: colour type 6), compressed row by row
    so building it costs no memory; a few hundred KB on disk for tens of megapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    channels = {6: 4, 2: 3}[color_type]
    row = b"\x00" + b"\x00" * (width * channels)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_of(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 190)).save(buf, "JPEG", quality=60)
    return buf.getvalue()


def converted_of(width: int, height: int, fmt: str) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 190)).save(buf, fmt, quality=50)
    return buf.getvalue()


def test_the_hostile_set_stays_under_200_mb(tmp_path):
    files = {
        "rgba-7000x5700.png": png_solid(7000, 5700),  # 155 KB on disk, 160 MB of pixels
        "rgba-4000x3000.png": png_solid(4000, 3000),  # at the PNG cap: accepted
        "phone-7900x5000.jpg": jpeg_of(7900, 5000),  # a 40 MP phone photo: accepted, reduced
        "scan-8000x4000.jpg": jpeg_of(8000, 4000),
        "phone-4032x3024.heic": converted_of(4032, 3024, "HEIF"),  # a 12 MP iPhone photo: to JPEG
        "webp-2560x1700.webp": converted_of(2560, 1700, "WEBP"),  # under the WebP cap
        "webp-4000x4000.webp": converted_of(4000, 4000, "WEBP"),  # over it: refused, header only
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert len(files["rgba-7000x5700.png"]) < 400_000
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *[str(tmp_path / n) for n in files]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(result)  # the figures, for the record (pytest -s)
    assert result["rgba-7000x5700.png"].startswith("refused PNG 图片像素过多")
    assert result["rgba-4000x3000.png"] == "ok 4000x3000"
    assert result["phone-7900x5000.jpg"] == "ok 3950x2500"
    assert result["scan-8000x4000.jpg"] == "ok 4000x2000"
    assert result["phone-4032x3024.heic"] == "ok 2400x1800"
    assert result["webp-2560x1700.webp"] == "ok 2400x1594"
    assert result["webp-4000x4000.webp"].startswith("refused 照片像素过多")
    assert result["_peak_mb"] < LIMIT_MB, result
