// Unit tests of the stable names of core/contract.h, core/qlinear_contract.h
// and core/error.h (used in case files and reports, SPEC sections 3, 10, 11)
// and of fail().
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/block_layout.h"
#include "core/contract.h"
#include "core/qlinear_contract.h"
#include "core/error.h"

namespace qdiff {
namespace {

TEST(ContractNames, MatchTheSpecTableAndRoundTrip) {
  EXPECT_EQ(contract_name(Contract::torchao), "torchao");
  EXPECT_EQ(contract_name(Contract::onnx), "onnx");
  EXPECT_EQ(contract_name(Contract::half_away), "half_away");
  EXPECT_EQ(contract_name(Contract::zp_before), "zp_before");
  for (Contract c : kAllContracts) EXPECT_EQ(parse_contract(contract_name(c)), c);
  EXPECT_EQ(parse_contract("ONNX"), std::nullopt);
  EXPECT_EQ(parse_contract(""), std::nullopt);
}

TEST(ContractNames, ReciprocalScalingBelongsToTorchaoAndZpBefore) {
  EXPECT_TRUE(scales_by_reciprocal(Contract::torchao));
  EXPECT_TRUE(scales_by_reciprocal(Contract::zp_before));
  EXPECT_FALSE(scales_by_reciprocal(Contract::onnx));
  EXPECT_FALSE(scales_by_reciprocal(Contract::half_away));
}

// The case-file values of "qlinear_contract" (docs/case-file-format.md).
TEST(QLinearContractNames, AreTheCaseFileValuesAndRoundTrip) {
  EXPECT_EQ(bias_grid_name(BiasGrid::float_bias), "float");
  EXPECT_EQ(bias_grid_name(BiasGrid::int32_acc), "int32_acc");
  EXPECT_EQ(output_zero_point_name(OutputZeroPoint::after_rounding), "after_rounding");
  EXPECT_EQ(output_zero_point_name(OutputZeroPoint::before_rounding), "before_rounding");
  for (BiasGrid g : kAllBiasGrids) EXPECT_EQ(parse_bias_grid(bias_grid_name(g)), g);
  for (OutputZeroPoint z : kAllOutputZeroPoints) EXPECT_EQ(parse_output_zero_point(output_zero_point_name(z)), z);
  EXPECT_EQ(parse_bias_grid("int32"), std::nullopt);
  EXPECT_EQ(parse_output_zero_point("before"), std::nullopt);
  EXPECT_TRUE(QLinearContract{}.is_default());
  EXPECT_EQ(describe(QLinearContract{}), "bias float, output zero point after_rounding");
  EXPECT_FALSE((QLinearContract{BiasGrid::float_bias, OutputZeroPoint::before_rounding}.is_default()));
}

TEST(DomainNames, RoundTrip) {
  EXPECT_EQ(domain_name(ZeroPointDomain::int_domain), "int");
  EXPECT_EQ(domain_name(ZeroPointDomain::float_domain), "float");
  EXPECT_EQ(domain_name(ZeroPointDomain::none), "none");
  for (ZeroPointDomain d : kAllDomains) EXPECT_EQ(parse_domain(domain_name(d)), d);
  EXPECT_EQ(parse_domain("int_domain"), std::nullopt);
}

TEST(MappingNames, RoundTrip) {
  EXPECT_EQ(mapping_name(Mapping::symmetric), "symmetric");
  EXPECT_EQ(mapping_name(Mapping::symmetric_no_clipping_err), "symmetric_no_clipping_err");
  EXPECT_EQ(mapping_name(Mapping::asymmetric), "asymmetric");
  for (Mapping m : kAllMappings) EXPECT_EQ(parse_mapping(mapping_name(m)), m);
  EXPECT_EQ(parse_mapping("affine"), std::nullopt);
}

TEST(ErrorKindNames, AreTheStableKindsOfSpecSection10) {
  const std::pair<ErrorKind, const char*> kinds[] = {
      {ErrorKind::invalid_shape, "invalid_shape"},
      {ErrorKind::non_divisible_block, "non_divisible_block"},
      {ErrorKind::invalid_scale, "invalid_scale"},
      {ErrorKind::invalid_zero_point, "invalid_zero_point"},
      {ErrorKind::invalid_range, "invalid_range"},
      {ErrorKind::nan_input, "nan_input"},
      {ErrorKind::too_large, "too_large"},
      {ErrorKind::malformed_case, "malformed_case"},
      {ErrorKind::unsupported, "unsupported"},
  };
  for (const auto& [kind, name] : kinds) {
    EXPECT_EQ(error_kind_name(kind), name);
    EXPECT_EQ(parse_error_kind(name), kind);
  }
  EXPECT_EQ(parse_error_kind("nan"), std::nullopt);
}

TEST(Fail, FormatsTheMessageAndKeepsTheKind) {
  try {
    fail(ErrorKind::non_divisible_block, "input dim {} (size {})", 1, 10);
    FAIL() << "fail() returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::non_divisible_block);
    EXPECT_STREQ(e.what(), "input dim 1 (size 10)");
  }
}

TEST(LayoutClassNames, AreStable) {
  EXPECT_EQ(layout_class_name(LayoutClass::per_tensor), "per_tensor");
  EXPECT_EQ(layout_class_name(LayoutClass::per_channel), "per_channel");
  EXPECT_EQ(layout_class_name(LayoutClass::per_group), "per_group");
  EXPECT_EQ(layout_class_name(LayoutClass::blockwise), "blockwise");
}

}  // namespace
}  // namespace qdiff
