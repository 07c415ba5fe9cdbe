"""ONNX Runtime's CPU kernels, or ONNX's reference evaluator, as a qdiff
process backend (docs/process-protocol.md).

    qdiff check --backend-cmd "build/onnx-venv/bin/python examples/onnxruntime_backend/onnx_backend.py [--runtime onnxruntime|reference] [--decline-known] [--claim-contract NAME]"

The venv comes from scripts/setup-onnx-venv.sh. For every case the backend
builds a one-node ONNX model (onnx.helper), every tensor a graph input with
symbolic dims, so one session serves every case of the same signature (op,
attributes, element types, ranks): sessions are cached by the serialized
model. ONNX Runtime runs with every graph optimization off
(ORT_DISABLE_ALL) and one thread, so the kernel under test is the one run.
4-bit (and 2-bit) tensors are fed and read as their 8-bit storage through an
exact Cast node on each side, because numpy cannot carry them in or out of a
session.

Mapped (SPEC sections 2-8 onto ONNX):
- quantize_affine / dequantize_affine: QuantizeLinear / DequantizeLinear,
  opset 21. The qdiff dtype and quant range must be an ONNX type's whole
  range (ONNX saturates to the type): i8, u8, i16, u16, i4 = i8 with
  [-8, 7], u4 = u8 with [0, 15], i2 and u2 (opset 25 then);
  dequantize also i32. Layouts: per-tensor (a scalar scale), per-axis (one
  dim's scale equals the dim: a 1-D scale with `axis`), blocked (one dim
  blocked: `axis` + `block_size`; the last block may be partial, as in
  qdiff's explicit mode). Dims whose scale dim is 1 are broadcast by
  repeating the scale, which ONNX's blocked form needs spelt out; layouts
  with two blocked dims (2-D tiles) are declined. Quantize is ONNX's
  contract: x / s, half to even, zero point added after rounding, which is
  qdiff's `onnx` contract; cases of the other contracts are declined
  (--claim-contract NAME answers NAME's cases too, to show the difference).
- fake_quantize_affine: QuantizeLinear then DequantizeLinear (two nodes).
- choose_qparams_affine: DynamicQuantizeLinear's scale and zero point (u8,
  asymmetric, one block over the tensor); it has no eps floor.
- qlinear: QLinearMatMul(x, w^T); x and out 8-bit per tensor, w 8-bit per
  tensor or per output channel ([K, 1] -> b's per-column [K]); no bias (the
  op has none) and no activation.
- qconv2d: QLinearConv; w per tensor or per output channel ([O,1,1,1] ->
  [O]); the f32 bias is quantized to int32 at scale s_x * s_w (ONNX's
  convention; a known limitation, as PyTorch's).
- qadd, qmul: com.microsoft QLinearAdd / QLinearMul (ONNX Runtime only: the
  reference evaluator has no contrib ops), per-tensor 8-bit operands with
  numpy broadcasting.
Declined: invalid inputs (neither runtime validates in docs/validation-
order.md's order: error parity is not judged), NaN inputs (ONNX has no
error for them), the float zero-point domain, quant sub-ranges no ONNX type
has, activations.
--decline-known declines the inputs of the findings that
docs/real-backends.md records, so that a run judges everything else.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process_backend"))
from qdiff_process import FLT_MIN, Decline, check_params, f32_value, json_tensor, result, serve, values  # noqa: E402

NUMPY = {"f32": np.float32, "i8": np.int8, "u8": np.uint8, "i16": np.int16, "u16": np.uint16, "i32": np.int32}
ELEM = {"f32": TensorProto.FLOAT, "i8": TensorProto.INT8, "u8": TensorProto.UINT8, "i16": TensorProto.INT16,
        "u16": TensorProto.UINT16, "i32": TensorProto.INT32}
# (storage, quant_min, quant_max) -> the ONNX type with exactly that range.
# 32-bit quantized storage is DequantizeLinear's only (QuantizeLinear has no int32 output).
QUANT_TYPE = {("i8", -128, 127): TensorProto.INT8, ("u8", 0, 255): TensorProto.UINT8,
              ("i16", -32768, 32767): TensorProto.INT16, ("u16", 0, 65535): TensorProto.UINT16,
              ("i8", -8, 7): TensorProto.INT4, ("u8", 0, 15): TensorProto.UINT4,
              ("i8", -2, 1): TensorProto.INT2, ("u8", 0, 3): TensorProto.UINT2,
              ("i32", -2**31, 2**31 - 1): TensorProto.INT32}
SUB_BYTE = {TensorProto.INT4, TensorProto.UINT4, TensorProto.INT2, TensorProto.UINT2}
OPSET = 21  # QuantizeLinear's block_size and int4 / uint4 arrive in opset 21
OPSET_SUB_BYTE_2 = 25  # int2 / uint2


def array(t):
    if t["dtype"] not in NUMPY:
        raise Decline("tensor dtype " + t["dtype"])
    return np.array(values(t), dtype=NUMPY[t["dtype"]]).reshape(t["shape"])


def quant_type(p, op_types=None):
    """The ONNX type of PARAMS p (validated), optionally limited to op_types."""
    qmin, qmax = check_params(p)
    storage = p["dtype"] if p["dtype"] in NUMPY else {"i": "i8", "u": "u8"}[p["dtype"][0]]
    key = (storage, qmin, qmax)
    if key not in QUANT_TYPE or (op_types is not None and QUANT_TYPE[key] not in op_types):
        raise Decline("a quant range no ONNX type of this op has: {} [{}, {}]".format(*key))
    return QUANT_TYPE[key], storage


class Model:
    """One node (plus the exact Casts around sub-byte tensors) being built:
    every tensor a graph input with symbolic dims, so the serialized model is
    the node's signature."""

    def __init__(self):
        self.nodes, self.inputs, self.feeds, self.outputs = [], [], {}, []
        self.opset = OPSET
        self.contrib = False

    def feed(self, name, a, elem=None, storage=None):
        """A graph input `name` holding numpy array a as ONNX type elem
        (default: a's own type); sub-byte types are fed as their storage."""
        storage = storage or {np.dtype(v): k for k, v in NUMPY.items()}[a.dtype]
        elem = ELEM[storage] if elem is None else elem
        wire = name + "_storage" if elem in SUB_BYTE else name
        self.inputs.append(helper.make_tensor_value_info(wire, ELEM[storage], [None] * a.ndim))
        self.feeds[wire] = a.astype(NUMPY[storage])
        if elem in SUB_BYTE:
            self.cast(wire, name, elem)
        return name

    def cast(self, src, dst, elem):
        self.nodes.append(helper.make_node("Cast", [src], [dst], to=elem))
        if elem in (TensorProto.INT2, TensorProto.UINT2):
            self.opset = max(self.opset, OPSET_SUB_BYTE_2)

    def node(self, op, inputs, output, domain="", **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], domain=domain or None, **attrs))
        self.contrib = self.contrib or domain == "com.microsoft"
        return output

    def output(self, name, elem, storage):
        """Declares graph output `name` (ONNX type elem) read as storage."""
        if elem in SUB_BYTE:
            self.cast(name, name + "_storage", ELEM[storage])
            name += "_storage"
        self.outputs.append(helper.make_tensor_value_info(name, ELEM[storage], None))

    def proto(self):
        graph = helper.make_graph(self.nodes, "qdiff_case", self.inputs, self.outputs)
        opsets = [helper.make_opsetid("", self.opset)] + ([helper.make_opsetid("com.microsoft", 1)] if self.contrib else [])
        return helper.make_model(graph, opset_imports=opsets, ir_version=10)


