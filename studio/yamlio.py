"""YAML files with positions, schema versions and atomic saves.

Loading composes the YAML node graph first, so every value keeps its line and column: a
pydantic validation error is reported as ``file:line:col: message`` at the offending key.
Saving writes a temp file beside the target, fsyncs it and ``os.replace``s it into place.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from studio.errors import Problem, ProjectFileError, SchemaTooNewError
from studio.filemode import file_mode_for, set_mode

Loc = tuple[str | int, ...]
SourceMap = dict[Loc, tuple[int, int]]
Migration = Callable[[dict[str, Any]], dict[str, Any]]
M = TypeVar("M", bound="BaseModel")

if TYPE_CHECKING:
    # pydantic is imported where a model is validated (load_model), not with this module:
    # reading YAML (the vocabulary, the window's first-frame preview of project.yaml,
    # settings) does not need it (docs/performance.md "startup_ratio")
    from pydantic import BaseModel, ValidationError

MAX_FILE_BYTES = 16 * 1024 * 1024


class _SafeLoader(yaml.SafeLoader):  # the pure-Python fallback when libyaml is absent
    """SafeLoader that refuses aliases (billion-laughs) and duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: ANN401
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not allowed in Brief Studio files", event.start_mark
            )
        return super().compose_node(parent, index)


