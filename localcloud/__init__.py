"""eventshop's local cloud: the real Pulumi program deployed into moto, the real handlers run in process.

See ``localcloud/README.md`` for how it works, what it emulates and what it does not.
"""
