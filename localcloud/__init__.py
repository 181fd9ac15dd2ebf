"""eventshop's local cloud: the real Pulumi program deployed into moto, the real handlers run in process.

See ``localcloud/README.md`` for how it works, what it emulates and what it does not.
"""

# Before anything imports the provider SDK: its service packages then import only the modules the program uses.
from devtools import lazy_provider

lazy_provider.install()

# Before anything imports moto's Step Functions interpreter: moto's Batch package (and with it EC2) is imported on use.
from localcloud import deferred_imports  # noqa: E402

deferred_imports.install()
