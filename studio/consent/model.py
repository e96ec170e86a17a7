"""The cameo record: one real person's likeness and the consent they gave (cameos/<id>.yaml).

A record says who the person is, how they were verified (with an evidence file whose
sha256 is kept), what they granted (projects, usages, territories, voice, remix), what
they asked us never to show, for how long, and whether they revoked it. ``expired`` is
never stored: it is derived from ``valid_until``.

The canonical content of a record (:func:`canonical_json`) is what the audit log hashes,
so comments and key order in the YAML do not matter, but every value does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from studio.model import ID_PATTERN, Usage

CAMEO_SCHEMA_VERSION = 1
ADULT_AGE = 18
ANY_PROJECT = "any"
WORLDWIDE = "worldwide"

Ident = Annotated[str, Field(pattern=ID_PATTERN)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _relative_path(value: str) -> str:
    """Project-relative POSIX path, no absolute paths, no ``..``."""
    path = PurePosixPath(value.replace("\\", "/"))
    if not value.strip() or path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
        raise ValueError(f"must be a path inside the project folder, got {value!r}")
    return str(path)


class VerificationMethod(StrEnum):
    IN_PERSON_ID = "in_person_id"          # ID document checked in person
    VIDEO_CALL = "video_call"              # ID checked on a live video call
    SIGNED_RELEASE = "signed_release"      # a signed release form (kept as evidence)
    PROVIDER_VERIFIED = "provider_verified"  # the provider's own verified character/cameo


METHOD_LABELS = {
    VerificationMethod.IN_PERSON_ID: "In-person ID check",
    VerificationMethod.VIDEO_CALL: "Video call",
    VerificationMethod.SIGNED_RELEASE: "Signed release",
    VerificationMethod.PROVIDER_VERIFIED: "Provider-verified character",
}


class Contact(_Model):
    email: str = ""
    phone: str = ""
    agent: str = ""  # agency or representative
    address: str = ""


class Verification(_Model):
    method: VerificationMethod
    verified_by: str = Field(min_length=1)
    verified_on: date
    evidence: str | None = None  # project-relative path, e.g. evidence/maya-release.pdf
    evidence_sha256: Sha256 | None = None
    provider_character_id: str | None = None  # for provider_verified
    notes: str = ""

    @field_validator("evidence")
    @classmethod
    def _evidence_path(cls, v: str | None) -> str | None:
        return None if v is None else _relative_path(v)

    @model_validator(mode="after")
    def _evidence_pair(self) -> Verification:
        if (self.evidence is None) != (self.evidence_sha256 is None):
            raise ValueError("evidence and evidence_sha256 go together: give both or neither")
        if self.method == VerificationMethod.SIGNED_RELEASE and self.evidence is None:
            raise ValueError("a signed_release verification needs its evidence file")
        if self.method == VerificationMethod.PROVIDER_VERIFIED and not self.provider_character_id:
            raise ValueError("a provider_verified verification needs provider_character_id")
        return self


class Grants(_Model):
    projects: list[str] = Field(min_length=1)  # project ids, or "any"
    usages: list[Usage] = Field(min_length=1)
    territories: list[str] = Field(min_length=1)  # ISO 3166 alpha-2 codes, or "worldwide"
    voice: bool = False
    remix: bool = False

    @field_validator("territories")
    @classmethod
    def _territories(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            code = item.strip()
            if code.lower() == WORLDWIDE:
                out.append(WORLDWIDE)
            elif len(code) == 2 and code.isalpha():
                out.append(code.upper())
            else:
                raise ValueError(
                    f"territory {item!r} is not a two-letter country code or 'worldwide'"
                )
        return out


class Restrictions(_Model):
    text: str = ""  # written restrictions, in the person's own terms
    avoid_topics: list[str] = Field(default_factory=list)


class Guardian(_Model):
    name: str = Field(min_length=1)
    relationship: str = Field(min_length=1)
    contact: str = ""
    signed_on: date


class Signature(_Model):
    typed_name: str = Field(min_length=1)
    signed_on: date
    file: str | None = None  # a scanned/signed document inside the project
    file_sha256: Sha256 | None = None

    @field_validator("file")
    @classmethod
    def _file_path(cls, v: str | None) -> str | None:
        return None if v is None else _relative_path(v)

    @model_validator(mode="after")
    def _pair(self) -> Signature:
        if (self.file is None) != (self.file_sha256 is None):
            raise ValueError("file and file_sha256 go together: give both or neither")
        return self


class Revocation(_Model):
    at: datetime
    reason: str = Field(min_length=1)
    by: str = Field(min_length=1)


class Cameo(_Model):
    schema_version: int = CAMEO_SCHEMA_VERSION
    id: Ident
    name: str = Field(min_length=1)
    contact: Contact = Field(default_factory=Contact)
    likeness: list[str] = Field(default_factory=list)  # reference images in the project
    date_of_birth: date | None = None
    minor: bool = False
    guardian: Guardian | None = None
    verification: Verification
    grants: Grants
    restrictions: Restrictions = Field(default_factory=Restrictions)
    valid_from: date
    valid_until: date
    signature: Signature
    status: Literal["active", "revoked"] = "active"
    revocation: Revocation | None = None
    notes: str = ""

    @field_validator("likeness")
    @classmethod
    def _likeness(cls, v: list[str]) -> list[str]:
        return [_relative_path(p) for p in v]

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data: Any, handler: ModelWrapValidatorHandler[Cameo]) -> Cameo:  # noqa: ANN401
        """Cross-field rules, each reported at the field to fix (not at the record)."""
        self = handler(data)
        errors: list[InitErrorDetails] = []

        def problem(field_name: str, code: str, message: str) -> None:
            errors.append(InitErrorDetails(
                type=PydanticCustomError(code, message), loc=(field_name,),
                input=getattr(self, field_name)))

        if self.valid_until < self.valid_from:
            problem("valid_until", "cameo_date_order",
                    f"valid_until ({self.valid_until}) is before valid_from ({self.valid_from})")
        if self.date_of_birth is not None:
            if self.date_of_birth > self.valid_from:
                problem("date_of_birth", "cameo_birth_date",
                        f"date_of_birth ({self.date_of_birth}) is after valid_from "
                        f"({self.valid_from})")
            elif age_on(self.date_of_birth, self.valid_from) < ADULT_AGE and not self.minor:
                problem("date_of_birth", "cameo_minor",
                        f"{self.name} is under {ADULT_AGE} on valid_from: set minor: true and "
                        "record a guardian")
        if self.minor and self.guardian is None:
            problem("guardian", "cameo_guardian",
                    "a minor's consent needs a guardian (name, relationship, signed_on)")
        if self.status == "revoked" and self.revocation is None:
            problem("revocation", "cameo_revocation",
                    "status is revoked but there is no revocation (at, reason, by)")
        if self.status == "active" and self.revocation is not None:
            problem("status", "cameo_revocation",
                    "a revocation is recorded but status is active")
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return self

    # -- scope ---------------------------------------------------------------------------

    def covers_project(self, project_id: str) -> bool:
        return ANY_PROJECT in self.grants.projects or project_id in self.grants.projects

    def covers_territory(self, territory: str) -> bool:
        granted = set(self.grants.territories)
        if WORLDWIDE in granted:
            return True
        return territory.strip().upper() in granted


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def canonical_json(cameo: Cameo) -> str:
    """The record's canonical content: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        cameo.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def content_sha256(cameo: Cameo) -> str:
    return hashlib.sha256(canonical_json(cameo).encode("utf-8")).hexdigest()
