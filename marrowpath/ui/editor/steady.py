"""Labels that take new words on every counted cell without laying the form out again.

Why: a QLabel whose text changes asks its parent's layout to run again, and that layout
its parent's, up to the scroll areas of the form and of the checks beside it, which
then measure every section again (the wrapped labels' heights for their widths) and
repaint what moved: most of what a counted cell cost (issue 13). While the counter runs,
a label "held steady" keeps its size as long as its new words fit in it exactly (a
fixed-size widget asks no layout to run); when they need more or less room it is
released to the layouts for that one change, and held again at its new size on the next.
Nothing is clipped and no room is left over: a label only ever shows at the size its
words need, as before.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

HELD = "marrowpath_steady"  # the label's dynamic property: held while counting
FIXED = "marrowpath_steady_fixed"  # its size was fixed here (and is released here)
MAX_SIZE = 16_777_215  # QWIDGETSIZE_MAX


def hold(label: QLabel, held: bool) -> None:
    """Hold a label steady (counting started) or give it back to its layout (stopped)."""
    label.setProperty(HELD, held)
    if not held:
        release(label)


def pin(widget: QWidget) -> None:
    """Keep a widget whose size cannot change while counting at its size (the grid:
    its columns are fixed then, yet a view asks for a layout pass on every change of a
    cell when it sizes itself to its contents)."""
    if not widget.property(FIXED):
        widget.setFixedSize(widget.size())
        widget.setProperty(FIXED, True)


def release(widget: QWidget) -> None:
    """Back to its layout's sizing (a change of room, the window resized, the count over)."""
    if widget.property(FIXED):
        widget.setProperty(FIXED, False)
        widget.setMinimumSize(0, 0)
        widget.setMaximumSize(MAX_SIZE, MAX_SIZE)


def set_text(label: QLabel, text: str) -> None:
    """`label.setText(text)`, without a layout pass when a held label's size still fits."""
    if text == label.text():
        return
    if not label.property(HELD) or label.isHidden():
        label.setText(text)
        return
    if not label.property(FIXED):
        # held from now on at the size its layout gave it (one layout pass, this once)
        label.setFixedSize(label.size())
        label.setProperty(FIXED, True)
    label.setText(text)
    if _needed_height(label) != label.height() or _needed_width(label) > label.width():
        release(label)


def release_all(root: QWidget) -> None:
    """Every held label under `root` back to its layout (they are held again at their
    new sizes on their next change): after the window or a splitter changed size."""
    for label in root.findChildren(QLabel):
        if label.property(FIXED):
            release(label)


def _needed_height(label: QLabel) -> int:
    if label.wordWrap():
        return label.heightForWidth(label.width())
    return label.sizeHint().height()


def _needed_width(label: QLabel) -> int:
    return 0 if label.wordWrap() else label.sizeHint().width()
