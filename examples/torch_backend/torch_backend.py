#!/usr/bin/python3
"""PyTorch's quantized operators as a qdiff process backend.

    qdiff check --backend-cmd "/usr/bin/python3 examples/torch_backend/torch_backend.py qnnpack [--decline-known] [--claim-spec-contract]"

Debian's python3-torch (1.13) is imported from Debian's own interpreter
(/usr/bin/python3; a python3 earlier on PATH may not see it). The argument
picks the quantized engine: qnnpack or onednn. The protocol is
docs/process-protocol.md: one case file per line in, one qdiff-result (or
{"unsupported": why}) per line out.

Mapped (SPEC sections 4-8 onto torch):
- quantize_affine: quantize_per_tensor / quantize_per_channel (the scale's
  one varying dim is the axis); storage i8, u8, i32 with the storage's
  whole range (torch saturates to the dtype);
- dequantize_affine: the same quantized tensors made from the integers,
  then .dequantize();
- fake_quantize_affine: fake_quantize_per_tensor_affine /
  fake_quantize_per_channel_affine (any quant range torch accepts);
- qlinear: quantized::linear_prepack + quantized::linear (and linear_relu),
  x and out i8 or u8 per tensor over the whole range (i8 re-encoded as u8
  with zero point + 128), w i8 per tensor or per channel [K, 1];
- qconv2d: quantized::conv2d_prepack + conv2d (conv2d_relu); torch pads
  symmetrically, so the uneven part of a padding is added to x beforehand
  with its zero point (the real 0 of SPEC section 8);
- qadd, qmul: quantized::add / mul (add_relu / mul_relu), operands and
  output as qlinear's x.
Accumulation contract of qlinear / qconv2d (core/qlinear_contract.h; the
hello says "reads": ["qlinear_contract"]): qnnpack quantizes the f32 bias to
int32 at scale sx * sw (quantize_per_tensor / quantize_per_channel to
kQInt32 in its prepack) and adds it to the accumulator: bias int32_acc;
its requantization adds the output zero point after rounding. onednn
keeps the f32 bias (bias float) and adds the output zero point in f32
before rounding (output_zero_point before_rounding), as oneDNN's own
matmul does. Both measured on the hand-worked ties of
corpus/regressions/qlinear_contract/. A case under another contract is
declined (a case without a bias under either bias grid is answered: the
grid is then unused). --claim-spec-contract claims SPEC section 8's
default (float, after_rounding) instead, which shows the difference.
Declined: per-group and blockwise layouts, sub-ranges torch cannot express,
the float and none zero-point domains, the onnx / half_away / zp_before
contracts, clamp activations, and every invalid input (torch does not
validate the way SPEC section 10 orders errors, so error parity is not
judged here).
"""
import math
import os
import sys

# torch's glog warnings (a quantized add with broadcasting warns that it
# resized its own internal output) would flood qdiff's stderr; errors stay.
os.environ.setdefault("GLOG_minloglevel", "2")
import torch  # noqa: E402 (after the logging level)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process_backend"))
from qdiff_process import FLT_MIN, Decline, serve, values  # noqa: E402  (the shared protocol plumbing)
import qdiff_process  # noqa: E402
STORAGE = {"i8": (torch.qint8, -128, 127), "u8": (torch.quint8, 0, 255), "i32": (torch.qint32, -2**31, 2**31 - 1)}
INT_DTYPES = {"i8": torch.int8, "u8": torch.uint8, "i16": torch.int16, "i32": torch.int32}


# --decline-known: decline the inputs of the findings docs/real-backends.md
# records, so that a run judges everything else.
DECLINE_KNOWN = "--decline-known" in sys.argv[2:]
CLAIM_SPEC_CONTRACT = "--claim-spec-contract" in sys.argv[2:]
SPEC_CONTRACT = {"bias": "float", "output_zero_point": "after_rounding"}
ENGINE_CONTRACTS = {"qnnpack": {"bias": "int32_acc", "output_zero_point": "after_rounding"},
                    "onednn": {"bias": "float", "output_zero_point": "before_rounding"}}


