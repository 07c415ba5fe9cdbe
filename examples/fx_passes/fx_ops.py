"""The call_function targets of the fx port, written like ExecuTorch's
quantized ops: the legacy per-channel ops take a 1-D scale and an axis
(quantized_decomposed.quantize_per_channel), the affine ops a block_size
and a scale whose shape encodes the layout (torchao's quantize_affine);
float ops are aten ops. The passes read only their arguments; the bodies
make the GraphModule executable for shape propagation (ShapeProp on zero
inputs), and raise where a shape is invalid (the pass then leaves the
graph alone). qdiff judges the passes' output graphs, not these bodies.
"""
import torch
import torch.nn.functional as F

# qdiff storage dtypes as torch tensors (torch 1.13 has no uint16: u16 is
# held in int32, and the JSON side remembers the name).
STORAGE = {"f32": torch.float32, "i8": torch.int8, "u8": torch.uint8, "i16": torch.int16, "u16": torch.int32,
           "i32": torch.int32}


def spread(t, shape, block_size=None):
    """A scale or zero point repeated to one value per element (SPEC section 2)."""
    if t.numel() == 1:
        return t.reshape(()).expand(shape)
    if t.dim() != len(shape):
        raise ValueError("scale rank %d, input rank %d" % (t.dim(), len(shape)))
    for d, n in enumerate(shape):
        block = block_size[d] if block_size else (n // t.shape[d] if t.shape[d] and n % t.shape[d] == 0 else 0)
        if n == 0 or block < 1:
            raise ValueError("dim %d: scale %d does not divide %d" % (d, t.shape[d], n))
        t = t.repeat_interleave(block, dim=d).narrow(d, 0, n)
    return t


def full_rank(t, rank, axis):
    """A legacy 1-D [C] scale viewed as [1, .., C, .., 1] (C at `axis`)."""
    a = axis + rank if axis < 0 else axis
    if t.dim() != 1 or not 0 <= a < rank:
        raise ValueError("legacy scale must be 1-D with an axis in range")
    return t.view([-1 if d == a else 1 for d in range(rank)])


def quantize_affine(input, block_size, scale, zero_point, output_dtype, quant_min, quant_max,
                    zero_point_domain="int", contract="torchao"):
    s = spread(scale.float(), input.shape, block_size)
    z = spread(zero_point.double(), input.shape, block_size) if zero_point is not None else torch.zeros(())
    v = input * (1.0 / s) if contract in ("torchao", "zp_before") else input / s
    if zero_point_domain == "float":
        mid = (quant_max + quant_min + 1) / 2
        v, z = (input - (z - s * mid)) / s, torch.zeros(())
    q = torch.round(v.double()) + (0 if zero_point_domain == "none" else z)
    return torch.nan_to_num(q).clamp(quant_min, quant_max).to(STORAGE[output_dtype])


def dequantize_affine(input, block_size, scale, zero_point, input_dtype, quant_min, quant_max,
                      zero_point_domain="int"):
    s = spread(scale.float(), input.shape, block_size)
    z = spread(zero_point.float(), input.shape, block_size) if zero_point is not None else torch.zeros(())
    if zero_point_domain == "float":
        return (input.float() - (quant_max + quant_min + 1) / 2) * s + z
    return (input.float() - (0 if zero_point_domain == "none" else z)) * s


def quantize_per_channel(input, scales, zero_points, axis, quant_min, quant_max, dtype, zero_point_domain="int",
                         contract="torchao", block_size=None):
    zp = full_rank(zero_points, input.dim(), axis) if zero_points is not None else None
    return quantize_affine(input, block_size, full_rank(scales, input.dim(), axis), zp, dtype, quant_min, quant_max,
                           zero_point_domain, contract)


def dequantize_per_channel(input, scales, zero_points, axis, quant_min, quant_max, dtype, zero_point_domain="int",
                           block_size=None):
    zp = full_rank(zero_points, input.dim(), axis) if zero_points is not None else None
    return dequantize_affine(input, block_size, full_rank(scales, input.dim(), axis), zp, dtype, quant_min, quant_max,
                             zero_point_domain)


def conv2d(input, weight, bias, stride, padding, dilation, groups):
    """padding is qdiff's [top, left, bottom, right]."""
    top, left, bottom, right = padding
    return F.conv2d(F.pad(input, (left, right, top, bottom)), weight, bias, stride, 0, dilation, groups)


# Fused ops: params are dicts {"scale", "zero_point" (get_attr nodes),
# "dtype", "quant_min", "quant_max", "zero_point_domain", "block_size"}.
def dequantized(q, p):
    return dequantize_affine(q, p["block_size"], p["scale"], p["zero_point"], p["dtype"], p["quant_min"],
                             p["quant_max"], p["zero_point_domain"])


def requantized(y, p, activation):
    if activation["kind"] == "relu":
        y = torch.relu(y)
    elif activation["kind"] == "clamp":
        y = y.clamp(activation["lo"], activation["hi"])
    return quantize_affine(y, p["block_size"], p["scale"], p["zero_point"], p["dtype"], p["quant_min"],
                           p["quant_max"], p["zero_point_domain"])


def qlinear(x, w, bias, x_params, w_params, out_params, activation):
    return requantized(F.linear(dequantized(x, x_params), dequantized(w, w_params), bias), out_params, activation)


def qconv2d(x, w, bias, x_params, w_params, out_params, activation, conv):
    y = conv2d(dequantized(x, x_params), dequantized(w, w_params), bias, conv["stride"], conv["padding"],
               conv["dilation"], conv["groups"])
    return requantized(y, out_params, activation)


def qadd(a, b, a_params, b_params, out_params, activation):
    return requantized(dequantized(a, a_params) + dequantized(b, b_params), out_params, activation)


def qmul(a, b, a_params, b_params, out_params, activation):
    return requantized(dequantized(a, a_params) * dequantized(b, b_params), out_params, activation)


linear = torch.ops.aten.linear.default
add = torch.ops.aten.add.Tensor
mul = torch.ops.aten.mul.Tensor
relu = torch.ops.aten.relu.default
view_copy = torch.ops.aten.view_copy.default
FUSED = (qlinear, qconv2d, qadd, qmul)
