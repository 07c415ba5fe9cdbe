// How the optimized implementation runs: ISA, threads, injected faults.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "impl/fault_points.h"

namespace qdiff::impl {

// Kernel families. scalar is portable C++ and always built; avx2 and
// avx512 are compiled in their own translation units and chosen at run
// time when the CPU supports them.
enum class Isa { scalar, avx2, avx512 };
inline constexpr Isa kAllIsas[] = {Isa::scalar, Isa::avx2, Isa::avx512};

std::string_view isa_name(Isa isa);
std::optional<Isa> parse_isa(std::string_view name);
bool isa_supported(Isa isa);  // compiled in and supported by this CPU
Isa best_isa();               // the widest supported

struct ImplOptions {
  std::optional<Isa> isa;       // unset: best_isa(); unsupported: throws unsupported
  int threads = 0;              // 0: std::thread::hardware_concurrency()
  // Below this many elements a call runs on the calling thread only.
  // Results never depend on the thread count.
  int64_t parallel_threshold = int64_t{1} << 20;
  FaultSet faults;              // empty in production
};

}  // namespace qdiff::impl
