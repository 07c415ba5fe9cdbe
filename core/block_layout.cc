#include "core/block_layout.h"

#include <fmt/format.h>

#include "core/error.h"

namespace qdiff {

std::string_view layout_class_name(LayoutClass c) {
  switch (c) {
    case LayoutClass::per_tensor: return "per_tensor";
    case LayoutClass::per_channel: return "per_channel";
    case LayoutClass::per_group: return "per_group";
    case LayoutClass::blockwise: return "blockwise";
  }
  return "?";
}

BlockLayout BlockLayout::derive(const Shape& input, const Shape& scale,
                                const std::optional<std::vector<int64_t>>& block_size) {
  BlockLayout l;
  l.input_ = input;
  l.explicit_ = block_size.has_value();
  const int rank = input.rank();
  if (block_size && int(block_size->size()) != rank) {
    fail(ErrorKind::invalid_shape, "block_size has {} entries, input has rank {}",
         block_size->size(), rank);
  }
  const auto scale_numel = scale.checked_numel();
  if (!block_size && scale_numel && *scale_numel == 1) {
    // Per-tensor: any scale rank; one block spanning every dim.
    l.per_tensor_ = true;
    l.scale_ = Shape::ones(rank);
    for (int i = 0; i < rank; ++i) l.block_[i] = input[i];
    return l;
  }
  if (scale.rank() != rank) {
    fail(ErrorKind::invalid_shape,
         "scale has rank {} (shape {}), input has rank {} (shape {}); a "
         "non-scalar scale must have the input's rank",
         scale.rank(), scale.str(), rank, input.str());
  }
  // Shape errors over all dims first, then divisibility (documented order).
  for (int i = 0; i < rank; ++i) {
    if (scale[i] < 1) {
      fail(ErrorKind::invalid_shape, "scale dim {} has size {}, must be >= 1", i,
           scale[i]);
    }
    if (block_size) {
      const int64_t b = (*block_size)[i];
      if (b < 1) {
        fail(ErrorKind::invalid_shape, "block_size[{}] is {}, must be >= 1", i, b);
      }
      // ceil(n / b), at least 1 so that a zero-size dim has one (empty) block.
      const int64_t want = input[i] == 0 ? 1 : (input[i] - 1) / b + 1;
      if (scale[i] != want) {
        fail(ErrorKind::invalid_shape,
             "scale dim {} has size {}, expected ceil({} / {}) = {} for "
             "block_size[{}] = {}",
             i, scale[i], input[i], b, want, i, b);
      }
    }
  }
  for (int i = 0; i < rank; ++i) {
    if (block_size) {
      l.block_[i] = (*block_size)[i];
      continue;
    }
    if (input[i] == 0 && scale[i] != 1) {
      fail(ErrorKind::non_divisible_block,
           "input dim {} has size 0, which needs scale dim {} of size 1, got {}",
           i, i, scale[i]);
    }
    if (input[i] % scale[i] != 0) {
      fail(ErrorKind::non_divisible_block,
           "input dim {} (size {}) is not divisible by scale dim {} (size {})", i,
           input[i], i, scale[i]);
    }
    l.block_[i] = input[i] / scale[i];
  }
  l.scale_ = scale;
  l.per_tensor_ = scale_numel == 1;  // checked: an overflowing count is not 1
  return l;
}

BlockLayout BlockLayout::from_divisible_blocks(const Shape& input,
                                               std::span<const int64_t> block_size) {
  const int rank = input.rank();
  if (int(block_size.size()) != rank) {
    fail(ErrorKind::invalid_shape, "block_size has {} entries, input has rank {}",
         block_size.size(), rank);
  }
  for (int i = 0; i < rank; ++i) {
    if (block_size[i] < 1) {
      fail(ErrorKind::invalid_shape, "block_size[{}] is {}, must be >= 1", i,
           block_size[i]);
    }
  }
  BlockLayout l;
  l.input_ = input;
  l.explicit_ = true;
  for (int i = 0; i < rank; ++i) {
    if (input[i] % block_size[i] != 0) {
      fail(ErrorKind::non_divisible_block,
           "input dim {} (size {}) is not divisible by block_size[{}] = {}", i,
           input[i], i, block_size[i]);
    }
    l.block_[i] = block_size[i];
    l.scale_.push_back(input[i] / block_size[i]);
  }
  l.per_tensor_ = l.scale_.checked_numel() == 1;  // never multiplies out an overflow
  return l;
}

std::vector<int> BlockLayout::varying_dims() const {
  std::vector<int> u;
  for (int i = 0; i < scale_.rank(); ++i) {
    if (scale_[i] != 1) u.push_back(i);
  }
  return u;
}

LayoutClass BlockLayout::classify() const {
  if (per_tensor_) return LayoutClass::per_tensor;
  const auto u = varying_dims();
  if (u.size() == 1 && block_[u[0]] == 1) return LayoutClass::per_channel;
  if (u.size() == 2) {
    const bool b0 = block_[u[0]] == 1, b1 = block_[u[1]] == 1;
    if ((b0 && block_[u[1]] > 1) || (b1 && block_[u[0]] > 1)) {
      return LayoutClass::per_group;
    }
  }
  return LayoutClass::blockwise;
}

std::optional<int> BlockLayout::channel_axis() const {
  const auto u = varying_dims();
  if (u.empty()) return 0;
  if (u.size() == 1) return u[0];
  return std::nullopt;
}

std::optional<std::pair<int, int>> BlockLayout::group_axes() const {
  if (classify() != LayoutClass::per_group) return std::nullopt;
  const auto u = varying_dims();
  if (block_[u[0]] == 1) return std::pair{u[0], u[1]};
  return std::pair{u[1], u[0]};
}

int64_t BlockLayout::scale_index(std::span<const int64_t> index) const {
  if (per_tensor_) return 0;
  int64_t flat = 0;
  for (int i = 0; i < input_.rank(); ++i) {
    flat = flat * scale_[i] + index[i] / block_[i];
  }
  return flat;
}

std::string BlockLayout::describe() const {
  std::string s(layout_class_name(classify()));
  if (const auto axis = channel_axis(); axis && classify() == LayoutClass::per_channel) {
    s += fmt::format(" axis {}", *axis);
  }
  if (const auto g = group_axes()) {
    s += fmt::format(" channel dim {} group dim {} (g = {})", g->first, g->second,
                     block_[g->second]);
  }
  s += fmt::format(", block [{}], scale {}{}", fmt::join(block_size(), ", "),
                   scale_.str(), explicit_ ? " (explicit)" : "");
  return s;
}

}  // namespace qdiff
