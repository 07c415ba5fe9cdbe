// One entry point for every case type: evaluate a case on a backend (for
// `qdiff eval`) and check it against the reference with the op family's
// oracle (bit-exact for the quant core, rounding-aware for fused ops).
#pragma once

#include "cases/case_file.h"
#include "cases/case.h"
#include "oracle/backend_interface.h"
#include "oracle/verdict.h"

namespace qdiff {

CaseResult evaluate_case(const Case& c, const Backend& backend);
Verdict check_case(const Case& c, const Backend& backend);

}  // namespace qdiff