class _Builder:
    """Turns a composed node graph into plain data, recording every key path's position.

    Refuses aliases (a node met twice: billion-laughs), duplicate keys, non-scalar keys and
    tags outside the YAML core schema, each as a located :class:`ProjectFileError`.
    """

    def __init__(self, file: str, smap: SourceMap):
        self.file = file
        self.smap = smap
        self.seen: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, loc: Loc) -> Any:  # noqa: ANN401
        if id(node) in self.seen:
            raise ProjectFileError(
                [_problem(self.file, node, "YAML aliases are not allowed in Brief Studio files")])
        self.seen.add(id(node))
        self.smap[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in (
            "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
        ):
            raise ProjectFileError([_problem(self.file, node, f"unsupported YAML tag {node.tag!r}")])
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ProjectFileError(
                        [_problem(self.file, key_node, "keys must be plain scalars")])
                key = self.scalar(key_node)
                if not isinstance(key, str | int | float | bool) or key is None:
                    raise ProjectFileError(
                        [_problem(self.file, key_node, "keys must be plain scalars")])
                if key in out:
                    raise ProjectFileError(
                        [_problem(self.file, key_node, f"duplicate key {key!r}")])
                out[key] = self.build(value_node, (*loc, key))
                self.smap[(*loc, key)] = (key_node.start_mark.line + 1,
                                          key_node.start_mark.column + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:  # noqa: ANN401
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            problem = exc.problem or "cannot read this value"
            if "could not determine a constructor" in problem:
                problem = f"unsupported YAML tag {node.tag!r}"
            raise ProjectFileError([_problem(self.file, node, problem)]) from None
        except (ValueError, TypeError, OverflowError) as exc:
            raise ProjectFileError(
                [_problem(self.file, node, f"invalid value {node.value!r}: {exc}")]) from None


# libyaml composes about 5x faster and keeps marks; aliases are refused by _Builder either way
_Composer: Any = getattr(yaml, "CSafeLoader", None) or _SafeLoader


def _problem(file: str, node: yaml.Node, message: str) -> Problem:
    return Problem(file, node.start_mark.line + 1, node.start_mark.column + 1, message)


def _reader_problem(file: str, exc: yaml.YAMLError, text: str = "") -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        pos = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        return Problem(file, line, col, f"invalid character {shown} (YAML allows only "
                       "printable characters)")
    return Problem(file, 0, 0, f"YAML error: {exc}")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, with a clear message for every way that can fail."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProjectFileError([Problem(str(path), 0, 0, f"file is too large ({size} bytes)")])
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError([Problem(str(path), 0, 0, "file not found")]) from None
    except PermissionError:
        raise ProjectFileError([Problem(str(path), 0, 0, "permission denied")]) from None
    except IsADirectoryError:
        raise ProjectFileError([Problem(str(path), 0, 0, "is a folder, not a file")]) from None
    except UnicodeDecodeError as exc:
        raise ProjectFileError(
            [Problem(str(path), 0, 0, f"not UTF-8 text (byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise ProjectFileError([Problem(str(path), 0, 0, exc.strerror or str(exc))]) from None


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data plus a map from key paths to (line, col)."""
    smap: SourceMap = {}
    try:
        loader = _Composer(text)
    except yaml.YAMLError as exc:
        raise ProjectFileError([_reader_problem(file, exc, text)]) from None
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise ProjectFileError([_reader_problem(file, exc, text)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise ProjectFileError([Problem(file, line, col, f"YAML syntax error: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise ProjectFileError([Problem(file, 0, 0, f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        return None, smap
    return _Builder(file, smap).build(node, ()), smap


def locate(smap: SourceMap, loc: Iterable[str | int]) -> tuple[int, int]:
    """The position of ``loc``, or of its nearest ancestor that has one."""
    path = tuple(loc)
    while path:
        if path in smap:
            return smap[path]
        path = path[:-1]
    return smap.get((), (1, 1))


def _human_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_problems(
    exc: ValidationError, smap: SourceMap, file: str, data: Any = None  # noqa: ANN401
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line, col = locate(smap, loc)
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        where = _human_loc(loc)
        text = f"{where}: {msg}" if where else msg
        if err["type"] == "extra_forbidden":
            text = f"{where}: unknown field"
        problems.append(Problem(file, line, col, text))
    return problems


def load_model(
    path: Path,
    model: type[M],
    *,
    current_version: int,
    migrations: dict[int, Migration] | None = None,
    kind: str = "file",
) -> tuple[M, SourceMap]:
    """Load a versioned YAML file into ``model``; migrate older versions, refuse newer ones."""
    file = str(path)
    data, smap = parse_yaml(read_text(path), file)
    if not isinstance(data, dict):
        raise ProjectFileError([Problem(file, 1, 1, f"a {kind} must be a YAML mapping")])
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        line, col = locate(smap, ("schema_version",))
        raise ProjectFileError([Problem(file, line, col, "schema_version must be a whole number")])
    if version > current_version:
        raise SchemaTooNewError(
            f"{file}: this {kind} has schema_version {version}, but this Brief Studio reads up to "
            f"{current_version}. Open it with a newer Brief Studio; the file was not changed."
        )
    from pydantic import ValidationError

    migrations = migrations or {}
    while version < current_version:
        step = migrations.get(version)
        if step is None:
            raise ProjectFileError(
                [Problem(file, 1, 1, f"no migration from schema_version {version}")]
            )
        data = step(data)
        version += 1
        data["schema_version"] = version
    try:
        return model.model_validate(data), smap
    except ValidationError as exc:
        raise ProjectFileError(validation_problems(exc, smap, file, data)) from None


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:  # noqa: ANN401
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
        width=100,
    )


def model_to_yaml(obj: BaseModel) -> str:
    return dump_yaml(obj.model_dump(mode="json", exclude_defaults=False))


def with_header_of(path: Path, text: str) -> str:
    """``text`` (a freshly dumped YAML document) with the comment block that opens the file
    now at ``path`` put back in front: a person's notes at the top of a file survive saves.
    Comments further down are not kept (the document is rebuilt from the model)."""
    try:
        with open(path, encoding="utf-8") as fh:
            header = []
            for line in fh:
                if not line.startswith("#"):
                    break
                header.append(line if line.endswith("\n") else line + "\n")
    except (OSError, UnicodeDecodeError):
        return text
    block = "".join(header)
    return text if not block or text.startswith(block) else block + text


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half.

    The file gets the mode a new file gets (0666 & ~umask), or keeps the mode of the file it
    replaces (see :mod:`studio.filemode`)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        set_mode(tmp, file_mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    _remove_stale_temps(path)


STALE_TEMP_SECONDS = 600


def _remove_stale_temps(path: Path) -> None:
    """Delete temps of ``path`` left by a writer that was killed (older than 10 minutes,
    so a concurrent writer's temp is never touched)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.is_file() and not stale.is_symlink() and stale.stat().st_mtime < cutoff:
                stale.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
