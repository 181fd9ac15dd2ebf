"""eventshop Lambda code: one package per service plus ``handlers.shared`` (envelope, contracts, wire format).

The deployment package's import root contains this ``handlers/`` folder, so handler strings look like
``handlers.billing.app.handler`` and modules import each other as ``from handlers.shared.events import ...``.
Only the standard library, boto3, AWS Lambda Powertools and fastjsonschema may be imported here: the
last three come from the AWS-managed Powertools layer, nothing else is bundled.
"""
