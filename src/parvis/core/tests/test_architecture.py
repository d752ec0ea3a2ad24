"""The house's shape (docs/adr/0005): what import-linter cannot say, read from the source itself.

- no module imports another Parvis app from inside a function (the layers contract of `make lint` sees such
  imports too, but they hide the dependency from a reader; only `AppConfig.ready()` imports its own app);
- no module of the product over 700 lines, no function over 80 lines (migrations and tests aside).
"""

import ast
import importlib
import pathlib

import pytest
from django import forms

SRC = pathlib.Path(__file__).resolve().parents[2]  # src/parvis
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80


def _product_modules():
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        if "migrations" in parts or "tests" in parts or path.name == "conftest.py":
            continue
        yield path, parts


def _module_name(parts) -> str:
    names = ["parvis", *parts[:-1]]
    if parts[-1] != "__init__.py":
        names.append(parts[-1].removesuffix(".py"))
    return ".".join(names)


def _imported(node: ast.ImportFrom | ast.Import, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        return [".".join([*base, node.module] if node.module else base)]
    return [node.module or ""]


def _inner_imports(tree: ast.Module):
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
            yield node


def test_no_function_imports_another_parvis_app():
    found = []
    for path, parts in _product_modules():
        module = _module_name(parts)
        app = (module.split(".") + [""])[1]
        tree = ast.parse(path.read_text())
        for node in _inner_imports(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                target_parts = target.split(".")
                if target_parts[0] == "parvis" and len(target_parts) > 1 and target_parts[1] != app:
                    found.append(f"{module}:{node.lineno} imports {target}")
    assert found == []


def test_function_level_imports_of_parvis_only_in_appconfig_ready():
    found = []
    for path, parts in _product_modules():
        module = _module_name(parts)
        tree = ast.parse(path.read_text())
        for node in _inner_imports(tree):
            targets = _imported(node, module, path.name == "__init__.py")
            if any(t.startswith("parvis") for t in targets) and path.name != "apps.py":
                found.append(f"{module}:{node.lineno}")
    assert found == []


@pytest.mark.parametrize("limit", [MAX_MODULE_LINES])
def test_no_module_over_700_lines(limit):
    long = {
        str(p.relative_to(SRC)): n
        for p, _ in _product_modules()
        if (n := len(p.read_text().splitlines())) > limit
    }
    assert long == {}


def test_no_function_over_80_lines():
    long = {}
    for path, _parts in _product_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC)}:{node.name}"] = size
    assert long == {}


def test_the_checks_see_what_they_look_for(tmp_path):
    """The walkers find an inner import of another app and a long function when there is one."""
    source = "def f():\n    from parvis.passes import models\n" + "    x = 1\n" * 90
    tree = ast.parse(source)
    inner = list(_inner_imports(tree))
    assert [_imported(n, "parvis.ticketing.pdf", False) for n in inner] == [["parvis.passes"]]
    function = tree.body[0]
    assert function.end_lineno - function.lineno + 1 > MAX_FUNCTION_LINES


def test_numbers_from_requests_are_read_as_ascii_digits():
    """`str.isdigit()` accepts "²", which `int()` refuses: numbers are read through core.params."""
    found = [
        f"{path.relative_to(SRC)}:{n}"
        for path, _parts in _product_modules()
        if path.name != "params.py" or path.parent.name != "core"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if ".isdigit()" in line
    ]
    assert found == []


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_number_a_plain_form_reads_is_bounded():
    """A plain form's number goes straight to a query: unbounded, 2**63 fails there (500, not a form
    error). A model form's numbers are bounded by their columns' validators when the row is validated."""
    for _path, parts in _product_modules():
        if parts[0] not in ("settings", "__main__.py", "wsgi.py"):
            importlib.import_module(_module_name(parts))
    unbounded = []
    for form in _subclasses(forms.BaseForm):
        module = form.__module__
        if not module.startswith("parvis.") or ".tests" in module or issubclass(form, forms.BaseModelForm):
            continue
        for name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.DecimalField) and field.max_digits:
                continue
            if isinstance(field, forms.IntegerField) and field.max_value is None:
                unbounded.append(f"{form.__module__}.{form.__name__}.{name}")
    assert unbounded == []
