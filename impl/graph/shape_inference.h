// Static types of a graph's values, for the passes and the lowering: every
// pass leaves the nodes touching a value of unknown type alone. The
// inference itself is core/graph_shapes.h (shared with the work budget that
// reference/ checks too); these names keep impl/'s spelling.
#pragma once

#include "core/graph_shapes.h"

namespace qdiff::impl {

using qdiff::conv2d_output_shape;
using qdiff::infer_value_types;
using qdiff::linear_output_shape;
using qdiff::ValueType;

}  // namespace qdiff::impl
