// Targeted sweeps of the optimized qlinear (impl/ops) that random
// properties rarely hit, each checked with the oracle's acceptance rule
// against reference::qlinear on every ISA, and bitwise across ISAs and
// thread counts (expect_agrees_everywhere):
//  - M in {1..5, 16, 17} x K around the 64-channel panel and its 16-lane
//    vectors x In around 4 / 16 / 32 / 64 multiples +-1;
//  - weight layouts: per-tensor, per-channel, per-group (g = In, G = 1,
//    partial last group), 2-D tiles, an elementwise scale, a [1, G] scale
//    with K = 1; int4 weights; u8 / i8 mixes; zero points at the range ends;
//  - depth blocking: groups longer than a depth block, groups cut by one;
//    several row blocks;
//  - the other paths: 16-bit operands and int32-overflowing groups (int64
//    accumulation), float-domain (tinygemm) weights;
//  - per-row x params, per-channel out params, i32 and u16 outputs, bias
//    (including +-inf), relu and clamp, empty dims;
//  - PackedLinearWeights gives the same bits as packing per call.
// Two hand-worked values pin the arithmetic independently of reference/.
#include <cmath>
#include <limits>

#include "impl/ops/gemm.h"
#include "impl/ops/gemm_driver.h"
#include "tests/impl_fused_test_util.h"

