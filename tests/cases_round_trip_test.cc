// Case files round-trip every op, every field and every f32 class bit for
// bit (cases/case_file.h), hand-written files read to the values worked out
// in the comments, and the writer's canonical form is stable.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "core/float_bits.h"
#include "core/limits.h"

namespace qdiff {
namespace {

std::vector<uint32_t> bits_of(const Tensor& t) {
  std::vector<uint32_t> b;
  for (float x : t.data<float>()) b.push_back(f32_bits(x));
  return b;
}

void expect_same_tensor(const Tensor& a, const Tensor& b, const char* what) {
  EXPECT_EQ(a.dtype(), b.dtype()) << what;
  EXPECT_EQ(a.shape(), b.shape()) << what << " " << a.shape().str() << " vs " << b.shape().str();
  EXPECT_TRUE(a.bitwise_equal(b)) << what;
}

void expect_same_case(const AffineCase& a, const AffineCase& b) {
  EXPECT_EQ(a.op, b.op);
  EXPECT_EQ(a.contract, b.contract);
  expect_same_tensor(a.input, b.input, "input");
  if (a.op == AffineOpKind::choose_qparams) {
    EXPECT_EQ(a.choose.mapping, b.choose.mapping);
    EXPECT_EQ(a.choose.dtype, b.choose.dtype);
    EXPECT_EQ(a.choose.quant_min, b.choose.quant_min);
    EXPECT_EQ(a.choose.quant_max, b.choose.quant_max);
    EXPECT_EQ(f32_bits(a.choose.eps), f32_bits(b.choose.eps));
    EXPECT_EQ(a.choose.zero_point_domain, b.choose.zero_point_domain);
    EXPECT_EQ(a.choose.block_size, b.choose.block_size);
    return;
  }
  expect_same_tensor(a.params.scale, b.params.scale, "scale");
  ASSERT_EQ(a.params.zero_point.has_value(), b.params.zero_point.has_value());
  if (a.params.zero_point) expect_same_tensor(*a.params.zero_point, *b.params.zero_point, "zp");
  EXPECT_EQ(a.params.quant_min, b.params.quant_min);
  EXPECT_EQ(a.params.quant_max, b.params.quant_max);
  EXPECT_EQ(a.params.dtype, b.params.dtype);
  EXPECT_EQ(a.params.zero_point_domain, b.params.zero_point_domain);
  EXPECT_EQ(a.params.block_size, b.params.block_size);
}

// write -> parse gives the same case; writing again gives the same text.
void expect_round_trip(const AffineCase& c) {
  const std::string text = write_affine_case(c);
  SCOPED_TRACE(text);
  const AffineCase back = parse_affine_case(text);
  expect_same_case(c, back);
  EXPECT_EQ(write_affine_case(back), text);
}

AffineCase per_channel_quantize() {
  AffineCase c;
  c.op = AffineOpKind::quantize;
  c.input = Tensor::of<float>({2, 4}, {-1.0f, 0.0f, 0.75f, 1.25f, 2.0f, -2.0f, 0.25f, 100.0f});
  c.params.scale = Tensor::of<float>({2, 1}, {0.5f, 0.25f});
  c.params.zero_point = Tensor::of<int32_t>({2, 1}, {0, 1});
  return c;
}

TEST(CaseRoundTrip, EveryOpEveryContractEveryDomain) {
  for (AffineOpKind op : kAllAffineOps) {
    for (Contract contract : kAllContracts) {
      for (ZeroPointDomain domain : kAllDomains) {
        AffineCase c = per_channel_quantize();
        c.op = op;
        c.contract = contract;
        if (op == AffineOpKind::dequantize) {
          c.input = Tensor::of<int8_t>({2, 4}, {-128, -1, 0, 1, 2, 3, 7, 127});
        }
        if (op == AffineOpKind::choose_qparams) {
          c.choose.mapping = Mapping::symmetric_no_clipping_err;
          c.choose.dtype = DType::u16;
          c.choose.quant_min = 3;
          c.choose.quant_max = 60000;
          c.choose.eps = 0x1p-20f;
          c.choose.zero_point_domain = domain;
          c.choose.block_size = std::vector<int64_t>{1, 2};
        } else {
          c.params.zero_point_domain = domain;
          if (domain == ZeroPointDomain::float_domain) {
            c.params.zero_point = Tensor::of<float>({2, 1}, {-0.0f, 1.5f});
          }
          if (domain == ZeroPointDomain::none) c.params.zero_point.reset();
        }
        SCOPED_TRACE(c.summary());
        expect_round_trip(c);
      }
    }
  }
}

TEST(CaseRoundTrip, OptionalFieldsPresentAndAbsent) {
  AffineCase c = per_channel_quantize();
  c.params.block_size = std::vector<int64_t>{1, 4};
  expect_round_trip(c);
  c.params.zero_point.reset();
  c.params.block_size.reset();
  expect_round_trip(c);
  AffineCase choose;
  choose.op = AffineOpKind::choose_qparams;
  choose.input = Tensor::of<float>({3}, {1.0f, -2.0f, 0.5f});
  for (Mapping m : kAllMappings) {
    choose.choose.mapping = m;
    expect_round_trip(choose);  // no block_size, default eps
  }
}

TEST(CaseRoundTrip, EveryF32ClassIsBitExact) {
  const std::vector<uint32_t> bits = {
      0x00000000, 0x80000000,  // +-0.0
      0x00000001, 0x80000001,  // +-2^-149, the smallest subnormal
      0x007FFFFF,              // the largest subnormal
      0x00800000,              // FLT_MIN
      0x7F7FFFFF, 0xFF7FFFFF,  // +-FLT_MAX
      0x7F800000, 0xFF800000,  // +-inf
      0x42FFFFFE,              // 127.999985: needs 9 digits (cases_f32_text_test)
      0x3DCCCCCD,              // 0.1f
      0x3F800001,              // 1 + 2^-23
      0x4B800001,              // 2^24 + 2: integer-valued, must stay a float token
      0x3F000000,              // 0.5
  };
  std::vector<float> values;
  for (uint32_t b : bits) values.push_back(f32_from_bits(b));
  AffineCase c;
  c.input = Tensor::of<float>({int64_t(values.size())}, values);
  c.params.scale = Tensor::of<float>({int64_t(values.size())}, values);
  c.params.zero_point = Tensor::of<float>({int64_t(values.size())}, values);
  c.params.zero_point_domain = ZeroPointDomain::float_domain;
  expect_round_trip(c);
  const AffineCase back = parse_affine_case(write_affine_case(c));
  EXPECT_EQ(bits_of(back.input), bits);
  EXPECT_EQ(bits_of(back.params.scale), bits);
  EXPECT_EQ(bits_of(*back.params.zero_point), bits);
}

TEST(CaseRoundTrip, NanReadsBackAsNan) {
  AffineCase c;
  c.input = Tensor::of<float>({2}, {std::numeric_limits<float>::quiet_NaN(),
                                    -std::numeric_limits<float>::quiet_NaN()});
  c.params.scale = Tensor::of<float>(Shape{}, {1.0f});
  const std::string text = write_affine_case(c);
  EXPECT_NE(text.find(R"("data": ["nan", "nan"])"), std::string::npos) << text;
  const AffineCase back = parse_affine_case(text);
  EXPECT_TRUE(std::isnan(back.input.f32_at(0)));
  EXPECT_TRUE(std::isnan(back.input.f32_at(1)));
}

TEST(CaseRoundTrip, EpsOfEveryClass) {
  AffineCase c;
  c.op = AffineOpKind::choose_qparams;
  c.input = Tensor::of<float>({1}, {1.0f});
  for (uint32_t b : {0x00800000u, 0x00000001u, 0x80000000u, 0x7F800000u, 0x3F800000u}) {
    c.choose.eps = f32_from_bits(b);
    expect_round_trip(c);
  }
  c.choose.eps = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(parse_affine_case(write_affine_case(c)).choose.eps));
}

TEST(CaseRoundTrip, IntegerDataAtEveryDtypeLimit) {
  AffineCase c = per_channel_quantize();
  c.op = AffineOpKind::dequantize;
  c.params.scale = Tensor::of<float>(Shape{}, {1.0f});
  c.params.zero_point.reset();
  c.input = Tensor::of<int8_t>({2}, {-128, 127});
  expect_round_trip(c);
  c.input = Tensor::of<uint8_t>({2}, {0, 255});
  expect_round_trip(c);
  c.input = Tensor::of<int16_t>({2}, {-32768, 32767});
  expect_round_trip(c);
  c.input = Tensor::of<uint16_t>({2}, {0, 65535});
  expect_round_trip(c);
  c.input = Tensor::of<int32_t>({2}, {std::numeric_limits<int32_t>::min(),
                                      std::numeric_limits<int32_t>::max()});
  expect_round_trip(c);
  // quant_min / quant_max are int64 fields: extreme values survive too.
  c.params.quant_min = std::numeric_limits<int64_t>::min();
  c.params.quant_max = std::numeric_limits<int64_t>::max();
  expect_round_trip(c);
}

TEST(CaseRoundTrip, ShapesOfEveryRankAndEmptyTensors) {
  AffineCase c;
  c.params.scale = Tensor::of<float>(Shape{}, {0.5f});
  c.input = Tensor::of<float>(Shape{}, {3.0f});  // rank 0: one element
  expect_round_trip(c);
  c.input = Tensor(DType::f32, Shape{2, 0, 3});  // empty
  expect_round_trip(c);
  EXPECT_NE(write_affine_case(c).find(R"("shape": [2, 0, 3], "data": [])"), std::string::npos);
  c.input = Tensor(DType::f32, Shape{1, 2, 1, 2, 1, 2, 1, 2});  // rank 8
  expect_round_trip(c);
}

TEST(CaseRoundTrip, EachTensorIsWrittenOnOneLine) {
  AffineCase c = per_channel_quantize();
  c.params.block_size = std::vector<int64_t>{1, 4};
  const std::string text = write_affine_case(c);
  std::istringstream lines(text);
  std::string line;
  int tensor_lines = 0;
  while (std::getline(lines, line)) {
    if (line.find("\"data\"") == std::string::npos) continue;
    ++tensor_lines;
    EXPECT_NE(line.find("\"dtype\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"shape\""), std::string::npos) << line;
    EXPECT_EQ(line.back(), ',') << "tensor not complete on its line: " << line;
  }
  EXPECT_EQ(tensor_lines, 3);  // input, scale, zero_point
  EXPECT_NE(text.find(R"(  "block_size": [1, 4],)"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

// A hand-written file using every shortcut: defaults, sub-byte names,
// integer tokens and "-0" in f32 data, hex floats, strings for non-finite
// values, unknown fields and nulls.
TEST(CaseRead, HandWrittenFileReadsToHandValues) {
  const AffineCase c = parse_affine_case(R"({
    "version": 1, "format": "qdiff-case", "op": "fake_quantize_affine",
    "future_field": {"nested": [1, [2, {"x": null}]], "more": "ignored"},
    "input": {"dtype": "f32", "shape": [2, 3], "comment": "ignored too",
              "data": [-0, 0, 3, "0x1.99999ap-4", "-inf", 123456789]},
    "scale": {"dtype": "f32", "shape": [2, 1], "data": [0.5, "0x1p-3"]},
    "zero_point": null,
    "block_size": null,
    "dtype": "u4"
  })");
  EXPECT_EQ(c.op, AffineOpKind::fake_quantize);
  EXPECT_EQ(c.contract, Contract::torchao);                 // default
  EXPECT_EQ(c.params.zero_point_domain, ZeroPointDomain::int_domain);
  EXPECT_FALSE(c.params.zero_point.has_value());            // null = absent
  EXPECT_FALSE(c.params.block_size.has_value());
  EXPECT_EQ(c.params.dtype, DType::u8);                     // u4 = u8 storage
  EXPECT_EQ(c.params.quant_min, 0);                         // [0, 2^4 - 1]
  EXPECT_EQ(c.params.quant_max, 15);
  // -0 -> -0.0 (0x80000000); 0 -> +0.0; 3 -> 0x40400000 (1.5 * 2^1);
  // 0x1.99999ap-4 -> 0x3DCCCCCD; -inf -> 0xFF800000; 123456789 lies in
  // [2^26, 2^27) where f32 spacing is 8: neighbours 123456784 and 123456792,
  // the second is 3 away -> 123456792 = 1.8396495... * 2^26: 0x4CEB79A3.
  EXPECT_EQ(bits_of(c.input), (std::vector<uint32_t>{0x80000000, 0x00000000, 0x40400000,
                                                     0x3DCCCCCD, 0xFF800000, 0x4CEB79A3}));
  EXPECT_EQ(c.input.f32_at(5), 123456792.0f);
  EXPECT_EQ(bits_of(c.params.scale), (std::vector<uint32_t>{0x3F000000, 0x3E000000}));
}

TEST(CaseRead, SubByteDtypeNamesGiveStorageAndRange) {
  struct Expect {
    const char* name;
    DType storage;
    int64_t qmin, qmax;
  };
  // iN: [-2^(N-1), 2^(N-1) - 1] in i8; uN: [0, 2^N - 1] in u8.
  for (const Expect& e : {Expect{"i1", DType::i8, -1, 0}, Expect{"i2", DType::i8, -2, 1},
                          Expect{"i4", DType::i8, -8, 7}, Expect{"i7", DType::i8, -64, 63},
                          Expect{"u1", DType::u8, 0, 1}, Expect{"u4", DType::u8, 0, 15},
                          Expect{"u7", DType::u8, 0, 127}, Expect{"i8", DType::i8, -128, 127},
                          Expect{"u16", DType::u16, 0, 65535},
                          Expect{"i32", DType::i32, -2147483648LL, 2147483647}}) {
    for (const char* op : {"quantize_affine", "choose_qparams_affine"}) {
      const std::string text = std::string(R"({"format": "qdiff-case", "version": 1, "op": ")") +
                               op + R"(", "mapping": "symmetric",
          "input": {"dtype": "f32", "shape": [1], "data": [1]},
          "scale": {"dtype": "f32", "shape": [1], "data": [1]}, "dtype": ")" + e.name + "\"}";
      const AffineCase c = parse_affine_case(text);
      const bool choose = c.op == AffineOpKind::choose_qparams;
      EXPECT_EQ(choose ? c.choose.dtype : c.params.dtype, e.storage) << e.name;
      EXPECT_EQ(choose ? c.choose.quant_min : c.params.quant_min, e.qmin) << e.name;
      EXPECT_EQ(choose ? c.choose.quant_max : c.params.quant_max, e.qmax) << e.name;
      // Written back as the storage name with the explicit range.
      const std::string written = write_affine_case(c);
      EXPECT_NE(written.find(std::string("\"dtype\": \"") + std::string(dtype_name(e.storage)) + "\""),
                std::string::npos);
      expect_same_case(c, parse_affine_case(written));
    }
  }
}

TEST(CaseRead, ExplicitRangeOverridesTheNamedRange) {
  const AffineCase c = parse_affine_case(R"({"format": "qdiff-case", "version": 1,
      "op": "quantize_affine", "input": {"dtype": "f32", "shape": [], "data": [1]},
      "scale": {"dtype": "f32", "shape": [], "data": [1]},
      "dtype": "i4", "quant_min": -7})");
  EXPECT_EQ(c.params.quant_min, -7);
  EXPECT_EQ(c.params.quant_max, 7);
  // f32 is representable (the op rejects it) when the range is explicit.
  const AffineCase f = parse_affine_case(R"({"format": "qdiff-case", "version": 1,
      "op": "quantize_affine", "input": {"dtype": "f32", "shape": [], "data": [1]},
      "scale": {"dtype": "f32", "shape": [], "data": [1]},
      "dtype": "f32", "quant_min": -1, "quant_max": 1})");
  EXPECT_EQ(f.params.dtype, DType::f32);
  expect_round_trip(f);
}

TEST(CaseRead, IntegersBeyondInt64InF32DataRoundOnce) {
  const AffineCase c = parse_affine_case(R"({"format": "qdiff-case", "version": 1,
      "op": "quantize_affine", "scale": {"dtype": "f32", "shape": [], "data": [1]},
      "dtype": "i8", "input": {"dtype": "f32", "shape": [5], "data": [
        18446744073709551615, 18446744073709551616, -9223372036854775809,
        9223372036854775807, 340282366920938463463374607431768211456]}})");
  // 2^64 - 1 (a uint64 token) and 2^64 (beyond uint64) both round to 2^64:
  // exponent 64 -> 191 = 0xBF, bits 0x5F800000. -(2^63 + 1) rounds to -2^63:
  // 0xDF000000. 2^63 - 1 rounds to 2^63: 0x5F000000. 2^128 is above
  // FLT_MAX + half ulp (2^128 - 2^103): inf.
  EXPECT_EQ(bits_of(c.input), (std::vector<uint32_t>{0x5F800000, 0x5F800000, 0xDF000000,
                                                     0x5F000000, 0x7F800000}));
}

