"""Malformed provider base URLs fail a job before anything is sent, with the variable or
setting named; httpx's UnsupportedProtocol / InvalidURL for the URL we built is never "may
have reached the server" (reviewer gap: the job ended waiting for a --resend decision)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from studio.cli import main
from studio.providers import http
from studio.providers.base import ProviderConfigError, SubmitUncertain
from studio.providers.registry import base_url, base_url_warning
from studio.settings import ProviderSettings, Settings, base_url_problem, save_settings
from studio.store import Store


@pytest.mark.parametrize("url", ["notaurl", "https://", "http:///v1", "ftp://example.com",
                                 "https://exa mple.com", "https://example.com:port",
                                 "example.com/v1", "//example.com"])
def test_malformed_base_urls_are_named(url: str) -> None:
    assert base_url_problem(url)


@pytest.mark.parametrize("url", ["https://api.openai.com/v1", "http://127.0.0.1:8080",
                                 "https://queue.fal.run/", "HTTPS://Example.com"])
def test_good_base_urls_pass(url: str) -> None:
    assert base_url_problem(url) is None


def test_env_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_VEO_BASE_URL", "notaurl")
    with pytest.raises(ProviderConfigError, match="STUDIO_VEO_BASE_URL.*'notaurl'"):
        base_url("veo", Settings())
    monkeypatch.setenv("OPENAI_BASE_URL", "https://")
    with pytest.raises(ProviderConfigError, match="OPENAI_BASE_URL.*no host"):
        base_url("openai", Settings())
    monkeypatch.setenv("STUDIO_VEO_BASE_URL", "http://127.0.0.1:9/")
    assert base_url("veo", Settings()) == "http://127.0.0.1:9"


def test_settings_keep_a_malformed_url_to_report_it(tmp_path: Path) -> None:
    from studio.settings import load_settings

    path = tmp_path / "settings.yaml"
    save_settings(Settings(providers={"veo": ProviderSettings(base_url="https://")}), path)
    loaded = load_settings(path)  # not "https:" (which no longer loads)
    assert loaded.provider("veo").base_url == "https://"
    assert ProviderSettings(base_url=" https://api.example.com/ ").base_url == \
        "https://api.example.com"
    with pytest.raises(ValueError, match="http:// or https://"):
        ProviderSettings(base_url="notaurl")


def test_setting_is_named() -> None:
    settings = Settings(providers={"luma": ProviderSettings(base_url="https://")})
    with pytest.raises(ProviderConfigError, match=r"providers\.luma\.base_url"):
        base_url("luma", settings)
    warning = base_url_warning("luma", settings)
    assert warning
    assert "providers.luma.base_url" in warning
    assert base_url_warning("luma", Settings()) is None
    assert base_url_warning("previz", settings) is None  # local: no base URL


class _Transport(httpx.AsyncBaseTransport):
    """httpx's own transport (it raises UnsupportedProtocol before connecting), except that
    api.example.com answers every request with a redirect to an ftp:// URL."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.answered: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.example.com":
            self.answered.append(request)
            return httpx.Response(307, headers={"location": "ftp://elsewhere.example/x"})
        return await self.real.handle_async_request(request)


async def _send(url: str, transport: _Transport, lean: bool = False) -> None:
    from studio.providers.transport import LeanTransport

    chosen: httpx.AsyncBaseTransport = LeanTransport() if lean else transport
    async with httpx.AsyncClient(transport=chosen, follow_redirects=True) as client:
        await http.send(client, "POST", url, provider="veo", retry=False, json={})


@pytest.mark.parametrize("lean", [False, True])
@pytest.mark.parametrize("url", ["notaurl/v1beta/models/x:predict", "https:///v1/videos",
                                 "ftp://example.com/v1"])
def test_unsendable_url_is_a_config_error_not_submit_uncertain(url: str, lean: bool) -> None:
    transport = _Transport()
    with pytest.raises(ProviderConfigError, match="nothing was sent"):
        asyncio.run(_send(url, transport, lean))
    assert transport.answered == []


def test_redirect_to_an_unusable_url_after_sending_is_uncertain() -> None:
    transport = _Transport()
    with pytest.raises(SubmitUncertain):
        asyncio.run(_send("https://api.example.com/v1/videos", transport))
    assert len(transport.answered) == 1


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _jobs(root: Path) -> list[dict[str, object]]:
    with Store.for_project(root).session() as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM jobs")]


@pytest.mark.parametrize("where", ["env", "settings"])
def test_queue_fails_the_job_before_sending(
        sample_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, where: str) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "test-key-0123456789")
    if where == "env":
        monkeypatch.setenv("STUDIO_VEO_BASE_URL", "notaurl")
        named = "STUDIO_VEO_BASE_URL"
    else:
        path = tmp_path / "settings.yaml"
        monkeypatch.setenv("STUDIO_SETTINGS", str(path))
        save_settings(Settings(providers={"veo": ProviderSettings(base_url="https://")}), path)
        named = "providers.veo.base_url"
    sent: list[object] = []
    real_send = httpx.AsyncClient.send

    async def spy(self: httpx.AsyncClient, request: httpx.Request, **kw: object) -> object:
        sent.append(request)
        return await real_send(self, request, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncClient, "send", spy)
    code, _, err = _run(capsys, "queue", "add", str(sample_copy), "--shot", "s01-ridge-dawn",
                        "--provider", "veo")
    assert code == 0, err
    assert "warning: veo jobs will fail before sending" in err
    assert named in err
    code, out, err = _run(capsys, "queue", "run", str(sample_copy), "--until-idle")
    assert "driver crashed" not in err
    (job,) = _jobs(sample_copy)
    assert job["status"] == "failed", job
    assert not job["needs_decision"]
    assert named in str(job["error"])
    assert "Nothing was sent" in str(job["error"])
    assert "resend" not in str(job["error"])
    assert sent == []
    code, out, _ = _run(capsys, "queue", "list", str(sample_copy), "--json")
    assert json.loads(out)[0]["status"] == "failed"
