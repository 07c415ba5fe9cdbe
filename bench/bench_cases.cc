#include "bench/bench_cases.h"

#include <map>
#include <memory>
#include <random>

namespace qdiff::bench {

const char* op_name(Op op) { return op == Op::quantize ? "quantize" : "dequantize"; }

namespace {

BenchShape weight(const char* size, int64_t rows, int64_t cols) {
  return {std::string(size) + "_r" + std::to_string(cols), size, Shape{rows, cols}};
}

BenchShape activation(const char* size, int64_t b, int64_t c, int64_t in) {
  return {std::string(size) + "_bci_" + std::to_string(b) + "x" + std::to_string(c) + "x" + std::to_string(in),
          size, Shape{b, c, in}};
}

// A scale of the input's rank, 1 everywhere but `axis`.
Shape along(const Shape& dims, int axis) {
  Shape s = Shape::ones(dims.rank());
  s[axis] = dims[axis];
  return s;
}

template <int64_t kGroup>
std::optional<Shape> per_group(const Shape& d) {
  const int last = d.rank() - 1;
  if (d[last] % kGroup != 0) return std::nullopt;
  Shape s = d;
  s[last] = d[last] / kGroup;
  return s;
}

}  // namespace

const std::vector<BenchShape>& bench_shapes() {
  static const std::vector<BenchShape> all = {
      weight("64K", 256, 256),          weight("64K", 64, 1024),     weight("64K", 16, 4096),
      weight("64K", 8, 8192),           activation("64K", 4, 64, 256),
      weight("64M", 262144, 256),       weight("64M", 65536, 1024),  weight("64M", 16384, 4096),
      weight("64M", 8192, 8192),        activation("64M", 8, 2048, 4096),
  };
  return all;
}

const BenchShape& roofline_shape(const std::string& size) {
  for (const BenchShape& s : bench_shapes()) {
    if (s.size == size) return s;
  }
  return bench_shapes().front();
}

const std::vector<BenchLayout>& bench_layouts() {
  static const std::vector<BenchLayout> all = {
      {"per_tensor", [](const Shape&) -> std::optional<Shape> { return Shape{}; }},
      {"per_channel_axis0",
       [](const Shape& d) -> std::optional<Shape> {
         if (d.rank() != 2) return std::nullopt;
         return along(d, 0);
       }},
      {"per_token",  // [B, C, 1]: one scale per activation row
       [](const Shape& d) -> std::optional<Shape> {
         if (d.rank() != 3) return std::nullopt;
         return Shape{d[0], d[1], 1};
       }},
      {"per_channel_axis1",
       [](const Shape& d) -> std::optional<Shape> {
         if (d.rank() != 3) return std::nullopt;
         return along(d, 1);
       }},
      {"per_channel_last", [](const Shape& d) -> std::optional<Shape> { return along(d, d.rank() - 1); }},
      {"per_group_32", per_group<32>},
      {"per_group_128", per_group<128>},
      {"blockwise_64x64",
       [](const Shape& d) -> std::optional<Shape> {
         if (d.rank() != 2 || d[0] % 64 != 0 || d[1] % 64 != 0) return std::nullopt;
         return Shape{d[0] / 64, d[1] / 64};
       }},
  };
  return all;
}

Buffers& buffers(const BenchShape& shape) {
  static std::map<std::string, std::unique_ptr<Buffers>> all;
  auto& b = all[shape.name];
  if (!b) {
    b = std::make_unique<Buffers>();
    b->x = Tensor(DType::f32, shape.dims);
    b->q = Tensor(DType::i8, shape.dims);
    b->q_out = Tensor(DType::i8, shape.dims);
    b->y_out = Tensor(DType::f32, shape.dims);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-10.0f, 10.0f);
    for (auto& v : b->x.data<float>()) v = u(rng);
    for (auto& v : b->q.data<int8_t>()) v = int8_t(rng());
  }
  return *b;
}

QuantParams bench_params(const Shape& scale_shape) {
  QuantParams p;
  p.scale = Tensor(DType::f32, scale_shape);
  p.zero_point = Tensor(DType::i32, scale_shape);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0.05f, 0.1f);
  for (auto& v : p.scale.data<float>()) v = u(rng);
  for (auto& v : p.zero_point->data<int32_t>()) v = int32_t(rng() % 11) - 5;
  return p;
}

}  // namespace qdiff::bench