TEST(CaseRead, DoubleRoundingTrapInAFile) {
  // See cases_f32_text_test: correct single rounding gives 1 + 2^-23.
  const AffineCase c = parse_affine_case(R"({"format": "qdiff-case", "version": 1,
      "op": "quantize_affine", "dtype": "i8",
      "input": {"dtype": "f32", "shape": [2],
                "data": [1.00000005960464477539062500001, 1.00000005960464477539062499999]},
      "scale": {"dtype": "f32", "shape": [], "data": [1]}})");
  EXPECT_EQ(bits_of(c.input), (std::vector<uint32_t>{0x3F800001, 0x3F800000}));
}

TEST(CaseRead, ShapeWithAZeroDimAndHugeDimsAllocatesNothing) {
  // numel 0 is within any cap, whatever the other dims are.
  const AffineCase c = parse_affine_case(R"({"format": "qdiff-case", "version": 1,
      "op": "quantize_affine", "dtype": "i8",
      "input": {"dtype": "f32", "shape": [0, 1000000000000000000], "data": []},
      "scale": {"dtype": "f32", "shape": [], "data": [1]}})");
  EXPECT_EQ(c.input.numel(), 0);
  EXPECT_EQ(c.input.shape(), (Shape{0, 1000000000000000000}));
}

