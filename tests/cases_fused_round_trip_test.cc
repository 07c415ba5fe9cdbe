// Fused-op case files (cases/case.h) round-trip every op with every
// optional field present and absent, every activation, both padding forms
// and every f32 class in the clamp bounds, bit for bit; semantic defects
// stay representable; parse_case reads affine files exactly as
// parse_affine_case does.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "cases/case.h"
#include "core/float_bits.h"

namespace qdiff {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

// ---- structural comparison (the text fixed point alone would not notice a
// field the writer drops: parse(write(c)) would lack it and write the same)

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& what) {
  EXPECT_EQ(a.dtype(), b.dtype()) << what;
  EXPECT_EQ(a.shape(), b.shape()) << what << " " << a.shape().str() << " vs " << b.shape().str();
  EXPECT_TRUE(a.bitwise_equal(b)) << what;
}

void expect_same_optional_tensor(const std::optional<Tensor>& a, const std::optional<Tensor>& b,
                                 const std::string& what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (a) expect_same_tensor(*a, *b, what);
}

void expect_same_params(const QuantParams& a, const QuantParams& b, const std::string& what) {
  expect_same_tensor(a.scale, b.scale, what + ".scale");
  expect_same_optional_tensor(a.zero_point, b.zero_point, what + ".zero_point");
  EXPECT_EQ(a.block_size, b.block_size) << what;
  EXPECT_EQ(a.dtype, b.dtype) << what;
  EXPECT_EQ(a.quant_min, b.quant_min) << what;
  EXPECT_EQ(a.quant_max, b.quant_max) << what;
  EXPECT_EQ(a.zero_point_domain, b.zero_point_domain) << what;
}

// lo and hi mean something for clamp only (and are written for it only).
void expect_same_activation(const Activation& a, const Activation& b) {
  EXPECT_EQ(a.kind, b.kind);
  if (a.kind != ActivationKind::clamp) return;
  EXPECT_EQ(f32_bits(a.lo), f32_bits(b.lo));
  EXPECT_EQ(f32_bits(a.hi), f32_bits(b.hi));
}

void expect_same_case(const QLinearArgs& a, const QLinearArgs& b) {
  expect_same_tensor(a.x, b.x, "x");
  expect_same_params(a.x_params, b.x_params, "x_params");
  expect_same_tensor(a.w, b.w, "w");
  expect_same_params(a.w_params, b.w_params, "w_params");
  expect_same_optional_tensor(a.bias, b.bias, "bias");
  expect_same_params(a.out_params, b.out_params, "out_params");
  expect_same_activation(a.activation, b.activation);
  EXPECT_EQ(a.contract, b.contract);
}

void expect_same_case(const QConv2dArgs& a, const QConv2dArgs& b) {
  expect_same_tensor(a.x, b.x, "x");
  expect_same_params(a.x_params, b.x_params, "x_params");
  expect_same_tensor(a.w, b.w, "w");
  expect_same_params(a.w_params, b.w_params, "w_params");
  expect_same_optional_tensor(a.bias, b.bias, "bias");
  expect_same_params(a.out_params, b.out_params, "out_params");
  EXPECT_EQ(a.attrs.stride, b.attrs.stride);
  EXPECT_EQ(a.attrs.padding, b.attrs.padding);
  EXPECT_EQ(a.attrs.dilation, b.attrs.dilation);
  EXPECT_EQ(a.attrs.groups, b.attrs.groups);
  expect_same_activation(a.activation, b.activation);
  EXPECT_EQ(a.contract, b.contract);
}

void expect_same_case(const QElementwiseArgs& a, const QElementwiseArgs& b) {
  EXPECT_EQ(a.op, b.op);
  expect_same_tensor(a.a, b.a, "a");
  expect_same_params(a.a_params, b.a_params, "a_params");
  expect_same_tensor(a.b, b.b, "b");
  expect_same_params(a.b_params, b.b_params, "b_params");
  expect_same_params(a.out_params, b.out_params, "out_params");
  expect_same_activation(a.activation, b.activation);
}

