#include "oracle/graph_envelope.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "core/float_bits.h"
#include "oracle/affine_oracle.h"
#include "oracle/fused_bound.h"
#include "oracle/graph_nan_parity.h"
#include "reference/dequantize.h"
#include "reference/fused_ops.h"
#include "reference/graph_eval.h"

namespace qdiff {
namespace {

constexpr double kU = 0x1p-24;      // f32 unit roundoff
constexpr double kTiny = 0x1p-149;  // smallest subnormal: underflow slack

// Per-element scale and zero point of a q/dq node (affine or legacy).
struct ElementParams {
  QuantParams params;
  std::optional<int> legacy_axis;
  std::optional<BlockLayout> layout;

  ElementParams(const Graph& g, int id, const std::vector<Tensor>& values, const Shape& data_shape) {
    params = reference::node_quant_params(g, id, values, &legacy_axis);
    if (!legacy_axis) layout = BlockLayout::derive(data_shape, params.scale.shape(), params.block_size);
  }
  int64_t scale_index(const Shape& shape, int64_t flat) const {
    const auto index = element_index(shape, flat);
    if (legacy_axis) return index[size_t(*legacy_axis)];
    return layout->scale_index(index);
  }
  double scale(int64_t si) const { return params.scale.f32_at(si); }
  double zero_point(int64_t si) const { return params.zero_point ? params.zero_point->value_at(si) : 0.0; }
};

// The ends of an envelope interval [t - B, t + B]: the lower end admits
// Q(t - B), the upper Q(t + B), Q(t) = clamp(round(t - z) + z) for int/none
// domains, clamp(round(t)) for the float domain (t already relative to
// min_val there).
//
// An end exactly on a tie rounds OUTWARD (the lower end down, the upper
// up), not half to even: the interval is closed, its bound can be attained
// exactly, and the implementations round ties differently (the reference
// half to even, the half_away contract and gemmlowp's RoundingDivideByPOT
// away from zero). Found by the lowering fuzzer
// (corpus/regressions/graph_envelope_tie_at_the_end.json): a linear whose
// reference output is 0 reads an input the quant-absorption pass may move
// by 13 steps of 1/32; times |w| = 3/32 that is 2.4375 output units
// (s_out = 1/64), and M = 2^-4 (m = 2^30, shift -3) adds 2^-4 for the
// high-mul's rounding (docs/impl-graph.md): the upper end is exactly 2.5.
// The integer executor with that input: acc 39, high-mul 39 / 2 = 19.5 ->
// 20, RoundingDivideByPOT(20, 3) = 2.5 -> 3, the bound's own worst case;
// half to even admitted only 2.
//
// An end that is NaN comes from inf - inf (an infinite center with an
// infinite radius, e.g. a value multiplied by an infinite constant whose
// sign the rounding slack leaves open): it is unbounded, so the lower end
// admits quant_min and the upper end quant_max.
enum class End { lower, upper };
double end_position(double t, double z, const QuantParams& p, End end) {
  if (std::isnan(t)) return double(end == End::lower ? p.quant_min : p.quant_max);
  const double rel = p.zero_point_domain == ZeroPointDomain::float_domain ? t : t - z;
  double r = std::nearbyint(rel);
  if (std::fabs(rel - std::trunc(rel)) == 0.5) r = end == End::lower ? std::floor(rel) : std::ceil(rel);
  const double q = p.zero_point_domain == ZeroPointDomain::float_domain ? r : r + z;
  return std::clamp(q, double(p.quant_min), double(p.quant_max));
}
double lower_position(double t, double z, const QuantParams& p) { return end_position(t, z, p, End::lower); }
double upper_position(double t, double z, const QuantParams& p) { return end_position(t, z, p, End::upper); }

ValueEnvelope exact(const Tensor& v) {
  ValueEnvelope e;
  e.center = v;
  if (v.dtype() == DType::f32) {
    e.radius.assign(size_t(v.numel()), 0.0);
  } else {
    e.lo.resize(size_t(v.numel()));
    for (int64_t i = 0; i < v.numel(); ++i) e.lo[size_t(i)] = v.int_at(i);
    e.hi = e.lo;
  }
  return e;
}

// Radius in real units of a dequantized integer envelope element.
double dequantized_radius(const ValueEnvelope& q, int64_t i, double center, const QuantParams& p, double s,
                          double z) {
  if (q.lo.empty()) return 0.0;
  const double a = reference::dequantize_element(double(q.lo[size_t(i)]), float(s), z, p);
  const double b = reference::dequantize_element(double(q.hi[size_t(i)]), float(s), z, p);
  return std::max(std::fabs(a - center), std::fabs(b - center));
}

class Evaluator {
 public:
  // values: the reference's, of every node or of a prefix of the graph.
  Evaluator(const Graph& g, std::vector<Tensor> values, EnvelopeMode mode)
      : g_(g), mode_(mode), values_(std::move(values)) {}

