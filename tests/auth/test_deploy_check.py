"""``manage.py check --deploy`` is clean with production settings. Run in a subprocess because the
settings read the environment when they are imported."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
# Variables that would weaken the production settings if a developer's shell happened to set them.
# DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests only; production never has it.
_UNSET = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "STATIC_MANIFEST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def _check_deploy(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    production = {
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL": "true",
        "ALLOWED_HOSTS": "example.com",
    }
    env.update(production, **overrides)
    # A fixed command line: nothing untrusted reaches the subprocess.
    return subprocess.run(
        [sys.executable, str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_flags_the_embedded_default_secret_key():
    """The same command does catch a weak setting: the test above would see one."""
    result = _check_deploy(SECRET_KEY="django-insecure-cxtracker-embedded-default-change-me")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_check_deploy_flags_plain_http():
    result = _check_deploy(SECURE_SSL="false")
    output = result.stderr + result.stdout
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output
