#include "bench/rooflines.h"

#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace qdiff::bench {
namespace {

// A prefetch hint never faults; the address is formed as an integer so that
// running past the buffer's end is not pointer arithmetic out of bounds.
inline void prefetch_ahead(const char* p, size_t distance) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + distance), _MM_HINT_T0);
}

template <bool kNt>
__attribute__((target("avx512f"))) inline __m512i load64(const char* at) {
  if constexpr (kNt) return _mm512_stream_load_si512(const_cast<char*>(at));  // vmovntdqa: 64-byte aligned
  return _mm512_loadu_si512(at);
}

// kStreams contiguous parts of the buffer read side by side (more DRAM
// pages and hardware prefetch streams in flight), kLines 64-byte loads per
// part and step, each into its own OR chain; optional software prefetch
// kPrefetch bytes ahead of every kPfEvery-th line, and non-temporal loads. Tensor storage is 64-byte
// aligned, and parts are cut at multiples of 64 bytes.
template <int kStreams, int kLines, size_t kPrefetch, bool kNt, int kPfEvery = 1>
__attribute__((target("avx512f"))) uint64_t read_avx512(const char* p, size_t bytes) {
  __m512i acc[kStreams * kLines];
  for (auto& a : acc) a = _mm512_setzero_si512();
  constexpr size_t kStep = 64 * kLines;
  const size_t part = bytes / kStreams / kStep * kStep;
  for (size_t i = 0; i < part; i += kStep) {
    for (int s = 0; s < kStreams; ++s) {
      const char* at = p + s * part + i;
      if constexpr (kPrefetch > 0) {
        for (int l = 0; l < kLines; l += kPfEvery) prefetch_ahead(at + 64 * l, kPrefetch);
      }
      for (int l = 0; l < kLines; ++l) acc[s * kLines + l] = _mm512_or_si512(acc[s * kLines + l], load64<kNt>(at + 64 * l));
    }
  }
  for (int c = 1; c < kStreams * kLines; ++c) acc[0] = _mm512_or_si512(acc[0], acc[c]);
  uint64_t r = uint64_t(_mm512_reduce_or_epi64(acc[0]));
  for (size_t i = part * kStreams; i < bytes; ++i) r |= uint8_t(p[i]);
  return r;
}

uint64_t read_portable(const char* p, size_t bytes) {
  uint64_t r = 0;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    r |= w;
  }
  return r;
}

template <bool kStream>
__attribute__((target("avx512f"))) inline void store64(void* at, __m512i v) {
  if constexpr (kStream) {
    _mm512_stream_si512(static_cast<__m512i*>(at), v);  // 64-byte aligned: whole steps from aligned storage
  } else {
    _mm512_storeu_si512(at, v);
  }
}

// The op's traffic with no arithmetic, in whole 64-byte loads and stores
// as the kernels do, one step = 64 elements. Quantize: 4 x 64 bytes of
// 4-byte elements in, one 64-byte store of their low bytes out (vpmovdb,
// or the kernels' saturating packs); dequantize: 64 bytes in, 4 x 64 bytes
// of sign-extended elements out.
template <bool kNtLoad, bool kStream>
struct NarrowStep {
  using In = int32_t;
  using Out = int8_t;
  __attribute__((target("avx512f,avx512bw"))) static void step(const char* at, int8_t* out) {
    __m512i v = _mm512_castsi128_si512(_mm512_cvtepi32_epi8(load64<kNtLoad>(at)));
    v = _mm512_inserti32x4(v, _mm512_cvtepi32_epi8(load64<kNtLoad>(at + 64)), 1);
    v = _mm512_inserti32x4(v, _mm512_cvtepi32_epi8(load64<kNtLoad>(at + 128)), 2);
    v = _mm512_inserti32x4(v, _mm512_cvtepi32_epi8(load64<kNtLoad>(at + 192)), 3);
    store64<kStream>(out, v);
  }
};

