#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <fmt/format.h>

#include "bench/bench_cases.h"
#include "bench/peers.h"

namespace qdiff::bench {
namespace {

// One operator, created and set up on the case's buffers outside the timed
// loop (as a model would): the loop times xnn_run_operator alone. Rows of
// the shape are XNNPACK's batch, its last dim the channels.
xnn_operator_t make_convert(Op op, const BenchShape& shape, Buffers& b) {
  const QuantParams p = bench_params(Shape{});
  const float s = p.scale.data<float>()[0];
  const auto z = int8_t(p.zero_point->data<int32_t>()[0]);
  const size_t channels = size_t(shape.dims[shape.dims.rank() - 1]);
  const size_t batch = size_t(shape.dims.numel()) / channels;
  xnn_operator_t convert = nullptr;
  if (op == Op::quantize) {
    if (xnn_create_convert_nc_f32_qs8(channels, channels, channels, s, z, -128, 127, 0, &convert) !=
            xnn_status_success ||
        xnn_setup_convert_nc_f32_qs8(convert, batch, b.x.data<float>().data(), b.q_out.data<int8_t>().data(),
                                     nullptr) != xnn_status_success) {
      return nullptr;
    }
  } else if (xnn_create_convert_nc_qs8_f32(channels, channels, channels, s, z, 0, &convert) != xnn_status_success ||
             xnn_setup_convert_nc_qs8_f32(convert, batch, b.q.data<int8_t>().data(), b.y_out.data<float>().data(),
                                          nullptr) != xnn_status_success) {
    return nullptr;
  }
  return convert;
}

void run_convert(benchmark::State& st, Op op, const BenchShape& shape) {
  static const bool initialized = xnn_initialize(nullptr) == xnn_status_success;
  xnn_operator_t convert = initialized ? make_convert(op, shape, buffers(shape)) : nullptr;
  if (convert == nullptr) {
    st.SkipWithError("XNNPACK convert operator unavailable");
    return;
  }
  for (auto _ : st) {
    xnn_run_operator(convert, nullptr);
    benchmark::ClobberMemory();
  }
  xnn_delete_operator(convert);
  st.SetItemsProcessed(int64_t(st.iterations()) * shape.dims.numel());
}

}  // namespace

void register_xnnpack_peer() {
  for (const BenchShape& shape : bench_shapes()) {
    for (const Op op : kOps) {
      benchmark::RegisterBenchmark(fmt::format("xnnpack/{}/per_tensor/{}", op_name(op), shape.name).c_str(),
                                   [op, shape](benchmark::State& st) { run_convert(st, op, shape); });
    }
  }
}

}  // namespace qdiff::bench
