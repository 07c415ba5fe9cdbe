"""The seed's passes (ExecuTorch PR 20171) as torch.fx graph rewrites.

Each pass is a PassBase whose `rewrite(gm, node)` rewrites one match at
`node`; `call` propagates shapes (running the module on zero inputs, as
ShapeProp does but without its traceback on stderr; ExecuTorch passes read
the same from node.meta["val"]), rewrites the first match, removes dead
code, and repeats to a fixed point. A graph whose shapes cannot be
propagated (a node raises) is left alone: qdiff's reference rejects such
graphs, and the properties discard them.
"""
import math
import os

import torch
from torch.fx.passes.infra.pass_base import PassBase, PassResult

import fx_ops as ops
from fx_graph import add_constant, constant_value, example_inputs
from qdiff_process import f32

FLT_MIN = 1.1754943508222875e-38
FLT_MAX = 3.4028234663852886e38

# QDIFF_FX_SEED_BUG=1 restores the seed's defect: the [K] channel factor is
# multiplied into the [K, 1] weight scale without the reshape ([K, K]).
SEED_BUG = os.environ.get("QDIFF_FX_SEED_BUG") == "1"


def shape(node):
    return node.meta["shape"]


class ShapeRecorder(torch.fx.Interpreter):
    def run_node(self, n):
        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            n.meta["shape"] = list(result.shape)
        return result


def uses(node):
    """Uses of `node` counted per argument slot (fx's node.users counts users)."""
    count = 0

    def see(n):
        nonlocal count
        count += n is node

    for user in node.users:
        torch.fx.node.map_arg((user.args, user.kwargs), see)
    return count


def shapes_known(gm):
    try:
        ShapeRecorder(gm).run(*example_inputs(gm))
        return True
    except Exception:  # any node the zero inputs cannot run: leave the graph alone
        return False


def replace(node, new):
    new.meta["qdiff_name"] = node.meta.get("qdiff_name", "")
    node.replace_all_uses_with(new)


class SweepPass(PassBase):
    def rewrite(self, gm, node):
        raise NotImplementedError

    def call(self, gm):
        modified = False
        while shapes_known(gm) and any(self.rewrite(gm, n) for n in list(gm.graph.nodes) if n.op == "call_function"):
            gm.graph.eliminate_dead_code()
            modified = True
        gm.recompile()
        return PassResult(gm, modified)


class LegacyToAffinePass(SweepPass):
    """quantize/dequantize_per_channel(x, scale [C], zp [C], axis) -> the affine
    op with aten.view_copy(scale, [1, .., C, .., 1]) (the seed's fusion_pass.py
    per-channel branch). Exact."""

    def rewrite(self, gm, node):
        if node.target not in (ops.quantize_per_channel, ops.dequantize_per_channel):
            return False
        x, s, z, axis, qmin, qmax, dtype = node.args
        rank = len(shape(x))
        a = axis + rank if axis < 0 else axis
        if not 0 <= a < rank or node.kwargs.get("block_size") is not None:
            return False
        c = shape(x)[a]
        if c < 1 or shape(s) != [c] or (z is not None and shape(z) != [c]):
            return False
        view = [c if d == a else 1 for d in range(rank)]
        quantize = node.target is ops.quantize_per_channel
        with gm.graph.inserting_before(node):
            sv = gm.graph.call_function(ops.view_copy, (s, view))
            zv = gm.graph.call_function(ops.view_copy, (z, view)) if z is not None else None
            args = (x, None, sv, zv, dtype, qmin, qmax, node.kwargs["zero_point_domain"])
            if quantize:
                args += (node.kwargs["contract"],)
            replace(node, gm.graph.call_function(ops.quantize_affine if quantize else ops.dequantize_affine, args))
        return True


class ConstantFoldingPass(SweepPass):
    """view_copy(constant) -> constant (ExecuTorch's ConstantPropPass). Exact."""

    def rewrite(self, gm, node):
        value = constant_value(node.args[0]) if node.target is ops.view_copy else None
        if value is None or value.numel() != math.prod(node.args[1]):
            return False
        with gm.graph.inserting_before(node):
            replace(node, add_constant(gm, gm.graph, value.reshape(node.args[1]).clone(),
                                       node.args[0].meta["qdiff_dtype"]))
        return True


