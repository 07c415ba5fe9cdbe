// The flat scale index of each element of a tensor, in row-major order,
// kept incrementally: BlockLayout::scale_index() of every element, without
// its division per dim (the generators dequantize whole operands to size
// output scales; scale_index() per element was a tenth of a qlinear fuzz
// execution).
//
//   ScaleOdometer it(layout);
//   for (int64_t flat = 0; flat < numel; ++flat, it.next()) use(it.scale_index());
#pragma once

#include <array>
#include <cstdint>

#include "core/block_layout.h"
#include "core/shape.h"

namespace qdiff::props {

class ScaleOdometer {
 public:
  explicit ScaleOdometer(const BlockLayout& l) : shape_(l.input_shape()), rank_(l.input_shape().rank()) {
    int64_t stride = 1;
    for (int d = rank_ - 1; d >= 0; --d) {
      block_[size_t(d)] = l.block(d);
      // A per-tensor scale is element 0 whatever the block sizes say.
      scale_stride_[size_t(d)] = l.is_per_tensor() ? 0 : stride;
      stride *= l.scale_shape()[d];
    }
  }

  int64_t scale_index() const { return scale_index_; }

  // To the next element in row-major order (after the last: back to 0).
  void next() {
    for (int d = rank_ - 1; d >= 0; --d) {
      const size_t u = size_t(d);
      ++index_[u];
      if (++within_[u] == block_[u]) {  // into the next block along d
        within_[u] = 0;
        ++block_index_[u];
        scale_index_ += scale_stride_[u];
      }
      if (index_[u] < shape_[d]) return;
      scale_index_ -= block_index_[u] * scale_stride_[u];  // wrap d, carry
      index_[u] = within_[u] = block_index_[u] = 0;
    }
  }

 private:
  Shape shape_;
  int rank_;
  std::array<int64_t, kMaxRank> block_{}, scale_stride_{}, index_{}, within_{}, block_index_{};
  int64_t scale_index_ = 0;
};

}  // namespace qdiff::props
