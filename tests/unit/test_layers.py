"""The code's shape: no import cycles in files/, a domain core that knows no HTTP, one S3 boundary
(files/s3/) with one module on botocore's internals; the browser's uploader apart from the page
scripts, and no JS module over 400 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

FILES = Path(__file__).resolve().parents[2] / "files"
STATIC = FILES.parent / "static"
# The HTTP side: the only modules that may speak HTTP or build responses.
ADAPTERS = {
    "api",
    "views",
    "middleware",
    "urls",
    "admin",
    "context_processors",
    "requests",
    "accounts",  # the sign-up form and the sign-in lockout page
    "clients",  # who is asking: reads the request's address
}
HTTP_MODULES = ("django.http", "django.shortcuts", "ninja", "django.urls")


def module_name(path: Path) -> str:
    parts = path.relative_to(FILES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {
        module_name(path): path for path in FILES.rglob("*.py") if "migrations" not in path.parts
    }
    return {
        name: {target for target in imports_of(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def test_files_has_no_import_cycle():
    edges = graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_domain_core_knows_no_http():
    speaking = {}
    for path in FILES.glob("*.py"):
        if path.stem in ADAPTERS:
            continue
        http = sorted(i for i in imports_of(path) if i.startswith(HTTP_MODULES))
        if http:
            speaking[path.name] = http
    assert speaking == {}


def test_only_the_s3_package_imports_boto3_or_botocore():
    importers = sorted(
        str(path.relative_to(FILES.parent))
        for path in FILES.parent.glob("[!.]*/**/*.py")
        if ".venv" not in path.parts
        and any(i.split(".")[0] in {"boto3", "botocore"} for i in imports_of(path))
        and "tests" not in path.parts
        and "bench" not in path.parts
    )
    assert importers
    assert [name for name in importers if not name.startswith("files/s3/")] == []


# What the S3 package may use of boto3/botocore outside sigv4.py: their documented surface.
BOTO_PUBLIC_MODULES = {"boto3", "botocore.config", "botocore.exceptions"}


def botocore_internals(path: Path) -> list[str]:
    """What `path` touches of botocore's insides: modules beyond BOTO_PUBLIC_MODULES
    (botocore.auth, botocore.utils, botocore.signers, …), imported names starting with `_`,
    and private attributes of other objects (`client._request_signer`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(
                alias.name
                for alias in node.names
                if alias.name.split(".")[0] in {"boto3", "botocore"}
                and alias.name not in BOTO_PUBLIC_MODULES
            )
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] not in {"boto3", "botocore"}:
                continue
            if node.module not in BOTO_PUBLIC_MODULES:
                found.append(node.module)
            found.extend(
                f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")
            )
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
        ):
            found.append(f".{node.attr}")
    return found


def test_only_sigv4_touches_botocore_internals():
    touching = {
        str(path.relative_to(FILES.parent)): botocore_internals(path)
        for path in sorted((FILES / "s3").glob("*.py"))
        if botocore_internals(path)
    }
    assert list(touching) == ["files/s3/sigv4.py"], touching


def test_no_module_in_files_is_over_300_lines_without_saying_why():
    long = [
        path.name
        for path in FILES.rglob("*.py")
        if "migrations" not in path.parts
        and len(path.read_text().splitlines()) > 300
        and "300 lines" not in (ast.get_docstring(ast.parse(path.read_text())) or "")
    ]
    assert long == []


def js_modules() -> list[Path]:
    """Our ES modules under static/ (a vendored library would be someone else's shape)."""
    return sorted(
        path for path in STATIC.rglob("*.js") if "vendor" not in path.relative_to(STATIC).parts
    )


def test_no_js_module_is_over_400_lines():
    assert js_modules()
    long = {
        str(path.relative_to(STATIC)): lines
        for path in js_modules()
        if (lines := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


def test_the_uploader_imports_no_page_script():
    # static/files/uploader/ is the protocol client with no DOM; static/files/pages/ renders
    # it and wires pages, so imports go from pages/ to uploader/ and never back.
    uploader = STATIC / "files" / "uploader"
    leaving = {
        path.name: target
        for path in uploader.glob("*.js")
        for target in re.findall(r'(?:from\s+|import\s*\(\s*)"([^"]+)"', path.read_text())
        if not target.startswith("./")
    }
    assert leaving == {}
