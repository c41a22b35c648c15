"""How the window writes sizes, durations and clock times: one place, so every view says
"1.5 MiB" or "12.3 ms" the same way. Qt-free; the CLI and reports may use it too."""

from __future__ import annotations

from datetime import datetime

__all__ = ["fmt_clock", "fmt_delta", "fmt_eta", "fmt_ms", "fmt_s", "fmt_size"]


def fmt_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    if n < 1024 ** 3:
        return f"{n / 1024 / 1024:.1f} MiB"
    return f"{n / 1024 ** 3:.2f} GiB"


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 10:
        return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
    return f"{seconds:.1f} s"


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def fmt_delta(seconds: float) -> str:
    if seconds < 1.0:
        return f"+{seconds * 1000:.1f} ms"
    return f"+{seconds:.3f} s"


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def fmt_clock(start_wall: float, t: float) -> str:
    """Wall-clock arrival time with milliseconds (start of the request + ``t``)."""
    return datetime.fromtimestamp(start_wall + t).strftime("%H:%M:%S.%f")[:-3]