void expect_same_case(const Case& a, const Case& b) {
  ASSERT_EQ(a.index(), b.index()) << case_op_name(a) << " vs " << case_op_name(b);
  if (const auto* q = std::get_if<QLinearCase>(&a)) {
    expect_same_case(q->args, std::get<QLinearCase>(b).args);
  } else if (const auto* c = std::get_if<QConv2dCase>(&a)) {
    expect_same_case(c->args, std::get<QConv2dCase>(b).args);
  } else if (const auto* e = std::get_if<QElementwiseCase>(&a)) {
    expect_same_case(e->args, std::get<QElementwiseCase>(b).args);
  } else {
    // Affine: the text comparison covers it (tests/cases_round_trip_test.cc
    // compares the structs field by field).
    EXPECT_EQ(write_case(a), write_case(b));
  }
}

// write -> parse gives the same case; writing again gives the same text.
std::string expect_round_trip(const Case& c) {
  const std::string text = write_case(c);
  SCOPED_TRACE(text);
  const Case back = parse_case(text);
  expect_same_case(c, back);
  EXPECT_EQ(write_case(back), text);
  return text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- builders: every params object differs from the others, so a reader
// that swaps two of them is caught.

QuantParams per_tensor(float s, std::optional<int32_t> z, DType dtype, int64_t qmin,
                       int64_t qmax) {
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{}, {s});
  if (z) p.zero_point = Tensor::of<int32_t>(Shape{}, {*z});
  p.dtype = dtype;
  p.quant_min = qmin;
  p.quant_max = qmax;
  return p;
}

QLinearCase full_qlinear() {
  QLinearArgs a;
  a.x = Tensor::of<uint8_t>({2, 3}, {0, 1, 2, 253, 254, 255});
  a.x_params = per_tensor(0.5f, 128, DType::u8, 0, 255);
  a.w = Tensor::of<int8_t>({4, 3}, {-8, -7, 0, 1, 6, 7, -1, -2, -3, 3, 2, 1});
  a.w_params.scale = Tensor::of<float>({4, 1}, {0.25f, 0x1p-126f, 3.0e38f, 0x1.99999ap-4f});
  a.w_params.zero_point = Tensor::of<float>({4, 1}, {-0.0f, 0x1p-149f, 1.5f, -kInf});
  a.w_params.zero_point_domain = ZeroPointDomain::float_domain;
  a.w_params.dtype = DType::i8;
  a.w_params.quant_min = -8;
  a.w_params.quant_max = 7;
  a.bias = Tensor::of<float>({4}, {-0.0f, kInf, 0x1p-149f, -FLT_MAX});
  a.out_params.scale = Tensor::of<float>({1, 4}, {1.0f, 2.0f, 4.0f, 8.0f});
  a.out_params.zero_point = Tensor::of<int16_t>({1, 4}, {-3, 0, 3, 32767});
  a.out_params.block_size = std::vector<int64_t>{2, 1};
  a.out_params.dtype = DType::i16;
  a.out_params.quant_min = -32768;
  a.out_params.quant_max = 32767;
  a.activation = {ActivationKind::clamp, -1.5f, 6.0f};
  return {a};
}

QConv2dCase full_qconv2d() {
  QConv2dArgs a;
  a.x = Tensor::of<int8_t>({1, 2, 2, 3}, {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6});
  a.x_params = per_tensor(0.125f, -1, DType::i8, -128, 127);
  a.w = Tensor::of<int8_t>({2, 1, 1, 2}, {1, -1, 2, -2});
  a.w_params.scale = Tensor::of<float>({2, 1, 1, 1}, {0.5f, 0.75f});
  a.w_params.dtype = DType::i8;
  a.bias = Tensor::of<float>({2}, {0.25f, -0.25f});
  a.out_params = per_tensor(0.0625f, 7, DType::u8, 0, 255);
  a.attrs.stride = {2, 3};
  a.attrs.padding = {1, 2, 3, 4};  // top, left, bottom, right: all different
  a.attrs.dilation = {5, 6};
  a.attrs.groups = 2;
  a.activation = {ActivationKind::relu, 0.0f, 0.0f};
  return {a};
}

