// The harness's own throughput: how many property cases per second the
// RapidCheck engine and a plain PRNG engine get through, and how many
// fuzz executions per second each target's entry body manages in process
// (no libFuzzer, no sanitizers: the ceiling a fuzzing run can approach).
// Cases are the generators' defaults: at most 4,096 elements per tensor.
//
//   cmake --build build/default --target harness_bench
//   build/default/bench/harness_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "fuzz/fuzz_driver.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "properties/property.h"
#include "properties/rc_runner.h"

namespace {

using qdiff::props::Property;

const qdiff::Backend& optimized() {
  static const auto b = [] {
    qdiff::impl::ImplOptions o;
    o.threads = 1;
    return qdiff::make_optimized_backend(o);
  }();
  return *b;
}

// Cases per second through the PRNG engine: draw + check, as a fuzz
// execution does once libFuzzer has produced the bytes.
void BM_PropertyCasesPrng(benchmark::State& state, const Property* p) {
  uint64_t seed = 1;
  for (auto _ : state) {
    qdiff::props::PrngSource src(seed++);
    benchmark::DoNotOptimize(qdiff::props::run_property(*p, src, optimized()));
  }
  state.SetItemsProcessed(state.iterations());
}

// Cases per second through RapidCheck (generation bookkeeping included).
void BM_PropertyCasesRapidCheck(benchmark::State& state, const Property* p) {
  constexpr int kBatch = 200;
  uint64_t seed = 1;
  for (auto _ : state) {
    qdiff::props::RcConfig config;
    config.seed = seed++;
    config.cases = kBatch;
    benchmark::DoNotOptimize(qdiff::props::run_rapidcheck(*p, optimized(), config));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Fuzz executions per second of a target's entry body on random inputs of
// up to 1 KiB (libFuzzer's default lengths early in a run).
void BM_FuzzExecutions(benchmark::State& state, const qdiff::fuzz::FuzzTarget* t) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<uint8_t>> inputs(256);
  for (auto& in : inputs) {
    in.resize(rng() % 1024);
    for (auto& b : in) b = uint8_t(rng());
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& in = inputs[i++ % inputs.size()];
    benchmark::DoNotOptimize(qdiff::fuzz::decode_and_run(*t, in.data(), in.size(), optimized()));
  }
  state.SetItemsProcessed(state.iterations());
}

const bool registered = [] {
  for (const auto& p : qdiff::props::all_properties()) {
    benchmark::RegisterBenchmark(("BM_PropertyCasesPrng/" + p.name).c_str(), BM_PropertyCasesPrng, &p);
    benchmark::RegisterBenchmark(("BM_PropertyCasesRapidCheck/" + p.name).c_str(), BM_PropertyCasesRapidCheck, &p);
  }
  for (const auto& t : qdiff::fuzz::property_fuzz_targets()) {
    benchmark::RegisterBenchmark(("BM_FuzzExecutions/" + std::string(t.name)).c_str(), BM_FuzzExecutions, &t);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
