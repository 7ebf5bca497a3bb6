"""The progress line that ``fit``, ``evaluate`` and ``predict`` print, in Keras 3's format.

    600/600 ━━━━━━━━━━━━━━━━━━━━ 2s 3ms/step - accuracy: 0.9123 - loss: 0.3000

While an epoch runs the time field is the ETA (``12s``, ``1:05``, ``1:02:03``); on the last line
it is the elapsed time. The time per step leaves out the first step, which pays one-off costs.
A metric shows 4 decimals, or scientific notation (``5.0000e-04``) when ``|value| <= 1e-3``.

Where the line goes decides how it is drawn (``verbose=1``):

- a terminal, a Jupyter notebook or PyCharm's console: one live line, redrawn in place at most
  every ``interval`` seconds, coloured like Keras's, and cut to the terminal's width so that it
  never wraps (the finished line is printed whole);
- anything else (a log file, a pipe, CI): plain text with no ``'\\r'`` and no colour codes, the
  finished line of each epoch and, in long epochs, one progress line every 30 seconds.

``verbose=2`` prints the finished line only, without the bar; ``verbose=0`` prints nothing.
Output goes to ``sys.stdout`` as it is at the moment of writing, so redirections apply.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import sys
from collections.abc import Iterable
from time import monotonic as _clock
from typing import Any

import numpy as np

#: In a log file, a running epoch prints a progress line at most this often (seconds).
LOG_INTERVAL = 30.0

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


class Progbar:
    """A progress bar over ``target`` steps, with running averages of the metrics.

    Args:
        target: total number of steps, or None when unknown (the line then reads ``42/Unknown``).
        width: the bar's width in characters. Defaults to 20.
        verbose: 0 (silent), 1 (a bar) or 2 (one line when finished). Defaults to 1.
        interval: least time in seconds between two redraws of a live line. Defaults to 0.05.
        stateful_metrics: names of values shown as they are given; every other value is shown
            as its average over the steps so far, each update weighted by the steps it covers.
        unit_name: what a step is called in the time per step (``3ms/step``). Defaults to "step".
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2. Received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._live = verbose == 1 and _redraws_in_place()
        self._styled = self._live and "NO_COLOR" not in os.environ
        self._bar_char = _bar_char()
        # name -> [weighted sum, total weight]; insertion order is display order, as in Keras.
        self._values: dict[str, list[float]] = {}
        self._seen_so_far = 0
        self._start = _clock()
        self._last_update = -math.inf
        self._last_logged = self._start
        self._time_after_first_step: float | None = None
        self._tqdm: Any = None

    def update(
        self,
        current: int,
        values: Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Record step ``current`` (counted from 1) and redraw when it is time to.

        Args:
            current: the number of steps done so far.
            values: ``(name, value)`` pairs for this step, scalars.
            finalize: whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            value = value if isinstance(value, float) else float(np.mean(value))
            if finalize or name in self.stateful_metrics:
                # The values given at the end are the epoch's own results: shown as they are.
                self._values[name] = [value, 1]
            else:
                weight = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] += value * weight
                total[1] += weight
        self._seen_so_far = current
        now = _clock()
        per_step = self._step_duration(current, now)

        if self.verbose == 2:
            if finalize:
                _write(self._summary_line(current, now, per_step) + "\n")
        elif self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            line = self._bar_line(current, now, per_step, finalize)
            if self._live:
                self._draw_live(line, finalize)
            elif finalize or now - self._last_logged >= LOG_INTERVAL:
                _write(line + "\n")
                self._last_logged = now
        self._last_update = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advance by ``n`` steps: ``update(seen_so_far + n, values)``."""
        self.update(self._seen_so_far + n, values)

    def _draw_live(self, line: str, finalize: bool) -> None:
        # tqdm draws the live line: it redraws in place, pads over a longer previous line with
        # ANSI-aware widths, cuts the line to the terminal's current width and stacks under
        # other tqdm bars. It cannot compose Keras's line itself (its {bar} has one colour and
        # pads with blanks where Keras draws a grey rest, {elapsed} reads "00:02" not "2s", and
        # its rate is a smoothed rate, not Keras's time per step after the first step), so the
        # text is made here and handed to tqdm as its whole format.
        if finalize:
            if self._tqdm is not None:
                self._tqdm.leave = False  # clear the cut live line; the finished one is whole
                self._tqdm.close()
                self._tqdm = None
            _write(line + "\n")
        elif self._tqdm is None:
            # leave=True: should the epoch be interrupted, the last live line stays on screen.
            self._tqdm = _live_line_class()(
                desc=line,
                bar_format="{desc}",
                file=_STDOUT,
                leave=True,
                ncols=_line_width(),
                mininterval=0,
                delay=0,
            )
        else:
            self._tqdm.ncols = _line_width()  # follows a resized terminal
            self._tqdm.set_description_str(line)

    def _bar_line(self, current: int, now: float, per_step: float, finalize: bool) -> str:
        parts = [self._bold(self._count(current))]
        if self.target:
            done = min(max(int(self.width * current / self.target), 0), self.width)
            parts.append(
                self._paint(self._bar_char * done, _GREEN)
                + self._paint(self._bar_char * (self.width - done), _GREY)
            )
        if self.target and not finalize:
            parts.append(self._bold(_format_eta(per_step * max(self.target - current, 0))))
        else:
            parts.append(self._bold(f"{now - self._start:.0f}s"))
        return " ".join(parts) + self._tail(per_step)

    def _summary_line(self, current: int, now: float, per_step: float) -> str:
        return f"{self._count(current)} - {now - self._start:.0f}s -{self._tail(per_step)}"

    def _tail(self, per_step: float) -> str:
        """`` 3ms/step - name: value ...``: the time per step and the metrics."""
        text = " " + _format_duration(per_step, self.unit_name)
        for name, (total, weight) in self._values.items():
            text += f" - {name}: {_format_value(total / max(weight, 1))}"
        return text

    def _count(self, current: int) -> str:
        if not self.target:
            return f"{current:7d}/Unknown"
        return f"{current:{len(str(self.target))}d}/{self.target}"

    def _bold(self, text: str) -> str:
        return self._paint(text, _BOLD)

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self._styled and text else text

    def _step_duration(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first step once there are others to go by."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step


def _format_value(value: float) -> str:
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_eta(seconds: float) -> str:
    s = int(seconds)
    if seconds > 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    if seconds > 60:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s}s"


def _format_duration(seconds: float, unit_name: str) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


class _CurrentStdout:
    """``sys.stdout`` as it is at each write, so that capsys and redirect_stdout see the output."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()

    @property
    def encoding(self) -> str | None:
        return getattr(sys.stdout, "encoding", None)


