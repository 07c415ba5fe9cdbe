// Where rounding decides whether a graph value is NaN (docs/graph.md, "NaN
// that rounding decides").
//
// Graph inputs hold no NaN (nan_input), so a NaN inside a graph comes from
// 0 * inf or inf - inf. When the zero or the infinity is itself a rounded
// value (its envelope radius is not 0, or it is finite within its radius of
// FLT_MAX), a correct implementation that rounds differently gets +-inf or
// a finite value where the reference got NaN, or NaN where the reference
// did not. Then a quantize reading that element may reject with nan_input
// on one side only, and either outcome is correct.
//
// Found by the graph fuzzer (corpus/regressions/
// graph_nan_parity_zero_times_inf.json): relu(linear(x, W) * c) with c[7] =
// +inf; the reference's f32 dot product at row 19, column 7 cancels to
// exactly 0 (0 * inf = NaN: the quantize rejects), the executor's summation
// order leaves a rounding error (+-inf: the quantize saturates).
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "core/tensor.h"
#include "oracle/graph_envelope.h"

namespace qdiff {

// Node `id`'s open flags (f32 values; 1 where the NaN-ness of an element may
// differ from the reference's), from its inputs' envelopes and flags; empty
// when no element is open. Sound but not tight: linear and conv2d mark
// every output open when any operand element is open or may be infinite;
// and an infinity the envelope's mul rule makes from exact operands
// (1 * inf) has an infinite radius there (its rounding term is u times an
// infinite magnitude), so it is not "exact" here and a NaN made from it
// counts as open although every implementation gets it.
std::vector<uint8_t> nan_open_flags(const Graph& g, int id, const std::vector<ValueEnvelope>& env);

// Elements read by the graph's quantize nodes (the only nodes that check
// for NaN) whose NaN-ness is open.
int64_t nan_open_at_quantize(const Graph& g, const std::vector<ValueEnvelope>& env);

// A nan_input rejection where the reference accepts the graph whose
// envelope is `env`: correct when a quantize reads an open element.
bool nan_rejection_is_open(const Error& e, const GraphEnvelope& env);

// For a graph the reference rejects with nan_input: true when every NaN
// element the rejecting quantize reads is open, so an implementation that
// accepts the graph is correct too. False for any other rejection.
bool nan_rejection_is_open(const Graph& g, const std::vector<Tensor>& inputs, EnvelopeMode mode);

}  // namespace qdiff
