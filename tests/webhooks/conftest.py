"""How many examples the webhook property tests run.

``QBANK_PROPERTY_EXAMPLES`` sets it: `nox -s properties` runs them at 10,000 examples each, once
(about 2.5 min on 2 busy cores); everywhere else (the per-Python `tests` sessions, a local
pytest) they run 300. Other property tests keep the global profile.
"""

from __future__ import annotations

import os

PROPERTY_EXAMPLES = int(os.environ.get("QBANK_PROPERTY_EXAMPLES") or 300)
