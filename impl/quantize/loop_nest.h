// Walking a LoopNest (plan.h): the elements [first, last) of the flattened
// tensor, as a sequence of RowTasks. The outer dims advance as an odometer
// that tracks each dim's block index incrementally (no per-element or
// per-row index division), so the row kernels see only runs. Whole rows
// in one scale block of the innermost outer dim share one scale offset and
// go to the kernel in batches of up to nest.batch_rows rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "impl/quantize/kernels.h"
#include "impl/quantize/plan.h"

namespace qdiff::impl {

// Rows per batch of whole rows sharing one scale offset
// (LoopNest::batch_rows; 1 = no batching). A batch is one kernel call.
// With a per-element parameter row, the kernel loads each parameter
// vector once for all the batch's rows, walking the batch column slice by
// column slice; the cost is that the rows are read as several interleaved
// streams. The best count depends on the op and the row length; the rules
// below come from a sweep of row lengths on the benchmark machine
// (docs/impl-quantize.md, "Row batches").

// quantize family: at least 8 rows, 16K elements a batch for short rows,
// at most 64. (At the DRAM size, rows of at most kRowMajorAtDramMax
// elements are batched too, but the kernel walks them row by row.)
inline int64_t row_batch_quantize(int64_t row_length) {
  const int64_t rows = 16384 / row_length;
  return rows < 8 ? 8 : rows > 64 ? 64 : rows;
}

// dequantize: at least 8 rows, 4K elements a batch for short rows, at
// most 64; exactly 8 when the f32 output rows are a multiple of 4 KiB
// apart (row length a multiple of 1024): more such rows map to the same
// L1 sets than the cache has ways (measured: docs/impl-quantize.md).
inline int64_t row_batch_dequantize(int64_t row_length) {
  if (row_length % 1024 == 0) return 8;
  const int64_t rows = 4096 / row_length;
  return rows < 8 ? 8 : rows > 64 ? 64 : rows;
}

// choose_qparams' min/max kernel walks a batch row by row, so its batch
// only saves per-task overhead.
inline constexpr int64_t kRowBatchMinMax = 64;

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
  const int64_t batch = nest.batch_rows;
  const bool batchable = inner >= 0 && batch > 1;
  bool flagged = false;
  for (int64_t pos = first; pos < last;) {
    const int64_t len = r.size - j < last - pos ? r.size - j : last - pos;
    int64_t rows = 1;
    if (batchable && len == r.size) {
      // whole rows left: in the batch, in the inner outer dim's current
      // scale block (next[] is kNever in the last block), in [pos, last)
      const int64_t in_dim = nest.outer[inner].size - index[inner];
      const int64_t in_block = next[inner] - index[inner];
      const int64_t in_range = (last - pos) / r.size;
      rows = batch < in_dim ? batch : in_dim;
      if (in_block < rows) rows = in_block;
      if (in_range < rows) rows = in_range;
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
    // The batch's rows stay inside one scale block of the inner outer dim:
    // only the last step can cross a block or carry into outer dims.
    if (rows > 1) index[inner] += rows - 1;
    advance();
  }
  return flagged;
}

}  // namespace qdiff::impl
