"""Run every benchmark: each module in ``bench/`` that defines ``main()`` (other than
this one and helpers without it), one at a time, each in its own process.

``python -m bench.run_all`` runs all; ``python -m bench.run_all api_ ivr_`` only the
modules whose names start with one of the given prefixes. Exits non-zero if any failed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def benchmark_modules() -> list[str]:
    """Module names with a top-level ``def main``, found without importing them."""
    found = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem in ("__init__", "run_all") or path.stem.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            found.append(path.stem)
    return found


def main(argv: list[str] | None = None) -> int:
    prefixes = tuple(argv if argv is not None else sys.argv[1:])
    modules = [m for m in benchmark_modules() if not prefixes or m.startswith(prefixes)]
    failed = []
    for name in modules:
        print(f"\n=== bench.{name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"],
                               cwd=BENCH_DIR.parent)
        print(f"=== bench.{name}: {'ok' if code == 0 else f'FAILED ({code})'} "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    print(f"\n{len(modules) - len(failed)} of {len(modules)} benchmarks ok"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
