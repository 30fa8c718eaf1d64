"""Where the repository is, for tests that read its files (specs, schemas, workflows, the contract)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository's root folder."""
