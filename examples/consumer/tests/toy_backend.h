// The toy kernel as a qdiff Backend (<qdiff/oracle/backend_interface.h>): what
// qdiff's oracle and properties call. The adapter converts qdiff's Tensor
// and QuantParams to the kernel's own structs and back; a case outside
// what the kernel implements (another contract, the float zero-point
// domain, per-group or blockwise scales, other ops) is declined with
// qdiff::NotApplicable, which the properties count as discarded.
#pragma once

#include <memory>

#include <qdiff/oracle/backend_interface.h>

namespace toyq {

std::unique_ptr<qdiff::Backend> make_toy_backend();

}  // namespace toyq
