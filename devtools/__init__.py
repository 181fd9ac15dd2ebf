"""The project's tools: each runs the program under Pulumi's mocks (graph, diagram, cost, bench, documents).

Importing them makes the provider SDK's service packages import one module at a time (``lazy_provider``): only
in these processes, never in the Pulumi CLI's run of the program."""

from devtools import lazy_provider

lazy_provider.install()
