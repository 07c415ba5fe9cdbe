// The generators must reach every corner they claim to (properties/
// affine_generators.h): checked by drawing a few thousand cases from a
// seeded PrngSource and counting what came out. Also: the RapidCheck
// source reaches the whole range of every draw, generated cases are valid
// when asked to be, and case files of generated cases round-trip.
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "cases/case_file.h"
#include "core/block_layout.h"
#include "core/float_bits.h"
#include "oracle/affine_oracle.h"
#include "properties/affine_generators.h"
#include "properties/coverage.h"
#include "properties/rc_source.h"
#include "properties/scale_odometer.h"

namespace qdiff::props {
namespace {

constexpr int kDraws = 3000;

TEST(RcSource, ReachesTheWholeRangeAtAnySize) {
  std::set<int64_t> small;
  int64_t largest = 0;
  rc::check([&] {
    RcSource src;
    small.insert(src.integer(0, 4));
    largest = std::max(largest, src.integer(0, int64_t{1} << 40));
  });
  EXPECT_EQ(small.size(), 5u);
  EXPECT_GT(largest, int64_t{1} << 39);
}

TEST(Generators, CoverEveryLayoutRankDtypeContractAndDomain) {
  PrngSource src(7);
  Coverage cov;
  int explicit_partial = 0, zero_size = 0, k_equals_one = 0;
  std::set<int> per_channel_axes;
  for (int i = 0; i < kDraws; ++i) {
    const auto op = AffineOpKind(i % 4);
    const AffineCase c = draw_valid_affine_case(src, op, GenLimits{});
    cov.add_case(c);
    ASSERT_LE(c.input.numel(), GenLimits{}.max_elements);
    zero_size += c.input.numel() == 0;
    if (op == AffineOpKind::choose_qparams) continue;
    const BlockLayout l = BlockLayout::derive(c.input.shape(), c.params.scale.shape(), c.params.block_size);
    if (l.is_per_channel()) per_channel_axes.insert(*l.channel_axis());
    if (l.is_explicit()) {
      for (int d = 0; d < c.input.shape().rank(); ++d) {
        explicit_partial += l.block(d) > 0 && c.input.shape()[d] % l.block(d) != 0;
      }
    }
    // The misleading K = 1 weight: [1, In] with a [1, G] scale (blocks along
    // the last dim, nothing varies along the channel dim).
    const int r = c.input.shape().rank();
    if (r >= 2 && c.input.shape()[r - 2] == 1 && l.scale_shape()[r - 1] > 1 && l.block(r - 1) > 1) {
      ++k_equals_one;
    }
  }
  for (const auto c : kAllLayoutClasses) {
    EXPECT_GT(cov.counts["layout"][std::string(layout_class_name(c))], 50) << layout_class_name(c);
  }
  for (int r = 0; r <= 6; ++r) EXPECT_GT(cov.counts["rank"][std::to_string(r)], 10) << "rank " << r;
  for (const char* dt : {"i8", "u8", "i16", "u16", "i32", "i4", "u4"}) {
    EXPECT_GT(cov.counts["dtype"][dt], 10) << dt;
  }
  EXPECT_GT(cov.counts["dtype"]["i8[custom]"] + cov.counts["dtype"]["u8[custom]"], 10);
  for (const auto c : kAllContracts) EXPECT_GT(cov.counts["contract"][std::string(contract_name(c))], 100);
  for (const auto d : kAllDomains) EXPECT_GT(cov.counts["domain"][std::string(domain_name(d))], 50);
  for (const auto m : kAllMappings) EXPECT_GT(cov.counts["mapping"][std::string(mapping_name(m))], 50);
  EXPECT_GT(explicit_partial, 50);
  EXPECT_GT(zero_size, 10);
  EXPECT_GT(k_equals_one, 5);
  EXPECT_EQ(per_channel_axes, (std::set<int>{0, 1, 2, 3, 4, 5}));
}

TEST(Generators, HitExactRoundingTiesAndSpecialValues) {
  PrngSource src(11);
  int ties = 0, infinities = 0, negative_zeros = 0;
  for (int i = 0; i < 500; ++i) {
    AffineCase c = draw_valid_affine_case(src, AffineOpKind::quantize, GenLimits{}, LayoutIntent::per_tensor);
    if (c.params.zero_point_domain == ZeroPointDomain::float_domain) continue;
    const float s = c.params.scale.f32_at(0);
    for (const float x : c.input.data<float>()) {
      infinities += std::isinf(x);
      negative_zeros += x == 0.0f && std::signbit(x);
      const float v = c.contract == Contract::torchao ? x * (1.0f / s) : x / s;
      ties += std::isfinite(v) && v - std::floor(v) == 0.5f;
    }
  }
  EXPECT_GT(ties, 200);
  EXPECT_GT(infinities, 20);
  EXPECT_GT(negative_zeros, 5);
}

TEST(Generators, ValidCasesAreAcceptedAndInvalidOnesCoverEveryErrorKind) {
  const auto reference = make_reference_backend();
  PrngSource src(3);
  std::set<ErrorKind> kinds;
  GenLimits limits;
  limits.invalid_percent = 50;
  for (int i = 0; i < kDraws; ++i) {
    const auto op = AffineOpKind(i % 4);
    const CaseResult valid = evaluate_affine(draw_valid_affine_case(src, op, GenLimits{}), *reference);
    ASSERT_FALSE(valid.error_kind.has_value()) << valid.error_message;
    const CaseResult maybe = evaluate_affine(draw_affine_case(src, op, limits), *reference);
    if (maybe.error_kind) kinds.insert(*maybe.error_kind);
  }
  for (ErrorKind k : {ErrorKind::invalid_shape, ErrorKind::non_divisible_block, ErrorKind::invalid_scale,
                      ErrorKind::invalid_zero_point, ErrorKind::invalid_range, ErrorKind::nan_input,
                      ErrorKind::unsupported}) {
    EXPECT_TRUE(kinds.count(k)) << error_kind_name(k);
  }
}

TEST(Generators, CaseFilesOfGeneratedCasesRoundTrip) {
  PrngSource src(5);
  for (int i = 0; i < 500; ++i) {
    const AffineCase c = draw_affine_case(src, AffineOpKind(i % 4), GenLimits{});
    const std::string once = write_affine_case(c);
    const AffineCase back = parse_affine_case(once);
    ASSERT_EQ(write_affine_case(back), once);
    // Bitwise, except that NaN payloads are not kept (every NaN reads back
    // as the default quiet NaN; docs/case-file-format.md).
    if (c.input.dtype() == DType::f32) {
      const auto a = c.input.data<float>(), b = back.input.data<float>();
      for (size_t k = 0; k < a.size(); ++k) {
        ASSERT_TRUE(std::isnan(a[k]) ? std::isnan(b[k]) : f32_bits(a[k]) == f32_bits(b[k])) << k;
      }
    } else {
      ASSERT_TRUE(back.input.bitwise_equal(c.input));
    }
  }
}

}  // namespace
}  // namespace qdiff::props

