// Targeted sweeps of the optimized qconv2d (impl/ops/qconv2d.cc: im2col
// rows gathered per block onto the quantized GEMM), checked with the
// oracle's acceptance rule against reference::qconv2d on every ISA and
// bitwise across ISAs and threads: each attribute alone (stride, padding
// on each side, dilation, groups, depthwise, 1x1, a kernel larger than the
// image with padding, a zero-size kernel dim), weight layouts whose blocks
// are not contiguous in the natural [C, kh, kw] order (the depth order must
// gather them), 16-bit and float-domain weights, per-channel outputs,
// strides and paddings near 2^62.
#include <limits>

#include "tests/impl_fused_test_util.h"

namespace qdiff::impl {
namespace {

using namespace fused_testing;

struct ConvSpec {
  int64_t n = 1, c = 4, h = 6, w = 7;
  int64_t o = 6, kh = 3, kw = 3;
  Conv2dAttrs attrs;
  QuantType x = kU8, wt = kI8, out = kI8;
  std::optional<Shape> w_scale;  // default per-channel [O, 1, 1, 1]
  std::optional<std::vector<int64_t>> w_block;
  Zero x_zero = Zero::random, w_zero = Zero::none;
  bool bias = true;
  bool per_channel_out = false;
  Activation activation;
};

QConv2dArgs make_conv(const ConvSpec& s, uint32_t seed) {
  PrngSource rng(seed);
  QConv2dArgs a;
  a.attrs = s.attrs;
  a.x = random_q(s.x, Shape{s.n, s.c, s.h, s.w}, rng);
  a.x_params = make_params(s.x, Shape{}, 0.05f, s.x_zero, rng);
  a.w = random_q(s.wt, Shape{s.o, s.c / s.attrs.groups, s.kh, s.kw}, rng);
  a.w_params = make_params(s.wt, s.w_scale.value_or(Shape{s.o, 1, 1, 1}), 0.02f, s.w_zero, rng,
                           s.w_block);
  if (s.bias) a.bias = random_bias(s.o, 2.0f, rng);
  a.activation = s.activation;
  fit_output_params(a, s.out, s.per_channel_out ? 1 : -1, rng);
  return a;
}

std::string describe(const ConvSpec& s) {
  const Conv2dAttrs& a = s.attrs;
  return fmt::format("x [{}, {}, {}, {}] w [{}, {}, {}, {}] stride ({}, {}) pad ({}, {}, {}, {}) "
                     "dilation ({}, {}) groups {}",
                     s.n, s.c, s.h, s.w, s.o, s.c / a.groups, s.kh, s.kw, a.stride[0], a.stride[1],
                     a.padding[0], a.padding[1], a.padding[2], a.padding[3], a.dilation[0],
                     a.dilation[1], a.groups);
}

void check_spec(const ConvSpec& s, uint32_t seed) {
  const QConv2dArgs a = make_conv(s, seed);
  if (s.activation.kind == ActivationKind::none) {
    expect_informative(qconv2d(a, options_for(Isa::scalar)), s.out.quant_min, s.out.quant_max, describe(s));
  }
  expect_agrees_everywhere(a, describe(s));
}

// x [1, 1, 2, 2] u8 s = 1, z = 0: [[1, 2], [3, 4]]; w [1, 1, 2, 2] i8 s = 0.5: [[2, 0], [0, -2]]
// (dq [[1, 0], [0, -1]]), padding 1 on every side, stride 1: a 3 x 3 output,
// y[i, j] = x[i - 1, j - 1] - x[i, j] (0 outside):
//   [[0 - 1, 0 - 2, 0 - 0], [0 - 3, 1 - 4, 2 - 0], [0, 3, 4]] = [[-1, -2, 0], [-3, -3, 2], [0, 3, 4]]
// out s = 1, z = 10 -> [[9, 8, 10], [7, 7, 12], [10, 13, 14]].
TEST(ImplFusedQConv2d, HandWorkedPadding) {
  QConv2dArgs a;
  a.x = Tensor::of<uint8_t>(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  a.x_params = QuantParams::per_tensor(1.0f, 0, DType::u8, 0, 255);
  a.w = Tensor::of<int8_t>(Shape{1, 1, 2, 2}, {2, 0, 0, -2});
  a.w_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  a.out_params = QuantParams::per_tensor(1.0f, 10, DType::i8, -128, 127);
  a.attrs.padding = {1, 1, 1, 1};
  const std::vector<int64_t> want = {9, 8, 10, 7, 7, 12, 10, 13, 14};
  for (Isa isa : supported_isas()) {
    const Tensor q = qconv2d(a, options_for(isa));
    ASSERT_EQ(q.shape(), (Shape{1, 1, 3, 3}));
    for (int64_t i = 0; i < 9; ++i) EXPECT_EQ(q.int_at(i), want[size_t(i)]) << isa_name(isa);
  }
}

TEST(ImplFusedQConv2d, EachAttribute) {
  uint32_t seed = 1;
  std::vector<ConvSpec> specs;
  ConvSpec base;
  specs.push_back(base);
  ConvSpec s = base;
  s.attrs.stride = {2, 1};
  specs.push_back(s);
  s = base;
  s.attrs.stride = {1, 3};
  specs.push_back(s);
  for (int side = 0; side < 4; ++side) {
    s = base;
    s.attrs.padding[size_t(side)] = 2;
    specs.push_back(s);
  }
  s = base;
  s.attrs.padding = {1, 2, 3, 4};
  s.attrs.stride = {2, 2};
  specs.push_back(s);
  s = base;
  s.attrs.dilation = {2, 1};
  specs.push_back(s);
  s = base;
  s.attrs.dilation = {2, 3};
  s.attrs.padding = {1, 1, 1, 1};
  specs.push_back(s);
  s = base;
  s.attrs.groups = 2;
  specs.push_back(s);
  s = base;  // depthwise: C = O = groups
  s.c = 8;
  s.o = 8;
  s.attrs.groups = 8;
  s.attrs.padding = {1, 1, 1, 1};
  specs.push_back(s);
  s = base;  // depthwise with a channel multiplier of 2
  s.o = 8;
  s.attrs.groups = 4;
  specs.push_back(s);
  s = base;  // 1x1
  s.kh = 1;
  s.kw = 1;
  specs.push_back(s);
  s = base;  // a kernel larger than the image, made to fit by padding
  s.h = 2;
  s.w = 3;
  s.kh = 4;
  s.kw = 5;
  s.attrs.padding = {2, 2, 1, 1};
  specs.push_back(s);
  s = base;  // batch
  s.n = 3;
  specs.push_back(s);
  s = base;  // many output channels: several panels
  s.o = 130;
  s.c = 3;
  specs.push_back(s);
  s = base;  // a deep reduction: 16 * 5 * 5 = 400
  s.c = 16;
  s.kh = 5;
  s.kw = 5;
  s.h = 9;
  s.w = 9;
  specs.push_back(s);
  for (const ConvSpec& spec : specs) check_spec(spec, seed++);
}

TEST(ImplFusedQConv2d, DtypesAndZeroPoints) {
  uint32_t seed = 100;
  for (QuantType x : {kU8, kI8, kI16}) {
    for (QuantType w : {kI8, kU8, kI4, kU4, kU16}) {
      for (Zero xz : {Zero::at_min, Zero::at_max}) {
        ConvSpec s;
        s.x = x;
        s.wt = w;
        s.x_zero = xz;
        s.w_zero = w.quant_min == 0 ? Zero::random : Zero::none;
        s.attrs.padding = {1, 0, 1, 2};  // padded taps take the zero point
        check_spec(s, seed++);
      }
    }
  }
}

// Weight blocks of dims 1..3 that are not contiguous in [C, kh, kw] order:
// the depth order must enumerate each block's elements together.
TEST(ImplFusedQConv2d, WeightLayouts) {
  uint32_t seed = 200;
  struct Layout {
    const char* name;
    Shape scale;
    std::optional<std::vector<int64_t>> block;
  };
  // w [6, 4, 3, 3]
  const Layout layouts[] = {
      {"per_tensor", Shape{}, std::nullopt},
      {"per_channel", Shape{6, 1, 1, 1}, std::nullopt},
      {"per_channel_pairs", Shape{3, 1, 1, 1}, std::nullopt},
      {"groups_of_2_input_channels", Shape{6, 2, 1, 1}, std::nullopt},
      {"per_kernel_row", Shape{6, 1, 3, 1}, std::nullopt},
      {"per_tap", Shape{6, 1, 3, 3}, std::nullopt},
      {"tiles_1x2x2_partial", Shape{6, 4, 2, 2}, std::vector<int64_t>{1, 1, 2, 2}},
      {"tiles_2x2x3", Shape{6, 2, 2, 1}, std::vector<int64_t>{1, 2, 2, 3}},
      {"elementwise", Shape{6, 4, 3, 3}, std::nullopt},
      {"blockwise_all_dims", Shape{2, 2, 2, 2}, std::vector<int64_t>{3, 3, 2, 2}},
  };
  for (const Layout& l : layouts) {
    for (QuantType w : {kI8, kU4}) {
      ConvSpec s;
      s.wt = w;
      s.w_scale = l.scale;
      s.w_block = l.block;
      s.w_zero = Zero::random;
      s.attrs.padding = {1, 1, 1, 1};
      SCOPED_TRACE(l.name);
      check_spec(s, seed++);
    }
  }
}

TEST(ImplFusedQConv2d, FloatDomainWeightsAndOutputs) {
  uint32_t seed = 300;
  ConvSpec s;
  s.wt = kU4;
  s.w_scale = Shape{6, 2, 1, 1};
  QConv2dArgs a = make_conv(s, seed);
  a.w_params.zero_point_domain = ZeroPointDomain::float_domain;
  a.w_params.zero_point = Tensor::of<float>(Shape{6, 2, 1, 1}, {0.01f, -0.02f, 0.0f, 0.03f, 0.1f,
                                                                -0.1f, 0.02f, 0.0f, 0.0f, 0.05f,
                                                                -0.05f, 0.07f});
  expect_agrees_everywhere(a, "float-domain weights");

  for (QuantType out : {kU8, kI16, kI32}) {
    ConvSpec p;
    p.out = out;
    p.per_channel_out = true;
    p.activation = {ActivationKind::relu};
    check_spec(p, seed++);
  }
}

TEST(ImplFusedQConv2d, EdgeShapes) {
  uint32_t seed = 400;
  ConvSpec s;
  s.kh = 0;  // a zero-size kernel dim: y = bias
  s.w_scale = Shape{};
  check_spec(s, seed++);
  s = ConvSpec{};
  s.n = 0;  // no images
  check_spec(s, seed++);
  s = ConvSpec{};
  s.c = 0;  // no input channels: y = bias
  s.attrs.groups = 1;
  s.w_scale = Shape{};
  check_spec(s, seed++);
  // Stride and padding near 2^62: one output row whose taps all fall in the padding.
  s = ConvSpec{};
  s.h = 1;
  s.kh = 1;
  s.attrs.stride = {int64_t{1} << 62, 1};
  s.attrs.padding = {int64_t{1} << 61, 0, 0, 0};
  check_spec(s, seed++);
  s.attrs.padding = {0, 0, int64_t{1} << 61, 0};  // the one output row reads the real row
  check_spec(s, seed++);
}

}  // namespace
}  // namespace qdiff::impl
