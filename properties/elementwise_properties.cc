// qadd's and qmul's properties: the differential ones, and commutativity
// (exact: f32 + and * are commutative).
#include <fmt/format.h>

#include "oracle/affine_oracle.h"
#include "oracle/case_oracle.h"
#include "properties/fused_generators.h"
#include "properties/fused_properties.h"

namespace qdiff::props {
namespace {

// --- QAddAndQMulAreCommutative ------------------------------------------------
// f32 addition and multiplication are commutative, so swapping the operands
// (with their params) must not change a single output bit.
Case draw_commutative(Source& src) {
  return QElementwiseCase{
      draw_valid_qelementwise_case(src, src.boolean() ? ElementwiseOp::mul : ElementwiseOp::add, kFusedLimits)};
}

CheckResult commutative(const Case& any, const Backend& b) {
  const QElementwiseArgs& a = std::get<QElementwiseCase>(any).args;
  QElementwiseArgs swapped = a;
  std::swap(swapped.a, swapped.b);
  std::swap(swapped.a_params, swapped.b_params);
  const CaseResult ab = evaluate_case(any, b);
  const CaseResult ba = evaluate_case(Case{QElementwiseCase{swapped}}, b);
  if (ab.error_kind || ba.error_kind) {
    if (ab.error_kind && ba.error_kind) return CheckResult{{}, true};
    return CheckResult{Verdict::fail("a op b and b op a disagree on validity"), false};
  }
  const Tensor& x = ab.outputs.at("output");
  const Tensor& y = ba.outputs.at("output");
  if (x.bitwise_equal(y)) return {};
  int64_t i = 0;
  while (i < x.numel() && x.int_at(i) == y.int_at(i)) ++i;
  return CheckResult{Verdict::fail(fmt::format("{}(a, b) != {}(b, a) at flat {}: {} vs {}",
                                               elementwise_op_name(a.op), elementwise_op_name(a.op), i,
                                               x.int_at(i), y.int_at(i))),
                     false};
}

}  // namespace

Property qelementwise_matches_reference(ElementwiseOp op) {
  if (op == ElementwiseOp::add) {
    return {"QAddOptimizedMatchesReference", "elementwise", PropertyKind::differential,
            "qadd equals the ideal result except within the derived bound of a boundary",
            [](Source& s) -> Case { return draw_qelementwise_case(s, ElementwiseOp::add, kFusedLimits); },
            fused_differential};
  }
  return {"QMulOptimizedMatchesReference", "elementwise", PropertyKind::differential,
          "qmul equals the ideal result except within the derived bound of a boundary",
          [](Source& s) -> Case { return draw_qelementwise_case(s, ElementwiseOp::mul, kFusedLimits); },
          fused_differential};
}

Property qadd_and_qmul_are_commutative() {
  return {"QAddAndQMulAreCommutative", "elementwise", PropertyKind::invariant,
          "swapping the operands changes no output bit", draw_commutative, commutative};
}

}  // namespace qdiff::props