QElementwiseCase full_elementwise(ElementwiseOp op) {
  QElementwiseArgs a;
  a.op = op;
  a.a = Tensor::of<int16_t>({2, 1}, {-300, 300});
  a.a_params.scale = Tensor::of<float>({2, 1}, {0.5f, 0.25f});
  a.a_params.zero_point = Tensor::of<int16_t>({2, 1}, {-5, 5});
  a.a_params.dtype = DType::i16;
  a.a_params.quant_min = -1000;
  a.a_params.quant_max = 1000;
  a.b = Tensor::of<uint16_t>({3}, {0, 1, 65535});
  a.b_params = per_tensor(2.0f, std::nullopt, DType::u16, 0, 65535);
  a.b_params.zero_point_domain = ZeroPointDomain::none;
  a.out_params = per_tensor(0.375f, -100, DType::i32, -2147483648LL, 2147483647LL);
  a.activation = {ActivationKind::clamp, -kInf, 0x1.fffffep127f};
  return {a};
}

std::vector<Case> every_fused_op() {
  return {full_qlinear(), full_qconv2d(), full_elementwise(ElementwiseOp::add),
          full_elementwise(ElementwiseOp::mul)};
}

void set_activation(Case& c, const Activation& act) {
  std::visit(
      [&](auto& v) {
        if constexpr (requires { v.args.activation; }) {
          v.args.activation = act;
        }
      },
      c);
}

// ---- tests -----------------------------------------------------------------

TEST(FusedCaseRoundTrip, EveryOpWithEveryOptionalFieldPresent) {
  for (const Case& c : every_fused_op()) {
    SCOPED_TRACE(case_op_name(c));
    const std::string text = expect_round_trip(c);
    EXPECT_TRUE(contains(text, "\"op\": \"" + case_op_name(c) + "\"")) << text;
    EXPECT_TRUE(contains(text, "\"activation\": {")) << text;
    EXPECT_FALSE(contains(text, "\"contract\"")) << "fused cases have no contract";
  }
  EXPECT_TRUE(contains(write_case(full_qlinear()), R"("bias": {"dtype": "f32", "shape": [4], )"
                                                   R"("data": [-0.0, "inf", 1e-45, -3.4028235e+38]})"))
      << write_case(full_qlinear());
}

TEST(FusedCaseRoundTrip, OptionalFieldsAbsent) {
  QLinearCase q = full_qlinear();
  q.args.bias.reset();
  q.args.activation = {};
  q.args.w_params.zero_point.reset();
  q.args.out_params.block_size.reset();
  std::string text = expect_round_trip(q);
  EXPECT_FALSE(contains(text, "\"bias\"")) << text;
  EXPECT_FALSE(contains(text, "\"activation\"")) << text;
  EXPECT_FALSE(contains(text, "\"block_size\"")) << text;

  QConv2dCase c = full_qconv2d();
  c.args.bias.reset();
  c.args.activation = {};
  c.args.attrs = {};
  text = expect_round_trip(c);
  EXPECT_FALSE(contains(text, "\"bias\"")) << text;
  EXPECT_FALSE(contains(text, "\"activation\"")) << text;
  // Default attributes are still written explicitly, padding with 4 entries.
  for (const char* part : {"\n  \"stride\": [1, 1],\n", "\n  \"padding\": [0, 0, 0, 0],\n",
                           "\n  \"dilation\": [1, 1],\n", "\n  \"groups\": 1\n}"}) {
    EXPECT_TRUE(contains(text, part)) << part << " not in " << text;
  }

  for (ElementwiseOp op : {ElementwiseOp::add, ElementwiseOp::mul}) {
    QElementwiseCase e = full_elementwise(op);
    e.args.activation = {};
    text = expect_round_trip(e);
    EXPECT_FALSE(contains(text, "\"activation\"")) << text;
  }
}

