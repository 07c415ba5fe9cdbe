#include "properties/reduce.h"

#include <algorithm>
#include <cstring>

#include "core/block_layout.h"

namespace qdiff::props {

Tensor slice_dim(const Tensor& t, int d, int64_t start, int64_t length) {
  Shape shape = t.shape();
  shape[d] = length;
  Tensor out(t.dtype(), shape);
  const size_t width = dtype_size(t.dtype());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= t.shape()[i];
  for (int i = d + 1; i < t.shape().rank(); ++i) inner *= t.shape()[i];
  const auto* src = static_cast<const unsigned char*>(t.raw());
  auto* dst = static_cast<unsigned char*>(out.raw());
  const size_t run = size_t(length * inner) * width;
  for (int64_t o = 0; o < outer && run > 0; ++o) {
    std::memcpy(dst + size_t(o * length * inner) * width,
                src + size_t((o * t.shape()[d] + start) * inner) * width, run);
  }
  return out;
}

Tensor drop_dim(const Tensor& t, int d) {
  Shape shape;
  for (int i = 0; i < t.shape().rank(); ++i) {
    if (i != d) shape.push_back(t.shape()[i]);
  }
  return t.reshaped(shape);
}

namespace {

class Reducer {
 public:
  Reducer(const std::function<bool(const Case&)>& fails, ReduceStats& stats, int budget)
      : fails_(fails), stats_(stats), budget_(budget) {}

  // Adopts `candidate` if it still fails.
  bool attempt(Case& current, Case candidate) {
    if (stats_.attempts >= budget_) return false;
    ++stats_.attempts;
    if (!fails_(candidate)) return false;
    ++stats_.accepted;
    current = std::move(candidate);
    return true;
  }
  bool exhausted() const { return stats_.attempts >= budget_; }