def tensor(t):
    if t["dtype"] != "f32" and t["dtype"] not in INT_DTYPES:
        raise Decline("tensor dtype " + t["dtype"])
    return torch.tensor(values(t), dtype=torch.float32 if t["dtype"] == "f32" else INT_DTYPES[t["dtype"]]).reshape(t["shape"])


class Params:
    """A per-tensor (axis None) or per-channel params object, validated."""

    def __init__(self, p, shape):
        if p.get("block_size") or p.get("zero_point_domain", "int") != "int" or p["dtype"] not in STORAGE:
            raise Decline("layout, domain or dtype")
        self.qdtype, lo, hi = STORAGE[p["dtype"]]
        self.quant_min, self.quant_max = p.get("quant_min", lo), p.get("quant_max", hi)
        self.full_range = (self.quant_min, self.quant_max) == (lo, hi)
        if DECLINE_KNOWN and self.qdtype == torch.qint32:
            raise Decline("contract difference: i32 storage, torch's zero-point arithmetic is not f32's")
        scale = tensor(p["scale"])
        if p.get("zero_point") and p["zero_point"]["dtype"] == "f32":
            raise Decline("an f32 zero point in the int domain (the spec rejects it)")
        zp = tensor(p["zero_point"]) if p.get("zero_point") else torch.zeros(scale.shape, dtype=torch.int32)
        if zp.shape != scale.shape or not lo <= self.quant_min <= self.quant_max <= hi:
            raise Decline("params the spec rejects")
        if not all(math.isfinite(s) and s >= FLT_MIN for s in scale.flatten().tolist()):
            raise Decline("invalid scale")
        if not all(self.quant_min <= z <= self.quant_max for z in zp.flatten().tolist()):
            raise Decline("invalid zero point")
        self.axis = None
        if scale.numel() != 1:
            varying = [d for d in range(scale.dim()) if scale.shape[d] != 1]
            if scale.dim() != len(shape) or len(varying) != 1 or scale.shape[varying[0]] != shape[varying[0]]:
                raise Decline("not per-tensor or per-channel")
            self.axis = varying[0]
        self.scales = scale.flatten().double()
        self.zero_points = zp.flatten().long()

    def quantize(self, x):
        if self.axis is None:
            return torch.quantize_per_tensor(x, float(self.scales[0]), int(self.zero_points[0]), self.qdtype)
        return torch.quantize_per_channel(x, self.scales, self.zero_points, self.axis, self.qdtype)

    def from_int(self, q):
        if self.axis is None:
            return torch._make_per_tensor_quantized_tensor(q, float(self.scales[0]), int(self.zero_points[0]))
        return torch._make_per_channel_quantized_tensor(q, self.scales, self.zero_points, self.axis)


class Activation:
    """Per-tensor i8 or u8 activations with the whole storage range, as the
    quint8 tensors torch's quantized ops take: an i8 tensor is the same real
    values as the u8 tensor q + 128 with zero point z + 128 (an exact
    re-encoding, no arithmetic on values)."""

    def __init__(self, p, shape):
        params = Params(p, shape)
        if params.axis is not None or params.qdtype == torch.qint32 or not params.full_range:
            raise Decline("torch's quantized ops take per-tensor 8-bit activations over the whole range")
        self.name = p["dtype"]
        self.shift = 128 if params.qdtype == torch.qint8 else 0
        self.scale, self.zero_point = float(params.scales[0]), int(params.zero_points[0]) + self.shift

    def from_int(self, q):
        return self.from_uint8((q.int() + self.shift).to(torch.uint8))

    def from_uint8(self, q):
        return torch._make_per_tensor_quantized_tensor(q, self.scale, self.zero_point)

    def result(self, y):
        return result(self.name, y.int_repr().int() - self.shift)


def activation_suffix(case):
    kind = case.get("activation", {}).get("kind", "none")
    if kind == "clamp":
        raise Decline("clamp activation")
    return "_relu" if kind == "relu" else ""


def result(name, t):
    return qdiff_process.result(name, list(t.shape), t.flatten().tolist())


def beyond_int64(x, p):
    """Whether some x * (1/s) lies outside int64 (infinities included), where
    torch converts without saturating."""
    inv = (1.0 / p.scales).max().item()
    return bool((x.double().abs() * inv >= 2.0 ** 63).any())


