// Throughput of the optimized qlinear (impl/ops) against oneDNN's int8
// matmul in the same binary, on one core.
//
// Shapes: M in {1, 32, 128} rows, (N, K) in {(4096, 4096), (11008, 4096)}
// (N output features, K = In). Every run reports items_per_second =
// 2 M N K operations per second. The table printed at the end gives GOP/s,
// the ratio to oneDNN per-channel of the same shape, and the peak extra
// memory of our call (packed weights + workspace) in bytes and as a ratio
// of the int8 weight size.
//
//  qdiff/<layout>/...   impl::qlinear with weights packed beforehand
//                       (PackedLinearWeights: the packing is excluded, as
//                       oneDNN's reorder is). x u8 per-tensor with a zero
//                       point; w i8 symmetric, per_channel [N, 1] or
//                       per_group_32 / per_group_128 [N, K / g]; f32 bias;
//                       out u8 per-tensor with a zero point.
//  onednn/per_channel/  dnnl::matmul u8 x s8 -> u8, per-output-channel
//                       output scales (s_x s_w[n] / s_out), src and dst
//                       zero points, f32 bias; primitive creation and the
//                       weight reorder happen outside the timed loop.
// oneDNN 2.6 has no per-group int8 scales, so every layout is compared with
// oneDNN per-channel (the brief's yardstick). Numbers, command, machine:
// docs/benchmarks.md ("impl/ops: qlinear").
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "bench/run_rate.h"
#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/ops/fused_ops.h"
#include "impl/ops/gemm.h"
#include "impl/ops/gemm_driver.h"

extern "C" void omp_set_num_threads(int);

