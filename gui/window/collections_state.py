"""What the Collections panel keeps across the session and checks before a send.

- ``remember`` / ``restore``: the opened folder (or file) and the chosen environment are
  settings, opened and chosen again at the next start (the sample collection, a temporary
  folder, is not remembered).
- ``EnvironmentRecheck``: the editor's red "undefined variable" message is checked again
  whenever what ``{{name}}`` means changes (another environment, environment files edited),
  so it clears when the variable is defined again instead of staying until the URL is edited.
- ``BodyFileGate``: a ``.http`` file may send any file it names (``< /etc/passwd``, ``<
  ../../x``, as the IDE clients do). Before a request from a folder opened in this session
  sends a body read from a file for the first time, the window says which file and asks;
  the panel's status line names the file as soon as the request is loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from gui.services.settings import Settings
from gui.window.collections_dialogs import ask_choice
from gui.window.collections_edits import CollectionEdits
from gui.window.collections_panel import CollectionsPanel
from gui.window.request_editor import RequestEditor

__all__ = ["SEND", "BodyFileGate", "EnvironmentRecheck", "remember", "restore"]

log = logging.getLogger(__name__)

SEND = "Send"


def remember(panel: CollectionsPanel, settings: Settings,
             passing: Callable[[Path], bool]) -> None:
    """Keep what ``panel`` opens and chooses in ``settings`` (not what ``passing`` says is
    temporary)."""
    def opened(path: Path) -> None:
        if not passing(path):
            settings.set_collection_paths([str(path)])
            settings.set_collection_environment(panel.environment)

    def chosen(name: str) -> None:
        if panel.opened_path is not None and not passing(panel.opened_path):
            settings.set_collection_environment(name)

    panel.opened.connect(opened)
    panel.environmentChanged.connect(chosen)


def restore(panel: CollectionsPanel, settings: Settings) -> bool:
    """Open the collection of the last run and choose its environment again."""
    environment = settings.collection_environment()
    for path in settings.collection_paths():
        if Path(path).exists() and panel.open_path(path):
            if environment and not panel.set_environment(environment):
                log.info("environment %r is no longer defined in %s", environment, path)
            return True
        log.info("collection %s of the last run is gone", path)
    return False


class EnvironmentRecheck(QObject):
    """Checks the editor's request again when variables change, while it shows an error."""

    def __init__(self, panel: CollectionsPanel, editor: RequestEditor,
                 check_auth: Callable[[str, list[tuple[str, str]]], object]) -> None:
        super().__init__(editor)
        self.editor = editor
        self.check_auth = check_auth
        panel.variablesChanged.connect(self.recheck)

    def recheck(self) -> None:
        if self.editor.message.isHidden():
            return  # nothing shown to correct; the next Send checks anyway
        spec = self.editor.build_spec()  # hides the message, or shows the new one
        if spec is not None:
            try:
                self.check_auth(spec.url, spec.headers)
            except ValueError as exc:
                self.editor.show_error(str(exc))


class BodyFileGate(QObject):
    """Asks once per file, for a folder opened in this session, before its content is sent."""

    def __init__(self, panel: CollectionsPanel, editor: RequestEditor, edits: CollectionEdits,
                 send: Callable[[], object]) -> None:
        super().__init__(editor)
        self.panel = panel
        self.editor = editor
        self.edits = edits
        self.send = send
        self.confirmed: set[Path] = set()
        self.asking = False
        panel.opened.connect(lambda _path: self.confirmed.clear())

    def allow(self, then: Callable[[], object] | None = None) -> bool:
        """Whether the editor's request may be sent now; when not, it asks (and calls
        ``then``, the window's send by default, once the user agrees)."""
        paths = [p for p in self.panel.body_files(self.editor.body.toPlainText())
                 if p not in self.confirmed]
        if not paths:
            return True
        if not self.asking:
            self.edits.spawn(self._ask(paths, then or self.send))
        return False

    async def _ask(self, paths: list[Path], then: Callable[[], object]) -> None:
        if await self.confirm(paths):
            then()
        else:
            self.panel.say("Not sent: the body file was not confirmed")

    async def confirm(self, paths: list[Path]) -> bool:
        """Whether the files in ``paths`` may be sent: those not confirmed yet are asked
        about (a request run first for another's reference reads them too); False while
        another question is open."""
        paths = [p for p in paths if p not in self.confirmed]
        if not paths:
            return True
        if self.asking:
            return False
        self.asking = True
        try:
            root = self.panel.root
            lines = []
            for path in paths:
                outside = root is not None and not path.is_relative_to(root)
                size = path.stat().st_size if path.exists() else 0
                lines.append(f"{path} ({size:,} bytes)" + ("  — outside the collection's"
                                                           " folder" if outside else ""))
            text = ("This request's body is read from a file; its content will be sent:\n\n"
                    + "\n".join(lines))
            choice = await ask_choice(self.editor, "Send a file", text, [SEND])
        finally:
            self.asking = False
        if choice == SEND:
            self.confirmed.update(paths)
            return True
        return False
