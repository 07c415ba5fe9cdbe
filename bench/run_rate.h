// The rate a Google Benchmark run reports (items_per_second), shared by
// the summary tables of the benchmarks.
#pragma once

#include <optional>

#include <benchmark/benchmark.h>

namespace qdiff::bench {

// Items per second of a run (an iteration or an aggregate); nullopt when
// the run failed or reports no rate.
inline std::optional<double> items_per_second(const benchmark::BenchmarkReporter::Run& r) {
  if (r.error_occurred) return std::nullopt;
  const auto it = r.counters.find("items_per_second");
  if (it == r.counters.end()) return std::nullopt;
  return it->second.value;
}

}  // namespace qdiff::bench
