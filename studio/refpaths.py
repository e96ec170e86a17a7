"""Reference paths stay inside the project folder.

Every file a brief or a cameo record names — shot and style-guide reference images, a
cameo's likeness images, verification evidence and signed release — is a path relative to
the project folder that, after symlinks are resolved, is still inside it. An absolute path
(``/home/me/face.png``, ``C:\\x.png``), a ``..`` that climbs out, or a link inside the
project that points outside is refused: the linter reports it (``studio validate``), the
queue will not send it to a provider, ``studio import`` refuses a bundle that names one,
and the bundle export does not read it. Whether the file exists is a separate question
(the linter's ``missing-file``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from studio.errors import StudioError

Loc = tuple[str | int, ...]
_DRIVE = re.compile(r"^[A-Za-z]:")


class ReferencePathError(StudioError):
    """A reference names a file outside the project folder."""


def _lexical_problem(rel: object) -> str | None:
    if not isinstance(rel, str) or not rel.strip():
        return f"{rel!r} is not a file path"
    if "\x00" in rel:
        return f"{rel!r} is not a file path"
    text = rel.replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or _DRIVE.match(text) or text.startswith("~"):
        return (f"{rel!r} is an absolute path; references must be relative to the project "
                "folder (e.g. references/name.png)")
    if ".." in path.parts:
        return f"{rel!r} climbs out of the project folder (..); references must stay inside it"
    return None


def reference_problem(root: Path | None, rel: object) -> str | None:
    """Why ``rel`` is not a path inside the project at ``root`` (None: it is).

    Without ``root`` only the text is checked (absolute, ``..``); with it, symlinks are
    resolved too. The file need not exist.
    """
    return _resolved(root, rel)[0]


def _resolved(root: Path | None, rel: object) -> tuple[str | None, Path | None]:
    """(why ``rel`` is not inside the project, or None; its real path when it is and
    ``root`` is given): each path resolved once."""
    lexical = _lexical_problem(rel)
    if lexical is not None or root is None:
        return lexical, None
    assert isinstance(rel, str)
    try:
        base = Path(os.path.realpath(root))
        target = Path(os.path.realpath(base / rel.replace("\\", "/")))
    except (OSError, ValueError) as exc:
        return f"{rel!r} cannot be resolved ({exc})", None
    if target != base and not target.is_relative_to(base):
        return (f"{rel!r} is a link to {target}, outside the project folder; references "
                "must stay inside it"), None
    return None, target


def resolve_reference(root: Path, rel: str, what: str = "reference") -> Path:
    """The real path of ``rel`` inside the project; raises :class:`ReferencePathError`."""
    problem, target = _resolved(root, rel)
    if problem is not None or target is None:
        raise ReferencePathError(f"{what} {problem}; it was not read")
    return target


def project_references(project: Any) -> list[tuple[Loc, str, str]]:  # noqa: ANN401
    """(loc in project.yaml, path, label) of every file a brief names (a ``Project`` or the
    raw mapping of project.yaml)."""
    out: list[tuple[Loc, str, str]] = []
    if isinstance(project, dict):
        style = project.get("style") if isinstance(project.get("style"), dict) else {}
        shots = project.get("shots") if isinstance(project.get("shots"), list) else []
        style_refs = style.get("references") or []
        shot_refs = [(s.get("id"), s.get("references") or []) if isinstance(s, dict)
                     else (None, []) for s in shots]
    else:
        style_refs = project.style.references
        shot_refs = [(s.id, s.references) for s in project.shots]
    if isinstance(style_refs, list):
        out += [(("style", "references", j), ref, "style reference")
                for j, ref in enumerate(style_refs)]
    for i, (shot_id, refs) in enumerate(shot_refs):
        if isinstance(refs, list):
            out += [(("shots", i, "references", j), ref, f"shot {shot_id} reference")
                    for j, ref in enumerate(refs)]
    return out


def cameo_paths(data: Any) -> list[tuple[Loc, str, str]]:  # noqa: ANN401
    """(loc in the cameo file, path, label) of every file a cameo record names (a ``Cameo``
    or the raw mapping of its YAML: likeness images, evidence, signed release)."""
    if not isinstance(data, dict):
        data = data.model_dump(mode="json")
    out: list[tuple[Loc, str, str]] = []
    likeness = data.get("likeness")
    if isinstance(likeness, list):
        out += [(("likeness", j), p, "likeness image") for j, p in enumerate(likeness)]
    for section, key, label in (("verification", "evidence", "verification evidence"),
                                ("signature", "file", "signed release")):
        block = data.get(section)
        if isinstance(block, dict) and block.get(key) is not None:
            out.append(((section, key), block[key], label))
    return out


def outside_paths(root: Path, project: Any, source_map: Any = None) -> list[str]:  # noqa: ANN401
    """``file:line:col: message`` (file relative to ``root``) for every path in the brief and
    in ``cameos/*.yaml`` that is not inside the project. Cameo records are read as plain YAML,
    so a record that does not validate for another reason is still checked."""
    from studio.yamlio import locate, parse_yaml, read_text

    root = Path(root)
    out = []
    for loc, message in problems(root, project_references(project)):
        line, col = locate(source_map or {}, loc)
        out.append(f"project.yaml:{line}:{col}: {message}")
    cameos = root / "cameos"
    for path in sorted(cameos.glob("*.yaml")) if cameos.is_dir() else []:
        name = path.relative_to(root).as_posix()
        try:
            data, cmap = parse_yaml(read_text(path), name)
        except StudioError:
            continue  # unreadable: the cameo is invalid, so it is treated as not consented
        for loc, message in problems(root, cameo_paths(data if isinstance(data, dict) else {})):
            line, col = locate(cmap, loc)
            out.append(f"{name}:{line}:{col}: {message}")
    return out


def problems(root: Path | None, paths: Iterable[tuple[Loc, str, str]]
             ) -> list[tuple[Loc, str]]:
    """(loc, message) for each path that is not inside the project."""
    out = []
    for loc, rel, label in paths:
        problem = reference_problem(root, rel)
        if problem is not None:
            out.append((loc, f"{label} {problem}"))
    return out