// About 10 MB of text: 2^20 f32 values with pseudo-random bit patterns
// (fixed-seed LCG, NaN patterns excluded since NaN payloads are not kept).
TEST(CaseRead, TenMegabyteCaseRoundTripsExactly) {
  const int64_t n = int64_t{1} << 20;
  std::vector<float> values(static_cast<size_t>(n));
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (auto& v : values) {
    do {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      v = f32_from_bits(uint32_t(state >> 32));
    } while (std::isnan(v));
  }
  AffineCase c;
  c.input = Tensor::of<float>({1024, 1024}, values);
  c.params.scale = Tensor::of<float>({1024, 1}, std::vector<float>(1024, 0.25f));
  const std::string text = write_affine_case(c);
  EXPECT_GT(text.size(), size_t(10) << 20);
  expect_same_case(c, parse_affine_case(text));
}

TEST(CaseSummary, NamesOpContractShapesParamsAndLayout) {
  AffineCase c = per_channel_quantize();
  const std::string s = c.summary();
  for (const char* part : {"quantize_affine", "torchao", "input f32 [2, 4]", "scale [2, 1]",
                           "zp [2, 1]", "i8 [-128, 127]", "per_channel axis 0",
                           "block [1, 4]"}) {
    EXPECT_NE(s.find(part), std::string::npos) << part << " not in: " << s;
  }
  EXPECT_EQ(s.find('\n'), std::string::npos);
  c.params.scale = Tensor::of<float>({3, 1}, {1.0f, 1.0f, 1.0f});  // 2 % 3 != 0
  EXPECT_NE(c.summary().find("invalid layout: "), std::string::npos) << c.summary();

  AffineCase choose;
  choose.op = AffineOpKind::choose_qparams;
  choose.contract = Contract::onnx;
  choose.input = Tensor(DType::f32, Shape{4, 6});
  choose.choose.mapping = Mapping::symmetric;
  choose.choose.block_size = std::vector<int64_t>{1, 3};
  const std::string cs = choose.summary();
  for (const char* part : {"choose_qparams_affine", "onnx", "input f32 [4, 6]", "symmetric",
                           "block_size [1, 3]", "per_group", "scale [4, 2]"}) {
    EXPECT_NE(cs.find(part), std::string::npos) << part << " not in: " << cs;
  }
  choose.choose.block_size = std::vector<int64_t>{1, 4};  // 6 % 4 != 0
  EXPECT_NE(choose.summary().find("invalid layout: "), std::string::npos);
  choose.choose.block_size.reset();  // one block over the tensor
  EXPECT_NE(choose.summary().find("per_tensor"), std::string::npos) << choose.summary();
}

TEST(CaseOpNames, RoundTripAndRejectUnknown) {
  for (AffineOpKind op : kAllAffineOps) EXPECT_EQ(parse_affine_op(affine_op_name(op)), op);
  EXPECT_EQ(affine_op_name(AffineOpKind::quantize), "quantize_affine");
  EXPECT_EQ(affine_op_name(AffineOpKind::dequantize), "dequantize_affine");
  EXPECT_EQ(affine_op_name(AffineOpKind::choose_qparams), "choose_qparams_affine");
  EXPECT_EQ(affine_op_name(AffineOpKind::fake_quantize), "fake_quantize_affine");
  EXPECT_FALSE(parse_affine_op("quantize").has_value());
  EXPECT_FALSE(parse_affine_op("").has_value());
}

}  // namespace
}  // namespace qdiff
