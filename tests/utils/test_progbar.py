"""Progbar: Keras 3's line, drawn live in a terminal or notebook and plainly in a log file."""

import contextlib
import io
import os
import subprocess
import sys

import pytest

from numkeras.utils import progbar
from numkeras.utils.progbar import Progbar

BAR = "━" * 20


class _Terminal(io.StringIO):
    """A captured stdout that says it is a terminal."""

    def isatty(self):
        return True


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    for name in ("PYCHARM_HOSTED", "NO_COLOR", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(progbar, "_clock", fake)
    return fake


@pytest.fixture
def terminal(monkeypatch):
    """A stdout that is a 200-column terminal; use it as ``with redirect_stdout(terminal):``.

    (pytest puts its own stdout back when a test starts, so a fixture cannot swap it.)
    """
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=None: os.terminal_size((200, 50)))
    return _Terminal()


def run_epoch(bar, clock, steps, seconds_per_step, values=()):
    for step in range(1, steps + 1):
        clock.now += seconds_per_step
        bar.update(step, list(values))


def test_finished_line_in_a_log_file_is_keras_format_without_control_codes(capsys, clock):
    bar = Progbar(600)
    clock.now += 0.5  # the first step is slow (one-off costs) and left out of the time per step
    bar.update(1, [("accuracy", 0.9), ("loss", 0.3)])
    run_epoch(bar, clock, 598, 0.003, [("accuracy", 0.9), ("loss", 0.3)])
    clock.now += 0.003
    bar.update(600, [("accuracy", 0.9123), ("loss", 0.3)])

    assert capsys.readouterr().out == (
        f"600/600 {BAR} 2s 3ms/step - accuracy: 0.9123 - loss: 0.3000\n"
    )


def test_long_epoch_in_a_log_file_prints_a_plain_line_every_30_seconds(capsys, clock):
    bar = Progbar(100)
    run_epoch(bar, clock, 100, 1.0, [("loss", 1.0)])

    out = capsys.readouterr().out
    assert out.splitlines() == [
        f" 30/100 {'━' * 6}{'━' * 14} 1:10 1s/step - loss: 1.0000",
        f" 60/100 {'━' * 12}{'━' * 8} 40s 1s/step - loss: 1.0000",
        f" 90/100 {'━' * 18}{'━' * 2} 10s 1s/step - loss: 1.0000",
        f"100/100 {BAR} 100s 1s/step - loss: 1.0000",
    ]
    assert "\r" not in out
    assert "\x1b" not in out


def test_eta_formats():
    assert progbar._format_eta(5.9) == "5s"
    assert progbar._format_eta(65.0) == "1:05"
    assert progbar._format_eta(3725.9) == "1:02:05"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(2.0, "2s/step"), (0.0, "0s/step"), (0.012, "12ms/step"), (0.0005, "500us/step")],
)
def test_time_per_step_units(capsys, clock, seconds, shown):
    bar = Progbar(4)
    run_epoch(bar, clock, 4, seconds)
    assert f" {shown}\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.5, "0.5000"),
        (-0.25, "-0.2500"),
        (12.345678, "12.3457"),
        (0.0005, "5.0000e-04"),
        (-0.001, "-1.0000e-03"),
        (0.0, "0.0000e+00"),
    ],
)
def test_metric_format_switches_to_scientific_at_one_thousandth(capsys, clock, value, shown):
    Progbar(1).update(1, [("m", value)])
    assert capsys.readouterr().out.endswith(f" - m: {shown}\n")


def test_values_are_averaged_over_steps_unless_stateful(capsys, clock):
    bar = Progbar(4, stateful_metrics=["lr"])
    bar.update(1, [("loss", 1.0), ("lr", 0.1)])
    bar.update(3, [("loss", 4.0), ("lr", 0.2)])  # covers steps 2 and 3: weight 2
    bar.update(4, [("lr", 0.3)], finalize=True)
    # loss: (1 * 1 + 4 * 2) / 3 = 3
    assert capsys.readouterr().out.endswith(" - loss: 3.0000 - lr: 0.3000\n")


def test_values_given_at_the_end_are_shown_as_they_are(capsys, clock):
    bar = Progbar(2)
    bar.update(1, [("loss", 10.0)])
    bar.update(2, [("loss", 0.5), ("val_loss", 0.7)])
    assert capsys.readouterr().out.endswith(" - loss: 0.5000 - val_loss: 0.7000\n")


def test_add_advances_by_n(capsys, clock):
    bar = Progbar(10)
    bar.add(4)
    bar.add(6, [("loss", 2.0)])
    assert capsys.readouterr().out.startswith(f"10/10 {BAR} ")


def test_unknown_target(capsys, clock):
    bar = Progbar(None)
    run_epoch(bar, clock, 5, 0.01)
    bar.update(5, finalize=True)
    assert capsys.readouterr().out == "      5/Unknown 0s 10ms/step\n"


