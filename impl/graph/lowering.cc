// Lowering an optimized graph to a LoweredProgram (impl/graph/lowering.h).
#include "impl/graph/lowering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "core/error.h"
#include "core/graph_budget.h"
#include "impl/graph/compact_scales.h"
#include "impl/graph/fixed_point.h"
#include "impl/graph/graph_edit.h"
#include "impl/graph/int4_packing.h"
#include "impl/graph/shape_inference.h"
#include "impl/ops/fused_validate.h"
#include "impl/quantize/validate.h"

namespace qdiff::impl {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The value of a constant, also through a chain of reshapes of it.
std::optional<Tensor> constant_through_reshapes(const Graph& g, int id) {
  if (id < 0 || size_t(id) >= g.nodes.size()) return std::nullopt;
  const Node& n = g.node(id);
  if (n.kind == NodeKind::constant) return n.value;
  if (n.kind != NodeKind::reshape) return std::nullopt;
  std::optional<Tensor> v = constant_through_reshapes(g, n.input(0));
  if (!v) return std::nullopt;
  const auto count = n.target_shape.checked_numel();
  if (!count || *count != v->numel()) return std::nullopt;
  return v->reshaped(n.target_shape);
}

// clamp(round_half_even(f32(v / s)) + z, qmin, qmax): the f32 output stage's
// quantizer, monotone in v, so clamp(Q(y), Q(lo), Q(hi)) == Q(clamp(y, lo, hi)).
int64_t quantize_bound(float v, float s, int64_t z, int64_t qmin, int64_t qmax) {
  const float t = v / s;
  if (std::isnan(t)) return std::clamp(z, qmin, qmax);
  if (!(std::fabs(t) < 0x1p40f)) return t < 0 ? qmin : qmax;
  return std::clamp(int64_t(std::nearbyint(t)) + z, qmin, qmax);
}

// The activation folded into the output clamp [lo, hi] for one channel.
std::pair<int32_t, int32_t> folded_activation(const Activation& a, float s, int64_t z, int64_t qmin,
                                              int64_t qmax) {
  switch (a.kind) {
    case ActivationKind::none: return {int32_t(qmin), int32_t(qmax)};
    case ActivationKind::relu: return {int32_t(quantize_bound(0.0f, s, z, qmin, qmax)), int32_t(qmax)};
    case ActivationKind::clamp:
      return {int32_t(quantize_bound(a.lo, s, z, qmin, qmax)), int32_t(quantize_bound(a.hi, s, z, qmin, qmax))};
  }
  return {int32_t(qmin), int32_t(qmax)};
}

// Flat compact output params: [] per-tensor, [K] per-channel (the scale has
// K elements along the op's channel dim and ones elsewhere).
struct CompactOutput {
  Tensor scale;       // f32
  Tensor zero_point;  // i32
  bool per_channel = false;
};
CompactOutput compact_output(const QuantParams& out) {
  CompactOutput c;
  const int64_t n = out.scale.numel();
  c.per_channel = n != 1;
  const Shape shape = c.per_channel ? Shape{n} : Shape{};
  c.scale = out.scale.reshaped(shape);
  c.zero_point = Tensor(DType::i32, shape);
  if (out.zero_point && out.zero_point_domain == ZeroPointDomain::int_domain) {
    for (int64_t i = 0; i < n; ++i) c.zero_point.data<int32_t>()[size_t(i)] = int32_t(out.zero_point->int_at(i));
  }
  return c;
}

class Lowerer {
 public:
  Lowerer(const Graph& g, const ImplOptions& options)
      : g_(g), options_(options), types_(infer_value_types(g)), slot_(g.nodes.size(), -1) {}

  LoweredProgram run() {
    for (int id : g_.input_ids()) {
      slot_[size_t(id)] = new_slot();
      prog_.input_slots.push_back(slot_[size_t(id)]);
      prog_.input_dtypes.push_back(g_.node(id).value.dtype());
      prog_.input_shapes.push_back(g_.node(id).value.shape());
    }
    const std::vector<bool> needed = data_needed();
    for (int id = 0; id < int(g_.nodes.size()); ++id) {
      if (!needed[size_t(id)] || g_.node(id).kind == NodeKind::input) continue;
      try {
        lower(id);
      } catch (const Error& e) {
        throw Error(e.kind(), fmt::format("{}: {}", describe_node(g_, id), e.what()));
      }
    }
    for (int out : g_.outputs) prog_.output_slots.push_back(slot_[size_t(out)]);
    return std::move(prog_);
  }