  GraphEnvelope run() {
    GraphEnvelope out;
    out.outputs = g_.outputs;
    out.values = run_prefix();
    out.widened = widened_;
    out.nan_open_at_quantize = nan_open_at_quantize(g_, out.values);
    return out;
  }

  std::vector<ValueEnvelope> run_prefix() {
    for (int id = 0; id < int(values_.size()); ++id) {
      env_.push_back(node(id));
      env_.back().nan_open = nan_open_flags(g_, id, env_);
    }
    return std::move(env_);
  }

 private:
  const ValueEnvelope& in(int id, size_t k) const { return env_[size_t(g_.node(id).input(k))]; }

  ValueEnvelope node(int id) {
    const Node& n = g_.node(id);
    switch (n.kind) {
      case NodeKind::input:
      case NodeKind::constant: return exact(values_[size_t(id)]);
      case NodeKind::quantize: return quantize(id);
      case NodeKind::dequantize: return dequantize(id);
      case NodeKind::linear: return linear(id);
      case NodeKind::conv2d: return conv2d(id);
      case NodeKind::add:
      case NodeKind::mul: return elementwise(id, n.kind == NodeKind::mul);
      case NodeKind::relu:
      case NodeKind::reshape: {
        ValueEnvelope e = in(id, 0);
        e.center = values_[size_t(id)];
        return e;
      }
      case NodeKind::qlinear:
      case NodeKind::qconv2d:
      case NodeKind::qadd:
      case NodeKind::qmul: return fused(id);
    }
    return exact(values_[size_t(id)]);
  }

  // Allowed set [Q(p - B), Q(p + B)], always holding the reference's value.
  void set_range(ValueEnvelope& e, int64_t i, double p, double bound, double z, const QuantParams& p_out) {
    const int64_t c = e.center.int_at(i);
    int64_t lo = int64_t(lower_position(p - bound, z, p_out));
    int64_t hi = int64_t(upper_position(p + bound, z, p_out));
    lo = std::min(lo, c);
    hi = std::max(hi, c);
    if (lo != hi) ++widened_;
    e.lo[size_t(i)] = lo;
    e.hi[size_t(i)] = hi;
  }

  // quantize: p = x / s + z; B = r / s + 3u (|x| / s + |z|) + 2^-149 / s
  // (the contract's reciprocal and product roundings and zp_before's sum).
  // Float domain: p = (x - min_val) / s, min_val = z - s * mid in f32 (two
  // more roundings of |min_val|).
  ValueEnvelope quantize(int id) {
    const Tensor& x = values_[size_t(g_.node(id).input(0))];
    const ValueEnvelope& xe = in(id, 0);
    const ElementParams ep(g_, id, values_, x.shape());
    ValueEnvelope e;
    e.center = values_[size_t(id)];
    const size_t n = size_t(x.numel());
    e.lo.resize(n);
    e.hi.resize(n);
    e.pre_real.resize(n);
    e.pre_radius.resize(n);
    const QuantParams& p = ep.params;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t si = ep.scale_index(x.shape(), i);
      const double s = ep.scale(si), z = ep.zero_point(si), xv = x.f32_at(i), r = xe.radius[size_t(i)];
      double pos, bound;
      if (p.zero_point_domain == ZeroPointDomain::float_domain) {
        const double mid = double(float(double(p.quant_max + p.quant_min + 1) / 2.0));
        const double min_val = z - s * mid;
        pos = (xv - min_val) / s;
        bound = r / s + 4 * kU * (std::fabs(xv) + std::fabs(min_val)) / s + kTiny / s;
      } else {
        const double zz = p.zero_point_domain == ZeroPointDomain::none ? 0.0 : z;
        pos = xv / s + zz;
        bound = r / s + 3 * kU * (std::fabs(xv) / s + std::fabs(zz)) + kTiny / s;
      }
      if (mode_ == EnvelopeMode::lowered) {
        bound += chain_fixed_point_slack(g_.node(id), x.shape(), i, s, (std::fabs(xv) + r) / s);
      }
      set_range(e, i, pos, bound, p.zero_point_domain == ZeroPointDomain::int_domain ? z : 0.0, p);
      e.pre_real[size_t(i)] = xv;
      e.pre_radius[size_t(i)] = r;
    }
    absorption_slack(id, e);
    return e;
  }

