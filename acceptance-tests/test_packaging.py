"""Each connector as Airbyte packages it: its Dockerfile, metadata.yaml and console script agree.

There is no Docker daemon here, so the images are not built. What can be checked without one is:
every path a Dockerfile copies exists in a clean checkout and leaves nothing secret in; it
installs from uv.lock, and its export of the lock, replayed on exactly the files it copies,
gives the connector's locked third-party dependencies; its entrypoint runs the console script
named as the connector's folder, which the package declares, with `AIRBYTE_ENTRYPOINT` set as
Airbyte's template sets it; its base image, name and version are metadata.yaml's.
"""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONNECTORS = sorted(p.parent.name for p in ROOT.glob("*/Dockerfile"))
UV = Path(sys.executable).with_name("uv")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    heredoc: str | None = None


def parse(dockerfile: Path) -> list[Instruction]:
    """A Dockerfile's instructions: continuation lines joined, comments dropped, heredocs kept."""
    lines = iter(dockerfile.read_text().splitlines())
    instructions = []
    for first in lines:
        if not first.strip() or first.lstrip().startswith("#"):
            continue
        line = first
        while line.endswith("\\"):
            line = line[:-1] + " " + next(lines).strip()
        keyword, _, args = line.strip().partition(" ")
        heredoc = None
        marker = re.search(r"<<-?(\w+)", args)
        if marker:
            body = []
            for text in lines:
                if text.strip() == marker.group(1):
                    break
                body.append(text)
            heredoc = "\n".join(body)
        instructions.append(Instruction(keyword.upper(), args.strip(), heredoc))
    return instructions


def metadata(connector: str) -> dict:
    return yaml.safe_load((ROOT / connector / "metadata.yaml").read_text())["data"]


def project(folder: str) -> dict:
    return tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]


def workspace_packages() -> dict[str, str]:
    """Package name to folder, for every package of the workspace."""
    return {project(p.parent.name)["name"]: p.parent.name for p in ROOT.glob("*/pyproject.toml")}


def locked_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(p["version"] for p in lock["package"] if p["name"] == name)


def copied_sources(instructions: list[Instruction]) -> list[str]:
    """What the Dockerfile copies from the build context (the repository root)."""
    sources = []
    for step in instructions:
        if step.keyword != "COPY" or step.heredoc is not None or "--from=" in step.args:
            continue
        words = [w for w in shlex.split(step.args) if not w.startswith("--")]
        sources += words[:-1]
    return sources


def run_commands(instructions: list[Instruction]) -> list[list[str]]:
    return [
        shlex.split(command)
        for step in instructions
        if step.keyword == "RUN"
        for command in step.args.split("&&")
    ]


@pytest.fixture(params=CONNECTORS)
def connector(request: pytest.FixtureRequest) -> str:
    return request.param


def test_there_are_connectors_to_check():
    assert {"source-keap", "destination-xero"} <= set(CONNECTORS)


def test_every_copied_path_exists_in_a_checkout(connector: str):
    sources = copied_sources(parse(ROOT / connector / "Dockerfile"))
    tracked = subprocess.run(  # noqa: S603 (git on this repository)
        ["git", "ls-files", *sources],  # noqa: S607 (git on the PATH, as every developer has)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for source in sources:
        assert any(f == source or f.startswith(f"{source}/") for f in tracked), source
    assert "." not in sources  # the whole checkout (.git, .venv ...) is never copied


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in ("**/secrets", ".venv", ".git", "**/.tmp"):
        assert pattern in ignored


def test_the_image_installs_the_connector_and_its_workspace_packages_from_the_lock(connector: str):
    steps = parse(ROOT / connector / "Dockerfile")
    sources = copied_sources(steps)
    assert {"pyproject.toml", "uv.lock"} <= set(sources)
    packages = workspace_packages()
    needed = {connector}
    for requirement in project(connector)["dependencies"]:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0]
        if name in packages:
            needed.add(packages[name])
    assert needed <= set(sources)
    commands = run_commands(steps)
    export = next(c for c in commands if c[:2] == ["uv", "export"])
    assert {"--frozen", "--no-dev", "--no-emit-workspace"} <= set(export)
    assert export[export.index("--package") + 1] == connector
    installs = [c for c in commands if c[:3] == ["uv", "pip", "install"]]
    assert any("--require-hashes" in c for c in installs)
    workspace_install = next(c for c in installs if "--no-deps" in c)
    assert {f"./{folder}" for folder in needed} == {w for w in workspace_install if w[:2] == "./"}


