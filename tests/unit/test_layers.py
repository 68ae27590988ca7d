"""The code's shape, as folder rules: each rule names folders, never a list of modules.

1. No import cycle between modules in files/.
2. The packages of files/ import one way only: s3, events ← accounts ← uploads ← links ←
   shares, upload_requests ← lifecycle, mail ← tasks ← webhooks, notifications ← web (a package
   imports only those to its left);
   the shared primitives (models, errors, text, sizes) import none of them.
3. Only files/web/ speaks HTTP.
4. files/web/pages/ and files/web/api/ never import each other.
5. Only files/s3/ imports boto3/botocore, and only files/s3/sigv4.py touches botocore's
   internals.
6. No Python module over 400 lines in files/, project/ or client/.
7. The browser's uploader (static/files/uploader/) imports no page script, and no JS module
   of ours is over 400 lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "files"
STATIC = ROOT / "static"

# Rule 2: a package may import the packages of a lower rank, never an equal or higher one.
RANK = {
    "s3": 0,
    "embedded": 0,  # the SeaweedFS runner; it moves into files/s3/
    "events": 1,
    "accounts": 1,
    "uploads": 2,
    "links": 3,
    "shares": 4,
    "upload_requests": 4,
    "lifecycle": 5,
    # Below tasks, so the mail tasks (files/tasks/mail.py) can send what mail builds, as
    # tasks/cleanup.py runs lifecycle's cleanup; notifications will use both.
    "mail": 5,
    "tasks": 6,
    "webhooks": 7,
    "notifications": 7,
    "web": 8,
}
PRIMITIVES = {"models", "errors", "text", "sizes"}  # every package may use them; they use none
# App glue that Django finds by name: it may import any package.
GLUE = {"apps", "admin", "checks", "management", "templatetags", "migrations"}

# Rule 3. Exceptions, each because Django hands it a request or a template on its own terms:
# every admin.py (ModelAdmin hooks take the request) and templatetags/ (a tag library is a
# django.template.Library).
HTTP_MODULES = (
    "django.http",
    "django.shortcuts",
    "django.views",
    "django.template",
    "django.urls",
    "django_htmx",
    "ninja",
)
MAY_SPEAK_HTTP = ("files/web/", "files/admin.py", "files/templatetags/")
# files/mail/ renders mails from templates and puts absolute links in them: templates and
# reverse(), never a request or a response.
MAY_RENDER = {"files/mail/": ("django.template.loader", "django.urls")}

# Rule 6.
MAX_LINES = 400


def python_files(*folders: str) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    )


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in python_files("files")}


def imports_of(path: Path) -> set[str]:
    """Every name an import statement in `path` reaches, as `package.module` or `module.name`.

    `from files.web.api import handlers` counts as an import of files.web.api.handlers alone
    (not of files/web/api/__init__.py, which Python runs first but which is not what the
    line is about); relative imports are resolved against the module's package.
    """
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names}
            found.update(submodules)
            if not submodules & MODULES.keys():
                found.add(base)
    return found


def graph() -> dict[str, set[str]]:
    return {
        name: {target for target in imports_of(path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, str] = {}
    found: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                found.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def top(module: str) -> str:
    """The files/ sub-package (or top-level module) a module belongs to: files.web.api.x → web."""
    return module.split(".")[1] if module.count(".") else module


def test_files_has_no_import_cycle():
    assert cycles(graph()) == []


def test_every_folder_in_files_has_a_place_in_the_order():
    folders = {path.name for path in FILES.iterdir() if (path / "__init__.py").exists()}
    assert folders - RANK.keys() - GLUE - PRIMITIVES == set()


def test_packages_import_one_way():
    wrong = []
    package_edges: dict[str, set[str]] = {}
    for source, targets in graph().items():
        for target in targets:
            here, there = top(source), top(target)
            if here == there or there in PRIMITIVES:
                continue
            package_edges.setdefault(here, set()).add(there)
            if here in PRIMITIVES:
                wrong.append(f"{source} → {target} (the primitives import no package)")
            elif here in RANK and there in RANK and RANK[there] >= RANK[here]:
                wrong.append(f"{source} → {target} ({here} may not import {there})")
            elif here in RANK and there not in RANK:
                wrong.append(f"{source} → {target} ({there} is app glue)")
    assert wrong == []
    assert cycles(package_edges) == []


def test_only_the_web_package_speaks_http():
    speaking = {}
    for path in python_files("files"):
        where = str(path.relative_to(ROOT))
        if where.startswith(MAY_SPEAK_HTTP) or where.endswith("/admin.py"):
            continue
        allowed = next((ok for folder, ok in MAY_RENDER.items() if where.startswith(folder)), ())
        http = sorted(
            i
            for i in imports_of(path)
            if i.startswith(HTTP_MODULES) and not (allowed and i.startswith(allowed))
        )
        if http:
            speaking[where] = http
    assert speaking == {}


def test_pages_and_the_api_never_import_each_other():
    crossing = [
        f"{source} → {target}"
        for source, targets in graph().items()
        for target in targets
        for a, b in [("files.web.pages", "files.web.api"), ("files.web.api", "files.web.pages")]
        if (source == a or source.startswith(a + "."))
        and (target == b or target.startswith(b + "."))
    ]
    assert crossing == []


def test_only_s3_imports_boto3_or_botocore():
    importers = [
        str(path.relative_to(ROOT))
        for path in python_files("files", "project", "client")
        if any(i.split(".")[0] in {"boto3", "botocore"} for i in imports_of(path))
    ]
    assert importers  # the rule still looks at the right place
    assert [where for where in importers if not where.startswith("files/s3/")] == []


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in python_files("files", "project", "client")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


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
        str(path.relative_to(ROOT)): botocore_internals(path)
        for path in sorted((FILES / "s3").glob("*.py"))
        if botocore_internals(path)
    }
    assert list(touching) == ["files/s3/sigv4.py"], touching


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