  // quantize(dequantize(y, p1), p2) with per-tensor p2 and y from a fused
  // node, or from a quantize of a float linear / conv2d / add / mul (+ relu)
  // that fuse-quantized-ops turns into one: the quant-absorption pass rounds
  // y's real value v once to p2 instead, with p1's saturation kept as a clamp
  // (impl/graph/pass_quant_absorption.cc), so Q2(clamp(v, dq1(qmin1),
  // dq1(qmax1))) +- v's radius is admitted too. The clamp is applied to both
  // ends of v's interval, which keeps the widening monotone and exact.
  //
  // Consecutive pairs: the pass is swept to a fixed point (docs/graph.md:
  // every pass's result is a fixed point of the same pass), and the node an
  // absorption leaves IS a fused node, so fused -> q/dq p1 -> q/dq p2 ->
  // quantize p3 (p2, p3 per-tensor) is absorbed twice: the fused node with
  // out params p3 and the activation clamp(clamp(v, lo1, hi1), lo2, hi2).
  // Each absorbed pair removes one rounding to its grid: the original's
  // dq_k(Q_k(.)) moves the value by up to s_k / 2 (away from saturation) and
  // the later roundings see that moved value, so the pass's result can be
  // sum_k s_k / (2 s_n) + B output units from the original's (found while
  // reducing graph_envelope_tie_at_the_end: qmul 1.0 -> s 0.25 -> s 0.8056062
  // -> s 0.03125 is 26 in the reference: 1.0 -> 4 -> 1.0 -> 1 -> 0.8056062
  // -> 25.78 -> 26, and 1.0 / 0.03125 = 32 absorbed: 6 steps, within the
  // removed grids' half steps (0.125 + 0.4028) / 0.03125 = 16.9).
  // Rather than widen by that sum, the slack admits exactly what the
  // rewritten graph computes: Q_n of the source's ideal v +- its radius,
  // clamped by every absorbed dequantize's range in order (innermost first).
  // A chain through the pass's own output only: each quantize on the way
  // must be per-tensor and affine (what the pass absorbs), so a per-channel
  // pair anywhere stops it and absorbing that pair is still caught
  // (absorption_on_per_channel). The case of only the inner pairs absorbed
  // is the ordinary propagation of their widened sets.
  void absorption_slack(int id, ValueEnvelope& e) {
    std::vector<int> dequantizes;  // the absorbed pairs' dequantizes, innermost first
    const int src_id = absorbed_source(id, dequantizes);
    if (src_id < 0) return;
    const Node& q = g_.node(id);
    const Node& src = g_.node(src_id);
    const ValueEnvelope& y = env_[size_t(src_id)];
    if (y.pre_real.size() != e.lo.size()) return;
    const double s2 = values_[size_t(q.input(1))].f32_at(0);
    const double z2 = q.input(2) == kNoInput ? 0.0 : values_[size_t(q.input(2))].value_at(0);
    const Shape& y_shape = values_[size_t(q.input(0))].shape();
    const ElementParams ep(g_, id, values_, y_shape);
    std::vector<ElementParams> clamps;
    for (int dq_id : dequantizes) {
      ElementParams ep1(g_, dq_id, values_, y_shape);
      if (ep1.params.zero_point_domain != ZeroPointDomain::float_domain) clamps.push_back(std::move(ep1));
    }
    for (size_t i = 0; i < e.lo.size(); ++i) {
      const double v = y.pre_real[i], r = y.pre_radius[i];
      double v_lo = v - r, v_hi = v + r;
      for (const ElementParams& ep1 : clamps) {
        const int64_t si = ep1.scale_index(y_shape, int64_t(i));
        const double s1 = ep1.scale(si), z1 = ep1.zero_point(si);
        const double lo1 = (double(ep1.params.quant_min) - z1) * s1;
        const double hi1 = (double(ep1.params.quant_max) - z1) * s1;
        v_lo = std::clamp(v_lo, lo1, hi1);
        v_hi = std::clamp(v_hi, lo1, hi1);
      }
      const double magnitude = std::max(std::fabs(v_lo), std::fabs(v_hi)) / s2;
      double slack = 3 * kU * (magnitude + std::fabs(z2)) + kTiny / s2;
      if (mode_ == EnvelopeMode::lowered) {
        // the absorbed node is lowered with p2 as its output params
        slack += is_fused_kind(src.kind) ? fused_fixed_point_slack(src, y_shape, int64_t(i), s2, magnitude)
                                         : chain_fixed_point_slack(src, y_shape, int64_t(i), s2, magnitude);
      }
      const int64_t lo = int64_t(lower_position(v_lo / s2 + z2 - slack, z2, ep.params));
      const int64_t hi = int64_t(upper_position(v_hi / s2 + z2 + slack, z2, ep.params));
      if (lo < e.lo[i] || hi > e.hi[i]) ++widened_;
      e.lo[i] = std::min(e.lo[i], lo);
      e.hi[i] = std::max(e.hi[i], hi);
    }
  }

  // The absorbable source below quantize q_id (-1 if none), following
  // quantize(dequantize(.)) pairs the pass absorbs in turn; the pairs'
  // dequantizes are returned innermost first. Iterative: a long chain of
  // pairs costs its length once per quantize.
  int absorbed_source(int q_id, std::vector<int>& dequantizes) const {
    dequantizes.clear();
    int id = q_id;
    for (;;) {
      const Node& q = g_.node(id);
      if (q.kind != NodeKind::quantize || q.spec.legacy_axis || values_[size_t(q.input(1))].numel() != 1) return -1;
      const int dq_id = q.input(0);
      const Node& dq = g_.node(dq_id);
      if (dq.kind != NodeKind::dequantize || dq.spec.legacy_axis) return -1;
      dequantizes.push_back(dq_id);
      id = dq.input(0);
      if (absorbable_source(id)) break;
    }
    std::reverse(dequantizes.begin(), dequantizes.end());
    return id;
  }

