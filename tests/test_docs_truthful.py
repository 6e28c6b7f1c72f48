"""The docs name only what exists (issue 9): every `make` target, setting, panel URL,
repository path and test named in backticks in README.md and docs/*.md, and the defaults
they give for panel/settings.py's settings.

Reads the files and the URL conf only; it changes nothing."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SETTINGS = ROOT / "panel" / "settings.py"

# Programs other than panel/settings.py that read environment variables the docs name:
# a name they contain is theirs to document.
OTHER_READERS = {
    "Makefile": "make's variables (BASE_IMAGE, CA_BUNDLE, SOAK_ARGS, ...)",
    "docker-compose.yml": "compose interpolates them from .env",
    "deploy/entrypoint.sh": "the image's commands (set-up, worker queues)",
    "deploy/pdns/entrypoint.sh": "compose's PowerDNS",
    "deploy/mail/serve.py": "compose's mail servers",
    "deploy/upgrade.sh": "the upgrade script",
    ".github/workflows/deploy.yml": "the deploy workflow's secrets and variables",
    "panel/capacity.py": "gunicorn's sizing, read before Django starts",
    "panel/stack/*.py": "the local services `make run` and `make test` start",
}
# Names read outside those programs or not spelled out whole: (file, what it holds).
NOT_SPELLED_OUT = {
    # deploy/mail/serve.py reads MAIL_<SERVER>_HOST for each of its servers.
    "MAIL_DOVECOT_HOST": ("deploy/mail/serve.py", 'env(f"MAIL_{peer.upper()}_HOST"'),
    "MAIL_POSTFIX_HOST": ("deploy/mail/serve.py", 'env(f"MAIL_{peer.upper()}_HOST"'),
    "MAIL_RSPAMD_HOST": ("deploy/mail/serve.py", 'env(f"MAIL_{peer.upper()}_HOST"'),
    # Shell variables of docs/api.md's walkthrough, which this test runs as written.
    "HEARTH_URL": ("tests/api/test_docs_examples.py", "HEARTH_URL"),
    "HEARTH_TOKEN": ("tests/api/test_docs_examples.py", "HEARTH_TOKEN"),
    "HEARTH_ZONE": ("tests/api/test_docs_examples.py", "HEARTH_ZONE"),
    "HEARTH_ZONE_ID": ("tests/api/test_docs_examples.py", "HEARTH_ZONE_ID"),
    # Keys of the rspamd map the mail backend writes to Redis (docs/mail.md).
    "DKIM_KEYS": ("provisioning/mail/backend.py", "DKIM_KEYS"),
    "DKIM_SELECTORS": ("provisioning/mail/backend.py", "DKIM_SELECTORS"),
}
# Paths the docs may name although the tree does not hold them: made by the commands.
GENERATED = (
    "var",
    ".venv",
    "node_modules",
    "static/vendor",
    "staticfiles",
    "agent/dist",
    "sbom.cdx.json",
    ".env",
)
SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "staticfiles", "__pycache__"}
FILE_SUFFIXES = (".py", ".md", ".yml", ".yaml", ".toml", ".sh", ".txt", ".html", ".json", ".lock")

SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^(```|    )(.*)$", re.MULTILINE)
ENV_NAME = re.compile(r"(?<![\w.$\"'])([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\b")
# A command: at the start of the span or line, or after && ; || (VAR=value prefixes allowed).
MAKE = re.compile(r"(?:^|&&|;|\|\|)\s*(?:[A-Z_]+=\S*\s+)*make ([a-z][\w-]*)")
PATHLIKE = re.compile(r"\.?/?[\w.\-]+(/[\w.\-]*)*(::\w+)?")


def spans() -> list[tuple[str, str]]:
    """(doc name, text) for every backtick span and every line of a code block."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        name = doc.relative_to(ROOT).as_posix()
        found += [(name, m.group(1)) for m in SPAN.finditer(text)]
        in_fence = False
        for line in text.splitlines():
            if line.startswith("```"):
                in_fence = not in_fence
            elif in_fence or line.startswith("    "):
                found.append((name, line))
    return found


@cache
def tree() -> set[str]:
    """Every file and directory of the repository, as posix paths from its root."""
    paths: set[str] = set()
    stack = [ROOT]
    while stack:
        for entry in stack.pop().iterdir():
            if entry.name in SKIPPED_DIRS:
                continue
            paths.add(entry.relative_to(ROOT).as_posix())
            if entry.is_dir():
                stack.append(entry)
    return paths


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return {
        target
        for line in re.findall(r"^([\w.\- ]+):(?!=)", text, re.MULTILINE)
        for target in line.split()
    }


