// The cases quantize_bench measures: shapes real models have (weights
// [R, C] with rows of 256..8192 elements, activations [B, C, In]) at an
// in-cache size (64K elements) and the DRAM size (2^26, the element cap),
// every block layout that fits each shape, and the buffers they share.
//
// Benchmark names are "<runner>/<op>/<layout>/<shape>" (runner: qdiff,
// reference, xnnpack, onednn) and "<roofline strategy>/<op>/<size>"
// (rooflines.h); summary_table.cc parses them back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/quant_params.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace qdiff::bench {

enum class Op { quantize, dequantize };
const char* op_name(Op op);
constexpr Op kOps[] = {Op::quantize, Op::dequantize};

struct BenchShape {
  std::string name;  // "64K_r256", "64M_bci_8x2048x4096"
  std::string size;  // "64K" or "64M": which rooflines apply
  Shape dims;
};
// Every shape, the in-cache ones first.
const std::vector<BenchShape>& bench_shapes();
// The shape whose buffers the rooflines of `size` read and write.
const BenchShape& roofline_shape(const std::string& size);

struct BenchLayout {
  const char* name;
  // The scale shape for an input of `dims`; nullopt where the layout does
  // not apply (wrong rank, or the input is smaller than one block).
  std::optional<Shape> (*scale_shape)(const Shape& dims);
};
const std::vector<BenchLayout>& bench_layouts();

// Inputs and outputs of one shape: built on first use, kept for the run.
struct Buffers {
  Tensor x;      // f32 input of quantize, uniform in [-10, 10]
  Tensor q;      // i8 input of dequantize
  Tensor q_out;  // i8 output of quantize
  Tensor y_out;  // f32 output of dequantize
};
Buffers& buffers(const BenchShape& shape);

// Scales in [0.05, 0.1] and i32 zero points in [-5, 5] of `scale_shape`.
QuantParams bench_params(const Shape& scale_shape);

}  // namespace qdiff::bench
