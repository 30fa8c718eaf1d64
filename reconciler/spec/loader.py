"""Spec files -> checked campaigns: discovery, orchestration and cross-file checks.

Reading YAML is :mod:`reconciler.spec.yaml_reader`'s job, turning pydantic's
errors into diagnostics :mod:`reconciler.spec.validation`'s. Every problem of
every file is collected; nothing stops at the first error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from reconciler import collector
from reconciler.spec.checks import check_campaign, check_parts
from reconciler.spec.diagnostics import Diagnostic, Severity
from reconciler.spec.models import PROVIDER_CAMPAIGNS, Campaign
from reconciler.spec.parts import salvage
from reconciler.spec.source import LoadedCampaign, Shared, SourceMap, dotted, loc_of
from reconciler.spec.validation import diagnostics_from
from reconciler.spec.yaml_reader import SPEC_LIMITS, Document, YamlRefused, read_documents

MAX_FILE_BYTES = SPEC_LIMITS.max_file_bytes
MAX_ALIAS_NODES = SPEC_LIMITS.max_alias_nodes
MAX_DOCUMENT_NODES = SPEC_LIMITS.max_document_nodes
MAX_DEPTH = SPEC_LIMITS.max_depth

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_NODES",
    "MAX_FILE_BYTES",
    "LoadResult",
    "LoadedCampaign",
    "SourceMap",
    "discover",
    "load",
    "load_file",
    "require_specs",
]


@dataclass
class LoadResult:
    campaigns: list[LoadedCampaign] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors


def discover(paths: Sequence[str]) -> tuple[list[Path], list[Diagnostic]]:
    """Spec files named by paths; directories are walked for *.yaml / *.yml."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml")
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Diagnostic(
                    raw,
                    1,
                    1,
                    "error",
                    "",
                    f"no such file or directory: {raw} (run from the folder that holds it, "
                    "or pass the spec files or folders to read)",
                )
            )
    unique = list(dict.fromkeys(files))
    return unique, problems


def load(paths: Sequence[str], *, provider: str = PROVIDER_CAMPAIGNS, lasting: bool = False) -> LoadResult:
    """Load and check every spec under paths for a target of ``provider``; never raises for bad input.

    ``lasting``: the result lives until the process ends (a CLI command), so
    what the load made is put out of the cycle collector's reach (``gc.freeze``)
    rather than scanned again and again; a long-lived process reloading specs
    leaves it False.
    """
    files, problems = discover(paths)
    result = LoadResult(diagnostics=problems, files=len(files))
    shared = Shared()  # one copy of each field path and shape for every source map of the load
    with collector.paused(freeze=lasting):  # a load makes many objects and no cycles
        for path in files:
            campaigns, diagnostics = load_file(path, provider=provider, shared=shared)
            result.campaigns.extend(campaigns)
            result.diagnostics.extend(diagnostics)
        result.diagnostics.extend(_duplicate_names(result.campaigns))
        result.diagnostics.sort()
    return result


def require_specs(
    result: LoadResult, paths: Sequence[str], *, allow_empty: bool = False
) -> Diagnostic | None:
    """An error when paths hold no campaign at all and nothing else is wrong, unless allow_empty.

    validate and plan share it: an empty or mistyped folder must not pass for
    "nothing to do" (for plan with --prune it would mean "delete everything").
    """
    if allow_empty or result.campaigns or result.errors:
        return None
    where = ", ".join(paths) or "."
    found = (
        "no spec files (*.yaml, *.yml)" if result.files == 0 else f"{result.files} file(s) with no documents"
    )
    return Diagnostic(
        paths[0] if paths else ".",
        1,
        1,
        "error",
        "",
        f"no campaign specs in {where}: {found}; pass the folders or files that hold the specs, "
        "or --allow-empty if no campaigns is intended",
    )


def load_file(
    path: Path, *, provider: str = PROVIDER_CAMPAIGNS, shared: Shared | None = None
) -> tuple[list[LoadedCampaign], list[Diagnostic]]:
    """The campaigns of one file and its problems; ``shared`` shares source map paths across files."""
    shown = str(path)
    campaigns: list[LoadedCampaign] = []
    diagnostics: list[Diagnostic] = []
    try:
        for document in read_documents(path, shared=shared):
            loaded, found = _load_document(shown, document, provider)
            diagnostics.extend(found)
            if loaded is not None:
                campaigns.append(loaded)
    except YamlRefused as refused:
        line, column = refused.position
        diagnostics.append(Diagnostic(shown, line, column, "error", "", refused.message))
    return campaigns, diagnostics


def _load_document(
    path: str, document: Document, provider: str = PROVIDER_CAMPAIGNS
) -> tuple[LoadedCampaign | None, list[Diagnostic]]:
    problems = [Diagnostic(path, *p.position, "error", dotted(p.loc), p.message) for p in document.problems]
    if document.kind != "mapping":
        if problems:
            return None, problems
        line, column = document.position
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "error",
                "",
                f"document {document.index} is a {document.kind}; each document must be a mapping "
                "with apiVersion, kind, metadata and spec",
            )
        ]
    diagnostics = list(problems)
    source = document.source
    try:
        campaign = Campaign.model_validate(document.data)
    except ValidationError as exc:
        spoiled = [p.loc for p in document.problems]
        diagnostics.extend(
            d
            for d in diagnostics_from(path, exc, source)
            if not any(loc_of(d.field)[: len(bad)] == bad for bad in spoiled)
        )
        campaign = None
    # what can be judged is judged: checks run on the valid parts of a broken document too
    findings = (
        check_parts(salvage(document.data), provider)
        if campaign is None or diagnostics
        else check_campaign(campaign, provider)
    )
    for field_name, severity, message in findings:
        diagnostics.append(_at(path, source, field_name, severity, message))
    if campaign is None or problems:
        return None, diagnostics
    return LoadedCampaign(campaign, path, source), diagnostics


def _at(path: str, source: SourceMap, field_name: str, severity: Severity, message: str) -> Diagnostic:
    line, column = source.locate(loc_of(field_name))
    return Diagnostic(path, line, column, severity, field_name, message)


def _duplicate_names(campaigns: list[LoadedCampaign]) -> list[Diagnostic]:
    by_name: dict[str, list[LoadedCampaign]] = {}
    for loaded in campaigns:
        by_name.setdefault(loaded.name, []).append(loaded)
    found: list[Diagnostic] = []
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        places = [f"{c.where('metadata.name')}" for c in same]
        for loaded, here in zip(same, places, strict=True):
            others = ", ".join(p for p in places if p != here)
            found.append(
                _at(
                    loaded.path,
                    loaded.source,
                    "metadata.name",
                    "error",
                    f"duplicate campaign name '{name}' (also at {others}); names must be unique",
                )
            )
    return found
