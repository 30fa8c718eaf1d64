"""Run every benchmark in bench/ and print its figures: `make bench`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.stem}", flush=True)
        subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], check=True, cwd=HERE.parent)
