// NaN that rounding decides (oracle/graph_nan_parity.h): the envelope's
// open flags and the nan_input parity they admit, on graphs worked by hand.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/graph.h"
#include "oracle/graph_envelope.h"
#include "oracle/graph_nan_parity.h"
#include "reference/graph_eval.h"
#include "tests/impl_graph_test_util.h"

namespace qdiff {
namespace {

using namespace impl_graph_test;

constexpr float kInf = std::numeric_limits<float>::infinity();

// x [1, n] -> linear(x, W = ones [1, n]) * c -> relu -> quantize (i8, s 1).
// Outputs: the product (f32) and the quantized value.
Graph dot_times(int64_t n, float c) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, n});
  const int w = b.constant(f32({1, n}, std::vector<float>(size_t(n), 1.0f)), "W");
  const int y = b.mul(b.linear(x, w), b.constant(f32({1}, {c}), "c"));
  b.output(y);
  b.output(b.quantize(b.relu(y), b.constant(scalar(1.0f)), std::nullopt, i8_spec()));
  return b.build();
}

ErrorKind rejection(const Graph& g, const std::vector<Tensor>& in) {
  try {
    reference::evaluate_graph(g, in);
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "the reference accepts the graph";
  return ErrorKind::unsupported;
}

// The sum an f32 implementation accumulating left to right gets.
float sequential_f32_sum(const std::vector<float>& v) {
  float s = 0;
  for (float t : v) s += t;
  return s;
}

// x = [1, 2^-25, -1, -2^-25]: the reference's dot product is exact, 0, and
// 0 * inf is NaN: the quantize rejects with nan_input. Left to right in
// f32, 1 + 2^-25 rounds to 1 (half an ulp of 1 is 2^-24), so the sum ends
// at -2^-25: -inf, relu 0, the quantize accepts. Both are correct, so the
// rejection is open.
TEST(GraphNanParity, ReferenceNanFromARoundedZeroIsOpen) {
  const std::vector<float> x{1.0f, 0x1p-25f, -1.0f, -0x1p-25f};
  EXPECT_EQ(sequential_f32_sum(x), -0x1p-25f);
  const Graph g = dot_times(4, kInf);
  const std::vector<Tensor> in{f32({1, 4}, x)};
  EXPECT_EQ(rejection(g, in), ErrorKind::nan_input);
  EXPECT_TRUE(nan_rejection_is_open(g, in, EnvelopeMode::transformed));
  EXPECT_TRUE(nan_rejection_is_open(g, in, EnvelopeMode::lowered));
}

// The mirror: x = [1, 2^-25, -1] sums exactly to 2^-25, the reference gets
// +inf (the quantize saturates at 127), the f32 left-to-right sum gets 0
// and NaN: an implementation may reject where the reference accepts.
TEST(GraphNanParity, ReferenceInfFromARoundedNonzeroLeavesNanOpen) {
  const std::vector<float> x{1.0f, 0x1p-25f, -1.0f};
  EXPECT_EQ(sequential_f32_sum(x), 0.0f);
  const Graph g = dot_times(3, kInf);
  const std::vector<Tensor> in{f32({1, 3}, x)};
  const GraphEnvelope env = graph_envelope(g, in, EnvelopeMode::transformed);
  EXPECT_EQ(env.values[size_t(g.outputs[1])].center.int_at(0), 127);
  EXPECT_EQ(env.nan_open_at_quantize, 1);
  // The f32 output admits NaN there too, and the reference's +inf.
  EXPECT_TRUE(judge_graph_outputs(env, {f32({1, 1}, {std::nanf("")}), i8({1, 1}, {127})}).ok);
  EXPECT_TRUE(judge_graph_outputs(env, {f32({1, 1}, {kInf}), i8({1, 1}, {127})}).ok);
}

// With a finite c nothing is open, whatever the rounding: 2^-25 * 2 is
// never NaN.
TEST(GraphNanParity, FiniteFactorsLeaveNothingOpen) {
  const Graph g = dot_times(3, 2.0f);
  const GraphEnvelope env = graph_envelope(g, {f32({1, 3}, {1.0f, 0x1p-25f, -1.0f})}, EnvelopeMode::transformed);
  EXPECT_EQ(env.nan_open_at_quantize, 0);
  EXPECT_FALSE(judge_graph_outputs(env, {f32({1, 1}, {std::nanf("")}), i8({1, 1}, {0})}).ok);
}

// An exact 0 times an exact inf is NaN in every implementation: the
// rejection is decided, and an executor that accepts is wrong.
TEST(GraphNanParity, ExactZeroTimesExactInfIsDecided) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {2});
  const int y = b.mul(x, b.constant(f32({2}, {kInf, 1.0f}), "c"));
  b.output(b.quantize(y, b.constant(scalar(1.0f)), std::nullopt, i8_spec()));
  const Graph g = b.build();
  const std::vector<Tensor> in{f32({2}, {0.0f, 3.0f})};
  EXPECT_EQ(rejection(g, in), ErrorKind::nan_input);
  EXPECT_FALSE(nan_rejection_is_open(g, in, EnvelopeMode::transformed));
}

// A NaN fed as input is the input's own (SPEC: nan_input), not rounding's.
TEST(GraphNanParity, NanInputIsDecided) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1});
  b.output(b.quantize(x, b.constant(scalar(1.0f)), std::nullopt, i8_spec()));
  const Graph g = b.build();
  const std::vector<Tensor> in{f32({1}, {std::nanf("")})};
  EXPECT_EQ(rejection(g, in), ErrorKind::nan_input);
  EXPECT_FALSE(nan_rejection_is_open(g, in, EnvelopeMode::transformed));
}

// inf - inf: a sum of two infinities is open when either may be finite.
// (Not tested the other way round: an infinity made by a mul of exact
// operands, 1 * inf, gets an infinite radius, so its NaN counts as open
// although it is decided; see oracle/graph_nan_parity.h.)
TEST(GraphNanParity, InfMinusARoundedInfIsOpen) {
  GraphBuilder b;
  const int x = b.input("x", DType::f32, {1, 3});
  const int w = b.constant(f32({1, 3}, {1.0f, 1.0f, 1.0f}), "W");
  const int big = b.mul(b.linear(x, w), b.constant(f32({1}, {kInf}), "c"));  // +inf, rounded
  const int exact = b.constant(f32({1}, {-kInf}), "minus_inf");
  b.output(b.quantize(b.add(big, exact), b.constant(scalar(1.0f)), std::nullopt, i8_spec()));
  b.output(b.quantize(b.add(exact, exact), b.constant(scalar(1.0f)), std::nullopt, i8_spec()));
  const Graph g = b.build();
  const std::vector<Tensor> in{f32({1, 3}, {1.0f, 0x1p-25f, -1.0f})};
  EXPECT_EQ(rejection(g, in), ErrorKind::nan_input);
  EXPECT_TRUE(nan_rejection_is_open(g, in, EnvelopeMode::transformed));
}

}  // namespace
}  // namespace qdiff
