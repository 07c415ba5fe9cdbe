// Fault points: the harness's self-tests prove that the properties catch
// realistic bugs by switching one of these on in ImplOptions::faults. Each
// point is a small wrong variant of a real impl/ code path, taken from real
// bug reports (DESIGN.md "Proving the harness works"); the code consulting
// it says which line it replaces. Faults are consulted when a call is
// planned, never per element, and the production path (an empty FaultSet)
// is the code the benchmarks measure.
#pragma once

#include <cstdint>
#include <string_view>

namespace qdiff::impl {

enum class FaultPoint : uint8_t {
  // quantize / dequantize core (issue 2)
  divide_instead_of_reciprocal,  // torchao contract computes x / s
  zero_point_before_rounding,    // int domain adds z to v before rounding
  half_away_rounding,            // rounds half away from zero where the contract says even
  clamp_before_zero_point,       // clamps round(v) to [qmin, qmax], then adds z
  simd_tail_dropped,             // the last partial vector of a row is not written
  channel_axis_off_by_one,       // per-channel fast path indexes dim axis+1 (mod rank)
  floor_block_division,          // block size = floor(n / c) without the divisibility check
  wrong_block_stride,            // scale row stride taken from the input instead of the scale
  kCount
};

class FaultSet {
 public:
  constexpr FaultSet() = default;
  constexpr explicit FaultSet(FaultPoint f) : bits_(uint64_t{1} << unsigned(f)) {}
  constexpr bool has(FaultPoint f) const { return bits_ & (uint64_t{1} << unsigned(f)); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr FaultSet with(FaultPoint f) const {
    FaultSet s = *this;
    s.bits_ |= uint64_t{1} << unsigned(f);
    return s;
  }

 private:
  uint64_t bits_ = 0;
};

std::string_view fault_point_name(FaultPoint f);

}  // namespace qdiff::impl
