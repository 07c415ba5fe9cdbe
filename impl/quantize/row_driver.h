// How a row task is cut into runs for the row kernels of every op
// (impl/quantize/kernel_rows.h): runs of one scale, of whole groups, or of
// one scale per element, and when a batch of rows shares one parameter row.
#pragma once

#include <cstdint>

#include "impl/quantize/kernels.h"

namespace qdiff::impl::kernels {

static inline bool aligned64(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 63) == 0; }

// Splits a row into runs of one scale: run_const(begin, end, k), runs of
// whole groups: run_groups(begin, count, k) (group i uses k + i *
// group_stride), and runs of one scale per element: run_each(begin, end,
// base).
template <class ConstFn, class GroupsFn, class EachFn>
inline bool drive_row(const RowTask& t, int tail_width, bool drop_tail, ConstFn&& run_const,
                      GroupsFn&& run_groups, EachFn&& run_each) {
  const int64_t begin = t.begin;
  int64_t end = t.end;
  if (drop_tail) {
    // FAULT POINT simd_tail_dropped: replaces `end = t.end`; the vector
    // loop covers floor(n / W) * W elements and the tail is never written.
    end = begin + (end - begin) / tail_width * tail_width;
  }
  if (begin >= end) return false;
  if (t.groups == 1) return run_const(begin, end, t.scale_offset);
  bool nan = false;
  if (t.group == 1 && t.group_stride == 1) {
    if (end <= t.groups) return run_each(begin, end, t.scale_offset);
    // Elements at or past groups - 1 share the last scale (only reachable
    // under the block-size fault points, which clamp block indices).
    const int64_t split = t.groups - 1;
    if (begin < split) nan |= run_each(begin, split, t.scale_offset);
    const int64_t from = begin > split ? begin : split;
    return nan | run_const(from, end, t.scale_offset + split);
  }
  const int64_t g = t.group, last = t.groups - 1;
  int64_t k = begin / g;
  if (k > last) k = last;
  int64_t j = begin;
  if (k < last && j != k * g) {  // the rest of a group begun in an earlier piece
    const int64_t stop = (k + 1) * g < end ? (k + 1) * g : end;
    nan |= run_const(j, stop, t.scale_offset + k * t.group_stride);
    j = stop;
    ++k;
  }
  int64_t whole = (end - j) / g;  // whole groups
  if (k + whole > last) {
    // The last group extends to the end of the row (clamped block index);
    // it is a plain group only if it ends exactly at `end`.
    whole = last - k;
    if (j + (whole + 1) * g == end) ++whole;
  }
  if (whole > 0) {
    nan |= run_groups(j, whole, t.scale_offset + k * t.group_stride);
    j += whole * g;
    k += whole;
  }
  // a partial group, or the last group, which extends to the end of the row
  if (j < end) nan |= run_const(j, end, t.scale_offset + k * t.group_stride);
  return nan;
}

// True when a batch of rows is a per-element scale row (see drive_row).
static inline bool batch_is_per_element(const RowTask& t, bool drop_tail) {
  return t.rows > 1 && !drop_tail && t.group == 1 && t.group_stride == 1 && t.end <= t.groups;
}

}  // namespace qdiff::impl::kernels
