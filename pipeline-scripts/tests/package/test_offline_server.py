"""The offline provider's plugin process: its TLS certificate is reused between launches while
fresh, private to its owner, and replaced once stale."""

from __future__ import annotations

import os
import ssl
import stat
import time

from carcierge_pipeline.offline import protocol, server
from carcierge_pipeline.offline.cache import OfflineCache


def test_certificate_is_reused_while_fresh_and_replaced_when_stale(tmp_path):
    cache = OfflineCache(tmp_path)
    key, cert, der = server._reused_certificate(cache)
    stored = tmp_path / "plugin-tls.pem"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert ssl.PEM_cert_to_DER_cert(cert.decode()) == der

    assert server._reused_certificate(cache) == (key, cert, der)

    stale = time.time() - server.CERTIFICATE_REUSE_SECONDS - 60
    os.utime(stored, (stale, stale))
    _, renewed, _ = server._reused_certificate(cache)
    assert renewed != cert


def test_an_unreadable_certificate_file_is_replaced(tmp_path):
    cache = OfflineCache(tmp_path)
    (tmp_path / "plugin-tls.pem").write_bytes(b"not a certificate")
    _, cert, der = server._reused_certificate(cache)
    assert ssl.PEM_cert_to_DER_cert(cert.decode()) == der
    assert (tmp_path / "plugin-tls.pem").read_bytes().endswith(cert)


def test_schema_response_lets_terraform_reuse_the_first_launchs_schema(offline_cache):
    # As the real provider does: without it Terraform decodes the 2 MB schema again at every
    # launch of the plugin (three per plan).
    pb = protocol.load(offline_cache.descriptor_path.read_bytes())
    response = pb.GetProviderSchema.Response.FromString(
        offline_cache.schema_response_path.read_bytes()
    )
    assert response.server_capabilities.get_provider_schema_optional is True
    assert response.server_capabilities.plan_destroy is True
    assert len(response.resource_schemas) > 1500


def test_the_rpcs_with_nothing_to_do_offline_answer_empty(offline_cache):
    provider = server.OfflineProvider(offline_cache)
    rpcs = {m.name for m in provider.pb.service.methods}
    assert rpcs >= server.NOTHING_TO_DO  # a misspelt name would leave its RPC unimplemented
    for rpc in sorted(server.NOTHING_TO_DO):
        serve = provider.implementation(rpc)
        assert serve is not None, rpc
        assert (
            serve(getattr(provider.pb, rpc).Request(), None) == getattr(provider.pb, rpc).Response()
        )
    assert provider.implementation("PlanResourceChange") == provider.PlanResourceChange
    assert provider.implementation("CallFunction") is None  # grpc answers UNIMPLEMENTED
