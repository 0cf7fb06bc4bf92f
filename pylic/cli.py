"""`pylic encode|decode|info`: one-line errors and non-zero exit codes on bad input."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pylic.errors import PylicError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pylic", description="Learned image codec (.plic bitstreams)")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("encode", help="compress an image into a .plic bitstream")
    e.add_argument("input")
    e.add_argument("-o", "--output", required=True)
    e.add_argument("--model", default=None, help="registry name (default: the shipped default model)")
    e.add_argument("--checkpoint", default=None, help="weights file instead of the registry's")
    e.add_argument("--package", default=None,
                   help="deploy package (shipped name or folder): encode with its bit-exact emulator, as the board")
    e.add_argument("--overlap", type=int, default=0, help="patch overlap in pixels (0..128)")
    e.add_argument("--context", type=int, default=0,
                   help="latent-domain tiling with this much context (a multiple of 16, e.g. 32): whole-image "
                        "quality at overlap-0 bits, more DPU windows (docs/tiling.md)")
    e.add_argument("--convert-16bit", action="store_true",
                   help="accept a 16-bit image by keeping the high byte of each sample (refused otherwise)")
    d = sub.add_parser("decode", help="decompress a .plic bitstream into an image")
    d.add_argument("input")
    d.add_argument("-o", "--output", required=True)
    d.add_argument("--model", default=None, help="model to use (default: found by the bitstream's hash)")
    d.add_argument("--checkpoint", default=None)
    d.add_argument("--package", default=None, help="deploy package (shipped name or folder) for the emulator")
    i = sub.add_parser("info", help="print a .plic header")
    i.add_argument("input")
    sub.add_parser("models", help="list the registry and the shipped deploy packages")
    return p


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise PylicError(f"{path}: cannot read ({exc.strerror})") from None


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pylic import api  # heavy imports only after argument parsing

    if args.cmd == "encode":
        t = time.perf_counter()
        data, image = api.encode_file(args.input, args.output, args.model, args.checkpoint, args.overlap,
                                      args.package, convert_16bit=args.convert_16bit, context=args.context)
        bpp = 8 * len(data) / (image.shape[0] * image.shape[1])
        print(f"{args.output}: {len(data)} bytes, {bpp:.4f} bpp, {time.perf_counter() - t:.2f} s")
    elif args.cmd == "decode":
        t = time.perf_counter()
        image = api.decode_file(args.input, args.output, args.model, args.checkpoint, args.package)
        print(f"{args.output}: {image.shape[1]}x{image.shape[0]}, {time.perf_counter() - t:.2f} s")
    elif args.cmd == "info":
        print(api.describe(_read(args.input)))
    elif args.cmd == "models":
        for name, spec in sorted(api.MODELS.items()):
            print(f"{name:28s} lambda={spec.lmbda:<8g} {spec.description}")
        for name, pkg in sorted(api.shipped_packages().items()):
            print(f"{name:28s} lambda={pkg.lmbda:<8g} deploy package {pkg.folder.name}: {pkg.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except PylicError as exc:
        print(f"pylic: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pylic: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
