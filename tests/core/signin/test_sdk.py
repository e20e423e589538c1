"""One botocore session per configuration source: the SDK's data is loaded once, config files are honoured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.loaders import JSONFileLoader

from core.domain.model import Credentials
from core.signin.assume_role import sts_endpoint
from core.signin.client import SigninClient

CREDENTIALS = Credentials(
    access_key_id="ASIAEXAMPLEEXAMPLE00",
    secret_access_key="not-a-secret",
    session_token="not-a-token",
    expires_at=datetime(2026, 1, 1, tzinfo=UTC),
    account_id="111122223333",
)


@pytest.fixture
def loaded_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SDK data files botocore reads from disk from now on."""
    loaded: list[str] = []
    original = JSONFileLoader.load_file

    def counting(self: JSONFileLoader, file_path: str) -> object:
        loaded.append(file_path)
        return original(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counting)
    return loaded


def test_clients_of_every_region_and_use_share_the_data_loaded_for_the_first(loaded_files: list[str]) -> None:
    first = SigninClient("us-east-1")
    assert first.base_url == "https://us-east-1.signin.aws.amazon.com"
    first.sts_client(CREDENTIALS)
    assert loaded_files  # the first clients load the endpoint data and both service models
    loaded_files.clear()
    assert SigninClient("eu-west-3").base_url == "https://eu-west-3.signin.aws.amazon.com"
    assert SigninClient("eu-west-3").sts_client(CREDENTIALS).meta.endpoint_url == "https://sts.eu-west-3.amazonaws.com"
    assert sts_endpoint(CREDENTIALS, "ap-south-1") == "https://sts.ap-south-1.amazonaws.com"  # role assumption too
    assert loaded_files == []


def test_another_config_file_is_read_for_itself(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sts_endpoint(CREDENTIALS, "us-east-1") == "https://sts.us-east-1.amazonaws.com"
    other = isolated_home / ".aws" / "config-with-endpoints"
    other.write_text("[default]\nservices = local\n\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:4599\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(other))
    assert sts_endpoint(CREDENTIALS, "us-east-1") == "http://127.0.0.1:4599"
