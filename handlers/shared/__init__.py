"""Code shared by every eventshop handler: JSON wire format, event envelope, request validation.

Importing it primes Powertools' Tracer (see ``handlers.shared.tracing``): every handler module imports
this package before it creates its ``Tracer()``, so a disabled tracer never loads the X-Ray SDK.
"""

from handlers.shared import tracing

tracing.prime()
