"""Byte-stable output files: the same inputs give the same bytes (no timestamps in what a run publishes)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_W3CDTF = "2000-01-01T00:00:00Z"


def freeze_xlsx(path: Path) -> Path:
    """Rewrite an xlsx (a zip) with fixed entry times and without the created/modified document properties.

    The two dates are optional in the package's core properties (ECMA-376 part 2, §11); leaving them out keeps the
    file byte-stable without showing a made-up date in Excel's file information.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
    return path