namespace qdiff::impl {
namespace {

using namespace fused_testing;

struct LinearSpec {
  int64_t m = 1, k = 1, in = 1;
  QuantType x = kU8, w = kI8, out = kI8;
  std::optional<Shape> w_scale;  // default per-channel [K, 1]
  std::optional<std::vector<int64_t>> w_block;
  Zero x_zero = Zero::random, w_zero = Zero::none, out_zero = Zero::middle;
  bool bias = true;
  Activation activation;
  bool per_row_x = false;
  bool per_channel_out = false;
  std::vector<int64_t> batch;  // x's leading dims (default {m})
};

// Typical |q - z| of a type, for choosing an output scale that spreads the outputs.
double spread(const QuantType& t) { return double(t.quant_max - t.quant_min) / 3.0 + 1.0; }

QLinearArgs make_linear(const LinearSpec& s, uint32_t seed) {
  PrngSource rng(seed);
  QLinearArgs a;
  Shape x_shape;
  const std::vector<int64_t> batch = s.batch.empty() ? std::vector<int64_t>{s.m} : s.batch;
  for (int64_t d : batch) x_shape.push_back(d);
  x_shape.push_back(s.in);
  a.x = random_q(s.x, x_shape, rng);
  Shape x_scale = Shape::ones(x_shape.rank());
  if (s.per_row_x) {
    for (int d = 0; d + 1 < x_shape.rank(); ++d) x_scale[d] = x_shape[d];
  }
  const float sx = 0.05f, sw = 0.02f;
  a.x_params = make_params(s.x, x_scale, sx, s.x_zero, rng);
  a.w = random_q(s.w, Shape{s.k, s.in}, rng);
  a.w_params = make_params(s.w, s.w_scale.value_or(Shape{s.k, 1}), sw, s.w_zero, rng, s.w_block);
  // A bias of the order of one output's typical size.
  const double y = double(sx) * sw * std::sqrt(double(std::max<int64_t>(s.in, 1))) *
                   spread(s.x) * spread(s.w);
  if (s.bias) a.bias = random_bias(s.k, float(y), rng);
  a.activation = s.activation;
  fit_output_params(a, s.out, s.per_channel_out ? x_shape.rank() - 1 : -1, rng);
  if (s.out_zero != Zero::middle) {
    a.out_params.zero_point = make_params(s.out, a.out_params.scale.shape(), 1.0f, s.out_zero, rng)
                                  .zero_point;
  }
  return a;
}

std::string describe(const LinearSpec& s) {
  return fmt::format("M {} K {} In {} x {} w {} [{}, {}] out {}", s.m, s.k, s.in,
                     dtype_name(s.x.storage), dtype_name(s.w.storage), s.w.quant_min, s.w.quant_max,
                     dtype_name(s.out.storage));
}

int64_t check_spec(const LinearSpec& s, uint32_t seed) {
  const QLinearArgs a = make_linear(s, seed);
  if (s.activation.kind == ActivationKind::none && s.out_zero == Zero::middle) {
    expect_informative(qlinear(a, options_for(Isa::scalar)), s.out.quant_min, s.out.quant_max, describe(s));
  }
  return expect_agrees_everywhere(a, describe(s));
}

// ---------------------------------------------------------------- golden values

// x [2, 3] i8, s = 0.5, z = 1: q [[3, 5, -1], [1, 0, 7]]   -> dq [[1, 2, -1], [0, -0.5, 3]]
// w [2, 3] i8, s = 0.25, z = 0: q [[4, -4, 8], [2, 6, -2]] -> dq [[1, -1, 2], [0.5, 1.5, -0.5]]
// y = [[1 - 2 - 2, 0.5 + 3 + 0.5], [0 + 0.5 + 6, 0 - 0.75 - 1.5]] = [[-3, 4], [6.5, -2.25]]
// out s = 0.5, z = -3: y / s = -6, 8, 13, -4.5 -> half to even -6, 8, 13, -4 -> -9, 5, 10, -7.
// In the impl's terms: acc = sum (qx - 1) * qw, e.g. row 0, k 0: 2*4 + 4*(-4) + (-2)*8 = -24,
// f32(-24) * f32(0.5 * 0.25) = -3.
TEST(ImplFusedQLinear, HandWorkedPerTensor) {
  QLinearArgs a;
  a.x = Tensor::of<int8_t>(Shape{2, 3}, {3, 5, -1, 1, 0, 7});
  a.x_params = QuantParams::per_tensor(0.5f, 1, DType::i8, -128, 127);
  a.w = Tensor::of<int8_t>(Shape{2, 3}, {4, -4, 8, 2, 6, -2});
  a.w_params = QuantParams::per_tensor(0.25f, 0, DType::i8, -128, 127);
  a.out_params = QuantParams::per_tensor(0.5f, -3, DType::i8, -128, 127);
  for (Isa isa : supported_isas()) {
    const Tensor q = qlinear(a, options_for(isa));
    EXPECT_EQ(q.shape(), (Shape{2, 2}));
    const std::vector<int64_t> want = {-9, 5, 10, -7};
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(q.int_at(i), want[size_t(i)]) << isa_name(isa);
  }
}

// Per-group with u8 x, u4 weights and a bias, all exact in binary:
// x [1, 4] u8 s = 1, z = 2: q [3, 4, 1, 2] -> dq [1, 2, -1, 0]
// w [1, 4] u4, per-group g = 2, scales [0.5, 0.25], zero points [8, 7]:
//   q [10, 6, 7, 11] -> dq [(10-8)*0.5, (6-8)*0.5, (7-7)*0.25, (11-7)*0.25] = [1, -1, 0, 1]
// acc_0 = (1)(2) + (2)(-2) = -2 -> -2 * 0.5 = -1; acc_1 = (-1)(0) + (0)(4) = 0 -> 0;
// y = -1 + 0 + bias 3.25 = 2.25; out s = 0.5, z = 0: 4.5 -> 4 (half to even).
TEST(ImplFusedQLinear, HandWorkedPerGroupInt4) {
  QLinearArgs a;
  a.x = Tensor::of<uint8_t>(Shape{1, 4}, {3, 4, 1, 2});
  a.x_params = QuantParams::per_tensor(1.0f, 2, DType::u8, 0, 255);
  a.w = Tensor::of<uint8_t>(Shape{1, 4}, {10, 6, 7, 11});
  a.w_params = QuantParams::for_type("u4", Tensor::of<float>(Shape{1, 2}, {0.5f, 0.25f}),
                                     Tensor::of<int32_t>(Shape{1, 2}, {8, 7}));
  a.bias = Tensor::of<float>(Shape{1}, {3.25f});
  a.out_params = QuantParams::per_tensor(0.5f, 0, DType::i8, -128, 127);
  for (Isa isa : supported_isas()) {
    EXPECT_EQ(qlinear(a, options_for(isa)).int_at(0), 4) << isa_name(isa);
  }
}

// ---------------------------------------------------------------- tile sweeps

TEST(ImplFusedQLinear, RowsByChannelsAroundTheTile) {
  int64_t tolerated = 0;
  uint32_t seed = 1;
  for (int64_t m : {1, 2, 3, 4, 5, 16, 17}) {
    for (int64_t k : {1, 15, 16, 17, 63, 64, 65, 127, 128, 129}) {
      for (int64_t in : {4, 17, 64}) {
        LinearSpec s;
        s.m = m;
        s.k = k;
        s.in = in;
        s.x = seed % 2 ? kU8 : kI8;
        tolerated += check_spec(s, seed++);
      }
    }
  }
  RecordProperty("tolerated", int(tolerated));
}

TEST(ImplFusedQLinear, DepthAroundQuadsAndVectors) {
  uint32_t seed = 100;
  for (int64_t in : {1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129}) {
    for (int64_t m : {1, 6, 7}) {
      LinearSpec s;
      s.m = m;
      s.k = 65;
      s.in = in;
      check_spec(s, seed++);
    }
  }
}

// u8 / i8 mixes (all four shift combinations of the packed path) with zero
// points at both ends of each range, with and without weight zero points.
TEST(ImplFusedQLinear, SignednessMixesAndZeroPointsAtTheRangeEnds) {
  uint32_t seed = 200;
  for (QuantType x : {kU8, kI8}) {
    for (QuantType w : {kU8, kI8}) {
      for (Zero xz : {Zero::at_min, Zero::at_max, Zero::none}) {
        for (Zero wz : {Zero::at_min, Zero::at_max, Zero::none}) {
          LinearSpec s;
          s.m = 7;
          s.k = 70;
          s.in = 45;
          s.x = x;
          s.w = w;
          s.x_zero = xz;
          s.w_zero = wz;
          s.out_zero = seed % 3 == 0 ? Zero::at_min : seed % 3 == 1 ? Zero::at_max : Zero::middle;
          check_spec(s, seed++);
        }
      }
    }
  }
}

// Every layout twice: 20 channels and 5 rows (a partial panel, per-row
// epilogue arithmetic) and 84 channels and 13 rows (a full panel: the
// AVX-512 kernel's fused epilogue with its per-tensor tables).
TEST(ImplFusedQLinear, WeightLayouts) {
  uint32_t seed = 300;
  const int64_t in = 48;
  struct Layout {
    const char* name;
    Shape scale;
    std::optional<std::vector<int64_t>> block;
  };
  for (auto [m, k] : {std::pair<int64_t, int64_t>{5, 20}, {13, 84}}) {
    const Layout layouts[] = {
        {"per_tensor", Shape{}, std::nullopt},
        {"per_tensor_2d", Shape{1, 1}, std::nullopt},
        {"per_channel", Shape{k, 1}, std::nullopt},
        {"per_group_4", Shape{k, in / 4}, std::nullopt},
        {"per_group_16", Shape{k, in / 16}, std::nullopt},
        {"per_group_g_is_In", Shape{k, 1}, std::vector<int64_t>{1, in}},
        {"per_group_partial_5", Shape{k, 10}, std::vector<int64_t>{1, 5}},
        {"per_group_partial_7", Shape{k, 7}, std::vector<int64_t>{1, 7}},
        {"per_group_1", Shape{k, in}, std::nullopt},
        {"tiles_4x8", Shape{k / 4, in / 8}, std::nullopt},
        {"tiles_3x10_partial", Shape{(k + 2) / 3, 5}, std::vector<int64_t>{3, 10}},
        {"blocks_along_in_only", Shape{1, in / 12}, std::nullopt},
        {"channel_pairs", Shape{k / 2, 1}, std::nullopt},
    };
    for (const Layout& l : layouts) {
      for (Zero wz : {Zero::none, Zero::random}) {
        LinearSpec s;
        s.m = m;
        s.k = k;
        s.in = in;
        s.w_scale = l.scale;
        s.w_block = l.block;
        s.w_zero = wz;
        s.w = seed % 2 ? kI4 : kU4;
        SCOPED_TRACE(l.name);
        check_spec(s, seed++);
      }
    }
  }
}

// K = 1 with a [1, G] weight scale (per-group, though its shape reads as
// "blocks along dim 1"), In = 1, G = 1 with g = In.
TEST(ImplFusedQLinear, MisleadingShapes) {
  uint32_t seed = 400;
  for (int64_t in : {1, 8, 64, 96}) {
    LinearSpec s;
    s.m = 3;
    s.k = 1;
    s.in = in;
    s.w_scale = Shape{1, std::max<int64_t>(1, in / 8)};
    s.w_zero = Zero::random;
    check_spec(s, seed++);
    s.w_scale = Shape{1, 1};
    s.per_channel_out = true;
    check_spec(s, seed++);
  }
}

TEST(ImplFusedQLinear, Int4Weights) {
  uint32_t seed = 500;
  for (QuantType w : {kI4, kU4}) {
    for (int64_t g : {32, 128}) {
      LinearSpec s;
      s.m = 9;
      s.k = 67;
      s.in = 256;
      s.w = w;
      s.w_scale = Shape{s.k, s.in / g};
      s.w_zero = w.quant_min == 0 ? Zero::random : Zero::none;
      check_spec(s, seed++);
    }
  }
}

// Groups longer than a depth block (1024 depth positions) and groups cut
// by a block's end; enough rows for two row blocks.
TEST(ImplFusedQLinear, DepthAndRowBlocking) {
  uint32_t seed = 600;
  struct Case {
    int64_t m, k, in;
    std::optional<Shape> scale;
  };
  const Case cases[] = {
      {3, 70, 2100, std::nullopt},            // per-channel: one group over 3 depth blocks
      {5, 33, 2000, Shape{33, 20}},           // g = 100 (25 quads): groups cut at 256 quads
      {4, 17, 3000, Shape{17, 3}},            // g = 1000 (250 quads): every block cuts one
      {400, 9, 3000, Shape{9, 30}},           // x block of 1 MiB: two row blocks
      {2, 130, 1030, Shape{130, 10}},         // g = 103: quads padded at every group
  };
  for (const Case& c : cases) {
    LinearSpec s;
    s.m = c.m;
    s.k = c.k;
    s.in = c.in;
    s.w_scale = c.scale;
    s.w_zero = Zero::random;
    s.x = kI8;
    check_spec(s, seed++);
  }
}

// 16-bit operands and 8-bit groups whose |acc| may pass 2^31 take the int64 path.
TEST(ImplFusedQLinear, WidePath) {
  uint32_t seed = 700;
  for (QuantType x : {kI16, kU16, kU8}) {
    for (QuantType w : {kI16, kI8, kU16}) {
      LinearSpec s;
      s.m = 3;
      s.k = 18;
      s.in = 37;
      s.x = x;
      s.w = w;
      s.w_zero = Zero::random;
      s.w_scale = Shape{18, 1};
      check_spec(s, seed++);
    }
  }
  // 8-bit, one group of 34000: 34000 * 255 * 255 > 2^31 - 1 (the zero points
  // at the far ends make |q - z| reach 255).
  LinearSpec s;
  s.m = 2;
  s.k = 3;
  s.in = 34000;
  s.x = kI8;
  s.w = kU8;
  s.x_zero = Zero::at_max;
  s.w_zero = Zero::at_min;
  s.w_scale = Shape{};
  const QLinearArgs a = make_linear(s, seed);
  DepthGroups groups;
  groups.depth = s.in;
  groups.count = 1;
  groups.start = {0, s.in};
  EXPECT_FALSE(takes_packed_path(a.x.dtype(), a.x_params, a.w_params, groups));
  groups.start = {0, 33025};  // 33025 * 255 * 255 = 2147450625 < 2^31: still packed
  groups.depth = 33025;
  EXPECT_TRUE(takes_packed_path(a.x.dtype(), a.x_params, a.w_params, groups));
  expect_agrees_everywhere(a, "one group of 34000");
}

// torchao tinygemm: u4 weights with f32 zero points (float domain), per-group.
TEST(ImplFusedQLinear, FloatDomainWeights) {
  uint32_t seed = 800;
  // In = 64 with groups of 8 and 32; In = 5000 in one group (weight chunks of 4096).
  for (auto [in, g] : {std::pair<int64_t, int64_t>{64, 8}, {64, 32}, {5000, 5000}}) {
    LinearSpec s;
    s.m = 5;
    s.k = 19;
    s.in = in;
    s.w = kU4;
    s.w_scale = Shape{19, in / g};
    QLinearArgs a = make_linear(s, seed++);
    a.w_params.zero_point_domain = ZeroPointDomain::float_domain;
    Tensor z(DType::f32, *s.w_scale);
    PrngSource rng(seed);
    for (auto& v : z.data<float>()) v = 0.1f * float(rng.integer(-(1 << 20), 1 << 20)) / float(1 << 20);
    a.w_params.zero_point = z;
    expect_agrees_everywhere(a, fmt::format("float-domain g = {}", g));
  }
}

TEST(ImplFusedQLinear, PerRowInputsAndPerChannelOutputs) {
  uint32_t seed = 900;
  // i32 ranges: the full one (rounding in int64), a narrow one in the middle,
  // and narrow ones at either end of int32 (qmin - 1 or qmax + 1 would overflow).
  for (QuantType out : {kI8, kU8, kU16, kI32, QuantType{DType::i32, -1000, 1000},
                    QuantType{DType::i32, INT32_MIN, INT32_MIN + 1000},
                    QuantType{DType::i32, INT32_MAX - 1000, INT32_MAX}}) {
    LinearSpec s;
    s.batch = {3, 5};
    s.k = 40;
    s.in = 33;
    s.per_row_x = true;
    s.per_channel_out = true;
    s.out = out;
    s.x_zero = Zero::random;
    check_spec(s, seed++);
  }
}

TEST(ImplFusedQLinear, ActivationsAndBias) {
  uint32_t seed = 1000;
  for (ActivationKind kind : {ActivationKind::none, ActivationKind::relu, ActivationKind::clamp}) {
    for (bool bias : {false, true}) {
      LinearSpec s;
      s.m = 6;
      s.k = 48;
      s.in = 24;
      s.bias = bias;
      s.activation = {kind, -0.5f, 0.75f};
      check_spec(s, seed++);
    }
  }
  // An infinite bias saturates its channel (and inf - inf never arises here).
  LinearSpec s;
  s.m = 2;
  s.k = 3;
  s.in = 8;
  QLinearArgs a = make_linear(s, seed);
  a.bias = Tensor::of<float>(Shape{3}, {std::numeric_limits<float>::infinity(), 0.0f,
                                        -std::numeric_limits<float>::infinity()});
  expect_agrees_everywhere(a, "infinite bias");
}

TEST(ImplFusedQLinear, EmptyDims) {
  uint32_t seed = 1100;
  for (auto [m, k, in] : {std::tuple<int64_t, int64_t, int64_t>{0, 5, 8}, {4, 0, 8}, {4, 5, 0}}) {
    LinearSpec s;
    s.m = m;
    s.k = k;
    s.in = in;
    s.w_scale = Shape{};
    check_spec(s, seed++);  // In = 0: y = bias
  }
}

TEST(ImplFusedQLinear, PackedWeightsGiveTheSameBits) {
  uint32_t seed = 1200;
  for (int64_t g : {0, 32}) {
    LinearSpec s;
    s.m = 13;
    s.k = 100;
    s.in = 128;
    if (g) s.w_scale = Shape{100, 128 / g};
    const QLinearArgs a = make_linear(s, seed++);
    const PackedLinearWeights packed = PackedLinearWeights::pack(a);
    ASSERT_TRUE(packed.holds_packed_data());
    // 100 channels -> 112 (7 vectors of 16), 128 depth: 14336 bytes, plus the tables.
    EXPECT_GE(packed.extra_bytes(), 112 * 128);
    for (Isa isa : supported_isas()) {
      EXPECT_EQ(first_difference(qlinear(a, options_for(isa)), qlinear(a, packed, options_for(isa))),
                "");
    }
  }
  // Weights of another shape are refused.
  LinearSpec s;
  s.m = 2;
  s.k = 10;
  s.in = 16;
  const QLinearArgs a = make_linear(s, seed++);
  s.k = 11;
  const PackedLinearWeights other = PackedLinearWeights::pack(make_linear(s, seed++));
  EXPECT_EQ(error_kind_of([&] { qlinear(a, other); }), ErrorKind::unsupported);
}

// Large random cases, many threads: the same bits as one thread.
TEST(ImplFusedQLinear, ThreadsDoNotChangeResults) {
  LinearSpec s;
  s.m = 37;
  s.k = 300;
  s.in = 200;
  s.w_scale = Shape{300, 5};
  s.w_zero = Zero::random;
  const QLinearArgs a = make_linear(s, 1300);
  for (Isa isa : supported_isas()) {
    const Tensor one = qlinear(a, options_for(isa, 1));
    for (int threads : {2, 3, 7}) {
      EXPECT_EQ(first_difference(one, qlinear(a, options_for(isa, threads))), "")
          << isa_name(isa) << " with " << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
