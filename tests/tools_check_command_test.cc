// `qdiff check` as users run it: the differential properties are judged at
// every ISA this CPU supports (README: "differential families at every ISA
// the CPU has"), one row per property and ISA, and the header names every
// backend.
#include <unistd.h>

#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "impl/options.h"
#include "properties/property.h"
#include "tests/qdiff_command.h"
#include "tests/test_util.h"

namespace qdiff {
namespace {

using testing::run_qdiff;
using testing::ScratchDir;

using test_util::supported_isas;

TEST(CheckCommand, DifferentialRowsCoverEverySupportedIsa) {
  ScratchDir findings("check-isa");
  const auto r = run_qdiff("check --cases 5 --fuzz-seconds 0 --no-corpus --property OptimizedMatchesReference "
                           "--findings " + findings.str());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  int differential = 0;
  for (const auto& p : props::all_properties()) {
    if (p.kind != props::PropertyKind::differential) continue;
    ++differential;
    for (impl::Isa isa : supported_isas()) {
      const std::string row = p.name + " @ optimized[" + std::string(impl::isa_name(isa)) + "]";
      EXPECT_NE(r.out.find(row + "  ok"), std::string::npos) << "no passing row '" << row << "' in\n" << r.out;
    }
  }
  // One per op with kernels of its own: quantize, dequantize, choose_qparams,
  // fake_quantize, qlinear, qconv2d, qadd, qmul.
  EXPECT_EQ(differential, 8);
  const size_t header_end = r.out.find('\n');
  for (impl::Isa isa : supported_isas()) {
    EXPECT_NE(r.out.substr(0, header_end).find("optimized[" + std::string(impl::isa_name(isa)) + "]"),
              std::string::npos)
        << r.out.substr(0, header_end);
  }
}

TEST(CheckCommand, IsaFlagChecksThatIsaOnly) {
  ScratchDir findings("check-one-isa");
  const auto r = run_qdiff("check --cases 5 --fuzz-seconds 0 --no-corpus --isa scalar "
                           "--property QuantizeOptimizedMatchesReference --findings " + findings.str());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("backends optimized[scalar]\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("optimized[avx"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace qdiff
