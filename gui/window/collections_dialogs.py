"""The questions a write to a collection may ask, as dialogs a coroutine awaits.

Why awaited and not ``exec()``: a nested event loop inside a coroutine lets other coroutines
run re-entrantly under it (house style: no modal ``exec()`` inside a coroutine). Each dialog
is opened with ``open()`` (window-modal, not blocking) and ``run_dialog`` waits for its
``finished`` signal; a cancelled wait closes the dialog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from stream_core.requests.secret_vars import Secret

__all__ = ["SaveDialog", "SecretsDialog", "ask_choice", "ask_new_file", "run_dialog"]

#: The "File" choice of the Save as new dialog that asks for a new file.
NEW_FILE = "New file…"


async def run_dialog(dialog: QDialog) -> int:
    """Show ``dialog`` (``open()``: window-modal, never blocking) and wait for its result."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not done.done():
            done.set_result(result)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await done
    finally:
        dialog.finished.disconnect(finished)
        dialog.hide()
        dialog.deleteLater()


async def ask_choice(parent: QWidget, title: str, text: str, choices: list[str]) -> str | None:
    """A question with one button per choice (a last Cancel added); the choice, or None."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel,
                      parent)
    box.setObjectName("collectionQuestion")
    buttons = {box.addButton(c, QMessageBox.ButtonRole.AcceptRole): c for c in choices}
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    await run_dialog(box)
    clicked = box.clickedButton()
    return buttons.get(clicked) if isinstance(clicked, QPushButton) else None


async def ask_new_file(parent: QWidget, start: Path) -> Path | None:
    """Where a new ``.http`` file goes. Choosing an existing file asks nothing: a write never
    replaces a file, the request is added to it."""
    dialog = QFileDialog(parent, "New .http file (or an existing one, to add to)", str(start),
                         "HTTP requests (*.http)")
    dialog.setObjectName("newHttpFile")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, True)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix("http")
    if await run_dialog(dialog) != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


class SaveDialog(QDialog):
    """Save as new: the request's name and the file it goes to (or a new file)."""

    def __init__(self, parent: QWidget, suggestion: str, files: list[tuple[str, Path]],
                 current: Path | None, taken: Callable[[Path, str], bool]) -> None:
        super().__init__(parent)
        self.setObjectName("saveRequestDialog")
        self.setWindowTitle("Save as new request")
        self.taken = taken
        self.name = QLineEdit(suggestion, self)
        self.name.setObjectName("requestName")
        self.file = QComboBox(self)
        self.file.setObjectName("requestFile")
        for label, path in files:
            self.file.addItem(label, str(path))
        self.file.addItem(NEW_FILE, "")
        self.file.setCurrentIndex(max(0, self.file.findData(str(current)) if current else 0))
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #c53030;")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name:", self.name)
        form.addRow("File:", self.file)
        form.addRow(self.problem)
        form.addRow(buttons)

    def path(self) -> Path | None:
        """The file chosen (None: a new one, to ask for)."""
        data = self.file.currentData()
        return Path(data) if data else None

    def accept(self) -> None:
        name, path = self.name.text().strip(), self.path()
        problem = ("Give the request a name" if not name or name.startswith("#") else
                   f"{path.name} already has a request named {name!r}"
                   if path is not None and self.taken(path, name) else "")
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        super().accept()


class SecretsDialog(QDialog):
    """Secrets typed in the request: kept as ``{{variables}}`` in the private environment
    file of the environment chosen here, never in the ``.http`` file in clear."""

    def __init__(self, parent: QWidget, secrets: list[Secret], folder: Path,
                 environments: list[str], current: str,
                 names_for: Callable[[str], dict[Secret, str]]) -> None:
        super().__init__(parent)
        self.setObjectName("secretsDialog")
        self.setWindowTitle("Keep secrets out of the .http file")
        self.setMinimumWidth(520)
        self.secrets = secrets
        self.names_for = names_for
        self.environment = QComboBox(self)
        self.environment.setObjectName("secretsEnvironment")
        self.environment.setEditable(True)
        self.environment.addItems(environments or ["local"])
        self.environment.setCurrentText(current or (environments[0] if environments
                                                    else "local"))
        self.environment.currentTextChanged.connect(lambda _t: self._explain())
        intro = QLabel(f"The request holds {len(secrets)} secret value(s). So that none lands"
                       " in a .http file (shared, kept in git), each is kept in"
                       f" http-client.private.env.json in {folder} (created readable by you"
                       " only; keep it out of git) and the request refers to it by name:",
                       self)
        intro.setWordWrap(True)
        self.list = QLabel(self)
        self.list.setObjectName("secretsList")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        buttons.addButton("Keep as variables and save", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow("Environment:", self.environment)
        form.addRow(self.list)
        form.addRow(buttons)
        self._explain()

    def chosen(self) -> str:
        return self.environment.currentText().strip()

    def _explain(self) -> None:
        names = self.names_for(self.chosen()) if self.chosen() else {}
        self.list.setText("\n".join(f"{s.where}  →  {{{{{names.get(s, s.suggested)}}}}}"
                                    for s in self.secrets))

    def accept(self) -> None:
        if self.chosen():
            super().accept()