// The accumulation contract: every setting round-trips; the default is not
// written (a default case's file is as before the field existed).
TEST(FusedCaseRoundTrip, QLinearContract) {
  for (BiasGrid g : kAllBiasGrids) {
    for (OutputZeroPoint z : kAllOutputZeroPoints) {
      QLinearCase q = full_qlinear();
      q.args.contract = {g, z};
      QConv2dCase c = full_qconv2d();
      c.args.contract = {g, z};
      for (const std::string& text : {expect_round_trip(q), expect_round_trip(c)}) {
        if (q.args.contract.is_default()) {
          EXPECT_FALSE(contains(text, "qlinear_contract")) << text;
        } else {
          EXPECT_TRUE(contains(text, "\"qlinear_contract\": {\"bias\": \"" + std::string(bias_grid_name(g)) +
                                         "\", \"output_zero_point\": \"" +
                                         std::string(output_zero_point_name(z)) + "\"}"))
              << text;
        }
      }
    }
  }
  // Members are optional, each with its default.
  QLinearCase q = full_qlinear();
  std::string text = write_case(q);
  text.insert(text.rfind('}'), R"(, "qlinear_contract": {"output_zero_point": "before_rounding"})");
  const QLinearContract read = std::get<QLinearCase>(parse_case(text)).args.contract;
  EXPECT_EQ(read, (QLinearContract{BiasGrid::float_bias, OutputZeroPoint::before_rounding}));
}