  // A value the absorption pass may re-round: a fused node's output, or a
  // quantize that fuse-quantized-ops would fuse with the float op below it.
  bool absorbable_source(int src_id) const {
    const Node& src = g_.node(src_id);
    if (is_fused_kind(src.kind)) return true;
    if (src.kind != NodeKind::quantize || src.spec.legacy_axis) return false;
    const Node* op = &g_.node(src.input(0));
    if (op->kind == NodeKind::relu) op = &g_.node(op->input(0));
    return op->kind == NodeKind::linear || op->kind == NodeKind::conv2d ||
           op->kind == NodeKind::add || op->kind == NodeKind::mul;
  }

  ValueEnvelope dequantize(int id) {
    const Tensor& q = values_[size_t(g_.node(id).input(0))];
    const ValueEnvelope& qe = in(id, 0);
    const ElementParams ep(g_, id, values_, q.shape());
    ValueEnvelope e;
    e.center = values_[size_t(id)];
    e.radius.resize(size_t(q.numel()));
    for (int64_t i = 0; i < q.numel(); ++i) {
      const int64_t si = ep.scale_index(q.shape(), i);
      e.radius[size_t(i)] = dequantized_radius(qe, i, e.center.f32_at(i), ep.params, ep.scale(si), ep.zero_point(si));
    }
    return e;
  }

