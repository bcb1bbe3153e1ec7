"""Running a child process that file modes apply to, even when the tests run as root.

Root ignores file modes through its capabilities, not its uid: dropping CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH and CAP_FOWNER from the child's bounding set (``setpriv``, util-linux) makes
a 0444 file or a 0555 folder refuse writes, while the child still reads the interpreter and the
libraries root installed (a switch to ``nobody`` cannot: pyenv lives under a 0700 ``/root``)."""

from __future__ import annotations

import os
import shutil

import pytest


def unprivileged_prefix() -> list[str]:
    """The command prefix that makes a child process subject to file modes ([] if not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    drop = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--"]
