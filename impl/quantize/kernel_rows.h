// The row kernels of every ISA family, written once over a vector-ops type
// V (ScalarOps in scalar_ops.h, Avx2Ops in kernels_avx2.cc, Avx512Ops in
// kernels_avx512.cc). Each ISA translation unit includes this header and
// instantiates make_kernel_table<V>() with its own V; every template here
// depends on V and the two helper functions are static, so code compiled
// with different -m flags never shares a symbol (no ODR mix of AVX-512 and
// portable code).
//
// Structure of one row (RowTask): drive_row() splits [begin, end) into
// runs sharing one scale (span_const: the scale's parameters are
// broadcast once and kept in registers), runs of whole groups
// (span_groups), or, for a scale that changes every element, one run
// reading the parameters as vectors (span_each; rows_each when the loop
// nest hands over a batch of rows sharing one parameter row). Each span
// has an unrolled full-vector loop, a single-vector loop and a tail
// (masked on AVX-512, the scalar formula on AVX2). On AVX-512 the common
// byte outputs take the fast form of kByteFastPath.
//
// The formulas are those of kernels.h; docs/impl-quantize.md has the
// exactness argument. Only IEEE f32 / f64 add, sub, mul, div, round and
// min/max are used, in the order written; never FMA.
//
// One header per family: quantize_rows.h, dequantize_rows.h,
// min_max_rows.h, over row_driver.h; this one fills the dispatch table.
#pragma once

#include <cstdint>
#include <utility>

#include "impl/quantize/kernels.h"
#include "impl/quantize/dequantize_rows.h"
#include "impl/quantize/min_max_rows.h"
#include "impl/quantize/quantize_rows.h"
#include "impl/quantize/scalar_ops.h"

namespace qdiff::impl::kernels {

template <class V, QuantizeConfig C>
constexpr bool config_reachable() {
  // float_domain quantize never uses a zero point in the arithmetic.
  return C.scaling != Scaling::float_domain || C.zero_point == ZeroPointMode::none;
}

template <class V, int kIndex>
void fill_quantize(KernelTable& t) {
  constexpr QuantizeConfig C{Scaling(kIndex / 16), Rounding((kIndex / 8) % 2),
                             ZeroPointMode((kIndex / 2) % 4), RangeMode(kIndex % 2)};
  static_assert(quantize_config_index(C) == kIndex);
  if constexpr (config_reachable<V, C>()) {
    if constexpr (C.range == RangeMode::narrow) {
      t.quantize[int(QuantOutput::i8)][kIndex] = &quantize_row<V, C, int8_t>;
      t.quantize[int(QuantOutput::u8)][kIndex] = &quantize_row<V, C, uint8_t>;
      t.quantize[int(QuantOutput::i16)][kIndex] = &quantize_row<V, C, int16_t>;
      t.quantize[int(QuantOutput::u16)][kIndex] = &quantize_row<V, C, uint16_t>;
    }
    t.quantize[int(QuantOutput::i32)][kIndex] = &quantize_row<V, C, int32_t>;
    t.quantize[int(QuantOutput::f32)][kIndex] = &quantize_row<V, C, float>;
  }
}

template <class V, int... kIndex>
void fill_all_quantize(KernelTable& t, std::integer_sequence<int, kIndex...>) {
  (fill_quantize<V, kIndex>(t), ...);
}

template <class V, DequantMode D>
void fill_dequantize(KernelTable& t) {
  t.dequantize[0][int(D)] = &dequantize_row<V, D, int8_t>;
  t.dequantize[1][int(D)] = &dequantize_row<V, D, uint8_t>;
  t.dequantize[2][int(D)] = &dequantize_row<V, D, int16_t>;
  t.dequantize[3][int(D)] = &dequantize_row<V, D, uint16_t>;
  t.dequantize[4][int(D)] = &dequantize_row<V, D, int32_t>;
}

// One IEEE f32 divide per element, W at a time (the columns of a
// per-channel or per-group call have one element per channel or group).
template <class V>
void reciprocals(const float* s, float* inv, int64_t n) {
  const auto one = V::set1(1.0f);
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) V::storef(inv + i, V::div(one, V::load(s + i)));
  for (; i < n; ++i) inv[i] = 1.0f / s[i];
}

template <class V>
KernelTable make_kernel_table(Isa isa) {
  KernelTable t;
  t.isa = isa;
  t.vector_width = V::kTailDropWidth;
  fill_all_quantize<V>(t, std::make_integer_sequence<int, kQuantizeConfigs>{});
  fill_dequantize<V, DequantMode::scaled>(t);
  fill_dequantize<V, DequantMode::centered>(t);
  fill_dequantize<V, DequantMode::float_domain>(t);
  t.min_max = &min_max_row<V>;
  t.reciprocals = &reciprocals<V>;
  return t;
}

}  // namespace qdiff::impl::kernels
