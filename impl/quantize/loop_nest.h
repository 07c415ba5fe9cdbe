// Walking a LoopNest (plan.h): the elements [first, last) of the flattened
// tensor, as a sequence of RowTasks. The outer dims advance as an odometer
// that tracks each dim's block index incrementally (no per-element or
// per-row index division), so the row kernels see only runs. Whole rows
// along an outer dim with a constant scale share one scale offset and go
// to the kernel in batches (row_batch()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "impl/quantize/kernels.h"
#include "impl/quantize/plan.h"

namespace qdiff::impl {

// Rows per batch: 4 for long rows (4 concurrent input streams), more for
// short rows so that a batch covers at least 4096 elements.
inline int64_t row_batch(int64_t row_length) {
  const int64_t rows = 4096 / row_length;
  return rows < 4 ? 4 : rows > 64 ? 64 : rows;
}
// Batching saves parameter loads (8 bytes an element); but rows of 1024 or
// 2048 f32 are 4 or 8 KiB apart, so a batch's rows fall in the same L1
// sets, which measured slower than no batching at the DRAM size. Those
// lengths are batched only when the parameters outgrow L1 anyway.
inline bool row_batching_pays(int64_t row_length) {
  return row_length >= 4096 || (row_length * 4) % 4096 != 0;
}

// Calls row(task) for each row piece of [first, last); ORs the results.
// in / out are the tensors' data, with elements of in_bytes / out_bytes.
template <class RowFn>
bool for_each_row(const LoopNest& nest, int64_t first, int64_t last, const void* in,
                  size_t in_bytes, void* out, size_t out_bytes, RowFn&& row) {
  if (first >= last) return false;
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  const LoopDim& r = nest.row;
  int64_t row_index = first / r.size;
  int64_t j = first - row_index * r.size;

  // Odometer position of row_index: index, block and next block start per dim.
  int64_t index[kMaxRank], block[kMaxRank], next[kMaxRank];
  int64_t offset = 0;
  int64_t rest = row_index;
  for (int d = nest.outer_rank - 1; d >= 0; --d) {
    const LoopDim& o = nest.outer[d];
    index[d] = rest % o.size;
    rest /= o.size;
    block[d] = index[d] / o.block;
    if (block[d] > o.count - 1) block[d] = o.count - 1;
    next[d] = block[d] < o.count - 1 ? (block[d] + 1) * o.block : kNever;
    offset += block[d] * o.scale_stride;
  }
  // Moves the odometer to the next row.
  auto advance = [&] {
    for (int d = nest.outer_rank - 1; d >= 0; --d) {
      const LoopDim& o = nest.outer[d];
      if (++index[d] < o.size) {
        if (index[d] == next[d]) {
          ++block[d];
          offset += o.scale_stride;
          next[d] = block[d] < o.count - 1 ? next[d] + o.block : kNever;
        }
        return;
      }
      offset -= block[d] * o.scale_stride;
      index[d] = 0;
      block[d] = 0;
      next[d] = o.count > 1 ? o.block : kNever;
    }
  };

  RowTask task;
  task.group = r.block;
  task.groups = r.count;
  task.group_stride = r.scale_stride;
  task.row_stride = r.size;
  const int inner = nest.outer_rank - 1;
  const bool batchable =
      inner >= 0 && nest.outer[inner].count == 1 && row_batching_pays(r.size);
  const int64_t batch = row_batch(r.size);
  bool flagged = false;
  for (int64_t pos = first; pos < last;) {
    const int64_t len = r.size - j < last - pos ? r.size - j : last - pos;
    int64_t rows = 1;
    if (batchable && len == r.size) {
      while (rows < batch && index[inner] + rows < nest.outer[inner].size &&
             pos + (rows + 1) * r.size <= last) {
        ++rows;
      }
    }
    const int64_t row_start = row_index * r.size;
    task.in = static_cast<const char*>(in) + size_t(row_start) * in_bytes;
    task.out = static_cast<char*>(out) + size_t(row_start) * out_bytes;
    task.begin = j;
    task.end = j + len;
    task.rows = rows;
    task.scale_offset = offset < nest.max_row_offset ? offset : nest.max_row_offset;
    flagged |= row(task);
    pos += len + (rows - 1) * r.size;
    j = 0;
    row_index += rows;
    if (pos >= last) break;
    for (int64_t step = 0; step < rows; ++step) advance();
  }
  return flagged;
}

}  // namespace qdiff::impl
