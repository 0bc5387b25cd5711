"""Nova's microversion range (2.1 to 2.96), read from `OpenStack-API-Version: compute X.Y`
or the older `X-OpenStack-Nova-API-Version`. The negotiation is common/microversions.py;
response formats that change with the version are decided in views.py with
`at_least(req, "2.47")`.
"""

from __future__ import annotations

from minicloud.common.microversions import Microversions, at_least  # noqa: F401 (views use it)

MIN_VERSION, MAX_VERSION = "2.1", "2.96"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"


class MicroversionMiddleware(Microversions):
    def __init__(self):
        super().__init__("compute", MIN_VERSION, MAX_VERSION, legacy_header=LEGACY_HEADER)
