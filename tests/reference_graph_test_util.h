// Small helpers shared by the graph-level tests (tests/reference_graph_*_test.cc,
// tests/cases_graph_*_test.cc): tensors, the error a call raises, and f32 bit
// comparisons.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/float_bits.h"
#include "core/limits.h"
#include "core/tensor.h"
#include "tests/test_util.h"

namespace qdiff::graph_test {

using test_util::error_of;

using test_util::CapGuard;

inline Tensor f32(const Shape& shape, std::vector<float> v) { return Tensor::of<float>(shape, v); }
inline Tensor i8(const Shape& shape, std::vector<int8_t> v) { return Tensor::of<int8_t>(shape, v); }
inline Tensor u8(const Shape& shape, std::vector<uint8_t> v) { return Tensor::of<uint8_t>(shape, v); }
inline Tensor i32(const Shape& shape, std::vector<int32_t> v) { return Tensor::of<int32_t>(shape, v); }
inline Tensor scalar(float v) { return Tensor::of<float>(Shape{}, {v}); }

inline std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.int_at(i));
  return out;
}

// f32 values as bit patterns, so -0.0 != 0.0 and NaN == NaN (of one payload).
inline std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<uint32_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(f32_bits(t.f32_at(i)));
  return out;
}
inline std::vector<uint32_t> bits(const std::vector<float>& v) {
  std::vector<uint32_t> out;
  for (float x : v) out.push_back(f32_bits(x));
  return out;
}

}  // namespace qdiff::graph_test

// EXPECT_ERROR(expr, kind, substring): expr throws qdiff::Error of that kind
// whose message contains substring.
#define EXPECT_ERROR(expr, want_kind, substring)                                     \
  do {                                                                               \
    const auto e_ = ::qdiff::graph_test::error_of([&] { (void)(expr); });           \
    ASSERT_TRUE(e_.has_value()) << "no error from " #expr ", wanted " #want_kind;   \
    EXPECT_EQ(::qdiff::error_kind_name(e_->kind()),                                  \
              ::qdiff::error_kind_name(::qdiff::ErrorKind::want_kind))               \
        << e_->what();                                                               \
    EXPECT_THAT(std::string(e_->what()), ::testing::HasSubstr(substring));           \
  } while (0)
