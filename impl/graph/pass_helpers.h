// What the passes share (impl/graph/pass_*.cc): the entry point of each
// pass, and the small queries their preconditions are made of (constant
// values, QuantParams assembled from constants, validity checks through the
// implementation's own validation).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/quant_params.h"
#include "impl/fault_points.h"
#include "impl/graph/shape_inference.h"

namespace qdiff::impl::passes {

Graph legacy_to_affine(const Graph& g, FaultSet faults);
Graph constant_folding(const Graph& g);
Graph fuse_mul_into_linear(const Graph& g, FaultSet faults);
Graph fuse_quantized_ops(const Graph& g, FaultSet faults);
Graph quant_absorption(const Graph& g, FaultSet faults);

// The value of a constant node, or null for any other node (or kNoInput).
const Tensor* constant_value(const Graph& g, int id);

// The affine (non-legacy) quantize / dequantize node `id` whose scale and
// zero point are constants: its QuantParams. nullopt otherwise.
std::optional<QuantParams> constant_params(const Graph& g, int id);

// Whether `p` passes steps 1-6 of dequantize (data of p.dtype) for data of
// `shape` (impl/quantize/validate.h).
bool params_valid_for_dequantize(const Shape& shape, const QuantParams& p);

// A node's inferred type, or nullopt (also for kNoInput).
const std::optional<ValueType>& type_of(const std::vector<std::optional<ValueType>>& types, int id);

}  // namespace qdiff::impl::passes
