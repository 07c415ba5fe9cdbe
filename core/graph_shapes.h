// Static types of a graph's values (dtype and shape): what each node WOULD
// produce if the graph evaluates, derived from the input declarations, the
// constants and the node attributes (the node table of docs/graph.md). A
// value whose type cannot be derived (a shape or dtype error, a reshape of
// the wrong count, a legacy axis out of range, a shape above the element
// cap) is unknown. Never throws.
//
// It lives in core/ because both sides need it: impl/'s passes and lowering
// leave nodes with unknown types alone, and the work budget
// (core/graph_budget.h) that reference/ and impl/ both check before
// evaluating is computed from it. Pure shape arithmetic, no values.
#pragma once

#include <optional>
#include <vector>

#include "core/graph.h"

namespace qdiff {

struct ValueType {
  DType dtype = DType::f32;
  Shape shape;
};

// One entry per node (index = node id).
std::vector<std::optional<ValueType>> infer_value_types(const Graph& g);

// The conv2d / qconv2d output [N, O, OH, OW] for these operand shapes, or
// nullopt when the geometry is invalid (docs/validation-order.md, qconv2d
// step 4).
std::optional<Shape> conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dAttrs& attrs);

// The linear / qlinear output x.shape[:-1] + [K], or nullopt.
std::optional<Shape> linear_output_shape(const Shape& x, const Shape& w);

}  // namespace qdiff
