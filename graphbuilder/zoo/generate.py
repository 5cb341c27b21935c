"""Regenerate ``templates/*.json`` from the generator code.

    python -m graphbuilder.zoo.generate            # rewrite every template
    python -m graphbuilder.zoo.generate resnet50   # just one
    python -m graphbuilder.zoo.generate --check    # exit 1 if a file is out of date

The shipped files are this code's output and nothing else: ``tests/zoo`` renders every
template in memory and compares it with the file, so a hand edit or a stale file fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from graphbuilder.core.atomic import atomic_write_text
from graphbuilder.core.fileformat import dumps_graph
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo import classic, densenet, inception, mobile, resnet, sequence, unet, vgg, vit
from graphbuilder.zoo.catalog import templates_dir

#: template name -> generator (no arguments: the shipped configuration).
GENERATORS: dict[str, Callable[[], ModelGraph]] = {
    "simple_cnn": classic.simple_cnn,
    "mlp": classic.mlp,
    "lenet5": classic.lenet5,
    "autoencoder": classic.autoencoder,
    "alexnet": vgg.alexnet,
    "vgg11": partial(vgg.vgg, "vgg11"),
    "vgg16": partial(vgg.vgg, "vgg16"),
    "googlenet": inception.googlenet,
    **{f"resnet{d}": partial(resnet.resnet, d) for d in sorted(resnet.CONFIGS)},
    "densenet121": partial(densenet.densenet, 121),
    "squeezenet1_1": mobile.squeezenet1_1,
    "mobilenet_v2": mobile.mobilenet_v2,
    "fcn": unet.fcn,
    "unet": unet.unet,
    "vit_b_16": vit.vit_b_16,
    "vit_tiny": vit.vit_tiny,
    "transformer_classifier": sequence.transformer_classifier,
    "lstm_classifier": sequence.lstm_classifier,
}


def build(name: str) -> ModelGraph:
    """Generate template ``name`` in memory."""
    graph = GENERATORS[name]()
    graph.name = name
    return graph


def render(name: str) -> str:
    """The exact text of ``templates/NAME.json``."""
    return dumps_graph(build(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphbuilder.zoo.generate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="templates to write (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--out", type=Path, default=None, help="folder (default: templates/)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in GENERATORS]
    if unknown:
        parser.error(f"unknown template(s) {', '.join(unknown)}; "
                     f"known: {', '.join(sorted(GENERATORS))}")
    folder = args.out or templates_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stale = []
    for name in args.names or sorted(GENERATORS):
        text = render(name)
        path = folder / f"{name}.json"
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            atomic_write_text(path, text)
            path.chmod(0o644)  # the temp file behind the atomic write is private (0600)
            print(f"wrote {path}")
    if args.check and stale:
        print("out of date: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
