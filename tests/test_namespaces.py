"""Resource namespaces and the names a person would write (issue 12, items 1 and 2): a small
OpenAPI document of our own with tags, nested Apifox folders, a Chinese tag, a tag named like
a client attribute, parameters named like builtins and keywords, inline objects and a list
answer; generated, imported and called against the package's own mock server."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generator import diff, naming
from tests.helpers import ROOT, run_cli

SHOP = ROOT / "tests" / "fixtures" / "rest" / "shop.openapi.yaml"


def project(root: Path, namespaces: str | None, package: str) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "specs" / SHOP.name).write_bytes(SHOP.read_bytes())
    setting = f'namespaces = "{namespaces}"\n' if namespaces else ""
    (root / "pyproject.toml").write_text(
        "[tool.specgen]\n"
        'inputs = ["specs/*.yaml"]\n'
        'out = "generated"\n'
        f'package = "{package}"\n' + setting,
        encoding="utf-8",
    )
    return root


def generated(root: Path) -> dict[str, Any]:
    done = run_cli("generate", "--no-cache", cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "generated" / "registry.json").read_text("utf-8"))


def calls(registry: dict[str, Any]) -> dict[str, str]:
    return {
        e["id"]: ".".join([*e["names"]["namespace"], e["names"]["method"]])
        for e in registry["endpoints"]
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = project(tmp_path_factory.mktemp("shop"), "folders", "shop_api")
    generated(root)
    out = root / "generated"
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("shop_api")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "shop_api"]:
            del sys.modules[name]


def registry_of(package: ModuleType) -> dict[str, Any]:
    return json.loads(
        (Path(package.__file__).parents[1] / "registry.json").read_text("utf-8")
    )


def test_folders_and_tags_become_nested_namespaces_with_readable_names(
    shop: ModuleType,
) -> None:
    assert calls(registry_of(shop)) == {
        "POST /user/login": "user.login",  # the folder's word is not repeated
        "POST /user/logout": "user.logout",
        # one path, two methods: the HTTP method tells them apart
        "GET /admin/users": "admin.users.get",
        "POST /admin/users": "admin.users.post",
        "GET /admin/users/{id}": "admin.users.by_id",
        "GET /groups/list": "qun_liao_xiang_guan.groups_list",  # 群聊相关, transliterated
        # a folder named like a client method, and a method named like it in the folder
        "POST /close": "close_.close_",
        "GET /health": "health",  # no folder: on the client itself
    }


def test_namespaced_calls_run_sync_async_and_raw(shop: ModuleType) -> None:
    testing = importlib.import_module("shop_api.testing")
    with testing.MockServer() as server:
        with shop.Client(base_url=server.url) as client:
            assert type(client.admin.users).__name__ == "AdminUsersResource"
            users = client.admin.users.get(type="a", format="b", class_="c", from_=1)
            raw = client.with_raw_response.user.login(name="x")
            also_raw = client.user.with_raw_response.login(name="x")
            client.close_.close_()
            client.health()
            assert callable(client.close)  # the client's own method is untouched

        async def scenario() -> Any:
            async with shop.AsyncClient(base_url=server.url) as client:
                return await client.admin.users.get()

        async_users = asyncio.run(scenario())
    # a list answer is the list itself, of models named from their place
    assert isinstance(users, list) and isinstance(async_users, list)
    assert all(type(u).__name__ == "GetAdminUsersResponseItem" for u in users)
    assert (
        raw.status_code == 200 and type(raw.parsed).__name__ == "PostUserLoginResponse"
    )
    assert also_raw.status_code == 200
    sent = next(r for r in server.requests if r.path == "/admin/users")
    assert sent.query == {"type": ["a"], "format": ["b"], "class": ["c"], "from": ["1"]}


def test_parameters_keep_builtin_names_and_rename_only_keywords(
    shop: ModuleType,
) -> None:
    by_id = {e["id"]: e for e in registry_of(shop)["endpoints"]}
    names = {
        p["name"]: p["python_name"] for p in by_id["GET /admin/users"]["parameters"]
    }
    assert names == {
        "type": "type",
        "format": "format",
        "class": "class_",
        "from": "from_",
    }
    assert by_id["GET /admin/users/{id}"]["parameters"][0]["python_name"] == "id"
    page = (
        Path(shop.__file__).parents[1]
        / "docs"
        / by_id["GET /admin/users"]["names"]["doc_page"]
    ).read_text("utf-8")
    assert "`class` (`class_`)" in page and "client.admin.users.get(" in page


def test_inline_models_are_named_from_their_place(shop: ModuleType) -> None:
    source = Path(shop.models.__file__).read_text("utf-8")
    classes = re.findall(r"^class (\w+)\(", source, re.MULTILINE)
    assert {
        "PostUserLoginResponse",
        "Profile",  # the only `profile` object: its field's name
        "GetAdminUsersResponse",
        "GetAdminUsersResponseItem",
        "Order",  # the objects of `orders`, singular
        # two different `data` objects: each named from its place
        "GetAdminUsersByIdResponseData",
        "GetGroupsListResponseData",
    } <= set(classes)
    assert not [name for name in classes if re.search(r"\d$", name)]


def test_flat_setting_and_small_apis_keep_every_method_on_the_client(
    tmp_path: Path,
) -> None:
    flat = calls(generated(project(tmp_path / "flat", "flat", "flat_api")))
    auto = calls(generated(project(tmp_path / "auto", None, "auto_api")))
    assert flat == auto  # 8 endpoints: "auto" keeps a small API flat
    assert flat["GET /admin/users"] == "get_admin_users"
    assert "." not in "".join(flat.values())
    assert not (tmp_path / "flat" / "generated" / "flat_api" / "resources.py").exists()


def test_the_generated_package_type_checks(shop: ModuleType) -> None:
    out = Path(shop.__file__).parents[1]
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            "shop_api",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]


def test_a_namespace_move_is_a_rename_in_diff(shop: ModuleType) -> None:
    old = registry_of(shop)
    new = json.loads(json.dumps(old))
    for endpoint in new["endpoints"]:
        if endpoint["id"] == "POST /user/login":
            endpoint["names"]["namespace"] = ["account"]
    found = [c for c in diff.compare(old, new) if c.rule == "endpoint-renamed"]
    assert [(c.old, c.new) for c in found] == [("user.login", "account.login")]


def test_names_in_other_scripts_are_deterministic_and_distinct() -> None:
    taken: set[str] = set()
    first = [
        naming.namespace_identifier(text, taken)
        for text in ("群聊相关", "Пользователи", "close", "用户", "用戶")
    ]
    again = [
        naming.namespace_identifier(text, set())
        for text in ("群聊相关", "Пользователи", "close")
    ]
    assert first[:3] == again == ["qun_liao_xiang_guan", "pol_zovateli", "close_"]
    assert (
        first[3] == "yong_hu" and first[4] == "yong_hu_2"
    )  # collide: numbered, in order


def test_an_unknown_namespaces_setting_is_a_located_error(tmp_path: Path) -> None:
    root = project(tmp_path, "tags", "bad_api")
    done = run_cli("generate", cwd=root)
    assert done.returncode == 2
    assert "pyproject.toml:5: error: namespaces 'tags': expected one of" in done.stderr
    assert not (root / "generated").exists()