 private:
  int new_slot() { return prog_.slot_count++; }

  // Nodes whose value an output needs as DATA (not as weights or params).
  std::vector<bool> data_needed() const {
    std::vector<bool> needed(g_.nodes.size(), false);
    for (int out : g_.outputs) needed[size_t(out)] = true;
    for (size_t i = g_.nodes.size(); i-- > 0;) {
      if (!needed[i]) continue;
      const Node& n = g_.nodes[i];
      size_t data_inputs = n.inputs.size();
      switch (n.kind) {
        case NodeKind::quantize:
        case NodeKind::dequantize:
        case NodeKind::qlinear:
        case NodeKind::qconv2d: data_inputs = 1; break;
        default: break;
      }
      for (size_t k = 0; k < data_inputs && k < n.inputs.size(); ++k) {
        if (n.inputs[k] != kNoInput) needed[size_t(n.inputs[k])] = true;
      }
    }
    return needed;
  }

  const ValueType& type_of(int id) const {
    if (id < 0 || !types_[size_t(id)]) {
      fail(ErrorKind::unsupported, "the type of node {} cannot be derived (an upstream node is invalid)", id);
    }
    return *types_[size_t(id)];
  }

  Tensor constant_input(int id, const char* what) const {
    std::optional<Tensor> v = constant_through_reshapes(g_, id);
    if (!v) {
      fail(ErrorKind::unsupported, "{} is {}, not a constant: integer-only lowering needs constant {}",
           what, describe_node(g_, id), what);
    }
    return std::move(*v);
  }

  LoweredOp& emit(LoweredOp::Kind kind, int id, std::vector<int> inputs) {
    LoweredOp op;
    op.kind = kind;
    op.name = describe_node(g_, id);
    op.inputs = std::move(inputs);
    op.output = new_slot();
    slot_[size_t(id)] = op.output;
    prog_.ops.push_back(std::move(op));
    return prog_.ops.back();
  }

  int data_slot(int id) const {
    if (slot_[size_t(id)] < 0) fail(ErrorKind::malformed_case, "node {} was not lowered", id);
    return slot_[size_t(id)];
  }

  void lower(int id) {
    const Node& n = g_.node(id);
    switch (n.kind) {
      case NodeKind::input: return;
      case NodeKind::constant: {
        LoweredOp& op = emit(LoweredOp::Kind::constant, id, {});
        op.value = n.value;
        op.shape = n.value.shape();
        return;
      }
      case NodeKind::quantize:
      case NodeKind::dequantize: return lower_quant(id, n);
      case NodeKind::reshape: {
        const ValueType& in = type_of(n.input(0));
        const auto count = n.target_shape.checked_numel();
        if (!count || *count != in.shape.numel()) {
          fail(ErrorKind::invalid_shape, "cannot reshape a tensor of shape {} to {}", in.shape.str(),
               n.target_shape.str());
        }
        LoweredOp& op = emit(LoweredOp::Kind::reshape, id, {data_slot(n.input(0))});
        op.shape = n.target_shape;
        return;
      }
      case NodeKind::qlinear:
      case NodeKind::qconv2d: return lower_gemm(id, n);
      case NodeKind::qadd:
      case NodeKind::qmul: return lower_elementwise(id, n);
      case NodeKind::linear:
      case NodeKind::conv2d:
      case NodeKind::add:
      case NodeKind::mul:
      case NodeKind::relu:
        fail(ErrorKind::unsupported, "float op {} is left in the graph; an integer-only program takes fused "
             "quantized ops only (optimize the graph first)", node_kind_name(n.kind));
    }
  }