namespace qdiff {
namespace {

constexpr int64_t kRows[] = {1, 32, 128};
struct Features {
  int64_t n, k;
};
constexpr Features kFeatures[] = {{4096, 4096}, {11008, 4096}};
struct Layout {
  const char* name;
  int64_t group;  // 0: per-channel
};
constexpr Layout kLayouts[] = {{"per_channel", 0}, {"per_group_32", 32}, {"per_group_128", 128}};

constexpr float kScaleX = 0.02f;
constexpr int32_t kZeroX = 128;
constexpr int32_t kZeroOut = 128;

std::string shape_name(int64_t m, const Features& f) {
  return fmt::format("M{}/N{}xK{}", m, f.n, f.k);
}

// Weights, scales and bias of one (N, K), shared by every M and layout.
struct Weights {
  Tensor w;                  // i8 [N, K]
  std::vector<float> sw;     // per output channel, around 0.01
  Tensor bias;               // f32 [N]
  float s_out = 1.0f;
};

const Weights& weights(const Features& f) {
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<Weights>> all;
  auto& w = all[{f.n, f.k}];
  if (!w) {
    w = std::make_unique<Weights>();
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> q(-127, 127);
    w->w = Tensor(DType::i8, Shape{f.n, f.k});
    for (auto& v : w->w.data<int8_t>()) v = int8_t(q(rng));
    std::uniform_real_distribution<float> s(0.005f, 0.015f);
    w->sw.resize(size_t(f.n));
    for (auto& v : w->sw) v = s(rng);
    w->bias = Tensor(DType::f32, Shape{f.n});
    for (auto& v : w->bias.data<float>()) v = s(rng) * 100.0f;
    // y ~ sqrt(K) * s_x * 74 * s_w * 73 (uniform q): spread it over ~40 steps.
    w->s_out = float(std::sqrt(double(f.k)) * kScaleX * 0.01 * 74 * 73 / 40);
  }
  return *w;
}

Tensor input(int64_t m, int64_t k) {
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> q(0, 255);
  Tensor x(DType::u8, Shape{m, k});
  for (auto& v : x.data<uint8_t>()) v = uint8_t(q(rng));
  return x;
}

// ---------------------------------------------------------------- qdiff

struct QdiffCase {
  QLinearArgs args;
  impl::PackedLinearWeights packed;
  int64_t workspace_bytes = 0;
};

QLinearArgs linear_args(int64_t m, const Features& f, const Layout& l) {
  const Weights& w = weights(f);
  QLinearArgs a;
  a.x = input(m, f.k);
  a.x_params = QuantParams::per_tensor(kScaleX, kZeroX, DType::u8, 0, 255);
  a.w = w.w;
  Shape scale_shape = l.group ? Shape{f.n, f.k / l.group} : Shape{f.n, 1};
  Tensor scale(DType::f32, scale_shape);
  auto s = scale.data<float>();
  const int64_t per_row = scale_shape[1];
  for (int64_t i = 0; i < int64_t(s.size()); ++i) {
    s[size_t(i)] = w.sw[size_t(i / per_row)] * (1.0f + 0.01f * float(i % 7));
  }
  a.w_params = QuantParams::for_type("i8", std::move(scale));
  a.bias = w.bias;
  a.out_params = QuantParams::per_tensor(w.s_out, kZeroOut, DType::u8, 0, 255);
  return a;
}

impl::ImplOptions one_core() {
  impl::ImplOptions o;
  o.threads = 1;
  return o;
}

void qdiff_bench(benchmark::State& state, int64_t m, Features f, Layout l) {
  QdiffCase c;
  c.args = linear_args(m, f, l);
  c.packed = impl::PackedLinearWeights::pack(c.args);
  const impl::ImplOptions options = one_core();
  for (auto _ : state) {
    Tensor out = impl::qlinear(c.args, c.packed, options);
    benchmark::DoNotOptimize(out.raw());
  }
  const int64_t ops = 2 * m * f.n * f.k;
  state.SetItemsProcessed(state.iterations() * ops);
  const impl::PackedWeights& pw = *c.packed.packed();
  const int64_t workspace = impl::packed_path_workspace_bytes(m, pw, 1, f.n);
  state.counters["extra_bytes"] = double(c.packed.extra_bytes() + workspace);
  state.counters["weight_bytes"] = double(f.n * f.k);
}

// ---------------------------------------------------------------- oneDNN

void onednn_bench(benchmark::State& state, int64_t m, Features f) {
  using namespace dnnl;
  using dt = memory::data_type;
  using tag = memory::format_tag;
  const Weights& w = weights(f);
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  const memory::desc src_md({m, f.k}, dt::u8, tag::ab);
  const memory::desc wei_user_md({f.k, f.n}, dt::s8, tag::ba);  // [N, K] row-major
  const memory::desc wei_any_md({f.k, f.n}, dt::s8, tag::any);
  const memory::desc bias_md({1, f.n}, dt::f32, tag::ab);
  const memory::desc dst_md({m, f.n}, dt::u8, tag::ab);
  primitive_attr attr;
  std::vector<float> scales(size_t(f.n));
  for (int64_t n = 0; n < f.n; ++n) scales[size_t(n)] = kScaleX * w.sw[size_t(n)] / w.s_out;
  attr.set_output_scales(1 << 1, scales);
  attr.set_zero_points(DNNL_ARG_SRC, 0, {kZeroX});
  attr.set_zero_points(DNNL_ARG_DST, 0, {kZeroOut});
  attr.set_scratchpad_mode(scratchpad_mode::user);
  const matmul::primitive_desc pd(matmul::desc(src_md, wei_any_md, bias_md, dst_md), attr, eng);
  const matmul prim(pd);

  Tensor x = input(m, f.k);
  memory src(src_md, eng, x.raw());
  memory wei_user(wei_user_md, eng, const_cast<void*>(w.w.raw()));
  memory wei(pd.weights_desc(), eng);
  reorder(wei_user, wei).execute(strm, wei_user, wei);  // outside the timed loop
  Tensor bias = w.bias;
  memory bias_mem(bias_md, eng, bias.raw());
  memory dst(dst_md, eng);
  memory scratch(pd.scratchpad_desc(), eng);
  strm.wait();
  const std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                                {DNNL_ARG_WEIGHTS, wei},
                                                {DNNL_ARG_BIAS, bias_mem},
                                                {DNNL_ARG_DST, dst},
                                                {DNNL_ARG_SCRATCHPAD, scratch}};
  for (auto _ : state) {
    prim.execute(strm, args);
    strm.wait();
  }
  state.SetItemsProcessed(state.iterations() * 2 * m * f.n * f.k);
  state.counters["extra_bytes"] =
      double(pd.weights_desc().get_size() + pd.scratchpad_desc().get_size());
  state.counters["weight_bytes"] = double(f.n * f.k);
  state.SetLabel(pd.impl_info_str());
}

// The spread over repetitions, next to Google Benchmark's mean / median / stddev / cv.
void with_spread(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond);
  b->ComputeStatistics("min", [](const std::vector<double>& v) {
    return *std::min_element(v.begin(), v.end());
  });
  b->ComputeStatistics("max", [](const std::vector<double>& v) {
    return *std::max_element(v.begin(), v.end());
  });
}

