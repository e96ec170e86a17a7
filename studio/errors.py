"""One exception hierarchy for the core.

::

    StudioError                      anything the user can act on; str() is the message
    ├── ProjectError                 a project folder or file is unusable
    │   ├── ProjectFileError         a file failed to parse/validate (file, line, col)
    │   ├── SchemaTooNewError        written by a newer Brief Studio
    │   └── SaveConflictError        the file changed on disk since it was loaded
    ├── StoreError                   studio.db is unusable (corrupt, locked, too new)
    ├── ConsentError                 a cameo's consent does not allow the use
    ├── QueueError                   a job cannot be queued / run
    ├── ProviderError                a provider refused or failed (see studio.providers)
    ├── KeyringError                 no usable secure key storage
    └── BundleError                  an agency bundle is invalid or hostile
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class StudioError(Exception):
    """Base class: an error with a message a person can act on."""


class ProjectError(StudioError):
    pass


@dataclass(frozen=True)
class Problem:
    """One located problem: ``file:line:col: message`` (line/col are 1-based, 0 = unknown)."""

    file: str
    line: int
    col: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{self.file}: {self.message}"


class ProjectFileError(ProjectError):
    """A file that does not parse or validate. Carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @property
    def path(self) -> Path:
        return Path(self.problems[0].file)


class SchemaTooNewError(ProjectError):
    pass


class SaveConflictError(ProjectError):
    pass


class StoreError(StudioError):
    pass


class ConsentError(StudioError):
    pass


class QueueError(StudioError):
    pass


class ProviderError(StudioError):
    pass


class KeyringError(StudioError):
    pass


class BundleError(StudioError):
    pass
