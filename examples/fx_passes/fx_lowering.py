"""Compact-scale lowering (the seed's compact_scale_node), as an fx pass.

A backend's parameter extraction wants compact weight scales: per-tensor
-> [], per-channel [K, 1, ...] -> [K], per-group [K, G] -> [K, G] (2-D
also when K == 1 or G == 1). The channel axis is the operator's (the
weight's dim 0), never inferred by squeezing every size-1 dim: squeezing
turns a K = 1 per-group [1, G] into [G], which reads as per-channel with
K = G (SPEC section 2). The pass inserts aten.view_copy of the full-rank
scale and constant folding turns it into a constant, as in the seed.

qdiff's process protocol has no lowering request (docs/process-protocol.md),
so qdiff cannot judge this pass; `fx_passes.py --lower CASE.json` runs the
pipeline and this pass on a graph case and prints each fused node's compact
scale.
"""
import json

import fx_ops as ops
from fx_graph import constant_value, to_graph_module
from fx_rewrites import ConstantFoldingPass, SweepPass


def compact_shape(scale_shape, weight_shape, kind):
    """(granularity, compact shape) by the weight's channel axis, or None."""
    k = weight_shape[0]
    if scale_shape.numel() == 1:
        return "per_tensor", []
    if list(scale_shape) == [k] + [1] * (len(weight_shape) - 1):
        return "per_channel", [k]
    if kind is ops.qlinear and len(scale_shape) == 2 and scale_shape[0] == k:
        return "per_group", list(scale_shape)
    return None


class CompactScalesPass(SweepPass):
    """w_params["scale"] of qlinear / qconv2d -> view_copy(scale, compact shape),
    recorded as w_params["granularity"]. Unlowerable layouts are left (and
    reported by main)."""

    def rewrite(self, gm, node):
        if node.target not in (ops.qlinear, ops.qconv2d) or "granularity" in node.args[4]:
            return False
        wp, w = node.args[4], constant_value(node.args[1])
        compact = compact_shape(constant_value(wp["scale"]).shape, w.shape, node.target) if w is not None else None
        if compact is None:
            return False
        with gm.graph.inserting_before(node):
            scale = gm.graph.call_function(ops.view_copy, (wp["scale"], compact[1]))
        node.args = node.args[:4] + (dict(wp, scale=scale, granularity=compact[0]),) + node.args[5:]
        return True


def lowered(gm, passes):
    for p in passes + [CompactScalesPass, ConstantFoldingPass]:
        gm = p()(gm).graph_module
    return gm


def report(gm):
    lines = []
    for i, node in enumerate(n for n in gm.graph.nodes if n.target in (ops.qlinear, ops.qconv2d)):
        wp, w = node.args[4], constant_value(node.args[1])
        what = "%s, compact scale %s" % (wp["granularity"], list(constant_value(wp["scale"]).shape)) \
            if "granularity" in wp else "not lowerable (scale %s)" % list(constant_value(wp["scale"]).shape)
        lines.append("fused node %d (%s): weight %s: %s" % (i, node.target.__name__, list(w.shape), what))
    return lines or ["no qlinear or qconv2d node after the pipeline"]


def main(files, passes):
    for f in files:
        with open(f) as case:
            graph = json.load(case)["graph"]
        print(f + ":\n  " + "\n  ".join(report(lowered(to_graph_module(graph), passes))))
