// qadd / qmul: the kernel of one innermost output run ("row"), written once
// in plain C++ and compiled in each ISA's translation unit
// (elementwise_kernels_{scalar,avx2,avx512}.cc), where the loops below
// vectorize: the row is cut into chunks, each operand is dequantized per
// scale segment (SPEC section 5: f32(f32(q) - f32(z)) * s), then
// y = f32(a + b) or f32(a * b), the activation, and the output stage of
// output_stage.h per output scale segment. Operands broadcast along the
// row are dequantized once (stride 0), never copied. Internal linkage:
// each ISA unit keeps its own copy.
#pragma once

#include <cstdint>

#include "impl/ops/elementwise_kernels.h"
#include "impl/ops/output_stage.h"

namespace qdiff::impl {
namespace elementwise_generic {
namespace {

constexpr int64_t kChunk = 512;

template <typename Q>
void dequantize_segment(const Q* __restrict q, int64_t n, float s, float z, float* __restrict out) {
  for (int64_t j = 0; j < n; ++j) out[j] = (float(q[j]) - z) * s;
}

template <typename Q>
float dequantize_one(const ElementwiseOperandRow& o, int64_t j, int64_t scale_offset) {
  const float z = o.z ? float(o.z[scale_offset]) : 0.0f;
  return (float(static_cast<const Q*>(o.q)[j * o.stride]) - z) * o.s[scale_offset];
}

// Elements [j0, j0 + n) of a stride-1 operand into out.
template <typename Q>
void dequantize_chunk(const ElementwiseOperandRow& o, int64_t j0, int64_t n, float* out) {
  const Q* q = static_cast<const Q*>(o.q);
  int64_t j = j0;
  while (j < j0 + n) {
    const int64_t blk = j / o.block;
    const int64_t end = (blk + 1) * o.block < j0 + n ? (blk + 1) * o.block : j0 + n;
    const int64_t si = blk * o.scale_step;
    dequantize_segment(q + j, end - j, o.s[si], o.z ? float(o.z[si]) : 0.0f, out + (j - j0));
    j = end;
  }
}

template <typename Q>
void operand_chunk(const ElementwiseOperandRow& o, int64_t j0, int64_t n, float* out) {
  dequantize_chunk<Q>(o, j0, n, out);
}

void dequantize_operand(const ElementwiseOperandRow& o, int64_t j0, int64_t n, float* out) {
  switch (o.dtype) {
    case DType::i8: return operand_chunk<int8_t>(o, j0, n, out);
    case DType::u8: return operand_chunk<uint8_t>(o, j0, n, out);
    case DType::i16: return operand_chunk<int16_t>(o, j0, n, out);
    case DType::u16: return operand_chunk<uint16_t>(o, j0, n, out);
    default: return;  // validated: 8- or 16-bit operands
  }
}

float dequantize_broadcast(const ElementwiseOperandRow& o) {
  switch (o.dtype) {
    case DType::i8: return dequantize_one<int8_t>(o, 0, 0);
    case DType::u8: return dequantize_one<uint8_t>(o, 0, 0);
    case DType::i16: return dequantize_one<int16_t>(o, 0, 0);
    case DType::u16: return dequantize_one<uint16_t>(o, 0, 0);
    default: return 0.0f;
  }
}

template <typename OutT>
void store_chunk(const ElementwiseRowArgs& r, int64_t j0, int64_t n, const float* y) {
  const ElementwiseOutputRow& o = r.out;
  OutT* out = static_cast<OutT*>(o.q);
  int64_t j = j0;
  while (j < j0 + n) {
    const int64_t blk = j / o.block;
    const int64_t end = (blk + 1) * o.block < j0 + n ? (blk + 1) * o.block : j0 + n;
    const int64_t si = blk * o.scale_step;
    if (r.narrow) {
      quantize_run_narrow<true>(y + (j - j0), end - j, o.s + si, o.z + si, o.lo + si, o.hi + si,
                                int32_t(r.stage.qmin), int32_t(r.stage.qmax), out + j);
    } else {
      for (int64_t i = j; i < end; ++i) {
        out[i] = OutT(output_value(y[i - j0], false, 0.0f, o.s[si], o.z[si], r.stage));
      }
    }
    j = end;
  }
}

void store(const ElementwiseRowArgs& r, int64_t j0, int64_t n, const float* y) {
  switch (r.out.dtype) {
    case DType::i8: return store_chunk<int8_t>(r, j0, n, y);
    case DType::u8: return store_chunk<uint8_t>(r, j0, n, y);
    case DType::i16: return store_chunk<int16_t>(r, j0, n, y);
    case DType::u16: return store_chunk<uint16_t>(r, j0, n, y);
    case DType::i32: return store_chunk<int32_t>(r, j0, n, y);
    case DType::f32: return;
  }
}

void row(const ElementwiseRowArgs& r) {
  float da[kChunk], db[kChunk], y[kChunk];
  const bool a_one = r.a.stride == 0, b_one = r.b.stride == 0;
  const float a0 = a_one ? dequantize_broadcast(r.a) : 0.0f;
  const float b0 = b_one ? dequantize_broadcast(r.b) : 0.0f;
  for (int64_t j0 = 0; j0 < r.n; j0 += kChunk) {
    const int64_t n = r.n - j0 < kChunk ? r.n - j0 : kChunk;
    if (!a_one) dequantize_operand(r.a, j0, n, da);
    if (!b_one) dequantize_operand(r.b, j0, n, db);
    if (r.op == ElementwiseOp::add) {
      if (a_one && b_one) {
        for (int64_t j = 0; j < n; ++j) y[j] = a0 + b0;
      } else if (a_one) {
        for (int64_t j = 0; j < n; ++j) y[j] = a0 + db[j];
      } else if (b_one) {
        for (int64_t j = 0; j < n; ++j) y[j] = da[j] + b0;
      } else {
        for (int64_t j = 0; j < n; ++j) y[j] = da[j] + db[j];
      }
    } else {
      if (a_one && b_one) {
        for (int64_t j = 0; j < n; ++j) y[j] = a0 * b0;
      } else if (a_one) {
        for (int64_t j = 0; j < n; ++j) y[j] = a0 * db[j];
      } else if (b_one) {
        for (int64_t j = 0; j < n; ++j) y[j] = da[j] * b0;
      } else {
        for (int64_t j = 0; j < n; ++j) y[j] = da[j] * db[j];
      }
    }
    bias_and_activation_run(y, n, nullptr, r.stage.activation);
    store(r, j0, n, y);
  }
}

}  // namespace
}  // namespace elementwise_generic
}  // namespace qdiff::impl
