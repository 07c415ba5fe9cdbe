#include "properties/reduce.h"

#include <algorithm>
#include <cstring>

#include "core/block_layout.h"
#include "properties/reduce_graph.h"

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

// --- qlinear -----------------------------------------------------------------

// x as [M, In] (and per-row x params as [M, 1]); the output params as
// [1, K] when per-channel. Same products, same layouts, rank 2.
std::optional<QLinearArgs> flatten_batch(const QLinearArgs& a) {
  const int r = a.x.shape().rank();
  if (r == 2 || r == 0) return std::nullopt;
  const int64_t in = a.x.shape()[r - 1];
  const int64_t m = in == 0 ? 0 : a.x.numel() / in;
  QLinearArgs f = a;
  f.x = a.x.reshaped(Shape{m, in});
  if (a.x_params.scale.numel() > 1) {
    if (a.x_params.scale.shape().rank() != r || a.x_params.block_size) return std::nullopt;
    f.x_params.scale = a.x_params.scale.reshaped(Shape{m, 1});
    if (a.x_params.zero_point) f.x_params.zero_point = a.x_params.zero_point->reshaped(Shape{m, 1});
  }
  if (a.out_params.scale.numel() > 1) {
    if (a.out_params.block_size) return std::nullopt;
    const int64_t k = a.out_params.scale.numel();
    f.out_params.scale = a.out_params.scale.reshaped(Shape{1, k});
    if (a.out_params.zero_point) f.out_params.zero_point = a.out_params.zero_point->reshaped(Shape{1, k});
  }
  return f;
}

// Rows [row, row + 1) of a rank-2 x.
std::optional<QLinearArgs> keep_row(const QLinearArgs& a, int64_t row) {
  if (a.x.shape().rank() != 2 || a.x.shape()[0] <= 1 || row >= a.x.shape()[0]) return std::nullopt;
  QLinearArgs f = a;
  f.x = slice_dim(a.x, 0, row, 1);
  if (a.x_params.scale.numel() > 1 && a.x_params.scale.shape().rank() == 2) {
    f.x_params.scale = slice_dim(a.x_params.scale, 0, row, 1);
    if (a.x_params.zero_point) f.x_params.zero_point = slice_dim(*a.x_params.zero_point, 0, row, 1);
  }
  return f;
}

// Output channels [first, first + count) when the weight's blocks along K
// are single rows (per-tensor, per-channel, per-group, partial groups).
std::optional<QLinearArgs> keep_channels(const QLinearArgs& a, int64_t first, int64_t count) {
  const int64_t k = a.w.shape().rank() == 2 ? a.w.shape()[0] : 0;
  if (k <= count || first + count > k) return std::nullopt;
  QLinearArgs f = a;
  f.w = slice_dim(a.w, 0, first, count);
  const Shape& ws = a.w_params.scale.shape();
  if (a.w_params.scale.numel() > 1) {
    if (ws.rank() != 2 || ws[0] != k) return std::nullopt;
    f.w_params.scale = slice_dim(a.w_params.scale, 0, first, count);
    if (a.w_params.zero_point) f.w_params.zero_point = slice_dim(*a.w_params.zero_point, 0, first, count);
  }
  if (a.bias && a.bias->shape() == Shape{k}) f.bias = slice_dim(*a.bias, 0, first, count);
  if (a.out_params.scale.numel() > 1) {
    const int r = a.out_params.scale.shape().rank();
    if (r == 0 || a.out_params.scale.shape()[r - 1] != k) return std::nullopt;
    f.out_params.scale = slice_dim(a.out_params.scale, r - 1, first, count);
    if (a.out_params.zero_point) f.out_params.zero_point = slice_dim(*a.out_params.zero_point, r - 1, first, count);
  }
  return f;
}

// Output channels {0, j}: channel j paired with the first one (a fault
// that mixes up channels shows with two of them, not always adjacent).
std::optional<QLinearArgs> keep_channel_pair(const QLinearArgs& a, int64_t j) {
  const auto first = keep_channels(a, 0, 1);
  const auto second = keep_channels(a, j, 1);
  if (!first || !second) return std::nullopt;
  auto join = [](const Tensor& x, const Tensor& y, int dim) {
    Shape s = x.shape();
    s[dim] = x.shape()[dim] + y.shape()[dim];
    Tensor out(x.dtype(), s);
    // Both have extent 1 along `dim`; interleave the two slabs.
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < dim; ++d) outer *= s[d];
    for (int d = dim + 1; d < s.rank(); ++d) inner *= s[d];
    const size_t w = dtype_size(x.dtype()) * size_t(inner);
    auto* dst = static_cast<unsigned char*>(out.raw());
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(dst + size_t(2 * o) * w, static_cast<const unsigned char*>(x.raw()) + size_t(o) * w, w);
      std::memcpy(dst + size_t(2 * o + 1) * w, static_cast<const unsigned char*>(y.raw()) + size_t(o) * w, w);
    }
    return out;
  };
  QLinearArgs f = *first;
  f.w = join(first->w, second->w, 0);
  if (a.w_params.scale.numel() > 1) {
    f.w_params.scale = join(first->w_params.scale, second->w_params.scale, 0);
    if (a.w_params.zero_point) f.w_params.zero_point = join(*first->w_params.zero_point, *second->w_params.zero_point, 0);
  }
  if (first->bias) f.bias = join(*first->bias, *second->bias, 0);
  if (a.out_params.scale.numel() > 1) {
    const int r = a.out_params.scale.shape().rank() - 1;
    f.out_params.scale = join(first->out_params.scale, second->out_params.scale, r);
    if (a.out_params.zero_point) f.out_params.zero_point = join(*first->out_params.zero_point, *second->out_params.zero_point, r);
  }
  return f;
}

