"""targets.yaml: the tenants one repository manages, read strictly, and the environment of one of them.

The file is optional and lives at the repository root::

    targets:
      - name: emea
        apiBase: https://api-eu1.niceincontact.com
        campaigns: campaigns/emea
        clientIdEnv: CXONE_EMEA_CLIENT_ID
        clientSecretEnv: CXONE_EMEA_CLIENT_SECRET

It goes through the hardened YAML reader and a strict model; every problem is
a diagnostic at file:line:col. Without the file, the CXONE_* variables (or the
embedded sandbox) are the one target, named ``default``.

A selected target is turned into the CXONE_* settings :func:`settings.from_env`
reads (:func:`target_env`): the target is self-contained, so ambient CXONE_*
values for another tenant never leak into it, and the credentials come from
the variables it names (or from the ones ``--client-id-env`` /
``--client-secret-env`` name, which is how CI hands over the read-only or the
write-capable pair under fixed names).
"""

from __future__ import annotations

import difflib
import json
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reconciler.errors import ConfigError, SpecError
from reconciler.settings import check_url
from reconciler.spec.diagnostics import Diagnostic
from reconciler.spec.source import Loc, SourceMap, dotted, loc_of
from reconciler.spec.validation import describe
from reconciler.spec.yaml_reader import Limits, YamlRefused, parse_documents, read_text

__all__ = [
    "IMPLICIT_NAME",
    "TARGETS_FILE",
    "TARGETS_LIMITS",
    "AcdTarget",
    "TargetSpec",
    "TargetsFile",
    "find_target",
    "listing",
    "load_targets",
    "parse_targets",
    "render_schema",
    "target_env",
    "targets_schema",
]

TARGETS_FILE = Path("targets.yaml")
IMPLICIT_NAME = "default"
TARGETS_LIMITS = Limits(kind="targets files", max_file_bytes=256 * 1024, max_document_nodes=20_000)

NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
_MESSAGES = {
    NAME_PATTERN: "must be 1 to 32 lower-case letters, digits or '-', starting and ending with a letter "
    "or digit (it names GitHub environments, issues and artifacts), e.g. emea-sales",
    ENV_PATTERN: "must be an environment variable name: letters, digits and '_', not starting with a "
    "digit, e.g. CXONE_EMEA_CLIENT_ID",
}

_URL = r"^https?://[^/@\s]+"
_FOLDER = r"^(?![/\\])(?!\.\.(?:[/\\]|$))[^:]+$"
Provider = Literal["cxone-campaigns", "cxone-acd"]
_TENANT_SETTINGS = (
    "CXONE_API_BASE",
    "CXONE_CLIENT_ID",
    "CXONE_CLIENT_SECRET",
    "CXONE_TOKEN_URL",
    "CXONE_SCOPE",
    "CXONE_PROVIDER",
    "CXONE_AUTH_BASE",
    "CXONE_API_VERSION",
    "CXONE_ACCESS_KEY_ID",
    "CXONE_ACCESS_KEY_SECRET",
)
_ACD_PREFIX = "CXONE_ACD_"


def _http_url(value: str | None, example: str) -> str | None:
    """A URL field's value without its trailing slash, or the error a targets file reports at its line."""
    if value is None:
        return None
    value = value.strip().rstrip("/")
    try:
        check_url("url", value)
    except ConfigError:
        raise ValueError(f"must be an http(s) URL with a host, e.g. {example}") from None
    return value