def quantize(c):
    x = tensor(c["input"])
    p = Params(c, list(x.shape))
    if c.get("contract", "torchao") != "torchao" or not p.full_range or x.dtype != torch.float32 or x.isnan().any():
        raise Decline("contract, range, dtype or NaN")
    if DECLINE_KNOWN and beyond_int64(x, p):
        raise Decline("known bug: |x / s| beyond the int64 range quantizes to the wrong end")
    return result(c["dtype"], p.quantize(x).int_repr())


def dequantize(c):
    q = tensor(c["input"])
    p = Params(c, list(q.shape))
    if q.dtype != {torch.qint8: torch.int8, torch.quint8: torch.uint8, torch.qint32: torch.int32}[p.qdtype]:
        raise Decline("input dtype")
    return result("f32", p.from_int(q).dequantize())


def fake_quantize(c):
    x = tensor(c["input"])
    p = Params(c, list(x.shape))
    if c.get("contract", "torchao") != "torchao" or x.dtype != torch.float32 or x.isnan().any():
        raise Decline("contract, dtype or NaN")
    if DECLINE_KNOWN and beyond_int64(x, p):
        raise Decline("known bug: |x / s| beyond the int64 range quantizes to the wrong end")
    if p.axis is None:
        y = torch.fake_quantize_per_tensor_affine(x, float(p.scales[0]), int(p.zero_points[0]), p.quant_min, p.quant_max)
    else:
        y = torch.fake_quantize_per_channel_affine(x, p.scales.float(), p.zero_points.int(), p.axis, p.quant_min, p.quant_max)
    return result("f32", y)


def weight(c):
    w = tensor(c["w"])
    p = Params(c["w_params"], list(w.shape))
    if p.qdtype != torch.qint8 or not p.full_range or p.axis not in (None, 0):
        raise Decline("weights: i8 per tensor or per output channel")
    return p.from_int(w)


def claimed_contract():
    return SPEC_CONTRACT if CLAIM_SPEC_CONTRACT else ENGINE_CONTRACTS[torch.backends.quantized.engine]


def follow_contract(c):
    """Declines a qlinear / qconv2d case whose accumulation contract this
    engine does not follow."""
    wanted, claimed = c.get("qlinear_contract", {}), claimed_contract()
    if wanted.get("output_zero_point", "after_rounding") != claimed["output_zero_point"]:
        raise Decline("contract: output zero point " + claimed["output_zero_point"] + " only")
    if c.get("bias") and wanted.get("bias", "float") != claimed["bias"]:
        raise Decline("contract: bias " + claimed["bias"] + " only")


def bias(c, k, w, x_scale, depth):
    if not c.get("bias"):
        return None
    b = tensor(c["bias"])
    if b.dtype != torch.float32 or list(b.shape) != [k] or b.isnan().any():
        raise Decline("bias")
    if DECLINE_KNOWN and accumulator_may_wrap(b, w, x_scale, depth):
        raise Decline("known bug: the int32 accumulator wraps when bias + sum passes 2^31")
    return b


def weight_scales(w):
    """A quantized weight's scales: one per output channel, or one."""
    return w.q_per_channel_scales() if w.qscheme() == torch.per_channel_affine else torch.tensor([w.q_scale()])


def accumulator_may_wrap(b, w, x_scale, depth):
    """Whether qnnpack's int32 accumulator (the int32 bias plus depth products
    of |q - z| <= 255 each) can pass 2^31: it adds without saturating."""
    scales = weight_scales(w)
    grid = float(scales.double().min()) * x_scale
    return float(b.double().abs().max()) / grid + depth * 255 * 255 >= 2.0 ** 31


def real(q):
    """A quantized tensor's real values in double: (q - z) s, exact."""
    if q.qscheme() == torch.per_channel_affine:
        shape = [-1] + [1] * (q.dim() - 1)
        z = q.q_per_channel_zero_points().double().reshape(shape)
        s = q.q_per_channel_scales().double().reshape(shape)
    else:
        z, s = float(q.q_zero_point()), float(q.q_scale())
    return (q.int_repr().double() - z) * s


