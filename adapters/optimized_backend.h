// qdiff's own optimized implementation (impl/) as an oracle Backend. Kept
// out of oracle/ so that the oracle depends on the reference only and judges
// impl/ as it judges any outside backend.
#pragma once

#include <memory>

#include "impl/options.h"
#include "oracle/backend_interface.h"

namespace qdiff {

// How the harness drives impl/ beyond ImplOptions.
struct OptimizedBackendConfig {
  // qlinear through PackedLinearWeights::pack + the prepacked entry point
  // (the way a serving runtime calls it), instead of packing per call.
  bool prepack_qlinear_weights = false;
  // quantize / dequantize through the *_into entry points, writing into a
  // caller-allocated output (how a runtime with a memory planner calls them).
  bool preallocated_outputs = false;
};

// impl/ with the given options; the name says the ISA and any injected
// faults.
std::unique_ptr<Backend> make_optimized_backend(const impl::ImplOptions& options = {},
                                                const OptimizedBackendConfig& config = {});

}  // namespace qdiff
