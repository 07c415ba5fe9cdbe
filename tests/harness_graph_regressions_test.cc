// The graph faults' regression corpus still detects its faults. For each
// graph fault point (impl/fault_points.h, fault_level() == graph),
// corpus/regressions/graph/<fault_name>.json holds the shrunk
// counterexample the fault self-test found (tests/harness_faults_test.cc
// writes them when run with QDIFF_WRITE_FAULT_CORPUS=<dir>; see its header
// comment). Each file's property must FAIL against the optimized backend
// with that fault injected and PASS without it, at every supported ISA:
// an entry that passes either way no longer pins its fault. (ctest
// replay_regressions replays the same files against the correct
// implementation through `qdiff replay corpus/regressions`.) Also a
// hand-worked tie for LoweredFixedPointMatchesGemmlowpModel.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "core/graph.h"
#include "impl/options.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "properties/property.h"
#include "properties/reduce_graph.h"
#include "tests/test_util.h"

namespace qdiff::props {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpusDir = fs::path(QDIFF_SOURCE_DIR) / "corpus" / "regressions" / "graph";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<impl::FaultPoint> graph_faults() {
  std::vector<impl::FaultPoint> out;
  for (int f = 0; f < int(impl::FaultPoint::kCount); ++f) {
    if (impl::fault_level(impl::FaultPoint(f)) == impl::FaultLevel::graph) out.push_back(impl::FaultPoint(f));
  }
  return out;
}

using test_util::supported_isas;

class GraphFaultCorpusEntry : public ::testing::TestWithParam<impl::FaultPoint> {};

TEST_P(GraphFaultCorpusEntry, FailsWithItsFaultAndPassesWithout) {
  const impl::FaultPoint fault = GetParam();
  const fs::path path = kCorpusDir / (std::string(impl::fault_point_name(fault)) + ".json");
  ASSERT_TRUE(fs::exists(path)) << path << " is missing: regenerate it (tests/harness_faults_test.cc)";
  const CaseFile f = parse_case_file(read_text(path));
  ASSERT_TRUE(std::holds_alternative<GraphCase>(f.c)) << path;
  ASSERT_NE(find_property(f.property), nullptr) << path << " names no known property: " << f.property;
  // Still the small case the self-test accepted (same ceilings).
  const GraphCaseSize size = graph_case_size(std::get<GraphCase>(f.c));
  EXPECT_LE(size.operator_nodes, 12);
  EXPECT_LE(size.largest_tensor, 64);
  for (impl::Isa isa : supported_isas()) {
    impl::ImplOptions correct;
    correct.isa = isa;
    correct.threads = 1;
    impl::ImplOptions faulty = correct;
    faulty.faults = faulty.faults.with(fault);
    const CheckResult without = check_case_file(f, *make_optimized_backend(correct));
    EXPECT_FALSE(without.failed()) << impl::isa_name(isa) << ": fails without the fault: "
                                   << without.verdict.describe();
    EXPECT_FALSE(without.discarded) << impl::isa_name(isa) << ": outside " << f.property << "'s domain";
    const CheckResult with = check_case_file(f, *make_optimized_backend(faulty));
    EXPECT_TRUE(with.failed()) << impl::isa_name(isa) << ": " << f.property << " no longer detects "
                               << impl::fault_point_name(fault);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, GraphFaultCorpusEntry, ::testing::ValuesIn(graph_faults()),
                         [](const ::testing::TestParamInfo<impl::FaultPoint>& info) {
                           return std::string(impl::fault_point_name(info.param));
                         });

// LoweredFixedPointMatchesGemmlowpModel on a tie worked by hand (the
// property that pins fixed_point_round_half_up, which no envelope can see):
// x = -3.5 quantized with s_x = 0.5 (i8) is -7; W = [[1]] with s_w = 0.25;
// s_out = 0.5. M = 0.5 * 0.25 / 0.5 = 0.25 = 2^30 * 2^(-1 - 31): m = 2^30,
// e = -1. acc = -7; SaturatingRoundingDoublingHighMul: floor(-7 * 2^30 /
// 2^31 + 1/2) = floor(-3) = -3; RoundingDivideByPOT(-3, 1) = -1.5, away
// from zero: -2 (the ideal -7 * 0.25 = -1.75 rounds to -2 too). Half up: -1.
TEST(LoweredFixedPointModel, CatchesATieRoundedHalfUp) {
  GraphBuilder b;
  QuantSpec i8;
  const int x = b.input("x", DType::f32, {1, 1});
  const int sx = b.constant(Tensor::of<float>({}, {0.5f}));
  const int xd = b.dequantize(b.quantize(x, sx, std::nullopt, i8), sx, std::nullopt, i8);
  const int wd = b.dequantize(b.constant(Tensor::of<int8_t>({1, 1}, {1})), b.constant(Tensor::of<float>({}, {0.25f})),
                              std::nullopt, i8);
  b.output(b.quantize(b.linear(xd, wd), b.constant(Tensor::of<float>({}, {0.5f})), std::nullopt, i8));
  const CaseFile f{GraphCase{b.build(), {Tensor::of<float>({1, 1}, {-3.5f})}}, "LoweredFixedPointMatchesGemmlowpModel"};
  impl::ImplOptions correct;
  correct.threads = 1;
  const CheckResult good = check_case_file(f, *make_optimized_backend(correct));
  EXPECT_FALSE(good.discarded);
  EXPECT_FALSE(good.failed()) << good.verdict.describe();
  impl::ImplOptions faulty = correct;
  faulty.faults = faulty.faults.with(impl::FaultPoint::fixed_point_round_half_up);
  const CheckResult bad = check_case_file(f, *make_optimized_backend(faulty));
  ASSERT_TRUE(bad.failed());
  EXPECT_NE(bad.verdict.headline.find("the integer executor gives -1, the gemmlowp model -2"), std::string::npos)
      << bad.verdict.headline;
}

// Nothing stale: every file in the folder is a graph fault's entry.
TEST(GraphFaultCorpus, HoldsOnlyGraphFaultEntries) {
  std::vector<std::string> names;
  for (impl::FaultPoint f : graph_faults()) names.push_back(std::string(impl::fault_point_name(f)) + ".json");
  for (const auto& e : fs::directory_iterator(kCorpusDir)) {
    const std::string name = e.path().filename().string();
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << "unexpected file " << e.path();
  }
}

}  // namespace
}  // namespace qdiff::props
