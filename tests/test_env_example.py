""".env.example and README's configuration table name the same settings, and copying the example changes nothing."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTING = re.compile(r"`([A-Z][A-Z0-9_]*)`")
COMMENTED_OUT = re.compile(r"^# ([A-Z][A-Z0-9_]*)=", re.MULTILINE)
ASSIGNMENT = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*=", re.MULTILINE)


def readme_settings():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in SETTING.findall(cell)}


def example_text():
    return (ROOT / ".env.example").read_text()


def test_env_example_names_every_setting_of_the_readme_and_no_other():
    documented = readme_settings()
    assert len(documented) > 30  # the table was found and read
    assert set(COMMENTED_OUT.findall(example_text())) == documented


def test_env_example_names_each_setting_once():
    names = COMMENTED_OUT.findall(example_text())
    assert len(names) == len(set(names))


def test_env_example_sets_nothing_when_copied_to_env():
    assert ASSIGNMENT.findall(example_text()) == []