def channel_factor(c, out_rank, k):
    """c_K, the mul constant as a [K] or [1] vector, when c varies along the
    linear output's last dim alone (SPEC section 8) and is finite and > 0."""
    if c.dim() > out_rank or any(d != 1 for d in c.shape[:-1]) or (c.dim() and c.shape[-1] not in (k, 1)):
        return None
    flat = c.reshape(-1)
    return flat if bool(torch.isfinite(flat).all() and (flat > 0).all()) else None


def scaled_weight_scale(s, c_k, w_rank):
    """The weight scale times c_K along the weight's channel axis (dim 0):
    c_K reshaped to [-1, 1, ...] (the seed's fix), or, with SEED_BUG, as it
    is, so a [K, 1] scale broadcasts to [K, K]. None where they do not broadcast."""
    factor = c_k if SEED_BUG else c_k.reshape([-1] + [1] * (w_rank - 1))
    try:
        return s * factor
    except RuntimeError:
        return None


def valid_scale(s):
    return bool(((s >= FLT_MIN) & (s <= FLT_MAX)).all())


class FuseMulIntoLinearPass(SweepPass):
    """mul(linear(x, dequantize_affine(W, s, z), b), c) with a constant c ->
    linear(x, dequantize_affine(W, s * c_K.view(-1, 1), z'), b * c_K)
    (the seed's fuse_mul_into_linear.py). Exact up to rounding. Left alone:
    float-domain and explicit-block weights, scales shared by several
    channels, a new scale that is not finite and normal, a finite bias
    that overflows."""

    def rewrite(self, gm, node):
        if node.target is not ops.mul:
            return False
        for lin, c in (node.args, node.args[::-1]):
            if isinstance(lin, torch.fx.Node) and lin.target is ops.linear and uses(lin) == 1 and \
                    constant_value(c) is not None and constant_value(c).dtype == torch.float32:
                folded = self.folded(gm, node, lin, constant_value(c))
                if folded:
                    return True
        return False

    def folded(self, gm, mul, lin, c):
        dq, bias = lin.args[1], (lin.args[2] if len(lin.args) > 2 else None)
        if dq.target is not ops.dequantize_affine or dq.args[1] is not None or dq.args[7] == "float":
            return False
        w, s, b = constant_value(dq.args[0]), constant_value(dq.args[2]), constant_value(bias)
        z = constant_value(dq.args[3])
        if w is None or w.dim() != 2 or s is None or (dq.args[3] is not None and z is None) or \
                (bias is not None and (b is None or b.dtype != torch.float32 or list(b.shape) != [w.shape[0]])):
            return False
        k = w.shape[0]
        c_k = channel_factor(c, len(shape(lin)), k)
        if c_k is None or (s.dim() and s.shape[0] not in (1, k)):
            return False
        new_s = scaled_weight_scale(s, c_k, w.dim())
        new_b = b * c_k if b is not None else None
        if new_s is None or not valid_scale(new_s) or \
                (new_b is not None and bool((torch.isfinite(b) & ~torch.isfinite(new_b)).any())):
            return False
        with gm.graph.inserting_before(mul):
            s2 = add_constant(gm, gm.graph, new_s, "f32", dq.args[2].meta["qdiff_name"])
            z2 = add_constant(gm, gm.graph, z.expand(new_s.shape).clone(), dq.args[3].meta["qdiff_dtype"],
                              dq.args[3].meta["qdiff_name"]) if z is not None else None
            dq2 = gm.graph.call_function(ops.dequantize_affine, (dq.args[0], None, s2, z2) + tuple(dq.args[4:]))
            b2 = add_constant(gm, gm.graph, new_b, "f32", bias.meta["qdiff_name"]) if b is not None else None
            dq2.meta["qdiff_name"] = dq.meta["qdiff_name"]
            replace(mul, gm.graph.call_function(ops.linear, (lin.args[0], dq2, b2)))
        return True


