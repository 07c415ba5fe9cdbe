// The oracle of the quant core (SPEC section 9): bit-exact equality with
// the reference under the same contract for every element, the same output
// names, shapes and dtypes, and error parity (both succeed, or both fail
// with the same error kind). No tolerance.
#pragma once

#include "cases/affine_case.h"
#include "cases/case_file.h"
#include "oracle/backend.h"
#include "oracle/verdict.h"

namespace qdiff {

// Runs the case through a backend; a qdiff::Error becomes an error result.
CaseResult evaluate_affine(const AffineCase& c, const Backend& backend);

// Compares the reference's result with the backend's.
Verdict compare_affine(const AffineCase& c, const CaseResult& expected,
                       const CaseResult& actual);

// evaluate on the reference and on `backend`, then compare.
Verdict check_affine(const AffineCase& c, const Backend& backend);

// Formats element `flat` of a tensor: ints as is, f32 as the shortest
// round-trip decimal plus its bit pattern ("-12.5 (0xc1480000)").
std::string format_element(const Tensor& t, int64_t flat);
// N-D index of a flat row-major offset.
std::vector<int64_t> unflatten(const Shape& shape, int64_t flat);

}  // namespace qdiff