def test_verbose_2_prints_one_line_per_epoch(terminal, clock):
    with contextlib.redirect_stdout(terminal):
        run_epoch(Progbar(50, verbose=2), clock, 50, 0.02, [("loss", 0.25)])
    assert terminal.getvalue() == "50/50 - 1s - 20ms/step - loss: 0.2500\n"


def test_verbose_0_prints_nothing(terminal, clock):
    with contextlib.redirect_stdout(terminal):
        run_epoch(Progbar(50, verbose=0), clock, 50, 0.02, [("loss", 0.25)])
    assert terminal.getvalue() == ""


def test_terminal_gets_a_live_coloured_line_redrawn_in_place(terminal, clock):
    with contextlib.redirect_stdout(terminal):
        run_epoch(Progbar(10), clock, 10, 0.1, [("loss", 0.5)])

    out = terminal.getvalue()
    frames = out.split("\r")
    assert len(frames) >= 10  # every step was 0.1 s apart, more than the 0.05 s interval
    assert "\x1b[1m 5/10\x1b[0m \x1b[32m" + "━" * 10 + "\x1b[0m\x1b[37m" + "━" * 10 in out
    assert "\x1b[1m0s\x1b[0m 100ms/step - loss: 0.5000" in out  # the ETA of step 10 is 0 s
    final = f"\x1b[1m10/10\x1b[0m \x1b[32m{BAR}\x1b[0m \x1b[1m1s\x1b[0m 100ms/step - loss: 0.5000\n"
    assert out.endswith("\r" + final)
    assert out.count("\n") == 1


def test_live_redraws_are_throttled_to_the_interval(terminal, clock):
    with contextlib.redirect_stdout(terminal):
        run_epoch(Progbar(100, interval=0.05), clock, 100, 0.01)  # a redraw every 5 steps
    drawn = [frame for frame in terminal.getvalue().split("\r") if "/100" in frame]
    assert 20 <= len(drawn) <= 23
    assert drawn[0].startswith("\x1b[1m  1/100")


def test_live_line_fits_the_terminal_but_the_finished_line_is_whole(terminal, clock, monkeypatch):
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=None: os.terminal_size((31, 50)))
    with contextlib.redirect_stdout(terminal):
        run_epoch(Progbar(3), clock, 3, 0.1, [("loss", 0.5), ("accuracy", 0.75)])

    *live, final = terminal.getvalue().split("\r")
    from tqdm.utils import disp_len

    assert "2/3" in "".join(live)
    assert all(disp_len(frame) <= 30 for frame in live)
    assert "accuracy" not in "".join(live)
    assert final.endswith(" - loss: 0.5000 - accuracy: 0.7500\n")


def test_no_color_keeps_the_live_line_but_drops_colours(terminal, clock, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    with contextlib.redirect_stdout(terminal):
        run_epoch(Progbar(3), clock, 3, 0.1)
    assert "\r" in terminal.getvalue()
    assert "\x1b" not in terminal.getvalue()


def test_output_goes_to_stdout_as_it_is_when_writing(terminal, clock):
    with contextlib.redirect_stdout(terminal):
        bar = Progbar(2)
        bar.update(1)
    elsewhere = _Terminal()
    with contextlib.redirect_stdout(elsewhere):
        clock.now += 1
        bar.update(2)
    assert terminal.getvalue().count("1/2") == 1
    assert "2/2" not in terminal.getvalue()
    assert elsewhere.getvalue().endswith("1s/step\n")


def test_stdout_that_cannot_encode_the_bar_gets_ascii(clock):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    with contextlib.redirect_stdout(stream):
        Progbar(2).update(2)
    stream.seek(0)
    assert stream.read().startswith("2/2 " + "=" * 20 + " 0s")


def test_invalid_verbose():
    with pytest.raises(ValueError, match="Received: verbose=3"):
        Progbar(10, verbose=3)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_real_terminal_reporting_zero_columns_gets_a_live_line():
    # A new pseudo-terminal reports 0 columns, as under docker -t; tqdm's own width detection
    # would then trim the line forever.
    pty = pytest.importorskip("pty")
    main, child_side = pty.openpty()
    code = (
        "from numkeras.utils.progbar import Progbar\n"
        "bar = Progbar(3, interval=0)\n"
        "for step in (1, 2, 3):\n"
        "    bar.update(step, [('loss', 0.5)])\n"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=child_side, stderr=child_side, env=environment
    )
    os.close(child_side)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail("the progress bar hung on a terminal of 0 columns")
    out = b""
    with contextlib.suppress(OSError):  # EIO once everything the child wrote has been read
        while chunk := os.read(main, 4096):
            out += chunk
    os.close(main)
    text = out.decode()
    assert child.returncode == 0, text
    assert "\r\x1b[1m1/3\x1b[0m" in text and "\r\x1b[1m2/3\x1b[0m" in text
    assert text.endswith(" - loss: 0.5000\r\n")  # the terminal turns "\n" into "\r\n"
