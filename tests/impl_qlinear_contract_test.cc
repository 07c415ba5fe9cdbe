// impl::qlinear / qconv2d under each accumulation contract setting
// (core/qlinear_contract.h): the hand-worked vectors of
// tests/qlinear_contract_vectors.h on every ISA, the prepacked entry point,
// and the contract's error kinds; the fault point that moves the output zero
// point stays a defect under either placement.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/impl_fused_test_util.h"
#include "tests/qlinear_contract_vectors.h"

namespace qdiff::impl {
namespace {

using ::testing::ElementsAre;
using namespace fused_testing;
using namespace qlinear_contract_vectors;
using reference::fused_test::ints;

// The outputs on every ISA, which must agree (else an empty vector).
std::vector<int64_t> on_every_isa(const QLinearArgs& a, FaultSet faults = {}) {
  std::vector<int64_t> first;
  for (Isa isa : supported_isas()) {
    const std::vector<int64_t> out = ints(qlinear(a, options_for(isa, 1, faults)));
    if (first.empty()) first = out;
    if (out != first) {
      ADD_FAILURE() << isa_name(isa) << " differs";
      return {};
    }
  }
  return first;
}

QLinearArgs under(QLinearArgs a, QLinearContract c) {
  a.contract = c;
  return a;
}

TEST(ImplQLinearContract, BiasGrid) {
  EXPECT_THAT(on_every_isa(under(bias_tie_case(), contract(BiasGrid::float_bias))), ElementsAre(33, 23));
  EXPECT_THAT(on_every_isa(under(bias_tie_case(), contract(BiasGrid::int32_acc))), ElementsAre(32, 24));
  EXPECT_THAT(on_every_isa(under(bias_reciprocal_case(), contract(BiasGrid::int32_acc))), ElementsAre(-23));
  EXPECT_THAT(on_every_isa(under(per_channel_bias_case(), contract(BiasGrid::int32_acc))), ElementsAre(32, 28));
}

TEST(ImplQLinearContract, PrepackedWeightsFollowTheContract) {
  const QLinearArgs a = under(bias_tie_case(), contract(BiasGrid::int32_acc));
  EXPECT_THAT(ints(qlinear(a, PackedLinearWeights::pack(a))), ElementsAre(32, 24));
}

TEST(ImplQLinearContract, OutputZeroPointPlacement) {
  const QLinearArgs after = zero_point_tie_case();
  const QLinearArgs before = under(after, contract(BiasGrid::float_bias, OutputZeroPoint::before_rounding));
  EXPECT_THAT(on_every_isa(after), ElementsAre(101, 100));
  EXPECT_THAT(on_every_isa(before), ElementsAre(102, 100));
  // The fault moves the zero point to the other side of the rounding.
  const FaultSet fault(FaultPoint::output_zero_point_before_rounding);
  EXPECT_THAT(on_every_isa(after, fault), ElementsAre(102, 100));
  EXPECT_THAT(on_every_isa(before, fault), ElementsAre(101, 100));
}

TEST(ImplQLinearContract, QConv2dFollowsTheSameContract) {
  QConv2dArgs a = bias_tie_conv_case();
  a.contract = contract(BiasGrid::int32_acc);
  for (Isa isa : supported_isas()) EXPECT_THAT(ints(qconv2d(a, options_for(isa))), ElementsAre(32, 24));
}

TEST(ImplQLinearContract, Int32AccErrorKinds) {
  QLinearArgs grouped = under(per_channel_bias_case(), contract(BiasGrid::int32_acc));
  grouped.w_params = grouped_weight_params();
  EXPECT_EQ(rejection_kind([&] { qlinear(grouped); }), ErrorKind::unsupported);
  QLinearArgs tiny = under(bias_tie_case(), contract(BiasGrid::int32_acc));
  tiny.x_params = reference::fused_test::per_tensor(0x1p-70f, 0);
  tiny.w_params = reference::fused_test::per_tensor(0x1p-70f, 0);
  EXPECT_EQ(rejection_kind([&] { qlinear(tiny); }), ErrorKind::invalid_scale);
}

}  // namespace
}  // namespace qdiff::impl