// A hand-written minimal file of each op reads to the defaults.
TEST(FusedCaseRead, MinimalFilesReadToTheDefaults) {
  const std::string params = R"({"scale": {"dtype": "f32", "shape": [], "data": [1]}, "dtype": "i8"})";
  const std::string tensor = R"({"dtype": "i8", "shape": [1], "data": [0]})";
  auto file = [&](const std::string& op, const std::vector<std::string>& operands) {
    std::string s = R"({"format": "qdiff-case", "version": 1, "op": ")" + op + "\"";
    for (const std::string& name : operands) {
      s += ", \"" + name + "\": " + tensor + ", \"" + name + "_params\": " + params;
    }
    return s + ", \"out_params\": " + params + "}";
  };
  const Case l = parse_case(file("qlinear", {"x", "w"}));
  const QLinearArgs& la = std::get<QLinearCase>(l).args;
  EXPECT_FALSE(la.bias.has_value());
  EXPECT_EQ(la.activation.kind, ActivationKind::none);
  EXPECT_EQ(la.x_params.quant_min, -128);  // the i8 name's range
  EXPECT_EQ(la.x_params.quant_max, 127);
  EXPECT_EQ(la.w_params.zero_point_domain, ZeroPointDomain::int_domain);
  EXPECT_FALSE(la.out_params.zero_point.has_value());

  const Case c = parse_case(file("qconv2d", {"x", "w"}));
  const Conv2dAttrs& attrs = std::get<QConv2dCase>(c).args.attrs;
  EXPECT_EQ(attrs.stride, (std::array<int64_t, 2>{1, 1}));
  EXPECT_EQ(attrs.padding, (std::array<int64_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(attrs.dilation, (std::array<int64_t, 2>{1, 1}));
  EXPECT_EQ(attrs.groups, 1);
  EXPECT_FALSE(std::get<QConv2dCase>(c).args.bias.has_value());

  const Case add = parse_case(file("qadd", {"a", "b"}));
  EXPECT_EQ(std::get<QElementwiseCase>(add).args.op, ElementwiseOp::add);
  EXPECT_EQ(std::get<QElementwiseCase>(add).args.activation.kind, ActivationKind::none);
  const Case mul = parse_case(file("qmul", {"a", "b"}));
  EXPECT_EQ(std::get<QElementwiseCase>(mul).args.op, ElementwiseOp::mul);

  // Optional fields set to null count as absent; "contract" does not apply
  // and is ignored like any unknown field.
  std::string text = file("qconv2d", {"x", "w"});
  text.insert(1, R"("bias": null, "activation": null, "stride": null, "padding": null,
                  "dilation": null, "groups": null, "contract": "onnx", )");
  const Case nulls = parse_case(text);
  EXPECT_EQ(write_case(nulls), write_case(c));
}

TEST(FusedCaseRoundTrip, EveryActivationOnEveryOp) {
  for (Case c : every_fused_op()) {
    SCOPED_TRACE(case_op_name(c));
    set_activation(c, {ActivationKind::none, 0.0f, 0.0f});
    EXPECT_FALSE(contains(expect_round_trip(c), "\"activation\""));
    set_activation(c, {ActivationKind::relu, 0.0f, 0.0f});
    EXPECT_TRUE(contains(expect_round_trip(c), "\n  \"activation\": {\"kind\": \"relu\"}\n}"));
    set_activation(c, {ActivationKind::clamp, -1.0f, 6.0f});
    EXPECT_TRUE(contains(expect_round_trip(c),
                         "\n  \"activation\": {\"kind\": \"clamp\", \"lo\": -1.0, \"hi\": 6.0}\n}"));
  }
}

TEST(FusedCaseRead, ActivationForms) {
  QElementwiseCase base = full_elementwise(ElementwiseOp::add);
  base.args.activation = {};
  const std::string plain = write_case(base);
  auto with_activation = [&](const std::string& json) {
    std::string text = plain;
    text.insert(1, "\"activation\": " + json + ", ");
    return std::get<QElementwiseCase>(parse_case(text)).args.activation;
  };
  // Explicit none is none (and is then not written).
  EXPECT_EQ(with_activation(R"({"kind": "none"})").kind, ActivationKind::none);
  // lo / hi do not apply to none and relu: ignored, and not kept.
  const Activation relu = with_activation(R"({"kind": "relu", "lo": "junk", "hi": [1]})");
  EXPECT_EQ(relu.kind, ActivationKind::relu);
  EXPECT_EQ(relu.lo, 0.0f);
  // Bounds in every f32 text form: -0 integer token is -0.0; 0x1p-149 is
  // the smallest subnormal (bits 0x00000001).
  const Activation clamp = with_activation(R"({"hi": "0x1p-149", "kind": "clamp", "lo": -0})");
  EXPECT_EQ(clamp.kind, ActivationKind::clamp);
  EXPECT_EQ(f32_bits(clamp.lo), 0x80000000u);
  EXPECT_EQ(f32_bits(clamp.hi), 0x00000001u);
  // One correct rounding from the text: 1.00000005960464477539062500001 is
  // just above the midpoint of 1 and 1 + 2^-23 (cases_f32_text_test).
  const Activation rounded =
      with_activation(R"({"kind": "clamp", "lo": 1.00000005960464477539062500001, "hi": 2})");
  EXPECT_EQ(f32_bits(rounded.lo), 0x3F800001u);
  EXPECT_EQ(f32_bits(rounded.hi), 0x40000000u);
}

TEST(FusedCaseRoundTrip, ClampBoundsOfEveryF32ClassAreBitExact) {
  const uint32_t bits[] = {0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000,
                           0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x42FFFFFE,
                           0x3DCCCCCD, 0x4B800001};
  for (Case c : every_fused_op()) {
    for (uint32_t lo : bits) {
      const uint32_t hi = bits[(lo * 7u + 3u) % std::size(bits)];
      set_activation(c, {ActivationKind::clamp, f32_from_bits(lo), f32_from_bits(hi)});
      SCOPED_TRACE(::testing::Message() << case_op_name(c) << " lo " << std::hex << lo);
      expect_round_trip(c);  // compares lo / hi bits
    }
  }
  // NaN bounds are representable (the op rejects them); they read back NaN.
  QLinearCase q = full_qlinear();
  q.args.activation = {ActivationKind::clamp, std::numeric_limits<float>::quiet_NaN(), 1.0f};
  const std::string text = write_case(q);
  EXPECT_TRUE(contains(text, R"({"kind": "clamp", "lo": "nan", "hi": 1.0})")) << text;
  const Activation back = std::get<QLinearCase>(parse_case(text)).args.activation;
  EXPECT_TRUE(std::isnan(back.lo));
  EXPECT_EQ(write_case(parse_case(text)), text);
}

TEST(FusedCaseRead, PaddingInTwoAndFourEntryForms) {
  QConv2dCase c = full_qconv2d();
  const std::string canonical = write_case(c);
  auto with_padding = [&](const std::string& json) {
    std::string text = canonical;
    const std::string written = "\"padding\": [1, 2, 3, 4]";
    const size_t at = text.find(written);
    EXPECT_NE(at, std::string::npos) << text;
    text.replace(at, written.size(), "\"padding\": " + json);
    return parse_case(text);
  };
  // [ph, pw] is symmetric: top = bottom = ph, left = right = pw.
  const Case two = with_padding("[5, 7]");
  EXPECT_EQ(std::get<QConv2dCase>(two).args.attrs.padding, (std::array<int64_t, 4>{5, 7, 5, 7}));
  // It is written back in the 4-entry form.
  EXPECT_TRUE(contains(write_case(two), "\"padding\": [5, 7, 5, 7],")) << write_case(two);
  expect_round_trip(two);
  // The 4-entry form keeps its order: top, left, bottom, right.
  const Case four = with_padding("[9, 8, 7, 6]");
  EXPECT_EQ(std::get<QConv2dCase>(four).args.attrs.padding, (std::array<int64_t, 4>{9, 8, 7, 6}));
  expect_round_trip(four);
  // Both forms meaning the same padding give the same case.
  EXPECT_EQ(write_case(with_padding("[3, 3]")), write_case(with_padding("[3, 3, 3, 3]")));
}

// The parser leaves semantic checks to the op: every one of these is a
// case meant to fail, and it must be storable.
TEST(FusedCaseRoundTrip, SemanticDefectsAreRepresentable) {
  std::vector<Case> cases;
  {
    QConv2dCase c = full_qconv2d();
    c.args.attrs.stride = {-1, 0};
    c.args.attrs.padding = {-5, kI64Min, kI64Max, 0};
    c.args.attrs.dilation = {0, kI64Min};
    c.args.attrs.groups = 0;
    cases.push_back(c);
    c.args.attrs.groups = kI64Min;
    c.args.bias = Tensor::of<int8_t>({3}, {1, 2, 3});  // wrong dtype and shape
    c.args.w = Tensor(DType::f32, Shape{2, 2, 2});   // f32 weight of rank 3
    cases.push_back(c);
  }
  {
    QLinearCase q = full_qlinear();
    q.args.x = Tensor(DType::i8, Shape{});                       // rank 0
    q.args.w = Tensor(DType::i8, Shape{0, 3});                   // K = 0
    q.args.bias = Tensor::of<int32_t>({2}, {1, 2});              // not f32, not [K]
    q.args.w_params.scale = Tensor::of<int32_t>({2}, {0, -1});   // integer scale
    q.args.w_params.block_size = std::vector<int64_t>{0, -4, kI64Max};
    q.args.out_params.scale = Tensor::of<float>({1}, {-0.0f});   // invalid scale value
    q.args.out_params.quant_min = 300;                           // min > max
    q.args.out_params.quant_max = -300;
    q.args.activation = {ActivationKind::clamp, 6.0f, -6.0f};    // lo > hi
    cases.push_back(q);
  }
  {
    QElementwiseCase e = full_elementwise(ElementwiseOp::mul);
    e.args.a = Tensor(DType::f32, Shape{2, 3});  // f32 operand
    e.args.b = Tensor(DType::i8, Shape{4, 5});   // does not broadcast with [2, 3]
    e.args.a_params.dtype = DType::f32;
    e.args.a_params.quant_min = kI64Min;
    e.args.a_params.quant_max = kI64Max;
    e.args.b_params.zero_point = Tensor::of<float>({7}, {1, 2, 3, 4, 5, 6, 7});
    e.args.out_params.zero_point_domain = ZeroPointDomain::float_domain;
    cases.push_back(e);
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(case_summary(c));
    expect_round_trip(c);
  }
}

// Each nested PARAMS object reads the same fields an affine case reads at
// its top level, including the quantized type names and their ranges.
TEST(FusedCaseRead, NestedParamsUseTheAffineFieldRules) {
  QElementwiseCase e = full_elementwise(ElementwiseOp::add);
  const std::string canonical = write_case(e);
  auto replace_params = [&](const std::string& which, const std::string& json) {
    std::string text = canonical;
    text.insert(1, "\"" + which + "\": " + json + ", ");
    // The inserted member comes first; remove the writer's one.
    const std::string key = "\n  \"" + which + "\": {";
    const size_t at = text.find(key);
    EXPECT_NE(at, std::string::npos);
    const size_t end = text.find("\n  }", at);
    text.erase(at, end + 4 - at + 1);  // the member, its closing brace and comma
    return std::get<QElementwiseCase>(parse_case(text)).args;
  };
  const std::string scale = R"("scale": {"dtype": "f32", "shape": [], "data": [1]})";
  for (const std::string which : {"a_params", "b_params", "out_params"}) {
    SCOPED_TRACE(which);
    auto pick = [&](const QElementwiseArgs& a) -> const QuantParams& {
      return which == "a_params" ? a.a_params : which == "b_params" ? a.b_params : a.out_params;
    };
    // i4 = i8 storage with [-8, 7]; u7 = u8 with [0, 127].
    QElementwiseArgs a = replace_params(which, "{" + scale + R"(, "dtype": "i4"})");
    EXPECT_EQ(pick(a).dtype, DType::i8);
    EXPECT_EQ(pick(a).quant_min, -8);
    EXPECT_EQ(pick(a).quant_max, 7);
    a = replace_params(which, "{" + scale + R"(, "dtype": "u7", "quant_max": 100,
                                 "zero_point_domain": "none", "block_size": [-1, 0]})");
    EXPECT_EQ(pick(a).dtype, DType::u8);
    EXPECT_EQ(pick(a).quant_min, 0);
    EXPECT_EQ(pick(a).quant_max, 100);
    EXPECT_EQ(pick(a).zero_point_domain, ZeroPointDomain::none);
    EXPECT_EQ(pick(a).block_size, (std::vector<int64_t>{-1, 0}));
    // f32 is representable with an explicit range.
    a = replace_params(which, "{" + scale + R"(, "dtype": "f32", "quant_min": -1, "quant_max": 1})");
    EXPECT_EQ(pick(a).dtype, DType::f32);
    // The other params objects are untouched.
    if (which != "a_params") expect_same_params(a.a_params, e.args.a_params, "a_params");
    if (which != "out_params") expect_same_params(a.out_params, e.args.out_params, "out_params");
  }
}

