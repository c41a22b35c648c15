"""Writes to the user's collection files from the window: Save, Save as new, Rename, Delete.

Each is a coroutine, because each may have to ask (``collections_dialogs``, awaited):

- *Save* updates the request the editor was opened from, and only while the editor still
  shows it (``Loaded.showing``); otherwise it is *Save as new*, which asks a name and a file.
- A secret typed into the request (a pasted curl command's token, an Auth tab value) is never
  written into a ``.http`` file in clear: the user is offered to keep it as a ``{{variable}}``
  in ``http-client.private.env.json`` (``secret_vars``, ``envfile``), or not to save.
- Every write is an edit applied to the file as it is on disk (``stream_core.requests.edit``):
  an edit made elsewhere in the meantime is kept; one made to the same request is a question
  (overwrite it, save as new, or cancel), never a silent loss either way.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QWidget

from gui.services.settings import HistoryEntry
from gui.window.collections_dialogs import (
    SaveDialog,
    SecretsDialog,
    ask_choice,
    ask_new_file,
    run_dialog,
)
from gui.window.collections_panel import CollectionsPanel, Loaded
from stream_core.requests import httpfile, secret_vars
from stream_core.requests.edit import Append, Conflict, Delete, Edit, Outcome, Rename, Update
from stream_core.requests.edit import commit as commit_edit
from stream_core.requests.envfile import save_variables
from stream_core.requests.environments import Variables, load_environments
from stream_core.requests.files import Snapshot, read_text
from stream_core.requests.httpfile import HttpFileError, HttpRequest

__all__ = ["CollectionEdits", "suggest_name"]

log = logging.getLogger(__name__)

SAVE_AS_NEW = "Save as new…"
OVERWRITE = "Overwrite their change"
DELETE_ANYWAY = "Delete anyway"
DELETE = "Delete"


def suggest_name(url: str) -> str:
    """A request name from its URL's last path segment."""
    last = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"\W+", "-", last).strip("-") or "request"


