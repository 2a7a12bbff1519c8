"""`GET /root/config/` through the official client (api-behaviour.md 3.12)."""

import authentik_client
from authentik_client.models import Config


def test_root_config_decodes_with_authentik_defaults(client):
    cfg = authentik_client.RootApi(client).root_config_retrieve()
    assert isinstance(cfg, Config)
    assert cfg.error_reporting.enabled is False
    assert cfg.error_reporting.send_pii is False
    assert cfg.cache_timeout == 300
    assert cfg.cache_timeout_flows == 300
    assert cfg.cache_timeout_policies == 300
    assert cfg.cache_timeout_reputation == 300
    # Only capabilities Portcullis really has; every value must be one of the client's enum.
    assert all(c.value in {"can_save_media", "can_geo_ip", "can_asn", "can_impersonate", "can_debug", "is_enterprise"} for c in cfg.capabilities)


def test_root_config_is_public(server):
    from conftest import make_client

    with make_client(server, "") as anon:
        anon.configuration.api_key = {}
        cfg = authentik_client.RootApi(anon).root_config_retrieve()
    assert cfg.cache_timeout == 300
