// Throughput of the optimized quantize / dequantize (impl/quantize) per
// layout, on one core (ImplOptions::threads = 1), at an in-cache size
// (64K elements) and a DRAM size (64M = 2^26 elements, the element cap),
// next to memory-bound baselines measured in the same run on the same
// buffers:
//   baseline_read    a read-only pass over the op's input bytes (AVX-512 ORs;
//                    plain and with software prefetch, the faster one counts)
//   baseline_memcpy  memcpy of the op's input bytes
//   baseline_traffic the op's input and output bytes (read the input, write
//                    an output of the op's element size with a width
//                    conversion only; plain and streaming stores, the
//                    faster counts): the roofline of a write-bound op
// and, at the cache size, the naive reference/ on the same inputs.
// Every benchmark reports items_per_second = elements per second. At the
// end a table prints each impl run in Gelem/s with its ratios to the
// baselines of the same op and size and, in cache, to the reference.
// Numbers, command and machine: docs/benchmarks.md.
//
// Settings: i8 [-128, 127], torchao contract, int zero point present.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/quantize/affine.h"
#include "reference/dequantize.h"
#include "reference/quantize.h"

namespace qdiff {
namespace {

struct Size {
  const char* name;
  int64_t rows, cols;
};
constexpr Size kCache{"64K", 256, 256};
constexpr Size kDram{"64M", 8192, 8192};

struct Layout {
  const char* name;
  // scale shape for a [rows, cols] weight
  Shape (*scale_shape)(int64_t rows, int64_t cols);
};
const Layout kLayouts[] = {
    {"per_tensor", [](int64_t, int64_t) { return Shape{}; }},
    {"per_channel_axis0", [](int64_t r, int64_t) { return Shape{r, 1}; }},
    {"per_channel_last", [](int64_t, int64_t c) { return Shape{1, c}; }},
    {"per_group_32", [](int64_t r, int64_t c) { return Shape{r, c / 32}; }},
    {"per_group_128", [](int64_t r, int64_t c) { return Shape{r, c / 128}; }},
    {"blockwise_64x64", [](int64_t r, int64_t c) { return Shape{r / 64, c / 64}; }},
};

// Buffers of one size, shared by every benchmark of that size.
struct Buffers {
  Tensor x;        // f32 input of quantize
  Tensor q;        // i8 input of dequantize
  Tensor q_out;    // i8 output of quantize
  Tensor y_out;    // f32 output of dequantize
  std::vector<char> copy_f32, copy_i8;  // memcpy destinations
};

Buffers& buffers(const Size& size) {
  static std::map<std::string, std::unique_ptr<Buffers>> all;
  auto& b = all[size.name];
  if (!b) {
    b = std::make_unique<Buffers>();
    const Shape shape{size.rows, size.cols};
    b->x = Tensor(DType::f32, shape);
    b->q = Tensor(DType::i8, shape);
    b->q_out = Tensor(DType::i8, shape);
    b->y_out = Tensor(DType::f32, shape);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-10.0f, 10.0f);
    for (auto& v : b->x.data<float>()) v = u(rng);
    for (auto& v : b->q.data<int8_t>()) v = int8_t(rng());
    b->copy_f32.assign(b->x.nbytes(), 1);
    b->copy_i8.assign(b->q.nbytes(), 1);
  }
  return *b;
}

QuantParams params_for(const Layout& l, const Size& size) {
  QuantParams p;
  const Shape s = l.scale_shape(size.rows, size.cols);
  p.scale = Tensor(DType::f32, s);
  p.zero_point = Tensor(DType::i32, s);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0.05f, 0.1f);
  for (auto& v : p.scale.data<float>()) v = u(rng);
  for (auto& v : p.zero_point->data<int32_t>()) v = int32_t(rng() % 11) - 5;
  return p;
}

impl::ImplOptions one_core() {
  impl::ImplOptions o;
  o.threads = 1;
  return o;
}

