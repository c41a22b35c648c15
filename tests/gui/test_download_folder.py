"""Where downloads go (issue 14.2): the platform's folder, created when missing, a setting,
*Save as…* per request, the name from Content-Disposition (sanitised, issue 13.18 included)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from gui.stream.controller import State
from gui.views.stream_tab import StreamTab
from gui.window.download_folder import platform_folder
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def test_a_missing_download_folder_is_created_and_the_server_names_the_file(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "home" / "Downloads"  # a fresh account: no such folder yet
    window.downloads.set_folder(str(folder))
    assert window.settings.download_dir() == str(folder)  # a setting, kept for next time
    controller = send(window, qtbot, f"{demo_server}/download?size=5000", Mode.DOWNLOAD)
    wait_ended(qtbot, controller)
    assert controller.state == State.DONE, controller.error
    # named by Content-Disposition (download-5000.bin), not by the URL ("download")
    assert controller.end is not None and controller.end.path == str(folder / "download-5000.bin")
    assert (folder / "download-5000.bin").stat().st_size == 5000
    assert controller.spec.output == controller.end.path  # what the Download view shows
    again = send(window, qtbot, f"{demo_server}/download?size=5000", Mode.DOWNLOAD)
    wait_ended(qtbot, again)
    assert again.end is not None and again.end.path == str(folder / "download-5000 (2).bin")


def test_the_default_folder_is_the_platform_download_location(
        window: MainWindow, settings: object) -> None:
    window.downloads._fixed = None  # as the app runs it (tests pass a temporary folder)
    assert window.settings.download_dir() == ""
    assert window.downloads.folder == platform_folder()
    assert platform_folder()


def test_save_as_puts_the_file_exactly_where_asked(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    window.editor.url.setText(f"{demo_server}/download?size=3000")
    window.editor.set_mode(Mode.AUTO)
    dialog = window.downloads.save_as_dialog()
    assert dialog is not None and dialog.isVisible()
    assert dialog.selectedFiles()[0].endswith("download")  # suggested from the URL
    dialog.reject()
    target = tmp_path / "mine" / "chosen name.dat"
    target.parent.mkdir()
    controller = window.downloads.send_to(str(target))
    assert controller is not None
    wait_ended(qtbot, controller)
    assert controller.state == State.DONE
    assert target.stat().st_size == 3000  # not renamed by the server's Content-Disposition
    assert window.history_entries()[0].url.endswith("/download?size=3000")
    assert window.history_entries()[0].status == 200  # not "no response" (issue 23.8)
    shown = window.picker.history_panel.list.item(0)  # what the History list says of it
    assert shown is not None and "200" in shown.text() and "no response" not in shown.text()


def test_a_url_with_a_very_long_last_segment_downloads(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    """Issue 13.18: ``OSError: File name too long`` before anything was sent."""
    long = "x" * 300
    controller = send(window, qtbot, f"{demo_server}/download/{long}?size=10", Mode.DOWNLOAD)
    wait_ended(qtbot, controller)
    assert controller.spec.output is not None
    assert len(Path(controller.spec.output).name.encode()) < 255
    assert controller.error is not None and controller.error.kind == "http"  # a 404, said so


def test_open_folder_says_why_it_cannot(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    window.downloads.set_folder(str(folder))
    controller = send(window, qtbot, f"{demo_server}/download?size=100", Mode.DOWNLOAD)
    wait_ended(qtbot, controller)
    shutil.rmtree(folder)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.download.open_folder.click()
    assert "does not exist" in tab.download.status.text()
    assert str(folder) in tab.download.status.text()