TEST(FusedCaseRoundTrip, EmptyAndHighRankTensors) {
  QElementwiseCase e = full_elementwise(ElementwiseOp::add);
  e.args.a = Tensor(DType::i16, Shape{2, 0, 3});
  e.args.b = Tensor(DType::u16, Shape{1, 2, 1, 2, 1, 2, 1, 2});
  e.args.a_params.scale = Tensor(DType::f32, Shape{0});
  const std::string text = expect_round_trip(e);
  EXPECT_TRUE(contains(text, R"("a": {"dtype": "i16", "shape": [2, 0, 3], "data": []})"));
}

TEST(FusedCaseRoundTrip, EachTensorAndNestedParamsLayout) {
  const std::string text = write_case(full_qlinear());
  // Top-level tensors on one line; params nested one level, their tensors
  // on one line each.
  EXPECT_TRUE(contains(text, "\n  \"x\": {\"dtype\": \"u8\", \"shape\": [2, 3], \"data\": "
                             "[0, 1, 2, 253, 254, 255]},\n"));
  EXPECT_TRUE(contains(text, "\n  \"x_params\": {\n    \"scale\": {\"dtype\": \"f32\", "
                             "\"shape\": [], \"data\": [0.5]},\n    \"zero_point\": "
                             "{\"dtype\": \"i32\", \"shape\": [], \"data\": [128]},\n    "
                             "\"dtype\": \"u8\",\n    \"quant_min\": 0,\n    \"quant_max\": "
                             "255,\n    \"zero_point_domain\": \"int\"\n  },\n"))
      << text;
  EXPECT_TRUE(contains(text, "\n    \"block_size\": [2, 1],\n")) << text;
  // Field order: x, x_params, w, w_params, bias, out_params, activation.
  size_t last = 0;
  for (const char* key : {"\"x\"", "\"x_params\"", "\"w\"", "\"w_params\"", "\"bias\"",
                          "\"out_params\"", "\"activation\""}) {
    const size_t at = text.find(std::string("\n  ") + key);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(at, last) << key;
    last = at;
  }
  EXPECT_EQ(text.back(), '\n');
}

