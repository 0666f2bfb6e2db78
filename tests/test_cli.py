"""The CLI as a user runs it: generate, check, and what bad input does to generated/."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SEEDS, run_cli, seed_specs, write_project


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
