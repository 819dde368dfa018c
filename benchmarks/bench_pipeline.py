"""Benchmark: one full sikker-by run (demo data, six notebooks, rendering) into a temporary folder.

Prints wall-clock seconds per run; target: under 120 s on the project's 2-core machine.
"""

import sys
import tempfile
import time
from pathlib import Path

from tryghed.paths import DEMO_RAW
from tryghed.run import run_pipeline

TARGET_SECONDS = 120.0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_pipeline("sikker-by", 2017, raw_dir=DEMO_RAW, out_root=Path(tmp), progress=False)
        seconds = time.perf_counter() - start
    print(f"sikker-by 2017 full run: {seconds:.1f} s (target < {TARGET_SECONDS:.0f} s)")
    return 0 if seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
