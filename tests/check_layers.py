#!/usr/bin/env python3
"""Fails when a file under emulator/ includes a layer it may not (ARCHITECTURE.md, "Layers").

Usage: check_layers.py SOURCE_DIR. Prints each offending include as file:line and exits 1.
"""
import pathlib
import re
import sys

# Each layer and the layers it may include (besides itself). Layers point down only.
ALLOWED = {
    "core": set(),
    "config": {"core"},
    "store": {"core"},
    "handler": {"core", "config"},
    "http": {"core", "store"},
    "dispatch": {"core", "config", "store", "handler"},
    "project": {"core", "config", "store", "handler"},
    "dev": {"core", "config", "store", "handler", "http", "dispatch", "project"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"emulator/([^/]+)/')


def main() -> int:
    root = pathlib.Path(sys.argv[1]) / "emulator"
    problems = []
    layers = {p.name for p in root.iterdir() if p.is_dir()}
    for unknown in sorted(layers - ALLOWED.keys()):
        problems.append(f"emulator/{unknown}/: a folder with no place in the layers; add it to ALLOWED and ARCHITECTURE.md")
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        layer = path.relative_to(root).parts[0]
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or m.group(1) == layer:
                continue
            if m.group(1) not in ALLOWED.get(layer, set()):
                problems.append(f"{path.relative_to(root.parent)}:{number}: {layer} may not include {m.group(1)}/")
    for p in problems:
        print(p)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
