// The verdict helpers every oracle shares: the failure report and the
// formatting of the first mismatching element.
#include "oracle/verdict.h"

#include <fmt/format.h>

#include "core/float_bits.h"

namespace qdiff {

std::string Verdict::describe() const {
  if (ok) return "ok";
  std::string s = headline;
  if (!details.empty()) s += "\n" + details;
  if (mismatch) {
    const Mismatch& m = *mismatch;
    s += fmt::format("\n  first mismatch: {}[{}] (flat {})", m.output,
                     fmt::join(m.index, ", "), m.flat);
    s += fmt::format("\n    expected (reference): {}\n    actual:               {}",
                     m.expected, m.actual);
    if (m.pre_rounding) {
      s += fmt::format("\n    pre-rounding value:   {:.9g}", *m.pre_rounding);
    }
    if (!m.context.empty()) s += "\n    " + m.context;
  }
  return s;
}

std::vector<int64_t> unflatten(const Shape& shape, int64_t flat) {
  const ElementIndex e = element_index(shape, flat);
  const std::span<const int64_t> index = e;
  return {index.begin(), index.end()};
}

std::string format_element(const Tensor& t, int64_t flat) {
  if (t.dtype() == DType::f32) {
    const float v = t.f32_at(flat);
    return fmt::format("{} ({:#010x})", v, f32_bits(v));
  }
  return fmt::format("{}", t.int_at(flat));
}

}  // namespace qdiff