class AcdTarget(BaseModel):
    """Settings of a provider cxone-acd target (each an answer to an unknown of the ACD API)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    authBase: Annotated[
        str | None,
        Field(
            description="Where /auth/token and /.well-known/cxone-configuration live; "
            "default https://cxone.niceincontact.com.",
            json_schema_extra={"pattern": _URL},
        ),
    ] = None
    apiVersion: Annotated[
        str | None, Field(pattern=r"^v?[0-9]{1,3}(\.[0-9])?$", description="ACD API version; default 34.0.")
    ] = None
    tenantDncGroup: Annotated[
        str | None,
        Field(min_length=1, description="The DNC group dnc.enforceLocal means (the API cannot tell)."),
    ] = None
    scheduleTimeZone: Annotated[
        str | None,
        Field(min_length=1, description="IANA zone skill schedules run in; default the business unit's."),
    ] = None
    campaign: Annotated[
        str | None,
        Field(min_length=1, description="Reporting campaign of new skills; default Default Campaign."),
    ] = None

    @field_validator("authBase")
    @classmethod
    def _auth_url(cls, value: str | None) -> str | None:
        return _http_url(value, "https://cxone.niceincontact.com")

    def env(self) -> dict[str, str]:
        """These settings as the CXONE_* variables the provider reads."""
        pairs = (
            ("CXONE_AUTH_BASE", self.authBase),
            ("CXONE_API_VERSION", self.apiVersion),
            ("CXONE_ACD_TENANT_DNC_GROUP", self.tenantDncGroup),
            ("CXONE_ACD_SCHEDULE_TIMEZONE", self.scheduleTimeZone),
            ("CXONE_ACD_CAMPAIGN", self.campaign),
        )
        return {name: value for name, value in pairs if value is not None}


class TargetSpec(BaseModel):
    """One tenant: where it is, which campaign folder it owns, which variables hold its credentials."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="Short name: --target NAME.")]
    apiBase: Annotated[
        str, Field(description="The tenant's API base URL (https).", json_schema_extra={"pattern": _URL})
    ]
    tokenUrl: Annotated[
        str | None,
        Field(
            description="OAuth token URL; default {apiBase}/oauth/token.", json_schema_extra={"pattern": _URL}
        ),
    ] = None
    scope: Annotated[
        str | None, Field(min_length=1, description="OAuth scopes, space-separated; default all five.")
    ] = None
    campaigns: Annotated[
        str,
        Field(
            min_length=1,
            description="Folder of this target's spec files, relative to the repository.",
            json_schema_extra={"pattern": _FOLDER},
        ),
    ]
    clientIdEnv: Annotated[
        str,
        Field(
            pattern=ENV_PATTERN,
            description="Environment variable holding the client id (provider cxone-acd: the access key id).",
        ),
    ]
    clientSecretEnv: Annotated[
        str,
        Field(
            pattern=ENV_PATTERN,
            description="Environment variable holding the client secret (provider cxone-acd: the access "
            "key secret).",
        ),
    ]
    provider: Annotated[Provider | None, Field(description="The tenant's API; default cxone-campaigns.")] = (
        None
    )
    acd: Annotated[
        AcdTarget | None, Field(description="Settings of provider cxone-acd (only with that provider).")
    ] = None

    @field_validator("apiBase", "tokenUrl")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        value = _http_url(value, "https://api-na1.niceincontact.com")
        if value is not None and "@" in value.split("/")[2]:
            raise ValueError("must not carry credentials (user:password@); name them in clientIdEnv")
        return value

    @field_validator("campaigns")
    @classmethod
    def _folder(cls, value: str) -> str:
        normal = posixpath.normpath(value.replace("\\", "/"))
        if posixpath.isabs(normal) or normal == ".." or normal.startswith("../") or ":" in normal:
            raise ValueError(f"must be a folder inside the repository, relative to it (got {value!r})")
        return normal

    @model_validator(mode="after")
    def _two_variables(self) -> TargetSpec:
        if self.clientIdEnv == self.clientSecretEnv:
            raise ValueError("clientIdEnv and clientSecretEnv must name two different variables")
        if self.acd is not None and self.provider != "cxone-acd":
            raise ValueError("acd: settings apply to provider: cxone-acd only; add it or remove acd")
        return self

    @property
    def environment(self) -> str:
        """The protected GitHub environment whose secrets are this target's write-capable credentials."""
        return f"cxone-{self.name}"

    @property
    def readonly_environment(self) -> str:
        """The unprotected GitHub environment whose secrets are read-only credentials (plan, drift)."""
        return f"cxone-{self.name}-readonly"


class TargetsFile(BaseModel):
    """The whole of targets.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: Annotated[list[TargetSpec], Field(min_length=1, description="The tenants, each named once.")]


SCHEMA_ID = "https://cxone-reconciler.dev/schemas/targets.schema.json"


def targets_schema() -> dict[str, Any]:
    """The JSON Schema of targets.yaml (``python -m reconciler.targets``; ``make schema`` writes it)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **TargetsFile.model_json_schema(mode="validation"),
    }


def render_schema() -> str:
    return json.dumps(targets_schema(), indent=2, sort_keys=True) + "\n"


def load_targets(root: Path = Path()) -> tuple[Path, TargetsFile] | None:
    """targets.yaml of the repository at ``root``, or None when there is none; raises SpecError."""
    path = root / TARGETS_FILE
    if not path.exists():
        return None
    try:
        text = read_text(path, TARGETS_LIMITS)
    except YamlRefused as refused:
        raise _invalid(str(path), [_refusal(str(path), refused)]) from None
    return path, parse_targets(text, str(path))


