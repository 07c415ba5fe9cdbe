#!/usr/bin/python3
"""A torch.fx port of the passes of ExecuTorch PR 20171 (the seed) as a qdiff
graph-pass backend (docs/process-protocol.md, docs/real-backends.md):

    qdiff check --backend-cmd "/usr/bin/python3 examples/fx_passes/fx_passes.py"
    QDIFF_FX_SEED_BUG=1 qdiff check --backend-cmd "..."   # the seed's [K] -> [K, K] bug

Each request's graph is turned into a torch.fx GraphModule (fx_graph.py,
ops in fx_ops.py), rewritten by fx passes (fx_rewrites.py) and written
back. Compact-scale lowering (fx_lowering.py) is not in the protocol:
`fx_passes.py --lower CASE.json` prints what it makes of a graph case.
Needs Debian's python3-torch (1.13): run with /usr/bin/python3.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process_backend"))

import fx_graph  # noqa: E402
import fx_rewrites as rw  # noqa: E402
from qdiff_process import serve_graph_passes  # noqa: E402

# qdiff's pass names, in pipeline order.
PASSES = {
    "legacy-to-affine": rw.LegacyToAffinePass,
    "constant-folding": rw.ConstantFoldingPass,
    "fuse-mul-into-linear": rw.FuseMulIntoLinearPass,
    "fuse-quantized-ops": rw.FuseQuantizedOpsPass,
    "quant-absorption": rw.QuantAbsorptionPass,
}


def graph_pass(pass_class):
    """A protocol pass: qdiff graph JSON -> fx -> the pass -> JSON."""
    def run(graph):
        return fx_graph.to_json(pass_class()(fx_graph.to_graph_module(graph)).graph_module)
    return run


def main():
    if sys.argv[1:2] == ["--lower"]:
        import fx_lowering
        fx_lowering.main(sys.argv[2:], list(PASSES.values()))
        return
    name = "torch-fx-seed-passes" + ("-seed-bug" if rw.SEED_BUG else "")
    serve_graph_passes(name, {n: graph_pass(p) for n, p in PASSES.items()})


if __name__ == "__main__":
    main()
