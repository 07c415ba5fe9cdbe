#include <benchmark/benchmark.h>

#include <optional>
#include <vector>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "bench/bench_cases.h"
#include "bench/peers.h"

extern "C" void omp_set_num_threads(int);

namespace qdiff::bench {
namespace {

// The axis a layout's scale varies along: -1 for per-tensor, nullopt when
// it varies along more than one or in blocks (oneDNN's masks name whole
// axes, one scale per index: no groups or tiles).
std::optional<int> scale_axis(const Shape& input, const Shape& scale_shape) {
  int axis = -1;
  for (int d = 0; d < scale_shape.rank(); ++d) {
    if (scale_shape[d] == 1) continue;
    if (axis >= 0 || scale_shape[d] != input[d]) return std::nullopt;
    axis = d;
  }
  return axis;
}

// oneDNN 2.x reorder: dst = output_scale * (src - src_zp) + dst_zp, so
// quantize takes 1/s and the destination's zero points, dequantize s and
// the source's. The engine must outlive the primitive.
dnnl::reorder::primitive_desc make_reorder(const dnnl::engine& eng, Op op, const BenchShape& shape, const Shape& scale_shape, int axis) {
  const QuantParams p = bench_params(scale_shape);
  std::vector<float> scales(p.scale.data<float>().begin(), p.scale.data<float>().end());
  if (op == Op::quantize) {
    for (float& s : scales) s = 1.0f / s;
  }
  const auto zp = p.zero_point->data<int32_t>();
  const int mask = axis < 0 ? 0 : 1 << axis;
  dnnl::primitive_attr attr;
  attr.set_output_scales(mask, scales);
  // oneDNN 2.6 takes one zero point only (a non-zero mask fails with "could
  // not set zero points primitive attribute"): per-channel runs use
  // per-channel scales and the first zero point.
  attr.set_zero_points(op == Op::quantize ? DNNL_ARG_DST : DNNL_ARG_SRC, 0, {zp[0]});
  const dnnl::memory::dims dims(shape.dims.begin(), shape.dims.end());
  const auto tag = shape.dims.rank() == 2 ? dnnl::memory::format_tag::ab : dnnl::memory::format_tag::abc;
  const dnnl::memory::desc f32(dims, dnnl::memory::data_type::f32, tag);
  const dnnl::memory::desc s8(dims, dnnl::memory::data_type::s8, tag);
  const auto& src = op == Op::quantize ? f32 : s8;
  const auto& dst = op == Op::quantize ? s8 : f32;
  return dnnl::reorder::primitive_desc(eng, src, eng, dst, attr);
}

void run_reorder(benchmark::State& st, Op op, const BenchShape& shape, const Shape& scale_shape, int axis) {
  Buffers& b = buffers(shape);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  dnnl::reorder::primitive_desc pd;
  try {
    pd = make_reorder(eng, op, shape, scale_shape, axis);
  } catch (const dnnl::error& e) {
    st.SkipWithError(fmt::format("oneDNN reorder unavailable: {}", e.what()).c_str());
    return;
  }
  dnnl::reorder reorder(pd);
  dnnl::memory src(pd.src_desc(), eng, op == Op::quantize ? b.x.raw() : b.q.raw());
  dnnl::memory dst(pd.dst_desc(), eng, op == Op::quantize ? b.q_out.raw() : b.y_out.raw());
  for (auto _ : st) {
    reorder.execute(strm, src, dst);
    strm.wait();
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * shape.dims.numel());
}

}  // namespace

void register_onednn_peer() {
  omp_set_num_threads(1);  // oneDNN's OpenMP runtime: one core, like ImplOptions::threads = 1
  for (const BenchShape& shape : bench_shapes()) {
    for (const BenchLayout& layout : bench_layouts()) {
      const std::optional<Shape> scale_shape = layout.scale_shape(shape.dims);
      if (!scale_shape) continue;
      const std::optional<int> axis = scale_axis(shape.dims, *scale_shape);
      if (!axis) continue;
      for (const Op op : kOps) {
        benchmark::RegisterBenchmark(
            fmt::format("onednn/{}/{}/{}", op_name(op), layout.name, shape.name).c_str(),
            [op, shape, s = *scale_shape, a = *axis](benchmark::State& st) { run_reorder(st, op, shape, s, a); });
      }
    }
  }
}

}  // namespace qdiff::bench
