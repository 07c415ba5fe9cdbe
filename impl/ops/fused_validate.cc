// The fused operators' validation (fused_validate.h has the order).
#include "impl/ops/fused_validate.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/fused_validation.h"
#include "impl/ops/bias_grid.h"
#include "impl/quantize/validate.h"

namespace qdiff::impl {
namespace {

// Step 5 for one operand: the block of every dim (SPEC section 2), derived
// from the scale's shape or given explicitly; every shape error of every
// dim before any divisibility error.
[[noreturn]] void fail_layout(std::string_view operand, const Shape& shape, ErrorKind kind,
                              const std::string& what) {
  fail(kind, "{} params for shape {}: {}", operand, shape.str(), what);
}

OperandLayout derive_layout(const Shape& shape, const QuantParams& p, std::string_view operand) {
  OperandLayout l;
  l.rank = shape.rank();
  for (int d = 0; d < l.rank; ++d) l.size[d] = shape[d];
  const Shape& scale = p.scale.shape();
  const auto& explicit_blocks = p.block_size;
  if (explicit_blocks && int(explicit_blocks->size()) != l.rank) {
    fail_layout(operand, shape, ErrorKind::invalid_shape,
                fmt::format("block_size has {} entries, input has rank {}",
                            explicit_blocks->size(), l.rank));
  }
  const int64_t scale_numel = scale.checked_numel().value_or(0);  // capped in step 2
  if (!explicit_blocks && scale_numel == 1) {
    l.per_tensor = true;
    for (int d = 0; d < l.rank; ++d) {
      l.block[d] = l.size[d];
      l.count[d] = 1;
    }
    return l;
  }
  if (scale.rank() != l.rank) {
    fail_layout(operand, shape, ErrorKind::invalid_shape,
                fmt::format("scale has rank {} (shape {}), input has rank {} (shape {}); a "
                            "non-scalar scale must have the input's rank",
                            scale.rank(), scale.str(), l.rank, shape.str()));
  }
  for (int d = 0; d < l.rank; ++d) {
    if (scale[d] < 1) {
      fail_layout(operand, shape, ErrorKind::invalid_shape,
                  fmt::format("scale dim {} has size {}, must be >= 1", d, scale[d]));
    }
    if (explicit_blocks) {
      const int64_t b = (*explicit_blocks)[d];
      if (b < 1) {
        fail_layout(operand, shape, ErrorKind::invalid_shape,
                    fmt::format("block_size[{}] is {}, must be >= 1", d, b));
      }
      const int64_t blocks = shape[d] == 0 ? 1 : (shape[d] - 1) / b + 1;  // ceil, >= 1
      if (scale[d] != blocks) {
        fail_layout(operand, shape, ErrorKind::invalid_shape,
                    fmt::format("scale dim {} has size {}, expected ceil({} / {}) = {} for "
                                "block_size[{}] = {}",
                                d, scale[d], shape[d], b, blocks, d, b));
      }
    }
  }
  for (int d = 0; d < l.rank; ++d) {
    l.count[d] = scale[d];
    if (explicit_blocks) {
      l.block[d] = (*explicit_blocks)[d];
      continue;
    }
    if (shape[d] == 0 && scale[d] != 1) {
      fail_layout(operand, shape, ErrorKind::non_divisible_block,
                  fmt::format("input dim {} has size 0, which needs scale dim {} of size 1, "
                              "got {}", d, d, scale[d]));
    }
    if (shape[d] % scale[d] != 0) {
      fail_layout(operand, shape, ErrorKind::non_divisible_block,
                  fmt::format("input dim {} (size {}) is not divisible by scale dim {} "
                              "(size {})", d, shape[d], d, scale[d]));
    }
    l.block[d] = shape[d] / scale[d];
  }
  int64_t stride = 1;
  for (int d = l.rank - 1; d >= 0; --d) {
    l.scale_stride[d] = stride;
    stride *= l.count[d];
  }
  l.scale_numel = scale_numel;
  l.per_tensor = scale_numel == 1;
  return l;
}

// What impl/ writes its own way in core's order (core/fused_validation.h):
// its OperandLayout, the step-6 predicates on it, and impl/quantize's
// vectorized value scans.
struct ImplChecks {
  using Layout = OperandLayout;

  OperandLayout layout(const Shape& shape, const QuantParams& p, std::string_view operand) const {
    OperandLayout l = derive_layout(shape, p, operand);
    check_zero_point_shape(p, operand);
    return l;
  }
  void scales(const QuantParams& p, std::string_view operand) const {
    check_scale_values(p, operand);
  }

  // Per-row: per-tensor, or a scale constant along the last dim with block 1
  // on every leading dim of size >= 2 (dims of size 0 or 1 hold at most one
  // index, so their block does not matter).
  bool per_row(const OperandLayout& l) const {
    if (l.per_tensor) return true;
    const int last = l.rank - 1;
    if (last < 0 || l.count[last] != 1) return false;
    for (int d = 0; d < last; ++d) {
      if (l.size[d] >= 2 && l.block[d] != 1) return false;
    }
    return true;
  }
  void zero_points(const QuantParams& p, std::string_view operand) const {
    check_zero_point_values(p, operand);
  }

  std::string describe(const OperandLayout& l) const {
    std::string blocks, counts;
    for (int d = 0; d < l.rank; ++d) {
      blocks += fmt::format("{}{}", d ? ", " : "", l.block[d]);
      counts += fmt::format("{}{}", d ? ", " : "", l.count[d]);
    }
    return fmt::format("{}block [{}], scale [{}]", l.per_tensor ? "per_tensor, " : "", blocks,
                       counts);
  }
  void bias_grid_layouts(const QLinearContract& c, const std::optional<Tensor>& bias,
                         const OperandLayout& x, const QuantParams& xp, const OperandLayout& w,
                         const QuantParams& wp) const {
    check_bias_grid_layouts(c, bias, x, xp, w, wp);
  }

  bool per_tensor(const OperandLayout& l) const { return l.per_tensor; }
  int rank(const OperandLayout& l) const { return l.rank; }
  bool per_channel_on(const OperandLayout& l, int dim) const { return is_per_channel_on(l, dim); }
  void bias_grid_scales(const QLinearContract& c, const std::optional<Tensor>& bias,
                        const QuantParams& xp, const QuantParams& wp) const {
    check_bias_grid_scales(c, bias, xp, wp);
  }
};

}  // namespace

bool is_per_channel_on(const OperandLayout& l, int dim) {
  if (l.per_tensor) return true;
  for (int d = 0; d < l.rank; ++d) {
    if (d != dim && l.count[d] != 1) return false;
  }
  return dim >= 0 && dim < l.rank && l.block[dim] == 1;
}

QLinearGeometry validate_qlinear_args(const QLinearArgs& args) {
  return validate_qlinear_with(args, ImplChecks{});
}

QConv2dGeometry validate_qconv2d_args(const QConv2dArgs& args) {
  return validate_qconv2d_with(args, ImplChecks{});
}

QElementwiseGeometry validate_qelementwise_args(const QElementwiseArgs& args) {
  return validate_qelementwise_with(args, ImplChecks{});
}

}  // namespace qdiff::impl