def test_every_make_target_named_exists():
    targets = make_targets()
    missing = {
        (doc, f"make {name}")
        for doc, text in spans()
        for name in MAKE.findall(text)
        if name not in targets
    }
    assert not missing, f"`make` targets the Makefile does not have: {sorted(missing)}"


@cache
def settings_names() -> set[str]:
    return set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", SETTINGS.read_text()))


def _read_elsewhere(name: str) -> bool:
    if name in NOT_SPELLED_OUT:
        path, fragment = NOT_SPELLED_OUT[name]
        return fragment in (ROOT / path).read_text()
    readers = [file for pattern in OTHER_READERS for file in ROOT.glob(pattern)]
    return any(re.search(rf"\b{name}\b", file.read_text()) for file in readers)


def _is_django_setting(name: str) -> bool:
    from django.conf import global_settings

    # DATABASES entries are settings too (CONN_MAX_AGE, CONN_HEALTH_CHECKS).
    return hasattr(global_settings, name) or name in {"CONN_MAX_AGE", "CONN_HEALTH_CHECKS"}


def _known(name: str) -> bool:
    if name in settings_names() or _is_django_setting(name):
        return True
    # env_secret("NAME") also reads the file named by NAME_FILE.
    base = name.removesuffix("_FILE")
    if base != name and re.search(rf'env_secret\("{base}"', SETTINGS.read_text()):
        return True
    return _read_elsewhere(name)


def test_every_setting_named_is_read_somewhere():
    unknown = {
        (doc, name) for doc, text in spans() for name in ENV_NAME.findall(text) if not _known(name)
    }
    assert not unknown, f"settings nothing reads: {sorted(unknown)}"


def _path_candidates(text: str) -> list[str]:
    """Backtick spans that name a file or directory of the repository."""
    if not PATHLIKE.fullmatch(text) or text.startswith("/"):
        return []
    path = text.removeprefix("./").split("::")[0].rstrip("/")
    if path.startswith("..") or re.fullmatch(r"[\d./]+", path):  # `.../x/`, an address
        return []
    # A file by its suffix, or a directory of the root (URL pieces like `drop/` are not).
    if path.endswith(FILE_SUFFIXES) or path.split("/")[0] in top_level():
        return [path]
    return []


@cache
def top_level() -> set[str]:
    return {path for path in tree() if "/" not in path}


def _exists(path: str) -> bool:
    if path.startswith(GENERATED):
        return True
    # From the root, or from the directory the text is about (`engine/runner.py` in
    # provisioning/, a bare `test_queues.py`).
    return any(p == path or p.endswith("/" + path) for p in tree())


def test_every_repository_path_named_exists():
    missing = {
        (doc, text) for doc, text in spans() for path in _path_candidates(text) if not _exists(path)
    }
    assert not missing, f"paths the repository does not have: {sorted(missing)}"


@cache
def suite_test_names() -> set[str]:
    return {
        name
        for file in (ROOT / "tests").rglob("*.py")
        for name in re.findall(r"^\s*def (test_\w+)", file.read_text(), re.MULTILINE)
    }


def test_every_test_named_exists():
    """`tests/x.py::test_y` is a test of that file; a bare `test_y` a test of the suite."""
    missing = set()
    for doc, text in spans():
        for path, name in re.findall(r"(tests/[\w/]+\.py)::(\w+)", text):
            file = ROOT / path
            if not file.is_file() or not re.search(rf"def {name}\b", file.read_text()):
                missing.add((doc, f"{path}::{name}"))
        if re.fullmatch(r"test_\w+", text) and text not in suite_test_names():
            missing.add((doc, text))
    assert not missing, f"tests that do not exist: {sorted(missing)}"


# --- the panel's URLs ------------------------------------------------------------------------

URL = re.compile(r"^(?:(?:GET|POST|PUT|PATCH|DELETE) )?(/[a-z][\w\-/.<>{}:]*)")
# Absolute paths that are not the panel's, each with what they are.
NOT_PANEL_URLS = {
    "/cryptokeys": "PowerDNS's API (docs/dns.md)",
    "/tsigkeys": "PowerDNS's API (docs/dns.md)",
    "/register": "short for /api/agent/v1/register, named just before (docs/monitoring.md)",
    "/admin/drift-reports/": "under /api/v1/, the section's prefix (docs/api.md)",
}
FILESYSTEM = ("/srv/", "/var/", "/proc", "/etc/", "/usr/", "/run/")