  void lower_quant(int id, const Node& n) {
    const bool quantize = n.kind == NodeKind::quantize;
    if (n.spec.legacy_axis) {
      fail(ErrorKind::unsupported, "legacy per-channel {} (axis {}) is left in the graph; lowering takes the "
           "affine form (run legacy_to_affine)", node_kind_name(n.kind), *n.spec.legacy_axis);
    }
    QuantParams p;
    p.scale = constant_input(n.input(1), "scale");
    if (n.input(2) != kNoInput) p.zero_point = constant_input(n.input(2), "zero_point");
    p.quant_min = n.spec.quant_min;
    p.quant_max = n.spec.quant_max;
    p.dtype = n.spec.dtype;
    p.zero_point_domain = n.spec.zero_point_domain;
    p.block_size = n.spec.block_size;
    const ValueType& data = type_of(n.input(0));
    (void)validate_affine(quantize ? AffineCall::quantize : AffineCall::dequantize, data.dtype, data.shape, p,
                          FaultSet{});
    LoweredOp& op = emit(quantize ? LoweredOp::Kind::quantize_input : LoweredOp::Kind::dequantize_output, id,
                         {data_slot(n.input(0))});
    op.shape = data.shape;
    op.contract = n.spec.contract;
    op.output_dtype = quantize ? p.dtype : DType::f32;
    if (p.scale.numel() == 1) {
      op.input_scale = p.scale.f32_at(0);
      if (p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain) {
        op.input_zero_point = int32_t(p.zero_point->int_at(0));
      }
    }
    op.params = std::move(p);
  }

  void lower_gemm(int id, const Node& n) {
    const bool conv = n.kind == NodeKind::qconv2d;
    const ValueType& x_type = type_of(n.input(0));
    const Tensor w = constant_input(n.input(1), "w");
    std::optional<Tensor> bias;
    if (n.input(2) != kNoInput) bias = constant_input(n.input(2), "bias");
    // The fused op's own validation: same kinds as execute_graph.
    const Tensor x_placeholder(x_type.dtype, x_type.shape);
    if (conv) {
      (void)validate_qconv2d_args(
          QConv2dArgs{x_placeholder, n.params[0], w, n.params[1], bias, n.out_params, n.conv, n.activation});
    } else {
      (void)validate_qlinear_args(
          QLinearArgs{x_placeholder, n.params[0], w, n.params[1], bias, n.out_params, n.activation});
    }
    const QuantParams& xp = n.params[0];
    if (xp.scale.numel() != 1) {
      fail(ErrorKind::unsupported, "x params have scale shape {}: integer-only lowering needs per-tensor input "
           "params", xp.scale.shape().str());
    }
    const FaultSet faults = options_.faults;
    const CompactWeightParams cw = conv ? compact_conv_weight_params(w.shape(), n.params[1], faults)
                                        : compact_linear_weight_params(w.shape(), n.params[1], faults);
    const CompactOutput out = compact_output(n.out_params);
    const int64_t k_count = w.shape()[0];
    const int64_t depth = w.shape().numel() / std::max<int64_t>(k_count, 1);

    LoweredOp& op = emit(conv ? LoweredOp::Kind::qconv2d : LoweredOp::Kind::qlinear, id, {data_slot(n.input(0))});
    op.conv = n.conv;
    op.input_scale = xp.scale.f32_at(0);
    if (xp.zero_point && xp.zero_point_domain == ZeroPointDomain::int_domain) {
      op.input_zero_point = int32_t(xp.zero_point->int_at(0));
    }
    op.params = n.out_params;
    op.operand_params = n.params;
    op.activation = n.activation;
    op.bias = bias;
    op.output_scale = out.scale;
    op.output_zero_point = out.zero_point;
    op.output_dtype = n.out_params.dtype;
    op.output_quant_min = n.out_params.quant_min;
    op.output_quant_max = n.out_params.quant_max;
    fold_activation_into(op, n.activation, out, k_count);
    op.weights = lowered_weights(w, n.params[1], cw, k_count, depth);
    op.rounding_half_up = faults.has(FaultPoint::fixed_point_round_half_up);
    if (cw.granularity == WeightGranularity::per_group) {
      op.requant = LoweredRequant::f32;
      return;
    }
    op.requant = LoweredRequant::fixed_point;
    fixed_point_requant(op, w, *op.weights, x_type.dtype, k_count, depth, out);
  }

