"""Values from outside, quoted in an error message: short, however large or deep they are
(a YAML alias bomb is a few hundred bytes that stand for millions of values)."""

from __future__ import annotations

import reprlib

_short = reprlib.Repr()
_short.maxlevel, _short.maxlist, _short.maxdict, _short.maxtuple, _short.maxset = 2, 4, 4, 4, 4
_short.maxstring = _short.maxother = 60
_short.maxlong = 40


def shown(value: object) -> str:
    return _short.repr(value)