def parse_targets(text: str, path: str = str(TARGETS_FILE)) -> TargetsFile:
    """The targets in ``text``; every problem becomes a diagnostic at path:line:col (SpecError)."""
    try:
        documents = list(parse_documents(text, TARGETS_LIMITS))
    except YamlRefused as refused:
        raise _invalid(path, [_refusal(path, refused)]) from None
    if len(documents) != 1:
        position = documents[1].position if documents else (1, 1)
        what = "holds more than one YAML document; remove the '---'" if documents else "is empty"
        raise _invalid(path, [Diagnostic(path, *position, "error", "", f"the targets file {what}")])
    document = documents[0]
    found = [Diagnostic(path, *p.position, "error", dotted(p.loc), p.message) for p in document.problems]
    if document.kind != "mapping":
        found.append(
            Diagnostic(
                path,
                *document.position,
                "error",
                "",
                f"the targets file is a {document.kind}; write a mapping: targets: [...]",
            )
        )
        raise _invalid(path, found)
    try:
        parsed: TargetsFile | None = TargetsFile.model_validate(document.data)
    except ValidationError as exc:
        spoiled = [p.loc for p in document.problems]
        found.extend(
            d
            for d in _diagnostics(path, exc, document.source)
            if not any(loc_of(d.field)[: len(bad)] == bad for bad in spoiled)
        )
        parsed = None
    found.extend(_duplicates(path, document.data, document.source))
    if found or parsed is None:
        raise _invalid(path, found)
    return parsed


def find_target(targets: TargetsFile, name: str, path: Path | str = TARGETS_FILE) -> TargetSpec:
    """The target called ``name``; a ConfigError listing the names there are."""
    for target in targets.targets:
        if target.name == name:
            return target
    names = [t.name for t in targets.targets]
    close = difflib.get_close_matches(name, names, n=1)
    raise ConfigError(
        f"no target {name!r} in {path}" + (f"; did you mean {close[0]!r}?" if close else ""),
        hint=f"the targets are: {', '.join(names)} (reconciler targets lists them)",
    )


def target_env(
    target: TargetSpec | None,
    environ: Mapping[str, str],
    *,
    client_id_env: str | None = None,
    client_secret_env: str | None = None,
) -> dict[str, str]:
    """The CXONE_* settings of ``target`` (None: the implicit one) for :func:`settings.from_env`.

    A target from the file replaces every ambient CXONE_* tenant setting; its
    credentials are read from the variables it names, or from ``client_id_env``
    / ``client_secret_env`` when given. A variable that is missing or empty is
    a ConfigError naming it (never showing any value).
    """
    env = dict(environ)
    who = f"target {target.name!r}" if target is not None else f"target {IMPLICIT_NAME!r}"
    if target is not None:
        for name in [*_TENANT_SETTINGS, *(n for n in environ if n.startswith(_ACD_PREFIX))]:
            env.pop(name, None)
        env["CXONE_API_BASE"] = target.apiBase
        if target.acd is not None:
            env.update(target.acd.env())
        for name, value in (
            ("CXONE_TOKEN_URL", target.tokenUrl),
            ("CXONE_SCOPE", target.scope),
            ("CXONE_PROVIDER", target.provider),
        ):
            if value is not None:
                env[name] = value
    id_var = client_id_env or (target.clientIdEnv if target is not None else None)
    secret_var = client_secret_env or (target.clientSecretEnv if target is not None else None)
    acd = (target.provider if target is not None else env.get("CXONE_PROVIDER")) == "cxone-acd"
    # provider cxone-acd logs in with an access key: the named variables hold its id and secret
    names = (
        (("CXONE_ACCESS_KEY_ID", "access key id"), ("CXONE_ACCESS_KEY_SECRET", "access key secret"))
        if acd
        else (("CXONE_CLIENT_ID", "client id"), ("CXONE_CLIENT_SECRET", "client secret"))
    )
    for (setting, what), variable in zip(names, (id_var, secret_var), strict=True):
        if variable is None:
            continue
        value = environ.get(variable, "")
        if not value.strip():
            state = "empty" if variable in environ else "not set"
            raise ConfigError(
                f"{who} reads its {what} from ${variable}, which is {state}",
                hint=f"export {variable} (in CI: map the GitHub environment's secret to {variable}); "
                "the value is never shown",
            )
        env[setting] = value
    return env