 private:
  const std::function<bool(const Case&)>& fails_;
  ReduceStats& stats_;
  int budget_;
};

// Block size and count along dim d of an affine case (nullopt if the
// layout is invalid or the scale is not full rank).
struct DimBlocks {
  int64_t block;
  int64_t count;
  bool scale_full_rank;
};

std::optional<DimBlocks> dim_blocks(const AffineCase& c, int d) {
  const int64_t n = c.input.shape()[d];
  if (c.op == AffineOpKind::choose_qparams) {
    const int64_t b = c.choose.block_size ? (*c.choose.block_size)[size_t(d)] : std::max<int64_t>(n, 1);
    if (b <= 0 || n % b != 0) return std::nullopt;
    return DimBlocks{b, n / b, false};
  }
  try {
    const BlockLayout l = BlockLayout::derive(c.input.shape(), c.params.scale.shape(), c.params.block_size);
    const bool full = c.params.scale.shape().rank() == c.input.shape().rank() && !l.is_per_tensor();
    if (!full) return DimBlocks{std::max<int64_t>(n, 1), 1, false};
    return DimBlocks{std::max<int64_t>(l.block(d), 1), c.params.scale.shape()[d], true};
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The case restricted to blocks [first, first + count) along dim d.
std::optional<AffineCase> slice_blocks(const AffineCase& c, int d, const DimBlocks& b, int64_t first,
                                       int64_t count) {
  const int64_t n = c.input.shape()[d];
  const int64_t start = first * b.block;
  const int64_t length = std::min(n, (first + count) * b.block) - start;
  if (length <= 0 || length >= n) return std::nullopt;
  AffineCase out = c;
  out.input = slice_dim(c.input, d, start, length);
  if (b.scale_full_rank) {
    out.params.scale = slice_dim(c.params.scale, d, first, count);
    if (c.params.zero_point) out.params.zero_point = slice_dim(*c.params.zero_point, d, first, count);
  }
  return out;
}

void reduce_affine_dims(Case& current, Reducer& r) {
  bool progress = true;
  while (progress && !r.exhausted()) {
    progress = false;
    const AffineCase c = std::get<AffineCase>(current);
    for (int d = 0; d < c.input.shape().rank() && !progress; ++d) {
      const auto b = dim_blocks(c, d);
      const int64_t n = c.input.shape()[d];
      if (n <= 1) continue;
      if (!b) {
        // Invalid layout (error parity cases): plain halving of the input.
        AffineCase h = c;
        h.input = slice_dim(c.input, d, 0, n / 2);
        progress = r.attempt(current, h);
        continue;
      }
      // One block, the first or the last, then half the blocks; for a
      // whole-dim block, a single element or half of them.
      std::vector<std::pair<int64_t, int64_t>> windows;  // (first block, count)
      if (b->count > 1) {
        windows = {{0, 1}, {b->count - 1, 1}, {0, b->count / 2}, {b->count / 2, b->count - b->count / 2}};
        for (int64_t j = 1; j + 1 < b->count && j < 8; ++j) windows.push_back({j, 1});
      }
      for (const auto& [first, count] : windows) {
        if (const auto s = slice_blocks(c, d, *b, first, count)) {
          if ((progress = r.attempt(current, *s))) break;
        }
      }
      if (progress || b->count > 1) continue;
      // A single block spans the dim: shorten it (derived mode re-derives
      // the block; explicit mode keeps ceil(n / b) == 1).
      for (const auto& [start, length] : std::vector<std::pair<int64_t, int64_t>>{
               {0, 1}, {n - 1, 1}, {0, n / 2}, {n / 2, n - n / 2}}) {
        AffineCase s = c;
        s.input = slice_dim(c.input, d, start, length);
        if (c.op == AffineOpKind::choose_qparams && c.choose.block_size) {
          (*s.choose.block_size)[size_t(d)] = length;
        }
        if ((progress = r.attempt(current, s))) break;
      }
    }
  }
}

// Removes dims of size 1 (with their scale dims, when the scale is full
// rank and also 1 there).
void drop_unit_dims(Case& current, Reducer& r) {
  for (int d = std::get<AffineCase>(current).input.shape().rank() - 1; d >= 0 && !r.exhausted(); --d) {
    const AffineCase& c = std::get<AffineCase>(current);
    if (c.input.shape()[d] != 1) continue;
    AffineCase s = c;
    s.input = drop_dim(c.input, d);
    const bool full = c.params.scale.shape().rank() == c.input.shape().rank();
    if (c.op != AffineOpKind::choose_qparams && full) {
      if (c.params.scale.shape()[d] != 1) continue;
      s.params.scale = drop_dim(c.params.scale, d);
      if (c.params.zero_point) s.params.zero_point = drop_dim(*c.params.zero_point, d);
    }
    if (c.params.block_size && int(c.params.block_size->size()) == c.input.shape().rank()) {
      s.params.block_size->erase(s.params.block_size->begin() + d);
    }
    if (c.op == AffineOpKind::choose_qparams && c.choose.block_size &&
        int(c.choose.block_size->size()) == c.input.shape().rank()) {
      s.choose.block_size->erase(s.choose.block_size->begin() + d);
    }
    r.attempt(current, s);
  }
}

// Zeroes chunks of the input (delta-debugging style, halving chunk sizes).
void zero_values(Case& current, Reducer& r) {
  const int64_t n = std::get<AffineCase>(current).input.numel();
  if (n <= 1 || n > 4096) return;
  for (int64_t chunk = std::max<int64_t>(1, n / 2); !r.exhausted(); chunk /= 2) {
    for (int64_t start = 0; start < n && !r.exhausted(); start += chunk) {
      AffineCase s = std::get<AffineCase>(current);
      const size_t width = dtype_size(s.input.dtype());
      const int64_t end = std::min(n, start + chunk);
      auto* bytes = static_cast<unsigned char*>(s.input.raw());
      bool all_zero = true;
      for (size_t i = size_t(start) * width; i < size_t(end) * width; ++i) all_zero &= bytes[i] == 0;
      if (all_zero) continue;
      std::memset(bytes + size_t(start) * width, 0, size_t(end - start) * width);
      r.attempt(current, s);
    }
    if (chunk == 1) break;
  }
}

void simplify_params(Case& current, Reducer& r) {
  const AffineCase& c = std::get<AffineCase>(current);
  if (c.op == AffineOpKind::choose_qparams) return;
  if (c.params.zero_point && c.params.zero_point_domain == ZeroPointDomain::int_domain) {
    AffineCase s = c;
    s.params.zero_point.reset();
    r.attempt(current, s);
  }
  if (std::get<AffineCase>(current).contract != Contract::torchao) {
    AffineCase s = std::get<AffineCase>(current);
    s.contract = Contract::torchao;
    r.attempt(current, s);
  }
}

}  // namespace

Case reduce_case(Case c, const std::function<bool(const Case&)>& still_fails, ReduceStats* stats,
                 int max_attempts) {
  ReduceStats local;
  ReduceStats& st = stats ? *stats : local;
  Reducer r(still_fails, st, max_attempts);
  if (!std::holds_alternative<AffineCase>(c)) return c;  // fused cases: RapidCheck's shrink only
  for (int round = 0; round < 4 && !r.exhausted(); ++round) {
    const int before = st.accepted;
    reduce_affine_dims(c, r);
    drop_unit_dims(c, r);
    simplify_params(c, r);
    zero_values(c, r);
    if (st.accepted == before) break;
  }
  return c;
}

}  // namespace qdiff::props
