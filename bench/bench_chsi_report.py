"""学信网 reports read per second (``applications.chsi_report``), on PDFs written like the
tests' (both layouts, a real Chinese text layer, a subset ToUnicode CMap as a real
report's font has), plus scans (no text).

Reported: reports/s on one core, p50/p95 per report, scans/s.
The reading runs in a Celery task once per upload, never on a page view.
"""

import os
import statistics
import time
from datetime import date, timedelta

from applications.chsi_report import ReadStatus, chsi_report_read
from tests.chsi_pdfs import NEW_LAYOUT, OLD_LAYOUT, image_only_pdf, report_pdf


def _reports(n: int) -> list[bytes]:
    return [
        report_pdf(
            layout=OLD_LAYOUT if i % 2 else NEW_LAYOUT,
            name=f"职工{i:05d}",
            id_number=f"3701021990{i % 12 + 1:02d}01{i % 1000:03d}X",
            code=f"QX{i:010d}",
            valid_until=date(2027, 1, 1) + timedelta(days=i % 300),
        )
        for i in range(n)
    ]


def _timed(blobs: list[bytes], status: str) -> list[float]:
    times = []
    for blob in blobs:
        t = time.perf_counter()
        reading = chsi_report_read(blob)
        times.append(time.perf_counter() - t)
        assert reading.status == status, reading
    return times


def run(scale: float) -> dict:
    n = max(50, int(2000 * scale))
    loadavg = [round(x, 2) for x in os.getloadavg()]
    blobs = _reports(n)
    _timed(blobs[:10], ReadStatus.READ)  # warm imports
    times = _timed(blobs, ReadStatus.READ)
    scans = _timed([image_only_pdf()] * max(10, n // 10), ReadStatus.NO_TEXT)
    total = sum(times)
    return {
        "loadavg_1_5_15_start": loadavg,
        "reports": n,
        "reports_per_s": round(n / total, 1),
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(statistics.quantiles(times, n=20)[18] * 1000, 2),
        "mean_pdf_bytes": round(sum(map(len, blobs)) / n),
        "scans_per_s": round(len(scans) / sum(scans), 1),
    }
