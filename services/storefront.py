"""Storefront: the shop's one static page, deployed to a private bucket behind CloudFront.

The page's config.json is written by the program from the deployed outputs (the REST API's URL and the
storefront client's API key, the WebSocket API's URL, the user pool and its app client), and the CSP's
connect-src is derived from the same config: the page can call exactly those and nothing else. `origin` is
what the REST API's CORS must allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.static_site import StaticSite, StaticSiteArgs
from services.identity import Identity
from services.storefront_config import CONFIG_FILE, config_from_outputs, storefront_api_key, storefront_csp
from settings import Settings

SITE_DIRECTORY = Path("storefront")


class Storefront(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        api_url: pulumi.Input[str],
        api_keys: Mapping[str, aws.apigateway.ApiKey],
        websocket_url: pulumi.Input[str] | None,
        identity: Identity,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eventshop:services:Storefront", name, None, opts)
        api_key = storefront_api_key(api_keys)
        config = pulumi.Output.all(
            api_url,
            websocket_url,
            settings.region,
            identity.user_pool_id,
            identity.client_id,
            api_key.value if api_key is not None else None,
        ).apply(config_from_outputs)
        self.site = StaticSite(
            name,
            StaticSiteArgs(
                directory=SITE_DIRECTORY,
                content_security_policy=config.apply(storefront_csp),
                generated={CONFIG_FILE: pulumi.Output.json_dumps(config)},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = self.site.url
        #: https://<distribution domain>: the origin the REST API's CORS allows.
        self.origin = self.site.origin
        self.register_outputs({"url": self.url, "origin": self.origin})