  // linear: radius sum_j (|x| r_w + |w| r_x + r_x r_w) + r_b + (In + 4) u M
  // + (In + 2) 2^-149, M = sum_j (|x| + r_x)(|w| + r_w) + |b| + r_b: an f32
  // implementation's sequential accumulation, the bias add and the output
  // rounding. M bounds the operands the implementation actually has, which
  // may lie anywhere within their radii: its rounding error scales with
  // those, not with the reference's (a reference value near 0 beside an
  // implementation's 1.346 left that output's last half ulp uncovered).
  ValueEnvelope linear(int id) {
    const Node& n = g_.node(id);
    const Tensor& x = values_[size_t(n.input(0))];
    const Tensor& w = values_[size_t(n.input(1))];
    const ValueEnvelope& xe = in(id, 0);
    const ValueEnvelope& we = in(id, 1);
    const bool has_bias = n.input(2) != kNoInput;
    const int64_t in_f = w.shape()[1], k = w.shape()[0];
    const int64_t rows = in_f == 0 ? 0 : x.numel() / in_f;
    ValueEnvelope e;
    e.center = values_[size_t(id)];
    e.radius.resize(size_t(e.center.numel()));
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t o = 0; o < k; ++o) {
        double mag = 0, rad = 0;
        for (int64_t j = 0; j < in_f; ++j) {
          const double xv = std::fabs(double(x.f32_at(m * in_f + j))), wv = std::fabs(double(w.f32_at(o * in_f + j)));
          const double rx = xe.radius[size_t(m * in_f + j)], rw = we.radius[size_t(o * in_f + j)];
          mag += (xv + rx) * (wv + rw);
          rad += xv * rw + wv * rx + rx * rw;
        }
        if (has_bias) {
          mag += std::fabs(double(values_[size_t(n.input(2))].f32_at(o))) + in(id, 2).radius[size_t(o)];
          rad += in(id, 2).radius[size_t(o)];
        }
        e.radius[size_t(m * k + o)] = rad + double(in_f + 4) * kU * mag + double(in_f + 2) * kTiny;
      }
    }
    return e;
  }

  // conv2d: the linear rule over each output's receptive field.
  ValueEnvelope conv2d(int id) {
    const Node& n = g_.node(id);
    const Tensor& x = values_[size_t(n.input(0))];
    const Tensor& w = values_[size_t(n.input(1))];
    const ValueEnvelope& xe = in(id, 0);
    const ValueEnvelope& we = in(id, 1);
    const Conv2dAttrs& a = n.conv;
    ValueEnvelope e;
    e.center = values_[size_t(id)];
    e.radius.resize(size_t(e.center.numel()));
    const Shape& ys = e.center.shape();
    const int64_t c_in = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
    const int64_t og = w.shape()[0] / a.groups, cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
    const int64_t reduction = cg * kh * kw;
    for (int64_t flat = 0; flat < e.center.numel(); ++flat) {
      const auto idx = element_index(ys, flat);
      const int64_t b = idx[0], o = idx[1], oy = idx[2], ox = idx[3], grp = o / og;
      double mag = 0, rad = 0;
      for (int64_t c = 0; c < cg; ++c) {
        for (int64_t i = 0; i < kh; ++i) {
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t iy = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
            const int64_t ix = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            const int64_t xi = ((b * c_in + grp * cg + c) * h + iy) * wd + ix;
            const int64_t wi = ((o * cg + c) * kh + i) * kw + j;
            const double xv = std::fabs(double(x.f32_at(xi))), wv = std::fabs(double(w.f32_at(wi)));
            mag += (xv + xe.radius[size_t(xi)]) * (wv + we.radius[size_t(wi)]);  // as linear's M
            rad += xv * we.radius[size_t(wi)] + wv * xe.radius[size_t(xi)] + xe.radius[size_t(xi)] * we.radius[size_t(wi)];
          }
        }
      }
      if (n.input(2) != kNoInput) {
        mag += std::fabs(double(values_[size_t(n.input(2))].f32_at(o))) + in(id, 2).radius[size_t(o)];
        rad += in(id, 2).radius[size_t(o)];
      }
      e.radius[size_t(flat)] = rad + double(reduction + 4) * kU * mag + double(reduction + 2) * kTiny;
    }
    return e;
  }

  // Flat index into an operand of `operand` shape for output element `flat`
  // of shape `out` (numpy broadcasting, right-aligned).
  static int64_t broadcast_index(const Shape& out, const Shape& operand, int64_t flat) {
    const auto idx = element_index(out, flat);
    int64_t r = 0;
    const int shift = out.rank() - operand.rank();
    for (int d = 0; d < operand.rank(); ++d) {
      r = r * operand[d] + (operand[d] == 1 ? 0 : idx[size_t(d + shift)]);
    }
    return r;
  }

  // add: r_a + r_b + u (|a| + r_a + |b| + r_b); mul: |a| r_b + |b| r_a + r_a r_b
  // + u (|a| + r_a)(|b| + r_b): the rounding of the operands the
  // implementation has (as linear's M).
  ValueEnvelope elementwise(int id, bool mul) {
    const Node& n = g_.node(id);
    const Tensor& a = values_[size_t(n.input(0))];
    const Tensor& b = values_[size_t(n.input(1))];
    const ValueEnvelope& ae = in(id, 0);
    const ValueEnvelope& be = in(id, 1);
    ValueEnvelope e;
    e.center = values_[size_t(id)];
    e.radius.resize(size_t(e.center.numel()));
    for (int64_t i = 0; i < e.center.numel(); ++i) {
      const int64_t ia = broadcast_index(e.center.shape(), a.shape(), i);
      const int64_t ib = broadcast_index(e.center.shape(), b.shape(), i);
      const double av = std::fabs(double(a.f32_at(ia))), bv = std::fabs(double(b.f32_at(ib)));
      const double ra = ae.radius[size_t(ia)], rb = be.radius[size_t(ib)];
      e.radius[size_t(i)] = mul ? av * rb + bv * ra + ra * rb + kU * (av + ra) * (bv + rb) + kTiny
                                : ra + rb + kU * (av + ra + bv + rb);
    }
    return e;
  }

  // Fused ops: the ideal p per output and [Q(p - B), Q(p + B)], B = the
  // fused oracle's derived bound + the inputs' propagated radii in output
  // units (+ the fixed-point slack when judging a lowered program).
  ValueEnvelope fused(int id) {
    const Node& n = g_.node(id);
    ValueEnvelope e;
    e.center = values_[size_t(id)];
    const size_t count = size_t(e.center.numel());
    e.lo.resize(count);
    e.hi.resize(count);
    e.pre_real.resize(count);
    e.pre_radius.resize(count);
    reference::IdealResult ideal;
    FusedBoundTerms terms;
    std::vector<double> input_radius(count, 0.0);  // real units
    const QuantParams& out = n.out_params;
    if (n.kind == NodeKind::qlinear || n.kind == NodeKind::qconv2d) {
      const Tensor& x = values_[size_t(n.input(0))];
      const Tensor& w = values_[size_t(n.input(1))];
      std::optional<Tensor> bias;
      if (n.input(2) != kNoInput) bias = values_[size_t(n.input(2))];
      if (n.kind == NodeKind::qlinear) {
        QLinearArgs a{x, n.params[0], w, n.params[1], bias, out, n.activation};
        ideal = reference::qlinear(a);
        terms = qlinear_bound_terms(a);
        linear_input_radius(id, a.x, a.x_params, a.w, a.w_params, input_radius);
      } else {
        QConv2dArgs a{x, n.params[0], w, n.params[1], bias, out, n.conv, n.activation};
        ideal = reference::qconv2d(a);
        terms = qconv2d_bound_terms(a);
        // Integer conv inputs come from quantize nodes or the graph's
        // inputs; a flip upstream moves each product by at most the
        // dequantized radius times the largest |dq(w)| over the field.
        conv_input_radius(id, a, input_radius);
      }
    } else {
      QElementwiseArgs a{n.kind == NodeKind::qmul ? ElementwiseOp::mul : ElementwiseOp::add,
                         values_[size_t(n.input(0))], n.params[0], values_[size_t(n.input(1))], n.params[1], out,
                         n.activation};
      ideal = reference::qelementwise(a);
      terms = qelementwise_bound_terms(a);
      elementwise_input_radius(id, a, input_radius);
    }
    const BlockLayout ol = BlockLayout::derive(e.center.shape(), out.scale.shape(), out.block_size);
    for (int64_t i = 0; i < int64_t(count); ++i) {
      const int64_t si = ol.scale_index(element_index(e.center.shape(), i));
      const double s = out.scale.f32_at(si);
      const double z = out.zero_point ? out.zero_point->value_at(si) : 0.0;
      const double p = ideal.pre_rounding[size_t(i)];
      double bound = fused_bound(terms, ideal.magnitude[size_t(i)], s) + input_radius[size_t(i)] / s;
      if (mode_ == EnvelopeMode::lowered) {
        // inputs moved by their radius move |acc| M as much
        const double magnitude = ideal.magnitude[size_t(i)] + input_radius[size_t(i)] / s;
        bound += fused_fixed_point_slack(n, e.center.shape(), i, s, magnitude);
      }
      if (std::isnan(p)) {
        e.lo[size_t(i)] = e.hi[size_t(i)] = e.center.int_at(i);
      } else {
        set_range(e, i, p, bound, z, out);
      }
      e.pre_real[size_t(i)] = (p - z) * s;
      e.pre_radius[size_t(i)] = bound * s;
    }
    return e;
  }

  // Fixed-point requantization slack of the integer executor, in output
  // units, for a qlinear / qconv2d it runs on the fixed-point path (per-tensor
  // x, per-tensor or per-channel weights; the rest requantize in f32 and need
  // none). With M = s_x s_w[k] / s_out[k] = m 2^(e - 31), m in [2^30, 2^31)
  // (SPEC section 8), on top of the multiplier's 2^-31 relative error (the
  // multiplier_slack below, added by its callers):
  //  - double rounding: SRDHM(acc << max(e, 0), m) rounds to a multiple of
  //    2^e output units before RoundingDivideByPOT(-e) rounds again, so for
  //    e < 0 it adds up to 2^(e-1). Example: acc 768, M = 0.063069664
  //    (e = -3): SRDHM gives 387.5 -> 388, then 388 / 8 = 48.5 -> 49 while
  //    the ideal 48.4375 rounds to 48.
  //  - the bias, rounded to whole accumulator units (s_x s_w[k]): up to half
  //    a unit, 0.5 M output units. Example: b = 0.66797066, s_x s_w =
  //    2^-7 -> 85.5002 -> 86, i.e. 21.375 becomes 21.5 at M = 1/4.
  // e comes from M (1 + 2^-20) so that an implementation whose f32 M lands
  // just below a power of two (one exponent lower) is still covered.
  struct FixedPointChain {
    bool linear = true;
    const Tensor* x_scale = nullptr;
    const Tensor* w_scale = nullptr;
    const Tensor* channel_factor = nullptr;  // fuse-mul-into-linear's c, if any
    bool has_bias = false;
  };
  double fixed_point_slack(const FixedPointChain& c, const Shape& out_shape, int64_t i, double s_out) const {
    if (c.x_scale->numel() != 1 || out_shape.rank() == 0) return 0.0;
    const int channel_dim = c.linear ? out_shape.rank() - 1 : 1;
    if (channel_dim >= out_shape.rank()) return 0.0;
    const int64_t k = element_index(out_shape, i)[size_t(channel_dim)];
    double s_w;
    if (c.w_scale->numel() == 1) {
      s_w = c.w_scale->f32_at(0);
    } else if (c.w_scale->numel() == out_shape[channel_dim] && k < c.w_scale->numel()) {
      s_w = c.w_scale->f32_at(k);
    } else {
      return 0.0;  // per-group / blockwise weights: the f32 requantization path
    }
    double factor = 1.0;
    if (c.channel_factor) {
      // The c of channel k when c is [K] or a scalar; otherwise the largest
      // |c| (the slack grows with M, so an upper bound stays sound).
      const Tensor& cf = *c.channel_factor;
      if (cf.numel() == 1) {
        factor = std::fabs(cf.f32_at(0));
      } else if (cf.numel() == out_shape[channel_dim] && cf.shape()[cf.shape().rank() - 1] == cf.numel()) {
        factor = std::fabs(cf.f32_at(k));
      } else {
        factor = 0.0;
        for (int64_t j = 0; j < cf.numel(); ++j) factor = std::max(factor, double(std::fabs(cf.f32_at(j))));
      }
    }
    const double m_real = double(c.x_scale->f32_at(0)) * s_w * factor / s_out;
    if (!(m_real > 0) || !std::isfinite(m_real)) return 0.0;
    int e = 0;
    (void)std::frexp(m_real * (1.0 + 0x1p-20), &e);
    double slack = e < 0 ? std::ldexp(1.0, e - 1) : 0.0;
    if (c.has_bias) slack += 0.5 * m_real * (1.0 + 0x1p-20);
    return slack;
  }
  // The multiplier's 31-bit rounding: |m - M 2^(31-e)| <= 1/2 with m >= 2^30
  // is 2^-31 of |acc| M, taken twice, + 2^-31; `magnitude` bounds |acc| M
  // in output units (the real value's magnitude plus its radius: an input
  // moved upstream moves the accumulator). Every fused node gets it (the f32
  // requantization path needs none: generous).
  static double multiplier_slack(double magnitude) { return magnitude * 0x1p-30 + 0x1p-31; }
  double fused_fixed_point_slack(const Node& n, const Shape& out_shape, int64_t i, double s_out,
                                 double magnitude) const {
    if (n.kind != NodeKind::qlinear && n.kind != NodeKind::qconv2d) return multiplier_slack(magnitude);
    const FixedPointChain c{n.kind == NodeKind::qlinear, &n.params[0].scale, &n.params[1].scale, nullptr,
                            n.input(2) != kNoInput};
    return multiplier_slack(magnitude) + fixed_point_slack(c, out_shape, i, s_out);
  }
  // quantize(relu?(mul?(linear|conv2d(dequantize(x), dequantize(w)), c))):
  // the chain fuse-mul-into-linear and fuse-quantized-ops turn into the
  // fused node that is lowered. The multiplier term too: the chain's own
  // bound (the float linear's radius and f32 rounding) has no relative
  // 2^-31 of |acc| M where the reference's value is near 0 and the radius
  // from moved inputs is not.
  double chain_fixed_point_slack(const Node& q, const Shape& out_shape, int64_t i, double s_out,
                                 double magnitude) const {
    const Node* op = &g_.node(q.input(0));
    if (op->kind == NodeKind::relu) op = &g_.node(op->input(0));
    const Tensor* factor = nullptr;
    if (op->kind == NodeKind::mul) {
      // Either operand order (SPEC section 8 names none): mul(c, linear)
      // once got no slack here (found when the generator began drawing it).
      const NodeKind first = g_.node(op->input(0)).kind;
      const size_t gemm = first == NodeKind::linear || first == NodeKind::conv2d ? 0 : 1;
      factor = &values_[size_t(op->input(1 - gemm))];
      op = &g_.node(op->input(gemm));
    }
    if (op->kind != NodeKind::linear && op->kind != NodeKind::conv2d) return 0.0;
    const Node& xdq = g_.node(op->input(0));
    const Node& wdq = g_.node(op->input(1));
    if (xdq.kind != NodeKind::dequantize || wdq.kind != NodeKind::dequantize) return 0.0;
    const FixedPointChain c{op->kind == NodeKind::linear, &values_[size_t(xdq.input(1))],
                            &values_[size_t(wdq.input(1))], factor, op->input(2) != kNoInput};
    return multiplier_slack(magnitude) + fixed_point_slack(c, out_shape, i, s_out);
  }

  // Real radius of each dequantized operand element of a fused node.
  std::vector<double> operand_radius(int id, size_t k, const Tensor& q, const QuantParams& p) {
    const ValueEnvelope& qe = in(id, k);
    std::vector<double> r(size_t(q.numel()), 0.0);
    if (qe.lo.empty()) return r;
    const BlockLayout l = BlockLayout::derive(q.shape(), p.scale.shape(), p.block_size);
    for (int64_t i = 0; i < q.numel(); ++i) {
      if (qe.lo[size_t(i)] == qe.hi[size_t(i)]) continue;
      const int64_t si = l.scale_index(element_index(q.shape(), i));
      const double s = p.scale.f32_at(si), z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
      const double c = reference::dequantize_element(double(q.int_at(i)), float(s), z, p);
      r[size_t(i)] = dequantized_radius(qe, i, c, p, s, z);
    }
    return r;
  }

  double max_abs_dequantized(const Tensor& q, const QuantParams& p) {
    const BlockLayout l = BlockLayout::derive(q.shape(), p.scale.shape(), p.block_size);
    double m = 0;
    for (int64_t i = 0; i < q.numel(); ++i) {
      const int64_t si = l.scale_index(element_index(q.shape(), i));
      const double s = p.scale.f32_at(si), z = p.zero_point ? p.zero_point->value_at(si) : 0.0;
      m = std::max(m, std::fabs(double(reference::dequantize_element(double(q.int_at(i)), float(s), z, p))));
    }
    return m;
  }

  void linear_input_radius(int id, const Tensor& x, const QuantParams& xp, const Tensor& w,
                           const QuantParams& wp, std::vector<double>& out) {
    const auto rx = operand_radius(id, 0, x, xp);
    const auto rw = operand_radius(id, 1, w, wp);
    if (std::all_of(rx.begin(), rx.end(), [](double v) { return v == 0; }) &&
        std::all_of(rw.begin(), rw.end(), [](double v) { return v == 0; })) {
      return;
    }
    const double xmax = max_abs_dequantized(x, xp), wmax = max_abs_dequantized(w, wp);
    const int64_t in_f = w.shape()[1], k = w.shape()[0];
    const int64_t rows = in_f == 0 ? 0 : x.numel() / in_f;
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t o = 0; o < k; ++o) {
        double r = 0;
        for (int64_t j = 0; j < in_f; ++j) {
          const double a = rx[size_t(m * in_f + j)], b = rw[size_t(o * in_f + j)];
          r += wmax * a + xmax * b + a * b;
        }
        out[size_t(m * k + o)] = r;
      }
    }
  }

  void conv_input_radius(int id, const QConv2dArgs& a, std::vector<double>& out) {
    const auto rx = operand_radius(id, 0, a.x, a.x_params);
    const auto rw = operand_radius(id, 1, a.w, a.w_params);
    const double rxm = rx.empty() ? 0 : *std::max_element(rx.begin(), rx.end());
    const double rwm = rw.empty() ? 0 : *std::max_element(rw.begin(), rw.end());
    if (rxm == 0 && rwm == 0) return;
    const double xmax = max_abs_dequantized(a.x, a.x_params), wmax = max_abs_dequantized(a.w, a.w_params);
    const double reduction = double(a.w.numel() / std::max<int64_t>(a.w.shape()[0], 1));
    std::fill(out.begin(), out.end(), reduction * (wmax * rxm + xmax * rwm + rxm * rwm));
  }

  void elementwise_input_radius(int id, const QElementwiseArgs& a, std::vector<double>& out) {
    const auto ra = operand_radius(id, 0, a.a, a.a_params);
    const auto rb = operand_radius(id, 1, a.b, a.b_params);
    const double amax = max_abs_dequantized(a.a, a.a_params), bmax = max_abs_dequantized(a.b, a.b_params);
    const Shape& os = values_[size_t(id)].shape();
    for (int64_t i = 0; i < int64_t(out.size()); ++i) {
      const double x = ra[size_t(broadcast_index(os, a.a.shape(), i))];
      const double y = rb[size_t(broadcast_index(os, a.b.shape(), i))];
      out[size_t(i)] = a.op == ElementwiseOp::add ? x + y : bmax * x + amax * y + x * y;
    }
  }

  const Graph& g_;
  EnvelopeMode mode_;
  std::vector<Tensor> values_;
  std::vector<ValueEnvelope> env_;
  int64_t widened_ = 0;
};

