// The fused operators' validation order (docs/validation-order.md, "Fused
// operators"), written once for reference/ and impl/. What is core's here
// (dtypes, caps, ranges, op shapes, the layout rules of step 6, the NaN
// bias) is one text on both sides, so error parity does not test it. Each
// side plugs in what it writes its own way (block layouts, the predicates
// on them, the bias grid, scale and zero-point values), which error parity
// does test (docs/architecture.md, "What reference/ and impl/ share").
//
// A Side has a Layout type and:
//   Layout layout(const Shape&, const QuantParams&, std::string_view operand)  step 5
//   bool per_tensor(const Layout&), per_row(const Layout&),
//        per_channel_on(const Layout&, int dim); int rank(const Layout&);
//   std::string describe(const Layout&)                                         step 6
//   void bias_grid_layouts(const QLinearContract&, const std::optional<Tensor>& bias,
//        const Layout& x, const QuantParams&, const Layout& w, const QuantParams&)  step 6
//   void scales(const QuantParams&, std::string_view operand)                  step 7
//   void bias_grid_scales(const QLinearContract&, const std::optional<Tensor>& bias,
//        const QuantParams& x, const QuantParams& w)                             step 7
//   void zero_points(const QuantParams&, std::string_view operand)             step 8
#pragma once

#include <string_view>

#include "core/argument_checks.h"
#include "core/fused_ops.h"
#include "core/limits.h"
#include "core/op_geometry.h"

namespace qdiff {

// What validating a fused op establishes, in the side's Layout.
template <typename Layout>
struct QLinearValidated : LinearGeometry {
  Layout x_layout, w_layout, out_layout;
};
template <typename Layout>
struct QConv2dValidated : Conv2dGeometry {
  Layout x_layout, w_layout, out_layout;
  Shape out_shape;  // [N, O, OH, OW]
};
template <typename Layout>
struct QElementwiseValidated {
  Layout a_layout, b_layout, out_layout;
  Shape out_shape;  // the numpy broadcast of a and b
};

// Steps 1-9 over the three operands. `op_shapes` is step 4 (returns the
// output shape, whose cap is checked here), `layouts_defined(x, w, out)`
// step 6, `contract_scales` the end of step 7. Step 5's layouts go to
// `layouts`; returns the output shape.
template <typename Side, typename Layout, typename OpShapes, typename LayoutsDefined,
          typename ContractScales>
Shape validate_fused_operands(const QuantOperands& ops, const std::optional<Tensor>* bias,
                              const Activation& activation, const Side& side,
                              Layout* const (&layouts)[3], OpShapes&& op_shapes,
                              LayoutsDefined&& layouts_defined, ContractScales&& contract_scales) {
  check_fused_types_caps_ranges(ops, bias, activation);
  const Shape out_shape = op_shapes();
  check_element_cap(out_shape, "output");
  for (int i = 0; i < 3; ++i) {
    const Shape& shape = ops[i].tensor ? ops[i].tensor->shape() : out_shape;
    *layouts[i] = side.layout(shape, *ops[i].params, ops[i].name);
  }
  layouts_defined(*layouts[0], *layouts[1], *layouts[2]);
  for (const QuantOperand& op : ops) side.scales(*op.params, op.name);
  contract_scales();
  for (const QuantOperand& op : ops) side.zero_points(*op.params, op.name);
  check_bias_not_nan(bias);
  return out_shape;
}

// Step 6 of qlinear and qconv2d: which x and out layouts the op defines.
struct WeightOpLayouts {
  std::string_view op;
  bool x_per_row;       // else per-tensor only
  int out_channel_dim;  // out per-tensor or per-channel on this dim (-1: the last)
  std::string_view x_defined, out_defined;  // for the message
};
inline constexpr WeightOpLayouts kQLinearLayouts{
    "qlinear", true, -1, "per-tensor or per-row ([..., 1])",
    "per-tensor or per-channel along the last dim ([1, .., 1, K])"};
inline constexpr WeightOpLayouts kQConv2dLayouts{"qconv2d", false, 1, "per-tensor only",
                                                 "per-tensor or per-channel [1, O, 1, 1]"};

// qlinear and qconv2d: x, w (which may have a float-domain zero point),
// out, the bias between w and out, and the bias grid of their contract.
template <typename Side, typename Args, typename Validated, typename OpShapes>
Shape validate_weight_op(const Args& a, const Side& side, Validated& v, OpShapes&& op_shapes,
                         const WeightOpLayouts& rules) {
  using Layout = typename Side::Layout;
  const QuantOperands ops = {{{"x", &a.x, &a.x_params, false},
                              {"w", &a.w, &a.w_params, true},
                              {"out", nullptr, &a.out_params, false}}};
  const auto layouts_defined = [&](const Layout& x, const Layout& w, const Layout& out) {
    if (!(rules.x_per_row ? side.per_row(x) : side.per_tensor(x))) {
      fail_undefined_layout(rules.op, "x", side.describe(x), rules.x_defined);
    }
    const int dim = rules.out_channel_dim < 0 ? side.rank(out) - 1 : rules.out_channel_dim;
    if (!side.per_channel_on(out, dim)) {
      fail_undefined_layout(rules.op, "out", side.describe(out), rules.out_defined);
    }
    side.bias_grid_layouts(a.contract, a.bias, x, a.x_params, w, a.w_params);
  };
  return validate_fused_operands(
      ops, &a.bias, a.activation, side, {&v.x_layout, &v.w_layout, &v.out_layout}, op_shapes,
      layouts_defined, [&] { side.bias_grid_scales(a.contract, a.bias, a.x_params, a.w_params); });
}

template <typename Side>
auto validate_qlinear_with(const QLinearArgs& a, const Side& side) {
  QLinearValidated<typename Side::Layout> v;
  const auto op_shapes = [&] {
    static_cast<LinearGeometry&>(v) = linear_geometry(a.x.shape(), a.w.shape(), a.bias, "qlinear");
    return v.out_shape;
  };
  validate_weight_op(a, side, v, op_shapes, kQLinearLayouts);
  return v;
}

template <typename Side>
auto validate_qconv2d_with(const QConv2dArgs& a, const Side& side) {
  QConv2dValidated<typename Side::Layout> v;
  v.out_shape = validate_weight_op(a, side, v, [&] {
    static_cast<Conv2dGeometry&>(v) =
        conv2d_geometry(a.x.shape(), a.w.shape(), a.attrs, a.bias, "qconv2d");
    return Shape{v.n, v.o, v.oh, v.ow};
  }, kQConv2dLayouts);
  return v;
}

// qadd / qmul: any valid layout on each operand.
template <typename Side>
auto validate_qelementwise_with(const QElementwiseArgs& a, const Side& side) {
  using Layout = typename Side::Layout;
  QElementwiseValidated<Layout> v;
  const QuantOperands ops = {{{"a", &a.a, &a.a_params, false},
                              {"b", &a.b, &a.b_params, false},
                              {"out", nullptr, &a.out_params, false}}};
  v.out_shape = validate_fused_operands(
      ops, nullptr, a.activation, side, {&v.a_layout, &v.b_layout, &v.out_layout},
      [&] { return broadcast_shapes(a.a.shape(), a.b.shape()); },
      [](const Layout&, const Layout&, const Layout&) {}, [] {});
  return v;
}

}  // namespace qdiff
