"""requirements.txt holds what the service runs on, whole and pinned; the test tools are in requirements-dev.txt."""
import ast
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# What production runs: the web and worker processes, the CLI, migrations.
RUNTIME_SOURCES = ["app", "migrations", "config.py", "wsgi.py", "gunicorn.conf.py"]
# Imported by name rather than by an import statement: SQLAlchemy's postgresql+psycopg dialect (config.database_url).
LOADED_BY_NAME = {"psycopg"}
TEST_ONLY = {"pytest", "pytest-randomly", "pytest-xdist", "hypothesis", "moto", "schemathesis", "requests-mock",
             "responses", "aiosmtpd", "import-linter"}


def pins(filename):
    """{canonical name: version} of a requirements file's `name==version` lines (other lines are returned apart)."""
    found, other = {}, []
    for line in (ROOT / filename).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==")
            found[canonicalize_name(name)] = version
        else:
            other.append(line)
    return found, other


def imported_top_level_modules():
    files = [p for source in RUNTIME_SOURCES for p in ((ROOT / source).rglob("*.py") if (ROOT / source).is_dir()
                                                         else [ROOT / source])]
    modules = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return (modules | LOADED_BY_NAME) - set(sys.stdlib_module_names) - {"app", "config", "__future__"}


def test_every_line_of_both_files_is_an_exact_pin():
    runtime, runtime_other = pins("requirements.txt")
    dev, dev_other = pins("requirements-dev.txt")
    assert runtime_other == []
    assert dev_other == ["-r requirements.txt"]
    assert runtime and dev


def test_dev_requirements_start_from_the_runtime_ones_and_repeat_none():
    runtime, _ = pins("requirements.txt")
    dev, _ = pins("requirements-dev.txt")
    first = next(line for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if line.strip())
    assert first == "-r requirements.txt"
    assert set(runtime) & set(dev) == set()


def test_no_test_tool_is_installed_in_production():
    runtime, _ = pins("requirements.txt")
    assert set(runtime) & TEST_ONLY == set()
    assert [name for name in runtime if name.startswith("pytest")] == []


def test_every_module_production_imports_is_pinned_in_requirements():
    runtime, _ = pins("requirements.txt")
    providers = metadata.packages_distributions()
    missing = {module: providers.get(module) for module in imported_top_level_modules()
               if not any(canonicalize_name(dist) in runtime for dist in providers.get(module, []))}
    assert missing == {}


def test_requirements_hold_every_dependency_of_what_they_pin():
    runtime, _ = pins("requirements.txt")
    missing = set()
    for name in runtime:
        for requirement in map(Requirement, metadata.requires(name) or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                if canonicalize_name(requirement.name) not in runtime:
                    missing.add(f"{requirement.name} (for {name})")
    assert missing == set()
