// BlockLayout (SPEC section 2): which scale element each input element uses.
//
//   derived mode:  block_size[i] = input.shape[i] / scale.shape[i]
//                  (input dim divisible by scale dim; a zero-size input dim
//                  needs scale dim 1)
//   explicit mode: scale.shape[i] == ceil(input.shape[i] / block_size[i])
//                  (the last block along a dim may be partial)
//   element x[i0, .., ir-1] uses scale[i0 / b0, .., ir-1 / br-1]
//
// Classification comes from shapes alone, as in the seed change. Let
// U = { i : scale.shape[i] != 1 }:
//   per_tensor   scale.numel() == 1
//   per_channel  |U| == 1 and block_size[u] == 1
//   per_group    |U| == 2, one dim of U has block 1 (channel), the other > 1
//   blockwise    everything else
//   channel_axis(): 0 if U is empty, u if U == {u}, none otherwise.
// Shape can mislead (a [1, G] scale on a [1, In] weight reads as blocks
// along dim 1): anything that needs an operator's channel axis takes it
// from the operator, never from this classification.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/shape.h"

namespace qdiff {

enum class LayoutClass { per_tensor, per_channel, per_group, blockwise };
inline constexpr LayoutClass kAllLayoutClasses[] = {
    LayoutClass::per_tensor, LayoutClass::per_channel, LayoutClass::per_group,
    LayoutClass::blockwise};
std::string_view layout_class_name(LayoutClass c);

class BlockLayout {
 public:
  // Validates the shapes (SPEC section 2, order in docs/validation-order.md):
  // throws invalid_shape or non_divisible_block naming dim and sizes.
  static BlockLayout derive(const Shape& input, const Shape& scale,
                            const std::optional<std::vector<int64_t>>& block_size);
  // For choose_qparams: block sizes given, each must divide its dim.
  // Throws invalid_shape (length, block < 1) or non_divisible_block.
  static BlockLayout from_divisible_blocks(const Shape& input,
                                           std::span<const int64_t> block_size);

  const Shape& input_shape() const { return input_; }
  // Scale shape with the input's rank (a per-tensor scale of any rank is
  // normalized to all ones).
  const Shape& scale_shape() const { return scale_; }
  // Block size per dim; a zero-size dim in derived mode has block 0.
  std::span<const int64_t> block_size() const { return {block_.data(), size_t(input_.rank())}; }
  int64_t block(int dim) const { return block_[dim]; }
  bool is_explicit() const { return explicit_; }
  int64_t scale_numel() const { return scale_.numel(); }

  LayoutClass classify() const;
  bool is_per_tensor() const { return per_tensor_; }
  bool is_per_channel() const { return classify() == LayoutClass::per_channel; }
  bool is_per_group() const { return classify() == LayoutClass::per_group; }
  std::optional<int> channel_axis() const;
  // For per_group layouts: {channel dim (block 1), group dim (block > 1)}.
  std::optional<std::pair<int, int>> group_axes() const;
  // Dims where the scale varies (U above).
  std::vector<int> varying_dims() const;

  // Flat row-major scale index used by the element at N-D `index`.
  int64_t scale_index(std::span<const int64_t> index) const;

  // "per_channel axis 0, block [1, 4], scale [2, 1]"
  std::string describe() const;

 private:
  Shape input_;
  Shape scale_;
  std::array<int64_t, kMaxRank> block_{};
  bool explicit_ = false;
  bool per_tensor_ = false;
};

}  // namespace qdiff
