"""The mark the simulator leaves in a landing folder it writes: ``<landing>/SYNTHETIC``.

It sits at the landing root, beside the source folders, so it is never read as a delivery (those
are ``<landing>/<source>/<YYYY-MM>/<file>``). A folder without it is treated as real data.
"""

from __future__ import annotations

#: File name of the mark, at the landing root.
SYNTHETIC_MARKER = "SYNTHETIC"
