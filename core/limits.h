// The element cap of SPEC section 1: no tensor may hold more elements than
// this, so no input can make qdiff allocate without bound. Exceeding it is
// the error `too_large`. Process-wide; default 2^26.
#pragma once

#include <cstdint>

#include "core/shape.h"

namespace qdiff {

inline constexpr int64_t kDefaultMaxElements = int64_t{1} << 26;

int64_t max_elements();
void set_max_elements(int64_t cap);

// Throws too_large (naming `what`) if shape has more than max_elements().
// Returns the element count.
int64_t check_element_cap(const Shape& shape, const char* what);

}  // namespace qdiff
