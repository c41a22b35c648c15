"""What a stream's state is called and how it looks, everywhere it is shown.

Why: the controller's ``State`` says how the task ended; a user needs more: a download the
user paused is *paused* (Resume continues it), not stopped; a stream whose end was never seen
(a cut capture file, a connection that ended early without an error) is *incomplete*, not
done. The tab icon, the tab's tooltip and the summary strip all use ``shown_state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.stream.controller import StreamController

COLORS = {
    "connecting": "#b7791f", "streaming": "#2b6cb0", "reconnecting": "#c05621",
    "done": "#2f855a", "failed": "#c53030", "stopped": "#4a5568", "paused": "#b7791f",
    "incomplete": "#dd6b20",
}
WORDS = {
    "paused": "paused: Resume continues the download",
    "incomplete": "incomplete: the stream's end was never received",
}


@dataclass(frozen=True, slots=True)
class ShownState:
    word: str  # connecting, streaming, reconnecting, done, failed, stopped, paused, incomplete
    color: str

    @property
    def icon(self) -> str:
        return f"state-{self.word}"

    @property
    def description(self) -> str:
        return WORDS.get(self.word, self.word)


def shown_state(controller: StreamController, paused: bool = False) -> ShownState:
    """The state to show: the controller's, told apart further (paused, incomplete)."""
    word = controller.state.value
    if word == "stopped" and paused and controller.can_resume:
        word = "paused"
    elif word == "done" and controller.end is not None and not controller.end.complete:
        word = "incomplete"
    return ShownState(word, COLORS[word])