  static void fold_activation_into(LoweredOp& op, const Activation& act, const CompactOutput& out,
                                   int64_t k_count) {
    const int64_t qmin = op.output_quant_min, qmax = op.output_quant_max;
    const auto bounds = [&](int64_t k) {
      return folded_activation(act, out.scale.data<float>()[size_t(k)], out.zero_point.int_at(k), qmin, qmax);
    };
    if (!out.per_channel) {
      std::tie(op.act_min, op.act_max) = bounds(0);
      return;
    }
    op.act_min = int32_t(qmin);
    op.act_max = int32_t(qmax);
    if (act.kind == ActivationKind::none) return;
    for (int64_t k = 0; k < k_count; ++k) {
      const auto [lo, hi] = bounds(k);
      op.channel_act_min.push_back(lo);
      op.channel_act_max.push_back(hi);
    }
  }

  LoweredWeights lowered_weights(const Tensor& w, const QuantParams& wp, const CompactWeightParams& cw,
                                 int64_t k_count, int64_t depth) const {
    LoweredWeights lw;
    lw.out_features = k_count;
    lw.in_features = depth;
    lw.shape = w.shape();
    lw.dtype = w.dtype();
    lw.granularity = cw.granularity;
    lw.group_size = cw.group_size;
    lw.scale = cw.scale;
    lw.zero_point = cw.zero_point;
    lw.quant_min = wp.quant_min;
    lw.quant_max = wp.quant_max;
    // int4: a sub-byte type of at most 4 bits (i8 storage within [-8, 7],
    // u8 within [0, 15]) whose stored values all fit a nibble.
    const bool int4_signed = w.dtype() == DType::i8 && wp.quant_min >= -8 && wp.quant_max <= 7;
    const bool int4_unsigned = w.dtype() == DType::u8 && wp.quant_min >= 0 && wp.quant_max <= 15;
    if ((int4_signed || int4_unsigned) && fits_int4(w, int4_signed)) {
      lw.data = pack_int4(w, options_.faults.has(FaultPoint::int4_nibbles_swapped));
      lw.int4_packed = true;
      lw.int4_signed = int4_signed;
    } else {
      lw.data = w.reshaped(Shape{k_count, depth});
    }
    return lw;
  }

