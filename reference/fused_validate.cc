#include "reference/fused_validate.h"

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/fused_validation.h"
#include "reference/bias_grid.h"
#include "reference/validate.h"

namespace qdiff::reference {
namespace {

// What reference/ writes its own way in core's order (core/fused_validation.h):
// core's BlockLayout and reference/validate.h's value checks.
struct ReferenceChecks {
  using Layout = BlockLayout;
  static constexpr auto layout = check_params_layout;
  static constexpr auto per_row = is_per_row_layout;
  static constexpr auto per_channel_on = is_per_channel_layout_on;
  static constexpr auto bias_grid_layouts = check_bias_grid_layouts;
  static constexpr auto scales = check_scale_values;
  static constexpr auto bias_grid_scales = check_bias_grid_scales;
  static constexpr auto zero_points = check_zero_point_values;
  static bool per_tensor(const BlockLayout& l) { return l.is_per_tensor(); }
  static int rank(const BlockLayout& l) { return l.input_shape().rank(); }
  static std::string describe(const BlockLayout& l) { return l.describe(); }
};

}  // namespace

bool is_per_row_layout(const BlockLayout& l) {
  if (l.is_per_tensor()) return true;
  const Shape& in = l.input_shape();
  const int last = in.rank() - 1;
  if (last < 0 || l.scale_shape()[last] != 1) return false;
  for (int i = 0; i < last; ++i) {
    if (in[i] >= 2 && l.block(i) != 1) return false;
  }
  return true;
}

bool is_per_channel_layout_on(const BlockLayout& l, int dim) {
  if (l.is_per_tensor()) return true;
  const Shape& s = l.scale_shape();
  for (int i = 0; i < s.rank(); ++i) {
    if (i != dim && s[i] != 1) return false;
  }
  return dim >= 0 && dim < s.rank() && l.block(dim) == 1;
}

QLinearPlan validate_qlinear(const QLinearArgs& args) {
  return validate_qlinear_with(args, ReferenceChecks{});
}

QConv2dPlan validate_qconv2d(const QConv2dArgs& args) {
  return validate_qconv2d_with(args, ReferenceChecks{});
}

QElementwisePlan validate_qelementwise(const QElementwiseArgs& args) {
  return validate_qelementwise_with(args, ReferenceChecks{});
}

}  // namespace qdiff::reference