def decline_reencoded_near_tie(y, op):
    """An i8 output is the u8 tensor q + 128 with zero point z + 128: exact
    when the zero point is added after rounding, but an engine that adds it
    in f32 before rounding (onednn) rounds that sum at the u8 encoding's
    larger magnitude, which can land on a tie the i8 sum misses
    (14.499993 + 1 = 15.499993 in f32, + 129 = 143.5: 16 where 15 is
    right). Such a case says nothing about torch and is declined: when
    f32(v + z) and f32(v + z + 128) - 128 round apart for v = f32(y / s)
    or either f32 neighbour of it (the engine's own f32 steps may differ
    from this one by an ulp). y: the ideal result in double."""
    if op.shift == 0 or claimed_contract()["output_zero_point"] != "before_rounding":
        return
    v = (y / op.scale).float()
    z = op.zero_point - op.shift  # the i8 zero point
    for u in (v, torch.nextafter(v, v - 1), torch.nextafter(v, v + 1)):
        as_i8 = torch.round(u + z)
        as_u8 = torch.round(u + (z + op.shift)) - op.shift
        if bool((as_i8 != as_u8).any()):
            raise Decline("an i8 output re-encoded as u8 rounds apart when z is added in f32 before rounding")


def requantization_may_pass_int32(b, w, x_scale, depth, out_scale):
    """Whether y / s_out can reach 2^31 (a bound: the bias plus depth
    products of |q - z| <= 255 at the largest weight scale). qnnpack's x86
    requantization converts it to int32 without saturating (-2^31, the
    wrong end)."""
    scales = weight_scales(w)
    bias_max = float(b.double().abs().max()) if b is not None else 0.0
    y_max = bias_max + depth * 255 * 255 * x_scale * float(scales.double().max())
    return y_max / out_scale >= 2.0 ** 31


def decline_known_requantization(b, w, x_scale, depth, out_scale):
    if (DECLINE_KNOWN and torch.backends.quantized.engine == "qnnpack"
            and requantization_may_pass_int32(b, w, x_scale, depth, out_scale)):
        raise Decline("known bug: qnnpack's requantization wraps when y / s_out passes 2^31")


# onednn (torch 1.13) keeps the output zero point of the first call in a
# cached primitive: a later call that differs from it only in the output
# zero point gets the old one (corpus/regressions/torch/onednn_cached_zero_point/).
# Under --decline-known such calls are declined; the cache key is taken
# wide (shapes, geometry, scales, x zero point, activation).
FIRST_OUTPUT_ZERO_POINT = {}


def decline_known_cached_zero_point(key, out_zero_point):
    if not DECLINE_KNOWN or torch.backends.quantized.engine != "onednn":
        return
    first = FIRST_OUTPUT_ZERO_POINT.setdefault(key, out_zero_point)
    if first != out_zero_point:
        raise Decline("known bug: onednn reuses the output zero point of an earlier call with the same primitive")


def qlinear(c):
    x, w_int = tensor(c["x"]), tensor(c["w"])
    if w_int.dim() != 2 or x.dim() < 1 or x.shape[-1] != w_int.shape[1]:
        raise Decline("shapes")
    follow_contract(c)
    xp, op = Activation(c["x_params"], list(x.shape)), Activation(c["out_params"], [])
    w = weight(c)
    b = bias(c, w_int.shape[0], w, xp.scale, w_int.shape[1])
    decline_known_requantization(b, w, xp.scale, w_int.shape[1], op.scale)
    decline_known_cached_zero_point(("linear", tuple(x.shape), tuple(w_int.shape), xp.scale, xp.zero_point, op.scale,
                                     activation_suffix(c)), op.zero_point)
    qx = xp.from_int(x)
    decline_reencoded_near_tie(real(qx) @ real(w).t() + (b.double() if b is not None else 0.0), op)
    packed = torch.ops.quantized.linear_prepack(w, b)
    linear = getattr(torch.ops.quantized, "linear" + activation_suffix(c))
    return op.result(linear(qx, packed, op.scale, op.zero_point))