// A read-only pass: four independent OR chains of 64-byte loads, plain or
// with the kernels' software prefetch distance (32 KiB ahead). The ratio
// table divides by the faster of the two: the strongest read loop we have
// is the roofline.
template <bool kPrefetch>
__attribute__((target("avx512f"))) uint64_t read_all_avx512(const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 256 <= bytes; i += 256) {
    if (kPrefetch) {  // a hint: never faults; the address is formed as an integer
      _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p + i) + 32768),
                   _MM_HINT_T0);
    }
    a0 = _mm512_or_si512(a0, _mm512_loadu_si512(p + i));
    a1 = _mm512_or_si512(a1, _mm512_loadu_si512(p + i + 64));
    a2 = _mm512_or_si512(a2, _mm512_loadu_si512(p + i + 128));
    a3 = _mm512_or_si512(a3, _mm512_loadu_si512(p + i + 192));
  }
  uint64_t r = uint64_t(_mm512_reduce_or_epi64(_mm512_or_si512(_mm512_or_si512(a0, a1),
                                                               _mm512_or_si512(a2, a3))));
  for (; i < bytes; ++i) r |= uint64_t(uint8_t(p[i]));
  return r;
}

template <bool kPrefetch>
uint64_t read_all(const void* data, size_t bytes) {
  if (__builtin_cpu_supports("avx512f")) return read_all_avx512<kPrefetch>(data, bytes);
  const char* p = static_cast<const char*>(data);
  uint64_t r = 0;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    r |= w;
  }
  return r;
}

// The op's whole traffic with no arithmetic: read the input and write an
// output of the op's element size, converting width only (i8 -> i32 for
// dequantize's shape of traffic, i32 -> i8 truncation for quantize's), with
// plain or non-temporal stores (the faster one counts, as the kernels pick
// streaming stores for large outputs too). Dequantize writes 4 bytes per
// byte it reads, so its read baseline is a bound it can never reach; this
// one it can.
template <bool kStream>
__attribute__((target("avx512f,avx512bw"))) void widen_i8_to_32_avx512(const int8_t* in, int32_t* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i v = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    if (kStream && (reinterpret_cast<uintptr_t>(out + i) & 63) == 0) {
      _mm512_stream_si512(reinterpret_cast<__m512i*>(out + i), v);
    } else {
      _mm512_storeu_si512(out + i, v);
    }
  }
  for (; i < n; ++i) out[i] = in[i];
  if (kStream) _mm_sfence();
}

template <bool kStream>
__attribute__((target("avx512f,avx512bw"))) void narrow_32_to_i8_avx512(const int32_t* in, int8_t* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm512_cvtepi32_epi8(_mm512_loadu_si512(in + i));
    if (kStream && (reinterpret_cast<uintptr_t>(out + i) & 15) == 0) {
      _mm_stream_si128(reinterpret_cast<__m128i*>(out + i), v);
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), v);
    }
  }
  for (; i < n; ++i) out[i] = int8_t(in[i]);
  if (kStream) _mm_sfence();
}

template <bool kStream>
void widen(const int8_t* in, int32_t* out, size_t n) {
  if (__builtin_cpu_supports("avx512bw")) return widen_i8_to_32_avx512<kStream>(in, out, n);
  for (size_t i = 0; i < n; ++i) out[i] = in[i];
}
template <bool kStream>
void narrow(const int32_t* in, int8_t* out, size_t n) {
  if (__builtin_cpu_supports("avx512bw")) return narrow_32_to_i8_avx512<kStream>(in, out, n);
  for (size_t i = 0; i < n; ++i) out[i] = int8_t(in[i]);
}

void set_items(benchmark::State& state, int64_t elements) {
  state.SetItemsProcessed(int64_t(state.iterations()) * elements);
}

