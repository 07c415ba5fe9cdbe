// The integer-only executor of lowered programs (impl/graph/executor.h,
// execute_lowered; the program's meaning: core/lowered.h).
//
// qlinear / qconv2d: per output, the integer accumulators acc_g = sum over
// the weight group g of (qx - zx) (qw - zw) (exact in int64; lowering proved
// the fixed-point path's fits int32), then
//   fixed_point: q = clamp(MultiplyByQuantizedMultiplier(acc + bias_q[k]) + z_out, act)
//   f32:         y = sum_g f32(acc_g) * f32(s_x * s_w[k, g]); y = f32(y + bias[k]);
//                q = clamp(round_half_even(f32(y / s_out)) + z_out, act), NaN -> z_out
// Compact scales and zero points are read by their rank (compact_scales.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "core/limits.h"
#include "impl/graph/compact_scales.h"
#include "impl/graph/executor.h"
#include "impl/graph/fixed_point.h"
#include "impl/graph/int4_packing.h"
#include "impl/graph/shape_inference.h"
#include "impl/ops/fused_ops.h"
#include "impl/quantize/affine.h"

namespace qdiff::impl {
namespace {

[[noreturn]] void malformed(std::string_view what) { fail(ErrorKind::malformed_case, "lowered program: {}", what); }

// The weights of one op, unpacked and centered: wc[k * depth + d] = qw - zw.
struct CenteredWeights {
  std::vector<int32_t> values;
  int64_t k_count = 0, depth = 0, groups = 1, group_size = 1;
};

// Checks that a compact tensor read by rank covers channels [0, k_count)
// and columns [0, cols).
void check_compact(const Tensor& t, int64_t k_count, int64_t cols, const char* what) {
  const Shape& s = t.shape();
  const bool ok = s.rank() == 0 || (s.rank() == 1 && (k_count == 0 || s[0] >= k_count)) ||
                  (s.rank() == 2 && (k_count == 0 || (s[0] >= k_count && s[1] >= cols)));
  if (!ok) malformed(fmt::format("{} has shape {}, which does not cover {} channels x {} groups", what, s.str(), k_count, cols));
}

CenteredWeights centered_weights(const LoweredWeights& lw) {
  CenteredWeights cw;
  cw.k_count = lw.out_features;
  cw.depth = lw.in_features;
  if (cw.k_count < 0 || cw.depth < 0) malformed("negative weight dims");
  const __int128 total = __int128(cw.k_count) * cw.depth;
  if (total > max_elements()) malformed("weights above the element cap");
  const int64_t n = int64_t(total);
  if (lw.int4_packed) {
    if (lw.data.dtype() != DType::u8 || lw.data.numel() != (n + 1) / 2) malformed("packed int4 weights of the wrong size");
  } else if (!is_integer(lw.data.dtype()) || lw.data.numel() != n) {
    malformed("weights of the wrong dtype or size");
  }
  if (lw.granularity == WeightGranularity::per_group) {
    if (lw.group_size < 1) malformed("per-group weights with group size < 1");
    cw.group_size = lw.group_size;
    cw.groups = cw.depth == 0 ? 1 : (cw.depth + cw.group_size - 1) / cw.group_size;
  } else {
    cw.group_size = std::max<int64_t>(cw.depth, 1);
  }
  if (lw.scale.dtype() != DType::f32) malformed("weight scale not f32");
  check_compact(lw.scale, cw.k_count, cw.groups, "weight scale");
  if (lw.zero_point) {
    if (!is_integer(lw.zero_point->dtype())) malformed("weight zero point not integer");
    check_compact(*lw.zero_point, cw.k_count, cw.groups, "weight zero point");
  }
  cw.values.resize(size_t(n));
  const auto* packed = lw.int4_packed ? lw.data.data<uint8_t>().data() : nullptr;
  for (int64_t k = 0; k < cw.k_count; ++k) {
    for (int64_t d = 0; d < cw.depth; ++d) {
      const int64_t i = k * cw.depth + d;
      const int64_t q = packed ? unpack_int4(packed, i, lw.int4_signed) : lw.data.int_at(i);
      const int64_t z = lw.zero_point ? int64_t(compact_at(*lw.zero_point, k, d / cw.group_size)) : 0;
      cw.values[size_t(i)] = int32_t(q - z);  // |q - z| < 2^32 for 16-bit storage and i32 zero points
    }
  }
  return cw;
}

int64_t saturate_to_int32(int64_t v) {
  return std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
}

// Maps one output's accumulators to its quantized value (the op's
// requantization, core/lowered.h).
class Requantizer {
 public:
  Requantizer(const LoweredOp& op, const CenteredWeights& cw) : op_(op), cw_(cw) {
    const int64_t k_count = cw.k_count;
    if (!is_integer(op.output_dtype)) malformed("output dtype not integer");
    if (op.output_zero_point.dtype() != DType::i32 || op.output_zero_point.shape().rank() > 1 ||
        (op.output_zero_point.shape().rank() == 1 && op.output_zero_point.numel() < k_count)) {
      malformed("output zero point not i32 [] or [K]");
    }
    if (!op.channel_act_min.empty() &&
        (int64_t(op.channel_act_min.size()) < k_count || int64_t(op.channel_act_max.size()) < k_count)) {
      malformed("per-channel activation bounds shorter than K");
    }
    if (op.requant == LoweredRequant::fixed_point) {
      if (cw.groups != 1) malformed("fixed-point requantization of per-group weights");
      const size_t m = op.multiplier.size();
      if ((m != 1 && int64_t(m) != k_count) || op.shift.size() != m) malformed("multiplier / shift sizes");
      for (size_t i = 0; i < m; ++i) {
        if (op.multiplier[i] < (int32_t{1} << 30) || op.shift[i] < -31 || op.shift[i] > 31) {
          malformed(fmt::format("multiplier {} / shift {} out of range", op.multiplier[i], op.shift[i]));
        }
      }
      if (op.accumulator_bias && (op.accumulator_bias->dtype() != DType::i32 ||
                                  op.accumulator_bias->shape() != Shape{k_count})) {
        malformed("accumulator bias not i32 [K]");
      }
    } else {
      if (op.output_scale.dtype() != DType::f32 || op.output_scale.shape().rank() > 1 ||
          (op.output_scale.shape().rank() == 1 && op.output_scale.numel() < k_count)) {
        malformed("output scale not f32 [] or [K]");
      }
      if (op.bias && (op.bias->dtype() != DType::f32 || op.bias->shape() != Shape{k_count})) malformed("bias not f32 [K]");
    }
  }