template <bool kNtLoad, bool kStream>
struct PacksStep {
  using In = int32_t;
  using Out = int8_t;
  __attribute__((target("avx512f,avx512bw"))) static void step(const char* at, int8_t* out) {
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i ab = _mm512_packs_epi32(load64<kNtLoad>(at), load64<kNtLoad>(at + 64));
    const __m512i cd = _mm512_packs_epi32(load64<kNtLoad>(at + 128), load64<kNtLoad>(at + 192));
    store64<kStream>(out, _mm512_permutexvar_epi32(order, _mm512_packs_epi16(ab, cd)));
  }
};

template <bool kNtLoad, bool kStream>
struct WidenStep {
  using In = int8_t;
  using Out = int32_t;
  __attribute__((target("avx512f,avx512bw"))) static void step(const char* at, int32_t* out) {
    const __m512i v = load64<kNtLoad>(at);
    store64<kStream>(out, _mm512_cvtepi8_epi32(_mm512_castsi512_si128(v)));
    store64<kStream>(out + 16, _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(v, 1)));
    store64<kStream>(out + 32, _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(v, 2)));
    store64<kStream>(out + 48, _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(v, 3)));
  }
};

// Dequantize's traffic with 16-byte loads widened straight from memory
// (vpmovsxbd zmm, m128: fewer shuffles, the in-cache bound).
template <bool kNtLoad, bool kStream>
struct Widen16Step {
  using In = int8_t;
  using Out = int32_t;
  __attribute__((target("avx512f,avx512bw"))) static void step(const char* at, int32_t* out) {
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 16 * k));
      store64<kStream>(out + 16 * k, _mm512_cvtepi8_epi32(v));
    }
  }
};

// kParts contiguous parts moved side by side (as read_avx512), one prefetch
// per step kPrefetch bytes ahead (one line in four for quantize's input,
// the kernels' pattern).
template <class S, int kParts, size_t kPrefetch>
__attribute__((target("avx512f,avx512bw"))) void traffic_loop(const typename S::In* in, typename S::Out* out,
                                                              size_t n) {
  const size_t part = n / kParts / 64 * 64;
  for (size_t i = 0; i < part; i += 64) {
    for (int k = 0; k < kParts; ++k) {
      const char* at = reinterpret_cast<const char*>(in + k * part + i);
      if constexpr (kPrefetch > 0) prefetch_ahead(at, kPrefetch);
      S::step(at, out + k * part + i);
    }
  }
  for (size_t i = part * kParts; i < n; ++i) out[i] = typename S::Out(in[i]);
  _mm_sfence();  // after streaming stores; harmless after plain ones
}

struct ReadStrategy {
  const char* name;
  uint64_t (*avx512)(const char*, size_t);
};
// The fastest strategy differs by size, op and run (docs/benchmarks.md
// lists them); nt: non-temporal loads, pf: prefetch distance, _q: one
// prefetch per four lines (the kernels' pattern), 2x4: two parts side by side.
constexpr ReadStrategy kReads[] = {
    {"read_plain4", read_avx512<1, 4, 0, false>},       {"read_plain8", read_avx512<1, 8, 0, false>},
    {"read_pf4k", read_avx512<1, 8, 4096, false>},      {"read_pf32k", read_avx512<1, 8, 32768, false>},
    {"read_pf32k_q", read_avx512<1, 8, 32768, false, 4>}, {"read_2x4", read_avx512<2, 4, 0, false>},
    {"read_nt4", read_avx512<1, 4, 0, true>},           {"read_nt8", read_avx512<1, 8, 0, true>},
    {"read_nt_2x4", read_avx512<2, 4, 0, true>},
};

struct TrafficStrategy {
  const char* name;
  void (*narrow)(const int32_t*, int8_t*, size_t);
  void (*widen)(const int8_t*, int32_t*, size_t);
};
template <bool kNtLoad, bool kStream, int kParts, size_t kPrefetch, template <bool, bool> class Narrow = NarrowStep,
          template <bool, bool> class Widen = WidenStep>