def documented_urls() -> set[tuple[str, str]]:
    found = set()
    for doc, text in spans():
        match = URL.match(text)
        if match and not match.group(1).startswith(FILESYSTEM):
            found.add((doc, match.group(1)))
    return found


def _resolves(url: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(re.sub(r"<[^>]+>|\{[^}]+\}", "1", url).split("?")[0])
    except Resolver404:
        return False
    return True


def test_every_panel_url_named_resolves():
    urls = documented_urls()
    resolving = {url for _, url in urls if _resolves(url)}
    wrong = {
        (doc, url)
        for doc, url in urls
        if url not in resolving
        and url not in NOT_PANEL_URLS
        and not any(other.startswith(url) for other in resolving if url.endswith("/"))
    }
    assert len(resolving) > 20
    assert not wrong, f"URLs the panel does not answer: {sorted(wrong)}"


# --- defaults in the settings tables -------------------------------------------------------


def _literal(node: ast.expr):
    """The value of a constant default (5, 15 * 60, "x", [...]); None if it depends on others."""
    if isinstance(node, ast.Name):
        return ("name", node.id)
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(left, int) and isinstance(right, int):
            return left * right
    return None


@cache
def env_defaults() -> dict[str, object]:
    """NAME -> the default panel/settings.py gives env_int/env_str/... ("NAME", default)."""
    defaults = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.startswith("env_")
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
        ):
            defaults[node.args[0].value] = _literal(node.args[1])
    return defaults


def _matches(documented: str, default) -> bool:
    if isinstance(default, tuple):  # defaults to another setting
        return documented == default[1]
    if isinstance(default, bool):
        return documented == str(default).lower()
    if isinstance(default, list):
        return [item.strip() for item in documented.split(",")] == default
    if isinstance(default, int | float) and not isinstance(default, bool):
        try:
            return float(documented.replace(",", "")) == float(default)
        except ValueError:
            return False
    return documented == default


def table_defaults() -> list[tuple[str, str, str]]:
    """(doc, name, documented default) from every table with a "default" column."""
    rows = []
    for doc in DOCS:
        column = None
        for line in doc.read_text().splitlines():
            if not line.startswith("|"):
                column = None
                continue
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if column is None:
                lowered = [cell.lower() for cell in cells]
                column = lowered.index("default") if "default" in lowered else -1
                continue
            if column < 0 or set(cells[0]) <= {"-", " "}:
                continue
            names = SPAN.findall(cells[0])
            values = SPAN.findall(cells[column].split("(")[0])
            if len(names) == len(values):
                rows += [(doc.name, n, v) for n, v in zip(names, values, strict=True)]
    return rows


# In prose: `NAME` (24), `NAME` (default 10), `NAME` (1,024).
PROSE_DEFAULT = re.compile(r"`([A-Z][A-Z0-9_]+)` \((?:default )?`?(\d[\d,.]*)`?\)")


def prose_defaults() -> list[tuple[str, str, str]]:
    return [
        (doc.name, *match.groups())
        for doc in DOCS
        for match in PROSE_DEFAULT.finditer(doc.read_text())
    ]


def test_the_docs_give_the_defaults_of_panel_settings():
    defaults = env_defaults()
    wrong = [
        (doc, name, documented, defaults[name])
        for doc, name, documented in table_defaults() + prose_defaults()
        if defaults.get(name) is not None and not _matches(documented, defaults[name])
    ]
    assert not wrong, f"(doc, setting, documented default, panel/settings.py): {wrong}"


def test_the_checks_find_what_they_look_for():
    """Each check above sees the docs' names (an extraction that finds nothing passes)."""
    texts = [text for _, text in spans()]
    assert "make test" in " ".join(texts)
    assert any(ENV_NAME.findall(text) for text in texts)
    assert sum(bool(_path_candidates(text)) for text in texts) > 50
    assert len(table_defaults()) > 20
    assert len(prose_defaults()) > 5
    assert not _exists("panel/no_such_module.py")
    assert not _known("HEARTH_NO_SUCH_SETTING")
    assert "test_every_test_named_exists" in suite_test_names()