void register_all() {
  for (const Size* size : {&kCache, &kDram}) {
    const Size sz = *size;
    const int64_t n = sz.rows * sz.cols;
    // Baselines over the input bytes of quantize (f32) and dequantize (i8).
    benchmark::RegisterBenchmark(fmt::format("baseline_read/f32/{}", sz.name).c_str(),
                                 [sz, n](benchmark::State& st) {
                                   Buffers& b = buffers(sz);
                                   for (auto _ : st) benchmark::DoNotOptimize(read_all<false>(b.x.raw(), b.x.nbytes()));
                                   set_items(st, n);
                                 });
    benchmark::RegisterBenchmark(fmt::format("baseline_read_prefetch/f32/{}", sz.name).c_str(),
                                 [sz, n](benchmark::State& st) {
                                   Buffers& b = buffers(sz);
                                   for (auto _ : st) benchmark::DoNotOptimize(read_all<true>(b.x.raw(), b.x.nbytes()));
                                   set_items(st, n);
                                 });
    benchmark::RegisterBenchmark(fmt::format("baseline_memcpy/f32/{}", sz.name).c_str(),
                                 [sz, n](benchmark::State& st) {
                                   Buffers& b = buffers(sz);
                                   for (auto _ : st) {
                                     std::memcpy(b.copy_f32.data(), b.x.raw(), b.x.nbytes());
                                     benchmark::ClobberMemory();
                                   }
                                   set_items(st, n);
                                 });
    benchmark::RegisterBenchmark(fmt::format("baseline_read/i8/{}", sz.name).c_str(),
                                 [sz, n](benchmark::State& st) {
                                   Buffers& b = buffers(sz);
                                   for (auto _ : st) benchmark::DoNotOptimize(read_all<false>(b.q.raw(), b.q.nbytes()));
                                   set_items(st, n);
                                 });
    benchmark::RegisterBenchmark(fmt::format("baseline_read_prefetch/i8/{}", sz.name).c_str(),
                                 [sz, n](benchmark::State& st) {
                                   Buffers& b = buffers(sz);
                                   for (auto _ : st) benchmark::DoNotOptimize(read_all<true>(b.q.raw(), b.q.nbytes()));
                                   set_items(st, n);
                                 });
    benchmark::RegisterBenchmark(fmt::format("baseline_memcpy/i8/{}", sz.name).c_str(),
                                 [sz, n](benchmark::State& st) {
                                   Buffers& b = buffers(sz);
                                   for (auto _ : st) {
                                     std::memcpy(b.copy_i8.data(), b.q.raw(), b.q.nbytes());
                                     benchmark::ClobberMemory();
                                   }
                                   set_items(st, n);
                                 });
    // The ops' traffic: quantize reads f32 and writes i8 (into q_out),
    // dequantize reads i8 and writes 4-byte elements (into y_out).
    for (const bool stream : {false, true}) {
      const char* kind = stream ? "traffic_stream" : "traffic";
      benchmark::RegisterBenchmark(fmt::format("baseline_{}/f32/{}", kind, sz.name).c_str(),
                                   [sz, n, stream](benchmark::State& st) {
                                     Buffers& b = buffers(sz);
                                     const auto* in = static_cast<const int32_t*>(b.x.raw());
                                     auto* out = static_cast<int8_t*>(b.q_out.raw());
                                     for (auto _ : st) {
                                       stream ? narrow<true>(in, out, size_t(n)) : narrow<false>(in, out, size_t(n));
                                       benchmark::ClobberMemory();
                                     }
                                     set_items(st, n);
                                   });
      benchmark::RegisterBenchmark(fmt::format("baseline_{}/i8/{}", kind, sz.name).c_str(),
                                   [sz, n, stream](benchmark::State& st) {
                                     Buffers& b = buffers(sz);
                                     const auto* in = static_cast<const int8_t*>(b.q.raw());
                                     auto* out = static_cast<int32_t*>(b.y_out.raw());
                                     for (auto _ : st) {
                                       stream ? widen<true>(in, out, size_t(n)) : widen<false>(in, out, size_t(n));
                                       benchmark::ClobberMemory();
                                     }
                                     set_items(st, n);
                                   });
    }
    for (const Layout& l : kLayouts) {
      const QuantParams p = params_for(l, sz);
      benchmark::RegisterBenchmark(fmt::format("quantize/{}/{}", l.name, sz.name).c_str(),
                                   [sz, n, p](benchmark::State& st) {
                                     Buffers& b = buffers(sz);
                                     const impl::ImplOptions o = one_core();
                                     for (auto _ : st) {
                                       impl::quantize_affine_into(b.x, p, Contract::torchao, b.q_out, o);
                                       benchmark::ClobberMemory();
                                     }
                                     set_items(st, n);
                                   });
      benchmark::RegisterBenchmark(fmt::format("dequantize/{}/{}", l.name, sz.name).c_str(),
                                   [sz, n, p](benchmark::State& st) {
                                     Buffers& b = buffers(sz);
                                     const impl::ImplOptions o = one_core();
                                     for (auto _ : st) {
                                       impl::dequantize_affine_into(b.q, p, Contract::torchao, b.y_out, o);
                                       benchmark::ClobberMemory();
                                     }
                                     set_items(st, n);
                                   });
      if (size == &kCache) {
        benchmark::RegisterBenchmark(fmt::format("reference_quantize/{}/{}", l.name, sz.name).c_str(),
                                     [sz, n, p](benchmark::State& st) {
                                       Buffers& b = buffers(sz);
                                       for (auto _ : st) {
                                         benchmark::DoNotOptimize(reference::quantize_affine(b.x, p));
                                       }
                                       set_items(st, n);
                                     });
        benchmark::RegisterBenchmark(fmt::format("reference_dequantize/{}/{}", l.name, sz.name).c_str(),
                                     [sz, n, p](benchmark::State& st) {
                                       Buffers& b = buffers(sz);
                                       for (auto _ : st) {
                                         benchmark::DoNotOptimize(reference::dequantize_affine(b.q, p));
                                       }
                                       set_items(st, n);
                                     });
      }
    }
  }
}