# --- fuse-quantized-ops (the seed's fusion_pass.py) ------------------------------

OPERAND_DTYPES = ("i8", "u8", "i16", "u16")  # the fused ops take 8- and 16-bit operands


def quant_params(node, operand=True):
    """The params dict of an affine quantize/dequantize with constant scale
    and zero point, or None (legacy, non-constant, or a float-domain zero
    point where the fused op does not take one)."""
    if node is None or node.target not in (ops.quantize_affine, ops.dequantize_affine):
        return None
    s, z = node.args[2], node.args[3]
    if constant_value(s) is None or (z is not None and constant_value(z) is None):
        return None
    p = dict(zip(("block_size", "scale", "zero_point", "dtype", "quant_min", "quant_max", "zero_point_domain"),
                 node.args[1:8]))
    if p["dtype"] not in OPERAND_DTYPES or (operand and p["zero_point_domain"] == "float"):
        return None
    return p


def per_tensor(p):
    return constant_value(p["scale"]).numel() == 1


def varies_only_along(p, tensor_shape, dim):
    """Per-tensor, or every scale dim 1 but `dim`, which has block 1."""
    s = list(constant_value(p["scale"]).shape)
    return per_tensor(p) or (len(s) == len(tensor_shape) and all(
        n == 1 for d, n in enumerate(s) if d != dim) and s[dim] == tensor_shape[dim] and
        (p["block_size"] is None or p["block_size"][dim] == 1))