class CollectionEdits(QObject):
    """The panel's writes, each a coroutine that may ask; ``spawn`` runs one from a click."""

    def __init__(self, panel: CollectionsPanel, parent: QWidget) -> None:
        super().__init__(parent)
        self.panel = panel
        self.parent_widget = parent
        self._tasks: set[asyncio.Task[Any]] = set()
        self._saving: asyncio.Task[bool] | None = None
        panel.rename_action.triggered.connect(lambda: self.spawn(self.rename()))
        panel.delete_action.triggered.connect(lambda: self.spawn(self.delete()))

    # -- tasks -------------------------------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` on the loop, referenced until it ends (failures logged)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("collection edit failed", exc_info=task.exception())

    def cancel(self) -> None:
        """The window closes: questions still open are dropped, nothing written."""
        for task in list(self._tasks):
            task.cancel()

    # -- save --------------------------------------------------------------------------------
    def start_save(self, work: Coroutine[Any, Any, bool]) -> asyncio.Task[bool]:
        """Run a save from a click or a key, one at a time: while one is asking, another
        press of Ctrl+Shift+S brings no second dialog."""
        if self._saving is not None and not self._saving.done():
            work.close()
            return self._saving
        self._saving = self.spawn(work)
        return self._saving

    async def save(self, entry: HistoryEntry, *, name: str | None = None,
                   path: Path | None = None, as_new: bool = False,
                   expectations: list[str] | None = None) -> bool:
        """Save the editor's request (``entry``): over the request it was loaded from while it
        still shows it, else (or ``as_new``) as a new request, asking ``name`` and ``path``
        when not given; ``expectations`` (None: as they were) become its ``# @expect``
        lines."""
        loaded = self.panel.loaded
        if not as_new and name is None and loaded is not None and loaded.showing:
            return await self._save(entry, loaded.path, loaded.name, loaded, expectations)
        if name is None or path is None:
            asked = await self._ask_name(entry, name, path)
            if asked is None:
                return False
            name, path = asked
        return await self._save(entry, path, name, None, expectations)

    async def _ask_name(self, entry: HistoryEntry, name: str | None,
                        path: Path | None) -> tuple[str, Path] | None:
        panel = self.panel
        files = [(str(p.relative_to(panel.root)) if panel.root and p.is_relative_to(panel.root)
                  else str(p), p) for p in sorted(panel.files)]
        current = path or (panel.loaded.path if panel.loaded else None)
        dialog = SaveDialog(self.parent_widget, name or suggest_name(entry.url), files, current,
                            lambda p, n: any(r.name == n for r in panel.files[p].requests)
                            if p in panel.files else False)
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            return None
        name, path = dialog.name.text().strip(), dialog.path()
        if path is None:
            path = await ask_new_file(self.parent_widget,
                                      (panel.root or Path.home()) / "requests.http")
            if path is None:
                return None
        return name, path

    async def _save(self, entry: HistoryEntry, path: Path, name: str,
                    loaded: Loaded | None, expectations: list[str] | None = None) -> bool:
        """Write ``entry`` as request ``name`` of ``path``: over the loaded request
        (``loaded``) or appended."""
        panel = self.panel
        # Over the loaded request: the file as it was when the request was loaded (a reload
        # since must not hide a change made there to this very request).
        base = loaded.base if loaded is not None else panel.snapshots.get(path)
        if base is None:
            try:
                base = read_text(path)
            except (OSError, ValueError) as exc:
                panel.say(f"Not saved: {exc}")
                return False
        new = HttpRequest(name=name, method=entry.method, url=entry.url,
                          headers=list(entry.headers), body=entry.body or None)
        old = None
        if loaded is not None:
            try:
                old = httpfile.parse(base.text).find(name)
            except HttpFileError:
                old = None
        if old is not None:
            new.http_version, new.handlers, new.directives = (
                old.http_version, list(old.handlers), list(old.directives))
            if old.body_file is not None and loaded is not None and (
                    loaded.body_file_text == entry.body):
                new.body, new.body_file = None, old.body_file
                new.body_file_variables = old.body_file_variables
        new.expectations = list(expectations if expectations is not None
                                else old.expectations if old is not None else ())
        kept = await self._keep_secrets(new, old, path)
        if kept is None:
            return False
        request, env = kept
        edit: Edit = Update(name, request) if old is not None else Append(request)
        outcome = await self._commit(path, base, edit, entry)
        if outcome is None:
            return False
        panel.loaded = Loaded(path, name, base=outcome.snapshot) if loaded is None else replace(
            loaded, name=name, base=outcome.snapshot, fill=None, showing=True)
        panel.written(outcome.snapshot)
        notes = [f"kept the changes made to {path.name} on disk"] if outcome.merged else []
        if env is not None:
            if panel.root == path.parent:  # the request is sent with that environment
                panel.reload_environments()
                panel.set_environment(env)
            notes.append(f"its secrets in http-client.private.env.json, environment {env!r}")
        panel.say(f"Saved {name} to {path.name}" + (f" ({'; '.join(notes)})" if notes else ""))
        return True

    async def _keep_secrets(self, request: HttpRequest, old: HttpRequest | None,
                            path: Path) -> tuple[HttpRequest, str | None] | None:
        """``request`` with its new literal secrets as ``{{variables}}`` kept in the private
        environment file, once the user agrees, and that environment (None: there were no
        secrets); None when the user does not agree (nothing saved)."""
        panel = self.panel
        known = {(s.key, s.value) for s in secret_vars.find(old)} if old is not None else set()
        found = [s for s in secret_vars.find(request) if (s.key, s.value) not in known]
        if not found:
            return request, None
        folder = path.parent
        ours = panel.root is not None and folder == panel.root
        envs = panel.environments if ours else load_environments(folder)
        doc = panel.files.get(path)

        def names_for(env: str) -> dict[tuple[tuple[str, str], str], str]:
            return secret_vars.choose_names(found, Variables.for_file(doc, envs, env,
                                                                      None).lookup)

        dialog = SecretsDialog(self.parent_widget, found, folder, envs.names,
                               panel.environment if ours else "",
                               lambda env: {s: names_for(env)[(s.key, s.value)]
                                            for s in found})
        if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
            panel.say("Not saved: the request holds secrets to keep out of the file")
            return None
        env = dialog.chosen()
        names = names_for(env)
        lookup = Variables.for_file(doc, envs, env, None).lookup
        values = {n: value for (_key, value), n in names.items() if lookup(n) != value}
        if values:
            try:
                save_variables(folder, env, values)
            except (OSError, ValueError) as exc:
                panel.say(f"Not saved: {exc}")
                return None
        return secret_vars.rewrite(request, names), env

    async def _commit(self, path: Path, base: Snapshot, edit: Edit,
                      entry: HistoryEntry | None) -> Outcome | None:
        """``edit`` written to ``path``, asking what to do when the file changed on disk
        where the edit touches it; None when nothing was written (said why)."""
        panel = self.panel
        force = False
        while True:
            try:
                return commit_edit(path, base, edit, force=force)
            except Conflict as exc:
                choices = ([OVERWRITE if not isinstance(edit, Delete) else DELETE_ANYWAY]
                           if exc.kind == "changed" else [])
                if entry is not None:
                    choices.append(SAVE_AS_NEW)
                choice = await ask_choice(self.parent_widget, "Changed on disk",
                                          f"{exc}.", choices) if choices else None
                if choice in (OVERWRITE, DELETE_ANYWAY):
                    force = True
                    continue
                self._reread(path)
                if choice == SAVE_AS_NEW and entry is not None:
                    await self.save(entry, as_new=True)
                else:
                    panel.say(f"Not written: {exc}")
                return None
            except (HttpFileError, OSError, ValueError) as exc:
                self._reread(path)
                panel.say(f"Not written to {path.name}: {exc}")
                return None

    def _reread(self, path: Path) -> None:
        """After a refused write, the panel shows the file as it is now."""
        self.panel.reload({path})

    # -- rename, delete ----------------------------------------------------------------------
    async def rename(self, path: Path | None = None, name: str | None = None,
                     new_name: str | None = None) -> bool:
        """Rename request ``name`` of ``path`` (the selected one when not given), asking the
        new name when not given."""
        if path is None or name is None:
            selected = self.panel.selected()
            if selected is None:
                return False
            path, name = selected
        if new_name is None:
            dialog = QInputDialog(self.parent_widget)
            dialog.setObjectName("renameDialog")
            dialog.setWindowTitle("Rename request")
            dialog.setLabelText("Name:")
            dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
            dialog.setTextValue(name)
            if await run_dialog(dialog) != QDialog.DialogCode.Accepted:
                return False
            new_name = dialog.textValue().strip()
            if not new_name or new_name == name:
                return False
        base = self.panel.snapshots.get(path)
        if base is None:
            self.panel.say(f"{path.name} is no longer in the collection")
            return False
        outcome = await self._commit(path, base, Rename(name, new_name), None)
        if outcome is None:
            return False
        loaded = self.panel.loaded
        if loaded is not None and loaded.path == path and loaded.name == name:
            self.panel.loaded = replace(loaded, name=new_name.strip(), base=outcome.snapshot)
        self.panel.written(outcome.snapshot)
        self.panel.say(f"Renamed {name} to {new_name.strip()} in {path.name}")
        return True

    async def delete(self, path: Path | None = None, name: str | None = None) -> bool:
        """Delete request ``name`` of ``path`` (the selected one when not given, asking
        first: a Delete from the list or its keys takes text out of the user's file)."""
        if path is None or name is None:
            selected = self.panel.selected()
            if selected is None:
                return False
            path, name = selected
            if await ask_choice(self.parent_widget, "Delete request",
                                f"Delete request {name} from {path.name}? Its text goes out of"
                                " the file.", [DELETE]) != DELETE:
                return False
        base = self.panel.snapshots.get(path)
        if base is None:
            self.panel.say(f"{path.name} is no longer in the collection")
            return False
        outcome = await self._commit(path, base, Delete(name), None)
        if outcome is None:
            return False
        loaded = self.panel.loaded
        if loaded is not None and loaded.path == path and loaded.name == name:
            self.panel.loaded = None
        self.panel.written(outcome.snapshot)
        self.panel.say(f"Deleted {name} from {path.name}" if outcome.written
                       else f"{name} was already gone from {path.name}")
        return True
