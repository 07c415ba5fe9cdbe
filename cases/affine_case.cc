#include "cases/affine_case.h"

#include <fmt/format.h>

#include "core/block_layout.h"
#include "core/error.h"

namespace qdiff {

std::string_view affine_op_name(AffineOpKind op) {
  switch (op) {
    case AffineOpKind::quantize: return "quantize_affine";
    case AffineOpKind::dequantize: return "dequantize_affine";
    case AffineOpKind::choose_qparams: return "choose_qparams_affine";
    case AffineOpKind::fake_quantize: return "fake_quantize_affine";
  }
  return "?";
}

std::optional<AffineOpKind> parse_affine_op(std::string_view name) {
  for (AffineOpKind op : kAllAffineOps) {
    if (affine_op_name(op) == name) return op;
  }
  return std::nullopt;
}

namespace {

// The layout the op would use, or why it has none. choose_qparams without a
// block_size uses one block over the whole tensor, a zero-size dim taking
// block 1 (as reference/validate.cc does).
std::string layout_description(const AffineCase& c) {
  try {
    if (c.op != AffineOpKind::choose_qparams) {
      return BlockLayout::derive(c.input.shape(), c.params.scale.shape(), c.params.block_size)
          .describe();
    }
    std::vector<int64_t> blocks;
    if (c.choose.block_size) {
      blocks = *c.choose.block_size;
    } else {
      for (int64_t d : c.input.shape()) blocks.push_back(d == 0 ? 1 : d);
    }
    return BlockLayout::from_divisible_blocks(c.input.shape(), blocks).describe();
  } catch (const Error& e) {
    return fmt::format("invalid layout: {}", e.what());
  }
}

}  // namespace

std::string AffineCase::summary() const {
  std::string s = fmt::format("{} {} input {} {}", affine_op_name(op), contract_name(contract),
                              dtype_name(input.dtype()), input.shape().str());
  if (op == AffineOpKind::choose_qparams) {
    s += fmt::format(" | {} {} [{}, {}] {} eps {}", mapping_name(choose.mapping),
                     dtype_name(choose.dtype), choose.quant_min, choose.quant_max,
                     domain_name(choose.zero_point_domain), choose.eps);
    if (choose.block_size) {
      s += fmt::format(" block_size [{}]", fmt::join(*choose.block_size, ", "));
    }
  } else {
    s += fmt::format(" | {}", params.summary());
  }
  s += fmt::format(" | {}", layout_description(*this));
  return s;
}

}  // namespace qdiff
