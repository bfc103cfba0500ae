"""The pages are served by ``till-headoffice serve`` with the API, so its rule holds for them:
never without TLS off loopback (a login's password and cookie never cross a network in clear)."""

from __future__ import annotations

from headoffice.cli import main as ho_main


def test_serve_refuses_a_non_loopback_address_without_tls(tmp_path, capsys):
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "sqlite:///{tmp_path / "ho.db"}"\n', encoding="utf-8")
    assert ho_main(["--config", str(config), "serve", "--host", "0.0.0.0", "--port", "8443"]) == 2
    assert "needs tls_cert and tls_key" in capsys.readouterr().err
