#include "toy/toy_quantize.h"

#include <cmath>

// TOYQ_BUG (CMake option TOYQ_BUG, CMakeLists.txt) switches on one
// deliberate bug, so that the tests can show they catch it:
//   1  round_half_up: ties round up (2.5 to 3, -2.5 to -2) instead of to even
//   2  channel_axis:  the channel stride starts one axis too early
#ifndef TOYQ_BUG
#define TOYQ_BUG 0
#endif

namespace toyq {
namespace {

float round_to_int(float v) {
#if TOYQ_BUG == 1
  // v - floor(v) is exact, so exactly the ties differ from half to even.
  const float f = std::floor(v);
  return v - f >= 0.5f ? f + 1.0f : f;
#else
  return std::nearbyint(v);  // default rounding mode: half to even
#endif
}

// Elements per step of the channel index: the product of the dims after
// the channel axis.
int64_t channel_stride(std::span<const int64_t> shape, int axis) {
  int64_t stride = 1;
#if TOYQ_BUG == 2
  const int first = axis;
#else
  const int first = axis + 1;
#endif
  for (int d = first; d < int(shape.size()); ++d) stride *= shape[size_t(d)];
  return stride;
}

}  // namespace

void quantize(std::span<const float> x, std::span<const int64_t> shape,
              const QuantizeParams& p, std::span<int32_t> q) {
  const int64_t channels = int64_t(p.scale.size());
  const int64_t stride = p.axis < 0 ? 1 : channel_stride(shape, p.axis);
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t c = p.axis < 0 ? 0 : (int64_t(i) / stride) % channels;
    const float inv = 1.0f / p.scale[size_t(c)];
    const double z = p.zero_point.empty() ? 0.0 : double(p.zero_point[size_t(c)]);
    // In double, so that +-inf and huge values saturate without an
    // out-of-range float-to-int conversion.
    const double t = double(round_to_int(x[i] * inv)) + z;
    q[i] = t < p.quant_min ? p.quant_min : t > p.quant_max ? p.quant_max : int32_t(t);
  }
}

}  // namespace toyq
