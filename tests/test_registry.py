"""The registry of the seeds: acceptance values, schema validation, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator import config, registry
from generator.diagnostics import Report, SpecError
from tests.helpers import ROOT, run_cli


@pytest.fixture(scope="module")
def endpoints() -> dict[str, dict[str, Any]]:
    reg = json.loads((ROOT / "generated" / "registry.json").read_text(encoding="utf-8"))
    return {endpoint["path"]: endpoint for endpoint in reg["endpoints"]}


def props(endpoints: dict[str, dict[str, Any]], path: str) -> dict[str, Any]:
    return endpoints[path]["request"]["schema"]["properties"]


def required(endpoints: dict[str, dict[str, Any]], path: str) -> set[str]:
    return set(endpoints[path]["request"]["schema"]["required"])


def constraints(prop: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in prop.items()
        if k in ("type", "minimum", "maximum", "default", "enum")
    }


def test_flux_dev_image_to_image(endpoints: dict[str, dict[str, Any]]) -> None:
    path = "/fal-ai/flux-1/dev/image-to-image"
    p = props(endpoints, path)
    assert {"image_url", "prompt"} <= required(endpoints, path)
    assert constraints(p["strength"]) == {
        "type": "number",
        "minimum": 0.01,
        "maximum": 1,
        "default": 0.95,
    }
    assert constraints(p["num_inference_steps"]) == {
        "type": "integer",
        "minimum": 10,
        "maximum": 50,
        "default": 40,
    }
    assert constraints(p["guidance_scale"]) == {
        "type": "number",
        "minimum": 1,
        "maximum": 20,
        "default": 3.5,
    }
    assert constraints(p["num_images"]) == {
        "type": "integer",
        "minimum": 1,
        "maximum": 4,
        "default": 1,
    }
    assert constraints(p["output_format"]) == {
        "type": "string",
        "enum": ["default", "png", "jpeg"],
        "default": "jpeg",
    }
    assert constraints(p["acceleration"]) == {
        "type": "string",
        "enum": ["default", "none", "regular", "high"],
        "default": "regular",
    }
    assert p["strength"]["x-provenance"] == {
        "default": "默认值:0.95",
        "minimum": "范围值0.01-1",
        "maximum": "范围值0.01-1",
    }


def test_flux_lora(endpoints: dict[str, dict[str, Any]]) -> None:
    p = props(endpoints, "/fal-ai/flux-lora")
    assert p["image_size"]["enum"] == [
        "square",
        "square pro",
        "landscape_4_3",
        "landscape_16_9",
        "portrait_3_4",
    ]
    assert (
        p["num_inference_steps"]["minimum"],
        p["num_inference_steps"]["maximum"],
    ) == (1, 50)
    assert (p["guidance_scale"]["minimum"], p["guidance_scale"]["maximum"]) == (0, 35)
    assert (p["num_images"]["minimum"], p["num_images"]["maximum"]) == (1, 4)
    assert p["output_format"]["enum"] == ["jpeg", "png"]
    assert p["enable_safety_checker"]["default"] is True


def test_flux_lora_inpainting(endpoints: dict[str, dict[str, Any]]) -> None:
    path = "/fal-ai/flux-lora/inpainting"
    assert {"prompt", "image_url", "mask_url"} <= required(endpoints, path)
    strength = props(endpoints, path)["strength"]
    assert (strength["minimum"], strength["maximum"]) == (0.01, 1)


def test_qwen_image_edit_lora(endpoints: dict[str, dict[str, Any]]) -> None:
    p = props(endpoints, "/fal-ai/qwen-image-edit-lora")
    assert p["acceleration"]["enum"] == ["none", "regular", "high"]
    assert constraints(p["guidance_scale"]) == {
        "type": "integer",
        "minimum": 2,
        "maximum": 100,
    }
    assert (
        p["num_inference_steps"]["minimum"],
        p["num_inference_steps"]["maximum"],
    ) == (2, 100)


def test_flux_pro_kontext(endpoints: dict[str, dict[str, Any]]) -> None:
    p = props(endpoints, "/fal-ai/flux-pro/kontext")
    # "1 表示最严格,5 表示最宽松": a scale by its ends; a string field takes it as an enum
    assert constraints(p["safety_tolerance"]) == {
        "type": "string",
        "default": "2",
        "enum": ["1", "2", "3", "4", "5"],
    }
    assert constraints(p["guidance_scale"]) == {
        "type": "number",
        "minimum": 1,
        "maximum": 20,
        "default": 3.5,
    }


def test_empty_response_schema_is_inferred_from_the_queue_envelope(
    endpoints: dict[str, dict[str, Any]],
) -> None:
    for endpoint in endpoints.values():
        [response] = endpoint["responses"]
        assert response["schema_inferred_from_examples"] is True
        assert {"request_id", "status_url", "response_url", "cancel_url"} <= set(
            response["schema"]["properties"]
        )
        # one example shows what one answer held, not what every answer must hold
        assert "required" not in response["schema"]
        assert endpoint["queue"]["app_id"] == "/".join(
            endpoint["path"].strip("/").split("/")[:2]
        )


def test_committed_registry_matches_its_schema() -> None:
    reg = json.loads((ROOT / "generated" / "registry.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(registry.schema()).validate(reg)


def test_registry_schema_rejects_an_unsafe_name(seed_project: Path) -> None:
    reg = registry.build(config.load(seed_project), Report())
    reg["endpoints"][0]["names"]["attribute"] = "x; import os"
    with pytest.raises(SpecError, match="registry does not match its schema"):
        registry.validate(reg)


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    """Same inputs, same bytes: across processes, hash seeds and folders."""
    trees = []
    for index, seed in enumerate(("1", "2")):
        project = tmp_path / f"run{index}"
        from tests.helpers import seed_specs, write_project

        pyproject = write_project(
            project, seed_specs(), package="fal_api", prefixes=("/fal-ai/",)
        )
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "generate",
                "--config",
                str(pyproject),
                "--no-cache",
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        out = project / "generated"
        trees.append(
            {
                p.relative_to(out).as_posix(): p.read_bytes()
                for p in sorted(out.rglob("*"))
                if p.is_file()
            }
        )
    assert trees[0] == trees[1]
    assert not any(
        str(tmp_path).encode() in data for data in trees[0].values()
    ), "an absolute path leaked into the output"


def test_repository_outputs_are_current() -> None:
    done = run_cli("check")
    assert done.returncode == 0, done.stdout + done.stderr
