"""The apps' layers hold (import-linter's contracts in pyproject.toml, also run by `make test`), and
the check would catch a lower app importing a higher one: a copy of the code with one wrong import
fails it, naming the import."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["cxtracker", "experience", "deployment", "kpis", "steering", "connectors", "dashboards", "privacy"]


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layers_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_lower_app_importing_a_higher_one_breaks_them(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    services = tmp_path / "deployment" / "services.py"
    services.write_text(services.read_text() + "\nfrom kpis.engine.recompute import recompute_org  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "deployment is not allowed to import kpis" in result.stdout
    assert "deployment.services -> kpis.engine.recompute" in result.stdout
