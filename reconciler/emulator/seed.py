"""Seed data of the emulated tenant: the bundled seed.yaml or a file of the same shape.

Read through the spec's hardened YAML reader: a seed file is user input too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import ConfigError
from reconciler.spec.yaml_reader import Limits, YamlRefused, parse_documents, read_text


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


SEED_LIMITS = Limits(kind="seed files", max_file_bytes=4 * 1024 * 1024, max_document_nodes=200_000)


def _parse(text: str, where: str) -> dict[str, Any]:
    """Seed YAML through the hardened reader (no alias bombs, no tags), then its model."""
    try:
        documents = list(parse_documents(text, SEED_LIMITS))
        if len(documents) > 1:
            raise YamlRefused("a seed file holds one YAML document; remove the '---'", documents[1].position)
        if documents and documents[0].problems:
            problem = documents[0].problems[0]
            raise YamlRefused(problem.message, problem.position)
        data = documents[0].data if documents else None
        return _Seed.model_validate(data or {}).model_dump()
    except YamlRefused as refused:
        line, column = refused.position
        raise ConfigError(
            f"invalid seed file {where}:{line}:{column}: {refused.message}",
            hint="see reconciler/emulator/seed.yaml",
        ) from None
    except ValidationError as exc:
        raise ConfigError(
            f"invalid seed file {where}: {exc}", hint="see reconciler/emulator/seed.yaml"
        ) from None


def default_seed() -> dict[str, Any]:
    return _parse(resources.files("reconciler.emulator").joinpath("seed.yaml").read_text(), "seed.yaml")


def load_seed(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, SEED_LIMITS)
    except YamlRefused as refused:
        raise ConfigError(f"cannot read seed file {path}: {refused.message}") from None
    return _parse(text, str(path))
