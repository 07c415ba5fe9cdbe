// The oracle of the quant core (SPEC section 9): bit-exact equality with
// the reference under the same contract for every element, the same output
// names, shapes and dtypes, and error parity (both succeed, or both fail
// with the same error kind). No tolerance.
#pragma once

#include "cases/affine_case.h"
#include "cases/case_file.h"
#include "oracle/backend_interface.h"
#include "oracle/verdict.h"

namespace qdiff {

// Runs the case through a backend; a qdiff::Error becomes an error result.
CaseResult evaluate_affine(const AffineCase& c, const Backend& backend);

// Compares the reference's result with the backend's.
Verdict compare_affine(const AffineCase& c, const CaseResult& expected,
                       const CaseResult& actual);

// evaluate on the reference and on `backend`, then compare.
Verdict check_affine(const AffineCase& c, const Backend& backend);

}  // namespace qdiff
