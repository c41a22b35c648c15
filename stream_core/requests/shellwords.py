"""Bash's word splitting for one pasted command, in one pass.

Why not ``shlex``: its token grows by string concatenation on an attribute, quadratic in a
long word (a 1 MB ``-d`` took 31 s, 60 s on the window's thread); and it knows neither line
continuations nor ANSI-C ``$'...'`` strings, which Chrome's *Copy as cURL* emits when a value
holds a quote or a control character. Used by ``curl_import``.
"""

from __future__ import annotations

import re

__all__ = ["ShellError", "Splitter"]


class ShellError(ValueError):
    """A command that cannot be split (an open quote), or that a shell would do more with
    than pass words (a pipe, ``;``, a command substitution): never run here."""


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
         "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v", "?": "?"}

#: ``$NAME`` / ``${NAME}``: the API references' ``$OPENAI_API_KEY``
_SHELL_VAR = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})")
#: ``$1``, ``${2}``, ``$@``, ``$*``, ``$#``: a script's parameters, empty in a pasted command
_SHELL_PARAM = re.compile(r"\$(?:([0-9@*#?!$-])|\{([0-9]+|[@*#])\})")
_PLAIN = re.compile(r"[^\s\\'\"$|;&<>`()]+")
_IN_DOUBLE = re.compile(r"[^\"\\$`]+")
_HEX2, _HEX4, _HEX8, _OCT = (re.compile(p) for p in (
    r"[0-9a-fA-F]{1,2}", r"[0-9a-fA-F]{1,4}", r"[0-9a-fA-F]{1,8}", r"[0-7]{0,2}"))


def _ansi_c(text: str, i: int) -> tuple[bytes, int]:
    """Decode ``$'...'`` starting after the opening quote at ``i``; (bytes, index after)."""
    out = bytearray()
    while i < len(text):
        c = text[i]
        if c == "'":
            return bytes(out), i + 1
        if c != "\\" or i + 1 >= len(text):
            out += c.encode("utf-8", "surrogatepass")
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e in _ANSI:
            out += _ANSI[e].encode()
        elif e in "xuU":
            m = (_HEX2 if e == "x" else _HEX4 if e == "u" else _HEX8).match(text, i)
            if m is None:
                out += b"\\" + e.encode()
                continue
            code = int(m.group(), 16)
            i = m.end()
            if e == "x":
                out.append(code)
            elif code > 0x10FFFF:
                raise ShellError(f"\\{e}{m.group()} in a $'...' string is not a character"
                                " (beyond U+10FFFF)")
            else:
                out += chr(code).encode("utf-8", "surrogatepass")
        elif e in "01234567":
            m = _OCT.match(text, i)
            digits = e + (m.group() if m else "")
            out.append(int(digits, 8) & 0xFF)
            i += len(digits) - 1
        elif e == "c" and i < len(text):  # control character
            out.append(ord(text[i]) & 0x1F)
            i += 1
        else:
            out += ("\\" + e).encode("utf-8")
    raise ShellError("no closing quotation: unterminated $'...' string")


class Splitter:
    """Bash's word splitting for one command, in one pass (linear in the input, unlike
    ``shlex``, whose token grows by concatenation: a 1 MB word took 31 s).

    Quotes, backslashes, line continuations and ``$'...'`` as bash reads them; ``$NAME``
    becomes ``{{$env.NAME}}`` (resolved at send time); a script parameter (``$1``) is empty,
    as in a shell without arguments, and said in ``notes``. An unquoted line end ends the
    command (what follows is reported, not read); pipes, redirections, ``;`` and ``&`` are
    refused: one command, never run.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.notes: list[str] = []
        self.words: list[str] = []
        self._word: list[str] = []
        self._open = False  # inside a word (an empty '' is a word too)

    def _add(self, piece: str) -> None:
        self._word.append(piece)
        self._open = True

    def _end(self) -> None:
        if self._open:
            self.words.append("".join(self._word))
        self._word, self._open = [], False

    def _dollar(self, i: int) -> int:
        text = self.text
        param = _SHELL_PARAM.match(text, i)
        if param is not None:
            self.notes.append(f"the shell parameter {param.group()} is empty here, as in a"
                              " shell run without arguments")
            self._open = True
            return param.end()
        var = _SHELL_VAR.match(text, i)
        if var is not None:
            self._add(f"{{{{$env.{var.group(1) or var.group(2)}}}}}")
            return var.end()
        self._add("$")
        return i + 1

    def _double(self, i: int) -> int:
        """After the opening ``"`` at ``i - 1``; returns the index after the closing one."""
        text = self.text
        self._open = True
        while i < len(text):
            c = text[i]
            if c == '"':
                return i + 1
            if c == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt == "\n":
                    pass
                elif nxt in '"\\$`':
                    self._add(nxt)
                else:
                    self._add(c + nxt)
                i += 2
            elif c == "$":
                i = self._dollar(i)
            elif c == "`":
                raise ShellError("command substitution (`...`) is not run: paste the command"
                                " with its values")
            else:
                m = _IN_DOUBLE.match(text, i)
                assert m is not None
                self._add(m.group())
                i = m.end()
        raise ShellError('no closing quotation (")')

    def split(self) -> list[str]:
        text, i = self.text, 0
        while i < len(text):
            c = text[i]
            if c == "\\":
                if text.startswith("\r\n", i + 1):
                    i += 3
                elif text[i + 1:i + 2] == "\n":
                    i += 2
                else:
                    self._add(text[i + 1:i + 2])
                    i += 2
            elif c in " \t":
                self._end()
                i += 1
            elif c in "\r\n":
                rest = text[i:].strip()
                if rest:
                    line = text.count("\n", 0, i) + 1
                    self.notes.append(f"the command ends at line {line}, which has no"
                                      " trailing \\; the lines after it were not read")
                break
            elif c == "'":
                j = text.find("'", i + 1)
                if j < 0:
                    raise ShellError("no closing quotation (')")
                self._add(text[i + 1:j])
                i = j + 1
            elif c == '"':
                i = self._double(i + 1)
            elif c == "$" and text[i + 1:i + 2] == "'":
                raw, i = _ansi_c(text, i + 2)
                self._add(raw.decode("utf-8", "replace"))
            elif c == "$":
                i = self._dollar(i)
            elif c == "#" and not self._open:  # a comment, to the end of the line
                j = text.find("\n", i)
                i = len(text) if j < 0 else j
            elif c in "|;&<>`()":
                raise ShellError("only one curl command can be imported (no pipes,"
                                " redirections, ; or &)")
            else:
                m = _PLAIN.match(text, i)
                assert m is not None
                self._add(m.group())
                i = m.end()
        self._end()
        return self.words