_STDOUT = _CurrentStdout()


def _write(text: str) -> None:
    # Flushed at once so that a log file being followed (tail -f) shows each epoch as it ends.
    sys.stdout.write(text)
    sys.stdout.flush()


def _in_notebook() -> bool:
    return type(sys.stdout).__module__.split(".")[0] == "ipykernel"


def _line_width() -> int | None:
    """Columns a live line may use: the terminal's less one (so it never wraps); no limit in a
    notebook."""
    if _in_notebook():
        return None
    # Not tqdm's dynamic_ncols: a new pseudo-terminal (docker -t, some CI runners) reports 0
    # columns, which tqdm turns into a width of -1 and an endless trimming loop. shutil falls
    # back to $COLUMNS, then to 80.
    return max(shutil.get_terminal_size().columns - 1, 1)


def _redraws_in_place() -> bool:
    """Whether stdout shows ``'\\r'`` as a return to the line start (Jupyter and PyCharm do)."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # a closed stream
        tty = False
    return tty or _in_notebook() or "PYCHARM_HOSTED" in os.environ


def _bar_char() -> str:
    # A log file opened with a legacy encoding (cp1252, ascii) cannot take "━"; Keras then
    # crashes with UnicodeEncodeError, here the bar falls back to "=".
    try:
        "━".encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return "="
    return "━"


@functools.cache
def _live_line_class() -> type:
    from tqdm import tqdm  # only a live line needs it, so runs into a log never import it

    class _LiveLine(tqdm):
        # No monitor thread: the line is redrawn on every update, never on a timer.
        monitor_interval = 0

    return _LiveLine
