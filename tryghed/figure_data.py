"""What the report page needs of the figures without importing matplotlib: the list of figures a run drew
(``figures.json``) and a series split at its breaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: The figure list the report page reads (``indicator_figures`` and ``peer_map`` add to it).
MANIFEST = "figures.json"


def write_manifest(made: pd.DataFrame, out_dir: Path) -> Path:
    """Write (or extend) ``figures.json`` in ``out_dir``: one entry per figure, keyed by its file stem."""
    path = Path(out_dir) / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    current = read_manifest(out_dir)
    for r in made.to_dict("records"):
        current[r["figure"]] = {k: (list(v) if k == "files" else v) for k, v in r.items()}
    path.write_text(json.dumps(current, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(out_dir: Path) -> dict:
    """The figures a run drew (``figures.json``), or an empty dict."""
    path = Path(out_dir) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def segments(periods, breaks) -> list[np.ndarray]:
    """Split sorted periods into the pieces between series breaks (a break year starts a new piece)."""
    periods = np.asarray(periods)
    if not len(periods):
        return []
    seg_id = np.searchsorted(np.sort(np.asarray(list(breaks), dtype=float)), periods, side="right")
    return [periods[seg_id == k] for k in dict.fromkeys(seg_id.tolist())]