def per_row(p, x_shape):
    """qlinear's x: a scale constant along the last dim with block 1 on every
    leading dim of size >= 2."""
    s = list(constant_value(p["scale"]).shape)
    blocks = p["block_size"] or [n // m for n, m in zip(x_shape, s)]
    return per_tensor(p) or (len(s) == len(x_shape) and s[-1] == 1 and
                             all(b == 1 for n, b in zip(x_shape[:-1], blocks) if n >= 2))


def finite_bias(node):
    b = constant_value(node)
    return node is None or (b is not None and b.dtype == torch.float32 and bool(torch.isfinite(b).all()))


def fused_layouts_accepted(op, x_shape, xp, out_shape, outp):
    """Step 6 of the fused ops' validation (reference/fused_validate.h):
    the layouts each op defines."""
    if op.target is ops.linear:
        return per_row(xp, x_shape) and varies_only_along(outp, out_shape, len(out_shape) - 1)
    if op.target is ops.conv2d:
        return per_tensor(xp) and varies_only_along(outp, out_shape, 1)
    return True  # qadd, qmul: any valid layout


class FuseQuantizedOpsPass(SweepPass):
    """quantize(op(dequantize(qx, px), dequantize(qw, pw), b) [-> relu], p_out)
    -> qlinear / qconv2d / qadd / qmul(qx, qw, b, px, pw, p_out, activation).
    Exact up to rounding (one rounding of the real result). Fires only on
    affine q/dq with constant params, a finite constant bias, an op (and
    relu) with no other user, and layouts the fused op takes."""

    def rewrite(self, gm, node):
        outp = quant_params(node) if node.target is ops.quantize_affine else None
        if outp is None:
            return False
        src, act = node.args[0], {"kind": "none"}
        if src.target is ops.relu and uses(src) == 1:
            src, act = src.args[0], {"kind": "relu"}
        if uses(src) != 1 or src.target not in (ops.linear, ops.conv2d, ops.add, ops.mul):
            return False
        a, b = src.args[0], src.args[1]
        pa, pb = quant_params(a), quant_params(b, operand=src.target is ops.add or src.target is ops.mul)
        bias = src.args[2] if src.target in (ops.linear, ops.conv2d) and len(src.args) > 2 else None
        if pa is None or pb is None or a.target is not ops.dequantize_affine or \
                b.target is not ops.dequantize_affine or not finite_bias(bias) or \
                not fused_layouts_accepted(src, shape(a), pa, shape(src), outp):
            return False
        fused = {ops.linear: ops.qlinear, ops.conv2d: ops.qconv2d, ops.add: ops.qadd, ops.mul: ops.qmul}[src.target]
        data = (a.args[0], b.args[0]) + ((bias,) if fused in (ops.qlinear, ops.qconv2d) else ())
        conv = (dict(zip(("stride", "padding", "dilation", "groups"), src.args[3:])),) if fused is ops.qconv2d else ()
        with gm.graph.inserting_before(node):
            replace(node, gm.graph.call_function(fused, data + (pa, pb, outp, act) + conv))
        return True


# --- quant absorption (the seed's quant_absorption.py) -----------------------------

def dequantized_value(q, s, z, p):
    """SPEC section 5 for one stored value, in f32."""
    if p["zero_point_domain"] == "float":
        mid = f32((p["quant_max"] + p["quant_min"] + 1) / 2)
        return f32(f32(f32(f32(q) - mid) * s) + z)
    return f32(f32(f32(q) - f32(0 if p["zero_point_domain"] == "none" else z)) * s)


def ideal_quantized(v, s, z, p):
    """SPEC section 8's single output rounding of a real value."""
    if math.isnan(v):
        return min(max(int(z), p["quant_min"]), p["quant_max"])
    t = v / s
    t = round(t) + int(z) if math.isfinite(t) else (p["quant_max"] if t > 0 else p["quant_min"])
    return min(max(t, p["quant_min"]), p["quant_max"])


def values(p):
    s = constant_value(p["scale"]).flatten().tolist()
    z = constant_value(p["zero_point"]).flatten().tolist() if p["zero_point"] is not None else [0] * len(s)
    return list(zip(s, z))


def absorbed_activation(act, p1, p2):
    """The activation that re-expresses p1's saturation [dq1(qmin1), dq1(qmax1)]
    for the single rounding to p2 (Q2 is monotone), or None when that range
    varies per element and matters (one activation cannot carry it)."""
    ranges = {(dequantized_value(p1["quant_min"], s, z, p1), dequantized_value(p1["quant_max"], s, z, p1))
              for s, z in values(p1)}
    matters = any(ideal_quantized(lo, s2, z2, p2) != p2["quant_min"] or ideal_quantized(hi, s2, z2, p2) !=
                  p2["quant_max"] for lo, hi in ranges for s2, z2 in values(p2))
    if not matters:
        return act
    if len(ranges) != 1:
        return None
    (lo, hi), = ranges
    if not lo <= hi:
        return None
    a, b = {"none": (-math.inf, math.inf), "relu": (0.0, math.inf)}.get(act["kind"], (act.get("lo"), act.get("hi")))
    return {"kind": "clamp", "lo": min(max(a, lo), hi), "hi": min(max(b, lo), hi)}


class QuantAbsorptionPass(SweepPass):
    """quantize(dequantize(y, p1), p2), y a fused op's output used only
    there, p2 per-tensor (out_scale.numel() == 1, the seed's check) -> the
    fused op with out_params p2 (and p1's saturation as a clamp when it
    matters). Bounded: one rounding replaces two (docs/impl-graph.md)."""

    def rewrite(self, gm, node):
        p2 = quant_params(node) if node.target is ops.quantize_affine else None
        if p2 is None or constant_value(p2["scale"]).numel() != 1:
            return False
        dq = node.args[0]
        p1 = quant_params(dq, operand=False) if dq.target is ops.dequantize_affine else None
        y = dq.args[0] if p1 is not None and uses(dq) == 1 else None
        if y is None or y.target not in ops.FUSED or uses(y) != 1:
            return False
        arity = 3 if y.target in (ops.qlinear, ops.qconv2d) else 2
        act = absorbed_activation(y.args[arity + 3], p1, p2)
        if act is None:
            return False
        args = y.args[:arity + 2] + (p2, act) + y.args[arity + 4:]
        with gm.graph.inserting_before(node):
            absorbed = gm.graph.call_function(y.target, args)
        replace(node, absorbed)
        absorbed.meta["qdiff_name"] = node.meta.get("qdiff_name") or y.meta.get("qdiff_name", "")
        return True
