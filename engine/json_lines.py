"""Line numbers of the values in a JSON text, so that a declaration problem names its line."""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring

_WS = re.compile(r"[ \t\n\r]*")
Path = tuple[str | int, ...]


class JsonLines:
    """Where each value of an already-valid JSON document starts (1-based lines)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._newlines = [m.start() for m in re.finditer("\n", text)]
        self._lines: dict[Path, int] = {}
        self._decoder = json.JSONDecoder()
        try:
            self._value(self._skip(0), ())
        except (ValueError, IndexError, RecursionError):
            self._lines.clear()  # not valid JSON: every value is reported at line 1

    def line(self, path: Path) -> int:
        """The line of the value at ``path``, or of its nearest enclosing value found."""
        while path and path not in self._lines:
            path = path[:-1]
        return self._lines.get(path, 1)

    def _skip(self, i: int) -> int:
        match = _WS.match(self._text, i)
        return match.end() if match else i

    def _value(self, i: int, path: Path) -> int:
        self._lines[path] = bisect.bisect_left(self._newlines, i) + 1
        char = self._text[i]
        if char == "{":
            i = self._skip(i + 1)
            if self._text[i] == "}":
                return i + 1
            while True:
                key, i = scanstring(self._text, i + 1)
                i = self._skip(i)
                i = self._skip(self._value(self._skip(i + 1), (*path, key)))
                if self._text[i] == "}":
                    return i + 1
                i = self._skip(i + 1)
        if char == "[":
            i = self._skip(i + 1)
            if self._text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = self._skip(self._value(i, (*path, index)))
                if self._text[i] == "]":
                    return i + 1
                i = self._skip(i + 1)
                index += 1
        return self._decoder.raw_decode(self._text, i)[1]