  int64_t operator()(const int64_t* acc, int64_t k) const {
    const int64_t z = op_.output_zero_point.shape().rank() == 0 ? op_.output_zero_point.int_at(0)
                                                                 : op_.output_zero_point.int_at(k);
    int64_t lo = op_.act_min, hi = op_.act_max;
    if (!op_.channel_act_min.empty()) {
      lo = op_.channel_act_min[size_t(k)];
      hi = op_.channel_act_max[size_t(k)];
    }
    if (op_.requant == LoweredRequant::fixed_point) {
      const size_t c = op_.multiplier.size() == 1 ? 0 : size_t(k);
      int64_t a = acc[0];
      if (op_.accumulator_bias) a += op_.accumulator_bias->data<int32_t>()[size_t(k)];
      const int32_t t = multiply_by_quantized_multiplier(int32_t(saturate_to_int32(a)), op_.multiplier[c],
                                                         op_.shift[c], op_.rounding_half_up);
      return std::clamp(int64_t(t) + z, lo, hi);
    }
    float y = 0.0f;
    for (int64_t g = 0; g < cw_.groups; ++g) {
      const float s = op_.input_scale * float(compact_at(op_.weights->scale, k, g));
      y = y + float(acc[g]) * s;
    }
    if (op_.bias) y = y + op_.bias->data<float>()[size_t(k)];
    const float s_out = op_.output_scale.shape().rank() == 0 ? op_.output_scale.f32_at(0) : op_.output_scale.f32_at(k);
    const float v = y / s_out;
    if (std::isnan(v)) return std::clamp(z, op_.output_quant_min, op_.output_quant_max);
    if (!(std::fabs(v) < 0x1p40f)) return v < 0 ? lo : hi;
    return std::clamp(int64_t(std::nearbyint(v)) + z, lo, hi);
  }