def listing(loaded: tuple[Path, TargetsFile] | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """What ``reconciler targets --format json`` prints: enough for a CI matrix, no secret values."""
    from reconciler.settings import redact_url

    if loaded is None:
        base = (environ.get("CXONE_API_BASE") or "").strip()
        rows: list[dict[str, Any]] = [
            {
                "name": IMPLICIT_NAME,
                "implicit": True,
                "apiBase": redact_url(base) if base else None,
                "campaigns": "campaigns",
                "clientIdEnv": "CXONE_CLIENT_ID",
                "clientSecretEnv": "CXONE_CLIENT_SECRET",
                "provider": environ.get("CXONE_PROVIDER") or None,
                "environment": f"cxone-{IMPLICIT_NAME}",
                "readOnlyEnvironment": f"cxone-{IMPLICIT_NAME}-readonly",
            }
        ]
        return {"formatVersion": 1, "file": None, "targets": rows}
    path, targets = loaded
    rows = [
        {
            "name": t.name,
            "implicit": False,
            "apiBase": t.apiBase,
            "campaigns": t.campaigns,
            "clientIdEnv": t.clientIdEnv,
            "clientSecretEnv": t.clientSecretEnv,
            "provider": t.provider,
            "environment": t.environment,
            "readOnlyEnvironment": t.readonly_environment,
        }
        for t in targets.targets
    ]
    return {"formatVersion": 1, "file": str(path), "targets": rows}


def _invalid(path: str, diagnostics: list[Diagnostic]) -> SpecError:
    errors = sorted(diagnostics)
    return SpecError(f"{len(errors)} error(s) in {path}; fix them and run again", list(errors))


def _refusal(path: str, refused: YamlRefused) -> Diagnostic:
    return Diagnostic(path, *refused.position, "error", "", refused.message)


def _duplicates(path: str, data: dict[str, Any], source: SourceMap) -> list[Diagnostic]:
    """Names used twice, found in the raw data so that they are reported beside any other error."""
    rows = data.get("targets")
    first: dict[str, int] = {}
    found: list[Diagnostic] = []
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        name = row.get("name") if isinstance(row, dict) else None
        if not isinstance(name, str):
            continue
        if name not in first:
            first[name] = index
            continue
        line, column = source.locate(("targets", index, "name"))
        was_line, was_column = source.locate(("targets", first[name], "name"))
        found.append(
            Diagnostic(
                path,
                line,
                column,
                "error",
                f"targets.{index}.name",
                f"target name {name!r} is used twice (first at {was_line}:{was_column}); "
                "names must be unique",
            )
        )
    return found


_FIELDS: dict[str, list[str]] = {
    "": list(TargetsFile.model_fields),
    "target": list(TargetSpec.model_fields),
}


def _diagnostics(path: str, exc: ValidationError, source: SourceMap) -> list[Diagnostic]:
    """pydantic's errors in the project's words, at the node each is about."""
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        field = dotted(loc)
        kind = error["type"]
        fields = _FIELDS["target"] if len(loc) >= 2 and loc[0] == "targets" else _FIELDS[""]
        if kind == "extra_forbidden":
            line, column = source.locate(loc, key=True)
            close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.6)
            where = f" in {dotted(loc[:-1])}" if len(loc) > 1 else ""
            advice = f"did you mean '{close[0]}'?" if close else f"the fields are {', '.join(fields)}"
            message = f"unknown field '{loc[-1]}'{where}; {advice}"
        elif kind == "missing":
            line, column = source.locate(loc[:-1])
            message = f"missing required field '{loc[-1]}' in {dotted(loc[:-1]) or 'the file'}"
        elif kind in ("model_type", "model_attributes_type"):
            line, column = source.locate(loc)
            message = f"{field or 'the file'}: must be a mapping with {', '.join(fields)}"
        elif kind == "string_pattern_mismatch":
            line, column = source.locate(loc)
            pattern = str((error.get("ctx") or {}).get("pattern"))
            message = (
                f"{field}: {_MESSAGES.get(pattern, 'is not written as expected')} (got {error['input']!r})"
            )
        else:
            line, column = source.locate(loc)
            message = f"{field}: {describe(error, loc)}" if field else describe(error, loc)
        found.append(Diagnostic(path, line, column, "error", field, message))
    return found


if __name__ == "__main__":
    print(render_schema(), end="")
