"""What each function of template.yaml may reach (its policies) and what its code reaches, read from the code
(tests/test_least_privilege.py compares the two).

The code's reach is found by following calls, not imports: from the handler's module, every function, class
and module-level statement it runs, through every lms module, by name (a name imported from another module,
or `module.name` for an imported module). A class reached is reached whole; a module reached runs its
module-level statements. In what is reached, each pynamodb model of lms.store.tables names a table, and each
lms.config attribute read (config().webhook_queue) names a queue, a table, a secret or a key: the config
attribute's default is the resource's logical id (a key's: alias/<logical id>).

A call through an object the reading cannot follow (a method of an instance) is not followed: the code's
objects that reach AWS are the store's models and modules, which are named. A model named only to read a
stream record's image (Model.from_raw_data) or for its botocore session (Model._get_connection().connection.session)
reaches no table."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "shared"
POLICY_TARGETS = {  # SAM policy template -> (kind, its argument)
    "DynamoDBCrudPolicy": ("table", "TableName"),
    "DynamoDBReadPolicy": ("table", "TableName"),
    "DynamoDBWritePolicy": ("table", "TableName"),
    "SQSSendMessagePolicy": ("queue", "QueueName"),
    "AWSSecretsManagerGetSecretValuePolicy": ("secret", "SecretArn"),
    "KMSEncryptPolicy": ("key", "KeyId"),
    "KMSDecryptPolicy": ("key", "KeyId"),
}
Node = tuple[str, str]  # (module, top-level name) or (module, "") for the module's own statements


def _logical(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else target.split(".")[0])
    raise ValueError(f"a policy names {value!r}: name resources with !Ref or !GetAtt")


def granted(properties: dict[str, Any]) -> set[tuple[str, str]]:
    """(kind, logical id) of every resource the function's policies name; any other kind of policy is refused."""
    found = set()
    for policy in properties.get("Policies", []):
        if not isinstance(policy, dict) or len(policy) != 1:
            raise ValueError(f"a policy that is not one SAM policy template: {policy!r}")
        [(name, argument)] = policy.items()
        if name not in POLICY_TARGETS:
            raise ValueError(f"{name} is not a policy template this check knows")
        kind, key = POLICY_TARGETS[name]
        found.add((kind, _logical(argument[key])))
    return found


def destinations(properties: dict[str, Any]) -> set[tuple[str, str]]:
    """Queues the function's event source mappings send failed batches to (Lambda sends as the function)."""
    found = set()
    for event in (properties.get("Events") or {}).values():
        failure = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure")
        if failure:
            found.add(("queue", _logical(failure["Destination"])))
    return found


@functools.cache
def _file(module: str) -> Path | None:
    path = LIBRARY.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