#include "properties/graph_generators.h"
#include "reference/graph_eval.h"

namespace qdiff::props {
namespace {

// Random graphs are mostly valid (the reference evaluates them) and cover
// the patterns the graph passes look for.
TEST(GraphGenerators, ProduceValidGraphsWithEveryPattern) {
  PrngSource src(13);
  int valid = 0, legacy = 0, mul_after_linear = 0, absorption = 0, reshaped_scale = 0, conv = 0, relu = 0;
  std::string first_error;
  for (int i = 0; i < 400; ++i) {
    const GraphCase c = draw_graph_case(src);
    ASSERT_NO_THROW(c.graph.check_structure());
    try {
      reference::evaluate_graph(c.graph, c.inputs);
      ++valid;
    } catch (const Error& e) {
      if (first_error.empty()) first_error = e.what();
    }
    for (size_t id = 0; id < c.graph.nodes.size(); ++id) {
      const Node& n = c.graph.nodes[id];
      legacy += n.spec.legacy_axis.has_value();
      conv += n.kind == NodeKind::conv2d;
      relu += n.kind == NodeKind::relu;
      if (n.kind == NodeKind::mul && c.graph.node(n.inputs[0]).kind == NodeKind::linear) ++mul_after_linear;
      if (n.kind == NodeKind::reshape && c.graph.node(n.inputs[0]).kind == NodeKind::constant) ++reshaped_scale;
      if (n.kind == NodeKind::quantize && c.graph.node(n.inputs[0]).kind == NodeKind::dequantize &&
          c.graph.node(c.graph.node(n.inputs[0]).inputs[0]).kind == NodeKind::quantize) {
        ++absorption;
      }
    }
  }
  EXPECT_GT(valid, 360) << "first error: " << first_error;
  EXPECT_GT(legacy, 40);
  EXPECT_GT(mul_after_linear, 40);
  EXPECT_GT(absorption, 20);
  EXPECT_GT(reshaped_scale, 20);
  EXPECT_GT(conv, 20);
  EXPECT_GT(relu, 20);
}

}  // namespace
}  // namespace qdiff::props

