// Backend: an implementation under test, as the oracle sees it. The
// reference is the expected side; any backend (qdiff's optimized impl/ at
// some ISA, with or without injected faults, or a user's plug-in library)
// is the actual side. Ops a backend does not implement throw `unsupported`
// and the properties that need them are skipped for it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/contract.h"
#include "core/fused_ops.h"
#include "core/graph.h"
#include "core/lowered.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  virtual Tensor quantize_affine(const Tensor& input, const QuantParams& params,
                                 Contract contract) const = 0;
  virtual Tensor dequantize_affine(const Tensor& input, const QuantParams& params,
                                   Contract contract) const = 0;
  virtual ChosenQParams choose_qparams_affine(const Tensor& input,
                                              const ChooseQParamsArgs& args) const = 0;
  virtual Tensor fake_quantize_affine(const Tensor& input, const QuantParams& params,
                                      Contract contract) const = 0;

  // Fused quantized operators (SPEC section 8). Default: unsupported.
  virtual Tensor qlinear(const QLinearArgs& args) const;
  virtual Tensor qconv2d(const QConv2dArgs& args) const;
  virtual Tensor qelementwise(const QElementwiseArgs& args) const;

  // Graphs (docs/graph.md). Default: unsupported.
  virtual std::vector<std::string> graph_passes() const;  // pipeline order
  virtual Graph run_graph_pass(std::string_view pass, const Graph& g) const;
  virtual Graph optimize_graph(const Graph& g) const;
  virtual std::vector<Tensor> execute_graph(const Graph& g, const std::vector<Tensor>& inputs) const;
  virtual LoweredProgram lower_graph(const Graph& optimized) const;
  virtual std::vector<Tensor> execute_lowered(const LoweredProgram& program,
                                              const std::vector<Tensor>& inputs) const;

  // The specialized loop the backend would take, for coverage reports and
  // the classification property; nullopt if the backend cannot tell.
  virtual std::optional<std::string> kernel_path(const Shape& input,
                                                 const QuantParams& params) const;
};

// The spec as code (reference/).
std::unique_ptr<Backend> make_reference_backend();

}  // namespace qdiff
