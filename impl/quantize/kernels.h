// The kernel table: what one ISA family (scalar, AVX2, AVX-512) provides to
// the loop nest. A kernel processes one innermost run ("row") of the merged
// loop nest (plan.h); the arithmetic variant is chosen once per call from
// the contract, domain, range and fault points (KernelConfig).
//
// Per element, with s, z the element's scale and zero point:
//   quantize:  v = x * f32(1/s) | x / s | f32(x - min_val) / s   (Scaling)
//              [add_before: v = f32(v + f32(z))]
//              r = round_half_even(v) | round_half_away(v)          (Rounding)
//              narrow: q = clamp(f32(r + f32(z)), qmin, qmax) in f32
//              wide:   q = clamp(double(r) + z, qmin, qmax) in double
//   dequantize (DequantMode):
//              scaled   y = f32(q) * s
//              centered y = (f32(q) - f32(z)) * s
//              float    y = ((f32(q) - mid) * s) + z
//   fake_quantize: the quantize value, kept in f32, then the dequantize
//              formula of the same domain.
// docs/impl-quantize.md argues why each is bit-identical to SPEC sections 4-7.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "impl/options.h"

namespace qdiff::impl {

enum class Scaling : uint8_t { reciprocal, divide, float_domain };
enum class Rounding : uint8_t { half_even, half_away };
// none: no zero point in the arithmetic (none domain, absent zero point, float domain);
// clamp_first exists only for the clamp_before_zero_point fault point.
enum class ZeroPointMode : uint8_t { none, add_after, add_before, clamp_first };
// narrow: every value of [qmin, qmax] and every qmin - z, qmax - z is an
// exact f32 (max(|qmin|, |qmax|) <= 2^23), so the integer steps run in f32.
// wide: the clamp and the zero point addition run in double.
enum class RangeMode : uint8_t { narrow, wide };
enum class DequantMode : uint8_t { scaled, centered, float_domain };

inline constexpr int64_t kNarrowRangeLimit = int64_t{1} << 23;

struct QuantizeConfig {
  Scaling scaling = Scaling::reciprocal;
  Rounding rounding = Rounding::half_even;
  ZeroPointMode zero_point = ZeroPointMode::none;
  RangeMode range = RangeMode::narrow;
};

// Per scale element, structure of arrays indexed by the flat scale index.
// Only the arrays a call needs are filled (null otherwise).
struct ScaleColumns {
  const float* scale = nullptr;     // s
  const float* inverse = nullptr;   // f32(1 / s), reciprocal scaling
  const float* zero_f = nullptr;    // z, float domain (f32(z) of the int domain is
                                    // converted from zero_i in the kernels)
  const int32_t* zero_i = nullptr;  // z, int domain
  const float* min_val = nullptr;   // f32(z - f32(s * mid)), float-domain quantize
};

// Per call constants.
struct KernelConsts {
  float qmin_f = 0, qmax_f = 0;    // narrow: exact
  double qmin_d = 0, qmax_d = 0;   // wide: exact
  float mid = 0;                   // f32((qmax + qmin + 1) / 2), float domain
  bool drop_tail = false;          // FAULT POINT simd_tail_dropped (see row_driver.h)
  bool full_byte_range = false;    // i8 [-128, 127] or u8 [0, 255]: the byte fast path
  bool stream_stores = false;      // output far larger than the caches: non-temporal stores
};

// Quantize rows with a per-element scale of at most this many elements,
// in a call whose output is streamed (DRAM size), are walked row by row
// even inside a batch: their parameter row stays in L1 next to one
// sequential input stream with the software prefetch, which measured
// faster than the batch's column walk (docs/impl-quantize.md, "Row
// batches").
inline constexpr int64_t kRowMajorAtDramMax = 1024;

// One innermost run of the loop nest: elements [begin, end) of a row whose
// element j uses scale group min(j / group, groups - 1), i.e. flat scale
// index scale_offset + that * group_stride.
struct RowTask {
  const void* in = nullptr;   // element 0 of the row
  void* out = nullptr;        // element 0 of the row
  int64_t begin = 0, end = 0;
  int64_t group = 1;          // elements per scale along the row (>= 1)
  int64_t groups = 1;         // scale elements along the row (>= 1)
  int64_t group_stride = 1;   // flat scale index step between groups
  int64_t scale_offset = 0;
  // rows > 1: that many whole rows, row_stride elements apart, all with
  // this scale offset (the loop nest batches the rows of one scale block
  // of their outer dim: a per-element scale row is then loaded once per
  // batch, and the kernel is called once per batch rather than per row).
  int64_t rows = 1;
  int64_t row_stride = 0;
};

// Returns true if an input element of the row was NaN (quantize family).
using RowKernel = bool (*)(const RowTask&, const ScaleColumns&, const KernelConsts&);
// choose_qparams: folds the row's elements into mn[k], mx[k] (k = flat
// scale index as above, min/max as `if (x < mn) mn = x`). Returns true if
// an element was not finite (NaN or +-inf).
using MinMaxKernel = bool (*)(const RowTask&, float* mn, float* mx);

// Output kinds of the quantize family (storage types plus fake_quantize's f32).
enum class QuantOutput : uint8_t { i8, u8, i16, u16, i32, f32 };
inline constexpr int kQuantOutputs = 6;
inline constexpr int kStorageTypes = 5;  // i8 u8 i16 u16 i32, in DType order
inline constexpr int kDequantModes = 3;
// Index of a quantize configuration in the table.
inline constexpr int kQuantizeConfigs = 3 * 2 * 4 * 2;
constexpr int quantize_config_index(const QuantizeConfig& c) {
  return ((int(c.scaling) * 2 + int(c.rounding)) * 4 + int(c.zero_point)) * 2 + int(c.range);
}
inline int storage_index(DType d) { return int(d) - int(DType::i8); }

struct KernelTable {
  Isa isa = Isa::scalar;
  int vector_width = 1;  // f32 lanes; W of the simd_tail_dropped fault
  // [output][config]; null for combinations no call can ask for
  RowKernel quantize[kQuantOutputs][kQuantizeConfigs] = {};
  RowKernel dequantize[kStorageTypes][kDequantModes] = {};
  MinMaxKernel min_max = nullptr;
  // inv[i] = f32(1 / s[i]), i < n: the reciprocal scale column (plan.cc)
  void (*reciprocals)(const float* s, float* inv, int64_t n) = nullptr;
};

// The table of each family. Calling the AVX2 / AVX-512 ones is only valid
// when isa_supported() says so; they are null when not compiled in.
const KernelTable& scalar_kernels();
const KernelTable* avx2_kernels();
const KernelTable* avx512_kernels();

// Orders the non-temporal stores of the calling thread before later
// stores (sfence); called once per chunk when KernelConsts::stream_stores.
void store_fence();

// The table for options.isa (best_isa() if unset); throws unsupported if
// that ISA is not available on this CPU or build.
const KernelTable& select_kernels(const ImplOptions& options);

}  // namespace qdiff::impl