// Prints the usual console output, then the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // With --benchmark_repetitions the table uses the median of the
  // repetitions; otherwise the single run.
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      const std::string name = r.run_name.str();
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        rate_[name] = it->second.value;
        medians_.insert(name);
      } else if (r.run_type == Run::RT_Iteration && !medians_.count(name)) {
        rate_[name] = it->second.value;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-36s %9s %9s %9s %9s %10s\n", "impl run (1 thread)", "Gelem/s", "/read", "/memcpy",
                "/traffic", "/reference");
    for (const auto& [name, rate] : rate_) {
      const bool quant = name.rfind("quantize/", 0) == 0;
      const bool dequant = name.rfind("dequantize/", 0) == 0;
      if (!quant && !dequant) continue;
      const std::string size = name.substr(name.rfind('/') + 1);
      const std::string bytes = quant ? "f32" : "i8";
      const std::string layout = name.substr(name.find('/') + 1, name.rfind('/') - name.find('/') - 1);
      auto best = [&](std::initializer_list<std::string> keys) {
        double r = 0;
        for (const auto& k : keys) {
          if (const auto b = rate_.find(k); b != rate_.end() && b->second > r) r = b->second;
        }
        return r;
      };
      auto ratio = [&](double base) -> std::string {
        return base == 0 ? "-" : fmt::format("{:.2f}", rate / base);
      };
      const double read = best({fmt::format("baseline_read/{}/{}", bytes, size),
                                fmt::format("baseline_read_prefetch/{}/{}", bytes, size)});
      const double traffic = best({fmt::format("baseline_traffic/{}/{}", bytes, size),
                                   fmt::format("baseline_traffic_stream/{}/{}", bytes, size)});
      std::printf("%-36s %9.2f %9s %9s %9s %10s\n", name.c_str(), rate / 1e9, ratio(read).c_str(),
                  ratio(best({fmt::format("baseline_memcpy/{}/{}", bytes, size)})).c_str(), ratio(traffic).c_str(),
                  ratio(best({fmt::format("reference_{}/{}/{}", quant ? "quantize" : "dequantize",
                                          layout, size)}))
                      .c_str());
    }
    for (const auto& [name, rate] : rate_) {
      if (name.rfind("baseline", 0) == 0 || name.rfind("reference", 0) == 0) {
        std::printf("%-36s %9.2f\n", name.c_str(), rate / 1e9);
      }
    }
  }

 private:
  std::map<std::string, double> rate_;
  std::set<std::string> medians_;
};

}  // namespace
}  // namespace qdiff

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  qdiff::register_all();
  qdiff::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
