// qlinear's properties: the differential one, and qlinear against the same
// product as a 1x1 qconv2d (metamorphic, exact under the arithmetic
// contract, impl/ops/fused_ops.h).
#include <cstring>

#include <fmt/format.h>

#include "oracle/affine_oracle.h"
#include "oracle/case_oracle.h"
#include "properties/fused_generators.h"
#include "properties/fused_properties.h"

namespace qdiff::props {
namespace {

// --- QLinearAgreesWithOneByOneQConv2d -------------------------------------------
// qlinear(x [M, In], w [K, In]) is qconv2d(x as [M, In, 1, 1], w as
// [K, In, 1, 1]) with the output read as [M, K]: the same products, the
// same weight blocks (a [K, G] weight scale becomes [K, G, 1, 1]) and, under
// the arithmetic contract, the same f32 epilogue, so the two must agree bit
// for bit. Domain (made by the draw): rank-2 x with per-tensor x params
// (qconv2d's only input layout), outputs per-tensor or per-channel.
Case draw_linear_as_conv(Source& src) {
  QLinearCase c = draw_valid_qlinear_case(src, kFusedLimits);
  QLinearArgs& a = c.args;
  const int64_t in = a.x.shape()[a.x.shape().rank() - 1];
  const int64_t m = a.x.numel() / std::max<int64_t>(in, 1);
  a.x = a.x.reshaped(Shape{m, in});
  a.x_params.scale = Tensor::of<float>(Shape{}, {a.x_params.scale.f32_at(0)});
  if (a.x_params.zero_point) {
    Tensor z(a.x_params.zero_point->dtype(), Shape{});
    std::memcpy(z.raw(), a.x_params.zero_point->raw(), dtype_size(z.dtype()));
    a.x_params.zero_point = z;
  }
  a.x_params.block_size.reset();
  const int64_t k = a.w.shape()[0];
  if (a.out_params.scale.numel() > 1) {
    a.out_params.scale = a.out_params.scale.reshaped(Shape{1, k});
    if (a.out_params.zero_point) a.out_params.zero_point = a.out_params.zero_point->reshaped(Shape{1, k});
  }
  return c;
}

CheckResult linear_agrees_with_conv(const Case& any, const Backend& b) {
  const QLinearArgs& a = std::get<QLinearCase>(any).args;
  if (a.x.shape().rank() != 2 || a.x_params.scale.numel() != 1) return CheckResult{{}, true};
  const int64_t m = a.x.shape()[0], in = a.x.shape()[1], k = a.w.shape()[0];
  QConv2dArgs c;
  c.x = a.x.reshaped(Shape{m, in, 1, 1});
  c.x_params = a.x_params;
  c.w = a.w.reshaped(Shape{k, in, 1, 1});
  c.w_params = a.w_params;
  const Shape& ws = a.w_params.scale.shape();
  if (ws.rank() == 2) {
    c.w_params.scale = a.w_params.scale.reshaped(Shape{ws[0], ws[1], 1, 1});
    if (a.w_params.zero_point) c.w_params.zero_point = a.w_params.zero_point->reshaped(c.w_params.scale.shape());
  }
  if (a.w_params.block_size) c.w_params.block_size = std::vector<int64_t>{(*a.w_params.block_size)[0],
                                                                           (*a.w_params.block_size)[1], 1, 1};
  c.bias = a.bias;
  c.activation = a.activation;
  c.contract = a.contract;  // the same accumulation path
  c.out_params = a.out_params;
  if (a.out_params.scale.numel() > 1) {
    c.out_params.scale = a.out_params.scale.reshaped(Shape{1, k, 1, 1});
    if (a.out_params.zero_point) c.out_params.zero_point = a.out_params.zero_point->reshaped(Shape{1, k, 1, 1});
  }
  const CaseResult linear = evaluate_case(Case{QLinearCase{a}}, b);
  const CaseResult conv = evaluate_case(Case{QConv2dCase{c}}, b);
  if (linear.error_kind || conv.error_kind) {
    if (linear.error_kind && conv.error_kind) return CheckResult{{}, true};
    return CheckResult{Verdict::fail("qlinear and its 1x1 qconv2d form disagree on validity",
                                     linear.error_message + conv.error_message), false};
  }
  const Tensor& y = linear.outputs.at("output");
  const Tensor z = conv.outputs.at("output").reshaped(y.shape());
  if (y.bitwise_equal(z)) return {};
  int64_t i = 0;
  while (i < y.numel() && y.int_at(i) == z.int_at(i)) ++i;
  return CheckResult{Verdict::fail(fmt::format("qlinear and the 1x1 qconv2d differ at [{}, {}]: {} vs {}",
                                               i / std::max<int64_t>(k, 1), i % std::max<int64_t>(k, 1),
                                               y.int_at(i), z.int_at(i))),
                     false};
}

}  // namespace

Property qlinear_matches_reference() {
  return {"QLinearOptimizedMatchesReference", "qlinear", PropertyKind::differential,
          "qlinear equals the ideal result except within the derived bound of a boundary",
          [](Source& s) -> Case { return draw_qlinear_case(s, kFusedLimits); }, fused_differential};
}

Property qlinear_agrees_with_one_by_one_qconv2d() {
  return {"QLinearAgreesWithOneByOneQConv2d", "qconv2d", PropertyKind::invariant,
          "qlinear and the same product as a 1x1 qconv2d agree bit for bit", draw_linear_as_conv,
          linear_agrees_with_conv};
}

}  // namespace qdiff::props