class OnnxRuntime:
    """InferenceSessions cached by model signature; ORT's own errors
    (a configuration it refuses) become declines."""
    name = "onnxruntime"

    def __init__(self):
        import onnxruntime
        self.ort = onnxruntime
        self.name = "onnxruntime-" + onnxruntime.__version__
        self.sessions = {}
        self.refusals = (onnxruntime.capi.onnxruntime_pybind11_state.Fail,
                         onnxruntime.capi.onnxruntime_pybind11_state.InvalidGraph,
                         onnxruntime.capi.onnxruntime_pybind11_state.NotImplemented,
                         onnxruntime.capi.onnxruntime_pybind11_state.InvalidArgument)

    def session(self, model):
        options = self.ort.SessionOptions()
        options.graph_optimization_level = self.ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        return self.ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(self, m):
        key = m.proto().SerializeToString()
        if key not in self.sessions:
            if len(self.sessions) >= 512:  # signatures are few; bounds memory on a long fuzz run
                self.sessions.clear()
            self.sessions[key] = self.session(key)
        return self.sessions[key].run(None, m.feeds)


class ReferenceEvaluator:
    """onnx.reference.ReferenceEvaluator, cached the same way. It raises
    plain Python errors for what it refuses, so only a refusal while
    building the evaluator is declined; an exception while running a model
    it accepted propagates (the backend exits and qdiff reports a crash)."""

    def __init__(self):
        from onnx.reference import ReferenceEvaluator as Evaluator
        self.evaluator = Evaluator
        self.name = "onnx-reference-" + onnx.__version__
        self.sessions = {}
        self.refusals = ()

    def run(self, m):
        if m.contrib:
            raise Decline("the reference evaluator has no com.microsoft ops")
        key = m.proto().SerializeToString()
        if key not in self.sessions:
            try:
                self.sessions[key] = self.evaluator(m.proto())
            except (ValueError, TypeError, NotImplementedError, RuntimeError) as e:
                raise Decline("onnx.reference: " + str(e).splitlines()[0][:200]) from e
        return self.sessions[key].run(None, m.feeds)


