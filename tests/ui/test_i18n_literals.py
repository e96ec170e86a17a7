"""No English left behind: a static scan (``ast``) of ui/ for string literals handed straight
to a text-showing Qt call without tr()/translate(). Fails with file:line of each offender.

Checked: setText/setToolTip/setWindowTitle/setPlaceholderText/setStatusTip/setWhatsThis/
setAccessibleName/setAccessibleDescription/setInformativeText/setDetailedText/setLabelText/
setTitle/showMessage/addAction/addMenu/addTab/setTabText/addItem/setItemText/addRow/
setSpecialValueText/setHorizontalHeaderLabels, the QLabel/QPushButton/QCheckBox/QRadioButton/
QGroupBox/QAction/QToolButton/QMenu constructors and QMessageBox.information/warning/
critical/question/about. A literal counts when it holds a word (two or more letters after
HTML tags, entities and ``{fields}`` are removed); literals inside a tr()/translate() call,
or an argument to a call that is not str()/html.escape() (``.replace("%1", …)``, a path),
are not looked at. Non-language words (product names, units, file names) go in ALLOWED.

It also checks the lupdate rule: the text given to tr()/translate()/QT_TRANSLATE_NOOP is a
plain literal (no f-string, no ``%``/``+`` built text) so it lands in the .ts template.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "ui"

#: every ui/ module is checked
EXCLUDED: tuple[str, ...] = ()

TEXT_METHODS = frozenset({
    "setText", "setToolTip", "setWindowTitle", "setPlaceholderText", "setStatusTip",
    "setWhatsThis", "setAccessibleName", "setAccessibleDescription", "setInformativeText",
    "setDetailedText", "setLabelText", "setTitle", "showMessage", "addAction", "addMenu",
    "addTab", "setTabText", "addItem", "setItemText", "addRow", "setSpecialValueText",
    "setHorizontalHeaderLabels", "setPrefix", "setSuffix",
})
TEXT_CLASSES = frozenset({"QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox",
                          "QAction", "QToolButton", "QMenu"})
MESSAGE_BOX = frozenset({"information", "warning", "critical", "question", "about"})
TRANSLATORS = frozenset({"tr", "translate", "_tr", "QT_TRANSLATE_NOOP", "QT_TR_NOOP"})
PASS_THROUGH = frozenset({"str", "escape"})  # str(x), html.escape(x): still the same text

#: words that are not language: the product's name, units, file and format names
ALLOWED = frozenset({
    "Brief Studio", "ms", "mm", "KB", "MB", "GB", "f/", "$", "shotlist.csv",
    "provenance.json", "project.yaml", "consent-summary.json", "—", "…",
})

#: wrapped in another engineer's pass (file, text): drop an entry once that file uses tr()
PENDING = frozenset({
})

_TAG = re.compile(r"<[^>]*>|&[a-z]+;|&#\d+;")
_FILE = re.compile(r"(?<![\w.])[\w-]*(?:\.[A-Za-z0-9]+)+\b")  # shotlist.csv, .briefbundle.zip
_WORD = re.compile(r"\b[^\W\d_]{2,}\b")  # a word; "sha256", "v2" are tokens, not words


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _is_language(text: str) -> bool:
    if text.strip() in ALLOWED:
        return False
    return bool(_WORD.search(_FILE.sub(" ", _TAG.sub(" ", text))))


def _literals(node: ast.expr) -> list[tuple[int, str]]:
    """The language-bearing literal text directly inside ``node`` (not inside tr())."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.lineno, node.value)] if _is_language(node.value) else []
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
        found = [(node.lineno, text)] if _is_language(text) else []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                found += _literals(v.value)
        return found
    if isinstance(node, ast.BinOp):
        return _literals(node.left) + _literals(node.right)
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [hit for v in node.values for hit in _literals(v)]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [hit for e in node.elts for hit in _literals(e)]
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in TRANSLATORS:
            return []
        if name in PASS_THROUGH:
            return [hit for a in node.args for hit in _literals(a)]
        if name in ("format", "join") and isinstance(node.func, ast.Attribute):
            return _literals(node.func.value)  # "… {}".format(x) / "text".join(...)
    return []


