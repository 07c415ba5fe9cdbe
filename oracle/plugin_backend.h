// Loads a plug-in backend (include/qdiff/backend.h) from a shared library
// and adapts it to the Backend interface, so every property can run
// against it. A call the plug-in declines (QDIFF_STATUS_UNSUPPORTED, or an
// entry point it does not provide) throws NotApplicable, which the
// property runner counts as a discarded case, not a failure.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "oracle/backend_interface.h"

namespace qdiff {

class NotApplicable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A backend from outside qdiff (a plug-in library, a process backend)
// whose interface has no lowering and no kernel-path report: the
// properties that need them are not applicable to it.
class OutsideBackend : public Backend {
 public:
  LoweredProgram lower_graph(const Graph& optimized) const override;
  std::vector<Tensor> execute_lowered(const LoweredProgram& program,
                                      const std::vector<Tensor>& inputs) const override;
  std::optional<std::string> kernel_path(const Shape& input, const QuantParams& params) const override;
};

// Throws std::runtime_error when the library cannot be loaded, lacks the
// entry symbol, or has another ABI version.
std::unique_ptr<Backend> load_plugin_backend(const std::string& path);

}  // namespace qdiff
