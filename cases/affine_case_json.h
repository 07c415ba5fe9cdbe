// AffineCase <-> case-file JSON (SPEC section 11): the body of a
// quantize / dequantize / choose_qparams / fake_quantize case. The public
// entry points are parse_affine_case / write_affine_case (cases/case_file.h)
// and parse_case / write_case (cases/case.h); this is the shared piece.
#pragma once

#include "cases/affine_case.h"
#include "cases/json_fields.h"

namespace qdiff {

// Reads everything after the header and "op" from the document root.
AffineCase read_affine_case_fields(const JsonObjectReader& root, AffineOpKind op);

}  // namespace qdiff