# --- quantize / dequantize ------------------------------------------------

def block_sizes(in_shape, scale_shape, explicit):
    """qdiff's block size per dim (SPEC section 2); declines shapes the spec rejects."""
    if len(scale_shape) != len(in_shape) or min(scale_shape, default=1) < 1:
        raise Decline("a scale shape the spec rejects")
    if explicit is not None:
        if len(explicit) != len(in_shape) or min(explicit, default=1) < 1 or any(
                s != -(-d // b) for d, s, b in zip(in_shape, scale_shape, explicit)):
            raise Decline("an explicit block_size the spec rejects")
        return list(explicit)
    if any((d % s if d else s != 1) for d, s in zip(in_shape, scale_shape)):
        raise Decline("a non-divisible block the spec rejects")
    return [d // s if d else 1 for d, s in zip(in_shape, scale_shape)]


def onnx_layout(in_shape, scale, zp, explicit):
    """qdiff's full-rank scale (and zero point) as ONNX's: (scale, zp, attrs)
    with a scalar scale (per-tensor), a 1-D scale and `axis` (per-axis), or a
    scale of the input's shape but one dim and `axis` + `block_size`
    (blocked). A dim whose scale dim is 1 is one block over the whole dim:
    ONNX spells it out by repeating the scale along it."""
    if explicit is not None or scale.size != 1:
        blocks = block_sizes(list(in_shape), list(scale.shape), explicit)  # declines what the spec rejects
    if scale.size == 1:
        return scale.reshape([]), zp.reshape([]), {}
    blocked = [i for i, (d, s) in enumerate(zip(in_shape, scale.shape)) if s not in (1, d)]
    full = [i for i, (d, s) in enumerate(zip(in_shape, scale.shape)) if s == d and s > 1]
    if len(blocked) > 1:
        raise Decline("blocks along two dims (2-D tiles): ONNX blocks along one axis")
    if not blocked and len(full) == 1:
        return scale.reshape(-1), zp.reshape(-1), {"axis": full[0]}
    # Blocked: along the blocked dim, or with block 1 along the first full dim
    # when every dim is full or broadcast (an elementwise-like layout).
    axis = blocked[0] if blocked else full[0]
    spelt = [s if i == axis else d for i, (d, s) in enumerate(zip(in_shape, scale.shape))]
    return (np.ascontiguousarray(np.broadcast_to(scale, spelt)), np.ascontiguousarray(np.broadcast_to(zp, spelt)),
            {"axis": axis, "block_size": blocks[axis]})


def qdq_params(m, c, in_shape, elem, storage):
    """Feeds the case's scale and zero point in ONNX's layout; returns the
    input names and the node attributes."""
    scale = array(c["scale"])
    zp = array(c["zero_point"]) if c.get("zero_point") else np.zeros(scale.shape, NUMPY[storage])
    scale, zp, attrs = onnx_layout(in_shape, scale, zp.astype(NUMPY[storage]), c.get("block_size"))
    return [m.feed("scale", scale), m.feed("zero_point", zp, elem, storage)], attrs


def affine_input(c, storage_dtype):
    x = array(c["input"])
    if c["input"]["dtype"] != storage_dtype:
        raise Decline("input dtype {} for this op".format(c["input"]["dtype"]))
    return x


def beyond_int32(x, scale):
    """Whether some |x / s| reaches 2^31 (infinities included): onnx.reference
    converts rint(x / s) to int32 before it clamps (the conversion wraps)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return bool((np.abs(x.astype(np.float64)) / scale.astype(np.float64).min() >= 2.0**31).any())


def quantize_model(c, args, ops):
    """QuantizeLinear, then DequantizeLinear when ops has both."""
    if c.get("contract", "torchao") not in args.claim_contract:
        raise Decline("quantize is ONNX's contract (x / s, half to even), qdiff's `onnx`")
    x = affine_input(c, "f32")
    if np.isnan(x).any():
        raise Decline("NaN input (ONNX has no error for it)")
    elem, storage = quant_type(c)
    if elem == TensorProto.INT32:
        raise Decline("QuantizeLinear has no int32 output")
    if args.decline_known and args.runtime == "reference" and beyond_int32(x, array(c["scale"])):
        raise Decline("known bug: onnx.reference wraps rint(x / s) beyond int32 before clamping")
    m = Model()
    params, attrs = qdq_params(m, c, x.shape, elem, storage)
    q = m.node("QuantizeLinear", [m.feed("x", x)] + params, "q", **attrs)
    if "DequantizeLinear" not in ops:
        m.output(q, elem, storage)
        return m, storage
    m.node("DequantizeLinear", [q] + params, "y", **attrs)
    m.output("y", TensorProto.FLOAT, "f32")
    return m, "f32"


def dequantize_model(c, args):
    elem, storage = quant_type(c)
    if args.decline_known and elem == TensorProto.INT32:
        raise Decline("known: int32 q - z is computed in integers (ONNX Runtime: wrapping) or double, not f32")
    q = affine_input(c, storage)
    if elem in SUB_BYTE and q.size and not check_params(c)[0] <= q.min() <= q.max() <= check_params(c)[1]:
        raise Decline("a stored value a sub-byte ONNX tensor cannot hold")
    m = Model()
    params, attrs = qdq_params(m, c, q.shape, elem, storage)
    m.node("DequantizeLinear", [m.feed("x", q, elem, storage)] + params, "y", **attrs)
    m.output("y", TensorProto.FLOAT, "f32")
    return m, "f32"


def choose_qparams_model(c, args):
    """DynamicQuantizeLinear's scale and zero point: u8, asymmetric, one
    block over the tensor. ONNX: scale = (max(x_max, 0) - min(x_min, 0)) / 255,
    zero point = saturate(round(0 - min / scale)), SPEC section 6's
    asymmetric mapping for [0, 255] but for the eps floor."""
    x = affine_input(c, "f32")
    if c.get("mapping") != "asymmetric" or c.get("zero_point_domain", "int") != "int":
        raise Decline("DynamicQuantizeLinear: the asymmetric mapping, int domain")
    if (c["dtype"], c.get("quant_min", 0), c.get("quant_max", 255)) != ("u8", 0, 255):
        raise Decline("DynamicQuantizeLinear: u8 over [0, 255] only")
    if c.get("block_size") is not None and list(c["block_size"]) != list(x.shape):
        raise Decline("DynamicQuantizeLinear: one block over the tensor only")
    if x.size == 0 or not np.isfinite(x).all():
        raise Decline("an empty or non-finite input")
    eps = np.float32(f32_value(c.get("eps", FLT_MIN)))
    if not (np.isfinite(eps) and eps > 0):
        raise Decline("an eps the spec rejects")
    span = np.float32(max(x.max(), np.float32(0)) - min(x.min(), np.float32(0)))
    if args.decline_known and np.float32(span / np.float32(255)) < eps:
        raise Decline("known contract difference: no eps floor under the scale")
    m = Model()
    m.nodes.append(helper.make_node("DynamicQuantizeLinear", [m.feed("x", x)], ["y", "scale", "zero_point"]))
    m.output("scale", TensorProto.FLOAT, "f32")
    m.output("zero_point", TensorProto.UINT8, "u8")
    full_rank = [1] * x.ndim  # qdiff's scale and zero point have the input's rank

    def outputs(ys):
        return {"format": "qdiff-result", "version": 1,
                "outputs": {"scale": json_tensor("f32", full_rank, ys[0].reshape(-1).tolist()),
                            "zero_point": json_tensor("i32", full_rank, ys[1].reshape(-1).tolist())}}
    return m, outputs


# --- fused operators ------------------------------------------------------

EIGHT_BIT = (TensorProto.INT8, TensorProto.UINT8)


def per_tensor(m, name, p, shape):
    """Feeds per-tensor 8-bit PARAMS as scalars; returns (scale, zp) input names and the storage."""
    elem, storage = quant_type(p, EIGHT_BIT)
    scale = array(p["scale"])
    if scale.size != 1 or p.get("block_size") is not None:
        raise Decline(name + ": ONNX's QLinear ops take this operand per tensor")
    zp = array(p["zero_point"]) if p.get("zero_point") else np.zeros([], NUMPY[storage])
    return [m.feed(name + "_scale", scale.reshape([])), m.feed(name + "_zero_point", zp.reshape([]).astype(NUMPY[storage]))], storage


def operand(m, name, c, params_name):
    """Feeds quantized operand c[name] with per-tensor params; returns the three input names."""
    t = array(c[name])
    params, storage = per_tensor(m, name, c[params_name], t.shape)
    if c[name]["dtype"] != storage:
        raise Decline(name + " dtype differs from its params' dtype")
    return [m.feed(name, t)] + params


def weight_params(m, c, w):
    """w's params per tensor, or per output channel (scale [K, 1, ...] -> [K])."""
    k = w.shape[0]
    p = c["w_params"]
    elem, storage = quant_type(p, EIGHT_BIT)
    scale = array(p["scale"])
    zp = array(p["zero_point"]) if p.get("zero_point") else np.zeros(scale.shape, NUMPY[storage])
    if p.get("block_size") is not None or scale.size != 1 and (scale.ndim != w.ndim or scale.shape[0] != k or scale.size != k):
        raise Decline("weights per tensor or per output channel only")
    shape = [] if scale.size == 1 else [k]
    return [m.feed("w_scale", scale.reshape(shape)), m.feed("w_zero_point", zp.reshape(shape).astype(NUMPY[storage]))], storage, scale.reshape(-1)


def no_activation(c):
    if c.get("activation", {}).get("kind", "none") != "none":
        raise Decline("activations: ONNX's QLinear ops have none")


def dot_params(m, c, w):
    """qlinear's and qconv2d's params: x's three inputs, w's scale and zero
    point, w's scales (flat), out's scale and zero point, out's storage."""
    xs = operand(m, "x", c, "x_params")
    wp, w_storage, w_scales = weight_params(m, c, w)
    if c["w"]["dtype"] != w_storage:
        raise Decline("w dtype differs from its params' dtype")
    out, out_storage = per_tensor(m, "out", c["out_params"], [])
    return xs, wp, w_scales, out, out_storage


def qlinear_model(c):
    no_activation(c)
    if c.get("bias"):
        raise Decline("QLinearMatMul has no bias input")
    x, w = array(c["x"]), array(c["w"])
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise Decline("shapes the spec rejects")
    m = Model()
    xs, wp, _, out, out_storage = dot_params(m, c, w)
    # qdiff's w is [K, In] (y = x w^T); QLinearMatMul's b is [In, K], per column.
    m.node("QLinearMatMul", xs + [m.feed("w", np.ascontiguousarray(w.T))] + wp + out, "y")
    m.output("y", ELEM[out_storage], out_storage)
    return m, out_storage


def quantized_bias(c, x_scale, w_scales, k):
    """ONNX's int32 bias: round(b / (s_x s_w[k])) (half to even, in double),
    zero point 0. Declines a bias the spec rejects or int32 cannot hold."""
    b = array(c["bias"])
    if c["bias"]["dtype"] != "f32" or list(b.shape) != [k] or not np.isfinite(b).all():
        raise Decline("a bias the spec rejects, or infinite")
    q = np.round(b.astype(np.float64) / (np.float64(x_scale) * np.broadcast_to(w_scales.astype(np.float64), [k])))
    if np.abs(q).max(initial=0) >= 2**31:
        raise Decline("a bias beyond int32 at scale s_x s_w")
    return q.astype(np.int32)


def conv_attributes(c, w):
    pads = c.get("padding", [0, 0, 0, 0])
    pads = pads * 2 if len(pads) == 2 else pads
    strides, dilations, groups = c.get("stride", [1, 1]), c.get("dilation", [1, 1]), c.get("groups", 1)
    if min(pads) < 0 or min(strides + dilations) < 1 or groups < 1:
        raise Decline("conv attributes the spec rejects")
    return {"pads": pads, "strides": strides, "dilations": dilations, "group": groups,
            "kernel_shape": list(w.shape[2:])}


def qconv2d_model(c, decline_known):
    no_activation(c)
    x, w = array(c["x"]), array(c["w"])
    attrs = conv_attributes(c, w)
    if (x.ndim != 4 or w.ndim != 4 or x.shape[1] % attrs["group"] or w.shape[0] % attrs["group"]
            or w.shape[1] * attrs["group"] != x.shape[1]):
        raise Decline("conv shapes the spec rejects")
    m = Model()
    xs, wp, w_scales, out, out_storage = dot_params(m, c, w)
    inputs = xs + [m.feed("w", w)] + wp + out
    if c.get("bias"):
        if decline_known:
            raise Decline("known limitation: the bias is quantized to int32 at scale s_x s_w")
        inputs.append(m.feed("bias", quantized_bias(c, array(c["x_params"]["scale"]).reshape(-1)[0], w_scales, w.shape[0])))
    m.node("QLinearConv", inputs, "y", **attrs)
    m.output("y", ELEM[out_storage], out_storage)
    return m, out_storage


def elementwise_model(c):
    no_activation(c)
    try:
        np.broadcast_shapes(tuple(c["a"]["shape"]), tuple(c["b"]["shape"]))
    except ValueError:
        raise Decline("operand shapes that do not broadcast (the spec rejects them)") from None
    m = Model()
    ins = operand(m, "a", c, "a_params") + operand(m, "b", c, "b_params")
    out, out_storage = per_tensor(m, "out", c["out_params"], [])
    op = {"qadd": "QLinearAdd", "qmul": "QLinearMul"}[c["op"]]
    m.node(op, ins + out, "y", domain="com.microsoft")
    m.output("y", ELEM[out_storage], out_storage)
    return m, out_storage


# --- the backend ----------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=["onnxruntime", "reference"], default="onnxruntime")
    parser.add_argument("--decline-known", action="store_true",
                        help="decline the inputs of the findings docs/real-backends.md records")
    parser.add_argument("--claim-contract", action="append", default=["onnx"], metavar="NAME",
                        help="also answer quantize cases of this qdiff contract (default: onnx only)")
    args = parser.parse_args()
    runtime = OnnxRuntime() if args.runtime == "onnxruntime" else ReferenceEvaluator()

    def answered(build):
        def op(c):
            # A build gives the output's storage name, or a function of all
            # outputs for an op with several (choose_qparams).
            m, out = build(c)
            ys = runtime.run(m)
            return out(ys) if callable(out) else result(out, ys[0].shape, ys[0].reshape(-1).tolist())
        return op

    ops = {"quantize_affine": lambda c: quantize_model(c, args, ["QuantizeLinear"]),
           "dequantize_affine": lambda c: dequantize_model(c, args),
           "fake_quantize_affine": lambda c: quantize_model(c, args, ["QuantizeLinear", "DequantizeLinear"]),
           "choose_qparams_affine": lambda c: choose_qparams_model(c, args),
           "qlinear": qlinear_model,
           "qconv2d": lambda c: qconv2d_model(c, args.decline_known),
           "qadd": elementwise_model, "qmul": elementwise_model}
    if args.runtime == "reference":
        del ops["qadd"], ops["qmul"]  # com.microsoft ops: ONNX Runtime's only
    serve(runtime.name, {name: answered(build) for name, build in ops.items()}, refusals=runtime.refusals)


if __name__ == "__main__":
    main()