// The interval an element may take, as the failure message prints it
// (formatted for the failing element only: the loop that judges every
// element is on the path of every passing case).
std::string allowed_range(const ValueEnvelope& env, int64_t i) {
  if (env.center.dtype() == DType::f32) {
    const double c = env.center.f32_at(i), r = env.radius[size_t(i)];
    return fmt::format("[{:.9g}, {:.9g}]", c - r, c + r);
  }
  return fmt::format("[{}, {}]", env.lo[size_t(i)], env.hi[size_t(i)]);
}

}  // namespace

GraphEnvelope graph_envelope(const Graph& g, const std::vector<Tensor>& inputs, EnvelopeMode mode) {
  return Evaluator(g, reference::evaluate_graph_values(g, inputs), mode).run();
}

std::vector<ValueEnvelope> graph_envelope_prefix(const Graph& g, std::vector<Tensor> values, EnvelopeMode mode) {
  return Evaluator(g, std::move(values), mode).run_prefix();
}

Verdict judge_graph_outputs(const GraphEnvelope& e, const std::vector<Tensor>& actual) {
  if (actual.size() != e.outputs.size()) {
    return Verdict::fail(fmt::format("{} outputs, expected {}", actual.size(), e.outputs.size()));
  }
  Verdict v;
  for (size_t o = 0; o < actual.size(); ++o) {
    const ValueEnvelope& env = e.values[size_t(e.outputs[o])];
    const Tensor& got = actual[o];
    if (got.shape() != env.center.shape() || got.dtype() != env.center.dtype()) {
      return Verdict::fail(fmt::format("output {} is {} {}, expected {} {}", o, dtype_name(got.dtype()),
                                       got.shape().str(), dtype_name(env.center.dtype()), env.center.shape().str()));
    }
    for (int64_t i = 0; i < got.numel(); ++i) {
      bool ok, differs;
      if (got.dtype() == DType::f32) {
        const double c = env.center.f32_at(i), a = got.f32_at(i), r = env.radius[size_t(i)];
        differs = f32_bits(float(c)) != f32_bits(float(a));
        ok = !differs || std::fabs(a - c) <= r || (std::isnan(a) && std::isnan(c)) ||
             (std::isnan(a) != std::isnan(c) && !env.nan_open.empty() && env.nan_open[size_t(i)]);
      } else {
        const int64_t a = got.int_at(i);
        differs = a != env.center.int_at(i);
        ok = a >= env.lo[size_t(i)] && a <= env.hi[size_t(i)];
      }
      if (ok) {
        v.tolerated += differs;
        continue;
      }
      Verdict f = Verdict::fail(fmt::format("graph output {} differs beyond its envelope", o));
      Mismatch m;
      m.output = fmt::format("output{}", o);
      m.flat = i;
      m.index = unflatten(got.shape(), i);
      m.expected = format_element(env.center, i);
      m.actual = format_element(got, i);
      m.context = "allowed " + allowed_range(env, i) + " (the reference's value and every value a correct implementation may produce)";
      f.mismatch = std::move(m);
      f.tolerated = v.tolerated;
      return f;
    }
  }
  return v;
}

}  // namespace qdiff