def test_the_locked_export_replayed_on_the_copied_files_pins_the_dependencies(
    connector: str, tmp_path: Path
):
    """The builder's `uv export` needs nothing but the files the Dockerfile copies, and gives
    the lock's versions, with hashes, and nothing for tests or development."""
    steps = parse(ROOT / connector / "Dockerfile")
    for source in copied_sources(steps):
        if (ROOT / source).is_dir():
            shutil.copytree(
                ROOT / source, tmp_path / source, ignore=shutil.ignore_patterns("secrets", ".tmp")
            )
        else:
            shutil.copy2(ROOT / source, tmp_path / source)
    export = next(c for c in run_commands(steps) if c[:2] == ["uv", "export"])
    subprocess.run(  # noqa: S603 (the workspace's own uv, on a copy of this repository)
        [str(UV), *export[1:], "--quiet"], cwd=tmp_path, capture_output=True, check=True
    )
    requirements = (tmp_path / export[export.index("--output-file") + 1]).read_text()
    assert f"airbyte-cdk=={locked_version('airbyte-cdk')} \\" in requirements
    assert "--hash=sha256:" in requirements
    pinned = re.findall(r"^([a-z0-9][a-z0-9._-]*)==", requirements, re.MULTILINE)
    assert pinned
    for absent in (
        "hypothesis",
        "pytest",
        "ruff",
        "uv",
        "keap-xero-sandbox",
        "invoice-model",
        connector,
    ):
        assert absent not in pinned


def test_no_module_the_image_runs_imports_test_code(connector: str):
    """The connector's package and the connector kit (in every image) import neither the
    sandbox's test helpers nor a test library; tests take theirs from the sandbox."""
    packages = [ROOT / connector / connector.replace("-", "_"), ROOT / "invoice-model"]
    test_code = {"hypothesis", "pytest", "_pytest", "keap_xero_sandbox"}
    for module in (m for package in packages for m in package.rglob("*.py")):
        if "tests" in module.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            names = [alias.name for alias in getattr(node, "names", [])]
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif not isinstance(node, ast.Import):
                continue
            imported = {name.split(".")[0] for name in names}
            assert not imported & test_code, f"{module.relative_to(ROOT)} imports {imported}"


def test_the_installer_is_the_version_make_uses(connector: str):
    steps = parse(ROOT / connector / "Dockerfile")
    pins = [w for c in run_commands(steps) for w in c if w.startswith("uv==")]
    assert pins == [f"uv=={locked_version('uv')}"]
    makefile = (ROOT / "Makefile").read_text()
    assert f"UV_VERSION := {locked_version('uv')}\n" in makefile


def test_the_entrypoint_runs_the_console_script_named_as_the_folder(connector: str):
    steps = parse(ROOT / connector / "Dockerfile")
    assert connector in project(connector)["scripts"]
    entrypoint = next(s for s in steps if s.keyword == "COPY" and s.args.endswith("/entrypoint.sh"))
    assert entrypoint.heredoc is not None
    assert entrypoint.heredoc.splitlines()[-1] == f'{connector} "\\$@"'
    assert "--chmod=755" in entrypoint.args
    final = steps[max(i for i, s in enumerate(steps) if s.keyword == "FROM") :]
    settings = {(s.keyword, s.args) for s in final}
    assert ("ENV", 'AIRBYTE_ENTRYPOINT="/entrypoint.sh"') in settings
    assert ("ENTRYPOINT", '["/entrypoint.sh"]') in settings
    assert ("USER", "airbyte") in settings
    assert ("COPY", "--from=builder /usr/local /usr/local") in settings


def test_base_image_name_and_version_are_the_metadatas(connector: str):
    steps = parse(ROOT / connector / "Dockerfile")
    data = metadata(connector)
    base = data["connectorBuildOptions"]["baseImage"]
    assert ("ARG", f"BASE_IMAGE={base}") in {(s.keyword, s.args) for s in steps}
    assert re.fullmatch(
        r"docker\.io/airbyte/python-connector-base:[\d.]+@sha256:[0-9a-f]{64}", base
    )
    assert [s.args for s in steps if s.keyword == "FROM"] == [
        "${BASE_IMAGE} AS builder",
        "${BASE_IMAGE}",
    ]
    labels = {s.args for s in steps if s.keyword == "LABEL"}
    assert f"io.airbyte.name={data['dockerRepository']}" in labels
    assert f"io.airbyte.version={data['dockerImageTag']}" in labels
    assert data["dockerImageTag"] == project(connector)["version"]
    assert data["dockerRepository"] == f"airbyte/{connector}"


def test_the_documentation_url_is_the_connectors_own_setup_page(connector: str):
    page = ROOT / connector / metadata(connector)["documentationUrl"]
    assert page == ROOT / connector / "README.md"
    assert "## Setup" in page.read_text()
