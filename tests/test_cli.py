"""The CLI as a user runs it: generate, check, and what bad input does to generated/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, SEEDS, run_cli, seed_specs, write_project


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_help_on_each_command() -> None:
    for command in ("generate", "check"):
        done = run_cli(command, "--help")
        assert done.returncode == 0 and "--config" in done.stdout


def test_check_is_clean_after_generate_and_stale_after_a_spec_edit(
    seed_project: Path,
) -> None:
    assert run_cli("generate", "--config", str(seed_project)).returncode == 0
    clean = run_cli("check", "--config", str(seed_project))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    spec = seed_project.parent / "specs" / "flux-lora.txt"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("范围值:1-4", "范围值:1-2"),
        encoding="utf-8",
    )
    before = tree(seed_project.parent / "generated")
    stale = run_cli("check", "--config", str(seed_project))
    assert stale.returncode == 1
    assert "changed: generated/registry.json" in stale.stdout
    assert "changed: generated/fal_api/models.py" in stale.stdout
    assert tree(seed_project.parent / "generated") == before, "check wrote something"


def test_check_lists_extra_and_missing_files(seed_project: Path) -> None:
    run_cli("generate", "--config", str(seed_project))
    out = seed_project.parent / "generated"
    (out / "docs" / "index.md").unlink()
    (out / "stray.txt").write_text("x")
    done = run_cli("check", "--config", str(seed_project))
    assert done.returncode == 1
    assert (
        "missing: generated/docs/index.md" in done.stdout
        and "extra: generated/stray.txt" in done.stdout
    )


def test_bad_input_exits_2_names_the_line_and_leaves_outputs_untouched(
    seed_project: Path,
) -> None:
    assert run_cli("generate", "--config", str(seed_project)).returncode == 0
    out = seed_project.parent / "generated"
    before = tree(out)
    spec = seed_project.parent / "specs" / "flux-pro-kontext.txt"
    lines = spec.read_text(encoding="utf-8").split("\n")
    broken = next(
        i for i, line in enumerate(lines) if line.strip() == '"type": "number",'
    )  # in the body JSON
    lines[broken] = lines[broken].rstrip(",")  # a missing comma
    spec.write_text("\n".join(lines), encoding="utf-8")
    done = run_cli("generate", "--config", str(seed_project))
    assert done.returncode == 2
    assert (
        f"specs/flux-pro-kontext.txt:{broken + 2}: error: section 请求体: invalid JSON"
        in done.stderr
    )
    assert "nothing was written" in done.stderr
    assert tree(out) == before


def test_unknown_config_key_is_an_error(tmp_path: Path) -> None:
    pyproject = write_project(tmp_path, seed_specs())
    pyproject.write_text(pyproject.read_text() + 'packge = "typo"\n')
    done = run_cli("generate", "--config", str(pyproject))
    assert (
        done.returncode == 2 and "unknown [tool.specgen] keys ['packge']" in done.stderr
    )


def test_regenerating_unchanged_specs_changes_nothing(seed_project: Path) -> None:
    run_cli("generate", "--config", str(seed_project))
    out = seed_project.parent / "generated"
    stamp = (out / "registry.json").stat().st_mtime_ns
    done = run_cli("generate", "--config", str(seed_project))
    assert done.returncode == 0 and "0 changed" in done.stdout
    assert (out / "registry.json").stat().st_mtime_ns == stamp


def test_seeds_are_the_shared_exports_byte_for_byte() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not shared.is_dir():
        return
    ours = sorted(p.read_bytes() for p in SEEDS.glob("*.txt"))
    assert ours == sorted(p.read_bytes() for p in shared.glob("*.txt"))


# --- CLI basics: each case a clear message and its documented exit status ---------------------


def _project(tmp_path: Path, settings: str) -> Path:
    (tmp_path / "specs").mkdir(exist_ok=True)
    (tmp_path / "specs" / "a.txt").write_bytes(next(iter(seed_specs().values())))  # type: ignore[arg-type]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.specgen]\n" + settings, encoding="utf-8")
    return pyproject


def test_version_and_help_name_the_version() -> None:
    from generator import __version__

    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"specgen {__version__}"
    assert f"specgen {__version__}" in run_cli("--help").stdout


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            'inputs = "specs/*.txt"\n',
            "pyproject.toml:2: error: [tool.specgen] inputs = 'specs/*.txt': expected a list of strings",
        ),
        (
            'inputs = ["specs/*.txt"]\nout = 5\n',
            "pyproject.toml:3: error: [tool.specgen] out = 5: expected a string",
        ),
        (
            "inputs = []\n",
            "pyproject.toml:2: error: [tool.specgen] inputs = []: expected at least one export",
        ),
        (
            'inputs = ["specs/*.txt"]\nstrip_name_prefixes = [1]\n',
            "strip_name_prefixes = [1]: expected a list of strings",
        ),
        (
            'inputs = ["specs/*.txt"]\npackage = "class"\n',
            "package 'class' is a Python keyword",
        ),
        (
            'inputs = ["specs/*.txt"]\npackage = "json"\n',
            "package 'json' is a standard library module",
        ),
        (
            'inputs = ["specs/*.txt"]\npackage = "httpx"\n',
            "package 'httpx' is a module the generated code or its tests import",
        ),
        (
            'inputs = ["specs/*.txt"]\nversion = "one"\n',
            "version 'one' is not a package version",
        ),
        (
            'inputs = ["specs/none-*.txt"]\n',
            "specs/none-*.txt: error: no file matches this pattern in inputs",
        ),
    ],
)
def test_bad_settings_exit_2_naming_the_key(
    tmp_path: Path, settings: str, message: str
) -> None:
    pyproject = _project(tmp_path, settings)
    for command in ("generate", "check"):
        done = run_cli(command, "--config", str(pyproject))
        assert done.returncode == 2, done.stdout + done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "generated").exists()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("class", "is a Python keyword"),
        ("json", "is a standard library module"),
        ("typing", "is a standard library module"),
        ("pydantic", "is a module the generated code"),
        ("tests", "is a module the generated code"),
        ("My-Pkg", "is not a valid Python package name"),
    ],
)
def test_package_on_the_command_line_is_checked(
    tmp_path: Path, name: str, why: str
) -> None:
    spec = SEEDS / "flux-lora.txt"
    done = run_cli("generate", "--input", str(spec), "--package", name, cwd=tmp_path)
    assert done.returncode == 2 and f"--package: error: {name!r} {why}" in done.stderr
    assert not (tmp_path / "generated").exists()


def test_quiet_verbose_and_color(seed_project: Path) -> None:
    quiet = run_cli("generate", "-q", "--config", str(seed_project))
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    verbose = run_cli("check", "-v", "--config", str(seed_project))
    assert verbose.returncode == 0 and "manifest: every input" in verbose.stderr
    bad = run_cli("generate", "--package", "class", "--input", "x", "--color", "always")
    assert "\x1b[31merror:\x1b[0m" in bad.stderr
    plain = run_cli(
        "generate", "--package", "class", "--input", "x", "--color", "never"
    )
    assert "\x1b[" not in plain.stderr and "error:" in plain.stderr
    both = run_cli("generate", "-q", "-v")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def _on_terminal(command: list[str]) -> tuple[int, bytes]:
    """Run with stderr on a pseudo-terminal; (exit status, what the terminal showed)."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            command, stderr=follower, stdout=subprocess.PIPE, timeout=300
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO once the writer side is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return done.returncode, shown


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    """A run over a second shows one status line on a terminal's stderr, nothing otherwise."""
    import sys

    # an export big enough that generating it takes more than a second
    napcat = (
        ROOT
        / "tests"
        / "fixtures"
        / "apifox"
        / "openapi"
        / "napcat.默认模块.openapi.3_1.json"
    )
    pyproject = write_project(tmp_path, {"napcat.txt": napcat.read_bytes()})
    command = [
        sys.executable,
        "-m",
        "generator",
        "generate",
        "--no-cache",
        "--config",
        str(pyproject),
    ]
    status, shown = _on_terminal(command)
    assert status == 0
    assert b"\r\x1b[Kspecgen: " in shown, shown[:300]
    after_last_clear = shown.split(b"\r\x1b[K")[-1]  # the warnings, if any
    assert not after_last_clear.startswith(
        b"specgen: "
    ), "the line is cleared before the rest"
    piped = run_cli("generate", "--no-cache", "--config", str(pyproject))
    assert piped.returncode == 0 and "specgen:" not in piped.stderr
    status, shown = _on_terminal([*command, "-q"])
    assert status == 0 and shown == b""


