from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.storage.settings import load_settings
from gui.demo import DemoEnvironment


@pytest.mark.slow
def test_demo_runs_the_emulator_in_a_throwaway_directory(isolated_home: Path) -> None:
    real_config = os.environ["AWS_CONFIG_FILE"]
    demo = DemoEnvironment.start()
    try:
        assert demo.base_url.startswith("http://127.0.0.1:")
        assert demo.sts_url.startswith("http://127.0.0.1:")
        assert os.environ["AWS_ENDPOINT_URL_SIGNIN"] == demo.base_url
        assert os.environ["AWS_ENDPOINT_URL_STS"] == demo.sts_url
        for name in ("AWS_CONFIG_FILE", "AWS_LOGIN_CACHE_DIRECTORY", "AWS_LOGIN_TRAY_HOME"):
            assert os.environ[name].startswith(str(demo.directory))
        settings = load_settings(Path(os.environ["AWS_LOGIN_TRAY_HOME"]) / "settings.json")
        assert settings.default_region == "us-east-1"
        assert settings.use_plaintext_secrets is demo.plaintext_secrets
        assert demo.base_url in demo.describe()
        assert demo.process.poll() is None
    finally:
        demo.stop()
    assert demo.process.poll() is not None
    assert os.environ["AWS_CONFIG_FILE"] == real_config
    assert "AWS_ENDPOINT_URL_SIGNIN" not in os.environ
    assert not demo.directory.exists()
