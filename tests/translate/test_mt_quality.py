"""bench/mt_quality.py end to end on the tiny model: every test set of ../shared/data is scored with sacrebleu
and the figures are recorded with the model id (name@checksum)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from dragoman.translate.models import checksum_of

REPO = Path(__file__).resolve().parents[2]


def test_mt_quality_scores_every_set_and_records_the_model_id(tiny_model: Path, tmp_path: Path) -> None:
    results_file, record_file = tmp_path / "q.json", tmp_path / "RESULTS.md"
    record_file.write_text("# results\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, str(REPO / "bench" / "mt_quality.py"), "--model", str(tiny_model), "--limit", "6"]
    command += ["--beam", "1", "--device", "cpu", "--json", str(results_file), "--record", str(record_file)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(results_file.read_text())
    model_id = f"{tiny_model.name}@{checksum_of(tiny_model)[:12]}"
    assert data["model_id"] == model_id
    sets = data["results"]
    assert set(sets) == {
        "newstest2019",
        "newstest2020",
        "generaltest2022-news",
        "generaltest2023-news",
        "flores200-devtest",
        "ntrex128",
    }
    for name, entry in sets.items():
        assert entry["segments"] == 6, name
        scores = entry["reference_segmentation"]
        assert 0.0 <= scores["bleu"] <= 100.0 and 0.0 <= scores["chrf"] <= 100.0
    assert "dragoman_doc" in sets["ntrex128"]  # NTREX has document ids: scored through the stage as well
    recorded = record_file.read_text().splitlines()[-1]
    assert f"model `{model_id}`" in recorded
    assert re.search(r"ntrex128 BLEU \d+\.\d\d chrF \d+\.\d\d", recorded)
