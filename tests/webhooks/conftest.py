"""How many examples the webhook property tests run.

Under ``HYPOTHESIS_PROFILE=ci`` (what nox sets) each of them runs 10,000 examples, about 30 s for
this directory; locally they run a few hundred. Other property tests keep the global profile.
"""

from __future__ import annotations

import os

PROPERTY_EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 300
