"""The PySide6 desktop editor. Imports core/compiler/zoo/training; nothing imports it.

Importing this package applies one interpreter-level workaround, before any Qt item
exists (so it also covers pyqtgraph in the training dashboard): PySide6 6.12 on
CPython 3.11 drops one reference to ``None`` each time Qt calls the virtual
``QGraphicsItem.itemChange`` of a *Python subclass* (every ``setPos``, ``setToolTip``,
``setVisible``...). Opening a ResNet-152 does that tens of thousands of times, and once
``None``'s count reaches zero CPython aborts ("none_dealloc"). CPython 3.12 made
``None`` immortal; on older versions we give it a count no session can use up.
"""

from __future__ import annotations

import sys


def _pin_none() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's 1st field
    if refcount.value < (1 << 40):
        refcount.value += 1 << 60


_pin_none()
