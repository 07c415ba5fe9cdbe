#!/usr/bin/env python3
"""Instructions per iteration of the innermost loops of an object file.

This VM exposes no hardware counters to perf, so docs/benchmarks.md counts
instructions per element in the disassembly instead: every backward jump
closes a loop; a loop that contains MNEMONIC (default vrangeps, the
quantize kernels' clamp) and no inner loop is printed with its instruction
count, its vector loads (vmov* from memory and memory operands of other
vector instructions) and stores, and its function.

  scripts/hot-loops.py build/default/impl/CMakeFiles/qdiff_impl.dir/quantize/kernels_avx512.cc.o \
      --function 'ZeroPointMode)1}, signed char' [--mnemonic vrangeps]
"""
import argparse
import collections
import re
import subprocess


def functions(obj):
    """{mangled name: [(address, mnemonic, operands)]} from objdump -d."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj], capture_output=True, text=True,
                          check=True).stdout
    out, name = collections.OrderedDict(), None
    for line in text.splitlines():
        if m := re.match(r"^[0-9a-f]+ <(.*)>:$", line):
            name = m.group(1)
            out[name] = []
        elif name and (m := re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)):
            out[name].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return out


def loops(body):
    """(start, end) address pairs of the innermost loops: backward jumps."""
    spans = []
    for addr, mnemonic, operands in body:
        m = re.match(r"([0-9a-f]+) <", operands)
        if mnemonic.startswith("j") and m and int(m.group(1), 16) <= addr:
            spans.append((int(m.group(1), 16), addr))
    return [s for s in spans if not any(o != s and s[0] <= o[0] and o[1] <= s[1] for o in spans)]


def describe(insns):
    vector = [i for i in insns if i[1].startswith("v")]
    stores = sum(1 for _, m, ops in vector if m.startswith("vmov") and ops.rstrip().endswith(")"))
    loads = sum(1 for _, m, ops in vector if "(%" in ops and not ops.rstrip().endswith(")"))
    return f"{len(insns):3d} instructions, {loads:2d} vector loads, {stores} stores"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("object")
    ap.add_argument("--function", default="", help="substring of the demangled function name")
    ap.add_argument("--mnemonic", default="vrangeps")
    args = ap.parse_args()
    funcs = functions(args.object)
    names = subprocess.run(["c++filt"], input="\n".join(funcs), capture_output=True, text=True).stdout.split("\n")
    for (mangled, body), name in zip(funcs.items(), names):
        if args.function not in name:
            continue
        short = re.sub(r"qdiff::impl::|\(anonymous namespace\)::|kernels::", "", name).split("(")[0]
        for start, end in loops(body):
            insns = [i for i in body if start <= i[0] <= end]
            if any(m == args.mnemonic for _, m, _ in insns):
                print(f"{describe(insns)}: {short[:100]} @{start:x}")


if __name__ == "__main__":
    main()
