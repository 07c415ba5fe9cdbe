// Structural reduction of a failing case, run after RapidCheck's shrink.
//
// RapidCheck shrinks the choices a case was drawn from; a change early in
// the stream (a smaller dim) redraws everything after it, so large tensors
// filled from one seed rarely shrink far. The reducer works on the case
// itself: it slices dims down to single blocks, drops size-1 dims, zeroes
// values and simplifies params, keeping each step that still fails the
// property (greedy, like a delta-debugger). Every candidate is a valid
// slice of the original (blocks are kept whole), so a property's domain
// is preserved.
#pragma once

#include <functional>

#include "cases/case.h"

namespace qdiff::props {

struct ReduceStats {
  int attempts = 0;
  int accepted = 0;
};

Case reduce_case(Case c, const std::function<bool(const Case&)>& still_fails,
                 ReduceStats* stats = nullptr, int max_attempts = 3000);

// Copy of `t` restricted to [start, start + length) along dim `d`.
Tensor slice_dim(const Tensor& t, int d, int64_t start, int64_t length);
// Copy of `t` without dim `d` (which must have size 1).
Tensor drop_dim(const Tensor& t, int d);

}  // namespace qdiff::props