def test_changelog_and_package_version_agree(seed_project: Path) -> None:
    root = seed_project.parent
    assert (
        run_cli("generate", "--changelog", "--config", str(seed_project)).returncode
        == 0
    )
    spec = root / "specs" / "flux-lora.txt"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "支持:jpeg、png", "支持:jpeg、png、webp"
        ),
        encoding="utf-8",
    )
    done = run_cli("generate", "--changelog", "--config", str(seed_project))
    assert done.returncode == 0, done.stderr
    assert "CHANGELOG.md: added fal_api 0.2.0 (minor" in done.stdout
    assert "pyproject.toml: [tool.specgen] version = '0.2.0' (was 0.1.0)" in done.stdout
    assert 'version = "0.2.0"' in seed_project.read_text(encoding="utf-8")
    out = root / "generated"
    assert 'VERSION = "0.2.0"' in (out / "fal_api" / "_meta.py").read_text()
    assert 'version = "0.2.0"' in (out / "pyproject.toml").read_text()
    assert run_cli("check", "--config", str(seed_project)).returncode == 0


def test_check_lint_and_diff_do_not_import_the_formatters(seed_project: Path) -> None:
    """Pay only for what runs: a current folder is checked without black, datamodel-code-
    generator or the readers; lint and diff need the readers but never the formatters.
    """
    import subprocess
    import sys

    assert run_cli("generate", "--config", str(seed_project)).returncode == 0
    heavy = ("black", "datamodel_code_generator")
    for command, absent in (
        (["check"], (*heavy, "generator.readers", "jsonschema")),
        (["lint"], heavy),
        (["diff"], heavy),
    ):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "generator", *command],
            cwd=seed_project.parent,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode in (0, 100), done.stderr[-2000:]
        imported = {
            line.rsplit("|", 1)[-1].strip()
            for line in done.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert "generator.cli" in imported
        assert not [m for m in imported if m.split(".")[0] in absent or m in absent], (
            command,
            sorted(m for m in imported if m.split(".")[0] in absent or m in absent),
        )


def test_the_cli_names_what_findings_defines() -> None:
    """cli keeps its own copies so that parsing arguments imports nothing heavy."""
    from generator import cli, findings

    assert tuple(cli.FORMATS) == tuple(findings.FORMATS)
    assert cli.EXIT_TOOL_FAILED == findings.EXIT_TOOL_FAILED