 private:
  const LoweredOp& op_;
  const CenteredWeights& cw_;
};

// Writes int64 values (already within the op's clamp) into a tensor of
// the output dtype, saturating to the dtype for hand-made programs.
void store(Tensor& out, int64_t i, int64_t v) {
  visit_integer_dtype(out.dtype(), [&](auto tag) {
    using Q = decltype(tag);
    out.data<Q>()[size_t(i)] = Q(std::clamp<int64_t>(v, std::numeric_limits<Q>::min(), std::numeric_limits<Q>::max()));
  });
}

void require_integer_input(const Tensor& x) {
  if (!is_integer(x.dtype()) || x.dtype() == DType::i32) {
    fail(ErrorKind::unsupported, "x has dtype {}; the op takes 8- or 16-bit quantized operands", dtype_name(x.dtype()));
  }
}

Tensor run_qlinear(const LoweredOp& op, const Tensor& x) {
  const CenteredWeights cw = centered_weights(*op.weights);
  const Requantizer requantize(op, cw);
  require_integer_input(x);
  const Shape& xs = x.shape();
  if (xs.rank() < 1 || xs[xs.rank() - 1] != cw.depth) {
    fail(ErrorKind::invalid_shape, "x has shape {}, the weights take [..., {}]", xs.str(), cw.depth);
  }
  Shape out_shape;
  for (int i = 0; i + 1 < xs.rank(); ++i) out_shape.push_back(xs[i]);
  out_shape.push_back(cw.k_count);
  check_element_cap(out_shape, "output");
  Tensor out(op.output_dtype, out_shape);
  if (out.numel() == 0) return out;
  const int64_t rows = out.numel() / cw.k_count;
  const int64_t zx = op.input_zero_point;
  std::vector<int64_t> xc(size_t(cw.depth)), acc(size_t(cw.groups));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t d = 0; d < cw.depth; ++d) xc[size_t(d)] = x.int_at(r * cw.depth + d) - zx;
    for (int64_t k = 0; k < cw.k_count; ++k) {
      std::fill(acc.begin(), acc.end(), 0);
      const int32_t* w = cw.values.data() + k * cw.depth;
      for (int64_t d = 0; d < cw.depth; ++d) acc[size_t(d / cw.group_size)] += xc[size_t(d)] * w[d];
      store(out, r * cw.k_count + k, requantize(acc.data(), k));
    }
  }
  return out;
}

Tensor run_qconv2d(const LoweredOp& op, const Tensor& x) {
  const LoweredWeights& lw = *op.weights;
  const Shape& ws = lw.shape;
  if (ws.rank() != 4 || ws[0] != lw.out_features || ws[1] * ws[2] * ws[3] != lw.in_features) {
    malformed("qconv2d weight shape does not match its features");
  }
  const CenteredWeights cw = centered_weights(lw);
  const Requantizer requantize(op, cw);
  require_integer_input(x);
  const std::optional<Shape> out_shape = conv2d_output_shape(x.shape(), ws, op.conv);
  if (!out_shape) {
    fail(ErrorKind::invalid_shape, "x has shape {}, which the weights {} and the conv attributes do not take",
         x.shape().str(), ws.str());
  }
  check_element_cap(*out_shape, "output");
  Tensor out(op.output_dtype, *out_shape);
  if (out.numel() == 0) return out;
  const int64_t c = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
  const int64_t o_count = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
  const int64_t og = o_count / op.conv.groups, oh_count = (*out_shape)[2], ow_count = (*out_shape)[3];
  const int64_t zx = op.input_zero_point;
  const auto& at = op.conv;
  std::vector<int64_t> acc(size_t(cw.groups));
  for (int64_t n = 0; n < x.shape()[0]; ++n) {
    for (int64_t o = 0; o < o_count; ++o) {
      const int64_t group = o / og;
      const int32_t* w = cw.values.data() + o * cw.depth;
      for (int64_t oh = 0; oh < oh_count; ++oh) {
        for (int64_t ow = 0; ow < ow_count; ++ow) {
          std::fill(acc.begin(), acc.end(), 0);
          for (int64_t ci = 0; ci < cg; ++ci) {
            for (int64_t i = 0; i < kh; ++i) {
              const __int128 ih = __int128(oh) * at.stride[0] - at.padding[0] + __int128(i) * at.dilation[0];
              if (ih < 0 || ih >= h) continue;  // padding: (zx - zx) (qw - zw) = 0
              for (int64_t j = 0; j < kw; ++j) {
                const __int128 iw = __int128(ow) * at.stride[1] - at.padding[1] + __int128(j) * at.dilation[1];
                if (iw < 0 || iw >= wd) continue;
                const int64_t d = (ci * kh + i) * kw + j;
                const int64_t xq = x.int_at(((n * c + group * cg + ci) * h + int64_t(ih)) * wd + int64_t(iw));
                acc[size_t(d / cw.group_size)] += (xq - zx) * w[d];
              }
            }
          }
          store(out, ((n * o_count + o) * oh_count + oh) * ow_count + ow, requantize(acc.data(), o));
        }
      }
    }
  }
  return out;
}

