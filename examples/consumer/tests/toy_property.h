// The property the toy kernel must satisfy, in qdiff's Property form
// (<qdiff/properties/property.h>): drawn by qdiff's generators, judged by
// qdiff's oracle against qdiff's reference.
#pragma once

#include <qdiff/properties/property.h>

namespace toyq {

// ToyQuantizeMatchesReference: on valid per-tensor and per-channel quantize
// cases under the torchao contract (every dtype, range, zero point and the
// generators' ties, clamp edges, infinities and huge scales), the kernel is
// bit-exact with the reference. Other cases are discarded.
const qdiff::props::Property& toy_quantize_property();

}  // namespace toyq
