"""The layers of ARCHITECTURE.md, checked on every module's imports (read with `ast`, nothing imported):

- an endpoints module never imports another domain's endpoints (shared pieces live in http/ or in
  the owning domain's service/schemas);
- services and repositories never import the web framework or http/;
- SQL is built only in repositories (and models, migrations, kit/db.py): elsewhere sqlalchemy is
  imported only for the session type, its errors and engine URLs;
- the job library (saq) stays behind jobs/;
- endpoints, services and repositories never publish an event or queue a job themselves: they record
  it on the unit of work (`kit.effects.side_effects(db)`), which sends it once the transaction commits.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "albumen"

# sqlalchemy modules any layer may use: the session type, errors, engine URLs. The rest builds SQL.
SQLALCHEMY_OUTSIDE_REPOSITORIES = ("sqlalchemy.ext.asyncio", "sqlalchemy.exc", "sqlalchemy.engine")
# Where SQL may be written, besides every repository module.
SQL_HOMES = ("albumen.models", "albumen.migrations", "albumen.kit.db")
WEB = ("fastapi", "starlette", "albumen.http")


@dataclass(frozen=True, slots=True)
class Import:
    importer: str  # dotted module name, e.g. albumen.assets.service
    target: str  # the module imported; for `from a import b`, both a and a.b are checked
    line: int


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((SOURCE / PACKAGE).rglob("*.py")):
        name = ".".join(path.relative_to(SOURCE).with_suffix("").parts).removesuffix(".__init__")
        yield name, ast.parse(path.read_text(encoding="utf-8"), str(path))


def imports_of(name: str, tree: ast.Module) -> Iterator[Import]:
    package = name if name.count(".") == 0 else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield Import(name, base, node.lineno)
            for alias in node.names:
                yield Import(name, f"{base}.{alias.name}", node.lineno)


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def leaf(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == PACKAGE else None


def is_endpoints(module: str) -> bool:
    return leaf(module) == "endpoints" or leaf(module).endswith("_endpoints")


def is_service_or_repository(module: str) -> bool:
    return leaf(module) in ("service", "repository") or leaf(module).endswith(("_service", "_repository"))


def broken_rules(found: Import) -> list[str]:
    importer, target = found.importer, found.target
    broken = []
    if is_endpoints(importer) and is_endpoints(target) and domain(target) not in (None, domain(importer)):
        broken.append("endpoints import another domain's endpoints")
    if is_service_or_repository(importer) and under(target, WEB):
        broken.append("a service or repository imports the web layer")
    if (
        under(target, ("sqlalchemy",))
        and not under(target, SQLALCHEMY_OUTSIDE_REPOSITORIES)
        and not leaf(importer).endswith("repository")
        and not under(importer, SQL_HOMES)
    ):
        broken.append("SQL outside a repository")
    if under(target, ("saq",)) and not under(importer, ("albumen.jobs",)):
        broken.append("saq outside jobs/")
    return broken


# What sends an event or queues a job right away (the bus, the job queue, the Socket.IO server).
SENDING_CALLS = {"publish", "enqueue", "emit"}


def sending_calls(name: str, tree: ast.Module) -> Iterator[str]:
    """`x.publish(...)`, `x.enqueue(...)`, `x.emit(...)` in a module that must record effects instead;
    `side_effects(db).emit(...)` records, so it is allowed."""
    if not (is_endpoints(name) or is_service_or_repository(name)):
        return
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in SENDING_CALLS:
            continue
        receiver = node.func.value
        records = isinstance(receiver, ast.Name) and receiver.id == "effects"
        records |= (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Name)
            and receiver.func.id == "side_effects"
        )
        if not records:
            yield f"{name}:{node.lineno} calls {ast.unparse(node.func)}: record it with side_effects(db)"


def test_the_source_tree_is_found() -> None:
    names = {name for name, _ in modules()}
    assert {"albumen.assets.endpoints", "albumen.assets.service", "albumen.jobs.queue"} <= names


def test_every_module_keeps_to_its_layer() -> None:
    violations = sorted(
        f"{found.importer}:{found.line} imports {found.target}: {rule}"
        for name, tree in modules()
        for found in imports_of(name, tree)
        for rule in broken_rules(found)
    )
    assert violations == []


def test_events_and_jobs_are_recorded_on_the_unit_of_work() -> None:
    assert [found for name, tree in modules() for found in sending_calls(name, tree)] == []


@pytest.mark.parametrize(
    ("module", "source", "flagged"),
    [
        ("albumen.assets.endpoints", "await container.jobs.enqueue(job, data)", True),
        ("albumen.jobs.service", "await self.jobs.enqueue(name, {})", True),
        ("albumen.trash.endpoints", "background.add_task(x); await container.events.publish(e)", True),
        ("albumen.assets.service", "side_effects(self.db).emit(messages.asset_trash(u, ids))", False),
        ("albumen.assets.service", "effects.queue(job, data); effects.emit(event)", False),
        ("albumen.jobs.queue", "await queue.enqueue(job)", False),
    ],
)
def test_the_sending_rule_catches_direct_sends(module: str, source: str, flagged: bool) -> None:
    assert bool(list(sending_calls(module, ast.parse(source)))) is flagged


@pytest.mark.parametrize(
    ("importer", "source", "rule"),
    [
        ("albumen.trash.endpoints", "from albumen.assets.endpoints import Service", "another domain"),
        ("albumen.trash.endpoints", "from albumen.assets import endpoints", "another domain"),
        ("albumen.users.endpoints", "from albumen.users.admin_endpoints import x", None),
        ("albumen.assets.service", "from starlette.requests import ClientDisconnect", "web layer"),
        ("albumen.assets.repository", "import fastapi", "web layer"),
        ("albumen.users.admin_service", "from albumen.http.multipart import read_form", "web layer"),
        ("albumen.assets.endpoints", "from albumen.http.multipart import read_form", None),
        ("albumen.assets.service", "from sqlalchemy import select", "SQL outside"),
        ("albumen.assets.tasks", "from sqlalchemy import delete", "SQL outside"),
        ("albumen.assets.service", "from sqlalchemy.ext.asyncio import AsyncSession", None),
        ("albumen.assets.repository", "from sqlalchemy import select", None),
        ("albumen.media.jobs", "from saq import Job", "saq outside"),
        ("albumen.jobs.queue", "from saq import Job", None),
        ("albumen.assets.service", "from ..http import deps", "web layer"),
    ],
)
def test_the_rules_catch_what_they_describe(importer: str, source: str, rule: str | None) -> None:
    broken = [r for found in imports_of(importer, ast.parse(source)) for r in broken_rules(found)]
    if rule is None:
        assert broken == []
    else:
        assert broken
        assert all(rule in r for r in broken), broken
