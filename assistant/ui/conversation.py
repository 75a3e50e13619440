"""One person's conversation: the turns asked and answered, in order, and the question a follow-up
is read with. It lives in the session's state; every event reads and changes the same object."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..schema import Answer, Citation


@dataclass(eq=False)  # a turn is itself: two alike questions are two turns
class Turn:
    question: str
    scope: str = ""  # 检索范围：…, fixed when asked
    answer: Answer | None = None  # None while it is being answered
    shown: list[Citation] = field(default_factory=list)  # its citations, or a not-found answer's leads
    notice: str = ""  # why a generative reply gave way to the extractive answer
    generated: bool = False
    problem: str = ""  # the question could not be asked (too long): said instead of an answer
    streaming: str | None = None  # a generative reply as it arrives

    @property
    def pending(self) -> bool:
        return self.answer is None and not self.problem


class Conversation:
    """Turns in the order asked. A question shows at once (`add`); answers are given one at a time
    in that order (`answering`), so a quick second question is neither lost nor read before the
    first one it follows up. `reset` starts over: turns and follow-up context alike."""

    def __init__(self):
        self.turns: list[Turn] = []
        self.previous = ""  # the last question as understood, for a follow-up (那2030年呢?)
        self.order = threading.Lock()  # one answer at a time, oldest first
        self._edit = threading.Lock()

    def __deepcopy__(self, memo):
        # Gradio copies a state's initial value for each session: each copy is a conversation of its own
        return Conversation()

    def add(self, question: str, scope: str) -> Turn:
        with self._edit:
            self.turns.append(Turn(question=question, scope=scope))
            return self.turns[-1]

    def next_pending(self) -> Turn | None:
        with self._edit:
            return next((t for t in self.turns if t.pending), None)

    def reset(self) -> None:
        with self._edit:
            self.turns = []  # a turn still being answered is no longer listed: its answer goes nowhere
            self.previous = ""

    def citation(self, turn: int, n: int) -> Citation | None:
        """Citation `n` (from 1) of turn `turn` (from 0), if both exist."""
        with self._edit:
            if not (0 <= turn < len(self.turns)):
                return None
            shown = self.turns[turn].shown
            return shown[n - 1] if 1 <= n <= len(shown) else None