  // Multipliers, shifts, the int32 bias and the accumulator bound
  // (impl/graph/lowering.h).
  void fixed_point_requant(LoweredOp& op, const Tensor& w, const LoweredWeights& lw, DType x_dtype,
                           int64_t k_count, int64_t depth, const CompactOutput& out) const {
    const double s_x = op.input_scale;
    const int64_t zx = op.input_zero_point;
    const int64_t max_x = std::max(dtype_max(x_dtype) - zx, zx - dtype_min(x_dtype));
    const bool per_tensor = lw.granularity == WeightGranularity::per_tensor && !out.per_channel;
    const int64_t channels = per_tensor ? 1 : k_count;
    std::optional<Tensor> acc_bias;
    if (op.bias) acc_bias = Tensor(DType::i32, Shape{k_count});
    std::vector<FixedPointMultiplier> fms;
    for (int64_t k = 0; k < k_count; ++k) {
      const double s_w = compact_at(lw.scale, k, 0);
      const double zw = lw.zero_point ? compact_at(*lw.zero_point, k, 0) : 0.0;
      const double s_out = out.scale.data<float>()[size_t(out.per_channel ? k : 0)];
      const double m_real = s_x * s_w / s_out;
      const std::optional<FixedPointMultiplier> fm = quantize_multiplier(m_real);
      if (!fm) {
        fail(ErrorKind::unsupported, "requantization multiplier M = s_x * s_w / s_out = {} * {} / {} = {:e} of "
             "channel {} has no fixed-point form m * 2^(e - 31) with e in [-31, 30]", s_x, s_w, s_out, m_real, k);
      }
      if (k < channels) fms.push_back(*fm);
      int64_t bias_q = 0;
      if (op.bias) {
        const double b = double(op.bias->f32_at(k)) / (s_x * s_w);
        if (!(std::fabs(b) <= double(kInt32Max))) {
          fail(ErrorKind::unsupported, "bias[{}] = {} is {:e} accumulator units (s_x * s_w = {:e}): beyond int32",
               k, op.bias->f32_at(k), b, s_x * s_w);
        }
        bias_q = int64_t(std::nearbyint(b));
        acc_bias->data<int32_t>()[size_t(k)] = int32_t(bias_q);
      }
      // A_k = max|qx - zx| * sum_j |qw - zw| + |bias_q| (int64: each term < 2^17 * 2^26 * 2^17).
      int64_t sum_w = 0;
      for (int64_t j = 0; j < depth; ++j) sum_w += std::llabs(w.int_at(k * depth + j) - int64_t(zw));
      const __int128 bound = (__int128(max_x) * sum_w + std::llabs(bias_q)) << std::max(fm->shift, 0);
      if (bound > kInt32Max) {
        fail(ErrorKind::unsupported, "channel {}: the accumulator may reach {:e} (max |qx - zx| = {}, sum |qw - zw| "
             "= {}, bias {}, left shift {}), beyond int32", k, double(bound), max_x, sum_w, bias_q,
             std::max(fm->shift, 0));
      }
    }
    op.accumulator_bias = std::move(acc_bias);
    for (const FixedPointMultiplier& fm : fms) {
      op.multiplier.push_back(fm.multiplier);
      // FAULT POINT requant_shift_wrong_sign: replaces `e` by `-e` (a right
      // shift applied as a left shift and vice versa).
      op.shift.push_back(options_.faults.has(FaultPoint::requant_shift_wrong_sign) ? -fm.shift : fm.shift);
    }
  }

  void lower_elementwise(int id, const Node& n) {
    const ValueType& a = type_of(n.input(0));
    const ValueType& b = type_of(n.input(1));
    const ElementwiseOp kind = n.kind == NodeKind::qadd ? ElementwiseOp::add : ElementwiseOp::mul;
    (void)validate_qelementwise_args(QElementwiseArgs{kind, Tensor(a.dtype, a.shape), n.params[0],
                                                      Tensor(b.dtype, b.shape), n.params[1], n.out_params,
                                                      n.activation});
    LoweredOp& op = emit(n.kind == NodeKind::qadd ? LoweredOp::Kind::qadd : LoweredOp::Kind::qmul, id,
                         {data_slot(n.input(0)), data_slot(n.input(1))});
    op.requant = LoweredRequant::f32;
    op.operand_params = n.params;
    op.params = n.out_params;
    op.activation = n.activation;
    op.output_dtype = n.out_params.dtype;
    op.output_quant_min = n.out_params.quant_min;
    op.output_quant_max = n.out_params.quant_max;
    const auto mirror = [](const QuantParams& p, float& s, int32_t& z) {
      if (p.scale.numel() != 1) return;
      s = p.scale.f32_at(0);
      if (p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain) z = int32_t(p.zero_point->int_at(0));
    };
    mirror(n.params[0], op.input_scale, op.input_zero_point);
    mirror(n.params[1], op.input_scale_b, op.input_zero_point_b);
    if (n.out_params.scale.numel() == 1) {
      const CompactOutput out = compact_output(n.out_params);
      op.output_scale = out.scale;
      op.output_zero_point = out.zero_point;
      fold_activation_into(op, n.activation, out, 1);
    } else {
      op.act_min = int32_t(n.out_params.quant_min);
      op.act_max = int32_t(n.out_params.quant_max);
    }
  }

  const Graph& g_;
  const ImplOptions& options_;
  std::vector<std::optional<ValueType>> types_;
  std::vector<int> slot_;
  LoweredProgram prog_;
};

}  // namespace

LoweredProgram lower_graph(const Graph& optimized, const ImplOptions& options) {
  optimized.check_structure();
  check_graph_budget(optimized);  // the program does the graph's work
  return Lowerer(optimized, options).run();
}

}  // namespace qdiff::impl