class ProgramRun {
 public:
  ProgramRun(const LoweredProgram& p, const ImplOptions& options) : p_(p), options_(options) {}

  std::vector<Tensor> run(const std::vector<Tensor>& inputs) {
    check_program();
    if (inputs.size() != p_.input_slots.size()) {
      fail(ErrorKind::invalid_shape, "program has {} input(s), {} tensor(s) fed", p_.input_slots.size(), inputs.size());
    }
    slots_.assign(size_t(p_.slot_count), std::nullopt);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype() != p_.input_dtypes[i]) {
        fail(ErrorKind::unsupported, "input {}: fed tensor has dtype {}, the input declares {}", i,
             dtype_name(inputs[i].dtype()), dtype_name(p_.input_dtypes[i]));
      }
      if (inputs[i].shape() != p_.input_shapes[i]) {
        fail(ErrorKind::invalid_shape, "input {}: fed tensor has shape {}, the input declares {}", i,
             inputs[i].shape().str(), p_.input_shapes[i].str());
      }
      slots_[size_t(p_.input_slots[i])] = inputs[i];
    }
    for (const LoweredOp& op : p_.ops) {
      try {
        slots_[size_t(op.output)] = execute(op);
      } catch (const Error& e) {
        throw Error(e.kind(), fmt::format("{}: {}", op.name.empty() ? "lowered op" : op.name, e.what()));
      }
    }
    std::vector<Tensor> out;
    for (int s : p_.output_slots) {
      if (!slots_[size_t(s)]) malformed(fmt::format("output slot {} is never written", s));
      out.push_back(*slots_[size_t(s)]);
    }
    return out;
  }

 private:
  void check_slot(int s) const {
    if (s < 0 || s >= p_.slot_count) malformed(fmt::format("slot {} outside [0, {})", s, p_.slot_count));
  }

  void check_program() const {
    if (p_.slot_count < 0 || size_t(p_.slot_count) > p_.ops.size() + p_.input_slots.size()) {
      malformed(fmt::format("slot count {} for {} ops and {} inputs", p_.slot_count, p_.ops.size(),
                            p_.input_slots.size()));
    }
    if (p_.input_dtypes.size() != p_.input_slots.size() || p_.input_shapes.size() != p_.input_slots.size()) {
      malformed("input types do not match the input slots");
    }
    for (int s : p_.input_slots) check_slot(s);
    for (int s : p_.output_slots) check_slot(s);
    for (const LoweredOp& op : p_.ops) {
      check_slot(op.output);
      for (int s : op.inputs) check_slot(s);
    }
  }

  const Tensor& input(const LoweredOp& op, size_t i) const {
    if (i >= op.inputs.size()) malformed("op has too few inputs");
    const auto& v = slots_[size_t(op.inputs[i])];
    if (!v) malformed(fmt::format("slot {} is read before it is written", op.inputs[i]));
    return *v;
  }

  Tensor execute(const LoweredOp& op) const {
    switch (op.kind) {
      case LoweredOp::Kind::quantize_input:
        return quantize_affine(input(op, 0), op.params, op.contract, options_);
      case LoweredOp::Kind::dequantize_output:
        return dequantize_affine(input(op, 0), op.params, Contract::torchao, options_);
      case LoweredOp::Kind::reshape: return input(op, 0).reshaped(op.shape);
      case LoweredOp::Kind::constant: return op.value;
      case LoweredOp::Kind::qlinear:
      case LoweredOp::Kind::qconv2d:
        if (!op.weights) malformed("qlinear / qconv2d without weights");
        return op.kind == LoweredOp::Kind::qlinear ? run_qlinear(op, input(op, 0)) : run_qconv2d(op, input(op, 0));
      case LoweredOp::Kind::qadd:
      case LoweredOp::Kind::qmul:
        return qelementwise(QElementwiseArgs{op.kind == LoweredOp::Kind::qadd ? ElementwiseOp::add : ElementwiseOp::mul,
                                             input(op, 0), op.operand_params[0], input(op, 1), op.operand_params[1],
                                             op.params, op.activation},
                            options_);
    }
    malformed(fmt::format("unknown op kind {}", int(op.kind)));
  }

  const LoweredProgram& p_;
  const ImplOptions& options_;
  std::vector<std::optional<Tensor>> slots_;
};

}  // namespace

std::vector<Tensor> execute_lowered(const LoweredProgram& program, const std::vector<Tensor>& inputs,
                                    const ImplOptions& options) {
  return ProgramRun(program, options).run(inputs);
}

}  // namespace qdiff::impl
