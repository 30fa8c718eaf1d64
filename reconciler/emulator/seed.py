"""Seed data of the emulated tenant: the bundled seed.yaml or a file of the same shape."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import ConfigError


class _SeedContactList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    recordCount: int = Field(ge=0)
    dncCompliant: bool
    lastValidated: str | None = None


class _SeedDncList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    scope: str = Field(pattern="^(NATIONAL|LOCAL|INTERNAL)$")
    recordCount: int = Field(ge=0)
    lastUpdated: str | None = None


class _Seed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contactLists: list[_SeedContactList] = Field(default_factory=list)
    dncLists: list[_SeedDncList] = Field(default_factory=list)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return _Seed.model_validate(yaml.safe_load(text) or {}).model_dump()
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(
            f"invalid seed file {where}: {exc}", hint="see reconciler/emulator/seed.yaml"
        ) from None


def default_seed() -> dict[str, Any]:
    return _parse(resources.files("reconciler.emulator").joinpath("seed.yaml").read_text(), "seed.yaml")


def load_seed(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read seed file {path}: {exc.strerror}") from None
    return _parse(text, str(path))