def qconv2d(c):
    x, w_int = tensor(c["x"]), tensor(c["w"])
    top, left, bottom, right = c.get("padding", [0, 0, 0, 0]) * (2 if len(c.get("padding", [])) == 2 else 1)
    stride, dilation, groups = c.get("stride", [1, 1]), c.get("dilation", [1, 1]), c.get("groups", 1)
    if (x.dim() != 4 or w_int.dim() != 4 or min(top, left, bottom, right) < 0 or min(stride + dilation) < 1
            or groups < 1 or x.shape[1] % groups or w_int.shape[0] % groups or w_int.shape[1] * groups != x.shape[1]):
        raise Decline("conv shapes the spec rejects")  # torch's prepack divides by groups unchecked (SIGFPE)
    follow_contract(c)
    xp, op = Activation(c["x_params"], list(x.shape)), Activation(c["out_params"], [])
    # torch pads symmetrically ([ph, pw]); the uneven rest is padded here with
    # the zero point, which is the real 0 SPEC section 8 pads with.
    ph, pw = min(top, bottom), min(left, right)
    qx = xp.from_int(x)
    if (top, left) != (bottom, right):
        extra = (left - pw, right - pw, top - ph, bottom - ph)
        qx = xp.from_uint8(torch.nn.functional.pad(qx.int_repr(), extra, value=xp.zero_point))
    w = weight(c)
    depth = w_int.shape[1] * w_int.shape[2] * w_int.shape[3]
    b = bias(c, w_int.shape[0], w, xp.scale, depth)
    decline_known_requantization(b, w, xp.scale, depth, op.scale)
    decline_known_cached_zero_point(("conv2d", tuple(qx.shape), tuple(w_int.shape), tuple(stride), (ph, pw),
                                     tuple(dilation), groups, xp.scale, xp.zero_point, op.scale, activation_suffix(c)),
                                    op.zero_point)
    decline_reencoded_near_tie(torch.nn.functional.conv2d(real(qx), real(w), b.double() if b is not None else None,
                                                          stride, [ph, pw], dilation, groups), op)
    packed = torch.ops.quantized.conv2d_prepack(w, b, stride, [ph, pw], dilation, groups)
    conv = getattr(torch.ops.quantized, "conv2d" + activation_suffix(c))
    return op.result(conv(qx, packed, op.scale, op.zero_point))


def add_shift_overflows(sa, sb, so):
    """qnnpack's add accepts each input-to-output scale ratio from 2^-14 on,
    but its x86 parameters shift by 21 - exponent(the larger ratio), which
    is 32 or more below 2^-10 (a 32-bit shift: undefined). Ratios in f32 as
    qnnpack computes them."""
    if torch.backends.quantized.engine != "qnnpack":
        return False
    ratio = max(float(torch.tensor(sa / so, dtype=torch.float32)), float(torch.tensor(sb / so, dtype=torch.float32)))
    return ratio < 2.0 ** -10


def elementwise(c):
    a, b = tensor(c["a"]), tensor(c["b"])
    ap, bp = Activation(c["a_params"], list(a.shape)), Activation(c["b_params"], list(b.shape))
    op = Activation(c["out_params"], [])
    if DECLINE_KNOWN and c["op"] == "qadd" and add_shift_overflows(ap.scale, bp.scale, op.scale):
        raise Decline("known bug: qnnpack's x86 add takes scale ratios in [2^-14, 2^-10) with a shift >= 32")
    fn = getattr(torch.ops.quantized, {"qadd": "add", "qmul": "mul"}[c["op"]] + activation_suffix(c))
    return op.result(fn(ap.from_int(a), bp.from_int(b), op.scale, op.zero_point))


OPS = {"quantize_affine": quantize, "dequantize_affine": dequantize, "fake_quantize_affine": fake_quantize,
       "qlinear": qlinear, "qconv2d": qconv2d, "qadd": elementwise, "qmul": elementwise}


def main():
    torch.backends.quantized.engine = sys.argv[1] if len(sys.argv) > 1 else "qnnpack"
    torch.set_num_threads(1)
    # torch refusing a configuration (RuntimeError) is declined, the reason said.
    # It reads qlinear_contract: each engine declares its accumulation contract.
    serve("torch-" + torch.backends.quantized.engine, OPS, refusals=(RuntimeError,), reads=("qlinear_contract",))


if __name__ == "__main__":
    main()
