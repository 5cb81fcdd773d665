"""The README's examples follow the code: every `kgenint ...` command line in it parses with the
real argument parser, and every call of a kgenint function in its Python blocks binds to that
function's signature (names and keywords exist). A renamed option or argument fails here."""
from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import re
import shlex

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", TEXT, flags=re.S)


def _command_lines() -> list[str]:
    lines = []
    for block in _blocks("bash"):
        block = block.replace("\\\n", " ")
        lines += [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip().startswith("kgenint ")]
    # the command table: full command lines (prose mentions such as `kgenint train` are fragments)
    lines += re.findall(r"^\| `(kgenint [^`]+)`", TEXT, flags=re.M)
    out = []
    for ln in lines:
        ln = ln.split(">")[0].strip()  # stdout redirection
        if " ... " in ln or ln.endswith("..."):
            continue  # elided options
        out.append(ln)
    return sorted(set(out))


COMMANDS = _command_lines()


def test_readme_has_commands_and_python():
    assert len(COMMANDS) >= 15 and len(_blocks("python")) >= 3


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_parses(line):
    """argparse exits (SystemExit 2, a test failure) on an unknown option or a missing argument."""
    from kgenint.cli import build_parser

    argv = shlex.split(line)[1:]
    args = build_parser().parse_args(argv)
    assert args.command == argv[0]


def _imports(tree: ast.Module) -> dict[str, object]:
    names: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kgenint"):
            mod = importlib.import_module(node.module)
            for a in node.names:
                names[a.asname or a.name] = getattr(mod, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("kgenint"):
                    names[a.asname or a.name.split(".")[0]] = importlib.import_module(a.name.split(".")[0])
    return names


def _resolve(func: ast.expr, names: dict[str, object]):
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id not in names:
        return None
    obj = names[func.id]
    for p in reversed(parts):
        obj = getattr(obj, p)  # AttributeError: the README names something that does not exist
    return obj


@pytest.mark.parametrize("i", range(len(_blocks("python"))))
def test_readme_python_calls_bind(i):
    tree = ast.parse(_blocks("python")[i])
    names = _imports(tree)
    checked = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = _resolve(node.func, names)
        if f is None or not callable(f):
            continue
        sig = inspect.signature(f)
        args = [None] * sum(not isinstance(a, ast.Starred) for a in node.args)
        kwargs = {k.arg: None for k in node.keywords if k.arg is not None}
        try:
            sig.bind(*args, **kwargs)
        except TypeError as err:
            raise AssertionError(f"README block {i}: {ast.unparse(node)} does not fit {f.__qualname__}{sig}: "
                                 f"{err}") from None
        checked += 1
    assert checked >= 2
