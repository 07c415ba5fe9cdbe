// Visits every N-D index of a shape in row-major order: the "nested loops"
// of the reference, for any rank. f(index, flat) gets the index as a span.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "core/shape.h"

namespace qdiff::reference {

template <typename F>
void for_each_index(const Shape& shape, F&& f) {
  // Not numel(): it multiplies out [2^62, 2^62, 0] with signed overflow (UB)
  // before reaching the 0. Every shape visited here has passed the element cap.
  const int64_t n = shape.checked_numel().value_or(0);
  std::array<int64_t, kMaxRank> index{};
  const std::span<const int64_t> view(index.data(), size_t(shape.rank()));
  for (int64_t flat = 0; flat < n; ++flat) {
    f(view, flat);
    for (int d = shape.rank() - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// Flat row-major offset of the element of `shape` that output `index` (of a
// rank >= shape.rank()) reads under numpy broadcasting: size-1 dims repeat,
// missing leading dims are ignored. For a non-empty output only, so every
// dim of `shape` is >= 1 and the offsets stay below its numel.
inline int64_t broadcast_offset(const Shape& shape, std::span<const int64_t> index) {
  const int lead = int(index.size()) - shape.rank();
  int64_t flat = 0;
  for (int d = 0; d < shape.rank(); ++d) {
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[size_t(lead + d)]);
  }
  return flat;
}

}  // namespace qdiff::reference