// The reduction shortened to its first `n` columns, when the weight's
// blocks along In allow it (one block spanning In, or whole groups) and x
// has per-tensor or per-row params.
std::optional<QLinearArgs> keep_columns(const QLinearArgs& a, int64_t n) {
  const int rx = a.x.shape().rank();
  if (rx == 0 || a.w.shape().rank() != 2) return std::nullopt;
  const int64_t in = a.w.shape()[1];
  if (n <= 0 || n >= in || a.w_params.block_size || a.x_params.block_size) return std::nullopt;
  const Shape& ws = a.w_params.scale.shape();
  const int64_t groups = ws.rank() == 2 ? ws[1] : 1;
  const int64_t g = in / groups;
  if (groups > 1 && n % g != 0) return std::nullopt;
  QLinearArgs f = a;
  f.x = slice_dim(a.x, rx - 1, 0, n);
  f.w = slice_dim(a.w, 1, 0, n);
  if (groups > 1) {
    f.w_params.scale = slice_dim(a.w_params.scale, 1, 0, n / g);
    if (a.w_params.zero_point) f.w_params.zero_point = slice_dim(*a.w_params.zero_point, 1, 0, n / g);
  }
  return f;
}

void reduce_qlinear(Case& current, Reducer& r) {
  auto args = [&] { return std::get<QLinearCase>(current).args; };
  if (const auto f = flatten_batch(args())) r.attempt(current, QLinearCase{*f});
  for (bool progress = true; progress && !r.exhausted();) {
    progress = false;
    const QLinearArgs a = args();
    const int64_t m = a.x.shape().rank() == 2 ? a.x.shape()[0] : 0;
    for (int64_t row = 0; row < std::min<int64_t>(m, 8) && !progress; ++row) {
      if (const auto f = keep_row(a, row)) progress = r.attempt(current, QLinearCase{*f});
    }
    const int64_t k = a.w.shape().rank() == 2 ? a.w.shape()[0] : 0;
    for (const auto& [first, count] : std::vector<std::pair<int64_t, int64_t>>{
             {0, 1}, {0, 2}, {k - 2, 2}, {k - 1, 1}, {0, k / 2}, {k / 2, k - k / 2}}) {
      if (progress || first < 0 || count < 1) continue;
      if (const auto f = keep_channels(a, first, count)) progress = r.attempt(current, QLinearCase{*f});
    }
    for (int64_t j = 2; j < std::min<int64_t>(k, 17) && !progress; ++j) {
      if (const auto f = keep_channel_pair(a, j)) progress = r.attempt(current, QLinearCase{*f});
    }
    const int64_t in = a.w.shape().rank() == 2 ? a.w.shape()[1] : 0;
    for (int64_t n : {int64_t{1}, int64_t{2}, in / 2}) {
      if (progress) break;
      if (const auto f = keep_columns(a, n)) progress = r.attempt(current, QLinearCase{*f});
    }
  }
  if (args().bias) {
    QLinearArgs f = args();
    f.bias.reset();
    r.attempt(current, QLinearCase{f});
  }
  if (args().activation.kind != ActivationKind::none) {
    QLinearArgs f = args();
    f.activation = Activation{};
    r.attempt(current, QLinearCase{f});
  }
  // SPEC's default contract, as simplify_params does for quantize's.
  if (!args().contract.is_default()) {
    QLinearArgs f = args();
    f.contract = QLinearContract{};
    r.attempt(current, QLinearCase{f});
  }
}

}  // namespace

Case reduce_case(Case c, const std::function<bool(const Case&)>& still_fails, ReduceStats* stats,
                 int max_attempts) {
  ReduceStats local;
  ReduceStats& st = stats ? *stats : local;
  Reducer r(still_fails, st, max_attempts);
  if (auto* g = std::get_if<GraphCase>(&c)) {
    return reduce_graph_case(std::move(*g), [&](const GraphCase& x) { return still_fails(Case{x}); }, st, max_attempts);
  }
  if (std::holds_alternative<QLinearCase>(c)) {
    reduce_qlinear(c, r);
    return c;
  }
  if (!std::holds_alternative<AffineCase>(c)) return c;  // other fused cases: RapidCheck's shrink only
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
