#include "adapters/optimized_backend.h"
#include "fuzz/fuzz_driver.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cases/content_hash.h"
#include "cases/durable_file.h"
#include "cases/case.h"
#include "oracle/plugin_backend.h"
#include "oracle/process_backend.h"
#include "properties/fdp_source.h"

namespace qdiff::fuzz {

const std::vector<FuzzTarget>& property_fuzz_targets() {
  static const std::vector<FuzzTarget> targets = {
      {"quantize",
       {"QuantizeOptimizedMatchesReference", "QuantizeIsMonotoneWithinABlock"},
       "quantize_affine vs the reference; monotonicity"},
      {"dequantize",
       {"DequantizeOptimizedMatchesReference", "DequantizeThenQuantizeIsIdentityOnTheGrid"},
       "dequantize_affine vs the reference; grid round trip"},
      {"choose_qparams",
       {"ChooseQParamsOptimizedMatchesReference", "ChooseQParamsCoversEachBlock"},
       "choose_qparams_affine vs the reference; block coverage"},
      {"fake_quantize",
       {"FakeQuantizeOptimizedMatchesReference", "RoundTripErrorIsAtMostHalfAStep"},
       "fake_quantize_affine vs the reference; half-step error"},
      {"layout",
       {"PerChannelWithEqualScalesEqualsPerTensor", "BlockLayoutRoundTrips",
        "ClassificationAgreesWithChannelAxis"},
       "layout laws: equal scales, derived/explicit, kernel path"},
      {"qlinear", {"QLinearOptimizedMatchesReference"}, "qlinear vs the ideal result"},
      {"qconv2d",
       {"QConv2dOptimizedMatchesReference", "QLinearAgreesWithOneByOneQConv2d"},
       "qconv2d vs the ideal result; qlinear as a 1x1 conv"},
      {"elementwise",
       {"QAddOptimizedMatchesReference", "QMulOptimizedMatchesReference", "QAddAndQMulAreCommutative"},
       "qadd and qmul vs the ideal result; commutativity"},
      // Graph properties in two targets: each input runs ONE of its
      // target's properties, so eight in one target gave each a share of
      // 1/8 of the (slow, ~200/s under ASan) executions.
      {"graph",
       {"FusionPreservesGraphOutputs", "OptimizedGraphExecutionMatchesReference",
        "ScalesStayValidAfterEveryPass", "PassesNeverChangeOutputShapes", "PassesAreIdempotent",
        "LegalFusionsAreApplied", "IllegalFusionsAreNotApplied"},
       "random graphs: passes and optimized execution vs the reference; passes fire where they may"},
      {"lowering",
       {"LoweredExecutionMatchesReference", "CompactScaleRoundTrips", "LoweredFixedPointMatchesGemmlowpModel",
        "LoweringRefusesOnlyOutsideItsDomain"},
       "random graphs lowered: compact scales, integer executor vs the reference and gemmlowp; refusals"},
  };
  return targets;
}

const FuzzTarget* find_fuzz_target(std::string_view name) {
  for (const auto& t : property_fuzz_targets()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

DecodedRun decode_and_run(const FuzzTarget& target, const uint8_t* data, size_t size,
                          const Backend& backend) {
  FuzzedDataProvider fdp(data, size);
  props::FdpSource src(fdp);
  DecodedRun r;
  r.property = props::find_property(target.properties[src.index(target.properties.size())]);
  if (!r.property) {
    r.run.result.verdict = Verdict::fail("fuzz target names an unknown property");
    return r;
  }
  r.run = props::run_property(*r.property, src, backend);
  return r;
}

namespace {

impl::ImplOptions options_from_env() {
  impl::ImplOptions o;
  o.threads = 1;
  if (const char* isa = std::getenv("QDIFF_FUZZ_ISA")) o.isa = impl::parse_isa(isa);
  if (const char* fault = std::getenv("QDIFF_FAULT")) {
    if (const auto point = impl::parse_fault_point(fault)) o.faults = o.faults.with(*point);
  }
  return o;
}

[[noreturn]] void report_and_abort(std::string_view target, const Backend& backend,
                                   const DecodedRun& r) {
  std::string path;
  if (r.run.reproducer) {
    const std::string text =
        write_case_file({*r.run.reproducer, r.property ? r.property->name : std::string()});
    const char* dir = std::getenv("QDIFF_FINDINGS_DIR");
    path = fmt::format("{}/qdiff-finding-{}-{}.json", dir ? dir : ".", target, stable_hash_hex(text));
    try {
      write_file_durably(path, text);
    } catch (const WriteError& e) {
      // The crash input libFuzzer keeps still reproduces it; the case goes to stderr in full.
      fmt::print(stderr, "\n== qdiff finding NOT SAVED: {}\n{}", e.what(), text);
      path.clear();
    }
  }
  fmt::print(stderr, "\n== qdiff finding in fuzz target {}: {} failed against {}\n{}\n", target,
             r.property ? r.property->name : "?", backend.name(), r.run.result.verdict.describe());
  if (r.run.reproducer) fmt::print(stderr, "case: {}\n", case_summary(*r.run.reproducer));
  if (!path.empty()) fmt::print(stderr, "qdiff-case-file: {}\nexplain: qdiff explain {}\n", path, path);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

// QDIFF_BACKEND=path/to/plugin.so fuzzes a plug-in instead of impl/;
// QDIFF_BACKEND_CMD="command" a process backend (docs/process-protocol.md),
// whose order-dependent failures save their request sequence next to the
// findings.
std::unique_ptr<Backend> backend_from_env() {
  if (const char* path = std::getenv("QDIFF_BACKEND")) return load_plugin_backend(path);
  if (const char* command = std::getenv("QDIFF_BACKEND_CMD")) {
    const char* dir = std::getenv("QDIFF_FINDINGS_DIR");
    return start_process_backend({command, kDefaultProcessTimeout, dir ? dir : "."});
  }
  return make_optimized_backend(options_from_env());
}

int fuzz_entry(std::string_view target_name, const uint8_t* data, size_t size) {
  static const std::unique_ptr<Backend> backend = backend_from_env();
  const FuzzTarget* target = find_fuzz_target(target_name);
  if (!target) std::abort();
  const DecodedRun r = decode_and_run(*target, data, size, *backend);
  if (r.finding()) report_and_abort(target_name, *backend, r);
  return 0;
}

}  // namespace qdiff::fuzz