void register_all() {
  for (const Features& f : kFeatures) {
    for (int64_t m : kRows) {
      const std::string shape = shape_name(m, f);
      for (const Layout& l : kLayouts) {
        with_spread(benchmark::RegisterBenchmark(fmt::format("qdiff/{}/{}", l.name, shape).c_str(),
                                                 qdiff_bench, m, f, l));
      }
      with_spread(benchmark::RegisterBenchmark(fmt::format("onednn/per_channel/{}", shape).c_str(),
                                               onednn_bench, m, f));
    }
  }
}

// Prints the usual console output, then a table of GOP/s, the ratio to
// oneDNN per-channel of the same shape, and the extra memory.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const std::optional<double> ips = bench::items_per_second(r);
      if (!ips) continue;
      const std::string name = r.run_name.str();
      Entry& e = entries_[name];
      // The "min" / "max" aggregates hold the extreme rates of the repetitions.
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "median") e.median = *ips;
        if (r.aggregate_name == "min" || r.aggregate_name == "max") {
          e.samples.push_back(*ips);
        }
      } else {
        e.samples.push_back(*ips);
      }
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      if (const auto b = r.counters.find("extra_bytes"); b != r.counters.end()) {
        e.extra = b->second.value;
      }
      if (const auto b = r.counters.find("weight_bytes"); b != r.counters.end()) {
        e.weight = b->second.value;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-40s %8s %8s %8s %9s %14s %7s\n", "run (1 core)", "GOP/s", "min", "max",
                "/oneDNN", "extra bytes", "/w");
    for (auto& [name, e] : entries_) {
      const std::string shape = name.substr(name.find("/M") + 1);
      const Entry* base = nullptr;
      if (const auto b = entries_.find("onednn/per_channel/" + shape); b != entries_.end()) {
        base = &b->second;
      }
      const double rate = e.rate(), base_rate = base ? base->rate() : 0.0;
      std::printf("%-40s %8.1f %8.1f %8.1f %9s %14.0f %7.3f\n", name.c_str(), rate / 1e9,
                  e.low() / 1e9, e.high() / 1e9,
                  base_rate > 0 ? fmt::format("{:.2f}", rate / base_rate).c_str() : "-", e.extra,
                  e.weight > 0 ? e.extra / e.weight : 0.0);
    }
  }

 private:
  struct Entry {
    std::vector<double> samples;
    double median = 0, extra = 0, weight = 0;
    double rate() const {
      if (median > 0) return median;
      return samples.empty() ? 0.0 : samples.back();
    }
    double low() const {
      double v = rate();
      for (double s : samples) v = std::min(v, s);
      return v;
    }
    double high() const {
      double v = rate();
      for (double s : samples) v = std::max(v, s);
      return v;
    }
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace
}  // namespace qdiff

int main(int argc, char** argv) {
  omp_set_num_threads(1);  // oneDNN's OpenMP runtime: one core, like ImplOptions::threads = 1
  benchmark::Initialize(&argc, argv);
  qdiff::register_all();
  qdiff::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
