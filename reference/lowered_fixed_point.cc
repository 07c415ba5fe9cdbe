// The gemmlowp / TFLite fixed-point requantization of a lowered qlinear
// (SPEC section 8, core/lowered.h), as exact integer arithmetic.
#include "reference/lowered_fixed_point.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/dtype.h"

namespace qdiff::reference {
namespace {

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

int64_t saturate_int32(int64_t v) { return std::clamp(v, kInt32Min, kInt32Max); }

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The integer nearest a m / 2^31, ties toward +inf (|a m| < 2^62: exact).
int64_t doubling_high_mul(int64_t a, int64_t m) { return floor_div(a * m + (int64_t{1} << 30), int64_t{1} << 31); }

// x / 2^r to nearest, ties away from zero.
int64_t divide_by_pot_away(int64_t x, int r) {
  if (r == 0) return x;
  const int64_t magnitude = x < 0 ? -x : x;
  const int64_t q = (magnitude + (int64_t{1} << (r - 1))) >> r;
  return x < 0 ? -q : q;
}

// A compact [] or [K] tensor at channel k (nullopt if it does not cover k).
std::optional<int64_t> compact_int(const Tensor& t, int64_t k) {
  if (t.shape().rank() == 0) return t.int_at(0);
  if (t.shape().rank() == 1 && k < t.numel()) return t.int_at(k);
  return std::nullopt;
}

// Stored weight element i; packed int4 per SPEC section 1 (element 2i in
// the low nibble).
int64_t weight_at(const LoweredWeights& w, int64_t i) {
  if (!w.int4_packed) return w.data.int_at(i);
  const int64_t byte = w.data.int_at(i / 2);
  const int64_t nibble = i % 2 == 0 ? (byte & 0xF) : ((byte >> 4) & 0xF);
  return w.int4_signed && nibble >= 8 ? nibble - 16 : nibble;
}

int64_t clamp_to_dtype(int64_t v, DType d) {
  return std::clamp(v, dtype_min(d), dtype_max(d));
}

}  // namespace

std::optional<std::vector<int64_t>> fixed_point_qlinear(const LoweredOp& op, const Tensor& qx) {
  if (!op.weights || op.requant != LoweredRequant::fixed_point) return std::nullopt;
  const LoweredWeights& w = *op.weights;
  const int64_t k_count = w.out_features, depth = w.in_features;
  if (w.granularity == WeightGranularity::per_group || k_count < 1 || depth < 0) return std::nullopt;
  if (qx.shape().rank() < 1 || qx.shape()[qx.shape().rank() - 1] != depth || !is_integer(qx.dtype())) {
    return std::nullopt;
  }
  const int64_t stored = k_count * depth;
  if (w.data.numel() != (w.int4_packed ? (stored + 1) / 2 : stored)) return std::nullopt;
  const size_t m_count = op.multiplier.size();
  if ((m_count != 1 && int64_t(m_count) != k_count) || op.shift.size() != m_count) return std::nullopt;
  for (size_t i = 0; i < m_count; ++i) {
    if (op.multiplier[i] < (int32_t{1} << 30) || op.shift[i] < -31 || op.shift[i] > 31) return std::nullopt;
  }
  if (op.accumulator_bias && op.accumulator_bias->numel() != k_count) return std::nullopt;
  if (!op.channel_act_min.empty() &&
      (int64_t(op.channel_act_min.size()) < k_count || int64_t(op.channel_act_max.size()) < k_count)) {
    return std::nullopt;
  }
  const int64_t rows = depth == 0 ? qx.numel() : qx.numel() / depth;
  std::vector<int64_t> out(size_t(rows * k_count));
  for (int64_t k = 0; k < k_count; ++k) {
    const std::optional<int64_t> zw = w.zero_point ? compact_int(*w.zero_point, k) : std::optional<int64_t>(0);
    const std::optional<int64_t> z_out = compact_int(op.output_zero_point, k);
    if (!zw || !z_out) return std::nullopt;
    const size_t c = m_count == 1 ? 0 : size_t(k);
    const int64_t m = op.multiplier[c];
    const int e = op.shift[c];
    const int64_t lo = op.channel_act_min.empty() ? op.act_min : op.channel_act_min[size_t(k)];
    const int64_t hi = op.channel_act_min.empty() ? op.act_max : op.channel_act_max[size_t(k)];
    for (int64_t r = 0; r < rows; ++r) {
      // 128 bits: a hand-made program's centred operands may reach 2^33.
      __int128 acc = 0;
      for (int64_t d = 0; d < depth; ++d) {
        acc += __int128(qx.int_at(r * depth + d) - op.input_zero_point) * (weight_at(w, k * depth + d) - *zw);
      }
      if (op.accumulator_bias) acc += op.accumulator_bias->int_at(k);
      const int64_t acc32 = acc < kInt32Min ? kInt32Min : acc > kInt32Max ? kInt32Max : int64_t(acc);
      const int64_t a = saturate_int32(acc32 * (int64_t{1} << std::max(e, 0)));
      const int64_t t = divide_by_pot_away(doubling_high_mul(a, m), std::max(-e, 0));
      out[size_t(r * k_count + k)] = clamp_to_dtype(std::clamp(t + *z_out, lo, hi), op.output_dtype);
    }
  }
  return out;
}

}  // namespace qdiff::reference