constexpr TrafficStrategy traffic(const char* name) {
  return {name, traffic_loop<Narrow<kNtLoad, kStream>, kParts, kPrefetch>,
          traffic_loop<Widen<kNtLoad, kStream>, kParts, kPrefetch>};
}
// plain / stream: stores; nt: non-temporal loads; 2p, 4p, 8p: parts side
// by side (on a quiet machine 1-part streams were slower than quantize's
// kernels at the DRAM size: more parts keep more DRAM pages open); packs:
// quantize narrowed as the kernels do; w16: dequantize widened from
// 16-byte loads.
constexpr TrafficStrategy kTraffic[] = {
    traffic<false, false, 1, 0>("traffic_plain"),
    traffic<false, false, 2, 0>("traffic_plain_2p"),
    traffic<false, false, 1, 0, PacksStep, Widen16Step>("traffic_packs_plain_w16"),
    traffic<false, true, 1, 0, PacksStep, Widen16Step>("traffic_packs_stream_w16"),
    traffic<false, true, 1, 0>("traffic_stream"),
    traffic<true, true, 1, 0>("traffic_nt_stream"),
    traffic<false, true, 1, 32768, PacksStep>("traffic_packs_stream_pf32k"),
    traffic<true, true, 1, 0, PacksStep>("traffic_packs_nt_stream"),
    traffic<false, true, 2, 0, PacksStep>("traffic_packs_stream_2p"),
    traffic<true, true, 2, 0, PacksStep>("traffic_packs_nt_stream_2p"),
    traffic<false, true, 4, 0, PacksStep>("traffic_packs_stream_4p"),
    traffic<false, true, 8, 0, PacksStep>("traffic_packs_stream_8p"),
};

// A roofline is the fastest the machine moved the bytes in this run: its
// "max" over the repetitions, beside the median (summary_table.h).
void with_max(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics("max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
}

bool have_avx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

void register_read(const ReadStrategy& s, Op op, const std::string& size) {
  with_max(benchmark::RegisterBenchmark(fmt::format("{}/{}/{}", s.name, op_name(op), size).c_str(),
                               [s, op, size](benchmark::State& st) {
                                 Buffers& b = buffers(roofline_shape(size));
                                 const Tensor& in = op == Op::quantize ? b.x : b.q;
                                 const auto* p = static_cast<const char*>(in.raw());
                                 const auto read = have_avx512() ? s.avx512 : read_portable;
                                 for (auto _ : st) benchmark::DoNotOptimize(read(p, in.nbytes()));
                                 st.SetItemsProcessed(int64_t(st.iterations()) * in.numel());
                               }));
}

// Without AVX-512 the traffic strategies are not registered: a roofline
// must be at least as strong as the kernels, and a scalar loop is not.
void register_traffic(const TrafficStrategy& s, Op op, const std::string& size) {
  with_max(benchmark::RegisterBenchmark(fmt::format("{}/{}/{}", s.name, op_name(op), size).c_str(),
                               [s, op, size](benchmark::State& st) {
                                 Buffers& b = buffers(roofline_shape(size));
                                 const auto n = size_t(b.x.numel());
                                 for (auto _ : st) {
                                   if (op == Op::quantize) {
                                     s.narrow(static_cast<const int32_t*>(b.x.raw()), b.q_out.data<int8_t>().data(), n);
                                   } else {
                                     s.widen(b.q.data<int8_t>().data(), static_cast<int32_t*>(b.y_out.raw()), n);
                                   }
                                   benchmark::ClobberMemory();
                                 }
                                 st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(n));
                               }));
}

}  // namespace

void register_rooflines() {
  for (const char* size : {"64K", "64M"}) {
    for (const Op op : kOps) {
      for (const ReadStrategy& s : kReads) register_read(s, op, size);
      if (!have_avx512()) continue;
      for (const TrafficStrategy& s : kTraffic) register_traffic(s, op, size);
    }
  }
}

std::string roofline_kind(const std::string& name) {
  if (name.rfind("read_", 0) == 0) return "read";
  if (name.rfind("traffic_", 0) == 0) return "traffic";
  return "";
}

}  // namespace qdiff::bench
