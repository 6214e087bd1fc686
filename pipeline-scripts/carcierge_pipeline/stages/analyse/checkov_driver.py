"""Runs several checkov scans from one interpreter: imports checkov once, then forks a child per
scan (at most ``parallel`` at a time). Importing checkov costs ~4 s of CPU, about as much as a
scan itself; each child starts from the parent's freshly imported, never-run state, so the scans
cannot leak state into each other.

Executed by checkov's own interpreter (its venv pins libraries that clash with the project's),
so it uses the standard library and checkov only. Reads a JSON spec on stdin:
``{"parallel": N, "preload": ["<file>.tf", ...], "scans": [{"argv": [...], "output": "<dir>"}]}``;
each scan writes its checkov output into its ``output`` directory, its console into
``output/console.log`` and its exit code into ``output/exit-code``. The working directory and
the environment are the caller's.
"""

import copy
import json
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any


def _child(argv: list[str], output: str) -> int:
    console = os.open(os.path.join(output, "console.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(console, 1)
    os.dup2(console, 2)
    from checkov.main import Checkov  # already imported by the parent: a dictionary look-up

    try:
        return int(Checkov(argv).run() or 0)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2
    except BaseException:
        traceback.print_exc()
        return 2


def _share_parsers(preload: list[str]) -> None:
    """Work every scan would repeat, done once before the fork (speed only; same results).

    - bc_jsonpath_ng builds its LALR tables with ply.yacc anew for every expression it parses
      (~0.1 s, some 30 times per code scan): keep one parser per grammar.
    - Every scan parses the same .tf files with python-hcl2 (~70 ms each): parse each text once
      and hand every caller a deep copy, as if it had parsed the file itself.
    Either is left out if the library has changed shape.
    """
    try:
        import ply.yacc

        build = ply.yacc.yacc
        parsers: dict[tuple[type, str | None], object] = {}

        def yacc(*args: Any, module: Any = None, start: Any = None, **kwargs: Any) -> Any:
            if module is None:
                return build(*args, start=start, **kwargs)
            key = (type(module), start)
            if key not in parsers:
                parsers[key] = build(*args, module=module, start=start, **kwargs)
            return parsers[key]

        ply.yacc.yacc = yacc
    except ImportError:
        pass
    try:
        import hcl2
    except ImportError:
        return
    parse: Callable[..., Any] = hcl2.loads
    parsed: dict[str, object] = {}

    def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(text, str):
            return parse(text, *args, **kwargs)
        if text not in parsed:
            parsed[text] = parse(text)
        return copy.deepcopy(parsed[text])

    def load(file: Any, *args: Any, **kwargs: Any) -> Any:
        return loads(file.read(), *args, **kwargs)

    hcl2.loads, hcl2.load = loads, load
    for path in preload:
        try:
            with open(path, encoding="utf-8-sig") as handle:
                load(handle)
        except Exception:  # the scan that reads the file reports it
            pass


def main() -> int:
    spec = json.load(sys.stdin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        import checkov.main  # noqa: F401  # the expensive part, shared by every child
    if spec.get("share_parsers", True):
        _share_parsers(spec.get("preload") or [])

    pending = list(spec["scans"])
    limit = max(1, int(spec.get("parallel") or 1))
    running: dict[int, str] = {}
    while pending or running:
        while pending and len(running) < limit:
            scan = pending.pop(0)
            os.makedirs(scan["output"], exist_ok=True)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                code = 2
                try:
                    code = _child(scan["argv"], scan["output"])
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            running[pid] = scan["output"]
        pid, status = os.wait()
        output = running.pop(pid)
        with open(os.path.join(output, "exit-code"), "w") as handle:
            handle.write(f"{os.waitstatus_to_exitcode(status)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