#include "oracle/case_oracle.h"
#include "properties/fused_generators.h"

namespace qdiff::props {
namespace {

// The "valid" fused draws must be accepted by the reference (else the
// differential properties test mostly error parity), and the default
// draws must still include invalid cases.
TEST(FusedGenerators, ValidDrawsAreAcceptedAndDefaultDrawsIncludeErrors) {
  const auto reference = make_reference_backend();
  PrngSource src(17);
  FusedLimits valid_only;
  valid_only.invalid_percent = 0;
  std::map<std::string, int> errors_by_op;
  int rejected_by_default = 0;
  for (int i = 0; i < 300; ++i) {
    for (const Case& c : {Case{draw_qlinear_case(src, valid_only)}, Case{draw_qconv2d_case(src, valid_only)},
                          Case{draw_qelementwise_case(src, ElementwiseOp::add, valid_only)},
                          Case{draw_qelementwise_case(src, ElementwiseOp::mul, valid_only)}}) {
      const CaseResult r = evaluate_case(c, *reference);
      if (r.error_kind) {
        ++errors_by_op[case_op_name(c)];
        ADD_FAILURE() << case_op_name(c) << ": " << r.error_message << "\n" << case_summary(c);
        if (errors_by_op[case_op_name(c)] > 3) return;
      }
    }
    rejected_by_default += evaluate_case(Case{draw_qlinear_case(src, FusedLimits{})}, *reference).error_kind.has_value();
  }
  EXPECT_GT(rejected_by_default, 15);
}

// ScaleOdometer against BlockLayout::scale_index at every element of every
// layout class, explicit partial blocks and rank 0 included, over two
// passes (the walk wraps back to element 0).
TEST(ScaleOdometer, AgreesWithScaleIndexAtEveryElement) {
  struct Layout {
    Shape input, scale;
    std::optional<std::vector<int64_t>> blocks;
  };
  const std::vector<Layout> layouts = {
      {Shape{}, Shape{}, std::nullopt},                        // rank 0
      {Shape{3, 4}, Shape{}, std::nullopt},                    // per-tensor
      {Shape{3, 4}, Shape{3, 1}, std::nullopt},                // per-channel axis 0
      {Shape{3, 4}, Shape{1, 4}, std::nullopt},                // per-channel last
      {Shape{2, 3, 5}, Shape{1, 3, 1}, std::nullopt},          // per-channel middle
      {Shape{2, 6}, Shape{2, 3}, std::nullopt},                // per-group g = 2
      {Shape{4, 6, 2}, Shape{2, 3, 1}, std::nullopt},          // blockwise
      {Shape{5, 7}, Shape{3, 3}, std::vector<int64_t>{2, 3}},  // explicit, partial last blocks
      {Shape{1, 7}, Shape{1, 1}, std::vector<int64_t>{1, 7}},  // one scale, explicit blocks
      {Shape{2, 0, 3}, Shape{2, 1, 1}, std::nullopt},          // zero-size dim: no elements
  };
  for (const Layout& c : layouts) {
    const BlockLayout l = BlockLayout::derive(c.input, c.scale, c.blocks);
    ScaleOdometer it(l);
    const int64_t n = c.input.numel();
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t flat = 0; flat < n; ++flat, it.next()) {
        std::vector<int64_t> index(size_t(c.input.rank()));
        int64_t rest = flat;
        for (int d = c.input.rank() - 1; d >= 0; --d) {
          index[size_t(d)] = rest % c.input[d];
          rest /= c.input[d];
        }
        ASSERT_EQ(it.scale_index(), l.scale_index(index)) << l.describe() << ", element " << flat;
      }
    }
  }
}

}  // namespace
}  // namespace qdiff::props