// parse_case on an affine file is parse_affine_case.
TEST(FusedCaseRead, AffineFilesReadAsParseAffineCaseReadsThem) {
  AffineCase base;
  base.input = Tensor::of<float>({2, 2}, {0.5f, -0.0f, kInf, 0x1p-149f});
  base.params.scale = Tensor::of<float>({2, 1}, {0.5f, 0.25f});
  base.params.zero_point = Tensor::of<int32_t>({2, 1}, {1, -1});
  for (AffineOpKind op : kAllAffineOps) {
    for (Contract contract : kAllContracts) {
      AffineCase c = base;
      c.op = op;
      c.contract = contract;
      if (op == AffineOpKind::dequantize) c.input = Tensor::of<int8_t>({2, 2}, {1, 2, 3, 4});
      if (op == AffineOpKind::choose_qparams) c.choose.block_size = std::vector<int64_t>{1, 2};
      const std::string text = write_affine_case(c);
      SCOPED_TRACE(text);
      const Case any = parse_case(text);
      ASSERT_TRUE(std::holds_alternative<AffineCase>(any));
      EXPECT_EQ(case_op_name(any), affine_op_name(op));
      EXPECT_EQ(write_case(any), write_affine_case(parse_affine_case(text)));
      EXPECT_EQ(write_case(any), text);
      EXPECT_EQ(case_summary(any), parse_affine_case(text).summary());
    }
  }
}

