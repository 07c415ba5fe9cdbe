// Verdict: what the oracle concluded about one case, with everything a
// failure report needs to locate the bug.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "core/tensor.h"

namespace qdiff {

struct Mismatch {
  std::string output;            // "output", "scale", "zero_point", ...
  int64_t flat = 0;              // row-major element index
  std::vector<int64_t> index;    // N-D index
  std::string expected;          // formatted values
  std::string actual;
  std::optional<double> pre_rounding;  // the reference's value before rounding
  std::string context;           // e.g. "scale 0.9 (element's block [1, 0]), zero point 3"
};

struct Verdict {
  bool ok = true;
  std::string headline;  // one line
  std::string details;   // further lines, may be empty
  std::optional<Mismatch> mismatch;
  // Outputs accepted only because the ideal value lay within the derived
  // rounding bound of a boundary (fused ops, SPEC section 9).
  int64_t tolerated = 0;

  static Verdict pass() { return {}; }
  static Verdict fail(std::string headline, std::string details = {}) {
    Verdict v;
    v.ok = false;
    v.headline = std::move(headline);
    v.details = std::move(details);
    return v;
  }
  // headline + details + mismatch, as printed in reports.
  std::string describe() const;
};

// Formats element `flat` of a tensor: ints as is, f32 as the shortest
// round-trip decimal plus its bit pattern ("-12.5 (0xc1480000)").
std::string format_element(const Tensor& t, int64_t flat);
// N-D index of a flat row-major offset.
std::vector<int64_t> unflatten(const Shape& shape, int64_t flat);

}  // namespace qdiff