def _text_args(call: ast.Call) -> list[ast.expr]:
    func, name = call.func, _name(call.func)
    if (isinstance(func, ast.Attribute) and name in MESSAGE_BOX
            and isinstance(func.value, ast.Name) and func.value.id == "QMessageBox"):
        return list(call.args[1:3])  # (parent, title, text, ...)
    if name in ("addTab", "insertTab"):
        return list(call.args[1:3])
    if name in ("setTabText", "setItemText"):
        return list(call.args[1:2])
    if name in TEXT_METHODS or name in TEXT_CLASSES:
        return list(call.args[:1])
    return []


def _sources() -> list[Path]:
    return sorted(p for p in UI.rglob("*.py") if "__pycache__" not in p.parts
                  and not str(p.relative_to(REPO)).startswith(EXCLUDED))


def untranslated(path: Path, root: Path = REPO) -> list[str]:
    rel = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for arg in _text_args(node):
            for line, text in _literals(arg):
                if (rel, text.strip()) in PENDING:
                    continue
                bad.append(f"{rel}:{line}: {_name(node.func)}({text.strip()[:60]!r}) not in tr()")
        name = _name(node.func)
        if name in TRANSLATORS:
            pos = 1 if name in ("translate", "QT_TRANSLATE_NOOP") else 0
            if len(node.args) > pos:
                text = node.args[pos]
                if name == "tr" and isinstance(text, ast.Name):
                    continue  # self.tr(TABLE[key]): the table holds QT_TRANSLATE_NOOP texts
                if name in ("translate", "_tr") and not isinstance(text, ast.Constant):
                    continue  # a helper's pass-through (def _tr(text): translate(ctx, text))
                if not (isinstance(text, ast.Constant) and isinstance(text.value, str)) \
                        and not isinstance(text, (ast.Subscript, ast.Attribute, ast.Name,
                                                  ast.Call)):
                    bad.append(f"{rel}:{node.lineno}: {name}() of built text "
                               f"({ast.unparse(text)[:60]}): lupdate cannot extract it")
    return bad


def test_ui_text_goes_through_tr() -> None:
    sources = _sources()
    assert len(sources) > 20, "the scan found no ui/ sources"
    bad = [hit for path in sources for hit in untranslated(path)]
    assert not bad, "user-visible literals not wrapped in tr()/translate():\n" + "\n".join(bad)


def test_the_scan_catches_a_bare_literal(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from PySide6.QtWidgets import QLabel, QMessageBox\n"
        "label = QLabel('Hello there')\n"                      # 2: bare
        "label.setToolTip(f'Shot {1} of {2}')\n"               # 3: f-string
        "label.setText(label.tr('Fine'))\n"                    # ok
        "label.setText('<b>' + label.tr('Fine') + '</b>')\n"   # ok: markup only
        "label.setText('—')\n"                                 # ok: a symbol
        "QMessageBox.warning(None, 'Oops', label.tr('x'))\n"   # 7: title
        "label.setText(label.tr(f'Built {1}'))\n"              # 8: f-string in tr
        "label.setText(f'{1}.briefbundle.zip')\n",             # ok: a file name
        encoding="utf-8")
    try:
        lines = sorted(int(hit.split(":")[1]) for hit in untranslated(probe, tmp_path))
    finally:
        probe.unlink()
    assert lines == [2, 3, 7, 8]


def test_keyring_hint_mirror_matches_the_core_text() -> None:
    """ui.provider_setup keeps a QT_TRANSLATE_NOOP copy of studio.keys.FIX_HINT for lupdate."""
    from studio.keys import FIX_HINT
    from ui.provider_setup import _FIX_HINT_TEXT

    assert _FIX_HINT_TEXT == FIX_HINT