class Module:
    """One module's top-level definitions and what each of its names refers to."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.tree = ast.parse(path.read_text())
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.definitions: dict[str, ast.AST] = {}
        self.statements: list[ast.AST] = []
        self.aliases: dict[str, tuple[str, str]] = {}  # local name -> (module, name or "" for the module)
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.definitions[node.name] = node
                continue
            self.statements.append(node)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._alias(node, package)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.definitions[target.id] = node
        # Imports made inside a function (deferred to first use, for cold starts) reach as much as those at the
        # top: each is read as the module's (a name a function imports is what that function reaches).
        top = {id(statement) for statement in self.tree.body}
        for inner in ast.walk(self.tree):
            if isinstance(inner, (ast.Import, ast.ImportFrom)) and id(inner) not in top:
                self._alias(inner, package, keep=True)

    def _alias(self, node: ast.Import | ast.ImportFrom, package: str, keep: bool = False) -> None:
        """The names an import statement binds to lms modules (keep: never over a name bound at the top)."""
        if isinstance(node, ast.Import):
            found = {alias.asname or alias.name: (alias.name, "") for alias in node.names}
            found = {local: ref for local, ref in found.items() if ref[0].split(".")[0] == "lms"}
        else:
            source = self._source(node, package)
            if source.split(".")[0] != "lms":
                return
            found = {}
            for alias in node.names:
                full = f"{source}.{alias.name}"
                found[alias.asname or alias.name] = (full, "") if _file(full) else (source, alias.name)
        for local, ref in found.items():
            if not keep or local not in self.aliases:
                self.aliases[local] = ref

    @staticmethod
    def _source(node: ast.ImportFrom, package: str) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))


@functools.cache
def _module(name: str) -> Module | None:
    path = _file(name)
    return Module(name, path) if path else None


# A model's method that makes no call to its table: reading a stream record's image into an object.
NO_IO = {"from_raw_data"}
# A model's botocore session, which clients of other services are made from (lms.store.tables.aws_client).
SESSION = re.compile(r"\w+\._get_connection\(\)\.connection\.session")


def _targets(module: Module, node: ast.AST) -> set[Node]:
    """What a piece of code refers to: names of its own module, and names of the lms modules it imported."""
    found: set[Node] = set()
    skipped = {
        id(c.value) for c in ast.walk(node) if isinstance(c, ast.Attribute) and c.attr in NO_IO
    }  # Model.from_raw_data(...): the model named, no table reached
    skipped |= {
        id(n) for c in ast.walk(node) if SESSION.fullmatch(ast.unparse(c)) for n in ast.walk(c)
    }  # Model._get_connection().connection.session: its session, no table reached
    for c in ast.walk(node):  # type annotations name types, they call nothing
        note = (
            c.annotation
            if isinstance(c, (ast.arg, ast.AnnAssign))
            else c.returns
            if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef))
            else None
        )
        if note is not None:
            skipped |= {id(n) for n in ast.walk(note)}
    for child in ast.walk(node):
        if id(child) in skipped:
            continue
        if isinstance(child, ast.Name):
            if child.id in module.definitions:
                found.add((module.name, child.id))
            elif child.id in module.aliases:
                found.add(module.aliases[child.id])
        elif isinstance(child, ast.Attribute):
            chain = ast.unparse(child.value)
            if chain in module.aliases and module.aliases[chain][1] == "":
                found.add((module.aliases[chain][0], child.attr))
    return found


def reached_nodes(handler: Path) -> set[Node]:
    """Every (module, definition) the handler runs, and (module, "") for each lms module it runs."""
    handler_module = Module("handler", handler)
    todo = list(_targets(handler_module, handler_module.tree))
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        module_name, name = node
        module = _module(module_name)
        if module is None:
            continue
        if (module_name, "") not in seen:
            todo.append((module_name, ""))
        if name == "":
            if module_name != "lms.store.tables":  # its list of every model is not a use of each
                for statement in module.statements:
                    todo.extend(_targets(module, statement))
            package = module_name.rpartition(".")[0]
            if package:
                todo.append((package, ""))
            continue
        if name in module.definitions:
            todo.extend(_targets(module, module.definitions[name]))
        elif name in module.aliases:  # re-exported: follow it to where it is defined
            todo.append(module.aliases[name])
        elif _file(f"{module_name}.{name}"):
            todo.append((f"{module_name}.{name}", ""))
    return seen


@functools.cache
def _models() -> dict[str, str]:
    """Each pynamodb model of lms.store.tables -> the config attribute of its table."""
    models = {}
    for node in ast.parse((LIBRARY / "lms" / "store" / "tables.py").read_text()).body:
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                found = re.fullmatch(r"Meta = _meta\(config\(\)\.(\w+)\)", ast.unparse(statement))
                if found:
                    models[node.name] = found.group(1)
    return models


@functools.cache
def _defaults() -> dict[str, str]:
    """lms.config's attribute -> its default, the resource's logical id."""
    defaults = {}
    for node in ast.walk(ast.parse((LIBRARY / "lms" / "config.py").read_text())):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Call) and len(node.value.args) == 2:
            default = node.value.args[1]
            if node.arg and isinstance(default, ast.Constant) and isinstance(default.value, str):
                defaults[node.arg] = default.value.removeprefix("alias/")
    return defaults


KINDS = (("table", "_table"), ("queue", "_queue"), ("secret", "_secret"), ("key", "_key"))


def _config_reads(node: ast.AST) -> set[str]:
    names = {"config()"}
    for child in ast.walk(node):
        if isinstance(child, ast.Assign) and ast.unparse(child.value) == "config()":
            names |= {ast.unparse(t) for t in child.targets}
    return {c.attr for c in ast.walk(node) if isinstance(c, ast.Attribute) and ast.unparse(c.value) in names}


@functools.cache
def reached(handler: Path) -> frozenset[tuple[str, str]]:
    """(kind, logical id) of every table, queue, secret and key the handler's code reaches."""
    attributes: set[str] = set()
    for module_name, name in reached_nodes(handler):
        if module_name == "lms.store.tables" and name != "" and name in _models():
            attributes.add(_models()[name])  # a model reached: its table
            continue
        if module_name in ("lms.store.tables", "lms.config"):
            continue  # where every model and every name is defined: what is used of them counts
        module = _module(module_name)
        if module is None:
            continue
        pieces = module.statements if name == "" else [module.definitions.get(name)]
        for piece in pieces:
            if piece is not None:
                attributes |= _config_reads(piece)
    found = set()
    for attribute in attributes:
        for kind, suffix in KINDS:
            if attribute.endswith(suffix) and attribute in _defaults():
                found.add((kind, _defaults()[attribute]))
    return frozenset(found)
