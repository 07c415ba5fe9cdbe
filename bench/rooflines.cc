#include "bench/rooflines.h"

#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace qdiff::bench {
namespace {

// A prefetch hint never faults; the address is formed as an integer so that
// running past the buffer's end is not pointer arithmetic out of bounds.
inline void prefetch_ahead(const char* p, size_t distance) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + distance), _MM_HINT_T0);
}

// kChains independent OR chains of 64-byte loads; kStreamLoad uses
// vmovntdqa (needs 64-byte alignment: Tensor storage has it).
template <int kChains, size_t kPrefetch, bool kStreamLoad>
__attribute__((target("avx512f"))) uint64_t read_avx512(const char* p, size_t bytes) {
  __m512i acc[kChains];
  for (auto& a : acc) a = _mm512_setzero_si512();
  constexpr size_t kStep = 64 * kChains;
  size_t i = 0;
  for (; i + kStep <= bytes; i += kStep) {
    if constexpr (kPrefetch > 0) {
      for (size_t line = 0; line < kStep; line += 64) prefetch_ahead(p + i + line, kPrefetch);
    }
    for (int c = 0; c < kChains; ++c) {
      const char* at = p + i + 64 * c;
      const __m512i v = kStreamLoad ? _mm512_stream_load_si512(const_cast<char*>(at)) : _mm512_loadu_si512(at);
      acc[c] = _mm512_or_si512(acc[c], v);
    }
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm512_or_si512(acc[0], acc[c]);
  uint64_t r = uint64_t(_mm512_reduce_or_epi64(acc[0]));
  for (; i < bytes; ++i) r |= uint8_t(p[i]);
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

// The op's traffic with no arithmetic. Quantize: 16 x 4 bytes in, 16 bytes
// out (narrowing); dequantize: 16 bytes in, 16 x 4 bytes out (widening).
template <bool kStream, size_t kPrefetch>
__attribute__((target("avx512f,avx512bw"))) void narrow_avx512(const int32_t* in, int8_t* out, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if constexpr (kPrefetch > 0) {
      for (size_t line = 0; line < 4; ++line) prefetch_ahead(reinterpret_cast<const char*>(in + i) + 64 * line, kPrefetch);
    }
    for (size_t k = 0; k < 64; k += 16) {
      const __m128i v = _mm512_cvtepi32_epi8(_mm512_loadu_si512(in + i + k));
      auto* dst = reinterpret_cast<__m128i*>(out + i + k);
      kStream ? _mm_stream_si128(dst, v) : _mm_storeu_si128(dst, v);
    }
  }
  for (; i < n; ++i) out[i] = int8_t(in[i]);
  if constexpr (kStream) _mm_sfence();
}

template <bool kStream, size_t kPrefetch>
__attribute__((target("avx512f,avx512bw"))) void widen_avx512(const int8_t* in, int32_t* out, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if constexpr (kPrefetch > 0) prefetch_ahead(reinterpret_cast<const char*>(in + i), kPrefetch);
    for (size_t k = 0; k < 64; k += 16) {
      const __m512i v = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + k)));
      kStream ? _mm512_stream_si512(reinterpret_cast<__m512i*>(out + i + k), v) : _mm512_storeu_si512(out + i + k, v);
    }
  }
  for (; i < n; ++i) out[i] = in[i];
  if constexpr (kStream) _mm_sfence();
}

struct ReadStrategy {
  const char* name;
  uint64_t (*avx512)(const char*, size_t);
};
constexpr ReadStrategy kReads[] = {
    {"read_plain4", read_avx512<4, 0, false>},      {"read_plain8", read_avx512<8, 0, false>},
    {"read_pf4k", read_avx512<8, 4096, false>},     {"read_pf16k", read_avx512<8, 16384, false>},
    {"read_pf32k", read_avx512<8, 32768, false>},   {"read_pf64k", read_avx512<8, 65536, false>},
    {"read_nt4", read_avx512<4, 0, true>},          {"read_nt8", read_avx512<8, 0, true>},
};

struct TrafficStrategy {
  const char* name;
  void (*narrow)(const int32_t*, int8_t*, size_t);
  void (*widen)(const int8_t*, int32_t*, size_t);
};
constexpr TrafficStrategy kTraffic[] = {
    {"traffic_plain", narrow_avx512<false, 0>, widen_avx512<false, 0>},
    {"traffic_stream", narrow_avx512<true, 0>, widen_avx512<true, 0>},
    {"traffic_plain_pf32k", narrow_avx512<false, 32768>, widen_avx512<false, 32768>},
    {"traffic_stream_pf32k", narrow_avx512<true, 32768>, widen_avx512<true, 32768>},
};

bool have_avx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

void register_read(const ReadStrategy& s, Op op, const std::string& size) {
  benchmark::RegisterBenchmark(fmt::format("{}/{}/{}", s.name, op_name(op), size).c_str(),
                               [s, op, size](benchmark::State& st) {
                                 Buffers& b = buffers(roofline_shape(size));
                                 const Tensor& in = op == Op::quantize ? b.x : b.q;
                                 const auto* p = static_cast<const char*>(in.raw());
                                 const auto read = have_avx512() ? s.avx512 : read_portable;
                                 for (auto _ : st) benchmark::DoNotOptimize(read(p, in.nbytes()));
                                 st.SetItemsProcessed(int64_t(st.iterations()) * in.numel());
                               });
}

// Without AVX-512 the traffic strategies are not registered: a roofline
// must be at least as strong as the kernels, and a scalar loop is not.
void register_traffic(const TrafficStrategy& s, Op op, const std::string& size) {
  benchmark::RegisterBenchmark(fmt::format("{}/{}/{}", s.name, op_name(op), size).c_str(),
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
                               });
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