TEST(FusedCaseOpNames, NameEveryAlternative) {
  EXPECT_EQ(case_op_name(full_qlinear()), "qlinear");
  EXPECT_EQ(case_op_name(full_qconv2d()), "qconv2d");
  EXPECT_EQ(case_op_name(full_elementwise(ElementwiseOp::add)), "qadd");
  EXPECT_EQ(case_op_name(full_elementwise(ElementwiseOp::mul)), "qmul");
  AffineCase a;
  a.op = AffineOpKind::choose_qparams;
  EXPECT_EQ(case_op_name(a), "choose_qparams_affine");
}

// About 2 MB of text: a 2^18-element weight with pseudo-random bit patterns
// in its f32 scale (fixed-seed LCG, NaN patterns skipped).
TEST(FusedCaseRoundTrip, LargeWeightsRoundTripExactly) {
  const int64_t k = 512, in = 512;
  std::vector<int8_t> w(size_t(k * in));
  std::vector<float> scale(size_t(k * in / 64));
  uint64_t state = 0x2545F4914F6CDD1Dull;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(state >> 32);
  };
  for (auto& v : w) v = int8_t(next() & 0xFF);
  for (auto& s : scale) {
    do s = f32_from_bits(next()); while (std::isnan(s));
  }
  QLinearCase q = full_qlinear();
  q.args.w = Tensor::of<int8_t>({k, in}, w);
  q.args.w_params.scale = Tensor::of<float>({k, in / 64}, scale);
  q.args.w_params.zero_point.reset();
  expect_round_trip(q);
}

}  // namespace
}  // namespace qdiff
