"""What a table shows on screen, checked row by row against the table's own rendering.

Why: a growing table is repainted in pieces (Qt scrolls the pixels already on screen and
paints only what the scroll exposed) and its repaints are held (``PaintThrottle``); a
picture put together from pieces painted at different scroll positions shows rows twice or
skips some (issue 23.10). ``on_screen`` reads the window's backing store (what the next
flush puts on screen; with the offscreen platform, what a screen grab gives); ``RowStrips``
renders each row once, then tells which rows a picture shows.
"""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QTableView

#: Pixels of each row compared (the first columns: number, time, gap, type).
STRIP_WIDTH = 300


def on_screen(table: QTableView) -> QImage:
    """The table's viewport as the window's backing store holds it."""
    window = table.window()
    screen = QApplication.primaryScreen()
    shot = screen.grabWindow(window.winId()).toImage()
    viewport = table.viewport()
    top_left = viewport.mapTo(window, viewport.rect().topLeft())
    return shot.copy(top_left.x(), top_left.y(), min(STRIP_WIDTH, viewport.width()),
                     viewport.height()).convertToFormat(QImage.Format.Format_RGB32)


def _key(image: QImage, y: int, height: int) -> bytes:
    """A row's strip as ink and paper (one byte a pixel): what it reads, whatever shades the
    window's state (active or not) gives the text and the alternating rows."""
    strip = image.copy(0, y, image.width(), height).convertToFormat(
        QImage.Format.Format_Grayscale8)
    return bytes(strip.constBits()).translate(_INK)


_INK = bytes(1 if level < 128 else 0 for level in range(256))


class RowStrips:
    """Each row's picture as the table renders it, to read the rows of an on-screen picture.

    Build it once the table is at rest (nothing held): it scrolls the table through
    ``rows`` and grabs it (the rows must differ, as event numbers make them)."""

    def __init__(self, table: QTableView, rows: range) -> None:
        self.height = table.verticalHeader().defaultSectionSize()
        self.rows: dict[bytes, int] = {}
        viewport = table.viewport()
        model = table.model()
        top = rows.start
        while top <= rows[-1]:
            table.scrollTo(model.index(top, 0), QTableView.ScrollHint.PositionAtTop)
            image = viewport.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
            image = image.copy(0, 0, min(STRIP_WIDTH, image.width()), image.height())
            first, last = table.rowAt(0), table.rowAt(viewport.height() - 1)
            last = model.rowCount() - 1 if last < 0 else last
            for row in range(first, last + 1):
                y = table.rowViewportPosition(row)
                if 0 <= y and y + self.height <= image.height() and row in rows:
                    self.rows[_key(image, y, self.height)] = row
            top = max(top + 1, last)

    def shown(self, image: QImage) -> list[int] | None:
        """The rows ``image`` shows, top to bottom, if every whole row in it is a row of the
        table at one scroll position (None when no alignment reads every strip)."""
        for phase in range(self.height):
            found: list[int] = []
            y = phase
            while y + self.height <= image.height():
                row = self.rows.get(_key(image, y, self.height))
                if row is None:
                    break
                found.append(row)
                y += self.height
            else:
                if found:
                    return found
        return None

    def consistent(self, image: QImage) -> bool:
        """Whether ``image`` shows consecutive rows: none twice, none skipped."""
        rows = self.shown(image)
        return rows is not None and rows == list(range(rows[0], rows[0] + len(rows)))
