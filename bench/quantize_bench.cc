// Throughput of the optimized quantize / dequantize (impl/quantize) on one
// core (ImplOptions::threads = 1), for every case of bench_cases.h, next
// to, in the same binary and the same run, on the same buffers:
//   - the rooflines (rooflines.h): the strongest read-only and read+write
//     loops we have for each op and size;
//   - the peers (peers.h): XNNPACK convert and oneDNN reorder, when
//     configure found them;
//   - the naive reference/ (in cache only: at 2^26 elements it takes
//     seconds per call).
// Every benchmark reports items_per_second = elements per second. The
// summary (summary_table.h) ends the output; the process exits 3 when its
// self-check fails (a run beat a roofline). Numbers, command and machine:
// docs/benchmarks.md.
//
// Settings: i8 [-128, 127], torchao contract, int zero point present.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "bench/bench_cases.h"
#include "bench/peers.h"
#include "bench/rooflines.h"
#include "bench/summary_table.h"
#include "impl/quantize/affine.h"
#include "reference/dequantize.h"
#include "reference/quantize.h"

namespace qdiff::bench {
namespace {

impl::ImplOptions one_core() {
  impl::ImplOptions o;
  o.threads = 1;
  return o;
}

void run_impl(benchmark::State& st, Op op, const BenchShape& shape, const QuantParams& p) {
  Buffers& b = buffers(shape);
  const impl::ImplOptions o = one_core();
  for (auto _ : st) {
    if (op == Op::quantize) {
      impl::quantize_affine_into(b.x, p, Contract::torchao, b.q_out, o);
    } else {
      impl::dequantize_affine_into(b.q, p, Contract::torchao, b.y_out, o);
    }
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * shape.dims.numel());
}

void run_reference(benchmark::State& st, Op op, const BenchShape& shape, const QuantParams& p) {
  Buffers& b = buffers(shape);
  for (auto _ : st) {
    if (op == Op::quantize) {
      benchmark::DoNotOptimize(reference::quantize_affine(b.x, p));
    } else {
      benchmark::DoNotOptimize(reference::dequantize_affine(b.q, p));
    }
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * shape.dims.numel());
}

void register_cases() {
  for (const BenchShape& shape : bench_shapes()) {
    for (const BenchLayout& layout : bench_layouts()) {
      const std::optional<Shape> scale_shape = layout.scale_shape(shape.dims);
      if (!scale_shape) continue;
      const QuantParams p = bench_params(*scale_shape);
      for (const Op op : kOps) {
        const std::string tail = fmt::format("{}/{}/{}", op_name(op), layout.name, shape.name);
        benchmark::RegisterBenchmark(("qdiff/" + tail).c_str(),
                                     [op, shape, p](benchmark::State& st) { run_impl(st, op, shape, p); });
        if (shape.size != "64K") continue;
        benchmark::RegisterBenchmark(("reference/" + tail).c_str(),
                                     [op, shape, p](benchmark::State& st) { run_reference(st, op, shape, p); });
      }
    }
  }
}

}  // namespace
}  // namespace qdiff::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  qdiff::bench::register_rooflines();
  qdiff::bench::register_cases();
#ifdef QDIFF_BENCH_XNNPACK
  qdiff::bench::register_xnnpack_peer();
#endif
#ifdef QDIFF_BENCH_ONEDNN
  qdiff::bench::register_onednn_peer();
#endif
  qdiff::bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return reporter.self_check_passed() ? 0 : 3;
}
